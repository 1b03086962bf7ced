"""The chain rule as the drawings tell it: local derivatives, contributions, and the sweep's state step by step.

Every number here comes from the one rule table: a node's local derivatives are its
rule run with an incoming gradient of 1 (:func:`autograd_engine.ops.contributions`),
and the sweep is :func:`autograd_engine.backward_steps`. The only thing this module
adds is words: how a step reads in a sentence (``tanh → n: grad += 0.5 = 1 · (1 - 0.7071²)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..backward import BackwardStep, backward_steps, topological_order
from ..ops import contributions, param_of, parents_of
from ..value import Value


def local_derivatives(node: Value) -> list[float]:
    """∂node/∂input for each input of ``node`` at the current point, in ``parents_of`` order.

    The node's derivative rule (from the one table) run with an incoming gradient of 1;
    ``[]`` for a leaf.

    >>> x, w = Value(2.0, "x"), Value(-3.0, "w")
    >>> local_derivatives(x * w)
    [-3.0, 2.0]
    """
    if node.is_leaf:
        return []
    return [float(d) for d in contributions(node, 1.0)[1]]


def short(x: float) -> str:
    """A number as a person writes it in a sentence: 4 significant digits (``0.5``, ``0.7071``, ``-3``)."""
    text = f"{x:.4g}"
    return "0" if text == "-0" else text


def _factor(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def local_text(node: Value, index: int, local: float) -> str:
    """The local derivative of ``node`` for its input ``index``, written with the numbers it is made of.

    ``(1 - 0.7071²)`` for tanh, the other factor's value for ``*`` ...; the bare number for
    ops with no short formula. Display only: ``local`` (from the rule table) is the value.
    """
    op, out, parents = node.op, node.data, parents_of(node)
    if op == "*":
        return short(parents[1 - index].data)
    if op in ("+", "sum") or (op == "-" and index == 0):
        return "1"
    if op in ("neg", "-"):
        return "-1"
    if op == "tanh":
        return f"(1 - {_factor(short(out))}²)"
    if op == "exp":
        return short(out)
    if op == "sigmoid":
        return f"{short(out)}·(1 - {short(out)})"  # sigmoid's output is in (0, 1)
    if op == "log":
        return f"1/{short(parents[0].data)}"  # log's input is positive
    if op == "**":
        c = float(param_of(node))
        return f"{_factor(short(c))}·{_factor(short(parents[0].data))}^{_factor(short(c - 1))}"
    return short(local)


_INFIX = {"+", "-", "*", "/", "pow"}


def expression(node: Value, depth: int = 2) -> str:
    """A node as a short formula of labels: ``x1*w1``, ``tanh(n)``; ``…`` below ``depth`` levels."""
    if node.label:
        return node.label
    if node.is_leaf:
        return short(node.data)
    if depth == 0:
        return "…"
    parents = parents_of(node)
    if node.op in _INFIX and len(parents) == 2:
        a, b = (expression(p, depth - 1) for p in parents)
        a, b = (f"({t})" if not (p.label or p.is_leaf) and depth > 1 else t for t, p in zip((a, b), parents))
        return f"{a}{'**' if node.op == 'pow' else node.op}{b}"
    if node.op == "**":
        return f"{expression(parents[0], depth - 1)}**{short(float(param_of(node)))}"
    inner = ", ".join(expression(p, depth - 1) for p in parents[:3]) + (", …" if len(parents) > 3 else "")
    return f"{node.op}({inner})"


def who(node: Value) -> str:
    """How a sentence names a node: its label, else a short formula (``x1*w1``), else its op."""
    text = expression(node)
    return text if len(text) <= 40 else f"the {node.op} node"


@dataclass
class SweepState:
    """The sweep after ``step`` steps: gradients so far, which are complete, what each processed node sent.

    ``sent`` maps each processed node to the contributions it sent its inputs (in
    ``parents_of`` order); ``changed`` holds the nodes whose gradient or completeness this
    step changed (the step's node and its inputs); ``last`` is the step itself (None at
    step 0); :attr:`sentence` says what the step did.
    """

    step: int
    total: int
    node: Value | None
    grads: dict[Value, float]
    complete: set[Value]
    sent: dict[Value, list[float]] = field(default_factory=dict)
    changed: list[Value] = field(default_factory=list)
    root: Value | None = None
    last: BackwardStep | None = None

    @property
    def sentence(self) -> str:
        """What this step did, in words and numbers (written when asked for: a sweep of a big graph
        reads only the few it shows)."""
        return say(self.last, self.root, self.step, self.total)

    def copy(self) -> SweepState:
        """A copy that later steps of the sweep do not change."""
        return SweepState(self.step, self.total, self.node, dict(self.grads), set(self.complete), dict(self.sent),
                          list(self.changed), self.root, self.last)


def sweep_states(root: Value) -> Iterator[SweepState]:
    """The state of the backward sweep from ``root`` before any step and after each one.

    The same :class:`SweepState` object is updated and yielded again (``.copy()`` what you
    keep). A node's gradient is complete when every node that uses it has sent its share; the
    root is complete from the start (its seed, 1). One pass of :func:`backward_steps`.
    """
    order = topological_order(root)
    waiting: dict[Value, int] = {v: 0 for v in order}
    for v in order:
        for p in set(parents_of(v)):
            waiting[p] += 1
    # one step per node of the topological order; the steps are made as they are asked for
    state = SweepState(0, len(order), None, {root: 1.0}, {root} | {v for v in order if waiting[v] == 0}, root=root)
    yield state
    for s in backward_steps(root):
        v = s.node
        state.step, state.node, state.changed, state.last = s.index, v, [v], s
        state.sent[v] = [float(d) for _, d in s.contributions]
        for p, d in s.contributions:
            state.grads[p] = state.grads.get(p, 0.0) + float(d)
            if p not in state.changed:
                state.changed.append(p)
        for p in set(parents_of(v)):
            waiting[p] -= 1
            if waiting[p] == 0:
                state.complete.add(p)
        yield state


def say(step: BackwardStep | None, root: Value, number: int, total: int) -> str:
    """The sentence of step ``number`` of ``total``: :func:`step_sentence`, or step 0's (``step`` None)."""
    if step is None:
        return (f"step 0 of {total}: forward values only; every grad is 0 but the seed, grad 1 of {who(root)}. "
                f"Step backward to apply the chain rule node by node.")
    return step_sentence(step, root, total, number)


def step_sentence(step: BackwardStep, root: Value, total: int, number: int | None = None) -> str:
    """What one step of the sweep did, in words and numbers.

    ``number`` is the step's number as shown (default ``step.index``, its place in the sweep).

    ``step 1 of 10: o is the root, grad 1 (the seed). tanh → n: grad += 0.5 = 1 · (1 - 0.7071²)``
    """
    v, g = step.node, float(step.grad)
    head = f"step {step.index if number is None else number} of {total}: "
    if v.is_leaf and v is root:
        return head + f"{who(v)} is the root and a leaf: its grad is the seed, {short(g)}; nothing to pass on."
    if v.is_leaf:
        return (head + f"{who(v)} is a leaf: it only accumulated what its consumers sent; its grad "
                f"{short(g)} is final, nothing to pass on.")
    head += f"{who(v)} is the root, grad {short(g)} (the seed). " if v is root else \
        f"{who(v)} has its complete grad {short(g)}. "
    parts = []
    for i, ((p, d), local) in enumerate(zip(step.contributions, local_derivatives(v))):
        parts.append(f"{v.op} → {who(p)}: grad += {short(float(d))} = {_factor(short(g))} · "
                     f"{_factor(local_text(v, i, local))}")
    return head + "; ".join(parts)
