"""Check derivatives against central finite differences, with readable failure reports.

Two checkers, for two questions:

* :func:`gradcheck` / :func:`gradgradcheck` (PyTorch's way): every entry of the Jacobian of
  ``f`` (or of its gradient), one input and one output at a time. The report names the
  output, the input, both numbers and the first node whose own rule is wrong. Use them to
  test an op or a small function exactly, entry by entry.
* :func:`check_grads` (JAX's and HIPS autograd's way): reverse mode (vector-Jacobian
  products) and forward mode (``jvp``) along random directions, and with ``order=2`` the
  derivatives of those derivatives in every combination (fwd-of-fwd, rev-of-fwd, fwd-of-rev,
  rev-of-rev). A few directional checks cover a function of many inputs at the cost of a
  few sweeps, and both modes are checked against each other. Use it for a function of
  arrays, or to check forward mode and second derivatives.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .anomaly import ReadableError, draw_failure
from .backward import gradients, topological_order
from .functional import derivatives, grad, jvp
from .modes import enable_grad
from .ops import call_forward, contributions, parents_of
from .validation import as_bool, as_callable, as_int, as_real, describe, is_real, numpy_rng
from .value import Value, dot

if TYPE_CHECKING:
    import graphviz
    import numpy as np

__all__ = ["GradcheckError", "RuleMismatch", "gradcheck", "gradgradcheck", "check_grads", "numerical_jacobian",
           "analytical_jacobian", "check_node_rule"]

#: The most numbers of a point a failure message shows.
_SHOWN = 8

#: The default relative tolerance of every checker. Central differences with ``eps = 1e-6`` agree with
#: a right rule to about 1e-9 (``eps**2`` truncation, ``1e-16 / eps`` rounding), so 1e-5 passes every right
#: rule in double precision and fails a rule wrong by a factor 1.0001 or more (PyTorch's default, 1e-3,
#: lets a rule off by 0.1 % through).
RTOL = 1e-5


def format_point(xs: Sequence[float]) -> str:
    """A point for a failure message: ``(0.8, -1.3)``, the first few numbers of a long one.

    >>> format_point([0.8, -1.3]), format_point([0.5])
    ('(0.8, -1.3)', '(0.5,)')
    """
    if len(xs) == 1:
        return f"({xs[0]!r},)"
    shown = ", ".join(repr(float(x)) for x in xs[:_SHOWN])
    more = f", ... ({len(xs)} numbers)" if len(xs) > _SHOWN else ""
    return f"({shown}{more})"


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


class GradcheckError(ReadableError, AssertionError):
    """Raised by :func:`gradcheck`, :func:`gradgradcheck` and :func:`check_grads` when a derivative is wrong.

    Attributes:
        output_index: which output of ``f`` (0 for a scalar function; for ``check_grads``, the output
            of the checked function, None for a reverse-mode check, which sums all outputs).
        input_index: which input (None for ``check_grads``, whose checks are along directions).
        analytic: the derivative from the engine.
        numeric: the central difference.
        error: ``abs(analytic - numeric)``.
        point: the inputs at which it was checked, as floats.
        mismatch: the first node whose local rule disagrees (a :class:`RuleMismatch`), or None.
        node: ``mismatch.node`` or None, for highlighting in a drawing.
        outputs: the outputs of ``f`` in the graph that holds ``node``, its inputs labelled
            ``inputs[0]``, ``inputs[1]`` ...
        grads: the gradients of the failing output, node -> float: what ``backward()`` gave there.
        order, mode, direction: for ``check_grads``: the order (1 or 2), the mode (``"rev"``,
            ``"fwd"``, ``"fwd of rev"`` ...) and the random direction of the failing check; None otherwise.

    ``err.draw()`` draws the failing output with those gradients and the culprit in red. In a
    notebook its traceback ends at your line (``Cell In[3], line 2``), the engine's frames left out.
    """

    def __init__(self, message: str, *, output_index: int | None, input_index: int | None, analytic: float,
                 numeric: float, mismatch: RuleMismatch | None, outputs: list[Value] | None = None,
                 point: Sequence[float] = (), grads: dict[Value, float] | None = None, order: int | None = None,
                 mode: str | None = None, direction: Sequence[float] | None = None):
        super().__init__(message)
        self.output_index = output_index
        self.input_index = input_index
        self.analytic = analytic
        self.numeric = numeric
        self.error = abs(analytic - numeric)
        self.mismatch = mismatch
        self.node = mismatch.node if mismatch else None
        self.outputs = outputs or []
        self.point = tuple(point)
        self.grads = grads
        self.order = order
        self.mode = mode
        self.direction = None if direction is None else tuple(direction)

    def draw(self, **options: Any) -> graphviz.Digraph:
        """The failing output's graph: gradients as ``backward()`` gave them, the culprit node in red.

        Drawn with ``grads`` as :func:`~autograd_engine.draw_dot`'s ``grads=``: the nodes' own ``.grad``
        are never read or written; with ``edge_labels=True`` the edges carry the contributions those
        gradients sent. Takes the options of ``draw_dot`` but ``highlight`` (the culprit), ``grads`` and
        ``step`` (the gradients are the failure's) and ``model``.

        Raises:
            TypeError: ``highlight``, ``grads``, ``step`` or ``model`` is given, an option ``draw_dot`` does
                not take, or a bad value (as for ``draw_dot``).
            ValueError: the error holds no graph (one made by hand without ``outputs``).
            GraphvizNotFoundError: the ``dot`` program is missing.
        """
        if not self.outputs:
            raise ValueError("this GradcheckError holds no graph to draw")
        return draw_failure(self, self.outputs[self.output_index or 0], self.grads, options)


def _as_outputs(result: Any) -> list[Value]:
    kind = type(result).__name__
    if kind == "ndarray":
        result = list(result.ravel())
    items = result if isinstance(result, (list, tuple)) else [result]
    if not items:
        raise ValueError(f"f must return a Value or a non-empty list of Values, got an empty {kind}")
    outs = []
    for i, item in enumerate(items):
        listed = isinstance(result, (list, tuple))
        if isinstance(item, Value):
            outs.append(item)
        elif is_real(item):
            outs.append(Value(as_real(item, f"f's output {i}" if listed else "f's output")))
        else:
            where = f"output {i}" if listed else "the output"
            raise TypeError(f"f must return a Value or a list or NumPy array of Values; {where} is a {describe(item)}")
    return outs


def _validate(f: Any, inputs: Any, eps: Any = 1.0, atol: Any = 0.0, rtol: Any = 0.0,
              finite: bool = True) -> tuple[list[float], float, float, float]:
    """The point as floats and the tolerances as floats, or an error naming the argument at fault.

    ``finite``: the point must be finite (central differences at ``nan`` or ``inf`` mean nothing).
    """
    as_callable(f, "f")
    if type(inputs).__name__ == "ndarray":
        inputs = list(inputs.ravel())
    elif isinstance(inputs, Value) or is_real(inputs):  # one input
        inputs = [inputs]
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(f"inputs must be a number, a Value, or a sequence or NumPy array of them, "
                        f"got {describe(inputs)}")
    if len(inputs) == 0:
        raise ValueError("inputs must not be empty, got an empty sequence")
    xs = []
    for i, x in enumerate(inputs):
        if type(x).__name__ == "ndarray" and x.ndim == 0:  # a 0-d array is one number (or Value)
            x = x[()]
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
        inputs: the point: a sequence or NumPy array of finite numbers or Values (their ``data`` is
            used), or one number or Value.
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
    leaves = _leaves(xs)
    with enable_grad():  # the derivatives are right inside no_grad too
        outs = _as_outputs(f(*leaves))
        return np.array([derivatives(out, leaves, create_graph=False) for out in outs], dtype=float).reshape(
            len(outs), len(leaves))


def _leaves(xs: Sequence[float]) -> list[Value]:
    """One fresh leaf per input, labelled ``inputs[i]`` as the messages name it."""
    return [Value(x, f"inputs[{i}]") for i, x in enumerate(xs)]


def _close(a: float, b: float, atol: float, rtol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def check_node_rule(node: Value, eps: float = 1e-6, atol: float = 1e-5, rtol: float = RTOL) -> RuleMismatch | None:
    """Compare ``node``'s op rule with central differences of its forward, at the node's inputs.

    Returns:
        The first disagreeing argument as a :class:`RuleMismatch`, or None when the rule
        agrees (or the node is a leaf, or its forward is not finite within ``eps``, or it has a
        kink there, see :func:`_kink`: no evidence).

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
        if not _resolved(args[j], eps):
            continue  # eps is below this input's float resolution: the difference measures rounding, not slope
        numeric = (call_forward(fn, plus, c) - call_forward(fn, minus, c)) / (2 * eps)
        if not math.isfinite(numeric):
            continue  # the forward is not finite within eps of this input: no evidence against the rule
        if not _close(rule[j], numeric, atol, rtol) and _slopes(node, j, eps) is None:
            return RuleMismatch(node, fn.name, j, rule[j], numeric)
    return None


#: One-sided slopes that differ by more than this (relative to the larger, or absolutely below 1) make a kink.
_KINK = 1e-2


def _slopes(node: Value, j: int, eps: float) -> tuple[float, float] | None:
    """The slopes of ``node``'s op left and right of its input ``j``, when they differ (a kink); else None."""
    fn, c = node._fn, node.param
    args = [p.data for p in parents_of(node)]
    at = call_forward(fn, args, c)
    shifted = []
    for step in (-eps, eps):
        moved = list(args)
        moved[j] += step
        shifted.append(call_forward(fn, moved, c))
    left, right = (at - shifted[0]) / eps, (shifted[1] - at) / eps
    if not (math.isfinite(left) and math.isfinite(right)):
        return None
    return (left, right) if abs(left - right) > _KINK * max(1.0, abs(left), abs(right)) else None


def _kink(outs: Sequence[Value], eps: float = 1e-6) -> str | None:
    """Where the graph of ``outs`` is not differentiable: the first op whose one-sided slopes differ.

    >>> _kink([Value(0.0).relu()])
    "op 'relu' at its input(s) 0.0 has slope 0.0 on the left and 1.0 on the right of input 0"
    >>> _kink([Value(0.5).relu()]) is None
    True
    """
    for out in outs:
        for node in topological_order(out):
            for j in range(len(parents_of(node))):
                slopes = _slopes(node, j, eps)
                if slopes is not None:
                    label = f" (label {node.label!r})" if node.label else ""
                    inputs = ", ".join(repr(p.data) for p in parents_of(node))
                    left, right = (float(f"{slope:.6g}") for slope in slopes)
                    return (f"op {node.op!r}{label} at its input(s) {inputs} has slope {left!r} on the left and "
                            f"{right!r} on the right of input {j}")
    return None


def _first_non_finite(outs: list[Value]) -> str | None:
    """Where the first ``inf``/``nan`` of the graph comes from: a leaf holding it, or the op that made it."""
    for out in outs:
        for node in topological_order(out):
            if math.isfinite(node.data):
                continue
            if node._fn is None:
                return f"the leaf {node.label or '(no label)'!r} holds {node.data!r}"
            label = f" (label {node.label!r})" if node.label else ""
            inputs = ", ".join(repr(p.data) for p in parents_of(node))
            return f"op {node.op!r}{label} gives {node.data!r} at its input(s) {inputs}"
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
              rtol: float = RTOL, raise_exception: bool = True) -> bool:
    """Check every derivative of ``f`` against central finite differences.

    ``f`` is called with one fresh leaf ``Value`` per input and returns a Value, a number, or a
    list or NumPy array of them. Each analytic derivative ``a`` (from ``backward()``) must match
    the central difference ``n`` within ``|a - n| <= atol + rtol * |n|``.

    On failure the report names the output, the input, both derivatives and the
    error, and then the first node of the graph (in evaluation order) whose own
    derivative rule disagrees with a central difference of its op's forward, which
    points at a faulty custom op.

    The message names the point, and when a derivative is not finite there, where the
    first ``inf``/``nan`` comes from. ``err.draw()`` draws the failing output with the
    gradients ``backward()`` gave and the culprit node in red.

    Args:
        f: the function under test, taking one argument per input.
        inputs: the point: a sequence or NumPy array of finite numbers or Values (their ``data``
            is used), or one number or Value for a function of one argument.
        eps: the finite-difference step, a finite number > 0.
        atol, rtol: absolute and relative tolerance, finite numbers >= 0. The default ``rtol``
            (:data:`RTOL`, 1e-5) fails a rule off by a factor 1.001; PyTorch's 1e-3 does not.
        raise_exception: raise ``GradcheckError`` on failure (default) or return False.

    Returns:
        True when every derivative matches.

    Raises:
        GradcheckError: a derivative disagrees (with ``raise_exception=True``).
        TypeError, ValueError: bad arguments (the message names the one at fault), ``f`` cannot take
            one argument per input, or ``f`` returns something other than Values and numbers.

    >>> gradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.5])
    True
    >>> gradcheck(lambda x: x.exp(), 0.3)
    True
    """
    __tracebackhide__ = True
    return _check(f, inputs, eps, atol, rtol, raise_exception, "gradcheck", lambda k: f"output {k}")


