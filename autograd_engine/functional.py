"""Functional and higher-order derivatives: grad, value_and_grad, jacobian, hessian, hvp, jvp.

Each takes a function ``f`` of scalar arguments that works on Values (it may use
operators and Value methods such as ``x.exp()``) and returns a new function.

Semantics, as in JAX:

* **Argument positions, not objects.** Each call gives every differentiated
  argument position a fresh variable of its own, so two positions holding the
  same Value are two variables: with ``x = Value(2.0)``,
  ``grad(lambda a, b: a * b, argnums=(0, 1))(x, x)`` is ``(2.0, 2.0)``. For a
  Value argument the fresh variable is an ``identity`` node on it, so an outer
  transform still differentiates through it.
* **Nesting never confuses perturbations.** An inner transform differentiates
  by its own fresh variables only: ``grad(lambda x: grad(lambda y: x * y)(x))(2.0)``
  is ``1.0``. Called with Values, or inside another transform, the results are
  Values connected to the graph, so ``grad(grad(f))`` is the second derivative.
  Called with numbers, the results are floats (or float arrays).
* **Independent of the grad mode.** The transforms record what they need
  whatever the caller's mode, and leave it as it was. Inside ``no_grad()`` they
  still compute correct derivatives, and return them detached (floats for
  numbers, leaf Values for Values).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from .backward import gradients, topological_order
from .modes import enable_grad, is_grad_enabled
from .ops import contributions
from .validation import as_callable, as_real, describe, is_int, is_real
from .value import Value, dot, fresh_variable

if TYPE_CHECKING:
    import numpy as np

__all__ = ["grad", "value_and_grad", "jacobian", "hessian", "hvp", "jvp", "derivatives"]


def _argnums(argnums: Any) -> tuple[tuple[int, ...], bool]:
    """Normalise ``argnums`` to a tuple; the flag says whether a tuple of results is returned."""
    if is_int(argnums):
        return (int(argnums),), False
    if isinstance(argnums, tuple) and argnums and all(is_int(i) for i in argnums):
        return tuple(int(i) for i in argnums), True
    raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {describe(argnums)}")


_depth: ContextVar[int] = ContextVar("autograd_engine_transform_depth", default=0)


@contextlib.contextmanager
def _transform() -> Iterator[None]:
    """Inside a transform: recording on (whatever the caller's mode) and the nesting depth counted."""
    token = _depth.set(_depth.get() + 1)
    try:
        with enable_grad():
            yield
    finally:
        _depth.reset(token)


class _Call:
    """One call of a transform: the arguments with fresh variables in the differentiated positions.

    Attributes:
        values: the arguments to call ``f`` with (numbers become constant leaves).
        wrt: the fresh variable of each differentiated position, in order.
        connected: results must be Values connected to the graph (a Value was passed, or this
            call runs inside another transform), and the caller records.
        as_values: results are Values (connected or, inside ``no_grad``, detached leaves).
    """

    def __init__(self, args: Sequence[Any], positions: Iterable[int], name: str = "argument"):
        args = list(args)
        positions = list(positions)
        for i in positions:
            if not -len(args) <= i < len(args):
                raise ValueError(f"argnums refers to argument {i}, but f was called with {len(args)} argument(s)")
        for i in positions:
            if not (isinstance(args[i], Value) or is_real(args[i])):
                raise TypeError(f"{name} {i % len(args)} must be a number or a Value, got {describe(args[i])}")
        for i, a in enumerate(args):
            if type(a) is not float and is_real(a):  # ints too big for a float, NumPy scalars
                args[i] = as_real(a, f"{name} {i}")
        self.as_values = _depth.get() > 0 or any(isinstance(a, Value) for a in args)
        self.connected = self.as_values and is_grad_enabled()
        fresh: dict[int, Value] = {}
        with enable_grad():
            for i in positions:
                i %= len(args)
                if i not in fresh:
                    fresh[i] = fresh_variable(args[i])
        self.wrt = [fresh[i % len(args)] for i in positions]
        # the other numeric arguments become constant leaves, so f may call Value methods on them
        self.values = [fresh[i] if i in fresh else Value(a) if is_real(a) else a for i, a in enumerate(args)]

    def result(self, x: Any) -> Any:
        """A derivative or value as the caller gets it: a connected Value, a detached leaf or a float."""
        if self.connected:
            return x if isinstance(x, Value) else Value(x)
        data = x.data if isinstance(x, Value) else float(x)
        return Value(data) if self.as_values else data

    def array(self, rows: Any) -> np.ndarray:
        """``rows`` (nested lists) as an array: of Values when the results are Values, else of floats."""
        import numpy as np

        if self.as_values:
            return np.array([[self.result(x) for x in row] for row in rows], dtype=object)
        return np.array([[self.result(x) for x in row] for row in rows], dtype=float)


def derivatives(out: Value, wrt: Sequence[Value], create_graph: bool) -> list[Any]:
    """d out / d w for each w: floats, or (``create_graph``) Values connected to the graph.

    No ``w`` may depend on another (true of a transform's fresh variables): the sweep
    stops at them.

    >>> x, y = Value(2.0), Value(3.0)
    >>> derivatives(x * y, [x, y], create_graph=False)
    [3.0, 2.0]
    """
    grads = gradients(out, 1.0, create_graph=create_graph, stop_at=set(wrt))
    zero = Value(0.0) if create_graph else 0.0
    result = []
    for w in wrt:
        g = grads.get(w, zero)
        result.append(Value(g) if create_graph and not isinstance(g, Value) else g)
    return result


def _scalar_output(out: Any, name: str = "f") -> Value:
    if isinstance(out, Value):
        return out
    if is_real(out):
        return Value(out)
    raise TypeError(f"{name} must return a single Value or number, got {describe(out)}")


def _is_sequence(out: Any) -> bool:
    """A list, tuple or NumPy array of outputs (checked without importing NumPy)."""
    return isinstance(out, (list, tuple)) or type(out).__name__ == "ndarray"


def _vector_output(out: Any) -> list[Value]:
    items = list(out.ravel()) if type(out).__name__ == "ndarray" else out if _is_sequence(out) else [out]
    return [_scalar_output(o, f"f's output {i}") for i, o in enumerate(items)]


def value_and_grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., tuple[Any, Any]]:
    """Like :func:`grad`, but the new function returns ``(f(*args), derivative)``.

    >>> value_and_grad(lambda x: x * x)(3.0)
    (9.0, 6.0)
    """
    as_callable(f, "f")
    positions, as_tuple = _argnums(argnums)

    def value_and_grad_f(*args: Any) -> tuple[Any, Any]:
        call = _Call(args, positions)
        with _transform():
            out = _scalar_output(f(*call.values))
            ds = [call.result(d) for d in derivatives(out, call.wrt, call.connected)]
        return call.result(out), (tuple(ds) if as_tuple else ds[0])

    return value_and_grad_f


