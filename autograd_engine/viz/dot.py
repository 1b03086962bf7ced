r"""Drawings of computation graphs: DOT source, rendering with Graphviz's ``dot``, notebook display.

Each Value is a record node ``{ label | data | grad }`` and each operation a small
node of its own between its inputs and its result, the layout known from
micrograd's ``draw_dot``. Styles:

* the root has a thick orange border;
* labelled leaves (inputs) are light blue, parameters (``parameters=``) light green,
  unlabelled leaves (constants such as the ``2`` of ``2 * x``) grey;
* highlighted nodes (``highlight=``) are red; the current node of a step-through is yellow,
  and nodes whose gradient is still partial have a dashed border;
* with ``edge_labels=True`` each edge into an op carries the local derivative ``∂`` and,
  once sent, the contribution ``g·∂``.

Big graphs are reduced, in this order: n-ary ops (``vsum``, ``dot``) are always one
node; ``group_by`` collapses every node whose label starts with a given prefix
into one box per prefix; then, if more than ``max_nodes`` DOT nodes remain (or
``depth`` is given), only the nodes within ``depth`` steps of the root are drawn,
the depth chosen as the largest that fits ``max_nodes``. Nodes whose inputs were
cut show a "+k hidden" marker, and the drawing's caption says what was left out.

Labels are drawn as text, whatever they hold: a backslash shows as ``\\``, a newline
as ``\n``, a tab as ``\t`` and any other unprintable character as ``\xNN``/``\uNNNN``
(Python's escapes), so every label is visible, nothing in it changes the layout, and
``dot`` accepts every drawing. Spaces in a record field are written ``&#32;``, so runs of
them and leading or trailing ones are drawn as typed.

Only rendering to a file (:func:`save_graph` to SVG/PNG/PDF, ``draw_dot(...).pipe()``) needs
Graphviz's ``dot`` program; :func:`to_dot` is pure Python, and without ``dot`` the notebook
display lays the graph out in the browser with the vendored JavaScript Graphviz.
"""

from __future__ import annotations

import functools
import math
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..backward import topological_order
from ..files import as_path, atomic_write, writable_target
from ..ops import param_of, parents_of
from ..validation import as_bool, as_choice, as_int, as_real, describe, is_int
from ..value import Value
from .sweep import SweepState, local_derivatives, sweep_states, who

if TYPE_CHECKING:
    import graphviz

__all__ = ["GraphvizNotFoundError", "to_dot", "draw_dot", "save_graph", "format_number", "has_dot"]

_INSTALL_HINT = ("Install Graphviz: `apt install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) "
                 "or `conda install graphviz`. `to_dot(root)` gives the DOT source without it.")

_STYLE = {
    "intermediate": {"fillcolor": "white"},
    "constant": {"fillcolor": "#f2f2f2", "fontcolor": "#555555"},
    "input": {"fillcolor": "#e3edfb"},
    "parameter": {"fillcolor": "#e2f3e5"},
}
_ROOT = {"color": "#d35400", "penwidth": "2.5"}
_HIGHLIGHT = {"fillcolor": "#fbe3e0", "color": "#c0392b", "penwidth": "3"}
_CURRENT = {"fillcolor": "#fff1b8", "color": "#9a7d0a", "penwidth": "2.5"}
_PARTIAL = {"style": "filled,dashed", "color": "#7f8c8d"}

#: The caption lines of every step drawing that say how partial and complete nodes look.
LEGEND = ("legend: dashed border = grad still partial (a node that uses it has not sent its share); solid = complete;",
          "yellow = the node of this step; on edges, ∂ = local derivative, g·∂ = contribution sent")

_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot"}

#: The drawing options of :func:`to_dot`, in its order (:func:`draw_dot` and :func:`save_graph` take them too).
DRAWING_OPTIONS = ("rankdir", "show_grad", "max_nodes", "depth", "group_by", "highlight", "step", "parameters",
                   "edge_labels", "grads")


