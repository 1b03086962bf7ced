"""Topological order of a graph and the reverse sweep that applies the chain rule.

Both are loops over an explicit stack or list, never recursion, so a chain of a
million operations works at Python's default recursion limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .ops import _IEEE_ERRORS, BINARY, NARY, PARAM, UNARY, ieee
from .value import _as_float

if TYPE_CHECKING:
    from .value import Value

__all__ = ["topological_order", "backward"]


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
            stack.extend(reversed(v._x))
        else:
            push(v._x)
    return order


def backward(root: Value, gradient: float = 1.0) -> None:
    """Reverse-mode sweep: add d(root)/d(node) * ``gradient`` to the ``.grad`` of every node.

    Intermediate (non-leaf) nodes are reset first, so they hold this call's gradient;
    leaves accumulate across calls. See :meth:`Value.backward`.

    Raises:
        TypeError: ``gradient`` is not a real number.
    """
    gradient = _as_float(gradient, "gradient")
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