def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The derivative of a scalar-valued ``f`` with respect to argument position ``argnums``.

    Each call gives every differentiated position a fresh variable (see the module
    docstring): with ``x = Value(2.0)``, ``grad(lambda a, b: a * b, argnums=(0, 1))(x, x)`` is two new
    Values of data ``2.0`` (one per position).

    Args:
        f: a function of scalars returning one Value or number; it is called with a fresh
            Value in each differentiated position, and with constant Values (leaves) in place
            of its other numeric arguments; other arguments are passed as given.
        argnums: the position of the argument to differentiate by, or a tuple of positions
            (then the new function returns a tuple of derivatives).

    Returns:
        A function taking the same positional arguments as ``f``. Called with numbers it returns
        floats; called with Values (or inside another transform) it returns Values
        connected to the graph, so ``grad(grad(f))`` is the second derivative.

    Raises:
        TypeError: ``f`` is not callable, ``argnums`` is malformed, or (when called) a
            differentiated argument is not a number or Value, or ``f`` does not return a
            single Value or number.
        ValueError: (when called) ``argnums`` names a position ``f`` was not given.

    >>> d2 = grad(grad(lambda x: x ** 3))
    >>> d2(2.0)
    12.0
    >>> grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
    (5.0, 2.0)
    """
    vg = value_and_grad(f, argnums)

    def grad_f(*args: Any) -> Any:
        return vg(*args)[1]

    grad_f.__doc__ = f"Derivative of {getattr(f, '__name__', 'f')} by argument(s) {argnums}."
    return grad_f


def jacobian(f: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """The Jacobian of ``f`` over all its scalar arguments.

    ``f`` returns a Value or a list of Values. The new function returns an array of
    shape (outputs, inputs): float for number arguments, object (of Values) when
    any argument is a Value.

    >>> jacobian(lambda x, y: [x * y, x + y])(2.0, 3.0)
    array([[3., 2.],
           [1., 1.]])
    """
    as_callable(f, "f")

    def jacobian_f(*args: Any) -> np.ndarray:
        call = _Call(args, range(len(args)))
        with _transform():
            outs = _vector_output(f(*call.values))
            rows = [derivatives(o, call.wrt, call.connected) for o in outs]
        return call.array(rows).reshape(len(outs), len(args))

    return jacobian_f


def hessian(f: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """The (n, n) matrix of second derivatives of a scalar ``f`` of n scalar arguments.

    Computed reverse-over-reverse: the gradient is built as a graph
    (``create_graph``) and each of its entries differentiated again. The result is
    symmetrised, ``(H + H.T) / 2``, so it is exactly symmetric.

    >>> hessian(lambda x, y: x * x * y)(1.0, 2.0)
    array([[4., 2.],
           [2., 0.]])
    """
    as_callable(f, "f")

    def hessian_f(*args: Any) -> np.ndarray:
        call = _Call(args, range(len(args)))
        with _transform():
            first = derivatives(_scalar_output(f(*call.values)), call.wrt, create_graph=True)
            rows = [derivatives(g, call.wrt, call.connected) for g in first]
            n = len(args)
            return call.array([[(rows[i][j] + rows[j][i]) / 2 for j in range(n)] for i in range(n)]).reshape(n, n)

    return hessian_f


def hvp(f: Callable[..., Any]) -> Callable[[Sequence[Any], Sequence[Any]], np.ndarray]:
    """Hessian-vector product ``H(xs) @ v`` without building the Hessian.

    The new function takes the point ``xs`` and the vector ``v`` (sequences of equal
    length) and differentiates ``grad(f) . v`` once more: two sweeps, whatever n is.

    Raises:
        TypeError: (when called) ``xs`` or ``v`` is not a sequence of numbers or Values.
        ValueError: (when called) ``xs`` and ``v`` differ in length.

    >>> hvp(lambda x, y: x * x * y)([1.0, 2.0], [1.0, 0.0])
    array([4., 2.])
    """
    as_callable(f, "f")

    def hvp_f(xs: Sequence[Any], v: Sequence[Any]) -> np.ndarray:
        xs, v = _sequence(xs, "xs"), _sequence(v, "v")
        if len(xs) != len(v):
            raise ValueError(f"xs and v must have the same length, got {len(xs)} and {len(v)}")
        call = _Call(xs, range(len(xs)), name="xs")
        with _transform():
            first = derivatives(_scalar_output(f(*call.values)), call.wrt, create_graph=True)
            result = derivatives(dot(first, v), call.wrt, call.connected) if xs else []
            return call.array([result]).reshape(len(xs))

    return hvp_f


def _sequence(items: Any, name: str) -> list[Any]:
    """``items`` as a list of numbers and Values; ``TypeError`` naming ``name[i]`` otherwise."""
    if isinstance(items, (str, bytes, Value)) or is_real(items) or not isinstance(items, Iterable):
        raise TypeError(f"{name} must be a sequence of numbers or Values, got {describe(items)}")
    items = list(items.ravel()) if type(items).__name__ == "ndarray" else list(items)
    for i, x in enumerate(items):
        if not (isinstance(x, Value) or is_real(x)):
            raise TypeError(f"{name} must be numbers or Values; {name}[{i}] is {describe(x)}")
        if not isinstance(x, Value):
            items[i] = as_real(x, f"{name}[{i}]")
    return items


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """Forward mode: ``f(*primals)`` and its directional derivative along ``tangents``.

    One forward sweep over the graph in evaluation order carries each node's tangent,
    ``t(node) = sum_i d node / d parent_i * t(parent_i)``, with the local derivatives
    from the same rule table backward uses. Each primal position is its own variable.

    Args:
        f: a function of scalars returning a Value (or a list of Values).
        primals: the point.
        tangents: the direction, one number (or Value) per primal.

    Returns:
        ``(value, tangent)``: floats (lists of floats for a list output); Values when
        any primal is a Value or inside another transform.

    Raises:
        TypeError: ``f`` is not callable, or a primal or tangent is not a number or Value.
        ValueError: ``primals`` and ``tangents`` differ in length.

    >>> jvp(lambda x, y: x * y, [2.0, 3.0], [1.0, 0.0])
    (6.0, 3.0)
    """
    as_callable(f, "f")
    primals, tangents = _sequence(primals, "primals"), _sequence(tangents, "tangents")
    if len(primals) != len(tangents):
        raise ValueError(f"primals and tangents must have the same length, got {len(primals)} and {len(tangents)}")
    call = _Call(primals, range(len(primals)), name="primals")
    with _transform():
        result = f(*call.values)
        outs = _vector_output(result)
        tangent: dict[Value, Any] = dict(zip(call.wrt, tangents))
        seeded = set(call.wrt)
        for out in outs:
            for node in topological_order(out, stop_at=seeded):
                if node in tangent or node._fn is None:
                    continue
                parents, local = contributions(node, 1.0, on_values=call.connected)
                terms = [d * tangent[p] for p, d in zip(parents, local) if p in tangent]
                if terms:  # a node no primal reaches has no tangent (zero, never inf * 0 = nan)
                    tangent[node] = sum(terms[1:], terms[0])
        value = [call.result(o) for o in outs]
        tang = [call.result(tangent.get(o, 0.0)) for o in outs]
    if not _is_sequence(result):
        return value[0], tang[0]
    return value, tang
