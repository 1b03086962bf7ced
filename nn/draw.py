"""Drawings of models a person can read: one box per layer, parameters named, inputs ``x0, x1, ...``.

``draw_dot(model(x))`` of micrograd's ``MLP(2, [16, 16, 1])`` draws every weight, product
and sum: thousands of pixels in each direction. :func:`draw_model` (``model.draw(x)``, or
``draw_dot(out, model=model)``) draws the same graph at the level of the model's parts:

* each child module (``layers.0``, ``layers.1`` ... of an MLP; ``0``, ``1`` ... of a
  ``Sequential``) is one box with its name, what it is, its parameter count and the norm of
  its parameters' gradients (``.grad``, so call ``backward()`` first to see them);
* an edge between boxes is labelled with the number of values that cross it;
* the inputs are ``x0, x1, ...`` (light blue), the outputs are drawn with their data and grad;
* ``expand=("layers.1",)`` opens a box: into its own parts (a Layer into its neurons), or, for
  a part without parts (a neuron), into its nodes, its parameters drawn by name
  (``layers.1.neurons.3.w.0``) and in green, as in every drawing of the engine.

Which box a node of the graph belongs to follows from the parameters it depends on: the
last part (in the model's order) whose parameters it uses computed it. A part without
parameters (an ``Activation`` in a ``Sequential``) gets its own box when the drawing runs
the model itself (``x`` given): a ``Sequential`` is then run one part at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from autograd_engine import Value, enable_grad, topological_order
from autograd_engine.ops import param_of, parents_of
from autograd_engine.validation import as_bool, as_choice, describe, is_real
from autograd_engine.viz import format_number

from .module import Module

if TYPE_CHECKING:
    import graphviz

__all__ = ["draw_model", "OPTIONS"]

#: The options ``draw_model`` (and ``Module.draw``) take besides ``x``, ``output`` and ``expand``.
OPTIONS = ("rankdir", "show_grad", "highlight", "format")

_INPUT = {"fillcolor": "#e3edfb"}
_PARAMETER = {"fillcolor": "#e2f3e5"}
_CONSTANT = {"fillcolor": "#f2f2f2", "fontcolor": "#555555"}
_ROOT = {"color": "#d35400", "penwidth": "2.5"}
_BOX = {"shape": "record", "style": "filled,rounded", "fillcolor": "#e2f3e5", "color": "#1e8449"}
_HIGHLIGHT = {"fillcolor": "#fbe3e0", "color": "#c0392b", "penwidth": "3"}


class _Part:
    """A module of the model as the drawing sees it: its dotted name, the module, its place in the model's order."""

    def __init__(self, name: str, module: Module, order: int, parameters: Sequence[Value]):
        self.name, self.module, self.order = name, module, order
        self.parameters = list(parameters)


def _parts(model: Module, names: dict[Value, str]) -> list[_Part]:
    """Every module inside ``model`` that owns parameters, named by the model's own parameter walk."""
    parts: dict[str, _Part] = {}
    for order, module in enumerate(model.modules()):
        if module is model:
            continue
        local = list(module.named_parameters())
        if not local:
            continue
        inner, p = local[0]
        full = names.get(p, "")
        if not full.endswith("." + inner):
            continue  # a parameter shared with an earlier part: named there
        name = full[:-len(inner) - 1]
        if name not in parts:
            parts[name] = _Part(name, module, order, [q for _, q in local])
    return list(parts.values())


def _children(name: str, parts: Iterable[_Part]) -> list[_Part]:
    """The parts directly inside the part ``name`` ("" for the model itself)."""
    inside = [p for p in parts if p.name != name and (not name or p.name.startswith(name + "."))]
    return [p for p in inside if not any(q is not p and p.name.startswith(q.name + ".") for q in inside)]


def _check_expand(expand: Any, parts: list[_Part], extra: Iterable[str], parameter_names: Iterable[str]) -> set[str]:
    """The parts to open: those named and every part holding one (``layers.1`` for ``layers.1.neurons.3``)."""
    if isinstance(expand, str):
        expand = (expand,)
    if not isinstance(expand, (tuple, list, set, frozenset)):
        raise TypeError(f"expand must be a tuple of part names such as ('layers.1',), got {describe(expand)}")
    known = list(dict.fromkeys([p.name for p in parts] + list(extra)))  # each part once
    opened = set()
    for name in expand:
        if not isinstance(name, str):
            raise TypeError(f"expand must hold part names (str), got {describe(name)}")
        if name not in known:
            if name in set(parameter_names):
                part = max((k for k in known if name.startswith(k + ".")), key=len, default="")
                raise ValueError(f"expand names {name!r}, a parameter, not a part: it is drawn by name when its part "
                                 f"is open, as with expand=({part!r},)")
            shown = ", ".join(known[:8]) + (f" ... ({len(known)} parts)" if len(known) > 8 else "")
            raise ValueError(f"expand names {name!r}, which is not a part of the model; its parts: {shown or 'none'}")
        pieces = name.split(".")
        opened.update(prefix for prefix in (".".join(pieces[:k]) for k in range(1, len(pieces) + 1))
                      if prefix in known)
    return opened


