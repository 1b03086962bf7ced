"""Drawings of computation graphs: DOT source, Graphviz rendering, notebook display, backward step-through.

Each Value is a record node ``{ label | data | grad }`` and each operation a small
node of its own between its inputs and its result, the layout known from
micrograd's ``draw_dot``. Styles:

* the root has a thick orange border;
* labelled leaves (inputs) are light blue, parameters (``parameters=``) light green,
  unlabelled leaves (constants such as the ``2`` of ``2 * x``) grey;
* highlighted nodes (``highlight=``) are red; the current node of a step-through is yellow.

Big graphs are reduced, in this order: n-ary ops (``vsum``, ``dot``) are always one
node; ``group_by`` collapses every node whose label starts with a given prefix
into one box per prefix; then, if more than ``max_nodes`` DOT nodes remain (or
``depth`` is given), only the nodes within ``depth`` steps of the root are drawn,
the depth chosen as the largest that fits ``max_nodes``. Nodes whose inputs were
cut show a "+k hidden" marker, and the drawing's caption says what was left out.

Only :func:`draw_dot`, :func:`save_graph` (for rendered formats) and the notebook
helpers need Graphviz's ``dot`` program; :func:`to_dot` is pure Python.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._files import atomic_write
from .backward import backward_steps, topological_order
from .ops import PARAM
from .value import Value

if TYPE_CHECKING:
    import graphviz

__all__ = ["GraphvizNotFoundError", "to_dot", "draw_dot", "save_graph", "show_backward", "format_number"]

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

_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot"}


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed (or not on ``PATH``), so nothing can be rendered."""


