r"""Drawings of computation graphs: DOT source, Graphviz rendering, notebook display, backward step-through.

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

Labels are drawn as text, whatever they hold: a backslash shows as ``\\``, a newline
as ``\n``, a tab as ``\t`` and any other unprintable character as ``\xNN``/``\uNNNN``
(Python's escapes), so every label is visible, nothing in it changes the layout, and
``dot`` accepts every drawing. Spaces in a record field are written ``&#32;``, so runs of
them and leading or trailing ones are drawn as typed.

Only :func:`draw_dot`, :func:`save_graph` (for rendered formats) and the notebook
helpers need Graphviz's ``dot`` program; :func:`to_dot` is pure Python.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .backward import backward_steps, topological_order
from .files import as_path, atomic_write, writable_target
from .ops import param_of, parents_of
from .validation import as_bool, as_choice, as_int, as_real, describe, is_int
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
        if not v.is_leaf:
            n += 1
            if any(p not in visible for p in parents_of(v)):
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


def _step_state(root: Value, step: Any) -> tuple[dict[Value, float], Value | None]:
    """Gradients as they stand after ``step`` steps of the sweep, and the node of the last step."""
    step = as_int(step, "step", minimum=0)
    steps = list(backward_steps(root))
    if step > len(steps):
        raise ValueError(f"step must be between 0 and {len(steps)} (the number of nodes), got {step}")
    grads: dict[Value, float] = {root: 1.0}
    for s in steps[:step]:
        for p, d in s.contributions:
            grads[p] = grads.get(p, 0.0) + d
    return grads, steps[step - 1].node if step else None


def _check_options(rankdir: Any, show_grad: Any, max_nodes: Any, depth: Any) -> tuple[str, bool, int, int | None]:
    as_choice(rankdir, "rankdir", ("LR", "RL", "TB", "BT"))
    if depth is not None and not is_int(depth):
        raise TypeError(f"depth must be None or an int >= 0, got {describe(depth)}")
    if depth is not None and depth < 0:
        raise ValueError(f"depth must be None or an int >= 0, got {int(depth)}")
    return (rankdir, as_bool(show_grad, "show_grad"), as_int(max_nodes, "max_nodes", minimum=1),
            None if depth is None else int(depth))


def _build(root: Value, *, rankdir: str = "LR", show_grad: bool = True, max_nodes: int = 500,
           depth: int | None = None, group_by: Any = None, highlight: Any = None, step: int | None = None,
           parameters: Iterable[Value] | None = None, fmt: str = "svg") -> graphviz.Digraph:
    import graphviz

    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {describe(root)}")
    rankdir, show_grad, max_nodes, depth = _check_options(rankdir, show_grad, max_nodes, depth)
    marked = _nodes_of(highlight)
    params = _parameters(parameters)
    grads, current = _step_state(root, step) if step is not None else (None, None)
    scene = _select(root, max_nodes, depth, group_by)

    g = graphviz.Digraph("autograd", format=fmt, graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
                         node_attr={"fontname": "Helvetica", "fontsize": "11"},
                         edge_attr={"arrowsize": "0.6"})
    if step is not None:
        where = f"node {_name(current)}" if current is not None else "the seed: d root / d root = 1"
        scene.notes.insert(0, f"backward, step {step}: {where}")
    if scene.notes:
        g.attr(label=_label("\\n".join(_dot_text(note) for note in scene.notes)), labelloc="t", fontsize="12")

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
            _value_node(g, v, ids[v], root, show_grad, grads, params, marked, current)
        if v.is_leaf:
            continue
        head = target(v)
        if not grouped:
            head = f"o{ids[v][1:]}"
            g.node(head, _label(_dot_text(_op_label(v))), shape="ellipse", style="filled", fillcolor="#fafafa",
                   fontsize="10", width="0.3", height="0.3", margin="0.02")
            g.edge(head, ids[v])
        hidden = 0
        for p in parents_of(v):
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
    return f"'{v.label}'" if v.label else f"'{v.op}'" if v.op else "(leaf)"


def _value_node(g: graphviz.Digraph, v: Value, node_id: str, root: Value, show_grad: bool,
                grads: dict[Value, float] | None, params: set[Value], marked: set[Value],
                current: Value | None) -> None:
    fields = [_record_text(v.label)] if v.label else []
    fields.append(f"data {format_number(v.data)}")
    if show_grad:
        grad = v.grad if grads is None else grads.get(v, 0.0)
        fields.append(f"grad {format_number(grad)}")
    if v in params:
        role = "parameter"
    elif v.is_leaf:
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
    g.node(node_id, _label("{ " + " | ".join(fields) + " }"), **attrs)


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
    if not isinstance(format, str):
        raise TypeError(f"format must be 'svg', 'png' or 'pdf', got {describe(format)}")
    if format not in ("svg", "png", "pdf"):
        raise ValueError(f"format must be 'svg', 'png' or 'pdf', got {describe(format)}")
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
    crash never leaves half a file; a symbolic link is written through (the file it
    points to is replaced, the link stays) and a read-only file is refused. Takes the
    options of :func:`to_dot`.

    Returns:
        The path written.

    Raises:
        TypeError: ``path`` is not a str or ``os.PathLike`` of str.
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
    path = as_path(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in _FORMATS:
        raise ValueError(f"path must end in .svg, .png, .pdf or .dot, got {path!r}")
    fmt = _FORMATS[ext]
    writable_target(path, "save a drawing to")  # before rendering, which may take a while
    return atomic_write(path, to_dot(root, **options).encode() if fmt == "dot" else _render(root, fmt, **options),
                        what="save a drawing to")


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

    Raises:
        TypeError, ValueError: a bad argument (the message names it).
    """
    max_static = as_int(max_static, "max_static", minimum=1)
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {describe(root)}")
    if "step" in options:
        raise TypeError(f"show_backward() shows every step itself; it takes no step option, got {options['step']!r}")
    to_dot(root, step=0, **options)  # every option checked before the first picture
    from IPython.display import HTML

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


def mimebundle(root: Value, include: Sequence[str] | None = None,
               exclude: Sequence[str] | None = None) -> dict[str, str]:
    """Jupyter's display of a Value (``Value._repr_mimebundle_``): the graph as SVG when ``dot`` is there.

    Returns:
        ``{"text/plain": repr(root)}``, with ``"image/svg+xml"`` when it can be rendered. Never raises.
    """
    bundle = {"text/plain": repr(root)}
    try:
        _require_dot()
        bundle["image/svg+xml"] = _render(root, "svg", max_nodes=150).decode()
    except Exception:
        pass
    return bundle
