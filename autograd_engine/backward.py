"""Topological order of a graph and the reverse sweep that applies the chain rule.

Both are loops over an explicit stack or list, never recursion, so a chain of a
million operations works at Python's default recursion limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .anomaly import current_mode
from .hooks import has_hooks, run_hooks
from .ops import _IEEE_ERRORS, BINARY, NARY, PARAM, UNARY, call_vjp, ieee
from .value import Value, _as_float

__all__ = ["topological_order", "BackwardStep", "backward_steps", "gradients", "backward"]


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each listed after all of its parents; ``root`` is last.

    Each node appears once however many paths lead to it. Iterative depth-first search.

    >>> from autograd_engine import Value
    >>> a = Value(1.0, "a")
    >>> [v.label or v.op for v in topological_order(a * a + a)]
    ['a', '*', '+']
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Value | None] = [root]
    pop, push = stack.pop, stack.append
    while stack:
        v = pop()
        if v is None:  # all parents of the node below the marker are done
            order.append(pop())
            continue
        if v in seen:
            continue
        seen.add(v)
        fn = v._fn
        if fn is None:
            order.append(v)
            continue
        push(v)
        push(None)
        kind = fn.kind
        if kind == BINARY:
            push(v._y)
            push(v._x)
        elif kind == NARY:
            # n-ary parents are often shared (a neuron's weights, across samples): skip those seen
            stack.extend([p for p in reversed(v._x) if p not in seen])
        else:
            push(v._x)
    return order


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


def backward_steps(root: Value, gradient: Any = 1.0, *, create_graph: bool = False) -> Iterator[BackwardStep]:
    """The reverse sweep one node at a time, in the exact order the engine applies it.

    Nothing's ``.grad`` is touched. Each node appears once, after every node that uses
    it: its gradient is complete when its step comes. Summing each node's incoming
    contributions replays exactly the gradients ``backward()`` produces.

    >>> from autograd_engine import Value
    >>> a = Value(3.0, "a")
    >>> for step in backward_steps(a * a):
    ...     print(step.node.label or step.node.op, step.grad, [c for _, c in step.contributions])
    * 1.0 [3.0, 3.0]
    a 6.0 []
    """
    recorder = current_mode.get().anomaly
    hooked = has_hooks()
    order = topological_order(root)
    grads: dict[Value, Any] = {root: gradient}
    for index, v in enumerate(reversed(order), start=1):
        g = grads.pop(v)
        if hooked:
            g = run_hooks(v, g)
        fn = v._fn
        if fn is None:
            yield BackwardStep(index, v, g, ())
            continue
        parents = v.parents
        if create_graph:
            local = call_vjp(fn, g, parents, v, v.param)
        else:
            local = call_vjp(fn, g, [p.data for p in parents], v.data, v.param)
        if recorder is not None:
            recorder.check_backward(v, g, local)
        for p, d in zip(parents, local):
            grads[p] = grads[p] + d if p in grads else d
        yield BackwardStep(index, v, g, tuple(zip(parents, local)))


def gradients(root: Value, gradient: Any = 1.0, *, create_graph: bool = False) -> dict[Value, Any]:
    """d(root)/d(node) * ``gradient`` for every node ``root`` depends on, without touching any ``.grad``.

    This is the sweep behind ``backward(create_graph=True)``, hooks, anomaly mode and
    the functional API (``grad``, ``hessian`` ...): :func:`backward_steps`, collected.

    Args:
        root: the node to differentiate.
        gradient: the seed, a number or (with ``create_graph``) a Value.
        create_graph: run the derivative rules on Values, so every gradient is itself a node
            connected to the graph and can be differentiated again.

    Returns:
        A dict from node to its gradient (a float, or a Value with ``create_graph``).

    >>> from autograd_engine import Value
    >>> x = Value(3.0)
    >>> gradients(x * x)[x]
    6.0
    """
    return {step.node: step.grad for step in backward_steps(root, gradient, create_graph=create_graph)}


def backward(root: Value, gradient: Any = 1.0, create_graph: bool = False) -> None:
    """Reverse-mode sweep: add d(root)/d(node) * ``gradient`` to the ``.grad`` of every node.

    Intermediate (non-leaf) nodes are reset first, so they hold this call's gradient;
    leaves accumulate across calls. See :meth:`Value.backward`.

    Raises:
        TypeError: ``gradient`` is not a real number (or a Value, with ``create_graph``).
    """
    if not (create_graph and isinstance(gradient, Value)):
        gradient = _as_float(gradient, "gradient")
    if create_graph or has_hooks() or current_mode.get().anomaly is not None:
        for v, g in gradients(root, gradient, create_graph=create_graph).items():
            v.grad = v.grad + g if v._fn is None and not _is_zero(v.grad) else g
        return
    _fast_backward(root, gradient)


def _is_zero(g: Any) -> bool:
    return type(g) in (float, int) and g == 0


def _fast_backward(root: Value, gradient: float) -> None:
    """The sweep on floats, specialised by op kind: the common case, kept fast."""
    order = topological_order(root)
    for v in order:
        if v._fn is not None:
            v.grad = 0.0
    root.grad += gradient
    for v in reversed(order):
        fn = v._fn
        if fn is None:
            continue
        kind = fn.kind
        g = v.grad
        if kind == BINARY:
            x, y = v._x, v._y
            try:
                dx, dy = fn.vjp(g, x.data, y.data, v.data)
            except _IEEE_ERRORS:
                dx, dy = ieee(fn.vjp, g, x.data, y.data, v.data)
            x.grad += dx
            y.grad += dy
        elif kind == UNARY:
            x = v._x
            try:
                x.grad += fn.vjp(g, x.data, v.data)
            except _IEEE_ERRORS:
                x.grad += ieee(fn.vjp, g, x.data, v.data)
        elif kind == PARAM:
            x = v._x
            try:
                x.grad += fn.vjp(g, x.data, v._y, v.data)
            except _IEEE_ERRORS:
                x.grad += ieee(fn.vjp, g, x.data, v._y, v.data)
        else:
            parents = v._x
            data = [p.data for p in parents]
            try:
                grads = fn.vjp(g, data, v.data)
            except _IEEE_ERRORS:
                grads = ieee(fn.vjp, g, data, v.data)
            for p, d in zip(parents, grads):
                p.grad += d
