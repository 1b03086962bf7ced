"""The engine driven through random sequences of graph building, backward, zero_grad, no_grad and hooks.

A Hypothesis state machine builds a graph one operation at a time (reusing nodes
freely, ``a * a`` included), calls ``backward`` (with seeds, repeatedly, under
``no_grad`` or ``detect_anomaly``), ``gradients`` (also with ``create_graph``),
resets leaves, creates nodes inside ``no_grad`` and ``enable_grad`` blocks, and
registers and removes hooks, in any order. After every step each node's ``.data``
and ``.grad`` and every hook's calls are compared with a reference engine written
here in a few lines: each node is a record of its value, its parents' positions and
its local derivatives, computed by hand; the reverse sweep walks the nodes in
creation order, which is a topological order by construction.

The semantics checked: leaves accumulate across backward calls and intermediate
nodes hold the gradient of the latest backward that reached them; a node made under
``no_grad`` is a leaf; a hook is called once per sweep that reaches its node, with
the node's complete gradient (for a leaf, before it is added to ``.grad``), hooks
run in registration order and a non-None return replaces the gradient that flows on.
"""

import contextlib
import math
from dataclasses import dataclass, field

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

import autograd_engine as ae


@dataclass(frozen=True)
class Node:
    """The reference's view of a node: its value, its parents (positions) and d value / d parent for each."""

    data: float
    parents: tuple[int, ...] = ()
    local: tuple[float, ...] = ()


@dataclass
class Hook:
    """A registered hook: its node, what it multiplies the gradient by (None: returns None), its calls."""

    node: int
    factor: float | None
    handle: ae.RemovableHandle
    seen: list[float] = field(default_factory=list)  # what the engine called it with
    # (gradient, scale, whether the sweep ran on Values: create_graph) from the reference
    expected: list[tuple[float, float, bool]] = field(default_factory=list)
    removed: bool = False


def _sin(a):
    return math.sin(a), (math.cos(a),)


def _cos(a):
    return math.cos(a), (-math.sin(a),)


def _tanh(a):
    t = math.tanh(a)
    return t, (1 - t * t,)


def _exp(a):
    e = math.exp(a)
    return e, (e,)


# name -> (arity, the operation on Values, the operation on floats: (value, d value / d each argument))
OPS = {
    "add": (2, lambda a, b: a + b, lambda a, b: (a + b, (1.0, 1.0))),
    "sub": (2, lambda a, b: a - b, lambda a, b: (a - b, (1.0, -1.0))),
    "mul": (2, lambda a, b: a * b, lambda a, b: (a * b, (b, a))),
    "div": (2, lambda a, b: a / b, lambda a, b: (a / b, (1 / b, -a / (b * b)))),
    "neg": (1, lambda a: -a, lambda a: (-a, (-1.0,))),
    "affine": (1, lambda a: 0.5 * a + 1, lambda a: (0.5 * a + 1, (0.5,))),
    "square": (1, lambda a: a**2, lambda a: (a * a, (2 * a,))),
    "cube": (1, lambda a: a**3, lambda a: (a * a * a, (3 * a * a,))),
    "tanh": (1, lambda a: a.tanh(), _tanh),
    "exp": (1, lambda a: a.exp(), _exp),
    "sin": (1, lambda a: a.sin(), _sin),
    "cos": (1, lambda a: a.cos(), _cos),
    "vsum": (3, lambda a, b, c: ae.vsum([a, b, c]), lambda a, b, c: (a + b + c, (1.0, 1.0, 1.0))),
    "dot": (4, lambda a, b, c, d: ae.dot([a, b], [c, d]), lambda a, b, c, d: (a * c + b * d, (c, d, a, b))),
}
BOUND = 1e3  # an operation whose value or local derivative would exceed this is not applied: values stay tame
MAX_NODES = 24
NAMES = st.sampled_from(sorted(OPS))
SEEDS = st.sampled_from([None, 1.0, -0.5, 2, 0.0, 3.25])  # None: backward() with its default seed
MODES = st.sampled_from(["record", "no_grad", "detect_anomaly"])  # the mode backward is called in


def close(got, expected, scale):
    """Equal up to rounding: ``scale`` bounds the sum of the magnitudes of the terms that made ``expected``."""
    return abs(got - expected) <= 1e-9 * scale + 1e-12