def gradgradcheck(f: Callable[..., Any], inputs: Sequence[float | Value], eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = RTOL, raise_exception: bool = True) -> bool:
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
    __tracebackhide__ = True
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
    __tracebackhide__ = True
    xs, eps, atol, rtol = _validate(f, inputs, eps, atol, rtol)
    raise_exception = as_bool(raise_exception, "raise_exception")
    with enable_grad():  # a check must not pass because the caller's mode records nothing
        return _compare(f, xs, eps, atol, rtol, raise_exception, name, output_name)


def _compare(f: Callable[..., Any], xs: list[float], eps: float, atol: float, rtol: float,
             raise_exception: bool, name: str, output_name: Callable[[int], str]) -> bool:
    __tracebackhide__ = True
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
            outs = _as_outputs(f(*_leaves(xs)))
            mismatch, diagnosis = _diagnose(outs, a, n, eps, atol, rtol, xs)
            message = (f"{name} failed at inputs {format_point(xs)} for {output_name(k)}, input {i}: analytic {a!r} "
                       f"vs numeric {n!r} {_error(a, n, atol, rtol)}{diagnosis}")
            raise GradcheckError(message, output_index=k, input_index=i, analytic=a, numeric=n,
                                 mismatch=mismatch, outputs=outs, point=xs, grads=_gradients_of(outs[k]))
    return True