def check_option_names(function: str, options: Iterable[str], takes: Sequence[str]) -> None:
    """Refuse the first of ``options`` that ``function`` does not take, naming it and listing ``takes``.

    Raises:
        TypeError: ``draw_dot() got an unexpected option 'colour'; it takes format, model, rankdir ... and grads``.
    """
    for name in options:
        if name not in takes:
            raise TypeError(f"{function}() got an unexpected option {name!r}; it takes "
                            f"{', '.join(takes[:-1])} and {takes[-1]}")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed (or not on ``PATH``), so nothing can be rendered."""


def format_number(x: Any) -> str:
    """A fixed, readable format: 4 decimals for ordinary magnitudes, else scientific.

    Args:
        x: a real number or a Value (its ``data``).

    Raises:
        TypeError: ``x`` is neither.

    >>> format_number(2.0), format_number(-0.000012345), format_number(float("nan"))
    ('2.0000', '-1.234e-05', 'nan')
    """
    x = x.data if isinstance(x, Value) else as_real(x, "x")
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


_SHORT_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_RECORD_SPECIAL = re.compile(r'([{}|<>"])')


def _visible(text: str) -> str:
    """``text`` with backslashes, line breaks and unprintable characters written as Python escapes."""
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for ch in text:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def _dot_text(text: str) -> str:
    """Visible ``text`` as the inside of a DOT string: backslashes, quotes and entities (``&lt;``) kept literal."""
    return _visible(text).replace("\\", "\\\\").replace("&", "&amp;").replace('"', '\\"')


def _record_text(text: str) -> str:
    """Visible ``text`` as one field of a record label: also ``{ } | < >``, and spaces as ``&#32;``.

    A space written as ``&#32;`` is text to the record parser, which would otherwise trim it at
    either end of a field (and ``dot`` 2.43 drops an escaped space ``\\ `` after a non-ASCII letter).
    """
    text = _RECORD_SPECIAL.sub(r"\\\1", _visible(text).replace("\\", "\\\\").replace("&", "&amp;"))
    return text.replace(" ", "&#32;")


def _label(text: str) -> str:
    """A finished label for the graphviz package: never read as an HTML-like label."""
    import graphviz

    return graphviz.nohtml(text)


def _constant_text(c: float) -> str:
    if c.is_integer() and abs(c) < 1e16:
        return str(int(c))
    return f"{c:g}"


def _op_label(v: Value) -> str:
    c = param_of(v)
    if c is None:
        return v.op
    c_text = _constant_text(float(c))
    return f"**{c_text}" if v.op == "**" else f"{v.op}({c_text})"


def _group_function(group_by: Any) -> Callable[[Value], str | None] | None:
    if group_by is None:
        return None
    if callable(group_by):
        def by_call(v: Value) -> str | None:
            key = group_by(v)
            if key is not None and not isinstance(key, str):
                raise TypeError(f"group_by must return a str or None for each node, got {describe(key)}")
            return key

        return by_call
    prefixes = [group_by] if isinstance(group_by, str) else None
    if prefixes is None and isinstance(group_by, Iterable) and not isinstance(group_by, (bytes, bytearray)):
        prefixes = list(group_by)
    if not prefixes or not all(isinstance(p, str) and p for p in prefixes):
        raise TypeError(f"group_by must be a non-empty label prefix, a list of them, or a callable "
                        f"node -> key or None, got {describe(group_by)}")

    def by_prefix(v: Value) -> str | None:
        for p in prefixes:
            if v.label.startswith(p):
                return p
        return None

    return by_prefix


def _highlighted(item: Any) -> Value | None:
    """The node ``item`` stands for: a Value, or an error's ``.node`` (None when the error names none)."""
    if isinstance(item, Value):
        return item
    if isinstance(item, BaseException):
        node = getattr(item, "node", None)
        if node is None or isinstance(node, Value):
            return node
    raise TypeError(f"highlight must be a Value, an error with .node (GradcheckError, AnomalyError), or a list "
                    f"of them, got {describe(item)}")


def _nodes_of(highlight: Any) -> set[Value]:
    """Values from ``highlight``: a Value, an error with ``.node``, or an iterable (not a string) of those."""
    if highlight is None:
        return set()
    if isinstance(highlight, Iterable) and not isinstance(highlight, (str, bytes, bytearray, Value)):
        nodes = map(_highlighted, highlight)
    else:
        nodes = iter([_highlighted(highlight)])
    return {node for node in nodes if node is not None}