def format_number(x: Any) -> str:
    """A fixed, readable format: 4 decimals for ordinary magnitudes, else scientific.

    >>> format_number(2.0), format_number(-0.000012345), format_number(float("nan"))
    ('2.0000', '-1.234e-05', 'nan')
    """
    x = float(x.data if isinstance(x, Value) else x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _escape(text: str) -> str:
    """Escape the characters that structure a record label."""
    text = text.replace("\\", "\\\\")
    for ch in "{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text


def _op_label(v: Value) -> str:
    if v._fn.kind == PARAM:
        c = v.param
        c_text = str(int(c)) if float(c).is_integer() else f"{c:g}"
        return f"**{c_text}" if v.op == "**" else f"{v.op}({c_text})"
    return v.op


def _group_function(group_by: Any) -> Callable[[Value], str | None] | None:
    if group_by is None:
        return None
    if callable(group_by):
        return group_by
    if isinstance(group_by, str):
        group_by = [group_by]
    if isinstance(group_by, Iterable):
        prefixes = list(group_by)
        if not prefixes or not all(isinstance(p, str) and p for p in prefixes):
            raise TypeError("group_by must be a non-empty label prefix, a list of them, or a callable")

        def by_prefix(v: Value) -> str | None:
            for p in prefixes:
                if v.label.startswith(p):
                    return p
            return None

        return by_prefix
    raise TypeError(f"group_by must be a label prefix, a list of prefixes or a callable, got {type(group_by).__name__}")


def _nodes_of(highlight: Any) -> set[Value]:
    """Values from ``highlight``: a Value, an error with ``.node``, or an iterable of those."""
    if highlight is None:
        return set()
    if isinstance(highlight, Value):
        return {highlight}
    node = getattr(highlight, "node", None)
    if isinstance(highlight, BaseException):
        return {node} if isinstance(node, Value) else set()
    if isinstance(highlight, Iterable):
        out: set[Value] = set()
        for item in highlight:
            out |= _nodes_of(item)
        return out
    raise TypeError(f"highlight must be a Value, an error with .node, or an iterable of them, "
                    f"got {type(highlight).__name__}")


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
            for p in v.parents:
                if p not in dist:
                    dist[p] = d
                    nxt.append(p)
        frontier = nxt
    return dist


def _count(order: list[Value], visible: set[Value], group_of: dict[Value, str]) -> int:
    """DOT nodes needed: values, op nodes, group boxes and "hidden" markers."""
    n, groups = 0, set()
    for v in order:
        if v not in visible:
            continue
        if v in group_of:
            groups.add(group_of[v])
            continue
        n += 1
        if v._fn is not None:
            n += 1
            if any(p not in visible for p in v.parents):
                n += 1
    return n + len(groups)


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
    if depth is None and _count(order, scene.visible, group_of) <= max_nodes:
        return scene
    dist = _distances(root)
    lo, hi = 0, max(dist.values()) if depth is None else min(depth, max(dist.values()))

    def visible_at(d: int) -> set[Value]:
        return {v for v in order if dist[v] <= d}

    # the largest depth <= hi whose drawing fits max_nodes (depth 0 is drawn even if it does not)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _count(order, visible_at(mid), group_of) <= max_nodes:
            lo = mid
        else:
            hi = mid - 1
    scene.visible = visible_at(lo)
    hidden = len(order) - len(scene.visible)
    if hidden:
        scene.notes.append(f"showing the {len(scene.visible):,} of {len(order):,} values within {lo} steps of the "
                           f"root; {hidden:,} hidden (raise max_nodes, pass depth= or group_by=)")
    return scene


def _step_state(root: Value, step: int) -> tuple[dict[Value, float], Value | None]:
    """Gradients as they stand after ``step`` steps of the sweep, and the node of the last step."""
    if isinstance(step, bool) or not isinstance(step, int):
        raise TypeError(f"step must be an int, got {type(step).__name__}")
    steps = list(backward_steps(root))
    if not 0 <= step <= len(steps):
        raise ValueError(f"step must be between 0 and {len(steps)} (the number of nodes), got {step}")
    grads: dict[Value, float] = {root: 1.0}
    for s in steps[:step]:
        for p, d in s.contributions:
            grads[p] = grads.get(p, 0.0) + d
    return grads, steps[step - 1].node if step else None


def _check_options(rankdir: str, max_nodes: int, depth: int | None) -> None:
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be one of LR, RL, TB, BT, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be an int >= 1, got {max_nodes!r}")
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
        raise ValueError(f"depth must be None or an int >= 0, got {depth!r}")


def _build(root: Value, *, rankdir: str = "LR", show_grad: bool = True, max_nodes: int = 500,
           depth: int | None = None, group_by: Any = None, highlight: Any = None, step: int | None = None,
           parameters: Iterable[Value] | None = None, fmt: str = "svg") -> graphviz.Digraph:
    import graphviz

    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {type(root).__name__}")
    _check_options(rankdir, max_nodes, depth)
    scene = _select(root, max_nodes, depth, group_by)
    marked = _nodes_of(highlight)
    params = set(parameters) if parameters is not None else set()
    grads, current = _step_state(root, step) if step is not None else (None, None)

    g = graphviz.Digraph("autograd", format=fmt, graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
                         node_attr={"fontname": "Helvetica", "fontsize": "11"},
                         edge_attr={"arrowsize": "0.6"})
    if step is not None:
        where = f"node {_name(current)}" if current is not None else "the seed: d root / d root = 1"
        scene.notes.insert(0, f"backward, step {step}: {where}")
    if scene.notes:
        g.attr(label="\n".join(scene.notes), labelloc="t", fontsize="12")

    ids = {v: f"v{i}" for i, v in enumerate(scene.order)}
    group_ids: dict[str, str] = {}
    group_sizes: dict[str, int] = {}
    for v in scene.order:
        if v in scene.visible and v in scene.group_of:
            key = scene.group_of[v]
            group_ids.setdefault(key, f"g{len(group_ids)}")
            group_sizes[key] = group_sizes.get(key, 0) + 1
    for key, gid in group_ids.items():
        g.node(gid, f"{_escape(key)}* | {group_sizes[key]} values", shape="record", style="filled,rounded",
               fillcolor="#e2f3e5", color="#1e8449")

    def target(v: Value) -> str:
        return group_ids[scene.group_of[v]] if v in scene.group_of else ids[v]

    group_edges: set[tuple[str, str]] = set()
    for v in scene.order:
        if v not in scene.visible:
            continue
        grouped = v in scene.group_of
        if not grouped:
            _value_node(g, v, ids[v], root, show_grad, grads, params, marked, current)
        if v._fn is None:
            continue
        head = target(v)
        if not grouped:
            head = f"o{ids[v][1:]}"
            g.node(head, _escape(_op_label(v)), shape="ellipse", style="filled", fillcolor="#fafafa",
                   fontsize="10", width="0.3", height="0.3", margin="0.02")
            g.edge(head, ids[v])
        hidden = 0
        for p in v.parents:
            if p not in scene.visible:
                hidden += 1
            elif p in scene.group_of or grouped:
                tail = target(p)
                if tail != head and (tail, head) not in group_edges:
                    group_edges.add((tail, head))
                    g.edge(tail, head)
            else:
                g.edge(ids[p], head)
        if hidden and not grouped:
            marker = f"h{ids[v][1:]}"
            g.node(marker, f"+{hidden} hidden", shape="plaintext", fontcolor="#777777", fontsize="9")
            g.edge(marker, head, style="dashed", color="#aaaaaa")
    return g


def _name(v: Value) -> str:
    return repr(v.label) if v.label else f"'{v.op}'" if v.op else "(leaf)"


def _value_node(g: graphviz.Digraph, v: Value, node_id: str, root: Value, show_grad: bool,
                grads: dict[Value, float] | None, params: set[Value], marked: set[Value],
                current: Value | None) -> None:
    fields = [_escape(v.label)] if v.label else []
    fields.append(f"data {format_number(v.data)}")
    if show_grad:
        grad = v.grad if grads is None else grads.get(v, 0.0)
        fields.append(f"grad {format_number(grad)}")
    if v in params:
        role = "parameter"
    elif v._fn is None:
        role = "input" if v.label else "constant"
    else:
        role = "intermediate"
    attrs = {"shape": "record", "style": "filled", **_STYLE[role]}
    if v is root:
        attrs.update(_ROOT)
    if v is current:
        attrs.update(_CURRENT)
    if v in marked:
        attrs.update(_HIGHLIGHT)
    g.node(node_id, "{ " + " | ".join(fields) + " }", **attrs)


def to_dot(root: Value, *, rankdir: str = "LR", show_grad: bool = True, max_nodes: int = 500,
           depth: int | None = None, group_by: Any = None, highlight: Any = None, step: int | None = None,
           parameters: Iterable[Value] | None = None) -> str:
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
            gradients as they stand then, the node of that step in yellow.
        parameters: Values to draw as parameters (green), e.g. ``model.parameters()``.

    Raises:
        TypeError, ValueError: a bad argument (the message names it).

    >>> from autograd_engine import Value
    >>> a = Value(2.0, "a")
    >>> print(to_dot(a * a).count("->"))
    3
    """
    return _build(root, rankdir=rankdir, show_grad=show_grad, max_nodes=max_nodes, depth=depth,
                  group_by=group_by, highlight=highlight, step=step, parameters=parameters).source


def _require_dot() -> None:
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(f"Graphviz's `dot` program was not found on PATH, so the graph cannot be "
                                    f"rendered. {_INSTALL_HINT}")


def draw_dot(root: Value, *, format: str = "svg", **options: Any) -> graphviz.Digraph:
    """The graph as a ``graphviz.Digraph``, ready to render (it displays itself in Jupyter).

    Takes the options of :func:`to_dot` and ``format`` ("svg", "png", "pdf") for rendering.

    Raises:
        GraphvizNotFoundError: the ``dot`` program is missing (the message says how to install it).

    >>> from autograd_engine import Value
    >>> svg = draw_dot(Value(1.0, "x").tanh()).pipe(format="svg")  # doctest: +SKIP
    """
    if format not in ("svg", "png", "pdf"):
        raise ValueError(f"format must be 'svg', 'png' or 'pdf', got {format!r}")
    _require_dot()
    return _build(root, fmt=format, **options)


def _render(root: Value, fmt: str, **options: Any) -> bytes:
    import graphviz

    try:
        return draw_dot(root, format=fmt, **options).pipe(format=fmt)
    except graphviz.ExecutableNotFound as exc:  # dot vanished between the check and the call
        raise GraphvizNotFoundError(f"Graphviz's `dot` program could not be run. {_INSTALL_HINT}") from exc


def save_graph(root: Value, path: str | os.PathLike[str], **options: Any) -> str:
    """Write the drawing to ``path``, as SVG, PNG, PDF or DOT source by its extension.

    The file is written to a temporary file in the same folder and then renamed, so a
    crash never leaves half a file. Takes the options of :func:`to_dot`.

    Returns:
        The path written.

    Raises:
        ValueError: the extension is not .svg, .png, .pdf or .dot.
        GraphvizNotFoundError: a rendered format was asked for and ``dot`` is missing.

    >>> import tempfile, os
    >>> from autograd_engine import Value
    >>> out = save_graph(Value(1.0) * 2, os.path.join(tempfile.mkdtemp(), "g.dot"))
    >>> open(out).read().startswith("digraph")
    True
    """
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in _FORMATS:
        raise ValueError(f"path must end in .svg, .png, .pdf or .dot, got {path!r}")
    fmt = _FORMATS[ext]
    return atomic_write(path, to_dot(root, **options).encode() if fmt == "dot" else _render(root, fmt, **options))


def _svg_or_text(root: Value, **options: Any) -> str:
    """An inline SVG of the drawing, or an HTML <pre> of the text when ``dot`` is missing."""
    try:
        return _render(root, "svg", **options).decode()
    except GraphvizNotFoundError:
        import html

        return f"<pre>{html.escape(repr(root))}\n(install Graphviz to see the graph)</pre>"


def show_backward(root: Value, *, max_static: int = 12, **options: Any) -> Any:
    """Step through backward in a notebook: a slider over the steps with ipywidgets, else a row of pictures.

    Each picture is ``draw_dot(root, step=k)``: the gradients as they stand after k steps
    of the sweep, the node just processed in yellow. Without ipywidgets installed,
    up to ``max_static`` evenly spaced steps are shown side by side. Takes the
    options of :func:`to_dot`.

    Returns:
        An ipywidgets widget or an ``IPython.display.HTML`` object; display it (a notebook
        shows the value of a cell's last expression).
    """
    from IPython.display import HTML

    if isinstance(max_static, bool) or not isinstance(max_static, int) or max_static < 1:
        raise ValueError(f"max_static must be an int >= 1, got {max_static!r}")
    n = len(topological_order(root))
    try:
        import ipywidgets as widgets
    except ImportError:
        widgets = None
    if widgets is not None:
        slider = widgets.IntSlider(value=0, min=0, max=n, description="step", continuous_update=False)
        picture = widgets.HTML(_svg_or_text(root, step=0, **options))

        def update(change: dict[str, Any]) -> None:
            picture.value = _svg_or_text(root, step=change["new"], **options)

        slider.observe(update, names="value")
        return widgets.VBox([slider, picture])
    steps = sorted({round(i * n / max(1, max_static - 1)) for i in range(max_static)}) if n + 1 > max_static \
        else list(range(n + 1))
    cells = "".join(f'<div style="display:inline-block;margin:4px;vertical-align:top">'
                    f"<div>step {k}</div>{_svg_or_text(root, step=k, **options)}</div>" for k in steps)
    return HTML(f'<div style="white-space:nowrap;overflow-x:auto">{cells}</div>')


def _repr_mimebundle(root: Value, include: Sequence[str] | None = None,
                     exclude: Sequence[str] | None = None) -> dict[str, str]:
    """Jupyter display of a Value: its graph as SVG when ``dot`` is there, else its repr. Never raises."""
    bundle = {"text/plain": repr(root)}
    try:
        _require_dot()
        bundle["image/svg+xml"] = _render(root, "svg", max_nodes=150).decode()
    except Exception:
        pass
    return bundle
