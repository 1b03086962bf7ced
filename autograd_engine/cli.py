"""The ``autograd-engine`` console script (also ``python -m autograd_engine``). Thin: parses, calls the library.

Subcommands: ``demo`` (train micrograd's moons demo), ``train`` (any data set and network),
``graph`` (differentiate an expression and draw its graph). User mistakes give one
line on stderr and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import shutil
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main", "parse_expression", "ExpressionError"]


class ExpressionError(ValueError):
    """An expression given to ``autograd-engine graph`` that cannot be evaluated safely."""


class _UserError(Exception):
    """A mistake in the command line: reported as one line, exit status 2."""


_FUNCTIONS = ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "softplus", "sin", "cos", "abs")
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def parse_expression(text: str) -> tuple[ast.Expression, list[str]]:
    """Parse ``text`` with Python's ``ast``, allowing only arithmetic, numbers, names and known functions.

    Returns:
        The parsed expression and its variable names in order of first appearance.

    Raises:
        ExpressionError: anything else (attribute access, calls of other functions, comparisons ...).

    >>> parse_expression("tanh(x*w + b)")[1]
    ['x', 'w', 'b']
    """
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {text!r}: {exc.msg}") from None
    names: list[str] = []

    def check(node: ast.AST) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            check(node.left)
            check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            check(node.operand)
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            pass
        elif isinstance(node, ast.Name):
            if node.id in _FUNCTIONS:
                raise ExpressionError(f"{node.id!r} is a function: call it, as in {node.id}(x)")
            if node.id not in names:
                names.append(node.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
            if len(node.args) != 1 or node.keywords:
                raise ExpressionError(f"{node.func.id}() takes exactly one argument")
            check(node.args[0])
        elif isinstance(node, ast.Call):
            raise ExpressionError(f"unknown function {ast.unparse(node.func)!r}; allowed: {', '.join(_FUNCTIONS)}")
        else:
            raise ExpressionError(f"{ast.unparse(node)!r} is not allowed: use numbers, variables, + - * / ** "
                                  f"and the functions {', '.join(_FUNCTIONS)}")

    check(tree.body)
    return tree, names


def _evaluate(node: ast.AST, env: dict[str, Any]) -> Any:
    """Evaluate a checked expression tree on Values (no ``eval``)."""
    import autograd_engine as ae

    if isinstance(node, ast.Expression):
        return _evaluate(node.body, env)
    if isinstance(node, ast.BinOp):
        a, b = _evaluate(node.left, env), _evaluate(node.right, env)
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                "**": lambda: a**b}[_BINARY[type(node.op)]]()
    if isinstance(node, ast.UnaryOp):
        v = _evaluate(node.operand, env)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Constant):
        return ae.Value(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    arg = _evaluate(node.args[0], env)
    return abs(arg) if node.func.id == "abs" else getattr(arg, node.func.id)()


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _UserError(f"--{name} needs a number, got {text!r}") from None
    if not math.isfinite(value):
        raise _UserError(f"--{name} needs a finite number, got {text!r}")
    return value


def _out_dir(path: str) -> str:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise _UserError(f"cannot create the output folder {path!r}: {exc.strerror}") from None
    return path


def _write_graph(root: Any, path: str, **options: Any) -> str:
    """Render to ``path`` (by extension); without Graphviz, write the DOT source next to it and say so."""
    import autograd_engine as ae

    if os.path.splitext(path)[1].lower() == ".dot" or shutil.which("dot"):
        return ae.save_graph(root, path, **options)
    dot_path = os.path.splitext(path)[0] + ".dot"
    ae.save_graph(root, dot_path, **options)
    print(f"note: Graphviz's `dot` is not installed, so {dot_path} holds the DOT source instead of {path}; "
          f"install it (`apt install graphviz` / `brew install graphviz`) to render pictures", file=sys.stderr)
    return dot_path


def _train_and_report(model: Any, X: Any, y: Any, args: argparse.Namespace, **fit_args: Any) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import nn

    try:
        history = nn.fit(model, X, y, progress=not args.quiet, **fit_args)
    except ValueError as exc:  # the library's checks of the options (epochs, lr, batch size ...)
        raise _UserError(str(exc)) from None
    return _report(model, X, y, args, history, fit_args.get("loss"))


def _layer_of(v: Any) -> str | None:
    """Group an MLP's parameters by layer: ``layers.1.neurons.3.w.0`` -> ``layers.1``."""
    head, sep, _ = v.label.partition(".neurons.")
    return head if sep else None