def _parameters(parameters: Any) -> set[Value]:
    if parameters is None:
        return set()
    if not isinstance(parameters, Iterable) or isinstance(parameters, (str, bytes, bytearray)):
        raise TypeError(f"parameters must be an iterable of Values (such as model.parameters()), "
                        f"got {describe(parameters)}")
    params = list(parameters)
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"parameters must hold only Values, got {describe(p)} among them")
    return set(params)


@dataclass
class _Scene:
    """Which nodes to draw, after grouping and depth limiting."""

    order: list[Value]
    visible: set[Value]
    group_of: dict[Value, str]
    notes: list[str] = field(default_factory=list)


def _distances(root: Value) -> dict[Value, int]:
    """Fewest steps from ``root`` to each node, following parents (breadth first)."""
    dist = {root: 0}
    frontier = [root]
    while frontier:
        nxt = []
        for v in frontier:
            d = dist[v] + 1
            for p in parents_of(v):
                if p not in dist:
                    dist[p] = d
                    nxt.append(p)
        frontier = nxt
    return dist


def _counts_by_depth(order: list[Value], dist: dict[Value, int], group_of: dict[Value, str]) -> list[int]:
    """DOT nodes needed to draw the nodes within ``d`` steps of the root, for every ``d``, in one pass.

    Values, op nodes, group boxes and "+k hidden" markers: a value adds its node (and its op's) from
    its own depth on, a group box counts from its nearest member's depth, and an op with an input
    deeper than ``d`` carries a marker for the depths from its own up to just before that input's.
    """
    deepest = max(dist.values())
    added = [0] * (deepest + 2)  # a difference array: count(d) = sum(added[:d + 1])
    group_depth: dict[str, int] = {}
    for v in order:
        d = dist[v]
        if v in group_of:
            key = group_of[v]
            group_depth[key] = min(group_depth.get(key, d), d)
            continue
        added[d] += 1
        if not v.is_leaf:
            added[d] += 1
            farthest = max(dist[p] for p in parents_of(v))
            if farthest > d:
                added[d] += 1
                added[farthest] -= 1
    for d in group_depth.values():
        added[d] += 1
    counts, total = [], 0
    for d in range(deepest + 1):
        total += added[d]
        counts.append(total)
    return counts


def _select(root: Value, max_nodes: int, depth: int | None, group_by: Any) -> _Scene:
    order = topological_order(root)
    group = _group_function(group_by)
    group_of = {}
    if group is not None:
        for v in order:
            key = group(v)
            if key is not None:
                group_of[v] = str(key)
    scene = _Scene(order, set(order), group_of)
    dist = _distances(root)
    counts = _counts_by_depth(order, dist, group_of)
    deepest = len(counts) - 1
    if depth is None and counts[deepest] <= max_nodes:
        return scene
    # the largest depth whose drawing fits max_nodes (depth 0 is drawn even if it does not)
    limit = deepest if depth is None else min(depth, deepest)
    chosen = max((d for d in range(limit + 1) if counts[d] <= max_nodes), default=0)
    scene.visible = {v for v in order if dist[v] <= chosen}
    hidden = len(order) - len(scene.visible)
    if hidden:
        scene.notes.append(f"showing the {len(scene.visible):,} of {len(order):,} values within {chosen} steps of "
                           f"the root; {hidden:,} hidden (raise max_nodes, pass depth= or group_by=)")
    return scene


def _step_state(root: Value, step: Any) -> SweepState:
    """The sweep as it stands after ``step`` steps (a copy); the sweep stops there."""
    step = as_int(step, "step", minimum=0)
    for state in sweep_states(root):
        if step > state.total:
            raise ValueError(f"step must be between 0 and {state.total} (the number of nodes), got {step}")
        if state.step == step:
            return state.copy()
    raise AssertionError("unreachable: the sweep has a step for every node")


def _grads(grads: Any, step: Any) -> dict[Value, float] | None:
    """The ``grads=`` option checked: a mapping of Values to real numbers (nan and inf kept), or None."""
    if grads is None:
        return None
    if step is not None:
        raise TypeError(f"pass step= (the sweep's gradients at a step) or grads= (gradients of your own), not both; "
                        f"got step={step!r} and grads={describe(grads)}")
    if not isinstance(grads, Mapping):
        raise TypeError(f"grads must be a mapping of Values to numbers (such as {{x: 0.5}}), got {describe(grads)}")
    checked = {}
    for v, g in grads.items():
        if not isinstance(v, Value):
            raise TypeError(f"grads must map Values to numbers, got the key {describe(v)}")
        checked[v] = as_real(g, f"grads[{who(v)}]")
    return checked


