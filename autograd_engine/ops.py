"""The table of primitive operations: name -> forward, derivative rule, sampling domain.

Every node in a graph was produced by one :class:`Op` from :data:`OPS`. An op
declares:

* ``forward``: computes the result from plain floats;
* ``vjp``: the derivative rule (vector-Jacobian product). It receives the
  incoming gradient ``g``, the inputs ``x, y`` and the result ``out`` and returns
  the gradient for each input. Rules are written with ordinary arithmetic and
  the generic functions of this module (``exp``, ``log``, ``cos`` ...), so the
  same rule runs on floats (plain ``backward()``) and on ``Value`` objects
  (``backward(create_graph=True)``);
* ``domain``: where the op is smooth, so the test-suite can sample points and
  check every rule against central differences.

Ops come in four kinds (:class:`Kind`): ``UNARY``, ``PARAM``, ``BINARY`` and
``NARY``; the kind owns a node's layout and the signatures of ``forward`` and ``vjp``.

``PARAM`` ops take one differentiable input and one constant ``c`` (the
exponent of ``x ** 2``, the slope of ``leaky_relu``).

Arithmetic follows IEEE-754 as NumPy does: ``1 / 0`` is ``inf``, ``log(-1)`` is
``nan``. Forwards and rules run on Python floats for speed; where Python would
raise (``ZeroDivisionError``, ``math domain error``, ``OverflowError``) the same
function is re-run on NumPy scalars, which give the IEEE answer (see
:func:`ieee`).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .validation import as_real, describe, is_real

if TYPE_CHECKING:
    from .value import Value

__all__ = [
    "Kind", "KINDS", "UNARY", "PARAM", "BINARY", "NARY", "Op", "OPS", "register", "ieee", "IEEE_ERRORS",
    "call_forward", "call_vjp", "contributions", "parents_of", "param_of", "check_args",
    "depth_first_order", "float_sweep", "is_value",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "sin", "cos",
    "maximum", "stop_gradient",
]

#: Sampling intervals for tests: each argument samples uniformly from one of its intervals.
REALS = ((-3.0, 3.0),)
POSITIVE = ((0.2, 3.0),)
NONZERO = ((-3.0, -0.2), (0.2, 3.0))

#: What Python raises where IEEE-754 has an answer (inf or nan): such calls are redone on NumPy scalars.
IEEE_ERRORS = (ArithmeticError, ValueError)


def _to_numpy(a: Any) -> Any:
    import numpy as np

    if isinstance(a, float):
        return np.float64(a)
    if isinstance(a, (list, tuple)):
        return [_to_numpy(v) for v in a]
    return a


def _to_float(r: Any) -> Any:
    import numpy as np

    if isinstance(r, np.floating):
        return float(r)
    if isinstance(r, (list, tuple)):
        return type(r)(_to_float(v) for v in r)
    return r


def ieee(fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn(*args)``; where Python raises an arithmetic error, redo it on NumPy scalars.

    NumPy's float64 arithmetic returns ``inf``/``nan`` where Python raises, so the
    result follows IEEE-754. Floats in ``args`` (also inside lists and tuples)
    become ``np.float64`` for the retry and the result is converted back to floats.

    >>> ieee(lambda x: 1.0 / x, 0.0)
    inf
    """
    try:
        return fn(*args)
    except IEEE_ERRORS:
        import numpy as np  # only on this rare path: keeps `import autograd_engine` fast

        with np.errstate(all="ignore"):
            return _to_float(fn(*[_to_numpy(a) for a in args]))


def _safe(math_fn: Callable[..., float], numpy_name: str) -> Callable[..., float]:
    """A float function that runs ``math_fn`` and falls back to NumPy's ``numpy_name`` where it raises."""

    def f(*args: float) -> float:
        try:
            return math_fn(*args)
        except IEEE_ERRORS:
            import numpy as np

            with np.errstate(all="ignore"):
                return float(getattr(np, numpy_name)(*args))

    f.__name__ = f.__qualname__ = math_fn.__name__
    return f


def _power(x: float, y: float) -> float:
    """``x ** y`` with IEEE results: ``0 ** -1`` is inf, ``(-8) ** (1/3)`` is nan (not complex)."""
    try:
        r = x**y
    except (ZeroDivisionError, OverflowError):
        import numpy as np

        with np.errstate(all="ignore"):
            return float(np.power(x, y))
    return math.nan if isinstance(r, complex) else r


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # x < 0 (or nan, which falls through to nan)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _relu(x: float) -> float:
    return 0.0 if x <= 0 else x  # nan stays nan