def _report(model: Any, X: Any, y: Any, args: argparse.Namespace, history: Any, loss: Any) -> int:
    import nn

    outputs = list(nn.predict(model, X))
    labels = 2 * y - 1 if loss == "hinge" else y
    acc = nn.accuracy([list(o) if hasattr(o, "__len__") else o for o in outputs], labels, loss or "hinge")
    if history is not None:
        print(f"final loss {history.loss[-1]:.6f}")
    print(f"accuracy {100 * acc:.1f}%")
    out = _out_dir(args.out)
    fig = nn.plot_decision_boundary(model, X, y)
    boundary = os.path.join(out, "decision_boundary.png")
    fig.savefig(boundary, dpi=110)
    sample = model(X[0].tolist())
    graph = _write_graph(sample if not isinstance(sample, list) else sample[0], os.path.join(out, "graph.svg"),
                         group_by=_layer_of)
    print(f"wrote {boundary}")
    print(f"wrote {graph}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import nn

    X, y = nn.make_moons(100, noise=0.1, seed=args.seed)
    model = nn.MLP(2, [16, 16, 1], seed=args.seed)
    print(f"training {model} on moons (100 points): SVM loss + 1e-4 L2, SGD, lr 1.0 -> 0.1, 100 steps")
    return _train_and_report(model, X, y, args, loss="hinge", optimizer="sgd", lr=1.0, l2=1e-4, epochs=100,
                             schedule=lambda opt: nn.LinearLR(opt, total_steps=100, end_factor=0.1))


def _dataset(name: str, n: int, seed: int) -> tuple[Any, Any]:
    import nn

    try:
        if name == "spirals":
            return nn.make_spirals(n, n_classes=3, seed=seed)
        return nn.DATASETS[name](n, seed=seed)
    except ValueError as exc:
        raise _UserError(f"--samples: {exc}") from None


def _train(args: argparse.Namespace) -> int:
    import nn

    X, y = _dataset(args.dataset, args.samples, args.seed)
    n_classes = len(set(y.tolist()))
    loss = args.loss or ("cross_entropy" if n_classes > 2 else "hinge")
    if args.load:
        try:
            model = nn.load(args.load)
        except (OSError, ValueError) as exc:
            raise _UserError(f"cannot load {args.load}: {exc}") from None
        print(f"evaluating {model} from {args.load} on {args.dataset}")
        return _report(model, X, y, args, None, loss)
    try:
        hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
        model = nn.MLP(2, [*hidden, n_classes if loss == "cross_entropy" else 1], activation=args.activation,
                       init=args.init, seed=args.seed)
    except ValueError as exc:
        raise _UserError(f"--hidden needs comma-separated layer widths like 16,16, got {args.hidden!r} ({exc})") \
            from None
    print(f"training {model} on {args.dataset} ({len(X)} points): {loss}, {args.optimizer}, lr {args.lr}")
    code = _train_and_report(model, X, y, args, loss=loss, optimizer=args.optimizer, lr=args.lr,
                             epochs=args.epochs, batch_size=args.batch_size)
    if args.save:
        print(f"wrote {nn.save(model, args.save)}")
    return code


def _graph(args: argparse.Namespace, extra: list[str]) -> int:
    import autograd_engine as ae

    try:
        tree, names = parse_expression(args.expression)
    except ExpressionError as exc:
        raise _UserError(str(exc)) from None
    values: dict[str, float] = {}
    it = iter(extra)
    for token in it:
        if not token.startswith("--") or len(token) < 3:
            raise _UserError(f"unexpected argument {token!r}: give variables as --NAME NUMBER")
        name, _, inline = token[2:].partition("=")
        text = inline if inline else next(it, None)
        if text is None:
            raise _UserError(f"--{name} needs a number")
        values[name] = _number(text, name)
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise _UserError(f"--{unknown[0]} is not a variable of the expression (its variables: {', '.join(names)})")
    missing = [n for n in names if n not in values]
    if missing:
        raise _UserError(f"variable {missing[0]!r} has no value: pass --{missing[0]} NUMBER")
    env = {n: ae.Value(values[n], n) for n in names}
    out = _evaluate(tree, env)
    out.label = "out"
    out.backward()
    print(f"{args.expression} = {out.data:.6g}")
    for n in names:
        print(f"  d/d{n} = {env[n].grad:.6g}")
    path = _write_graph(out, args.out)
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the console script."""
    parser = argparse.ArgumentParser(prog="autograd-engine",
                                     description="A scalar reverse-mode autodiff engine: demo and teaching tools.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="train micrograd's moons demo; write a decision boundary and a graph",
                          description="Train an MLP 2-16-16-1 on moons like micrograd's demo, print the loss and "
                                      "accuracy, and write decision_boundary.png and graph.svg into --out.")
    demo.add_argument("--out", default="autograd-demo", help="output folder (default: ./autograd-demo)")
    demo.add_argument("--seed", type=int, default=1337, help="seed for data and weights (default: 1337)")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(run=_demo)

    train = sub.add_parser("train", help="train (or --load and evaluate) an MLP on a toy data set",
                           description="Train an MLP on a generated data set; writes decision_boundary.png and "
                                       "graph.svg into --out, and the model with --save.")
    train.add_argument("--dataset", choices=["xor", "moons", "circles", "spirals"], default="moons")
    train.add_argument("--samples", type=int, default=100, help="number of points (default: 100)")
    train.add_argument("--hidden", default="16,16", help="hidden layer widths, comma-separated (default: 16,16)")
    train.add_argument("--activation", choices=["relu", "tanh", "sigmoid", "leaky_relu"], default="relu")
    train.add_argument("--init", choices=["uniform", "xavier", "he"], default="uniform")
    train.add_argument("--loss", choices=["hinge", "binary_cross_entropy", "cross_entropy", "mse"],
                       help="default: cross_entropy for spirals, else hinge")
    train.add_argument("--optimizer", choices=["sgd", "rmsprop", "adam"], default="adam")
    train.add_argument("--lr", type=float, default=0.01, help="learning rate (default: 0.01)")
    train.add_argument("--epochs", type=int, default=100, help="passes over the data (default: 100)")
    train.add_argument("--batch-size", type=int, default=None, help="default: the whole data set")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--save", metavar="PATH", help="write the trained model as JSON")
    train.add_argument("--load", metavar="PATH", help="evaluate a saved model instead of training")
    train.add_argument("--out", default="autograd-demo", help="output folder (default: ./autograd-demo)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=_train)

    graph = sub.add_parser("graph", help="differentiate an expression and draw its graph",
                           description="Evaluate EXPRESSION (numbers, variables, + - * / **, and "
                                       f"{', '.join(_FUNCTIONS)}) with a value for each variable given as "
                                       "--NAME NUMBER, print each variable's gradient and write the graph.",
                           epilog='example: autograd-engine graph "tanh(x*w + b)" --x 2 --w -3 --b 6.88')
    graph.add_argument("expression")
    graph.add_argument("--out", default="graph.svg", help="output file: .svg, .png, .pdf or .dot (default: graph.svg)")
    graph.set_defaults(run=_graph)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; returns the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    try:
        if args.command == "graph":
            return _graph(args, extra)
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return args.run(args)
    except _UserError as exc:
        print(f"autograd-engine {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