def _check_options(rankdir: Any, show_grad: Any, max_nodes: Any, depth: Any,
                   edge_labels: Any = False) -> tuple[str, bool, int, int | None, bool]:
    as_choice(rankdir, "rankdir", ("LR", "RL", "TB", "BT"))
    if depth is not None and not is_int(depth):
        raise TypeError(f"depth must be None or an int >= 0, got {describe(depth)}")
    if depth is not None and depth < 0:
        raise ValueError(f"depth must be None or an int >= 0, got {int(depth)}")
    return (rankdir, as_bool(show_grad, "show_grad"), as_int(max_nodes, "max_nodes", minimum=1),
            None if depth is None else int(depth), as_bool(edge_labels, "edge_labels"))


def build_graph(root: Value, *, rankdir: str = "LR", show_grad: bool = True, max_nodes: int = 500,
           depth: int | None = None, group_by: Any = None, highlight: Any = None, step: int | None = None,
           parameters: Iterable[Value] | None = None, edge_labels: bool = False, grads: Any = None,
           fmt: str = "svg", ids: bool = False, step_caption: bool = True,
           state: SweepState | None = None) -> graphviz.Digraph:
    """The drawing as a ``graphviz.Digraph``, its ``node_ids`` mapping each drawn Value to its DOT id.

    ``ids`` gives every value node and labelled edge an SVG id (the HTML step-through's hooks);
    ``step_caption=False`` leaves the step's sentence, legend and yellow node out (the page marks them itself);
    ``state`` is a sweep state already at hand, drawn instead of running the sweep again for ``step``.
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {describe(root)}")
    rankdir, show_grad, max_nodes, depth, edge_labels = _check_options(rankdir, show_grad, max_nodes, depth,
                                                                       edge_labels)
    marked = _nodes_of(highlight)
    params = _parameters(parameters)
    shown = _grads(grads, step)
    if state is None and step is not None:
        state = _step_state(root, step)
    scene = _select(root, max_nodes, depth, group_by)

    g = _digraph_class()("autograd", format=fmt, graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
                         node_attr={"fontname": "Helvetica", "fontsize": "11"},
                         edge_attr={"arrowsize": "0.6", "fontname": "Helvetica", "fontsize": "10"})
    if state is not None and step_caption:
        scene.notes.insert(0, state.sentence)
        scene.notes[1:1] = LEGEND
    if scene.notes:
        g.attr(label=_label("\\n".join(_dot_text(note) for note in scene.notes)), labelloc="t", fontsize="12")

    ids_on = ids
    ids = {v: f"v{i}" for i, v in enumerate(scene.order)}
    group_ids: dict[str, str] = {}
    group_sizes: dict[str, int] = {}
    for v in scene.order:
        if v in scene.visible and v in scene.group_of:
            key = scene.group_of[v]
            group_ids.setdefault(key, f"g{len(group_ids)}")
            group_sizes[key] = group_sizes.get(key, 0) + 1
    for key, gid in group_ids.items():
        g.node(gid, _label(f"{_record_text(key)}* | {group_sizes[key]} values"), shape="record",
               style="filled,rounded",
               fillcolor="#e2f3e5", color="#1e8449")

    def target(v: Value) -> str:
        return group_ids[scene.group_of[v]] if v in scene.group_of else ids[v]

    group_edges: set[tuple[str, str]] = set()
    for v in scene.order:
        if v not in scene.visible:
            continue
        grouped = v in scene.group_of
        if not grouped:
            _value_node(g, v, ids[v], root, show_grad, state, params, marked, ids=ids_on,
                        mark_current=step_caption, grads=shown)
        if v.is_leaf:
            continue
        head = target(v)
        if not grouped:
            head = f"o{ids[v][1:]}"
            g.node(head, _label(_dot_text(_op_label(v))), shape="ellipse", style="filled", fillcolor="#fafafa",
                   fontsize="10", width="0.3", height="0.3", margin="0.02")
            g.edge(head, ids[v])
        hidden = 0
        locals_ = local_derivatives(v) if edge_labels else []
        sent = _sent(v, root, state, shown) if edge_labels and show_grad else None
        for i, p in enumerate(parents_of(v)):
            if p not in scene.visible:
                hidden += 1
            elif p in scene.group_of or grouped:
                tail = target(p)
                if tail != head and (tail, head) not in group_edges:
                    group_edges.add((tail, head))
                    g.edge(tail, head)
            elif edge_labels:
                edge_id = {"id": edge_id_of(ids[v], i)} if ids_on else {}
                g.edge(ids[p], head, label=_label(edge_text(locals_[i], None if sent is None else sent[i])),
                       **edge_id)
            else:
                g.edge(ids[p], head)
        if hidden and not grouped:
            marker = f"h{ids[v][1:]}"
            g.node(marker, f"+{hidden} hidden", shape="plaintext", fontcolor="#777777", fontsize="9")
            g.edge(marker, head, style="dashed", color="#aaaaaa")
    g.node_ids = {v: ids[v] for v in scene.order if v in scene.visible and v not in scene.group_of}
    g.grouped = {v for v in scene.group_of if v in scene.visible}
    return g


def _name(v: Value) -> str:
    return f"'{v.label}'" if v.label else f"'{v.op}'" if v.op else "(leaf)"


def _value_node(g: graphviz.Digraph, v: Value, node_id: str, root: Value, show_grad: bool,
                state: SweepState | None, params: set[Value], marked: set[Value], ids: bool = False,
                mark_current: bool = True, grads: dict[Value, float] | None = None) -> None:
    fields = [_record_text(v.label)] if v.label else []
    fields.append(f"data {format_number(v.data)}")
    if show_grad:
        grad = state.grads.get(v, 0.0) if state is not None else grads.get(v, 0.0) if grads is not None else v.grad
        fields.append(f"grad {format_number(grad)}")
    if v in params:
        role = "parameter"
    elif v.is_leaf:
        role = "input" if v.label else "constant"
    else:
        role = "intermediate"
    attrs = {"shape": "record", "style": "filled", **_STYLE[role]}
    if ids:
        attrs["id"] = node_id
    if v is root:
        attrs.update(_ROOT)
    if state is not None and v not in state.complete:
        attrs.update(_PARTIAL)
    if state is not None and v is state.node and mark_current:
        attrs.update(_CURRENT)
    if v in marked:
        attrs.update(_HIGHLIGHT)
    g.node(node_id, _label("{ " + " | ".join(fields) + " }"), **attrs)


def _sent(v: Value, root: Value, state: SweepState | None, grads: dict[Value, float] | None) -> list[float] | None:
    """What ``v`` sent each input: at a step, once the sweep processed ``v``; else after ``backward()``.

    With ``grads`` (the ``grads=`` option) the gradients are the mapping's, not the nodes' ``.grad``.
    """
    if state is not None:
        return state.sent.get(v)
    g = grads.get(v, 0.0) if grads is not None else v.grad
    if (grads.get(root, 0.0) if grads is not None else root.grad) == 0:
        return None  # backward has not run from this root: no contribution to show yet
    return [g * d for d in local_derivatives(v)]


def edge_id_of(node_id: str, index: int) -> str:
    """The SVG id of the edge from input ``index`` of value node ``node_id`` (``v7``) into its op."""
    return f"e{node_id[1:]}_{index}"


def edge_text(local: float, sent: float | None) -> str:
    """An edge's label as DOT text: the local derivative, then (once sent) the contribution ``g·∂``."""
    text = _dot_text(f"∂ {format_number(local)}")
    return text if sent is None else text + "\\n" + _dot_text(f"g·∂ {format_number(sent)}")