def _maximum(x: float, y: float) -> float:
    if x > y or x != x:  # nan in either argument gives nan
        return x
    return y if y > x or y != y else x


def _leaky_relu(x: float, slope: float) -> float:
    return x if x > 0 else slope * x


def _logsumexp(xs: list[float]) -> float:
    m = max(xs)
    if not math.isfinite(m):
        m = 0.0
    return m + _log(math.fsum([_exp(x - m) for x in xs]))


def _dot(xs: list[float]) -> float:
    n = len(xs) // 2
    return sum(map(operator.mul, xs[:n], xs[n:]))


_exp = _safe(math.exp, "exp")
_log = _safe(math.log, "log")
_sqrt = _safe(math.sqrt, "sqrt")
_sin = _safe(math.sin, "sin")
_cos = _safe(math.cos, "cos")


@dataclass(frozen=True, slots=True)
class Kind:
    """How a node made by an op of this kind stores its inputs, and how the op's functions are called.

    This is the one place that knows a node's layout. A node keeps its op in ``_fn``
    and its inputs in two slots, ``_x`` and ``_y`` (see :class:`~autograd_engine.Value`):

    ========  ========================  ============================  ==============================
    kind      layout (``_x``, ``_y``)   forward                       vjp
    ========  ========================  ============================  ==============================
    UNARY     (input, None)             ``forward(x)``                ``vjp(g, x, out) -> dx``
    PARAM     (input, constant)         ``forward(x, c)``             ``vjp(g, x, c, out) -> dx``
    BINARY    (input 0, input 1)        ``forward(x, y)``             ``vjp(g, x, y, out) -> (dx, dy)``
    NARY      (tuple of inputs, None)   ``forward(xs)``               ``vjp(g, xs, out) -> [dx, ...]``
    ========  ========================  ============================  ==============================

    Attributes:
        name: "unary", "param", "binary" or "nary".
        n_args: how many inputs an op of this kind takes (None: any number, at least one).
        parents: node -> its inputs, in argument order.
        param: node -> its constant (None for kinds without one).
        layout: (inputs, constant) -> the node's ``(_x, _y)``.
        forward: (op, args, c) -> the result, on floats, IEEE-754 where Python would raise.
        vjp: (op, g, args, out, c) -> the list of gradients, one per input.

    Everything outside this module asks a kind (through :func:`parents_of`, :func:`param_of`,
    :func:`call_forward`, :func:`call_vjp` and :func:`contributions`) and never reads the slots.
    The two loops every ``backward()`` runs, :func:`depth_first_order` and :func:`float_sweep`,
    live here too and read the slots directly: a function call per node there costs 20-40%
    of plain backward's time (``benchmarks/bench_engine.py``).
    """

    name: str
    n_args: int | None
    parents: Callable[[Any], tuple[Any, ...]]
    param: Callable[[Any], Any]
    layout: Callable[[tuple[Any, ...], Any], tuple[Any, Any]]
    forward: Callable[[Op, Sequence[Any], Any], Any]
    vjp: Callable[[Op, Any, Sequence[Any], Any, Any], list[Any]]

    def __repr__(self) -> str:
        return self.name.upper()


def _no_param(node: Any) -> None:
    return None


def _only_parent(v: Any) -> tuple[Any]:
    return (v._x,)


UNARY = Kind("unary", 1, parents=_only_parent, param=_no_param, layout=lambda xs, c: (xs[0], None),
             forward=lambda op, a, c: ieee(op.forward, a[0]),
             vjp=lambda op, g, a, out, c: [ieee(op.vjp, g, a[0], out)])
PARAM = Kind("param", 1, parents=_only_parent, param=operator.attrgetter("_y"), layout=lambda xs, c: (xs[0], c),
             forward=lambda op, a, c: ieee(op.forward, a[0], c),
             vjp=lambda op, g, a, out, c: [ieee(op.vjp, g, a[0], c, out)])
BINARY = Kind("binary", 2, parents=operator.attrgetter("_x", "_y"), param=_no_param, layout=lambda xs, c: tuple(xs),
              forward=lambda op, a, c: ieee(op.forward, a[0], a[1]),
              vjp=lambda op, g, a, out, c: list(ieee(op.vjp, g, a[0], a[1], out)))