def _resolved(x: float, eps: float) -> bool:
    """Whether ``x + eps`` and ``x - eps`` are ``2 eps`` apart in floating point to within 1 %."""
    return abs(((x + eps) - (x - eps)) - 2 * eps) <= 0.02 * eps


def _diagnose(outs: list[Value], a: float, n: float, eps: float, atol: float,
              rtol: float, xs: Sequence[float] = ()) -> tuple[RuleMismatch | None, str]:
    """What a failure report adds: the first node whose own rule is wrong, and where ``f`` stops being finite."""
    coarse = [i for i, x in enumerate(xs) if math.isfinite(x) and not _resolved(x, eps)]
    if coarse:
        i = coarse[0]
        return None, (f"\neps = {eps!r} is below the float resolution of inputs[{i}] = {xs[i]!r} "
                      f"(x + eps and x - eps are not 2 eps apart): the central difference measures rounding; "
                      f"pass an eps of about {max(abs(xs[i]), 1.0) * 1e-6:.3g}")
    mismatch = _first_rule_mismatch(outs, eps, atol, rtol)
    text = f"\nfirst node whose derivative rule disagrees with central differences: {mismatch}" if mismatch else ""
    source = _first_non_finite(outs)
    corner = _kink(outs, eps) if source is None else None
    if source is not None:
        text += f"\nf is not finite at this point: {source}"
    elif corner is not None:
        text += f"\nf is not differentiable at this point: {corner}; check at another point"
    elif not (_finite(a) and _finite(n)):
        text += ("\na derivative is not finite at this point: the point is at (or within eps of) the edge of an "
                 "op's domain; check at another point or with a smaller eps")
    return mismatch, text


