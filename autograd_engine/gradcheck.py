"""Check derivatives against central finite differences, with readable failure reports."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .backward import topological_order
from .functional import derivatives
from .modes import enable_grad
from .ops import call_forward, contributions
from .validation import as_bool, as_callable, as_real, describe, is_real
from .value import Value

if TYPE_CHECKING:
    import numpy as np

__all__ = ["GradcheckError", "RuleMismatch", "gradcheck", "gradgradcheck", "numerical_jacobian", "analytical_jacobian",
           "check_node_rule"]


@dataclass(frozen=True)
class RuleMismatch:
    """A graph node whose own derivative rule disagrees with a central difference of its forward.

    Attributes:
        node: the offending node (draw it with ``draw_dot(root, highlight=...)``).
        op: the node's op name.
        argument: which input of the op (0-based, argument order).
        rule: the derivative the op's rule gives.
        numeric: the central difference of the op's forward.
    """

    node: Value
    op: str
    argument: int
    rule: float
    numeric: float

    def __str__(self) -> str:
        label = f" (label {self.node.label!r})" if self.node.label else ""
        return (f"op {self.op!r}{label}, argument {self.argument}: "
                f"rule gives {self.rule!r}, central difference gives {self.numeric!r}")


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when an analytic derivative disagrees with finite differences.

    Attributes:
        output_index: which output of ``f`` (0 for a scalar function).
        input_index: which input.
        analytic: the derivative from ``backward()``.
        numeric: the central difference.
        error: ``abs(analytic - numeric)``.
        mismatch: the first node whose local rule disagrees (a :class:`RuleMismatch`), or None.
        node: ``mismatch.node`` or None, for highlighting in a drawing.
        outputs: the outputs of ``f`` in the graph that holds ``node``: draw the failing one with
            ``draw_dot(err.outputs[err.output_index], highlight=err)``.
    """

    def __init__(self, message: str, *, output_index: int, input_index: int, analytic: float,
                 numeric: float, mismatch: RuleMismatch | None, outputs: list[Value] | None = None):
        super().__init__(message)
        self.output_index = output_index
        self.input_index = input_index
        self.analytic = analytic
        self.numeric = numeric
        self.error = abs(analytic - numeric)
        self.mismatch = mismatch
        self.node = mismatch.node if mismatch else None
        self.outputs = outputs or []


def _as_outputs(result: Any) -> list[Value]:
    items = result if isinstance(result, (list, tuple)) else [result]
    if not items:
        raise ValueError(f"f must return a Value or a non-empty list of Values, got an empty {type(result).__name__}")
    outs = []
    for i, item in enumerate(items):
        listed = isinstance(result, (list, tuple))
        if isinstance(item, Value):
            outs.append(item)
        elif is_real(item):
            outs.append(Value(as_real(item, f"f's output {i}" if listed else "f's output")))
        else:
            where = f"output {i}" if listed else "the output"
            raise TypeError(f"f must return a Value or a list of Values; {where} is a {describe(item)}")
    return outs


def _validate(f: Any, inputs: Any, eps: Any = 1.0, atol: Any = 0.0, rtol: Any = 0.0,
              finite: bool = True) -> tuple[list[float], float, float, float]:
    """The point as floats and the tolerances as floats, or an error naming the argument at fault.

    ``finite``: the point must be finite (central differences at ``nan`` or ``inf`` mean nothing).
    """
    as_callable(f, "f")
    if type(inputs).__name__ == "ndarray":
        inputs = list(inputs.ravel())
    if isinstance(inputs, (Value, str, bytes)) or is_real(inputs) or not isinstance(inputs, Sequence):
        raise TypeError(f"inputs must be a sequence of numbers or Values, got {describe(inputs)}")
    if len(inputs) == 0:
        raise ValueError("inputs must not be empty, got an empty sequence")
    xs = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            x = x.data
        elif not is_real(x):
            raise TypeError(f"inputs[{i}] must be a number or a Value, got {describe(x)}")
        xs.append(as_real(x, f"inputs[{i}]", finite=finite))
    _check_arity(f, len(xs))
    return (xs, as_real(eps, "eps", finite=True, minimum=0, strict=True),
            as_real(atol, "atol", finite=True, minimum=0), as_real(rtol, "rtol", finite=True, minimum=0))


