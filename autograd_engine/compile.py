"""Compile a scalar graph once, run it over a whole batch: ``trace(f, *example_inputs) -> Program``.

**Tracing.** :func:`trace` calls ``f`` once on fresh Values (one per scalar input,
a list of Values per vector input) and records the graph it builds: every node
that depends on an input becomes an instruction of a straight-line program of
primitives from the one rule table (:data:`~autograd_engine.OPS`), in topological
order. Everything else ``f`` touches (numbers, Values it closes over, nodes that do
not depend on an input) is a constant baked into the program. A Python branch on
a traced Value (``if x > 0``, ``bool(x)``, ``max(x, 0)``), reading its ``.data``,
``float(x)``, or computing from it under ``no_grad()`` raises
:class:`~autograd_engine.TracerError` naming the line: the program could not replay
it. ``relu``, ``abs``, ``maximum`` and ``stop_gradient`` are primitives, so a network
never needs such a branch.

**Batches.** ``prog(*inputs)`` runs the program for B samples at once: a scalar
input is a float (the same for every sample: *broadcast*) or a 1-D array of length
B (*batched*); a vector input of n elements is an array of shape ``(n,)``
(broadcast) or ``(n, B)`` (one column per sample). ``prog.value_and_grad`` also
runs the reverse sweep, with the same rules over arrays: a batched input gets one
gradient per sample, a broadcast input the sum over the batch (the chain rule for
a value shared by every sample).

**Fusion.** Nodes that apply the same primitive (with the same constant, for
``PARAM`` ops, and the same number of arguments for ``NARY`` ops) at the same
topological depth form one *kernel*: one NumPy operation over their rows of a
2-D buffer (one row per node, one column per sample). So the Python cost of a call
is per kernel, not per node: an MLP has a handful of kernels per layer, however
wide. A ``dot`` kernel whose nodes share their inputs (a dense layer) is one matrix
product; other ``dot``/``sum``/``logsumexp`` kernels are one reduction over a
gathered ``(nodes, arguments, samples)`` block. Nodes that depend on no batched
input (parameters, an L2 term) run once, on a one-column buffer, before the batched
kernels. Index arrays are computed when a call pattern (which inputs are batched,
which gradients are wanted) is first seen, and buffers are cached per thread and
batch size, so a call does no per-node Python work.

**Liveness.** ``prog(*inputs)`` (forward only) reuses a buffer row as soon as the
last kernel that reads it has run, so its memory is O(width x B), not
O(nodes x B): a chain of 2,000 ``sin`` nodes needs 2 rows.
``value_and_grad`` keeps every value its derivative rules read (as any reverse
mode does) plus one gradient row per node.

**Exactness.** Elementwise kernels compute what the scalar rules compute, in the
same order of operations, so each sample's values and gradients equal the scalar
engine's up to the last-bit differences of NumPy's and the C library's
``exp``/``log``/``sin``... (within 1e-12 relative). Summation order differs in three
places: ``dot`` and ``sum`` nodes reduce in NumPy's (BLAS's) order instead of left to
right, a node used by several others adds their contributions to its gradient in
kernel order instead of the scalar sweep's order, and a broadcast input's gradient
is summed over the batch by NumPy. Where the terms cancel, results differ by the
rounding of the terms, as any reordering does.

**Primitives.** Every op of the rule table runs batched: the built-in ops through
the vectorised NumPy rules of :data:`BATCHED` (their float rules in ``ops.py`` are
the reference, and the tests compare the two), ops registered later
(``register``, ``@primitive``) by applying their own float forward and rule element
by element (correct; slower, and ``summary()`` says which kernels do).

>>> from autograd_engine import trace, relu
>>> import numpy as np
>>> prog = trace(lambda w, x: relu(w[0] * x[0] + w[1] * x[1]), [0.5, -1.0], [1.0, 2.0])
>>> prog(np.array([0.5, -1.0]), np.array([[1.0, 4.0], [2.0, 1.0]]))
array([0., 1.])
>>> out, (gw, gx) = prog.value_and_grad([0.5, -1.0], np.array([[1.0, 4.0], [2.0, 1.0]]), wrt=(0,))
>>> gw, gx
(array([4., 1.]), None)
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .modes import current_mode
from .ops import BINARY, NARY, OPS, PARAM, Op, call_forward, call_vjp, param_of, parents_of
from .validation import as_callable, describe, is_real
from .value import TracedValue, TracerError, Value, user_location

if TYPE_CHECKING:
    pass

__all__ = ["trace", "Program", "Kernel", "BatchedOp", "BATCHED", "batched_op"]


# -- the batched rules: one NumPy function per built-in op ------------------------------------------------


@dataclass(frozen=True)
class BatchedOp:
    """An op's forward and derivative rule over arrays, with the float rule's signature (see ``ops.Kind``).

    UNARY ``forward(x)``, ``vjp(g, x, out)``; PARAM ``forward(x, c)``, ``vjp(g, x, c, out)``;
    BINARY ``forward(x, y)``, ``vjp(g, x, y, out) -> (dx, dy)``; NARY ``forward(xs)``,
    ``vjp(g, xs, out)`` where ``xs`` has shape ``(nodes, arguments, samples)`` and ``out``,
    ``g`` shape ``(nodes, samples)``. Inputs broadcast against each other (a one-column
    operand stands for every sample).

    Attributes:
        forward: the op over arrays.
        vjp: the derivative rule over arrays.
        vectorised: False for the element-by-element fallback of an op without NumPy rules.
    """

    forward: Callable[..., Any]
    vjp: Callable[..., Any]
    vectorised: bool = True


def _np() -> Any:
    import numpy as np

    return np


def _where(cond: Any, a: Any, b: Any) -> Any:
    np = _np()
    return np.where(cond, a, b)


def _sigmoid_np(x: Any) -> Any:
    np = _np()
    e = np.exp(np.where(x >= 0, -x, x))  # the float rule's two branches, each without overflow
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _relu_np(x: Any, out: Any = None) -> Any:
    # maximum(x, 0) is branch-free (np.where on mixed signs is several times slower); it gives 0.0
    # for -0.0 and nan for nan, as the float rule does
    return _np().maximum(x, 0.0, out=out)


_relu_np.takes_out = True  # type: ignore[attr-defined]


def _relu_vjp_np(g: Any, x: Any, out: Any) -> Any:
    np = _np()
    if np.isfinite(g).all():  # g times a 0/1 mask: branch-free, and exactly the rule for finite g
        return g * (x > 0)
    return np.where(x > 0, g, 0.0)  # where x <= 0 the rule sends 0 even for an infinite or nan g


def _pow_vjp_np(g: Any, x: Any, y: Any, out: Any) -> Any:
    np = _np()
    dx = np.where((y == 0) & ((x == 0) | np.isnan(x)), 0.0, g * y * np.power(x, y - 1))
    dy = np.where((x == 0) & (y >= 0), 0.0, g * out * np.log(x))
    return dx, dy


def _pow_const_vjp_np(g: Any, x: Any, c: float, out: Any) -> Any:
    np = _np()
    return g * c * np.power(x, c - 1) if c != 0 else np.zeros_like(g * x)


def _logsumexp_np(xs: Any) -> Any:
    np = _np()
    m = xs.max(axis=1)
    m = np.where(np.isfinite(m), m, 0.0)
    return m + np.log(np.exp(xs - m[:, None]).sum(axis=1))


def _maximum_vjp_np(g: Any, x: Any, y: Any, out: Any) -> Any:
    np = _np()
    tie = x == y
    half = g * 0.5
    return np.where(tie, half, np.where(x < y, 0.0, g)), np.where(tie, half, np.where(x > y, 0.0, g))


def _abs_vjp_np(g: Any, x: Any, out: Any) -> Any:
    # at x == 0 the rule sends the constant 0.0, not 0 * g (which is nan for an infinite or nan g)
    return _where(x > 0, g, _where(x < 0, -g, 0.0))


def _dot_np(xs: Any) -> Any:
    n = xs.shape[1] // 2
    return (xs[:, :n] * xs[:, n:]).sum(axis=1)


def _dot_vjp_np(g: Any, xs: Any, out: Any) -> Any:
    np = _np()
    n = xs.shape[1] // 2
    return np.concatenate([g[:, None] * xs[:, n:], g[:, None] * xs[:, :n]], axis=1)


def _build_batched() -> dict[str, BatchedOp]:
    import numpy as np

    def same_shape(g: Any, x: Any) -> Any:
        return np.broadcast_to(g, np.broadcast_shapes(g.shape, x.shape))

    return {
        "+": BatchedOp(np.add, lambda g, x, y, out: (g, g)),
        "-": BatchedOp(np.subtract, lambda g, x, y, out: (g, -g)),
        "*": BatchedOp(np.multiply, lambda g, x, y, out: (g * y, g * x)),
        "/": BatchedOp(np.divide, lambda g, x, y, out: (g / y, -g * out / y)),
        "neg": BatchedOp(np.negative, lambda g, x, out: -g),
        "pow": BatchedOp(np.power, _pow_vjp_np),
        "**": BatchedOp(np.power, _pow_const_vjp_np),
        "exp": BatchedOp(np.exp, lambda g, x, out: g * out),
        "log": BatchedOp(np.log, lambda g, x, out: g / x),
        "sqrt": BatchedOp(np.sqrt, lambda g, x, out: g / (2 * out)),
        "tanh": BatchedOp(np.tanh, lambda g, x, out: g * (1 - out * out)),
        "sigmoid": BatchedOp(_sigmoid_np, lambda g, x, out: g * out * (1 - out)),
        "relu": BatchedOp(_relu_np, _relu_vjp_np),
        "leaky_relu": BatchedOp(lambda x, c: np.where(x > 0, x, c * x),
                                lambda g, x, c, out: np.where(x > 0, g, g * c)),
        "softplus": BatchedOp(lambda x: np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))),
                              lambda g, x, out: g * _sigmoid_np(x)),
        "sin": BatchedOp(np.sin, lambda g, x, out: g * np.cos(x)),
        "cos": BatchedOp(np.cos, lambda g, x, out: -g * np.sin(x)),
        "abs": BatchedOp(np.fabs, _abs_vjp_np),
        "sum": BatchedOp(lambda xs: xs.sum(axis=1), lambda g, xs, out: same_shape(g[:, None], xs)),
        "dot": BatchedOp(_dot_np, _dot_vjp_np),
        "logsumexp": BatchedOp(_logsumexp_np, lambda g, xs, out: g[:, None] * np.exp(xs - out[:, None])),
        "softmax": BatchedOp(lambda x, lse: np.exp(x - lse), lambda g, x, lse, out: (g * out, -g * out)),
        "identity": BatchedOp(lambda x: x + 0.0, lambda g, x, out: g),
        "maximum": BatchedOp(np.maximum, _maximum_vjp_np),
        "stop_gradient": BatchedOp(lambda x: x + 0.0,  # the constant 0.0, as the float rule: not 0 * g
                                   lambda g, x, out: np.zeros(np.broadcast_shapes(g.shape, x.shape))),
    }


_BATCHED: dict[str, BatchedOp] = {}


def batched_rules() -> dict[str, BatchedOp]:
    """The vectorised NumPy rules of the built-in ops, by op name (built on first use: NumPy loads lazily)."""
    if not _BATCHED:
        _BATCHED.update(_build_batched())
    return _BATCHED


class _BatchedTable:
    """:data:`BATCHED` as a read-only mapping whose NumPy functions are created on first access."""

    def __getitem__(self, name: str) -> BatchedOp:
        return batched_rules()[name]

    def __contains__(self, name: object) -> bool:
        return name in batched_rules()

    def __iter__(self) -> Any:
        return iter(batched_rules())

    def __len__(self) -> int:
        return len(batched_rules())

    def keys(self) -> Any:
        return batched_rules().keys()

    def __repr__(self) -> str:
        return f"BATCHED({', '.join(batched_rules())})"


#: The vectorised rule of every built-in op, keyed like :data:`~autograd_engine.OPS`.
BATCHED: Any = _BatchedTable()


def _fallback(op: Op, c: Any) -> BatchedOp:
    """``op``'s own float forward and rule applied element by element (ops without a NumPy rule)."""
    import numpy as np

    kind = op.kind
    if kind is NARY:
        def forward(xs: Any) -> Any:
            k, _, cols = xs.shape
            return np.array([[call_forward(op, list(xs[i, :, b])) for b in range(cols)] for i in range(k)], float)

        def vjp(g: Any, xs: Any, out: Any) -> Any:
            k, n, cols = np.broadcast_shapes(xs.shape, g[:, None].shape)
            xs = np.broadcast_to(xs, (k, n, cols))
            res = np.empty((k, n, cols))
            for i in range(k):
                for b in range(cols):
                    res[i, :, b] = call_vjp(op, float(g[i, b]), list(xs[i, :, b]), float(out[i, b]))
            return res

        return BatchedOp(forward, vjp, vectorised=False)
    n = 2 if kind is BINARY else 1
    fwd = np.frompyfunc(lambda *a: call_forward(op, a, c), n, 1)
    if n == 1:
        rule = np.frompyfunc(lambda g, x, out: call_vjp(op, g, [x], out, c)[0], 3, 1)
    else:
        rule = np.frompyfunc(lambda g, *a: tuple(call_vjp(op, g, a[:-1], a[-1], c)), n + 2, n)

    def forward(*args: Any) -> Any:
        return fwd(*args[:n]).astype(float)

    def vjp(g: Any, *args: Any) -> Any:
        xs, out = (args[:n], args[-1])
        res = rule(g, *xs, out)
        return tuple(r.astype(float) for r in res) if n > 1 else res.astype(float)

    return BatchedOp(forward, vjp, vectorised=False)