def _finite(x: float) -> bool:
    return math.isfinite(x)


def _error(a: float, n: float, atol: float, rtol: float) -> str:
    if _finite(a) and _finite(n):
        return f"(error {abs(a - n):.6g} > tolerance {atol + rtol * abs(n):.6g})"
    return "(not both finite)"


def _gradients_of(out: Value) -> dict[Value, float]:
    """What ``out.backward()`` would put in each ``.grad``, without touching any."""
    return {v: float(g) for v, g in gradients(out).items()}


# -- check_grads: JAX's and HIPS autograd's checker ------------------------------------------------------------

MODES = ("fwd", "rev")
#: The highest ``order`` of :func:`check_grads`: each order multiplies the checks by ``len(modes)``.
MAX_ORDER = 3


def check_grads(f: Callable[..., Any], args: Any, order: int = 2, modes: Sequence[str] = MODES, *,
                eps: float = 1e-6, atol: float = 1e-5, rtol: float = RTOL, seed: Any = 0) -> bool:
    """Check reverse and forward mode along random directions, and (``order=2``) their derivatives too.

    In the spirit of JAX's ``jax.test_util.check_grads`` and HIPS autograd's. At the point
    ``args``, with ``v`` a random direction of the inputs and ``u`` random weights of the outputs:

    * ``"fwd"``: forward mode, ``jvp(f, x, v)``, against the central difference
      ``(f(x + eps v) - f(x - eps v)) / (2 eps)``, output by output;
    * ``"rev"``: reverse mode, the vector-Jacobian product ``u . J``, dotted with ``v``, against
      ``u . (f(x + eps v) - f(x - eps v)) / (2 eps)``;
    * ``order=2``: the same checks, in every mode, of the function ``(x, v) -> jvp`` and of the
      function ``(x, u) -> u . J``: fwd of fwd, rev of fwd, fwd of rev, rev of rev. They catch
      a rule that is right as a number but not differentiable (written with ``math.cos``).

    ``gradcheck`` checks every entry of the Jacobian, one sweep per output and two evaluations
    per input: exact blame (this output, this input, this node's rule), for small functions.
    ``check_grads`` checks a few random directions whatever the number of inputs, checks
    forward mode and second derivatives as well, and takes arrays: use it for a function of
    many inputs or to test ``jvp`` and ``grad(grad(f))``; use ``gradcheck`` to find the culprit.

    Args:
        f: the function, called with one argument per item of ``args``, each as given but with
            Values for numbers: a number becomes a Value, a list a list of Values, a NumPy array an
            object array of Values of the same shape. Returns a Value, a number, or a (nested)
            list, tuple or NumPy array of them.
        args: the point: a tuple or list of arguments (numbers, Values, lists, NumPy arrays, all
            finite), or one number, Value or NumPy array for a function of one argument.
        order: 1 (first derivatives) to 3.
        modes: a tuple (or list) holding ``"fwd"``, ``"rev"`` or both, each once.
        eps: the finite-difference step, a finite number > 0.
        atol, rtol: a derivative ``a`` passes when ``|a - n| <= atol + rtol * |n|`` (``n`` the central
            difference); both 1e-5 by default, as JAX's for float64.
        seed: the random directions' seed: an int >= 0, a NumPy Generator, or None (from ``random``).

    Returns:
        True when every check passes.

    Raises:
        GradcheckError: a check fails; the message names the order, the mode, the direction, the
            point, both numbers, and the first node whose own rule disagrees (if one does).
        TypeError, ValueError: a bad argument (the message names it), ``f`` returns something
            other than Values and numbers, or a different number of them at another point.

    >>> check_grads(lambda x, w: (x * w).tanh(), (0.5, -1.5))
    True
    >>> import numpy as np
    >>> check_grads(lambda xs: sum(xs ** 2), (np.array([1.0, 2.0, 3.0]),), order=1, modes=("rev",))
    True
    """
    __tracebackhide__ = True
    as_callable(f, "f")
    arguments = _as_arguments(args)
    point, rebuild = _flatten_arguments(arguments)
    _check_arity(f, len(arguments))
    order = as_int(order, "order", minimum=1)
    if order > MAX_ORDER:
        raise ValueError(f"order must be an int from 1 to {MAX_ORDER}, got {order}")
    modes = _as_modes(modes)
    eps = as_real(eps, "eps", finite=True, minimum=0, strict=True)
    atol, rtol = as_real(atol, "atol", finite=True, minimum=0), as_real(rtol, "rtol", finite=True, minimum=0)
    rng = numpy_rng(seed)

    def flat_f(*xs: Any) -> list[Value]:
        return _flat_outputs(f(*rebuild(list(xs))))

    with enable_grad():  # the checks must not pass because the caller's mode records nothing
        checker = _DirectionalChecker(flat_f, point, modes, rng, eps, atol, rtol)
        checker.check(flat_f, point, order, 1, "", "f")
    return True


