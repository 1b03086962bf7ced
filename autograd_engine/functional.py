"""Functional and higher-order derivatives: grad, value_and_grad, jacobian, hessian, hvp, jvp.

Each takes a function ``f`` of scalar arguments that works on Values (it may use
operators and Value methods such as ``x.exp()``) and returns a new function. ``f``
is called with every numeric argument turned into a Value (those not
differentiated are constants). Called with numbers, the results are floats (or
float arrays). Called with Values, or inside another transform, the results are
Values connected to the graph, so the transforms nest: ``grad(grad(f))`` is the
second derivative, to any order, and an inner ``grad`` may use the outer one's
variable: ``grad(lambda x: x * grad(lambda y: x * y)(3.0))(2.0) == 4.0``.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from .backward import gradients, topological_order
from .ops import call_vjp
from .value import Value, dot

if TYPE_CHECKING:
    import numpy as np

__all__ = ["grad", "value_and_grad", "jacobian", "hessian", "hvp", "jvp"]


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _check_callable(f: Any) -> None:
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")


def _argnums(argnums: Any) -> tuple[tuple[int, ...], bool]:
    """Normalise ``argnums`` to a tuple; the flag says whether a tuple of results is returned."""
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        return (argnums,), False
    if isinstance(argnums, tuple) and argnums and all(isinstance(i, int) and not isinstance(i, bool)
                                                      for i in argnums):
        return argnums, True
    raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")


_depth: ContextVar[int] = ContextVar("autograd_engine_transform_depth", default=0)


@contextlib.contextmanager
def _inside_transform() -> Iterator[None]:
    token = _depth.set(_depth.get() + 1)
    try:
        yield
    finally:
        _depth.reset(token)


def _lift_args(args: Sequence[Any], positions: Iterable[int]) -> tuple[list[Any], bool]:
    """Arguments as Values (numbers become new leaves; other objects pass through unchanged).

    The flag says whether the results must be Values connected to the graph: when an
    argument already was a Value, or when this transform runs inside another one (``f``
    may close over the outer transform's Values, as in ``grad(lambda x: x * grad(g)(3.0))``).
    """
    args = list(args)
    for i in positions:
        if not -len(args) <= i < len(args):
            raise ValueError(f"argnums refers to argument {i}, but f was called with {len(args)} argument(s)")
        if not (isinstance(args[i], Value) or _is_number(args[i])):
            raise TypeError(f"argument {i} must be a number or a Value, got {type(args[i]).__name__}")
    differentiable = _depth.get() > 0 or any(isinstance(a, Value) for a in args)
    return [Value(a) if _is_number(a) else a for a in args], differentiable


def _scalar_output(out: Any, name: str = "f") -> Value:
    if isinstance(out, Value):
        return out
    if _is_number(out):
        return Value(out)
    raise TypeError(f"{name} must return a single Value or number, got {type(out).__name__}")


def _is_sequence(out: Any) -> bool:
    """A list, tuple or NumPy array of outputs (checked without importing NumPy)."""
    return isinstance(out, (list, tuple)) or type(out).__name__ == "ndarray"


def _vector_output(out: Any) -> list[Value]:
    items = out if _is_sequence(out) else [out]
    return [_scalar_output(o, f"f's output {i}") for i, o in enumerate(items)]


def _derivatives(out: Value, wrt: Sequence[Value], differentiable: bool) -> list[Any]:
    """d out / d w for each w: floats, or (``differentiable``) Values connected to the graph."""
    grads = gradients(out, 1.0, create_graph=differentiable)
    zero = Value(0.0) if differentiable else 0.0
    result = []
    for w in wrt:
        g = grads.get(w, zero)
        result.append(Value(g) if differentiable and not isinstance(g, Value) else g)
    return result


def value_and_grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., tuple[Any, Any]]:
    """Like :func:`grad`, but the new function returns ``(f(*args), derivative)``.

    >>> value_and_grad(lambda x: x * x)(3.0)
    (9.0, 6.0)
    """
    _check_callable(f)
    positions, as_tuple = _argnums(argnums)

    def value_and_grad_f(*args: Any) -> tuple[Any, Any]:
        values, differentiable = _lift_args(args, positions)
        with _inside_transform():
            out = _scalar_output(f(*values))
        ds = _derivatives(out, [values[i] for i in positions], differentiable)
        return (out if differentiable else out.data), (tuple(ds) if as_tuple else ds[0])

    return value_and_grad_f


def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The derivative of a scalar-valued ``f`` with respect to argument ``argnums``.

    Args:
        f: a function of scalars returning one Value or number; it is called with Values
            in place of the differentiated arguments.
        argnums: the position of the argument to differentiate by, or a tuple of positions
            (then the new function returns a tuple of derivatives).

    Returns:
        A function taking the same arguments as ``f``. Called with numbers it returns
        floats; called with Values it returns Values connected to the graph, so
        ``grad(grad(f))`` is the second derivative.

    Raises:
        TypeError: ``f`` is not callable, ``argnums`` is malformed, or (when called) ``f``
            does not return a single Value or number.

    >>> import autograd_engine as ae
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
    _check_callable(f)

    def jacobian_f(*args: Any) -> np.ndarray:
        import numpy as np

        values, differentiable = _lift_args(args, range(len(args)))
        with _inside_transform():
            outs = _vector_output(f(*values))
        rows = [_derivatives(o, values, differentiable) for o in outs]
        return np.array(rows, dtype=object if differentiable else float).reshape(len(outs), len(values))

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
    _check_callable(f)

    def hessian_f(*args: Any) -> np.ndarray:
        import numpy as np

        values, differentiable = _lift_args(args, range(len(args)))
        with _inside_transform():
            first = _derivatives(_scalar_output(f(*values)), values, differentiable=True)
        h = np.array([_derivatives(g, values, differentiable) for g in first],
                     dtype=object if differentiable else float)
        return (h + h.T) / 2

    return hessian_f


def hvp(f: Callable[..., Any]) -> Callable[[Sequence[Any], Sequence[Any]], np.ndarray]:
    """Hessian-vector product ``H(xs) @ v`` without building the Hessian.

    The new function takes the point ``xs`` and the vector ``v`` (sequences of equal
    length) and differentiates ``grad(f) . v`` once more: two sweeps, whatever n is.

    >>> hvp(lambda x, y: x * x * y)([1.0, 2.0], [1.0, 0.0])
    array([4., 2.])
    """
    _check_callable(f)

    def hvp_f(xs: Sequence[Any], v: Sequence[Any]) -> np.ndarray:
        import numpy as np

        xs, v = list(xs), list(v)
        if len(xs) != len(v):
            raise ValueError(f"xs and v must have the same length, got {len(xs)} and {len(v)}")
        values, differentiable = _lift_args(xs, range(len(xs)))
        with _inside_transform():
            first = _derivatives(_scalar_output(f(*values)), values, differentiable=True)
        result = _derivatives(dot(first, v), values, differentiable)
        return np.array(result, dtype=object if differentiable else float)

    return hvp_f


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """Forward mode: ``f(*primals)`` and its directional derivative along ``tangents``.

    One forward sweep over the graph in evaluation order carries each node's tangent,
    ``t(node) = sum_i d node / d parent_i * t(parent_i)``, with the local derivatives
    from the same rule table backward uses.

    Args:
        f: a function of scalars returning a Value (or a list of Values).
        primals: the point.
        tangents: the direction, one number per primal.

    Returns:
        ``(value, tangent)``: floats (lists of floats for a list output); Values when
        any primal is a Value.

    Raises:
        ValueError: ``primals`` and ``tangents`` differ in length.

    >>> jvp(lambda x, y: x * y, [2.0, 3.0], [1.0, 0.0])
    (6.0, 3.0)
    """
    _check_callable(f)
    primals, tangents = list(primals), list(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"primals and tangents must have the same length, got {len(primals)} and {len(tangents)}")
    values, differentiable = _lift_args(primals, range(len(primals)))
    with _inside_transform():
        result = f(*values)
    outs = _vector_output(result)
    tangent: dict[Value, Any] = {}
    for v, t in zip(values, tangents):
        if not (_is_number(t) or isinstance(t, Value)):
            raise TypeError(f"tangents must be numbers or Values, got {type(t).__name__}")
        tangent[v] = tangent.get(v, 0.0) + t
    seen: set[Value] = set()
    for out in outs:
        for node in topological_order(out):
            if node in seen or node._fn is None:
                seen.add(node)
                continue
            seen.add(node)
            parents = node.parents
            if differentiable:
                local = call_vjp(node._fn, 1.0, parents, node, node.param)
            else:
                local = call_vjp(node._fn, 1.0, [p.data for p in parents], node.data, node.param)
            tangent[node] = sum(d * tangent.get(p, 0.0) for p, d in zip(parents, local))
    value = [o if differentiable else o.data for o in outs]
    tang = [tangent.get(o, 0.0) for o in outs]
    if not _is_sequence(result):
        return value[0], tang[0]
    return value, tang