def batched_op(op: Op, c: Any = None) -> BatchedOp:
    """The rules a kernel of ``op`` runs: its NumPy rules, or the element-by-element fallback.

    ``c`` is the constant of a PARAM op (the fallback binds it; NumPy rules take it as an argument).
    """
    table = batched_rules()
    if op.name in table and OPS.get(op.name) is op:
        return table[op.name]
    return _fallback(op, c)


# -- the traced program ------------------------------------------------------------------------------------


class _Tracer:
    """Collects the nodes made from traced Values while ``f`` runs."""

    def __init__(self) -> None:
        self.nodes: list[Value] = []

    def adopt(self, node: Value) -> None:
        self.nodes.append(node)


@dataclass(frozen=True)
class Kernel:
    """One fused step of a program: ``width`` nodes applying ``op`` at topological ``depth``.

    Attributes:
        op: the op's name (a key of ``OPS``).
        depth: the kernel's level (longest path from an input) within its phase.
        width: how many nodes it computes at once.
        param: the PARAM constant, or None.
        arity: the number of arguments of each node (NARY ops), else None.
        batched: False for a kernel that runs once for the whole batch (it depends on no batched input).
        vectorised: False when the op has no NumPy rule and runs element by element.
    """

    op: str
    depth: int
    width: int
    param: float | None = None
    arity: int | None = None
    batched: bool = True
    vectorised: bool = True


# Node references in the recorded program: ("in", flat input index), ("node", index), ("const", value).
Ref = tuple[str, Any]


@dataclass
class _Node:
    op: Op
    args: list[Ref]
    c: Any


@dataclass
class _Plan:
    """Everything one call pattern needs, computed once: the kernels with their index arrays and buffer sizes."""

    steps: list[Any]
    kernels: list[Kernel]
    s_rows: int
    b_rows: int
    s_init: Any  # constants written into the one-column buffer when it is made
    in_s: list[Any]  # per input position: row index (array/slice) in S if broadcast, else None
    in_b: list[Any]  # per input position: row slice in B if batched, else None
    outputs: list[Ref | tuple[str, int]]
    grad: bool = False
    peak_rows: int = 0
    scatter: dict[str, Any] = field(default_factory=dict)