def _as_arguments(args: Any) -> list[Any]:
    if isinstance(args, Value) or is_real(args) or type(args).__name__ == "ndarray":
        return [args]
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"args must be a tuple of arguments (numbers, Values, lists or NumPy arrays), "
                        f"or one number or array, got {describe(args)}")
    if not args:
        raise ValueError(f"args must hold at least one argument, got an empty {type(args).__name__}")
    return list(args)


def _flatten_arguments(arguments: list[Any]) -> tuple[list[float], Callable[[list[Any]], list[Any]]]:
    """The numbers of ``arguments`` in order, and the function that puts Values back in their places."""
    flat: list[float] = []
    inside: list[int] = []  # the ids of the lists being walked, outermost first

    def walk(a: Any, name: str) -> Any:
        if isinstance(a, Value):
            a = a.data
        if is_real(a):
            flat.append(as_real(a, name, finite=True))
            return None
        if type(a).__name__ == "ndarray" or isinstance(a, (list, tuple)):
            _check_nesting(a, name, inside)
            inside.append(id(a))
            if type(a).__name__ == "ndarray":
                import numpy as np

                shape = ("array", a.shape, [walk(a[i], f"{name}[{', '.join(map(str, i))}]")
                                            for i in np.ndindex(a.shape)])
            else:
                shape = (type(a), [walk(x, f"{name}[{i}]") for i, x in enumerate(a)])
            inside.pop()
            return shape
        raise TypeError(f"{name} must be a number, a Value, a list of them or a NumPy array, got {describe(a)}")

    shapes = [walk(a, f"args[{i}]") for i, a in enumerate(arguments)]
    if not flat:
        raise ValueError("args must hold at least one number to differentiate by, got none")

    def rebuild(values: list[Any]) -> list[Any]:
        it = iter(values)

        def fill(shape: Any) -> Any:
            if shape is None:
                return next(it)
            if shape[0] == "array":
                import numpy as np

                out = np.empty(len(shape[2]), dtype=object)
                out[:] = [fill(s) for s in shape[2]]
                return out.reshape(shape[1])
            return shape[0](fill(s) for s in shape[1])

        return [fill(shape) for shape in shapes]

    return flat, rebuild