def to_dot(root: Value, *, rankdir: str = "LR", show_grad: bool = True, max_nodes: int = 500,
           depth: int | None = None, group_by: Any = None, highlight: Any = None, step: int | None = None,
           parameters: Iterable[Value] | None = None, edge_labels: bool = False, grads: Any = None,
           **unknown: Any) -> str:
    """The DOT source of the graph that ``root`` depends on. Needs no Graphviz program.

    Args:
        root: the node to draw (with everything it depends on).
        rankdir: layout direction, "LR" (default), "RL", "TB" or "BT".
        show_grad: show each node's ``.grad`` (or, with ``step``, its gradient at that step).
        max_nodes: the most DOT nodes to draw; larger graphs are cut by depth (module docstring).
        depth: draw only nodes within this many steps of the root.
        group_by: a label prefix, a list of prefixes, or a callable ``node -> key or None``:
            nodes of one key are collapsed into one box (e.g. ``"layer1."``).
        highlight: a Value, a ``GradcheckError``/``AnomalyError`` (its offending node), or an
            iterable of those: drawn in red.
        step: draw the state after this many steps of backward (see :func:`backward_steps`):
            gradients as they stand then, the node of that step in yellow, nodes whose gradient
            is still partial (a node that uses them has not sent its share) with a dashed
            border; the caption says what the step did and gives the legend.
        parameters: Values to draw as parameters (green), e.g. ``model.parameters()``.
        edge_labels: label each edge into an op with the local derivative ``∂ op output /
            ∂ this input`` at the current point (``∂ -3.0000``: the op's rule from the one table,
            run with gradient 1), and, once backward has reached the op, the contribution it sent
            along the edge (``g·∂ -1.5000``). Without ``step``, contributions are shown when
            ``root.grad`` is not 0 (``backward()`` has run from ``root``).
        grads: a mapping ``{node: gradient}`` to show instead of each node's ``.grad`` (nodes not in
            it show 0), e.g. the gradients as they stood when a check failed; nothing's ``.grad`` is
            read or written. With ``edge_labels`` the contributions are then the mapping's gradient of
            each op's node times ``∂``, shown when the mapping's root gradient is not 0. Not together
            with ``step``.

    Raises:
        TypeError, ValueError: a bad argument (the message names it), or an option it does not take
            (the message lists those it takes).

    >>> from autograd_engine import Value
    >>> a = Value(2.0, "a")
    >>> print(to_dot(a * a).count("->"))
    3
    >>> "∂ 2.0000" in to_dot(a * a, edge_labels=True)
    True
    """
    check_option_names("to_dot", unknown, DRAWING_OPTIONS)
    return build_graph(root, rankdir=rankdir, show_grad=show_grad, max_nodes=max_nodes, depth=depth,
                  group_by=group_by, highlight=highlight, step=step, parameters=parameters,
                  edge_labels=edge_labels, grads=grads).source