NARY = Kind("nary", None, parents=operator.attrgetter("_x"), param=_no_param, layout=lambda xs, c: (tuple(xs), None),
            forward=lambda op, a, c: ieee(op.forward, list(a)),
            vjp=lambda op, g, a, out, c: list(ieee(op.vjp, g, list(a), out)))

#: Every kind, by name.
KINDS: dict[str, Kind] = {k.name: k for k in (UNARY, PARAM, BINARY, NARY)}


@dataclass(frozen=True, slots=True)
class Op:
    """One primitive operation: its forward computation and its derivative rule.

    Attributes:
        name: the key in :data:`OPS`, shown as the node's ``op`` and in drawings.
        kind: ``UNARY``, ``PARAM``, ``BINARY`` or ``NARY`` (see the module docstring).
        forward: computes the result from floats.
        vjp: the derivative rule; returns the gradient for each input.
        domain: sampling intervals per argument (one entry for ``NARY``: all arguments)
            where the op is smooth; used by tests to check ``vjp`` against central differences.
        params: sample constants for ``PARAM`` ops, used by the same tests.
        arity: number of arguments a test passes to a ``NARY`` op.
        doc: one line for tables and error messages.
        multiple_of: a ``NARY`` op takes a multiple of this many arguments (2 for ``dot``: ws then xs).
        rule_is_derivative: True when ``vjp`` is the derivative of ``forward``, so the tests check it
            against central differences and HIPS autograd. False declares a rule that deliberately is
            not (``stop_gradient``: forward is the identity, the rule sends 0); the tests then check
            such a rule against its closed form and check that central differences do disagree with it.
    """

    name: str
    kind: Kind
    forward: Callable[..., float]
    vjp: Callable[..., Any]
    domain: tuple[tuple[tuple[float, float], ...], ...]
    params: tuple[float, ...] = ()
    arity: int = 4
    doc: str = ""
    multiple_of: int = 1
    rule_is_derivative: bool = True


#: The registry of every primitive, keyed by name.
OPS: dict[str, Op] = {}


def _is_domain(domain: Any, n_args: int) -> bool:
    try:
        return len(domain) == n_args and all(
            len(arg) > 0 and all(len(iv) == 2 and iv[0] < iv[1] for iv in arg) for arg in domain)
    except TypeError:
        return False


def register(op: Op) -> Op:
    """Add ``op`` to :data:`OPS` and return it.

    Raises:
        TypeError: ``op`` is not an :class:`Op`.
        ValueError: the name is taken, the kind is unknown, the domain is malformed, or a ``PARAM`` op
            has no sample ``params``.
    """
    if not isinstance(op, Op):
        raise TypeError(f"register() expects an Op, got {type(op).__name__}")
    if not isinstance(op.name, str) or not op.name:
        raise ValueError(f"an op's name must be a non-empty str, got {op.name!r}")
    if op.name in OPS:
        raise ValueError(f"an op named {op.name!r} is already registered")
    if op.kind not in KINDS.values():
        raise ValueError(f"op {op.name!r}: kind must be one of UNARY, PARAM, BINARY, NARY, got {op.kind!r}")
    if not (callable(op.forward) and callable(op.vjp)):
        raise TypeError(f"op {op.name!r}: forward and vjp must be callable")
    if op.kind is PARAM and not op.params:
        raise ValueError(f"op {op.name!r}: a PARAM op needs sample params for its tests")
    if not (isinstance(op.multiple_of, int) and op.multiple_of >= 1):
        raise ValueError(f"op {op.name!r}: multiple_of must be an int >= 1, got {op.multiple_of!r}")
    expected = 2 if op.kind is BINARY else 1
    if not _is_domain(op.domain, expected):
        raise ValueError(f"op {op.name!r}: domain must hold {expected} argument(s), each a non-empty tuple of "
                         f"(low, high) intervals with low < high, got {op.domain!r}")
    OPS[op.name] = op
    return op


def call_forward(op: Op, args: Sequence[Any], c: Any = None) -> Any:
    """Run ``op``'s forward on ``args`` (inputs in argument order), whatever its kind.

    ``c`` is the constant of a ``PARAM`` op.

    >>> call_forward(OPS["*"], [2.0, 3.0])
    6.0
    """
    return op.kind.forward(op, args, c)