class Program:
    """A traced function, ready to run on whole batches (make one with :func:`trace`).

    Attributes:
        n_inputs: the number of input positions.
        input_names: each position's name (``f``'s parameter names where it has them).
        input_sizes: per position, None for a scalar input or n for a vector of n elements.
        output_names: one name per output leaf, in order (``out``, ``out[0]``, ``out[1][2]`` ...).
        nodes: the number of operations (nodes that depend on an input).
        kernels: the fused kernels when every input is batched, as :class:`Kernel` records.

    Calls (see the module docstring for the shape rules):
        ``prog(*inputs)``: the outputs, in ``f``'s structure.
        ``prog.value_and_grad(*inputs, seed=None, wrt=None)``: ``(outputs, grads)``.
    """

    def __init__(self, f: Callable[..., Any], names: list[str], sizes: list[int | None], flat_inputs: int,
                 nodes: list[_Node], structure: Any, leaves: list[Ref], output_names: list[str]):
        self._f = f
        self.input_names = tuple(names)
        self.input_sizes = tuple(sizes)
        self.n_inputs = len(names)
        self.output_names = tuple(output_names)
        self._flat_inputs = flat_inputs
        self._nodes = nodes
        self.nodes = len(nodes)
        self._structure = structure
        self._leaves = leaves
        starts = list(itertools.accumulate([1 if s is None else s for s in sizes], initial=0))
        self._spans = [(starts[i], starts[i + 1]) for i in range(len(sizes))]
        self._plans: dict[Any, _Plan] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self.kernels = list(self._plan((True,) * self.n_inputs, None).kernels)

    # -- copying and pickling ------------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """The recorded program only (ops by name, ``f`` by its name); plans and buffers are rebuilt."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_local", "_plans", "_f", "_nodes")}
        state["_f_name"] = getattr(self._f, "__name__", "f")
        state["_node_ops"] = [(node.op.name, node.args, node.c) for node in self._nodes]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        nodes = []
        for name, args, c in state.pop("_node_ops"):
            if name not in OPS:
                raise ValueError(f"the program uses the op {name!r}, which is not registered in this process; "
                                 f"register it before loading the program")
            nodes.append(_Node(OPS[name], args, c))
        f_name = state.pop("_f_name")
        self.__dict__.update(state)
        self._nodes = nodes
        self._f = _Named(f_name)
        self._plans, self._lock, self._local = {}, threading.Lock(), threading.local()

    # -- description -------------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return (f"<Program {getattr(self._f, '__name__', 'f')}({', '.join(self.input_names)}): "
                f"{self.nodes} nodes in {len(self.kernels)} kernels, {len(self.output_names)} output(s)>")

    def summary(self, batched: Sequence[int] | None = None) -> str:
        """A table of the kernels (op, depth, width), with the node and kernel counts.

        Args:
            batched: the input positions that get a batch (the rest broadcast); all of them by default.

        Raises:
            TypeError, ValueError: ``batched`` is not a sequence of valid input positions.
        """
        mask = self._mask_of(batched, "batched")
        plan = self._plan(mask, None)
        lines = [repr(self), f"batched inputs: {', '.join(n for n, m in zip(self.input_names, mask) if m) or '-'}",
                 f"{'phase':<9} {'depth':>5}  {'op':<14} {'width':>6}  note"]
        slow = 0
        for k in plan.kernels:
            note = "" if k.vectorised else "element by element (no NumPy rule)"
            slow += not k.vectorised
            op = k.op + ("" if k.param is None else f" {k.param:g}") + ("" if k.arity is None else f" /{k.arity}")
            lines.append(f"{'batched' if k.batched else 'once':<9} {k.depth:>5}  {op:<14} {k.width:>6}  {note}")
        lines.append(f"{self.nodes} nodes, {len(plan.kernels)} kernels ({sum(k.batched for k in plan.kernels)} "
                     f"batched), forward buffer {plan.peak_rows} rows" + (f", {slow} without a NumPy rule" if slow
                                                                          else ""))
        return "\n".join(lines)

    def to_dot(self, batched: Sequence[int] | None = None) -> Any:
        """The fused program as a ``graphviz.Digraph``: one box per kernel, inputs and outputs, and their edges.

        Args:
            batched: as for :meth:`summary`.
        """
        import graphviz

        from .viz import format_number

        mask = self._mask_of(batched, "batched")
        plan = self._plan(mask, None)
        g = graphviz.Digraph("program", graph_attr={"rankdir": "LR"}, node_attr={"fontname": "Helvetica"})
        owner: dict[int, str] = {}
        for i, name in enumerate(self.input_names):
            nid = f"in{i}"
            size = "" if self.input_sizes[i] is None else f"[{self.input_sizes[i]}]"
            g.node(nid, f"{name}{size}\n{'batched' if mask[i] else 'broadcast'}", shape="ellipse")
            lo, hi = self._spans[i]
            for j in range(lo, hi):
                owner[-1 - j] = nid
        for index, (k, members) in enumerate(zip(plan.kernels, plan.scatter["members"])):
            nid = f"k{index}"
            label = k.op + ("" if k.param is None else f" {format_number(k.param)}")
            g.node(nid, f"{label} x{k.width}\ndepth {k.depth}" + ("" if k.batched else "\n(once)"), shape="box",
                   style="filled", fillcolor="lightblue" if k.batched else "lightgrey")
            sources = set()
            for m in members:
                for ref in self._nodes[m].args:
                    if ref[0] != "const":
                        sources.add(owner[_ref_key(ref)])
                owner[m] = nid
            for s in sorted(sources):
                g.edge(s, nid)
        for j, (name, ref) in enumerate(zip(self.output_names, self._leaves)):
            nid = f"out{j}"
            g.node(nid, name, shape="ellipse", style="bold")
            if ref[0] != "const":
                g.edge(owner[_ref_key(ref)], nid)
        return g

    # -- calls -------------------------------------------------------------------------------------------

    def __call__(self, *inputs: Any) -> Any:
        """The outputs for a batch of inputs (see the class docstring for the shape rules).

        Raises:
            TypeError: wrong number of inputs, or an input that is not a number / array of numbers.
            ValueError: an input of the wrong shape, batches of different sizes, or a batch too big for memory.
        """
        mask, values, n = self._inputs(inputs)
        plan = self._plan(mask, None)
        s, b = self._run_forward(plan, values, n)
        return self._outputs(plan, s, b)

    def value_and_grad(self, *inputs: Any, seed: Any = None, wrt: Sequence[int] | None = None) -> tuple[Any, list]:
        """The outputs and the gradient of (seed-weighted) outputs with respect to each input position.

        Args:
            *inputs: as for calling the program.
            seed: d(loss)/d(output): for a single output a float or a length-B array (default 1); for
                several outputs a sequence with one such entry per output leaf (in ``output_names`` order).
            wrt: the input positions whose gradients are wanted (default all); the others are None.

        Returns:
            ``(outputs, grads)``: ``grads[i]`` has input i's shape: per-sample ``(B,)`` / ``(n, B)`` for a
            batched input, summed over the batch (float / ``(n,)``) for a broadcast one.

        Memory: unlike the forward call (O(width x B)), the reverse sweep keeps every batched node's value
        and one gradient row per batched node: about ``2 x nodes x B`` floats of 8 bytes, O(nodes x B)
        (an MLP 2-64-64-1 with hinge loss over 10,000 samples: 393 rows each, 63 MB). A batch that needs
        more than the machine's memory is refused with a ValueError; pass mini-batches.

        Raises:
            TypeError, ValueError: as for calling the program, or a malformed ``seed`` / ``wrt``.
        """
        import numpy as np

        mask, values, n = self._inputs(inputs)
        wanted = self._mask_of(wrt, "wrt")
        seeds = self._seeds(seed, n)
        plan = self._plan(mask, wanted)
        s, b = self._run_forward(plan, values, n)
        outputs = self._outputs(plan, s, b)
        gs, gb = self._buffers(plan, n, grads=True)
        gs.fill(0.0)
        gb.fill(0.0)
        with np.errstate(all="ignore"):
            for (where, row), sd in zip(plan.outputs, seeds):
                if where == "B":
                    gb[row] += sd
                elif where == "S":
                    gs[row, 0] += np.sum(sd)
            for step in reversed(plan.steps):
                if step.backward is not None:
                    step.backward(s, b, gs, gb)
        grads: list[Any] = []
        for i in range(self.n_inputs):
            if not wanted[i]:
                grads.append(None)
            elif plan.in_b[i] is not None:
                g = gb[plan.in_b[i]].copy()
                grads.append(g[0] if self.input_sizes[i] is None else g)
            else:
                g = gs[plan.in_s[i], 0].copy()
                grads.append(float(g[0]) if self.input_sizes[i] is None else g)
        return outputs, grads

    # -- input and output handling ----------------------------------------------------------------------

    def _mask_of(self, positions: Sequence[int] | None, name: str) -> tuple[bool, ...]:
        if positions is None:
            return (True,) * self.n_inputs
        if isinstance(positions, (str, bytes)) or not isinstance(positions, Sequence):
            raise TypeError(f"{name} must be a sequence of input positions (ints), got {describe(positions)}")
        mask = [False] * self.n_inputs
        for p in positions:
            if not (type(p) is int or (is_real(p) and float(p).is_integer() and not isinstance(p, float))):
                raise TypeError(f"{name} must hold input positions (ints), got {describe(p)}")
            p = int(p)
            if not 0 <= p < self.n_inputs:
                raise ValueError(f"{name} holds {p}, but the program has inputs 0..{self.n_inputs - 1}")
            mask[p] = True
        return tuple(mask)

    def _inputs(self, inputs: tuple[Any, ...]) -> tuple[tuple[bool, ...], list[Any], int | None]:
        from numpy import float64, ndarray

        if len(inputs) != self.n_inputs:
            raise TypeError(f"the program takes {self.n_inputs} input(s) ({', '.join(self.input_names)}), "
                            f"got {len(inputs)}")
        mask, values, n = [], [], None
        batch_of = ""
        for name, size, x in zip(self.input_names, self.input_sizes, inputs):
            # the common case (a float64 array) is used as it is: it is copied into the buffer
            arr = x if type(x) is ndarray and x.dtype == float64 else _as_float_array(x, name)
            want = "a number or a 1-D array of length B" if size is None else f"an array of shape ({size},) or " \
                                                                              f"({size}, B)"
            if size is None:
                if arr.ndim > 1:
                    raise ValueError(f"input {name!r} must be {want}, got an array of shape {arr.shape}")
                batched = arr.ndim == 1
            else:
                if arr.ndim == 0 or arr.ndim > 2 or arr.shape[0] != size:
                    raise ValueError(f"input {name!r} must be {want}, got "
                                     f"{'a number' if arr.ndim == 0 else f'an array of shape {arr.shape}'}")
                batched = arr.ndim == 2
            if batched:
                b = arr.shape[-1]
                if n is not None and b != n:
                    raise ValueError(f"input {name!r} has a batch of {b} samples but input {batch_of!r} has {n}; "
                                     f"batched inputs must agree")
                n, batch_of = b, name
            mask.append(batched)
            values.append(arr)
        return tuple(mask), values, n

    def _seeds(self, seed: Any, n: int | None) -> list[Any]:

        count = len(self._leaves)
        if type(seed) is float and count == 1:
            return [seed]
        if type(seed) in (list, tuple) and len(seed) == count and all(type(sd) is float for sd in seed):
            return list(seed)  # the common case: one float per output
        if seed is None:
            if count != 1:
                raise ValueError(f"seed must be given for a program with {count} outputs "
                                 f"({', '.join(self.output_names)}): one per output")
            return [1.0]
        items = [seed] if count == 1 and not _is_seed_list(seed) else seed
        if count == 1 and _is_seed_list(seed) and len(seed) == 1:
            items = seed
        if not isinstance(items, (list, tuple)) or len(items) != count:
            raise ValueError(f"seed must hold one entry per output ({count}: {', '.join(self.output_names)}), "
                             f"got {describe(seed)}")
        out = []
        for name, sd in zip(self.output_names, items):
            arr = _as_float_array(sd, f"seed for {name}")
            if arr.ndim > 1 or (arr.ndim == 1 and n is not None and arr.shape[0] != n):
                raise ValueError(f"seed for {name!r} must be a number or a length-{n or 'B'} array, got shape "
                                 f"{arr.shape}")
            if arr.ndim == 1 and n is None:
                raise ValueError(f"seed for {name!r} is an array but no input is batched; give a number")
            out.append(float(arr) if arr.ndim == 0 else arr)
        return out

    def _outputs(self, plan: _Plan, s: Any, b: Any) -> Any:
        results = []
        for where, row in plan.outputs:
            if where == "B":
                results.append(b[row].copy())
            elif where == "S":
                results.append(float(s[row, 0]))
            else:
                results.append(row)
        return _unflatten(self._structure, results)

    # -- running -----------------------------------------------------------------------------------------

    def _buffers(self, plan: _Plan, n: int | None, grads: bool = False) -> tuple[Any, Any]:
        import numpy as np

        cache = self._local.__dict__.setdefault("buffers", {})
        cols = 1 if n is None else n
        key = (id(plan), grads, cols)
        got = cache.get(key)
        if got is None:
            if len(cache) >= 8:  # a few batch sizes (a last, shorter mini-batch) stay cached per thread
                cache.pop(next(iter(cache)))
            too_big = ValueError(f"a batch of {cols} samples needs {plan.b_rows} x {cols} buffer entries "
                                 f"({plan.b_rows * cols * 8 / 1e9:.3g} GB) for {'gradients' if grads else 'values'}; "
                                 f"pass fewer samples per call")
            if plan.b_rows * cols * 8 > _physical_memory():  # refused before the system starts swapping
                raise too_big
            try:
                s = np.zeros((plan.s_rows, 1))
                b = np.zeros((plan.b_rows, cols))
            except MemoryError:
                raise too_big from None
            if not grads:
                rows, values = plan.s_init
                s[rows, 0] = values
            got = (cols, s, b)
            cache[key] = got
        return got[1], got[2]

    def _run_forward(self, plan: _Plan, values: list[Any], n: int | None) -> tuple[Any, Any]:
        import numpy as np

        s, b = self._buffers(plan, n)
        for i, arr in enumerate(values):
            if plan.in_b[i] is not None:
                b[plan.in_b[i]] = arr
            else:
                s[plan.in_s[i], 0] = arr
        with np.errstate(all="ignore"):
            for step in plan.steps:
                step.forward(s, b)
        return s, b

    # -- planning ----------------------------------------------------------------------------------------

    def _plan(self, mask: tuple[bool, ...], wanted: tuple[bool, ...] | None) -> _Plan:
        key = (mask, wanted)
        plan = self._plans.get(key)
        if plan is None:
            with self._lock:
                plan = self._plans.get(key)
                if plan is None:
                    with _no_gc():  # planning makes many small objects that live on: collecting is wasted time
                        plan = _Planner(self, mask, wanted).build()
                    self._plans[key] = plan
        return plan

    # -- graduation ----------------------------------------------------------------------------------------

    def to_torch(self) -> Callable[..., Any]:
        """An equivalent PyTorch function: tensors in (same shape rule), tensors out, differentiable by torch.

        The returned function runs the program node by node on float64 tensors with PyTorch's own
        operations (ops without a PyTorch form run through a ``torch.autograd.Function`` wrapping
        this program's NumPy rules), so ``torch.autograd`` differentiates it and it runs wherever
        PyTorch runs.

        Raises:
            ImportError: PyTorch is not installed (``pip install torch==2.13.0``).
        """
        try:
            import torch
        except ImportError as e:
            raise ImportError("Program.to_torch() needs PyTorch: pip install torch==2.13.0") from e
        return _TorchProgram(self, torch)