def _require_dot() -> None:
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(f"Graphviz's `dot` program was not found on PATH, so the graph cannot be "
                                    f"rendered. {_INSTALL_HINT}")


def has_dot() -> bool:
    """Whether Graphviz's ``dot`` program is on ``PATH`` now (looked up at every call, never cached)."""
    return shutil.which("dot") is not None


@functools.cache
def _digraph_class() -> type:
    """``graphviz.Digraph`` that still displays in a notebook without ``dot`` and names the missing program."""
    import graphviz

    class Drawing(graphviz.Digraph):
        """A ``graphviz.Digraph``: rendering needs ``dot``; notebook display falls back to the browser renderer.

        ``node_ids`` maps each Value drawn as its own node to its DOT node id, ``grouped`` holds the Values
        drawn inside a group box (both set by :func:`build_graph`).
        """

        node_ids: dict[Value, str]
        grouped: set[Value]

        def __repr__(self) -> str:
            drawn = len(getattr(self, "node_ids", {}))
            return f"<drawing of {drawn} value{'s' * (drawn != 1)}: .source is its DOT text, .pipe() renders it>"

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            _require_dot()
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound as exc:  # dot vanished between the check and the call
                raise GraphvizNotFoundError(f"Graphviz's `dot` program could not be run. {_INSTALL_HINT}") from exc

        def render(self, *args: Any, **kwargs: Any) -> Any:
            _require_dot()
            return super().render(*args, **kwargs)

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
            if has_dot():
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            from .html import browser_bundle

            return browser_bundle(self.source, repr(self))

    return Drawing