def call_vjp(op: Op, g: Any, args: Sequence[Any], out: Any, c: Any = None) -> list[Any]:
    """Run ``op``'s derivative rule, whatever its kind; returns one gradient per input.

    The arguments may be floats (a plain sweep) or Values (``create_graph``: the
    gradients are then Values connected to the graph).

    >>> call_vjp(OPS["*"], 1.0, [2.0, 3.0], 6.0)
    [3.0, 2.0]
    """
    return op.kind.vjp(op, g, args, out, c)


def contributions(node: Any, g: Any, on_values: bool = False) -> tuple[tuple[Any, ...], list[Any]]:
    """A node's parents and what its derivative rule sends each of them, given its gradient ``g``.

    This is the chain rule's one step: every sweep (plain, ``create_graph``, the
    step-through, forward mode and gradcheck's per-node check) computes a node's
    contributions here. ``on_values`` runs the rule on the parents themselves (Values),
    so the contributions are nodes of the graph; otherwise on their ``.data``.

    >>> from autograd_engine import Value
    >>> x = Value(3.0)
    >>> contributions(x * x, 1.0)[1]
    [3.0, 3.0]
    """
    fn = node._fn
    kind = fn.kind
    parents = kind.parents(node)
    if on_values:
        return parents, kind.vjp(fn, g, parents, node, kind.param(node))
    return parents, kind.vjp(fn, g, [p.data for p in parents], node.data, kind.param(node))


def parents_of(node: Any) -> tuple[Any, ...]:
    """The inputs of the op that made ``node``, in argument order; ``()`` for a leaf."""
    fn = node._fn
    return () if fn is None else fn.kind.parents(node)


def param_of(node: Any) -> Any:
    """The constant of the op that made ``node`` (the ``2`` of ``x ** 2``); ``None`` if it has none."""
    fn = node._fn
    return None if fn is None else fn.kind.param(node)


def depth_first_order(root: Any, stop_at: Any = ()) -> list[Any]:
    """Every node ``root`` depends on, each after all of its inputs; ``root`` last (no checks).

    An explicit stack, never recursion. ``stop_at`` nodes are listed like leaves. The
    public, checked entry point is :func:`autograd_engine.topological_order`.
    """
    order: list[Any] = []
    seen: set[Any] = set()
    stack: list[Any] = [root]
    pop, push, extend, add, append = stack.pop, stack.append, stack.extend, seen.add, order.append
    while stack:
        v = pop()
        if v is None:  # all inputs of the node below the marker are listed
            append(pop())
            continue
        if v in seen:
            continue
        add(v)
        fn = v._fn
        if fn is None or (stop_at and v in stop_at):
            append(v)
            continue
        push(v)
        push(None)
        kind = fn.kind  # the layout, read inline (see Kind)
        if kind is BINARY:
            push(v._y)
            push(v._x)
        elif kind is NARY:  # shared inputs (a neuron's weights across samples) are often seen already
            extend([p for p in reversed(v._x) if p not in seen])
        else:
            push(v._x)
    return order


def float_sweep(order: list[Any]) -> None:
    """The chain rule on floats over ``order`` (a :func:`depth_first_order`), root last, into ``.grad``.

    Each node's rule gets its ``.grad`` and its inputs' ``.data``, and each result is
    added to that input's ``.grad``: :func:`contributions` written out per kind, since
    plain ``backward()`` spends most of its time here. The caller seeds the root's
    ``.grad`` and zeroes the rest.
    """
    for v in reversed(order):
        fn = v._fn
        if fn is None:
            continue
        kind = fn.kind
        g = v.grad
        if kind is BINARY:
            x, y = v._x, v._y
            try:
                dx, dy = fn.vjp(g, x.data, y.data, v.data)
            except IEEE_ERRORS:
                dx, dy = ieee(fn.vjp, g, x.data, y.data, v.data)
            x.grad += dx
            y.grad += dy
        elif kind is UNARY:
            x = v._x
            try:
                x.grad += fn.vjp(g, x.data, v.data)
            except IEEE_ERRORS:
                x.grad += ieee(fn.vjp, g, x.data, v.data)
        elif kind is PARAM:
            x = v._x
            try:
                x.grad += fn.vjp(g, x.data, v._y, v.data)
            except IEEE_ERRORS:
                x.grad += ieee(fn.vjp, g, x.data, v._y, v.data)
        else:
            parents = v._x
            data = [p.data for p in parents]
            try:
                grads = fn.vjp(g, data, v.data)
            except IEEE_ERRORS:
                grads = ieee(fn.vjp, g, data, v.data)
            for p, d in zip(parents, grads):
                p.grad += d