@contextlib.contextmanager
def _no_gc() -> Any:
    """Pause the cyclic garbage collector (restored after; reference counting still frees memory)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _physical_memory() -> float:
    """The machine's memory in bytes (infinite where the system does not say)."""
    import os

    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return float("inf")


class _Named:
    """Stands for the traced function in a copied or unpickled program (which keeps only its name)."""

    def __init__(self, name: str):
        self.__name__ = name


def _ref_key(ref: Ref) -> int:
    return -1 - ref[1] if ref[0] == "in" else ref[1]


def _is_seed_list(seed: Any) -> bool:
    return isinstance(seed, (list, tuple))


def _as_float_array(x: Any, name: str) -> Any:
    import numpy as np

    if isinstance(x, (bool, np.bool_, str, bytes)) or x is None or isinstance(x, Value):
        raise TypeError(f"input {name!r} must be a number or an array of numbers, got {describe(x)}")
    if isinstance(x, np.ndarray) and x.dtype.kind not in "iuf":
        raise TypeError(f"input {name!r} must be an array of real numbers, got an array of dtype {x.dtype}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"input {name!r} must be a number or an array of numbers, got {describe(x)}") from None
    if isinstance(x, (list, tuple)) and any(isinstance(v, (bool, np.bool_))
                                            for v in np.ravel(np.asarray(x, dtype=object))):
        raise TypeError(f"input {name!r} must hold real numbers, got {describe(x)}")
    return arr


def _unflatten(structure: Any, leaves: list[Any]) -> Any:
    kind, content = structure
    if kind == "leaf":
        return leaves[content]
    items = [_unflatten(s, leaves) for s in content]
    return items if kind == "list" else tuple(items)


# -- planning: kernels, rows, index arrays -------------------------------------------------------------


class _Step:
    """One kernel (or the promotion of broadcast rows) as two closures over precomputed indices."""

    __slots__ = ("forward", "backward", "batched")

    def __init__(self, forward: Callable[..., None], backward: Callable[..., None] | None, batched: bool):
        self.forward, self.backward, self.batched = forward, backward, batched


def _as_index(rows: list[int]) -> Any:
    """A slice for rows in arithmetic progression (a view, no copy), else an index array."""
    import numpy as np

    if len(rows) == 1:
        return slice(rows[0], rows[0] + 1)
    step = rows[1] - rows[0] if rows else 0
    if step > 0 and all(b - a == step for a, b in zip(rows, rows[1:])):
        return slice(rows[0], rows[-1] + 1, step)
    return np.array(rows, dtype=np.intp)


def _matrix_view(idx: Any, pad: list[int]) -> Callable[[Any], Any] | None:
    """For ``idx[i, j] == base + i * stride + j`` (a weight matrix stored row after row): buffer -> a view.

    None when the rows are not laid out so. The view may reach ``stride - n`` rows past the last
    entry; ``pad`` collects how many rows the buffer needs past its last row for that.
    """
    import numpy as np

    k, n = idx.shape
    base = int(idx[0, 0])
    stride = int(idx[1, 0] - idx[0, 0]) if k > 1 else n
    if stride < n or not np.array_equal(idx, base + stride * np.arange(k)[:, None] + np.arange(n)[None, :]):
        return None
    end = base + k * stride
    pad.append(end)

    def view(buf: Any) -> Any:
        return buf[base:end, 0].reshape(k, stride)[:, :n]

    return view


def _gather(buf: Any, idx: Any) -> Any:  # a view for a slice, else a copy of the rows
    return buf[idx] if type(idx) is slice else buf.take(idx, axis=0)


def _accumulator(src: int, idx: Any, unique: bool, batched: bool) -> Callable[[Any, Any, Any], None]:
    """A function ``(gs, gb, vals)`` doing ``grad[idx] += vals`` for one argument slot of a kernel.

    A broadcast target of a batched kernel gets the contributions summed over the batch; rows
    that occur several times in ``idx`` get each of their contributions (``np.add.at``).
    """
    import numpy as np

    reduce = batched and src == 0
    if unique and not reduce:  # the common case, one closure per buffer
        if src:
            def acc_b(gs: Any, gb: Any, vals: Any) -> None:
                gb[idx] += vals

            return acc_b

        def acc_s(gs: Any, gb: Any, vals: Any) -> None:
            gs[idx] += vals

        return acc_s

    def acc(gs: Any, gb: Any, vals: Any) -> None:
        buf = gb if src else gs
        if reduce:
            vals = vals.sum(axis=-1, keepdims=True)
        if unique:
            buf[idx] += vals
        else:
            np.add.at(buf, idx, vals)

    return acc


def _is_unique(idx: Any) -> bool:
    import numpy as np

    return type(idx) is slice or len(np.unique(idx)) == idx.size


class _Planner:
    """Builds the :class:`_Plan` of one call pattern: which inputs are batched, which gradients are wanted."""

    def __init__(self, prog: Program, mask: tuple[bool, ...], wanted: tuple[bool, ...] | None):
        self.prog, self.mask, self.wanted = prog, mask, wanted
        self.grad = wanted is not None
        flat_batched, flat_needs = [], []
        for i, (lo, hi) in enumerate(prog._spans):
            flat_batched += [mask[i]] * (hi - lo)
            flat_needs += [bool(wanted and wanted[i])] * (hi - lo)
        self.flat_batched, self.flat_needs = flat_batched, flat_needs
        nodes = prog._nodes
        self.batched = [False] * len(nodes)
        self.needs = [False] * len(nodes)
        for i, node in enumerate(nodes):
            self.batched[i] = any(self.is_batched(r) for r in node.args)
            self.needs[i] = any(self.ref_needs(r) for r in node.args)

    def is_batched(self, ref: Ref) -> bool:
        kind, key = ref
        if kind == "const":
            return False
        return self.flat_batched[key] if kind == "in" else self.batched[key]

    def ref_needs(self, ref: Ref) -> bool:
        kind, key = ref
        if kind == "const":
            return False
        return self.flat_needs[key] if kind == "in" else self.needs[key]

    @staticmethod
    def slots(node: _Node) -> list[list[Ref]]:
        if node.op.kind is NARY:
            if node.op.name == "dot" and OPS.get("dot") is node.op:
                n = len(node.args) // 2
                return [node.args[:n], node.args[n:]]
            return [list(node.args)]
        return [[r] for r in node.args]

    def build(self) -> _Plan:
        import numpy as np

        prog, nodes = self.prog, self.prog._nodes
        s_rows: dict[Any, int] = {}
        const_values: dict[Any, float] = {}

        def s_key(ref: Ref) -> Any:
            return ("const", float(ref[1]).hex()) if ref[0] == "const" else ref

        # broadcast rows: constants, then broadcast inputs (one run per position)
        for node in nodes:
            for r in node.args:
                if r[0] == "const" and s_key(r) not in s_rows:
                    s_rows[s_key(r)] = len(s_rows)
                    const_values[s_key(r)] = r[1]
        for r in prog._leaves:
            if r[0] == "const" and s_key(r) not in s_rows:
                s_rows[s_key(r)] = len(s_rows)
                const_values[s_key(r)] = r[1]
        in_s: list[Any] = [None] * prog.n_inputs
        in_b: list[Any] = [None] * prog.n_inputs
        b_rows: dict[Any, int] = {}
        free = _RowAllocator()
        for i, (lo, hi) in enumerate(prog._spans):
            if self.mask[i]:
                start = free.take(hi - lo)
                for j in range(lo, hi):
                    b_rows[("in", j)] = start + j - lo
                in_b[i] = slice(start, start + hi - lo)
            else:
                start = len(s_rows)
                for j in range(lo, hi):
                    s_rows[("in", j)] = start + j - lo
                in_s[i] = slice(start, start + hi - lo)

        # depths within each phase, and kernel groups
        depth = [0] * len(nodes)
        groups: dict[Any, list[int]] = {}
        promoted: list[Any] = []
        for i, node in enumerate(nodes):
            phase = self.batched[i]
            d = 0
            for r in node.args:
                if r[0] == "node" and self.batched[r[1]] == phase:
                    d = max(d, depth[r[1]])
            depth[i] = d + 1
            sources = []
            for slot in self.slots(node):
                flags = {self.is_batched(r) for r in slot}
                if not phase or flags == {False}:
                    sources.append("S")
                elif flags == {True}:
                    sources.append("B")
                else:
                    sources.append("B")
                    promoted += [s_key(r) for r in slot if not self.is_batched(r)]
            key = (phase, depth[i], node.op.name, id(node.op), _hashable(node.c),
                   len(node.args) if node.op.kind is NARY else None, tuple(sources))
            groups.setdefault(key, []).append(i)
        order = sorted(groups, key=lambda k: (k[0], k[1]))

        promote_b, promote_keys = [], list(dict.fromkeys(promoted))
        for key in promote_keys:
            row = free.take(1)
            b_rows[("promoted", key)] = row
            promote_b.append(row)

        # liveness (forward-only plans): the last kernel that reads each batched row
        last_use: dict[Any, int] = {}
        if not self.grad:
            for g_index, key in enumerate(order):
                for i in groups[key]:
                    for slot, src in zip(self.slots(nodes[i]), key[6]):
                        for r in slot:
                            last_use[self.b_key(r, src)] = g_index
            for r in prog._leaves:
                last_use[self.b_key(r, "B")] = len(order)

        steps: list[_Step] = []
        pad: list[int] = []  # rows the one-column buffer needs for matrix views
        kernels: list[Kernel] = []
        members: list[list[int]] = []
        promote_step_added = False
        for g_index, key in enumerate(order):
            phase = key[0]
            if phase and not promote_step_added:
                promote_step_added = True
                if promote_b:  # every broadcast row has its place now
                    steps.append(self.promote_step(promote_b, [s_rows[k] for k in promote_keys]))
            idx_nodes = groups[key]

            def first_row(i: int, key: Any = key) -> int:
                r = self.slots(nodes[i])[0][0]
                src = key[6][0]
                rows = b_rows if src == "B" else s_rows
                return rows.get(self.b_key(r, src) if src == "B" else s_key(r), 0)

            idx_nodes = sorted(idx_nodes, key=first_row)
            k = len(idx_nodes)
            if phase:
                start = free.take(k)
                for n_i, i in enumerate(idx_nodes):
                    b_rows[("node", i)] = start + n_i
            else:
                start = len(s_rows)
                for n_i, i in enumerate(idx_nodes):
                    s_rows[("node", i)] = start + n_i
            op = nodes[idx_nodes[0]].op
            c = nodes[idx_nodes[0]].c
            slot_idx, slot_src, slot_needs = [], [], []
            for s_i, src in enumerate(key[6]):
                rows = []
                needs = False
                for i in idx_nodes:
                    slot = self.slots(nodes[i])[s_i]
                    if src == "B":
                        rows.append([b_rows[self.b_key(r, "B")] for r in slot])
                    else:
                        rows.append([s_rows[s_key(r)] for r in slot])
                    needs = needs or any(self.ref_needs(r) for r in slot)
                slot_idx.append(rows)
                slot_src.append(src)
                slot_needs.append(needs)
            batched_op_ = batched_op(op, c)
            kernels.append(Kernel(op.name, key[1], k, None if op.kind is not PARAM else c,
                                  len(nodes[idx_nodes[0]].args) if op.kind is NARY else None, phase,
                                  batched_op_.vectorised))
            members.append(idx_nodes)
            kernel_needs = self.grad and any(self.needs[i] for i in idx_nodes)
            steps.append(_make_step(op, c, batched_op_, phase, slice(start, start + k), slot_idx, slot_src,
                                    slot_needs if kernel_needs else None, pad))
            if not self.grad:  # free the batched rows this kernel read for the last time
                for s_i, src in enumerate(key[6]):
                    if src != "B":
                        continue
                    for i in idx_nodes:
                        for r in self.slots(nodes[i])[s_i]:
                            bk = self.b_key(r, "B")
                            if last_use.get(bk) == g_index and bk in b_rows:
                                free.give(b_rows[bk])
                                last_use.pop(bk)

        outputs: list[Any] = []
        for r in prog._leaves:
            if r[0] == "const":
                outputs.append(("const", float(r[1])))
            elif self.is_batched(r):
                outputs.append(("B", b_rows[self.b_key(r, "B")]))
            else:
                outputs.append(("S", s_rows[r]))
        const_rows = [s_rows[k] for k in const_values]
        s_init = (np.array(const_rows, dtype=np.intp), np.array(list(const_values.values()), dtype=float))
        plan = _Plan(steps, kernels, max([len(s_rows), *pad]), free.size, s_init, in_s, in_b, outputs, self.grad,
                     free.size)
        plan.scatter["members"] = members
        return plan

    def b_key(self, ref: Ref, src: str) -> Any:
        """The key of ``ref``'s row in the batched buffer (a promoted copy for a broadcast value)."""
        if src == "B" and not self.is_batched(ref):
            return ("promoted", ("const", float(ref[1]).hex()) if ref[0] == "const" else ref)
        return ref

    def promote_step(self, rows_b: list[int], rows_s: list[int]) -> _Step:
        import numpy as np

        b_idx, s_idx = np.array(rows_b, dtype=np.intp), np.array(rows_s, dtype=np.intp)

        def forward(s: Any, b: Any) -> None:
            b[b_idx] = s[s_idx]

        def backward(s: Any, b: Any, gs: Any, gb: Any) -> None:
            gs[s_idx, 0] += gb[b_idx].sum(axis=1)

        return _Step(forward, backward if self.grad else None, True)


def _hashable(c: Any) -> Any:
    return None if c is None else float(c).hex()


class _RowAllocator:
    """First-fit allocation of runs of consecutive rows, so each kernel writes one contiguous block."""

    def __init__(self) -> None:
        self.free: list[int] = []  # sorted free rows below size
        self.size = 0

    def take(self, k: int) -> int:
        free = self.free
        run_start, run_len = None, 0
        for pos, row in enumerate(free):
            if run_len and row == free[pos - 1] + 1:
                run_len += 1
            else:
                run_start, run_len = pos, 1
            if run_len == k:
                start = free[run_start]
                del free[run_start:run_start + k]
                return start
        # extend: reuse a free run that ends at the top of the buffer
        tail = 0
        while tail < len(free) and free[-1 - tail] == self.size - 1 - tail:
            tail += 1
        start = self.size - tail
        if tail:
            del free[len(free) - tail:]
        self.size = start + k
        return start

    def give(self, row: int) -> None:
        import bisect

        bisect.insort(self.free, row)


def _operands(src: list[int], idx: list[Any]) -> Callable[[Any, Any], tuple[Any, ...]]:
    """``(s, b) -> the kernel's operand rows``, one closure per layout (no per-call loop over slots)."""
    getters = []
    for from_b, rows in zip(src, idx):
        if type(rows) is slice:
            getters.append((lambda s, b, r=rows: b[r]) if from_b else (lambda s, b, r=rows: s[r]))
        else:
            getters.append((lambda s, b, r=rows: b.take(r, axis=0)) if from_b else
                           (lambda s, b, r=rows: s.take(r, axis=0)))
    if len(getters) == 1:
        (g0,) = getters
        return lambda s, b: (g0(s, b),)
    g0, g1 = getters
    return lambda s, b: (g0(s, b), g1(s, b))


def _make_step(op: Op, c: Any, rule: BatchedOp, batched: bool, out: slice, slot_rows: list[list[list[int]]],
               slot_src: list[str], slot_needs: list[bool] | None, pad: list[int]) -> _Step:
    """The forward and backward closures of one kernel (``pad``: see :func:`_matrix_view`)."""
    import numpy as np

    kind = op.kind
    is_nary = kind is NARY
    # per slot: the source buffer (0: S, 1: B), the index (slice/array; 2-D for NARY), shared row (NARY), unique
    src = [0 if s == "S" else 1 for s in slot_src]
    if not is_nary:
        idx = [_as_index([r[0] for r in rows]) for rows in slot_rows]
        unique = [_is_unique(i) for i in idx]
    else:
        idx = [np.array(rows, dtype=np.intp) for rows in slot_rows]
        shared = [bool((i == i[0]).all()) for i in idx]
        shared_idx = [_as_index(list(i[0])) if sh else None for i, sh in zip(idx, shared)]
        unique = [_is_unique(i) for i in idx]
        shared_unique = [sh is not None and _is_unique(sh) for sh in shared_idx]
    param = (c,) if kind is PARAM and rule.vectorised else ()

    if not is_nary:
        n_slots = len(idx)
        accs = [_accumulator(src[j], idx[j], unique[j], batched) if slot_needs and slot_needs[j] else None
                for j in range(n_slots)]
        ufunc = isinstance(rule.forward, np.ufunc) or getattr(rule.forward, "takes_out", False)

        operands = _operands(src, idx)
        fwd, vjp = rule.forward, rule.vjp

        if ufunc and not param:
            def forward(s: Any, b: Any) -> None:
                fwd(*operands(s, b), out=(b if batched else s)[out])
        elif ufunc:
            def forward(s: Any, b: Any) -> None:
                fwd(*operands(s, b), *param, out=(b if batched else s)[out])
        else:
            def forward(s: Any, b: Any) -> None:
                (b if batched else s)[out] = fwd(*operands(s, b), *param)

        if n_slots == 1:
            (acc0,) = accs
            if acc0 is None:  # no gradient flows through this kernel
                slot_needs = None

            def backward(s: Any, b: Any, gs: Any, gb: Any) -> None:
                target = b if batched else s
                acc0(gs, gb, vjp((gb if batched else gs)[out], *operands(s, b), *param, target[out]))
        else:
            acc0, acc1 = accs

            def backward(s: Any, b: Any, gs: Any, gb: Any) -> None:
                target = b if batched else s
                d0, d1 = vjp((gb if batched else gs)[out], *operands(s, b), *param, target[out])
                if acc0 is not None:
                    acc0(gs, gb, d0)
                if acc1 is not None:
                    acc1(gs, gb, d1)

        return _Step(forward, backward if slot_needs is not None else None, batched)

    dot = op.name == "dot" and OPS.get("dot") is op
    if dot:
        # a dense layer: one half is the same rows for every node and the other broadcast -> a matrix product
        dense = None
        if shared[1] and src[0] == 0:
            dense = (0, 1)
        elif shared[0] and src[1] == 0:
            dense = (1, 0)

        if dense is not None:
            mat, vec = dense
            acc_mat = _accumulator(0, idx[mat], unique[mat], False) if slot_needs and slot_needs[mat] else None
            acc_vec = (_accumulator(src[vec], shared_idx[vec], shared_unique[vec], batched)
                       if slot_needs and slot_needs[vec] else None)

            view = _matrix_view(idx[mat], pad)
            if view is None:
                def matrix(buf: Any) -> Any:
                    return buf.take(idx[mat], axis=0)[:, :, 0]
            else:
                matrix = view
                if acc_mat is not None:
                    def acc_mat(gs: Any, gb: Any, vals: Any) -> None:
                        view(gs)[...] += vals[:, :, 0]

            def forward(s: Any, b: Any) -> None:
                x = _gather(b if src[vec] else s, shared_idx[vec])
                np.matmul(matrix(s), x, out=(b if batched else s)[out])

            def backward(s: Any, b: Any, gs: Any, gb: Any) -> None:
                g = (gb if batched else gs)[out]
                x = _gather(b if src[vec] else s, shared_idx[vec])
                if acc_mat is not None:
                    acc_mat(gs, gb, (g @ x.T)[:, :, None])
                if acc_vec is not None:
                    acc_vec(gs, gb, matrix(s).T @ g)

            return _Step(forward, backward if slot_needs is not None else None, batched)

        accs = [_accumulator(src[j], idx[j], unique[j], batched) if slot_needs and slot_needs[j] else None
                for j in range(2)]

        def forward(s: Any, b: Any) -> None:
            w = (b if src[0] else s)[idx[0]]
            x = (b if src[1] else s)[idx[1]]
            target = b if batched else s
            target[out] = np.einsum("knb,knb->kb", w, x) if w.shape == x.shape else (w * x).sum(axis=1)

        def backward(s: Any, b: Any, gs: Any, gb: Any) -> None:
            g = (gb if batched else gs)[out][:, None, :]
            if accs[0] is not None:
                accs[0](gs, gb, g * (b if src[1] else s)[idx[1]])
            if accs[1] is not None:
                accs[1](gs, gb, g * (b if src[0] else s)[idx[0]])

        return _Step(forward, backward if slot_needs is not None else None, batched)

    acc = _accumulator(src[0], idx[0], unique[0], batched) if slot_needs and slot_needs[0] else None
    is_sum = op.name == "sum" and OPS.get("sum") is op

    def forward(s: Any, b: Any) -> None:
        xs = (b if src[0] else s)[idx[0]]
        (b if batched else s)[out] = rule.forward(xs)

    def backward(s: Any, b: Any, gs: Any, gb: Any) -> None:
        g = (gb if batched else gs)[out]
        if acc is None:
            return
        if is_sum:  # every argument gets g itself
            acc(gs, gb, g[:, None, :])
            return
        xs = (b if src[0] else s)[idx[0]]
        acc(gs, gb, rule.vjp(g, xs, (b if batched else s)[out]))

    return _Step(forward, backward if slot_needs is not None else None, batched)


# -- tracing -------------------------------------------------------------------------------------------


def trace(f: Callable[..., Any], *example_inputs: Any) -> Program:
    """Run ``f`` once on Values and record the graph it builds as a :class:`Program` that runs whole batches.

    Args:
        f: a function of the inputs that returns a Value or a number, or a (nested) list/tuple of them.
        *example_inputs: one per argument of ``f``: a number (a scalar input: ``f`` gets a Value), or a
            sequence of numbers (a vector input: ``f`` gets a list of Values). A Value (or a sequence holding
            Values) is used as that input itself, so ``f`` may reach it another way too (a model's
            parameters). The examples' numbers only fix the trace's path; the program is valid for any input.
            Traces run one at a time (a lock), since a trace marks its input Values until it ends; the
            programs themselves may be called from any number of threads at once.

    Returns:
        The :class:`Program`.

    Raises:
        TypeError: ``f`` is not callable; an example input is not a number, a Value or a sequence of them;
            ``f`` returns something else.
        TracerError: ``f`` branches on a traced Value, reads its ``.data``, calls ``float()`` on it, computes
            from it under ``no_grad()``, or calls ``trace`` itself.
        ValueError: an empty vector input, or the same Value given at two input positions.
        Exception: whatever ``f`` raises, unchanged.

    >>> prog = trace(lambda x, y: x * y + 1, 2.0, 3.0)
    >>> prog(2.0, [1.0, 2.0, 3.0])
    array([3., 5., 7.])
    """
    f = as_callable(f, "f")
    outer = current_mode.get()
    if outer.trace is not None:
        raise TracerError(f"{user_location()}: trace() called inside a traced function; trace the outer function "
                          f"only (its program contains everything the inner one computes)")
    names = _input_names(f, len(example_inputs))
    with _TRACE_LOCK:  # traces that share input Values (a model's parameters) must not interleave
        return _trace(f, names, example_inputs)


#: One trace at a time: a trace marks its input Values as traced until it ends.
_TRACE_LOCK = threading.Lock()


def _trace(f: Callable[..., Any], names: list[str], example_inputs: tuple[Any, ...]) -> Program:
    outer = current_mode.get()
    tracer = _Tracer()
    args: list[Any] = []
    sizes: list[int | None] = []
    flat: list[Value] = []
    restore: list[Value] = []
    seen: dict[int, str] = {}

    def make_input(x: Any, name: str) -> Value:
        if isinstance(x, Value):
            if id(x) in seen:
                raise ValueError(f"example input {name!r} is the same Value as {seen[id(x)]!r}; each input "
                                 f"position needs its own Value")
            seen[id(x)] = name
            restore.append(x)
            return x
        if not is_real(x):
            raise TypeError(f"example input {name!r} must be a number, a Value or a sequence of them, "
                            f"got {describe(x)}")
        v = TracedValue(float(x), name)
        return v

    try:
        for name, x in zip(names, example_inputs):
            if type(x).__module__ == "numpy" and getattr(x, "ndim", None) == 0 and x.dtype.kind in "iuf":
                x = x.item()  # a 0-d array of a real dtype is a number, as calls to the program take it
            if isinstance(x, Value) or is_real(x):
                v = make_input(x, name)
                args.append(v)
                flat.append(v)
                sizes.append(None)
            elif isinstance(x, (list, tuple)) or (type(x).__module__ == "numpy" and getattr(x, "ndim", 0) == 1):
                items = list(x)
                if not items:
                    raise ValueError(f"example input {name!r} is an empty sequence; a vector input needs at least "
                                     f"one element")
                vs = [make_input(e, f"{name}[{k}]") for k, e in enumerate(items)]
                args.append(vs)
                flat.extend(vs)
                sizes.append(len(vs))
            else:
                raise TypeError(f"example input {name!r} must be a number, a Value or a sequence of them, "
                                f"got {describe(x)}")
        for v in restore:
            v.__class__ = TracedValue
        import dataclasses

        token = current_mode.set(dataclasses.replace(outer, grad=True, trace=tracer))
        try:
            with _no_gc():
                result = f(*args)
        finally:
            current_mode.reset(token)
        with _no_gc():
            return _record(f, names, sizes, flat, result)
    finally:
        for v in itertools.chain(tracer.nodes, flat):
            v.__class__ = Value


def _input_names(f: Callable[..., Any], n: int) -> list[str]:
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    names: list[str] = []
    for p in params:
        if len(names) >= n:
            break
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            names += [f"{p.name}{k}" for k in range(n - len(names))]
    return names + [f"input{k}" for k in range(len(names), n)]


def _record(f: Callable[..., Any], names: list[str], sizes: list[int | None], flat: list[Value],
            result: Any) -> Program:
    inputs = {id(v): j for j, v in enumerate(flat)}
    leaves: list[Any] = []
    output_names: list[str] = []
    structure = _flatten(result, "out", leaves, output_names)
    index: dict[int, int] = {}
    order: list[Value] = []
    for leaf in leaves:
        if not _is_operation(leaf, inputs) or id(leaf) in index:
            continue
        stack: list[tuple[Value, bool]] = [(leaf, False)]
        while stack:  # depth-first, each node listed after all of its inputs
            v, ready = stack.pop()
            if id(v) in index:
                continue
            if ready:
                index[id(v)] = len(order)
                order.append(v)
                continue
            stack.append((v, True))
            for p in reversed(parents_of(v)):
                if _is_operation(p, inputs) and id(p) not in index:
                    stack.append((p, False))

    def ref(v: Any) -> Ref:
        if isinstance(v, Value):
            if id(v) in inputs:
                return ("in", inputs[id(v)])
            if id(v) in index:
                return ("node", index[id(v)])
            return ("const", float(Value.data.__get__(v, Value) if type(v) is Value else v.data))
        return ("const", float(v))

    nodes = [_Node(v._fn, [ref(p) for p in parents_of(v)], param_of(v)) for v in order]
    return Program(f, names, sizes, len(flat), nodes, structure, [ref(v) for v in leaves], output_names)


def _is_operation(v: Any, inputs: dict[int, int]) -> bool:
    """True for a node of the program: made by an op from this trace's inputs (anything else is a constant).

    A traced leaf that is not an input (a Value another thread is tracing at the same time) is a constant.
    """
    return type(v) is TracedValue and v._fn is not None and id(v) not in inputs


def _flatten(out: Any, path: str, leaves: list[Any], names: list[str]) -> Any:
    if isinstance(out, Value) or is_real(out):
        leaves.append(out)
        names.append(path)
        return ("leaf", len(leaves) - 1)
    if isinstance(out, (list, tuple)):
        return ("list" if isinstance(out, list) else "tuple",
                [_flatten(o, f"{path}[{k}]", leaves, names) for k, o in enumerate(out)])
    raise TypeError(f"the traced function must return a Value, a number or a (nested) list/tuple of them; "
                    f"{path} is {describe(out)}")


# -- PyTorch ---------------------------------------------------------------------------------------------


def _torch_ops(torch: Any) -> dict[str, Callable[..., Any]]:
    def stack(args: list[Any]) -> Any:
        return torch.stack(torch.broadcast_tensors(*args))

    def dot(args: list[Any]) -> Any:
        n = len(args) // 2
        both = stack(args)
        return (both[:n] * both[n:]).sum(0)

    return {
        "+": lambda a, c: a[0] + a[1], "-": lambda a, c: a[0] - a[1], "*": lambda a, c: a[0] * a[1],
        "/": lambda a, c: a[0] / a[1], "neg": lambda a, c: -a[0], "pow": lambda a, c: torch.pow(a[0], a[1]),
        "**": lambda a, c: torch.pow(a[0], c), "exp": lambda a, c: torch.exp(a[0]),
        "log": lambda a, c: torch.log(a[0]), "sqrt": lambda a, c: torch.sqrt(a[0]),
        "tanh": lambda a, c: torch.tanh(a[0]), "sigmoid": lambda a, c: torch.sigmoid(a[0]),
        "relu": lambda a, c: torch.relu(a[0]),
        "leaky_relu": lambda a, c: torch.where(a[0] > 0, a[0], c * a[0]),
        "softplus": lambda a, c: torch.clamp(a[0], min=0) + torch.log1p(torch.exp(-torch.abs(a[0]))),
        "sin": lambda a, c: torch.sin(a[0]), "cos": lambda a, c: torch.cos(a[0]),
        "abs": lambda a, c: torch.abs(a[0]), "sum": lambda a, c: stack(a).sum(0), "dot": lambda a, c: dot(a),
        "logsumexp": lambda a, c: torch.logsumexp(stack(a), 0),
        "softmax": lambda a, c: torch.exp(a[0] - a[1]), "identity": lambda a, c: a[0] * 1.0,
        "maximum": lambda a, c: torch.maximum(*torch.broadcast_tensors(a[0], a[1])),
        "stop_gradient": lambda a, c: a[0].detach(),
    }


class _TorchProgram:
    """The function ``Program.to_torch()`` returns: the program's nodes as PyTorch operations."""

    def __init__(self, prog: Program, torch: Any):
        self.prog, self.torch = prog, torch
        self.table = _torch_ops(torch)

    def __repr__(self) -> str:
        return f"<torch function of {self.prog!r}>"

    def __call__(self, *inputs: Any) -> Any:
        torch, prog = self.torch, self.prog
        if len(inputs) != prog.n_inputs:
            raise TypeError(f"the program takes {prog.n_inputs} input(s) ({', '.join(prog.input_names)}), "
                            f"got {len(inputs)}")
        flat: list[Any] = []
        batches: dict[int, str] = {}  # batch size -> the first input that has it
        for name, size, x in zip(prog.input_names, prog.input_sizes, inputs):
            t = x if isinstance(x, torch.Tensor) else torch.as_tensor(_as_float_array(x, name))
            if size is None:
                flat.append(t)
            else:
                if t.dim() == 0 or t.shape[0] != size:
                    raise ValueError(f"input {name!r} must have shape ({size},) or ({size}, B), got {tuple(t.shape)}")
                flat.extend(t[j] for j in range(size))
            _check_torch_batch(name, flat[-1] if size is None else t[0] if size else t, batches)
        values: list[Any] = []

        def get(ref: Ref) -> Any:
            kind, key = ref
            if kind == "in":
                return flat[key]
            if kind == "node":
                return values[key]
            return torch.tensor(key, dtype=torch.float64)

        for node in prog._nodes:
            fn = self.table.get(node.op.name) if OPS.get(node.op.name) is node.op else None
            args = [get(r) for r in node.args]
            values.append(fn(args, node.c) if fn is not None else _torch_fallback(torch, node, args))
        return _unflatten(prog._structure, [get(r) for r in prog._leaves])


def _check_torch_batch(name: str, t: Any, batches: dict[int, str]) -> None:
    """Raise unless ``t`` (one sample's entry of input ``name``) is a number or a batch of the size seen so far."""
    if t.dim() > 1:
        raise ValueError(f"input {name!r} must be a number or a 1-D batch per entry, got shape {tuple(t.shape)}")
    if t.dim() == 1:
        batches.setdefault(int(t.shape[0]), name)
        if len(batches) > 1:
            (b0, first), (b1, second) = list(batches.items())[:2]
            raise ValueError(f"input {second!r} has a batch of {b1} samples but input {first!r} has {b0}")


def _torch_fallback(torch: Any, node: _Node, args: list[Any]) -> Any:
    """A node whose op has no PyTorch form, through a ``torch.autograd.Function`` of its NumPy rules."""
    import numpy as np

    rule = batched_op(node.op, node.c)
    kind = node.op.kind
    param = (node.c,) if kind is PARAM and rule.vectorised else ()

    class Apply(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, *xs: Any) -> Any:
            arrays = [x.detach().numpy().reshape(1, -1) for x in torch.broadcast_tensors(*xs)]
            operands = [np.stack(arrays, axis=1)] if kind is NARY else arrays
            out = rule.forward(*operands, *param)
            ctx.save_for_backward(*xs)
            ctx.operands, ctx.out, ctx.shape = operands, out, torch.broadcast_tensors(*xs)[0].shape
            return torch.as_tensor(np.asarray(out, dtype=float).reshape(ctx.shape))

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            gg = g.detach().numpy().reshape(1, -1)
            res = rule.vjp(gg, *ctx.operands, *param, ctx.out)
            if kind is NARY:
                res = [res[:, j] for j in range(res.shape[1])]
            elif kind is not BINARY:
                res = [res]
            return tuple(torch.as_tensor(np.asarray(r, dtype=float).reshape(ctx.shape)) for r in res)

    return Apply.apply(*args)