class GraphMachine(RuleBasedStateMachine):
    nodes = Bundle("nodes")
    hooks = Bundle("hooks")

    def __init__(self):
        super().__init__()
        self.model: list[Node] = []
        self.values: list[ae.Value] = []
        self.grad: list[float] = []  # the .grad each node must have
        self.scale: list[float] = []  # the magnitude of the terms summed into it, for the tolerance
        self.all_hooks: list[Hook] = []

    # -- the reference engine ----------------------------------------------------------------------------

    def add_node(self, node: Node, value: ae.Value) -> int:
        self.model.append(node)
        self.values.append(value)
        self.grad.append(0.0)
        self.scale.append(0.0)
        return len(self.model) - 1

    def ancestors(self, root: int) -> set[int]:
        seen, stack = set(), [root]
        while stack:
            i = stack.pop()
            if i not in seen:
                seen.add(i)
                stack.extend(self.model[i].parents)
        return seen

    def sweep(self, root: int, seed: float, on_values: bool = False) -> dict[int, tuple[float, float]]:
        """(gradient after hooks, scale) of every node ``root`` depends on; records each live hook's call."""
        incoming = {root: (seed, abs(seed))}
        result = {}
        for i in sorted(self.ancestors(root), reverse=True):  # a node is made after its parents
            g, m = incoming[i]
            for hook in self.all_hooks:
                if hook.node == i and not hook.removed:
                    hook.expected.append((g, m, on_values))
                    if hook.factor is not None:
                        g, m = hook.factor * g, abs(hook.factor) * m
            result[i] = (g, m)
            node = self.model[i]
            for p, d in zip(node.parents, node.local):
                pg, pm = incoming.get(p, (0.0, 0.0))
                incoming[p] = (pg + g * d, pm + m * abs(d))
        return result

    def apply_backward(self, root: int, seed: float) -> None:
        for i, (g, m) in self.sweep(root, seed).items():
            if self.model[i].parents:
                self.grad[i], self.scale[i] = g, m
            else:
                self.grad[i], self.scale[i] = self.grad[i] + g, self.scale[i] + m

    # -- rules -------------------------------------------------------------------------------------------

    @initialize(target=nodes, x=st.floats(-3, 3))
    def first_leaf(self, x):
        return self.add_node(Node(x), ae.Value(x))

    @rule(target=nodes, x=st.floats(-3, 3))
    def leaf(self, x):
        if len(self.model) >= MAX_NODES:
            return multiple()
        return self.add_node(Node(x), ae.Value(x))

    def apply_op(self, name, args, mode="record"):
        """Apply op ``name`` to the nodes at ``args`` in grad mode ``mode``, on the engine and the reference."""
        arity, on_values, on_floats = OPS[name]
        args = args[:arity]
        if len(self.model) >= MAX_NODES:
            return multiple()
        try:
            value, local = on_floats(*[self.model[i].data for i in args])
        except ArithmeticError:
            return multiple()
        if not all(abs(x) <= BOUND for x in (value, *local)):
            return multiple()
        inputs = [self.values[i] for i in args]
        if mode == "record":
            out = on_values(*inputs)
        elif mode == "no_grad":
            with ae.no_grad():
                out = on_values(*inputs)
        else:
            with ae.no_grad(), ae.enable_grad():
                out = on_values(*inputs)
        assert ae.is_grad_enabled()
        node = Node(value) if mode == "no_grad" else Node(value, tuple(args), local)
        return self.add_node(node, out)

    @rule(target=nodes, name=NAMES, a=nodes, b=nodes, c=nodes, d=nodes)
    def operation(self, name, a, b, c, d):
        return self.apply_op(name, [a, b, c, d])

    @rule(target=nodes, name=NAMES, b=nodes, c=nodes, d=nodes)
    def operation_on_the_newest_node(self, name, b, c, d):
        """Extend the node made last, so chains grow deep."""
        return self.apply_op(name, [len(self.model) - 1, b, c, d])

    @rule(target=nodes, name=NAMES, a=nodes)
    def operation_on_one_node(self, name, a):
        """Every argument is the same node: ``a * a``, ``a - a``, ``vsum([a, a, a])``."""
        return self.apply_op(name, [a] * 4)

    @rule(target=nodes, name=NAMES, a=nodes, b=nodes, c=nodes, d=nodes,
          mode=st.sampled_from(["no_grad", "enable_grad inside no_grad"]))
    def operation_in_mode(self, name, a, b, c, d, mode):
        """Under ``no_grad`` the result is a leaf; ``enable_grad`` inside it records again."""
        return self.apply_op(name, [a, b, c, d], mode)

    def run_backward(self, root, seed, times, inside):
        """``root.backward(seed)`` (``backward()`` for a None seed), ``times`` in a row, maybe inside a mode.

        ``detect_anomaly`` takes the general sweep (as hooks do); values here are finite, so it never raises.
        """
        mode = {"no_grad": ae.no_grad, "detect_anomaly": ae.detect_anomaly}.get(inside, contextlib.nullcontext)
        for _ in range(times):
            with mode():
                if seed is None:
                    self.values[root].backward()
                else:
                    self.values[root].backward(seed)
            assert ae.is_grad_enabled() and not ae.is_anomaly_enabled()
            self.apply_backward(root, 1.0 if seed is None else float(seed))

    @rule(root=nodes, seed=SEEDS, times=st.integers(1, 2), inside=MODES)
    def backward(self, root, seed, times, inside):
        self.run_backward(root, seed, times, inside)

    @rule(seed=SEEDS, times=st.integers(1, 2), inside=MODES)
    def backward_from_the_newest_node(self, seed, times, inside):
        """Backward from the node made last, usually the deepest."""
        self.run_backward(len(self.model) - 1, seed, times, inside)

    @rule(root=nodes, seed=SEEDS, create_graph=st.booleans())
    def gradients(self, root, seed, create_graph):
        """``gradients(root, seed)`` returns what backward would write, and leaves every ``.grad`` alone.

        With ``create_graph`` the gradients are Values (or, where no rule ran on Values, floats).
        """
        seed = 1.0 if seed is None else seed
        got = ae.gradients(self.values[root], seed, create_graph=create_graph)
        for i, (g, m) in self.sweep(root, float(seed), on_values=create_graph).items():
            d = got[self.values[i]]
            if create_graph:
                assert type(d) in (float, ae.Value), (i, d)
                d = float(d)
            else:
                assert type(d) is float, (i, d)
            assert close(d, g, m), (i, d, g)

    @rule(a=nodes, zero=st.sampled_from([0, 0.0]))
    def zero_grad(self, a, zero):
        """Reset a leaf's gradient, as ``optimizer.zero_grad()`` does (intermediate nodes are left alone)."""
        if not self.model[a].parents:
            self.values[a].grad = zero
            self.grad[a], self.scale[a] = zero, 0.0

    @rule()
    def zero_grad_all_leaves(self):
        for i, node in enumerate(self.model):
            if not node.parents:
                self.values[i].grad = 0.0
                self.grad[i], self.scale[i] = 0.0, 0.0

    @rule(target=hooks, a=nodes, factor=st.sampled_from([None, 2.0, -1.0, 0.5, 0.0, 3]))
    def register_hook(self, a, factor):
        """A hook that records its gradient and returns ``factor`` times it (or None, leaving it unchanged)."""
        seen: list[float] = []

        def hook(g):
            seen.append(g)
            return None if factor is None else factor * g

        hook_record = Hook(a, factor, self.values[a].register_hook(hook), seen)
        self.all_hooks.append(hook_record)
        return hook_record

    @rule(hook=hooks)
    def remove_hook(self, hook):
        """``handle.remove()``, possibly a second time (it does nothing then)."""
        hook.handle.remove()
        hook.removed = True

    # -- checks after every step -------------------------------------------------------------------------

    @invariant()
    def values_and_gradients_match_the_reference(self):
        for i, node in enumerate(self.model):
            v = self.values[i]
            assert type(v.data) is float and math.isclose(v.data, node.data, rel_tol=1e-12, abs_tol=1e-12), i
            assert v.is_leaf == (not node.parents), i
            assert type(v.grad) is type(self.grad[i]), (i, v.grad, self.grad[i])
            assert close(v.grad, self.grad[i], self.scale[i]), (i, v.grad, self.grad[i])

    @invariant()
    def hooks_were_called_as_the_reference_says(self):
        for hook in self.all_hooks:
            assert len(hook.seen) == len(hook.expected), (hook.node, hook.seen, hook.expected)
            for got, (g, m, on_values) in zip(hook.seen, hook.expected):
                assert type(got) in ((float, ae.Value) if on_values else (float,)), (hook.node, got)
                assert close(float(got), g, m), (hook.node, got, g)


GraphMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
TestGraphs = GraphMachine.TestCase