def check_args(op: Op, n_args: int, param: Any) -> None:
    """Raise unless ``op`` can be applied to ``n_args`` inputs with the constant ``param``.

    The one rule for every way an op is applied (``apply``, a ``Primitive`` called on
    numbers or Values): the count fits the op's kind, and a constant is given exactly
    when the op takes one.

    Raises:
        ValueError: the number of inputs does not fit.
        TypeError: ``param`` is given to an op that takes none, or missing for a PARAM op.

    >>> check_args(OPS["dot"], 3, None)
    Traceback (most recent call last):
    ...
    ValueError: op 'dot' takes a multiple of 2 arguments (at least 2), got 3
    """
    want = op.kind.n_args
    if want is None:
        m = op.multiple_of
        if n_args < m or n_args % m:
            words = "at least 1 argument" if m == 1 else f"a multiple of {m} arguments (at least {m})"
            raise ValueError(f"op {op.name!r} takes {words}, got {n_args}")
    elif n_args != want:
        raise ValueError(f"op {op.name!r} takes {want} argument(s), got {n_args}")
    if (param is not None) != (op.kind is PARAM):
        need = "needs a param" if op.kind is PARAM else "takes no param"
        raise TypeError(f"op {op.name!r} {need}, got param={param!r}")


# -- generic functions: floats in, floats out; Values in, Values out ---------------------------------


def _call(name: str, fwd: Callable[..., float], x: Any, *args: Any) -> Any:
    """``fwd`` on a number (as a float), or the method ``name`` of a Value; an error for anything else."""
    if type(x) is float:
        return fwd(x, *args)
    if is_real(x):  # NumPy scalars, ints, Fractions: computed as Python floats, so the result is a float
        try:
            v = float(x)
        except (OverflowError, ValueError):  # an int too large for a float
            raise ValueError(f"{name}() expects a Value or a real number that fits in a float, "
                             f"got {describe(x)}") from None
        return fwd(v, *args)
    if not is_value(x):  # not any object with an exp method: Decimal, arrays ...
        raise TypeError(f"{name}() expects a Value or a real number, got {describe(x)}")
    return getattr(x, name)(*args)


_VALUE: Any = None


def is_value(x: Any) -> bool:
    """``isinstance(x, Value)``, for the modules ``value.py`` imports (they cannot import it back)."""
    global _VALUE
    if _VALUE is None:
        from .value import Value

        _VALUE = Value
    return isinstance(x, _VALUE)


def exp(x: Value | float) -> Value | float:
    """``e ** x``: a float for a number, a new graph node for a Value.

    >>> exp(0.0)
    1.0
    """
    return _call("exp", _exp, x)


def log(x: Value | float) -> Value | float:
    """Natural logarithm; ``log(0)`` is ``-inf`` and ``log(-1)`` is ``nan``.

    >>> log(1.0)
    0.0
    """
    return _call("log", _log, x)


def sqrt(x: Value | float) -> Value | float:
    """Square root; ``sqrt(-1)`` is ``nan``.

    >>> sqrt(4.0)
    2.0
    """
    return _call("sqrt", _sqrt, x)


def tanh(x: Value | float) -> Value | float:
    """Hyperbolic tangent.

    >>> tanh(0.0)
    0.0
    """
    return _call("tanh", math.tanh, x)


def sigmoid(x: Value | float) -> Value | float:
    """Logistic function ``1 / (1 + e ** -x)``, computed without overflow.

    >>> sigmoid(0.0)
    0.5
    """
    return _call("sigmoid", _sigmoid, x)


def relu(x: Value | float) -> Value | float:
    """``max(x, 0)``; the derivative at 0 is taken as 0.

    >>> relu(-2.0)
    0.0
    """
    return _call("relu", _relu, x)


