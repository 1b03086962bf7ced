"""User-defined primitives: your own forward and derivative rule, registered in the op table."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from . import ops
from .anomaly import AnomalyError, ReadableError, is_library_frame, where
from .ops import KINDS, OPS, Op, call_forward, check_args, ieee
from .validation import as_callable, as_real, describe, is_real
from .value import Value, apply

__all__ = ["Primitive", "primitive", "PrimitiveError"]

_custom_names: set[str] = set()


class PrimitiveError(ReadableError, RuntimeError):
    """The forward or the derivative rule of a user's primitive raised: the message names the primitive,
    where its function is defined and the line that raised; the original error is its ``__cause__``.
    """


class Primitive:
    """A registered user-defined op. Call it like a function.

    With Values (or a mix of Values and numbers) it returns a new graph node whose
    ``op`` is the primitive's name; with numbers only it returns a float.

    Attributes:
        op: the :class:`Op` in the table.
    """

    def __init__(self, op: Op):
        self.op = op
        self.__name__ = op.name
        self.__doc__ = op.doc

    def __call__(self, *args: Any, param: float | None = None) -> Value | float:
        """Apply the primitive: a new node for Values, a float for numbers only.

        Raises:
            ValueError, TypeError: as for :func:`~autograd_engine.apply`.
        """
        if args and all(is_real(a) for a in args):
            check_args(self.op, len(args), param)
            c = None if param is None else as_real(param, "param")
            xs = [as_real(a, f"argument {i} of {self.op.name!r}") for i, a in enumerate(args)]
            return as_real(call_forward(self.op, xs, c), f"the result of primitive {self.op.name!r}'s forward")
        return apply(self.op, *args, param=param)

    def __repr__(self) -> str:
        return f"<primitive {self.op.name!r} ({self.op.kind.name})>"


def primitive(forward: Callable[..., float] | None = None, vjp: Callable[..., Any] | None = None, *,
              name: str | None = None, kind: str | None = None, domain: Any = None,
              params: tuple[float, ...] = (), doc: str = "") -> Any:
    """Define a new primitive op from a forward function and its derivative rule.

    The op joins the table (``OPS``), so it is drawn under its own name, listed,
    checked by ``gradcheck`` (whose report names it when its rule is wrong), and it
    works with ``backward(create_graph=True)`` when the rule is written with
    differentiable operations: arithmetic and the functions of ``autograd_engine``
    (``exp``, ``cos`` ...), which work on floats and on Values alike. (A rule using
    ``math.cos`` runs, but its result is a constant to a second derivative;
    ``gradgradcheck`` catches that.) A rule that uses a Value it closed over returns a
    Value; a plain ``backward()`` takes its number, so ``.grad`` stays a float.

    Use it directly or as a decorator::

        cube = primitive(lambda x: x ** 3, lambda g, x, out: g * 3 * x * x, name="cube")

        @primitive(vjp=lambda g, x, y, out: (g * y, g * x))
        def times(x, y):
            return x * y

    Args:
        forward: computes the result from floats. Where it raises an arithmetic error, it is
            re-run on NumPy scalars (so ``1 / 0`` gives ``inf``).
        vjp: the derivative rule: ``vjp(g, x, out) -> dx`` (unary), ``vjp(g, x, y, out) -> (dx, dy)``
            (binary), ``vjp(g, x, c, out) -> dx`` (param), ``vjp(g, xs, out) -> [dx...]`` (nary).
        name: the op's name (default: the forward function's name). Redefining a primitive of
            the same name replaces it (handy when a notebook cell is re-run); a built-in op's name
            cannot be taken.
        kind: "unary", "binary", "param" or "nary"; by default "unary" or "binary" from the
            number of parameters of ``forward``.
        domain: where the op is smooth, as for ``Op``; by default (-3, 3) for every argument.
        params: sample constants of a "param" op (default ``(1.0,)``).
        doc: a one-line description (default: the first line of the forward's docstring).

    Returns:
        A :class:`Primitive` (or, without ``forward``, a decorator that makes one).

    Raises:
        TypeError: ``forward`` or ``vjp`` is not callable, ``kind`` cannot be inferred, or ``name``
            or ``kind`` is not a str.
        ValueError: an unknown ``kind``, a missing or taken ``name``, or a malformed ``domain``.

    >>> cube = primitive(lambda x: x ** 3, lambda g, x, out: g * 3 * x * x, name="cube_doc")
    >>> y = cube(Value(2.0))
    >>> y.backward()
    >>> y.op, y.data, y.parents[0].grad
    ('cube_doc', 8.0, 12.0)
    """
    if forward is None:
        return lambda fwd: primitive(fwd, vjp, name=name, kind=kind, domain=domain, params=params, doc=doc)
    as_callable(forward, "forward")
    as_callable(vjp, "vjp")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str, got {describe(name)}")
    if name == "":
        raise ValueError("name must not be empty, got ''")
    name = name or getattr(forward, "__name__", "")
    if not name or name == "<lambda>":
        raise ValueError("name is required for a primitive defined with a lambda")
    if name in OPS and name not in _custom_names:
        raise ValueError(f"{name!r} is a built-in op; choose another name")
    if kind is not None and not isinstance(kind, str):
        raise TypeError(f"kind must be a str, one of {', '.join(KINDS)}, got {describe(kind)}")
    code = _infer_kind(forward) if kind is None else KINDS.get(kind)
    if code is None:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    forward_args, vjp_args = _ARGUMENTS[code.name]
    _check_takes(forward, forward_args, f"forward of the {code.name} primitive {name!r}")
    _check_takes(vjp, vjp_args, f"vjp of the {code.name} primitive {name!r}")
    if domain is None:
        domain = (ops.REALS,) * (2 if code is ops.BINARY else 1)
    if code is ops.PARAM and not params:
        params = (1.0,)
    doc = doc or (inspect.getdoc(forward) or "").split("\n")[0] or f"user-defined op {name}"

    op = Op(name, code, _checked_forward(forward, name), _checked_vjp(vjp, name, code), domain, params=tuple(params),
            doc=doc)
    previous = OPS.pop(name, None)
    try:
        ops.register(op)
    except Exception:
        if previous is not None:
            OPS[name] = previous
        raise
    _custom_names.add(name)
    return Primitive(op)


#: What the forward and the derivative rule of a primitive of each kind are called with.
_ARGUMENTS = {"unary": (("x",), ("g", "x", "out")), "binary": (("x", "y"), ("g", "x", "y", "out")),
              "param": (("x", "c"), ("g", "x", "c", "out")), "nary": (("xs",), ("g", "xs", "out"))}


def _check_takes(fn: Callable[..., Any], names: tuple[str, ...], what: str) -> None:
    """A TypeError naming ``what`` when ``fn`` cannot be called with one positional argument per name."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature: calling it will tell
        return
    try:
        signature.bind(*names)
    except TypeError:
        n = len(names)
        raise TypeError(f"{what} must take {n} positional argument{'s' if n > 1 else ''} ({', '.join(names)}), got "
                        f"{type(fn).__name__} {getattr(fn, '__name__', '')}{_defined_at(fn)}") from None


def _defined_at(fn: Callable[..., Any]) -> str:
    """`` (defined at file.py:12)`` (``Cell In[3], line 2`` in a notebook) for a Python function, else ``""``."""
    code = getattr(fn, "__code__", None)
    return "" if code is None else f" (defined at {where(code.co_filename, code.co_firstlineno)})"


def _raised_at(exc: BaseException) -> str:
    """``, at file.py:14``: the innermost line of the user's code in ``exc``'s traceback, or ``""``."""
    found = ""
    tb = exc.__traceback__
    while tb is not None:
        if not is_library_frame(tb.tb_frame):
            found = f", at {where(tb.tb_frame.f_code.co_filename, tb.tb_lineno)}"
        tb = tb.tb_next
    return found


def _call_user(fn: Callable[..., Any], args: tuple[Any, ...], who: str) -> Any:
    """``fn(*args)`` with IEEE results where Python raises; any other error is reported as ``who`` failing."""
    __tracebackhide__ = True
    try:
        return ieee(fn, *args)
    except AnomalyError:  # raised by the engine inside a rule written with Values: already names its place
        raise
    except Exception as exc:
        raise PrimitiveError(f"{who}{_defined_at(fn)} raised {type(exc).__name__}: {exc}{_raised_at(exc)}") from exc


def _checked_forward(forward: Callable[..., Any], name: str) -> Callable[..., float]:
    """``forward`` with IEEE results, and its errors and results reported as primitive ``name``'s."""
    who = f"the forward of primitive {name!r}"

    def checked(*args: Any) -> float:
        __tracebackhide__ = True
        result = _call_user(forward, args, who)
        if isinstance(result, Value) or not is_real(result):
            raise TypeError(f"{who}{_defined_at(forward)} returned {describe(result)}; expected a real number "
                            f"(it is called with floats)")
        return result

    return checked


def _checked_vjp(vjp: Callable[..., Any], name: str, kind: ops.Kind) -> Callable[..., Any]:
    """``vjp`` with its result checked: one real number or Value per input, named errors otherwise.

    An error raised inside ``vjp`` (other than an arithmetic one that IEEE answers, as for
    the built-in rules) is reported as the primitive's rule failing, with its name, where it
    is defined and the line that raised.
    """
    who = f"the derivative rule of primitive {name!r}"

    def fail(what: str) -> TypeError:
        return TypeError(f"{who}{_defined_at(vjp)} {what}")

    def gradient(d: Any, i: int, on_floats: bool) -> Any:
        if isinstance(d, Value):  # a rule using a Value it closed over: a number on the float path
            return d.data if on_floats else d
        if is_real(d):
            # as a float: a NumPy scalar would carry its precision into every .grad it reaches
            return as_real(d, f"the gradient of input {i} from the derivative rule of primitive {name!r}")
        raise fail(f"returned {describe(d)} as the gradient of input {i}; expected a real number or a Value")

    if kind.n_args == 1:
        def checked(*args: Any) -> Any:
            __tracebackhide__ = True
            return gradient(_call_user(vjp, args, who), 0, not isinstance(args[1], Value))
        return checked

    def checked_many(*args: Any) -> Any:
        __tracebackhide__ = True
        result = _call_user(vjp, args, who)
        first = args[1][0] if kind is ops.NARY else args[1]
        expected = 2 if kind is ops.BINARY else len(args[1])
        if not isinstance(result, (list, tuple)):
            raise fail(f"returned {describe(result)}; expected a tuple of {expected} gradients, one per input")
        if len(result) != expected:
            raise ValueError(f"{who}{_defined_at(vjp)} returned {len(result)} gradient(s); "
                             f"expected {expected}, one per input")
        on_floats = not isinstance(first, Value)
        return [gradient(d, i, on_floats) for i, d in enumerate(result)]

    return checked_many


def _infer_kind(forward: Callable[..., float]) -> ops.Kind:
    try:
        sig = inspect.signature(forward)
    except (TypeError, ValueError):
        raise TypeError("cannot read forward's signature; pass kind= ('unary', 'binary', 'param' or 'nary')") from None
    positional = [p for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    if len(positional) == 1:
        return ops.UNARY
    if len(positional) == 2:
        return ops.BINARY
    raise TypeError(f"forward takes {len(positional)} arguments: pass kind= ('unary', 'binary', 'param' or 'nary')")