def _check_arity(f: Callable[..., Any], n: int) -> None:
    """A TypeError naming ``f`` when it cannot take ``n`` positional arguments, one per input."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # some builtins have no signature: calling f will tell
        return
    try:
        signature.bind(*range(n))
    except TypeError as exc:
        raise TypeError(f"f must take {n} positional argument(s), one per input, got {describe(f)}: {exc}") from None


def numerical_jacobian(f: Callable[..., Any], inputs: Sequence[float | Value], eps: float = 1e-6) -> np.ndarray:
    """Central differences ``(f(x + eps) - f(x - eps)) / (2 eps)``: an (outputs, inputs) array.

    Args:
        f: called with one Value per input; returns a Value or a list of Values (always as many).
        inputs: the point: finite numbers, or Values (their ``data`` is used).
        eps: the step, a finite number > 0.

    Raises:
        TypeError, ValueError: as for :func:`gradcheck`; also when ``f`` returns a different number
            of outputs at different points.

    >>> numerical_jacobian(lambda x: x * x, [3.0]).round(6)
    array([[6.]])
    """
    import numpy as np

    xs, eps, _, _ = _validate(f, inputs, eps)
    columns = []
    with enable_grad():  # f may use transforms inside; its graph is not needed here
        for i in range(len(xs)):
            shifted = []
            for step, sign in ((eps, "+"), (-eps, "-")):
                args = [Value(x + step if j == i else x) for j, x in enumerate(xs)]
                shifted.append(np.array([o.data for o in _as_outputs(f(*args))]))
                count = len(columns[0]) if columns else len(shifted[0])
                if len(shifted[-1]) != count:
                    raise ValueError(f"f must return as many outputs at every point: {count} at inputs[0] + eps, "
                                     f"{len(shifted[-1])} at inputs[{i}] {sign} eps")
            columns.append((shifted[0] - shifted[1]) / (2 * eps))
    return np.stack(columns, axis=1)


def analytical_jacobian(f: Callable[..., Any], inputs: Sequence[float | Value]) -> np.ndarray:
    """Derivatives from ``backward()``, one output at a time: an (outputs, inputs) array.

    ``inputs`` may hold ``inf`` and ``nan`` here (the derivatives are then what the rules give there).

    Raises:
        TypeError, ValueError: as for :func:`gradcheck`.

    >>> analytical_jacobian(lambda x, y: [x * y, x + y], [2.0, 5.0])
    array([[5., 2.],
           [1., 1.]])
    """
    import numpy as np

    xs, _, _, _ = _validate(f, inputs, finite=False)
    leaves = [Value(x) for x in xs]
    with enable_grad():  # the derivatives are right inside no_grad too
        outs = _as_outputs(f(*leaves))
        return np.array([derivatives(out, leaves, create_graph=False) for out in outs], dtype=float).reshape(
            len(outs), len(leaves))


def _close(a: float, b: float, atol: float, rtol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def check_node_rule(node: Value, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> RuleMismatch | None:
    """Compare ``node``'s op rule with central differences of its forward, at the node's inputs.

    Returns:
        The first disagreeing argument as a :class:`RuleMismatch`, or None when the rule
        agrees (or the node is a leaf).

    >>> check_node_rule(Value(2.0) * 3) is None
    True
    """
    fn = node._fn
    if fn is None:
        return None
    parents, rule = contributions(node, 1.0)
    args = [p.data for p in parents]
    c = node.param
    for j in range(len(args)):
        plus, minus = list(args), list(args)
        plus[j] += eps
        minus[j] -= eps
        numeric = (call_forward(fn, plus, c) - call_forward(fn, minus, c)) / (2 * eps)
        if not _close(rule[j], numeric, atol, rtol):
            return RuleMismatch(node, fn.name, j, rule[j], numeric)
    return None


def _first_rule_mismatch(outs: list[Value], eps: float, atol: float, rtol: float) -> RuleMismatch | None:
    seen: set[Value] = set()
    for out in outs:
        for node in topological_order(out):
            if node not in seen:
                seen.add(node)
                mismatch = check_node_rule(node, eps, atol, rtol)
                if mismatch:
                    return mismatch
    return None


def gradcheck(f: Callable[..., Any], inputs: Sequence[float | Value], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check every derivative of ``f`` against central finite differences.

    ``f`` is called with one fresh leaf ``Value`` per input and returns a Value or a
    list of Values. Each analytic derivative ``a`` (from ``backward()``) must match
    the central difference ``n`` within ``|a - n| <= atol + rtol * |n|``.

    On failure the report names the output, the input, both derivatives and the
    error, and then the first node of the graph (in evaluation order) whose own
    derivative rule disagrees with a central difference of its op's forward, which
    points at a faulty custom op.

    Args:
        f: the function under test, taking one argument per input.
        inputs: the point: finite numbers, or Values (their ``data`` is used).
        eps: the finite-difference step, a finite number > 0.
        atol, rtol: absolute and relative tolerance, finite numbers >= 0.
        raise_exception: raise ``GradcheckError`` on failure (default) or return False.

    Returns:
        True when every derivative matches.

    Raises:
        GradcheckError: a derivative disagrees (with ``raise_exception=True``).
        TypeError, ValueError: bad arguments (the message names the one at fault), ``f`` cannot take
            one argument per input, or ``f`` returns something other than a Value or a non-empty list of them.

    >>> gradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.5])
    True
    """
    return _check(f, inputs, eps, atol, rtol, raise_exception, "gradcheck", lambda k: f"output {k}")


