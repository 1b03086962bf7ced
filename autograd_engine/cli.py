"""The expression grapher, ``graph``: differentiate an expression and draw its graph.

Run it as ``python -m autograd_engine graph "tanh(x*w + b)" --x 2 --w -3 --b 6.88``. The
``autograd-engine`` console script (``nn.cli``, also ``python -m nn``) adds the network
package's ``demo`` and ``train`` commands to this one; the engine itself never imports ``nn``.

This module also holds what any command line built on the engine shares: the
:class:`CommandParser` (argument mistakes become a :class:`UsageError`), :func:`run` (a
``UsageError`` is one line on stderr and exit status 2, never a traceback), and the up-front
checks of output paths, :func:`check_output_file` and :func:`prepare_output_folder`.
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from .validation import describe

__all__ = ["main", "build_parser", "add_graph_command", "read_graph_arguments", "run_graph", "parse_expression",
           "evaluate_expression", "ExpressionError", "UsageError", "CommandParser", "run", "check_output_file",
           "prepare_output_folder", "write_graph", "shown", "FUNCTIONS", "GRAPH_FORMATS", "MAX_LENGTH", "MAX_DEPTH",
           "MAX_LITERAL"]

FUNCTIONS = ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "softplus", "sin", "cos", "abs")
GRAPH_FORMATS = (".svg", ".png", ".pdf", ".dot")
#: The longest expression ``graph`` reads, in characters.
MAX_LENGTH = 10_000
#: The deepest nesting of operations: ``x+x+...+x`` nests one level per term.
MAX_DEPTH = 100
#: The longest number literal, in characters (the largest float, 1.8e308, needs 309 digits written out).
MAX_LITERAL = 100
#: The most characters of a value given by the user that an error message quotes.
MAX_SHOWN = 200

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b,
}
_WORD = re.compile(r"[\w.]+")
_VARIABLE_OPTION = re.compile(r"--([^\W\d]\w*)(?:=(.*))?\Z", re.S)


def shown(text: str) -> str:
    """``text`` quoted for an error message: its repr (one line), cut after :data:`MAX_SHOWN` characters.

    >>> print(shown("a\\nb"), shown("x" * 1000)[-24:])
    'a\\nb' x'... (1,000 characters)
    """
    if len(text) <= MAX_SHOWN:
        return repr(text)
    return f"{text[:MAX_SHOWN]!r}... ({len(text):,} characters)"


def _one_line(text: str) -> str:
    """``text`` with line breaks and other unprintable characters written as escapes."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else f"{text[:MAX_SHOWN]}..."


def _flag(name: str) -> str:
    """``--NAME`` as typed, cut like :func:`shown` when a variable name is absurdly long."""
    return f"--{name}" if len(name) <= MAX_SHOWN else f"--{name[:MAX_SHOWN]}..."


class ExpressionError(ValueError):
    """An expression given to ``graph`` that is not allowed, too big, or cannot be parsed."""