def draw_dot(root: Value, *, format: str = "svg", model: Any = None, **options: Any) -> graphviz.Digraph:
    """The graph as a ``graphviz.Digraph``, ready to render (it displays itself in Jupyter).

    Takes the options of :func:`to_dot` and ``format`` ("svg", "png", "pdf") for rendering.
    In a notebook the drawing shows even without the ``dot`` program: it is then laid out
    in the browser by the vendored JavaScript Graphviz (see :mod:`autograd_engine.viz`);
    only ``.pipe()``/``.render()`` to a file format need ``dot``.

    Args:
        root: the node to draw.
        format: the format ``.pipe()`` and ``.render()`` produce.
        model: an object with a ``draw(output=..., **options)`` method (an ``nn.Module``):
            the drawing is then ``model.draw(output=root, **options)``, which names the model's
            parameters and collapses its layers.

    Raises:
        TypeError: ``model`` has no ``draw`` method, an option neither takes (the message lists those
            they take); other bad arguments (the message names them).
        GraphvizNotFoundError: from ``.pipe()``/``.render()`` when ``dot`` is missing.

    >>> from autograd_engine import Value
    >>> svg = draw_dot(Value(1.0, "x").tanh()).pipe(format="svg")  # doctest: +SKIP
    """
    if not isinstance(format, str):
        raise TypeError(f"format must be 'svg', 'png' or 'pdf', got {describe(format)}")
    if format not in ("svg", "png", "pdf"):
        raise ValueError(f"format must be 'svg', 'png' or 'pdf', got {describe(format)}")
    if model is not None:
        if not callable(getattr(model, "draw", None)):
            raise TypeError(f"model must have a draw(output=..., **options) method (an nn.Module), "
                            f"got {describe(model)}")
        if format != "svg":
            options["format"] = format
        return model.draw(output=root, **options)
    check_option_names("draw_dot", options, ("format", "model", *DRAWING_OPTIONS))
    return build_graph(root, fmt=format, **options)


def _render(root: Value, fmt: str, **options: Any) -> bytes:
    _require_dot()
    return draw_dot(root, format=fmt, **options).pipe(format=fmt)


def save_graph(root: Value, path: str | os.PathLike[str], **options: Any) -> str:
    """Write the drawing to ``path``, as SVG, PNG, PDF or DOT source by its extension.

    The file is written to a temporary file in the same folder and then renamed, so a
    crash never leaves half a file; a symbolic link is written through (the file it
    points to is replaced, the link stays) and a read-only file is refused. Takes the
    options of :func:`to_dot`.

    Returns:
        The path written.

    Raises:
        TypeError: ``path`` is not a str or ``os.PathLike`` of str, or an option :func:`to_dot` does not take.
        ValueError: the extension is not .svg, .png, .pdf or .dot, or ``path`` is empty.
        GraphvizNotFoundError: a rendered format was asked for and ``dot`` is missing.
        FileNotFoundError, IsADirectoryError, PermissionError: the folder is missing, ``path`` is a
            folder, or the file or its folder is read-only (nothing is changed).

    >>> import tempfile, os
    >>> from autograd_engine import Value
    >>> out = save_graph(Value(1.0) * 2, os.path.join(tempfile.mkdtemp(), "g.dot"))
    >>> open(out).read().startswith("digraph")
    True
    """
    check_option_names("save_graph", options, DRAWING_OPTIONS)
    path = as_path(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in _FORMATS:
        raise ValueError(f"path must end in .svg, .png, .pdf or .dot, got {path!r}")
    fmt = _FORMATS[ext]
    writable_target(path, "save a drawing to")  # before rendering, which may take a while
    return atomic_write(path, to_dot(root, **options).encode() if fmt == "dot" else _render(root, fmt, **options),
                        what="save a drawing to")


def mimebundle(root: Value, include: Sequence[str] | None = None,
               exclude: Sequence[str] | None = None) -> dict[str, str]:
    """Jupyter's display of a Value (``Value._repr_mimebundle_``): the drawing of its graph.

    Returns:
        ``{"text/plain": repr(root)}`` with ``"image/svg+xml"`` rendered by ``dot``, or, without
        ``dot``, ``"text/html"`` that lays the graph out in the browser. Never raises.
    """
    bundle = {"text/plain": repr(root)}
    try:
        if has_dot():
            bundle["image/svg+xml"] = _render(root, "svg", max_nodes=150).decode()
        else:
            from .html import browser_bundle

            bundle.update(browser_bundle(to_dot(root, max_nodes=150), repr(root)))
    except Exception:
        pass
    return bundle