def gradgradcheck(f: Callable[..., Any], inputs: Sequence[float | Value], eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check second derivatives: the derivatives of ``f``'s gradient against central differences.

    The gradient of every output with respect to every input is built as a graph
    (``create_graph``) and checked like :func:`gradcheck`. It catches derivative
    rules that are right as numbers but not differentiable themselves (a custom
    op whose rule calls ``math.cos`` instead of ``autograd_engine.cos``). The report
    has the same form, naming ``d(output k)/d(input i)`` as the output.

    Args and Raises: as for :func:`gradcheck`.

    >>> gradgradcheck(lambda x, y: (x * y).sin() + x.exp(), [0.3, 0.7])
    True
    """
    xs, eps, atol, rtol = _validate(f, inputs, eps, atol, rtol)
    n = len(xs)

    def first_derivatives(*args: Value) -> list[Any]:
        outs = _as_outputs(f(*args))
        return [d for out in outs for d in derivatives(out, args, create_graph=True)]

    def output_name(k: int) -> str:
        return f"d(output {k // n})/d(input {k % n})"

    return _check(first_derivatives, xs, eps, atol, rtol, raise_exception, "gradgradcheck", output_name)


def _check(f: Callable[..., Any], inputs: Sequence[float | Value], eps: float, atol: float, rtol: float,
           raise_exception: bool, name: str, output_name: Callable[[int], str]) -> bool:
    xs, eps, atol, rtol = _validate(f, inputs, eps, atol, rtol)
    raise_exception = as_bool(raise_exception, "raise_exception")
    with enable_grad():  # a check must not pass because the caller's mode records nothing
        return _compare(f, xs, eps, atol, rtol, raise_exception, name, output_name)


def _compare(f: Callable[..., Any], xs: list[float], eps: float, atol: float, rtol: float,
             raise_exception: bool, name: str, output_name: Callable[[int], str]) -> bool:
    analytic = analytical_jacobian(f, xs)
    numeric = numerical_jacobian(f, xs, eps)
    if analytic.shape != numeric.shape:
        raise ValueError(f"f must return as many outputs at every point: {analytic.shape[0]} at inputs, "
                         f"{numeric.shape[0]} at inputs[0] + eps")
    for k in range(analytic.shape[0]):
        for i in range(analytic.shape[1]):
            a, n = float(analytic[k, i]), float(numeric[k, i])
            if _close(a, n, atol, rtol):
                continue
            if not raise_exception:
                return False
            outs = _as_outputs(f(*[Value(x) for x in xs]))
            mismatch = _first_rule_mismatch(outs, eps, atol, rtol)
            message = (f"{name} failed for {output_name(k)}, input {i}: analytic {a!r} vs numeric {n!r} "
                       f"(error {abs(a - n):.6g} > tolerance {atol + rtol * abs(n):.6g})")
            if mismatch:
                message += f"\nfirst node whose derivative rule disagrees with central differences: {mismatch}"
            raise GradcheckError(message, output_index=k, input_index=i, analytic=a, numeric=n,
                                 mismatch=mismatch, outputs=outs)
    return True
