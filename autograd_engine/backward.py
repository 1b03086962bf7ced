"""Topological order of a graph and the reverse sweep that applies the chain rule.

Both are loops over an explicit stack or list, never recursion, so a chain of a
million operations works at Python's default recursion limit. A node's step of
the chain rule (what it sends each parent) is :func:`autograd_engine.ops.contributions`,
shared by the plain sweep, ``create_graph``, the step-through and forward mode.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from .hooks import has_hooks, run_hooks
from .modes import current_mode, enable_grad
from .ops import contributions, depth_first_order, float_sweep
from .validation import as_bool, as_real, describe, is_real
from .value import Value

__all__ = ["topological_order", "BackwardStep", "backward_steps", "gradients", "backward"]


def _check_root(root: Any, name: str = "root") -> None:
    if not isinstance(root, Value):
        raise TypeError(f"{name} must be a Value, got {describe(root)}")


def _check_stop_at(stop_at: Any) -> frozenset[Value]:
    if isinstance(stop_at, (tuple, list, set, frozenset)) and not stop_at:
        return frozenset()
    if isinstance(stop_at, (str, bytes, Value)) or not isinstance(stop_at, Iterable):
        raise TypeError(f"stop_at must be a collection of Values, got {describe(stop_at)}")
    items = tuple(stop_at)
    for i, v in enumerate(items):
        if not isinstance(v, Value):
            raise TypeError(f"stop_at must be a collection of Values, got {describe(v)} at position {i}")
    return frozenset(items)


def topological_order(root: Value, *, stop_at: Collection[Value] = ()) -> list[Value]:
    """Every node ``root`` depends on, each listed after all of its parents; ``root`` is last.

    Each node appears once however many paths lead to it. Iterative depth-first search.

    Args:
        root: the node to start from.
        stop_at: nodes whose parents are not visited (they are listed, like leaves).

    Raises:
        TypeError: ``root`` is not a Value, or ``stop_at`` is not a collection of Values.

    >>> from autograd_engine import Value
    >>> a = Value(1.0, "a")
    >>> [v.label or v.op for v in topological_order(a * a + a)]
    ['a', '*', '+']
    """
    _check_root(root)
    return depth_first_order(root, _check_stop_at(stop_at))


@dataclass(frozen=True)
class BackwardStep:
    """One node's turn in the reverse sweep.

    Attributes:
        index: 1 for the first node processed (the root), 2 for the next ...; ``draw_dot(root,
            step=index)`` draws the gradients as they stand right after this step.
        node: the node whose gradient is now complete.
        grad: its gradient (after hooks): d(root)/d(node) times the seed.
        contributions: ``(parent, amount)`` for each parent in argument order: what the
            node's derivative rule adds to that parent's gradient (empty for a leaf).
    """

    index: int
    node: Value
    grad: Any
    contributions: tuple[tuple[Value, Any], ...]


def _seed(gradient: Any, create_graph: bool) -> Any:
    if create_graph and isinstance(gradient, Value):
        return gradient
    if not is_real(gradient):
        allowed = "a real number or a Value" if create_graph else "a real number"
        raise TypeError(f"gradient must be {allowed}, got {describe(gradient)}")
    return as_real(gradient, "gradient")


def backward_steps(root: Value, gradient: Any = 1.0, *, create_graph: bool = False,
                   stop_at: Collection[Value] = ()) -> Iterator[BackwardStep]:
    """The reverse sweep one node at a time, in the exact order the engine applies it.

    Nothing's ``.grad`` is touched. Each node appears once, after every node that uses
    it: its gradient is complete when its step comes. Summing each node's incoming
    contributions replays exactly the gradients ``backward()`` produces.

    Args:
        root: the node to differentiate.
        gradient: the seed, a number or (with ``create_graph``) a Value.
        create_graph: run the derivative rules on Values (see :func:`gradients`).
        stop_at: nodes whose gradient is wanted but not propagated further (used by the
            transforms, whose variables never depend on one another).

    Raises:
        TypeError: ``root`` is not a Value, ``gradient`` is not a real number (or Value), or
            ``stop_at`` is not a collection of Values.
        AnomalyError: inside ``detect_anomaly()``, a non-finite seed, hook result, rule result or sum.

    >>> from autograd_engine import Value
    >>> a = Value(3.0, "a")
    >>> for step in backward_steps(a * a):
    ...     print(step.node.label or step.node.op, step.grad, [c for _, c in step.contributions])
    * 1.0 [3.0, 3.0]
    a 6.0 []
    """
    _check_root(root)
    create_graph = as_bool(create_graph, "create_graph")
    gradient = _seed(gradient, create_graph)
    steps = _steps(root, gradient, create_graph, _check_stop_at(stop_at))
    return (BackwardStep(i, v, g, tuple(zip(parents, local))) for i, (v, g, parents, local) in enumerate(steps, 1))


def _steps(root: Value, gradient: Any, create_graph: bool,
           stop_at: Collection[Value]) -> Iterator[tuple[Value, Any, tuple[Value, ...], list[Any]]]:
    """The sweep: ``(node, grad, parents, contributions)`` for each node, root first."""
    recorder = current_mode.get().anomaly
    if recorder is not None:
        recorder.start_sweep(root, gradient)
    hooked = has_hooks()
    order = depth_first_order(root, stop_at)
    grads: dict[Value, Any] = {root: _as_kind(gradient, create_graph)}
    for v in reversed(order):
        # With create_graph every gradient is a Value recorded whatever the caller's mode, also when
        # the caller consumes this generator inside no_grad (gradients() records for the whole sweep).
        outer = current_mode.get() if create_graph else None
        if outer is not None:
            if outer.grad:
                outer = None
            else:
                current_mode.set(replace(outer, grad=True))
        try:
            g = grads.pop(v)
            if hooked:
                g = _as_kind(run_hooks(v, g), create_graph)
                if recorder is not None:
                    recorder.check_gradient(v, g, "a hook")
            if v._fn is None or v in stop_at:
                parents, local = (), []
            else:
                parents, local = contributions(v, g, on_values=create_graph)
                if create_graph:
                    local = [d if isinstance(d, Value) else Value(d) for d in local]  # rules with constant results
                if recorder is not None:
                    recorder.check_backward(v, g, local)
                for p, d in zip(parents, local):
                    if p in grads:
                        total = grads[p] = grads[p] + d
                        if recorder is not None:
                            recorder.check_gradient(p, total, "the sum of the contributions from its consumers")
                    else:
                        grads[p] = d
        finally:
            if outer is not None:
                current_mode.set(outer)
        yield v, g, parents, local


def _as_kind(g: Any, create_graph: bool) -> Any:
    """A gradient as the sweep carries it: a Value with ``create_graph``, else a float."""
    if create_graph:
        return g if isinstance(g, Value) else Value(g)
    return g.data if isinstance(g, Value) else g


def gradients(root: Value, gradient: Any = 1.0, *, create_graph: bool = False,
              stop_at: Collection[Value] = ()) -> dict[Value, Any]:
    """d(root)/d(node) * ``gradient`` for every node ``root`` depends on, without touching any ``.grad``.

    This is the sweep behind ``backward(create_graph=True)``, hooks, anomaly mode and
    the functional API (``grad``, ``hessian`` ...): :func:`backward_steps`, collected.
    With ``create_graph`` it records the derivative graph whatever the grad mode
    (inside ``no_grad`` too).

    Args:
        root: the node to differentiate.
        gradient: the seed, a number or (with ``create_graph``) a Value.
        create_graph: run the derivative rules on Values, so every gradient is itself a node
            connected to the graph and can be differentiated again.
        stop_at: as for :func:`backward_steps`.

    Returns:
        A dict from node to its gradient (a float, or a Value with ``create_graph``).

    Raises:
        TypeError: as for :func:`backward_steps`.

    >>> from autograd_engine import Value
    >>> x = Value(3.0)
    >>> gradients(x * x)[x]
    6.0
    """
    _check_root(root)
    create_graph = as_bool(create_graph, "create_graph")
    steps = _steps(root, _seed(gradient, create_graph), create_graph, _check_stop_at(stop_at))
    if not create_graph:
        return {v: g for v, g, _, _ in steps}
    with enable_grad():
        return {v: g for v, g, _, _ in steps}


def backward(root: Value, gradient: Any = 1.0, create_graph: bool = False) -> None:
    """Reverse-mode sweep: add d(root)/d(node) * ``gradient`` to the ``.grad`` of every node.

    Intermediate (non-leaf) nodes are reset first, so they hold this call's gradient;
    leaves accumulate across calls. See :meth:`Value.backward`.

    Raises:
        TypeError: ``gradient`` is not a real number (or a Value, with ``create_graph``), or
            ``create_graph`` is not a bool.
    """
    _check_root(root)
    create_graph = as_bool(create_graph, "create_graph")
    gradient = _seed(gradient, create_graph)
    if create_graph or has_hooks() or current_mode.get().anomaly is not None:
        for v, g in gradients(root, gradient, create_graph=create_graph).items():
            v.grad = v.grad + g if v._fn is None and not _is_zero(v.grad) else g
        return
    _fast_backward(root, gradient)


def _is_zero(g: Any) -> bool:
    return type(g) in (float, int) and g == 0


def _fast_backward(root: Value, gradient: float) -> None:
    """The sweep on floats, straight into ``.grad``: the common case, kept fast."""
    order = depth_first_order(root)
    for v in order:
        if v._fn is not None:
            v.grad = 0.0
    root.grad += gradient
    float_sweep(order)