def leaky_relu(x: Value | float, slope: float = 0.01) -> Value | float:
    """``x`` for ``x > 0``, else ``slope * x``.

    Raises:
        TypeError: ``x`` is not a Value or a real number, or ``slope`` is not a real number.
        ValueError: ``slope`` is ``nan`` or infinite.

    >>> leaky_relu(-2.0, 0.1)
    -0.2
    """
    if type(slope) is not float or not math.isfinite(slope):
        slope = as_real(slope, "slope", finite=True)
    return _call("leaky_relu", _leaky_relu, x, slope)


def softplus(x: Value | float) -> Value | float:
    """``log(1 + e ** x)``, computed without overflow.

    >>> round(softplus(0.0), 6)
    0.693147
    """
    return _call("softplus", _softplus, x)


def sin(x: Value | float) -> Value | float:
    """Sine (radians).

    >>> sin(0.0)
    0.0
    """
    return _call("sin", _sin, x)


def cos(x: Value | float) -> Value | float:
    """Cosine (radians).

    >>> cos(0.0)
    1.0
    """
    return _call("cos", _cos, x)


def maximum(x: Value | float, y: Value | float) -> Value | float:
    """The larger of ``x`` and ``y``; ``nan`` if either is ``nan``.

    The derivative goes to the larger argument; at a tie (``x == y``) each gets half
    of the incoming gradient, as ``torch.maximum`` does (so ``maximum(x, x)`` has
    derivative 1). A float for two numbers, a new graph node when either is a Value.

    Raises:
        TypeError: an argument is neither a Value nor a real number.
        ValueError: an argument is an int too large for a float.

    >>> maximum(2.0, 3)
    3.0
    """
    if is_value(x) or is_value(y):
        x = x if is_value(x) else _VALUE(_real_arg(x, "x", "maximum"))
        y = y if is_value(y) else _VALUE(_real_arg(y, "y", "maximum"))
        return x.maximum(y)
    return _maximum(_real_arg(x, "x", "maximum"), _real_arg(y, "y", "maximum"))


def stop_gradient(x: Value | float) -> Value | float:
    """``x`` itself, through which no gradient flows (PyTorch's ``detach``, JAX's ``stop_gradient``).

    The node's rule sends 0 to its input, so ``x - stop_gradient(x)`` has value 0 and
    derivative 1. Use it for values that shift a computation but must not be
    differentiated (the max subtracted before a softmax), where a traced function
    may not read ``.data`` (see ``trace``).

    >>> stop_gradient(2.5)
    2.5
    """
    return _call("stop_gradient", float, x)


def _real_arg(x: Any, name: str, fn: str) -> float:
    if type(x) is float:
        return x
    if not is_real(x):
        raise TypeError(f"{fn}() expects {name} to be a Value or a real number, got {describe(x)}")
    try:
        return float(x)
    except (OverflowError, ValueError):
        raise ValueError(f"{fn}() expects {name} to be a Value or a real number that fits in a float, "
                         f"got {describe(x)}") from None


# -- derivative rules that need more than one line ----------------------------------------------------


def _real_pow(x, y):
    """``x ** y`` for the rules: a real ``nan`` where Python's float power would give a complex number."""
    r = x**y
    return math.nan if isinstance(r, complex) else r


def _pow_vjp(g, x, y, out):
    # As PyTorch: d/dx is 0 where y == 0 (even at x == 0 or nan), d/dy is 0 where x == 0 and y >= 0.
    # Only where the formula would give nan is it replaced by the constant 0: elsewhere it is 0 anyway
    # (y * x ** (y - 1) at y == 0), and keeping it lets a second derivative see its dependence on y.
    xd, yd = float(x), float(y)
    dx = 0.0 if yd == 0 and (xd == 0 or xd != xd) else g * y * _real_pow(x, y - 1)
    dy = 0.0 if xd == 0 and yd >= 0 else g * out * log(x)
    return dx, dy


def _pow_const_vjp(g, x, c, out):
    return g * c * _real_pow(x, c - 1) if c != 0 else 0.0


def _dot_vjp(g, xs, out):
    n = len(xs) // 2
    return [g * x for x in xs[n:]] + [g * w for w in xs[:n]]


def _maximum_vjp(g, x, y, out):
    # As torch.maximum: the larger argument takes g, a tie splits it; nan sends g to both.
    xd, yd = float(x), float(y)
    if xd == yd:
        return g * 0.5, g * 0.5
    return (0.0 if xd < yd else g), (0.0 if xd > yd else g)


def _abs_vjp(g, x, out):
    if x > 0:
        return g
    return -g if x < 0 else 0.0


