"""The ``autograd-engine`` console script (also ``python -m nn``): ``demo`` and ``train`` from this package,
``graph`` from the engine (:mod:`autograd_engine.cli`).

Every mistake on the command line is one line on stderr and exit status 2, found before any
training starts: options are checked, the output folder is made and probed, and the file
``--save`` will write is checked, all before the first step, so a finished training is never lost.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd_engine.cli import (
    CommandParser,
    UsageError,
    add_graph_command,
    check_output_file,
    prepare_output_folder,
    run,
    shown,
    write_graph,
)
from autograd_engine.validation import as_int, as_real

__all__ = ["main", "build_parser", "parse_widths", "count_parameters", "MAX_SAMPLES", "MAX_PARAMETERS",
           "TRAINING_OPTIONS"]

PROG = "autograd-engine"
#: The most points ``train --samples`` generates.
MAX_SAMPLES = 1_000_000
#: The most parameters ``train --hidden`` builds (each one is a scalar node of the engine).
MAX_PARAMETERS = 1_000_000
#: Options that shape or train a new model: meaningless with ``--load`` (their defaults are filled in later).
TRAINING_OPTIONS = {"hidden": "16,16", "activation": "relu", "init": "uniform", "optimizer": "adam", "lr": 0.01,
                    "epochs": 100, "batch_size": None, "save": None}
OUTPUT_FILES = ("decision_boundary.png", "graph.svg")
_WIDTH = re.compile(r"[0-9]{1,12}")


def parse_widths(text: str) -> list[int]:
    """Hidden layer widths from ``--hidden``: ``"16,16"`` -> ``[16, 16]``; ``""`` means no hidden layer.

    Raises:
        UsageError: an empty item (``16,,16``), a non-number, or a width below 1.

    >>> parse_widths("16, 8")
    [16, 8]
    """
    if not text.strip():
        return []
    widths = []
    for item in text.split(","):
        item = item.strip()
        if not _WIDTH.fullmatch(item):
            raise UsageError(f"--hidden needs comma-separated layer widths like 16,16, got {shown(text)}")
        if int(item) < 1:
            raise UsageError(f"--hidden: each layer width must be an int >= 1, got {item} in {shown(text)}")
        widths.append(int(item))
    return widths


def count_parameters(nin: int, nouts: Sequence[int]) -> int:
    """The number of weights and biases of ``MLP(nin, nouts)``.

    >>> count_parameters(2, [16, 16, 1])
    337
    """
    total, fan_in = 0, nin
    for width in nouts:
        total += (fan_in + 1) * width
        fan_in = width
    return total


def _seed(args: argparse.Namespace) -> int:
    try:
        return as_int(args.seed, "--seed", minimum=0)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _dataset(name: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    import nn

    if n > MAX_SAMPLES:
        raise UsageError(f"--samples must be at most {MAX_SAMPLES:,}, got {n:,}")
    try:
        if name == "spirals":
            return nn.make_spirals(n, n_classes=3, seed=seed)
        return nn.DATASETS[name](n, seed=seed)
    except ValueError as exc:
        raise UsageError(f"--samples: {exc}") from None


def _fit(model: Any, X: np.ndarray, y: np.ndarray, args: argparse.Namespace, **fit_args: Any) -> Any:
    import nn

    try:
        return nn.fit(model, X, y, progress=not args.quiet, **fit_args)
    except (TypeError, ValueError) as exc:  # the library's own checks, should one of ours miss something
        raise UsageError(str(exc)) from None


def _layer_of(v: Any) -> str | None:
    """Group an MLP's parameters by layer: ``layers.1.neurons.3.w.0`` -> ``layers.1``."""
    head, sep, _ = v.label.partition(".neurons.")
    return head if sep else None