#: The deepest nesting of lists and tuples ``check_grads`` follows in its arguments and in ``f``'s output.
MAX_NESTING = 100


def _check_nesting(items: Any, name: str, inside: Sequence[int]) -> None:
    """A ValueError when ``items`` (a list, tuple or array) holds itself or lies more than MAX_NESTING deep."""
    if id(items) in inside:
        kind = "NumPy array" if type(items).__name__ == "ndarray" else type(items).__name__
        raise ValueError(f"{name} is a {kind} that holds itself")
    if len(inside) >= MAX_NESTING:
        raise ValueError(f"{name[:60]}... nests lists or tuples more than {MAX_NESTING} deep")


def _flat_outputs(result: Any) -> list[Value]:
    outs: list[Value] = []
    stack: list[tuple[str, Any, tuple[int, ...]]] = [("f's output", result, ())]
    while stack:
        name, item, inside = stack.pop()
        if type(item).__name__ == "ndarray":
            item = list(item.ravel())
        if isinstance(item, (list, tuple)):
            _check_nesting(item, name, inside)
            within = (*inside, id(item))
            stack.extend(reversed([(f"{name}[{i}]", x, within) for i, x in enumerate(item)]))
        elif isinstance(item, Value):
            outs.append(item)
        elif is_real(item):
            outs.append(Value(as_real(item, name)))
        else:
            raise TypeError(f"f must return a Value, a number, or a list or NumPy array of them; {name} is "
                            f"{describe(item)}")
    if not outs:
        raise ValueError(f"f must return at least one Value or number, got {describe(result)}")
    return outs


def _as_modes(modes: Any) -> tuple[str, ...]:
    if isinstance(modes, str) or not isinstance(modes, (tuple, list, set, frozenset)):
        raise TypeError(f"modes must be a tuple of 'fwd' and/or 'rev', as in ('fwd', 'rev'), got {describe(modes)}")
    if not modes:
        raise ValueError("modes must name at least one of 'fwd' and 'rev', got an empty collection")
    for m in modes:
        if m not in MODES:
            raise ValueError(f"modes must hold only 'fwd' and 'rev', got {describe(m)}")
    if len(modes) != len(set(modes)):
        raise ValueError(f"modes must name each of 'fwd' and 'rev' at most once, got {tuple(modes)!r}")
    return tuple(m for m in MODES if m in modes)