def _as_inputs(x: Any) -> tuple[list[Value], bool]:
    """``x`` as input leaves labelled ``x0, x1, ...`` (Values given keep their own), and whether it is a vector."""
    vector = not (isinstance(x, Value) or is_real(x))
    if vector:
        if isinstance(x, (str, bytes)) or not (isinstance(x, Sequence) or getattr(x, "ndim", None) == 1):
            raise TypeError(f"x must be a number, a Value or a vector of them (a list, tuple or 1-D array), "
                            f"got {describe(x)}")
        items = list(x)
    else:
        items = [x]
    inputs = []
    for i, item in enumerate(items):
        if isinstance(item, Value):
            inputs.append(item)
        elif is_real(item):
            inputs.append(Value(item, f"x{i}"))
        else:
            raise TypeError(f"x[{i}] must be a number or a Value, got {describe(item)}")
    return inputs, vector


def _as_outputs(result: Any, name: str) -> list[Value]:
    items = result if isinstance(result, (list, tuple)) else [result]
    if not items:
        raise ValueError(f"{name} must be a Value or a non-empty list of Values, got an empty {type(result).__name__}")
    for i, item in enumerate(items):
        if not isinstance(item, Value):
            where = f"{name}[{i}]" if isinstance(result, (list, tuple)) else name
            raise TypeError(f"{where} must be a Value, got {describe(item)}")
    return list(items)


def _highlighted(highlight: Any) -> set[Value]:
    if highlight is None:
        return set()
    items = highlight if isinstance(highlight, (list, tuple, set, frozenset)) else [highlight]
    found = set()
    for item in items:
        node = item if isinstance(item, Value) else getattr(item, "node", None)
        if not isinstance(node, Value):
            raise TypeError(f"highlight must be a Value, an error with a .node (AnomalyError, GradcheckError) or "
                            f"a list of them, got {describe(item)}")
        found.add(node)
    return found


def _run_in_stages(model: Module, x: Any) -> tuple[Any, list[tuple[str, Module, Any]]]:
    """``model(x)``; for a ``Sequential``, one part at a time, with each part's output."""
    from .containers import Sequential

    if not isinstance(model, Sequential):
        return model(x), []
    stages = []
    for i, module in enumerate(model):
        x = module(x)
        stages.append((str(i), module, x))
    return x, stages


def _title(model: Module) -> str:
    """The model in one line: its repr, or its type and size when the repr spans lines (a container)."""
    text = repr(model)
    return text if "\n" not in text else f"{type(model).__name__}, {model.num_parameters():,} parameters"


def _text(s: str) -> str:
    """``s`` as one field of a DOT record label."""
    out = []
    for ch in s:
        out.append("\\" + ch if ch in '{}|<>"\\' else ch if ch.isprintable() else repr(ch)[1:-1])
    return "".join(out)


def _grad(v: Value) -> float:
    g = v.grad
    return float(g.data if isinstance(g, Value) else g)