def _report(model: Any, X: np.ndarray, y: np.ndarray, out: str, history: Any, loss: str) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import nn

    outputs = nn.predict(model, X)
    acc = nn.accuracy([list(o) if np.ndim(o) else o for o in outputs], y, loss)
    if history is not None:
        print(f"final loss {history.loss[-1]:.6f}")
    print(f"accuracy {100 * acc:.1f}%")
    boundary = os.path.join(out, OUTPUT_FILES[0])
    try:
        nn.plot_decision_boundary(model, X, y).savefig(boundary, dpi=110)
    except OSError as exc:
        raise UsageError(f"cannot write {boundary}: {exc.strerror or exc}", status=1) from None
    sample = model(X[0].tolist())
    graph = write_graph(sample[0] if isinstance(sample, list) else sample, os.path.join(out, OUTPUT_FILES[1]),
                        group_by=_layer_of)
    print(f"wrote {boundary}")
    print(f"wrote {graph}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import nn

    seed = _seed(args)
    out = prepare_output_folder(args.out, "--out", OUTPUT_FILES)
    X, y = nn.make_moons(100, noise=0.1, seed=seed)
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    print(f"training {model} on moons (100 points): SVM loss + 1e-4 L2, SGD, lr 1.0 -> 0.1, 100 steps")
    history = _fit(model, X, y, args, loss="hinge", optimizer="sgd", lr=1.0, l2=1e-4, epochs=100,
                   schedule=lambda opt: nn.LinearLR(opt, total_steps=100, end_factor=0.1))
    return _report(model, X, y, out, history, "hinge")


def _options_given_with_load(args: argparse.Namespace) -> None:
    given = [f"--{name.replace('_', '-')}" for name in TRAINING_OPTIONS if getattr(args, name) is not None]
    if given:
        raise UsageError(f"--load evaluates a saved model as it is, so {', '.join(given)} cannot be used with it")


def _training_options(args: argparse.Namespace) -> None:
    """Fill in the defaults of the training options and check them (before anything is built)."""
    for name, default in TRAINING_OPTIONS.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    try:
        args.lr = as_real(args.lr, "--lr", finite=True, minimum=0, strict=True)
        args.epochs = as_int(args.epochs, "--epochs", minimum=1)
        if args.batch_size is not None:
            args.batch_size = as_int(args.batch_size, "--batch-size", minimum=1)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    args.widths = parse_widths(args.hidden)


def _load(path: str, X: np.ndarray, n_classes: int) -> Any:
    """The saved model, checked to take this data set's samples and give one output (or one per class)."""
    import nn

    try:
        model = nn.load(path)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"cannot load {shown(path)}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        outputs = nn.predict(model, X[:1])
    except (TypeError, ValueError, IndexError) as exc:
        raise UsageError(f"the model in {shown(path)} does not take this data set's {X.shape[1]} features: "
                         f"{exc}") from None
    width = 1 if outputs.ndim == 1 else outputs.shape[1]
    if width not in (1, n_classes) or (width == 1 and n_classes > 2):
        want = "1 output (or 2 with one per class)" if n_classes == 2 else f"{n_classes} outputs, one per class"
        outputs_text = "1 output" if width == 1 else f"{width} outputs"
        raise UsageError(f"the model in {shown(path)} has {outputs_text}; this data set has {n_classes} classes and "
                         f"needs {want}")
    return model


def _train(args: argparse.Namespace) -> int:
    import nn

    if args.load is not None:
        _options_given_with_load(args)
    else:
        _training_options(args)
    seed = _seed(args)
    X, y = _dataset(args.dataset, args.samples, seed)
    n_classes = len(set(y.tolist()))
    loss = args.loss or ("cross_entropy" if n_classes > 2 else "hinge")
    if args.load is not None:
        model = _load(args.load, X, n_classes)
        out = prepare_output_folder(args.out, "--out", OUTPUT_FILES)
        print(f"evaluating {model} from {args.load} on {args.dataset}")
        return _report(model, X, y, out, None, loss)
    nouts = [*args.widths, n_classes if loss == "cross_entropy" else 1]
    if count_parameters(2, nouts) > MAX_PARAMETERS:
        raise UsageError(f"--hidden {shown(args.hidden)} makes {count_parameters(2, nouts):,} parameters; "
                         f"at most {MAX_PARAMETERS:,} (each is one scalar node of the engine)")
    try:
        model = nn.MLP(2, nouts, activation=args.activation, init=args.init, seed=seed)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"--hidden: {exc}") from None
    if args.save is not None:
        check_output_file(args.save, "--save")
    out = prepare_output_folder(args.out, "--out", OUTPUT_FILES)
    print(f"training {model} on {args.dataset} ({len(X)} points): {loss}, {args.optimizer}, lr {args.lr}")
    history = _fit(model, X, y, args, loss=loss, optimizer=args.optimizer, lr=args.lr, epochs=args.epochs,
                   batch_size=args.batch_size)
    if args.save is not None:  # first, so that nothing after it can lose the trained model
        try:
            print(f"wrote {nn.save(model, args.save)}")
        except OSError as exc:
            raise UsageError(f"cannot write {args.save}: {exc.strerror or exc}", status=1) from None
    return _report(model, X, y, out, history, loss)


def build_parser() -> CommandParser:
    """The parser of the console script: ``demo``, ``train`` and the engine's ``graph``."""
    parser = CommandParser(prog=PROG, description="A scalar reverse-mode autodiff engine: demo and teaching tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="train micrograd's moons demo; write a decision boundary and a graph",
                               description="Train an MLP 2-16-16-1 on moons like micrograd's demo, print the loss "
                                           "and accuracy, and write decision_boundary.png and graph.svg into --out.")
    demo.add_argument("--out", default="autograd-demo",
                      help="output folder, made if missing (its parent must exist; default: ./autograd-demo)")
    demo.add_argument("--seed", type=int, default=1337, help="seed for data and weights (default: 1337)")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(run=_demo)

    train = commands.add_parser("train", help="train (or --load and evaluate) an MLP on a toy data set",
                                description="Train an MLP on a generated data set; writes decision_boundary.png and "
                                            "graph.svg into --out, and the model with --save. With --load, "
                                            "evaluate a saved model instead (no training options then).")
    train.add_argument("--dataset", choices=["xor", "moons", "circles", "spirals"], default="moons")
    train.add_argument("--samples", type=int, default=100, help="number of points (default: 100)")
    train.add_argument("--hidden", help="hidden layer widths, comma-separated (default: 16,16)")
    train.add_argument("--activation", choices=["relu", "tanh", "sigmoid", "leaky_relu"], help="default: relu")
    train.add_argument("--init", choices=["uniform", "xavier", "he"], help="default: uniform")
    train.add_argument("--loss", choices=["hinge", "binary_cross_entropy", "cross_entropy", "mse"],
                       help="default: cross_entropy for spirals, else hinge")
    train.add_argument("--optimizer", choices=["sgd", "rmsprop", "adam"], help="default: adam")
    train.add_argument("--lr", type=float, help="learning rate (default: 0.01)")
    train.add_argument("--epochs", type=int, help="passes over the data (default: 100)")
    train.add_argument("--batch-size", type=int, help="default: the whole data set")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--save", metavar="PATH", help="write the trained model as JSON")
    train.add_argument("--load", metavar="PATH", help="evaluate a saved model instead of training")
    train.add_argument("--out", default="autograd-demo",
                       help="output folder, made if missing (its parent must exist; default: ./autograd-demo)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=_train)

    add_graph_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``autograd-engine`` console script; returns the exit status."""
    return run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