class _DirectionalChecker:
    """The checks of :func:`check_grads`, recursively over derived functions; the first failure raises."""

    def __init__(self, f: Callable[..., list[Value]], point: list[float], modes: tuple[str, ...], rng: Any,
                 eps: float, atol: float, rtol: float):
        self.f, self.point, self.modes, self.rng = f, point, modes, rng
        self.eps, self.atol, self.rtol = eps, atol, rtol

    def evaluate(self, g: Callable[..., list[Value]], xs: Sequence[float]) -> list[float]:
        return [o.data for o in g(*[Value(float(x)) for x in xs])]

    def central(self, g: Callable[..., list[Value]], xs: list[float], v: Sequence[float], k: int) -> list[float]:
        """The central difference of ``g``'s ``k`` outputs along ``v``; a ValueError if ``g`` gives another count."""
        plus = self.evaluate(g, [x + self.eps * d for x, d in zip(xs, v)])
        minus = self.evaluate(g, [x - self.eps * d for x, d in zip(xs, v)])
        for sign, values in (("+", plus), ("-", minus)):
            if len(values) != k:
                raise ValueError(f"f must return as many outputs at every point: {k} at args, {len(values)} at args "
                                 f"{sign} eps · direction")
        return [(a - b) / (2 * self.eps) for a, b in zip(plus, minus)]

    def check(self, g: Callable[..., list[Value]], xs: list[float], order: int, level: int, of: str,
              checked: str) -> None:
        """Check ``g`` (called ``checked`` in messages) at ``xs`` in every mode, and its derived functions."""
        __tracebackhide__ = True
        m = len(xs)
        k = len(self.evaluate(g, xs))
        for mode in self.modes:
            name = f"{mode}{of}"
            v = [float(d) for d in self.rng.standard_normal(m)]
            numeric = self.central(g, xs, v, k)
            if mode == "fwd":
                _, tangent = jvp(g, xs, v)
                for j, (a, n) in enumerate(zip(tangent, numeric)):
                    self.compare(float(a), n, level, name, f"output {j} of the jvp of {checked} along direction "
                                                           f"{format_point(v)}", v, j)
                if order > 1:
                    def forward(*a: Any, g: Any = g, m: int = m) -> list[Value]:
                        return list(jvp(g, list(a[:m]), list(a[m:]))[1])
                    self.check(forward, xs + v, order - 1, level + 1, f" of {mode}",
                               f"(the jvp of {checked} along {format_point(v)})")
            else:
                u = [float(w) for w in self.rng.standard_normal(k)]
                vjp = _vjp(g, m)(*xs, *u)
                a = math.fsum(float(d) * t for d, t in zip(vjp, v))
                n = math.fsum(w * d for w, d in zip(u, numeric))
                self.compare(a, n, level, name, f"the vector-Jacobian product of {checked} with output weights "
                                                f"{format_point(u)}, dotted with direction {format_point(v)}", v, None)
                if order > 1:
                    def reverse(*a: Any, g: Any = g, m: int = m) -> list[Value]:
                        return list(_vjp(g, m)(*a))
                    self.check(reverse, xs + u, order - 1, level + 1, f" of {mode}",
                               f"(the vector-Jacobian product of {checked} with weights {format_point(u)})")

    def compare(self, a: float, n: float, level: int, mode: str, what: str, direction: list[float],
                output: int | None) -> None:
        __tracebackhide__ = True
        if _close(a, n, self.atol, self.rtol):
            return
        outs = self.f(*_leaves(self.point))
        mismatch, diagnosis = _diagnose(outs, a, n, self.eps, self.atol, self.rtol)
        message = (f"check_grads failed at order {level}, mode {mode!r}, at the point {format_point(self.point)}: "
                   f"{what}: analytic {a!r} vs numeric {n!r} {_error(a, n, self.atol, self.rtol)}{diagnosis}")
        index = output if output is not None and output < len(outs) else 0
        raise GradcheckError(message, output_index=index, input_index=None, analytic=a, numeric=n,
                             mismatch=mismatch, outputs=outs, point=self.point, grads=_gradients_of(outs[index]),
                             order=level, mode=mode, direction=direction)


def _vjp(g: Callable[..., list[Value]], m: int) -> Callable[..., Any]:
    """``(x_1..x_m, u_1..u_k) -> u . J(x)``, the reverse-mode product of ``g``, itself differentiable."""
    return grad(lambda *a: dot(list(a[m:]), g(*a[:m])), argnums=tuple(range(m)))