def draw_model(model: Module, x: Any = None, *, output: Any = None, expand: Any = (), rankdir: str = "LR",
               show_grad: bool = True, highlight: Any = None, format: str = "svg") -> graphviz.Digraph:
    """The graph of ``model(x)`` (or of ``output``), one box per part of the model: see the module docstring.

    Args:
        model: the model.
        x: an input (a number, a Value, or a vector of them): the drawing runs ``model(x)``,
            with numbers as inputs labelled ``x0, x1, ...``.
        output: instead of ``x``, a Value (or a list of Values) computed by the model, a loss for
            example. Ops after the model (a loss) then count as part of the last box.
        expand: part names to open, e.g. ``("layers.1",)`` or ``("layers.1.neurons.3",)`` (which opens
            ``layers.1`` too). A parameter's name is refused: it is drawn when its part is open.
        rankdir: layout direction, "LR" (default), "RL", "TB" or "BT".
        show_grad: show gradients (on values and, as norms, on boxes).
        highlight: Values (or errors with a ``node``) to draw in red; a box holding one is red.
        format: what ``.pipe()``/``.render()`` produce: "svg", "png" or "pdf".

    Returns:
        A ``graphviz.Digraph`` (it displays itself in Jupyter).

    Raises:
        TypeError, ValueError: a bad argument (the message names it), or both or neither of
            ``x`` and ``output``, an ``output`` that uses none of the model's parameters; errors
            of ``model(x)`` itself.

    >>> from nn import MLP
    >>> dot = draw_model(MLP(2, [16, 16, 1], seed=0), [1.0, -1.0])
    >>> "layers.1 | Layer(16 -\\\\> 16, relu)" in dot.source
    True
    """
    import graphviz

    if not isinstance(model, Module):
        raise TypeError(f"model must be an nn.Module, got {describe(model)}")
    if (x is None) == (output is None):
        raise ValueError("give x (the drawing runs model(x)) or output (a Value the model computed), not "
                         + ("both" if x is not None else "neither"))
    as_choice(rankdir, "rankdir", ("LR", "RL", "TB", "BT"))
    show_grad = as_bool(show_grad, "show_grad")
    as_choice(format, "format", ("svg", "png", "pdf"))
    marked = _highlighted(highlight)
    names = {p: name for name, p in model.named_parameters()}
    parts = _parts(model, names)

    inputs: list[Value] = []
    stages: list[tuple[str, Module, Any]] = []
    if x is not None:
        inputs, vector = _as_inputs(x)
        with enable_grad():
            result, stages = _run_in_stages(model, inputs if vector else inputs[0])
        outputs = _as_outputs(result, "the model's output")
    else:
        outputs = _as_outputs(output, "output")
    stage_names = [name for name, _, _ in stages]
    opened = _check_expand(expand, parts, stage_names, names.values())

    order: list[Value] = []
    seen: set[Value] = set()
    for out in outputs:
        for v in topological_order(out):
            if v not in seen:
                seen.add(v)
                order.append(v)
    if output is not None and names and not any(v in names for v in order):
        raise ValueError(f"output does not depend on any parameter of the model ({_title(model)}): draw it "
                         f"with draw_dot(output)")

    # -- which box each node is drawn in ------------------------------------------------------------------------
    boxes: list[_Part] = []
    raw_parts: list[_Part] = []

    def open_part(part_name: str) -> None:
        kids = _children(part_name, parts)
        for kid in kids:
            if kid.name in opened:
                if _children(kid.name, parts):
                    open_part(kid.name)
                else:
                    raw_parts.append(kid)
            else:
                boxes.append(kid)

    open_part("")
    key_of: dict[Value, tuple[int, _Part | None]] = {}  # node -> (order of its part, the box or None: drawn raw)
    for part in boxes:
        for p in part.parameters:
            key_of[p] = (part.order, part)
    for part in raw_parts:
        for p in part.parameters:
            key_of.setdefault(p, (part.order, None))
    stage_of: dict[Value, int] = {}
    if stages:  # a Sequential run part by part: a node belongs to the first part whose output it feeds
        for k, (_, _, stage_out) in enumerate(stages):
            for out in (stage_out if isinstance(stage_out, list) else [stage_out]):
                if isinstance(out, Value):
                    for v in topological_order(out):
                        stage_of.setdefault(v, k)
    stage_boxes = {k: next((p for p in boxes if p.name == name), None) or _Part(name, module, -1, [])
                   for k, (name, module, _) in enumerate(stages) if name not in opened}
    box_of: dict[Value, _Part] = {}
    for v in order:
        if v in names or v._fn is None:
            if v in key_of and key_of[v][1] is not None:
                box_of[v] = key_of[v][1]
            continue
        keys = [key_of[p] for p in parents_of(v) if p in key_of]
        if keys:
            key_of[v] = max(keys, key=lambda k: k[0])
            if key_of[v][1] is not None:
                box_of[v] = key_of[v][1]
        if stage_of.get(v) in stage_boxes:  # run part by part: the part that computed it is known exactly
            box_of[v] = stage_boxes[stage_of[v]]
    for out in outputs:
        box_of.pop(out, None)  # the outputs are drawn as values, with their data and grad

    # the leaves that are neither parameters nor inputs are constants of the part that uses them
    consumers: dict[Value, list[Value]] = {}
    for v in order:
        for p in parents_of(v):
            consumers.setdefault(p, []).append(v)
    if not inputs:  # drawn from an output: leaves met by the first part's parameters, or used outside parts
        first = min((part.order for part in boxes), default=-1)

        def takes_input(c: Value) -> bool:
            part = box_of.get(c)
            return part is None or (part.order == first and any(p in names for p in parents_of(c)))

        inputs = [v for v in order if v._fn is None and v not in names and any(map(takes_input, consumers[v]))]
    for v in order:
        if v._fn is None and v not in names and v not in inputs:
            owners = {id(box_of.get(c)): box_of.get(c) for c in consumers.get(v, [])}
            if len(owners) == 1 and None not in owners.values():
                box_of[v] = next(iter(owners.values()))

    # -- the drawing --------------------------------------------------------------------------------------------
    title = _title(model)
    g = graphviz.Digraph("model", format=format, graph_attr={"rankdir": rankdir, "fontname": "Helvetica",
                                                              "label": _text(title), "labelloc": "t"},
                         node_attr={"fontname": "Helvetica", "fontsize": "11"}, edge_attr={"arrowsize": "0.6"})
    places: dict[Value, list[str]] = {}  # a Value given as two inputs is named by both places: "x0, x1"
    for i, v in enumerate(inputs):
        places.setdefault(v, []).append(f"x{i}")
    input_names = {v: v.label or ", ".join(where) for v, where in places.items()}
    output_names = {v: "out" if len(outputs) == 1 else f"out{i}" for i, v in enumerate(outputs)}
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    box_ids: dict[_Part, str] = {}
    for v in order:
        part = box_of.get(v)
        if part is not None and part not in box_ids:
            box_ids[part] = f"b{len(box_ids)}"
    for part, box_id in box_ids.items():
        what = repr(part.module)
        fields = [_text(part.name), _text(what if "\n" not in what else type(part.module).__name__)]
        if part.parameters or part.module.parameters():
            params = part.module.parameters()
            fields.append(f"{len(params):,} parameters")
            if show_grad:
                norm = math.sqrt(math.fsum(_grad(p) ** 2 for p in params))
                fields.append(f"grad norm {format_number(norm)}")
        attrs = dict(_BOX)
        if any(box_of.get(v) is part for v in marked):
            attrs.update(_HIGHLIGHT)
        # a record's fields run across the rank direction: one above the other when the graph runs left to right
        across = rankdir in ("LR", "RL")
        g.node(box_id, " | ".join(fields) if across else "{ " + " | ".join(fields) + " }", **attrs)

    def source(v: Value) -> str:
        part = box_of.get(v)
        return box_ids[part] if part is not None else ids[v]

    crossing: dict[tuple[str, str], set[Value]] = {}
    for v in order:
        if v in box_of:
            continue
        fields = []
        label = names.get(v) or input_names.get(v) or v.label or output_names.get(v)
        if label:
            fields.append(_text(label))
        fields.append(f"data {format_number(v.data)}")
        if show_grad:
            fields.append(f"grad {format_number(_grad(v))}")
        if v in names:
            attrs = dict(_PARAMETER)
        elif v._fn is None:
            attrs = dict(_INPUT if v in input_names else _CONSTANT)
        else:
            attrs = {"fillcolor": "white"}
        if v in outputs:
            attrs.update(_ROOT)
        if v in marked:
            attrs.update(_HIGHLIGHT)
        g.node(ids[v], "{ " + " | ".join(fields) + " }", shape="record", style="filled", **attrs)
    for v in order:
        if v._fn is None:
            continue
        if v in box_of:
            head = box_ids[box_of[v]]
        else:
            head = f"o{ids[v][1:]}"
            c = param_of(v)
            g.node(head, _text(v.op if c is None else f"{v.op}{c:g}"), shape="ellipse", style="filled",
                   fillcolor="#fafafa", fontsize="10", width="0.3", height="0.3", margin="0.02")
            g.edge(head, ids[v])
        for p in parents_of(v):
            tail = source(p)
            if tail != head:
                crossing.setdefault((tail, head), set()).add(p)
    for (tail, head), values in crossing.items():
        if len(values) > 1:
            # a head label takes no rank of its own, so parts side by side stay side by side
            g.edge(tail, head, headlabel=f"{len(values)}", labeldistance="1.8", fontsize="9", fontcolor="#555555")
        else:
            g.edge(tail, head)
    return g