class UsageError(Exception):
    """A mistake on the command line: reported by :func:`run` as one line on stderr.

    Args:
        message: what is wrong, naming the option and the value given.
        status: the exit status (2 for a usage mistake, 1 when writing a result failed).
        prog: who reports it (``"autograd-engine train"``); :func:`run` fills it in when None.
    """

    def __init__(self, message: str, *, status: int = 2, prog: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.prog = prog


class CommandParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose mistakes raise :class:`UsageError` instead of printing usage and exiting.

    A command may read its own arguments: register it with ``set_defaults(read_arguments=f)`` and
    the parser calls ``f(tokens)`` with the command's tokens as typed, putting the dict it
    returns into the namespace. ``graph`` needs this, because its expression may start with a
    minus (``"-x*2"``) and its variables are options nobody declared (``--x 3``).
    """

    def error(self, message: str) -> Any:
        """Raise :class:`UsageError` for an argument mistake (argparse's own messages)."""
        raise UsageError(message, prog=self.prog)

    def parse_known_args(self, args: Sequence[str] | None = None,
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        """As ``ArgumentParser.parse_known_args``, but a command with ``read_arguments`` reads its own tokens."""
        read = self.get_default("read_arguments")
        if read is None:
            return super().parse_known_args(args, namespace)
        tokens = list(sys.argv[1:] if args is None else args)
        options = tokens[:tokens.index("--")] if "--" in tokens else tokens
        if "-h" in options or "--help" in options:
            self.print_help()
            self.exit()
        namespace, _ = super().parse_known_args([], namespace)
        try:
            found = read(tokens)
        except UsageError as exc:
            exc.prog = exc.prog or self.prog
            raise
        for key, value in found.items():
            setattr(namespace, key, value)
        return namespace, []


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` with ``parser`` and run the chosen command (``args.run(args)``); returns the exit status.

    A :class:`UsageError` becomes one line on stderr, ``PROG COMMAND: error: MESSAGE`` (a line
    break or other unprintable character in the message is written as an escape), and its
    status (2); Ctrl-C stops with one line and status 130. Commands are chosen with
    ``add_subparsers(dest="command")`` and ``set_defaults(run=...)``.
    """
    args = None
    try:
        args = parser.parse_args(argv)
        return args.run(args)
    except UsageError as exc:
        prog = exc.prog or " ".join(filter(None, [parser.prog, getattr(args, "command", None)]))
        print(f"{prog}: error: {_one_line(str(exc))}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130


# -- output paths, checked before any work --------------------------------------------------------------------

def _check_path(path: str, option: str) -> None:
    if not path or "\0" in path:
        raise UsageError(f"{option} needs a file or folder name without NUL characters, got {shown(path)}")


def _probe_writable(folder: str, option: str) -> None:
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UsageError(f"{option}: cannot write into the folder {shown(folder)}: {exc.strerror or exc}") from None


def _refuse_read_only(path: str, option: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"{option}: cannot use {shown(path)}: {exc.strerror or exc}") from None
    if mode & 0o222 == 0:
        raise UsageError(f"{option}: {shown(path)} is read-only; remove it or choose another file")


def check_output_file(path: str, option: str, formats: Sequence[str] | None = None) -> str:
    """Check, before any work, that a result can be written to ``path``; returns ``path``.

    Args:
        path: the file to write.
        option: the option that named it (``"--out"``), for the message.
        formats: the allowed extensions (``(".svg", ".png")``), or None for any.

    Raises:
        UsageError: the extension is not allowed, ``path`` is a folder or a read-only file,
            or its folder is missing or not writable.

    >>> check_output_file("graph.gif", "--out", GRAPH_FORMATS)
    Traceback (most recent call last):
    ...
    autograd_engine.cli.UsageError: --out must end in .svg, .png, .pdf or .dot, got 'graph.gif'
    """
    _check_path(path, option)
    if formats is not None and os.path.splitext(path)[1].lower() not in formats:
        allowed = ", ".join(formats[:-1]) + f" or {formats[-1]}" if len(formats) > 1 else formats[0]
        raise UsageError(f"{option} must end in {allowed}, got {shown(path)}")
    if os.path.isdir(path):
        raise UsageError(f"{option}: {shown(path)} is a folder; give a file name")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"{option}: the folder {shown(os.path.dirname(path) or '.')} does not exist")
    _refuse_read_only(path, option)
    _probe_writable(folder, option)
    return path


def prepare_output_folder(path: str, option: str, files: Sequence[str] = ()) -> str:
    """Make the output folder ``path`` (its parent must exist) and check it is writable; returns ``path``.

    Args:
        path: the folder; created when missing, but only as the last step of an existing path.
        option: the option that named it (``"--out"``), for the message.
        files: names of the files that will be written into it (checked not read-only).

    Raises:
        UsageError: the parent folder is missing, ``path`` is a file, or it is not writable.
    """
    _check_path(path, option)
    if not os.path.isdir(path):
        if os.path.exists(path):
            raise UsageError(f"{option}: {shown(path)} is a file, not a folder")
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise UsageError(f"{option}: cannot create {shown(path)}: the folder {shown(os.path.dirname(path))} "
                             f"does not exist")
        try:
            os.mkdir(path)
        except OSError as exc:
            raise UsageError(f"{option}: cannot create the folder {shown(path)}: {exc.strerror or exc}") from None
    for name in files:
        _refuse_read_only(os.path.join(path, name), option)
    _probe_writable(path, option)
    return path


def write_graph(root: Any, path: str, **options: Any) -> str:
    """Draw ``root`` into ``path`` (format by extension); without Graphviz, write the DOT source beside it.

    Returns:
        The path written (``x.dot`` instead of ``x.svg`` when ``dot`` is missing; a note on stderr says so).

    Raises:
        UsageError: the file cannot be written (status 1).
    """
    from .viz import save_graph

    target = path
    if os.path.splitext(path)[1].lower() != ".dot" and not shutil.which("dot"):
        target = os.path.splitext(path)[0] + ".dot"
        print(f"note: Graphviz's `dot` is not installed, so {target} holds the DOT source instead of {path}; "
              f"install it (`apt install graphviz` / `brew install graphviz`) to render pictures", file=sys.stderr)
    try:
        return save_graph(root, target, **options)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}", status=1) from None


# -- expressions ----------------------------------------------------------------------------------------------

def _depth(tree: ast.AST) -> int:
    """How deep the tree nests (iterative, so a deep tree cannot overflow the stack)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _check_size(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression has {len(text):,} characters; at most {MAX_LENGTH:,} are read")
    for word in _WORD.findall(text):
        is_number = word[0].isdigit() or (word[0] == "." and word[1:2].isdigit())
        if is_number and len(word) > MAX_LITERAL:
            raise ExpressionError(f"the number {word[:20]}... has {len(word):,} characters; "
                                  f"number literals may have at most {MAX_LITERAL}")


def parse_expression(text: str) -> tuple[ast.Expression, list[str]]:
    """Parse ``text`` with Python's ``ast``, allowing only arithmetic, numbers, names and known functions.

    Bounded: at most :data:`MAX_LENGTH` characters, :data:`MAX_DEPTH` levels of nesting and
    number literals of :data:`MAX_LITERAL` characters that fit in a float.

    Returns:
        The parsed expression and its variable names in order of first appearance.

    Raises:
        ExpressionError: anything else (attribute access, calls of other functions, comparisons,
            a literal too big for a float, an expression too long or nested too deeply ...).

    >>> parse_expression("tanh(x*w + b)")[1]
    ['x', 'w', 'b']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {describe(text)}")
    _check_size(text)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {shown(text)}: {exc.msg}") from None
    except ValueError as exc:  # Python 3.11 refuses NUL characters with a ValueError
        raise ExpressionError(f"cannot parse {shown(text)}: {exc}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"the expression nests more than {MAX_DEPTH} levels deep") from None
    if _depth(tree.body) > MAX_DEPTH:
        raise ExpressionError(f"the expression nests more than {MAX_DEPTH} levels deep (a chain like x+x+...+x "
                              f"nests one level per term)")
    names: list[str] = []

    def check(node: ast.AST) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            check(node.left)
            check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            check(node.operand)
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            if not math.isfinite(float(node.value)):
                raise ExpressionError(f"the number {ast.get_source_segment(text.strip(), node)} is too large for "
                                      f"a float (at most {sys.float_info.max:.4g})")
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ExpressionError(f"{node.id!r} is a function: call it, as in {node.id}(x)")
            if node.id not in names:
                names.append(node.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
            if len(node.args) != 1 or node.keywords:
                raise ExpressionError(f"{node.func.id}() takes exactly one argument")
            check(node.args[0])
        elif isinstance(node, ast.Call):
            raise ExpressionError(f"unknown function {shown(ast.unparse(node.func))}; allowed: {', '.join(FUNCTIONS)}")
        else:
            raise ExpressionError(f"{shown(ast.unparse(node))} is not allowed: use numbers, variables, + - * / ** "
                                  f"and the functions {', '.join(FUNCTIONS)}")

    check(tree.body)
    return tree, names


def _has_names(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) for n in ast.walk(node))


def evaluate_expression(tree: ast.Expression, env: dict[str, Any]) -> Any:
    """Evaluate a tree from :func:`parse_expression` on Values (no ``eval``): the graph Python would build.

    Every number is a constant leaf, except an exponent without variables: ``x**2`` and
    ``x**(1/2)`` are powers with a constant (the ``**`` op), as ``x ** 2`` in Python is.

    Args:
        tree: the parsed expression.
        env: a Value for each variable name.

    >>> from autograd_engine import Value
    >>> out = evaluate_expression(parse_expression("x**2")[0], {"x": Value(3.0)})
    >>> out.data, out.op, out.param
    (9.0, '**', 2.0)
    """
    import autograd_engine as ae

    def evaluate(node: ast.AST) -> Any:
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow) and not _has_names(node.right):
                return evaluate(node.left) ** evaluate(node.right).data
            return _BINARY[type(node.op)](evaluate(node.left), evaluate(node.right))
        if isinstance(node, ast.UnaryOp):
            v = evaluate(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Constant):
            return ae.Value(node.value)
        if isinstance(node, ast.Name):
            return env[node.id]
        arg = evaluate(node.args[0])
        return abs(arg) if node.func.id == "abs" else getattr(arg, node.func.id)()

    return evaluate(tree.body)


# -- the graph command ----------------------------------------------------------------------------------------

def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{_flag(name)} needs a number, got {shown(text)}") from None
    if not math.isfinite(value):
        raise UsageError(f"{_flag(name)} needs a finite number, got {shown(text)}")
    return value


def read_graph_arguments(tokens: Sequence[str]) -> dict[str, Any]:
    """The arguments of ``graph`` as typed: ``EXPRESSION``, ``--out FILE`` and ``--NAME NUMBER`` in any order.

    The first token that is not an option is the expression, so ``"-x*2"`` is one; after
    ``--`` every token is. Option values are taken as they are, so ``--w -3`` works. Option
    names are NFKC-normalised, as Python normalises the names in the expression.

    Returns:
        ``{"expression": str, "variables": {name: text}}``, and ``"out"`` when given.

    Raises:
        UsageError: a missing expression or option value, or a second expression.

    >>> read_graph_arguments(["-x*2", "--x", "-3"])
    {'expression': '-x*2', 'variables': {'x': '-3'}}
    """
    found: dict[str, Any] = {"expression": None, "variables": {}}
    it = iter(tokens)
    positional_only = False
    for token in it:
        option = None if positional_only else _VARIABLE_OPTION.match(token)
        if token == "--" and not positional_only:
            positional_only = True
        elif option is not None:
            name, inline = option.groups()
            name = unicodedata.normalize("NFKC", name)  # as Python reads the names in the expression
            want = "a file name" if name == "out" else "a number"
            value = inline if inline is not None else next(it, None)
            if value is not None and inline is None and _VARIABLE_OPTION.match(value):
                raise UsageError(f"{_flag(name)} needs {want}, got {shown(value)}")
            if value is None:
                raise UsageError(f"{_flag(name)} needs {want}")
            if name in found["variables"] or (name == "out" and "out" in found):
                raise UsageError(f"{_flag(name)} is given twice")
            if name == "out":
                found["out"] = value
            else:
                found["variables"][name] = value
        elif found["expression"] is None:
            found["expression"] = token
        else:
            raise UsageError(f"unexpected argument {shown(token)}: give one expression, "
                             f"and variables as --NAME NUMBER")
    if found["expression"] is None:
        raise UsageError("the expression to graph is missing, as in: graph \"x*y + 1\" --x 2 --y 3")
    return found


def run_graph(args: argparse.Namespace) -> int:
    """The ``graph`` command: print the expression's value and gradients, write its drawing to ``args.out``."""
    try:
        tree, names = parse_expression(args.expression)
    except ExpressionError as exc:
        raise UsageError(str(exc)) from None
    for reserved in ("out", "help"):
        if reserved in names:
            raise UsageError(f"the variable name {reserved!r} is taken by --{reserved}; rename the variable")
    values = {name: _number(text, name) for name, text in args.variables.items()}
    unknown = [n for n in values if n not in names]
    if unknown:
        raise UsageError(f"{_flag(unknown[0])} is not a variable of the expression "
                         f"(its variables: {_cut(', '.join(names)) or 'none'})")
    missing = [n for n in names if n not in values]
    if missing:
        raise UsageError(f"variable {shown(missing[0])} has no value: pass {_flag(missing[0])} NUMBER")
    check_output_file(args.out, "--out", GRAPH_FORMATS)

    import autograd_engine as ae

    env = {n: ae.Value(values[n], n) for n in names}
    try:
        out = evaluate_expression(tree, env)
        out.label = "out"
        out.backward()
    except ArithmeticError as exc:
        raise UsageError(f"cannot evaluate {shown(args.expression)}: {exc}") from None
    print(f"{args.expression} = {out.data:.6g}")
    for n in names:
        print(f"  d/d{n} = {env[n].grad:.6g}")
    print(f"wrote {write_graph(out, args.out)}")
    return 0


def add_graph_command(commands: Any) -> argparse.ArgumentParser:
    """Add ``graph`` to a parser's commands (the object ``add_subparsers`` returns); returns its parser.

    The parser making ``commands`` must be a :class:`CommandParser`, so ``graph`` reads its own tokens.
    """
    graph = commands.add_parser(
        "graph", help="differentiate an expression and draw its graph",
        usage="%(prog)s EXPRESSION [--NAME NUMBER ...] [--out FILE]",
        description=f"Evaluate EXPRESSION (numbers, variables, + - * / **, and {', '.join(FUNCTIONS)}) with a value "
                    f"for each variable given as --NAME NUMBER, print each variable's gradient and write the graph. "
                    f"An expression may start with a minus; at most {MAX_LENGTH:,} characters, {MAX_DEPTH} levels "
                    f"of nesting.",
        epilog='example: %(prog)s "tanh(x*w + b)" --x 2 --w -3 --b 6.88')
    graph.add_argument("expression", nargs="?", help="the expression, quoted")
    graph.add_argument("--NAME", metavar="NUMBER", dest="variables", help="the value of the variable NAME")
    graph.add_argument("--out", default="graph.svg", metavar="FILE",
                       help="output file: .svg, .png, .pdf or .dot (default: graph.svg)")
    graph.set_defaults(run=run_graph, read_arguments=read_graph_arguments)
    return graph


def build_parser(prog: str = "python -m autograd_engine") -> CommandParser:
    """The engine's own command line: only ``graph`` (``autograd-engine`` adds ``demo`` and ``train``)."""
    parser = CommandParser(prog=prog, description="Differentiate an expression and draw its graph. The "
                                                  "autograd-engine command (or python -m nn) also has demo and train.")
    add_graph_command(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m autograd_engine``; returns the exit status."""
    return run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