# -- the table -------------------------------------------------------------------------------------------

ADD = register(Op("+", BINARY, operator.add, lambda g, x, y, out: (g, g), (REALS, REALS), doc="x + y"))
SUB = register(Op("-", BINARY, operator.sub, lambda g, x, y, out: (g, -g), (REALS, REALS), doc="x - y"))
MUL = register(Op("*", BINARY, operator.mul, lambda g, x, y, out: (g * y, g * x), (REALS, REALS), doc="x * y"))
DIV = register(Op("/", BINARY, _safe(operator.truediv, "divide"),
                  lambda g, x, y, out: (g / y, -g * out / y), (REALS, NONZERO), doc="x / y"))
NEG = register(Op("neg", UNARY, operator.neg, lambda g, x, out: -g, (REALS,), doc="-x"))
POW = register(Op("pow", BINARY, _power, _pow_vjp, (POSITIVE, REALS), doc="x ** y, both Values"))
POW_CONST = register(Op("**", PARAM, _power, _pow_const_vjp, (POSITIVE,),
                        params=(2.0, 3.0, -1.0, 0.5, -1.5, 0.0), doc="x ** c, c a constant"))
EXP = register(Op("exp", UNARY, _exp, lambda g, x, out: g * out, (REALS,), doc="e ** x"))
LOG = register(Op("log", UNARY, _log, lambda g, x, out: g / x, (POSITIVE,), doc="natural logarithm"))
SQRT = register(Op("sqrt", UNARY, _sqrt, lambda g, x, out: g / (2 * out), (POSITIVE,), doc="square root"))
TANH = register(Op("tanh", UNARY, math.tanh, lambda g, x, out: g * (1 - out * out), (REALS,),
                   doc="hyperbolic tangent"))
SIGMOID = register(Op("sigmoid", UNARY, _sigmoid, lambda g, x, out: g * out * (1 - out), (REALS,),
                      doc="1 / (1 + e ** -x)"))
RELU = register(Op("relu", UNARY, _relu, lambda g, x, out: g if x > 0 else 0.0, (NONZERO,),
                   doc="max(x, 0)"))
LEAKY_RELU = register(Op("leaky_relu", PARAM, _leaky_relu, lambda g, x, c, out: g if x > 0 else g * c,
                         (NONZERO,), params=(0.01, 0.2), doc="x if x > 0 else slope * x"))
SOFTPLUS = register(Op("softplus", UNARY, _softplus, lambda g, x, out: g * sigmoid(x), (REALS,),
                       doc="log(1 + e ** x)"))
SIN = register(Op("sin", UNARY, _sin, lambda g, x, out: g * cos(x), (REALS,), doc="sine"))
COS = register(Op("cos", UNARY, _cos, lambda g, x, out: -g * sin(x), (REALS,), doc="cosine"))
ABS = register(Op("abs", UNARY, math.fabs, _abs_vjp, (NONZERO,), doc="|x|"))
SUM = register(Op("sum", NARY, sum, lambda g, xs, out: [g] * len(xs), (REALS,), doc="x1 + x2 + ... (one node)"))
DOT = register(Op("dot", NARY, _dot, _dot_vjp, (REALS,), doc="w1*x1 + w2*x2 + ... (parents: ws then xs)",
                  multiple_of=2))
LOGSUMEXP = register(Op("logsumexp", NARY, _logsumexp, lambda g, xs, out: [g * exp(x - out) for x in xs],
                        (REALS,), doc="log(e ** x1 + e ** x2 + ...), computed without overflow"))
SOFTMAX = register(Op("softmax", BINARY, lambda x, lse: _exp(x - lse),
                      lambda g, x, lse, out: (g * out, -g * out), (REALS, REALS),
                      doc="one softmax output: e ** (x - logsumexp(xs))"))
MAXIMUM = register(Op("maximum", BINARY, _maximum, _maximum_vjp, (REALS, REALS),
                      doc="the larger of x and y (a tie splits the gradient)"))
STOP_GRADIENT = register(Op("stop_gradient", UNARY, float, lambda g, x, out: 0.0, (REALS,),
                            doc="x, with no gradient flowing back", rule_is_derivative=False))
IDENTITY = register(Op("identity", UNARY, float, lambda g, x, out: g, (REALS,),
                       doc="x itself: the fresh variable a transform gives each argument position"))
