"""Graph drawings: DOT parsed back, SVG rendered by the real dot and parsed as XML, step-through, big graphs."""

import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_engine as ae
from autograd_engine import (
    GradcheckError,
    GraphvizNotFoundError,
    Value,
    backward_steps,
    detect_anomaly,
    draw_dot,
    gradcheck,
    primitive,
    save_graph,
    show_backward,
    to_dot,
    topological_order,
    vsum,
)
from autograd_engine.viz import format_number

needs_dot = pytest.mark.skipif(not shutil.which("dot"), reason="Graphviz's dot is not installed")

NODE = re.compile(r"^\t(\w+) \[(.*)\]$", re.M)
EDGE = re.compile(r"^\t(\w+) -> (\w+)", re.M)
SVG = "{http://www.w3.org/2000/svg}"


def parse(src):
    """(node id -> attribute text, list of edges) of DOT source from to_dot."""
    nodes = {name: attrs for name, attrs in NODE.findall(src) if name not in ("graph", "node", "edge")}
    return nodes, EDGE.findall(src)


def label(attrs):
    return re.search(r'label="((?:[^"\\]|\\.)*)"', attrs).group(1) if 'label="' in attrs else \
        re.search(r"label=(\S+)", attrs).group(1)


def neuron():
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2, b = Value(-3.0, "w1"), Value(1.0, "w2"), Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def test_values_and_ops_are_separate_nodes_with_data_and_grad():
    o = neuron()
    nodes, edges = parse(to_dot(o))
    values = [n for n in nodes if n.startswith("v")]
    ops = [n for n in nodes if n.startswith("o")]
    graph = topological_order(o)
    assert len(values) == len(graph) == 10
    assert len(ops) == sum(1 for v in graph if not v.is_leaf) == 5
    assert len(edges) == sum(len(v.parents) + 1 for v in graph if not v.is_leaf) == 14
    labels = {label(nodes[n]) for n in values}
    assert "{ x1 | data 2.0000 | grad -1.5000 }" in labels
    assert "{ o | data 0.7071 | grad 1.0000 }" in labels
    assert sorted(label(nodes[n]) for n in ops) == ["*", "*", "+", "+", "tanh"]


def test_repeated_parent_draws_parallel_edges():
    a = Value(3.0, "a")
    nodes, edges = parse(to_dot(a * a))
    assert len(nodes) == 3
    assert edges.count(("v0", "o1")) == 2 and ("o1", "v1") in edges


def test_diamond_draws_the_shared_node_once():
    x = Value(1.0, "x")
    y = (x * 2) + (x * 3)
    nodes, edges = parse(to_dot(y))
    xs = [n for n, attrs in nodes.items() if label(attrs).startswith("{ x |")]
    assert len(xs) == 1
    assert sum(1 for tail, _ in edges if tail == xs[0]) == 2


def test_nary_nodes_stay_one_node():
    xs = [Value(float(i)) for i in range(50)]
    s = vsum(xs) + ae.dot(xs[:3], xs[3:6])
    nodes, edges = parse(to_dot(s))
    op_labels = sorted(label(a) for n, a in nodes.items() if n.startswith("o"))
    assert op_labels == ["+", "dot", "sum"]
    assert len(edges) == 50 + 6 + 2 + 3  # sum's inputs, dot's inputs, +'s inputs, op -> value


def test_param_ops_show_their_constant():
    x = Value(2.0)
    nodes, _ = parse(to_dot(x**2 + x.leaky_relu(0.1)))
    assert {label(a) for n, a in nodes.items() if n.startswith("o")} == {"**2", "leaky_relu(0.1)", "+"}


def test_roles_are_visually_distinct():
    w, x = Value(0.5, "w"), Value(2.0, "x")
    y = w * x + 1
    nodes, _ = parse(to_dot(y, parameters=[w]))
    by_label = {label(a).split(" |")[0].strip("{ "): a for n, a in nodes.items() if n.startswith("v")}
    assert 'fillcolor="#e2f3e5"' in by_label["w"]  # parameter
    assert 'fillcolor="#e3edfb"' in by_label["x"]  # labelled leaf
    constant = next(a for a in by_label.values() if "data 1.0000" in a)
    assert 'fillcolor="#f2f2f2"' in constant
    root = next(a for a in by_label.values() if "data 2.0000 | grad 0.0000" in a and "penwidth" in a)
    assert 'color="#d35400"' in root


def test_labels_are_escaped():
    v = Value(1.0, "a{b|c}<d>")
    nodes, _ = parse(to_dot(v))
    assert label(nodes["v0"]).startswith(r"{ a\{b\|c\}\<d\> | data")


@pytest.mark.parametrize("text, dot_label", [
    ("a\nb", r"a\\nb"),  # a newline is drawn as the two characters \n, not as a line break
    ("a\tb\rc", r"a\\tb\\rc"),
    ("nul\x00", r"nul\\x00"),
    ("bell\x07 del\x7f", r"bell\\x07&#32;del\\x7f"),
    ("nbsp\xa0zwsp\u200b", r"nbsp\\xa0zwsp\\u200b"),
    ("back\\slash", r"back\\\\slash"),  # a backslash is drawn as \\ (Python's escape), so \n stays unambiguous
    ('say "hi"', r"say&#32;\"hi\""),
    ("a  b", "a&#32;&#32;b"),  # runs of spaces kept, and spaces at either end: &#32; is not trimmed
    (" a ", "&#32;a&#32;"),
    ("&lt;", "&amp;lt;"),  # entities drawn literally
    ("é漢😀", "é漢😀"),
    ("\ud800", r"\\ud800"),  # a lone surrogate cannot even be written as UTF-8
])
def test_label_characters_are_visible_escapes(text, dot_label):
    src = to_dot(Value(1.0, text))
    nodes, _ = parse(src)
    assert label(nodes["v0"]) == "{ " + dot_label + " | data 1.0000 | grad 0.0000 }"
    assert src.encode("utf-8").count(b"\n") == src.count("\n") == 6  # no line break from the label


def test_op_names_and_captions_are_escaped_too():
    y = Value(1.0) * 2
    y.label = 'y"\n\\'
    src = to_dot(y, step=1)
    assert "label=\"step 1 of 3: y\\\"\\\\n\\\\\\\\ is the root" in src
    nodes, _ = parse(to_dot(Value(2.0) ** 1e300))
    assert {label(a) for n, a in nodes.items() if n.startswith("o")} == {"**1e+300"}


def test_number_format():
    assert [format_number(x) for x in (0.0, 1.5, -123.456789, 1e-7, 2.5e8, float("inf"), float("-inf"))] == \
        ["0.0000", "1.5000", "-123.4568", "1.000e-07", "2.500e+08", "inf", "-inf"]


# -- big graphs ----------------------------------------------------------------------------------------------

def chain(n):
    y = Value(0.5, "x")
    for _ in range(n):
        y = (y * 0.999 + 0.001).tanh()
    return y


def test_big_graph_is_cut_by_depth_within_max_nodes():
    y = chain(2100)  # 5 values a step (*, 0.999, +, 0.001, tanh): over 10,000
    total = len(topological_order(y))
    assert total > 10_000
    src = to_dot(y, max_nodes=300)
    nodes, edges = parse(src)
    assert 250 <= len(nodes) <= 300
    assert "hidden (raise max_nodes" in src and f"of {total:,} values" in src
    assert any("+" in label(a) and "hidden" in label(a) for a in nodes.values())
    assert all(t in nodes and h in nodes for t, h in edges)


def test_explicit_depth():
    y = chain(50)
    nodes, _ = parse(to_dot(y, depth=2))
    # depth 0: root (tanh); 1: the + node; 2: the * node and the constant 0.001
    values = [a for n, a in nodes.items() if n.startswith("v")]
    assert len(values) == 4
    assert to_dot(y, depth=0).count("hidden") == 1 + 1  # the marker and the caption


def test_group_by_prefix_collapses_into_one_box():
    ws = [Value(0.1 * i, f"layer1.w{i}") for i in range(20)]
    xs = [Value(1.0, f"x{i}") for i in range(20)]
    y = vsum(w * x for w, x in zip(ws, xs))
    nodes, edges = parse(to_dot(y, group_by="layer1."))
    boxes = [a for n, a in nodes.items() if n.startswith("g")]
    assert len(boxes) == 1 and label(boxes[0]) == r"layer1.* | 20 values"
    assert not any(label(a).startswith("{ layer1.") for a in nodes.values())
    group_id = next(n for n in nodes if n.startswith("g"))
    assert sum(1 for t, _ in edges if t == group_id) == 20  # to each * op
    by_callable = parse(to_dot(y, group_by=lambda v: "inputs" if v.label.startswith("x") else None))[0]
    assert sum(1 for n in by_callable if n.startswith("g")) == 1


@pytest.mark.parametrize("kwargs, exc, pattern", [
    ({"max_nodes": 0}, ValueError, "max_nodes must be an int >= 1, got 0"),
    ({"depth": -1}, ValueError, "depth must be None or an int >= 0"),
    ({"rankdir": "XY"}, ValueError, "rankdir must be one of"),
    ({"group_by": 3}, TypeError, "group_by must be"),
    ({"highlight": 3}, TypeError, "highlight must be"),
    ({"step": 99}, ValueError, "step must be between 0 and 3"),
])
def test_bad_options(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        to_dot(Value(1.0) * 2, **kwargs)
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        to_dot(1.0)


@pytest.mark.parametrize("kwargs, exc, message", [
    ({"highlight": "abc"}, TypeError, "highlight must be a Value, an error with .node (GradcheckError, "
                                      "AnomalyError), or a list of them, got str 'abc'"),
    ({"highlight": ["abc"]}, TypeError, "highlight must be a Value, an error with .node"),
    ({"highlight": [[[]]]}, TypeError, "got list [[]]"),
    ({"depth": "2"}, TypeError, "depth must be None or an int >= 0, got str '2'"),
    ({"depth": 2.0}, TypeError, "depth must be None or an int >= 0, got float 2.0"),
    ({"depth": True}, TypeError, "depth must be None or an int >= 0, got bool True"),
    ({"max_nodes": True}, TypeError, "max_nodes must be an int, got bool True"),
    ({"max_nodes": "5"}, TypeError, "max_nodes must be an int, got str '5'"),
    ({"rankdir": None}, TypeError, "rankdir must be one of LR, RL, TB, BT, got NoneType None"),
    ({"rankdir": "lr"}, ValueError, "rankdir must be one of LR, RL, TB, BT, got str 'lr'"),
    ({"show_grad": "no"}, TypeError, "show_grad must be a bool (True or False), got str 'no'"),
    ({"step": -1}, ValueError, "step must be an int >= 0, got -1"),
    ({"step": 1.0}, TypeError, "step must be an int, got float 1.0"),
    ({"parameters": 3}, TypeError, "parameters must be an iterable of Values"),
    ({"parameters": [1.0]}, TypeError, "parameters must hold only Values, got float 1.0 among them"),
    ({"group_by": ""}, TypeError, "group_by must be a non-empty label prefix"),
    ({"group_by": [""]}, TypeError, "group_by must be a non-empty label prefix"),
    ({"group_by": lambda v: 1}, TypeError, "group_by must return a str or None for each node, got int 1"),
])
def test_bad_options_name_the_argument_and_the_value(kwargs, exc, message):
    with pytest.raises(exc) as info:
        to_dot(Value(1.0) * 2, **kwargs)
    assert message in str(info.value)


def test_numpy_ints_are_accepted_as_options():
    y = chain(3)
    assert to_dot(y, depth=np.int64(1), max_nodes=np.int32(50), step=np.int64(2)) == to_dot(y, depth=1, max_nodes=50,
                                                                                           step=2)


def test_draw_and_save_refuse_bad_formats_and_paths(tmp_path):
    with pytest.raises(ValueError, match="format must be 'svg', 'png' or 'pdf', got str 'gif'"):
        draw_dot(Value(1.0), format="gif")
    with pytest.raises(TypeError, match="format must be 'svg', 'png' or 'pdf', got NoneType None"):
        draw_dot(Value(1.0), format=None)
    with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike, got int 3"):
        save_graph(Value(1.0), 3)
    with pytest.raises(OSError):
        save_graph(Value(1.0), tmp_path / "missing" / "g.dot")
    assert not (tmp_path / "missing").exists()


# -- highlighting and step-through ---------------------------------------------------------------------------

def test_highlight_a_failing_gradcheck_node(fresh_ops):
    bad = primitive(ae.sin, lambda g, x, out: g * ae.sin(x), name="bad_sin_viz")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: bad(x * 2), [0.5])
    err = info.value
    root = err.outputs[err.output_index]
    assert err.node in topological_order(root)
    nodes, _ = parse(to_dot(root, highlight=err))
    marked = [a for a in nodes.values() if 'fillcolor="#fbe3e0"' in a]
    assert len(marked) == 1 and "data 0.8415" in label(marked[0])  # sin(1.0)


def test_highlight_an_anomaly():
    x = Value(-1.0, "x")
    with pytest.raises(ae.AnomalyError) as info, detect_anomaly():
        x.sqrt()
    assert info.value.node.op == "sqrt"
    nodes, _ = parse(to_dot(info.value.node, highlight=[info.value]))
    assert sum('#fbe3e0' in a for a in nodes.values()) == 1


def test_backward_steps_replay_exactly_what_backward_computes():
    o = neuron()
    replay = {o: 1.0}
    for step in backward_steps(o):
        assert step.grad == replay.get(step.node, 0.0)
        for p, d in step.contributions:
            replay[p] = replay.get(p, 0.0) + d
    assert all(v.grad == replay[v] for v in topological_order(o))
    order = [s.node for s in backward_steps(o)]
    assert order == list(reversed(topological_order(o)))


def test_step_drawing_shows_gradients_as_they_stand():
    o = neuron()
    n = len(topological_order(o))
    first = parse(to_dot(o, step=0))[0]
    assert sum("grad 0.0000" in label(a) for k, a in first.items() if k.startswith("v")) == n - 1
    last = to_dot(o, step=n)
    assert parse(last)[0] == parse(to_dot(o, step=n))[0]
    assert {label(a) for k, a in parse(last)[0].items() if k.startswith("v")} == \
        {label(a) for k, a in parse(to_dot(o))[0].items() if k.startswith("v")}
    mid = to_dot(o, step=2)
    current = [a for a in parse(mid)[0].values() if "#fff1b8" in a]
    assert len(current) == 1 and 'label="step 2 of 10: ' in mid and " has its complete grad 0.5. + → " in mid


# -- rendering with the real dot ------------------------------------------------------------------------------


@needs_dot
def test_svg_rendered_by_dot_has_every_node_and_label():
    o = neuron()
    svg = draw_dot(o).pipe(format="svg")
    tree = ET.fromstring(svg)
    groups = [g for g in tree.iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(groups) == 15  # 10 values + 5 ops
    texts = [t.text for t in tree.iter(f"{SVG}text")]
    for expected in ["x1", "w1", "b", "o", "tanh", "data 0.7071", "grad 1.0000", "grad -1.5000", "data 6.8814"]:
        assert expected in texts


@needs_dot
def test_save_graph_formats_and_atomicity(tmp_path, monkeypatch):
    o = neuron()
    for ext, magic in [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF"), (".dot", b"digraph")]:
        path = save_graph(o, tmp_path / f"g{ext}")
        with open(path, "rb") as f:
            assert f.read().startswith(magic)
    with pytest.raises(ValueError, match=r"must end in .svg, .png, .pdf or .dot, got '.*g.gif'"):
        save_graph(o, tmp_path / "g.gif")
    before = (tmp_path / "g.svg").read_bytes()

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        save_graph(Value(5.0) * 2, tmp_path / "g.svg")
    assert (tmp_path / "g.svg").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.pdf", "g.png", "g.svg"]
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "g.png").stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600


def test_missing_dot_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot
    o = neuron()
    drawing = draw_dot(o)  # the Digraph is there; rendering it needs dot
    with pytest.raises(GraphvizNotFoundError) as info:
        drawing.pipe(format="png")
    message = str(info.value)
    assert "`dot` program was not found" in message and "apt install graphviz" in message
    assert "brew install graphviz" in message and "to_dot(root)" in message
    with pytest.raises(GraphvizNotFoundError):
        save_graph(o, tmp_path / "g.svg")
    assert to_dot(o).startswith("digraph")  # works without it
    bundle = o._repr_mimebundle_()  # the browser lays the graph out instead
    assert set(bundle) == {"text/plain", "text/html"} and bundle["text/plain"] == repr(o)
    assert bundle["text/html"].startswith("<iframe srcdoc=") and "var aeGraphviz =" in bundle["text/html"]


@needs_dot
def test_notebook_display_is_svg():
    bundle = neuron()._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml") and bundle["text/plain"].startswith("Value(")


@needs_dot
def test_a_2_16_16_1_mlp_graph_is_drawn_within_max_nodes():
    import random

    rng = random.Random(0)
    x = [Value(0.5), Value(-1.0)]
    for nout in (16, 16, 1):
        x = [sum((Value(rng.uniform(-1, 1)) * xi for xi in x), Value(0.0)).relu() for _ in range(nout)]
    out = x[0]
    out.backward()
    total = len(topological_order(out))
    src = to_dot(out)
    nodes, edges = parse(src)
    assert total > 500 and len(nodes) <= 500  # cut by depth, and the caption says so
    assert f"of {total:,} values" in src
    assert all(t in nodes and h in nodes for t, h in edges)
    svg = ET.fromstring(draw_dot(out).pipe(format="svg"))
    assert sum(1 for g in svg.iter(f"{SVG}g") if g.get("class") == "node") == len(nodes)


# -- every label text reaches dot intact ---------------------------------------------------------------------

def svg_texts(src):
    """The texts of each node of the drawing ``dot`` makes of ``src`` (dot must accept it without a word)."""
    r = subprocess.run(["dot", "-Tsvg"], input=src.encode("utf-8"), capture_output=True, timeout=60)
    assert (r.returncode, r.stderr) == (0, b"")
    texts = {}
    for g in ET.fromstring(r.stdout).iter(f"{SVG}g"):
        if g.get("class") in ("node", "graph"):
            title = g.find(f"{SVG}title").text
            # dot writes the second of two spaces as a no-break space; labels' own are escaped
            texts[title] = [(t.text or "").replace("\xa0", " ") for t in g.iter(f"{SVG}text")]
    return texts


@needs_dot
@settings(max_examples=60)
@given(st.text(), st.text(min_size=1), st.text(min_size=1))
def test_dot_parses_every_label_and_draws_it_as_visible_text(value_label, root_label, group_key):
    from autograd_engine.viz.dot import _visible
    from autograd_engine.viz.sweep import who

    a, b = Value(1.0, value_label), Value(2.0, "b")
    y = a * b + b
    y.label = root_label
    src = to_dot(y, step=1, group_by=lambda v: group_key if v is b else None)
    texts = svg_texts(src)
    assert len(texts) - 1 == len(parse(src)[0])  # the graph itself, and one group per DOT node
    assert texts["autograd"][0].startswith(f"step 1 of 4: {_visible(who(y))} is the root, grad 1 (the seed). ")
    assert texts["v3"][:2] == [_visible(root_label), "data 4.0000"]
    assert texts["g0"] == [_visible(group_key) + "*", "1 values"]
    assert texts["v0"][0] == (_visible(value_label) if value_label else "data 1.0000")


@pytest.mark.parametrize("text", ["a\nb", "nul\x00", "tab\tand\rreturn", "\x1b[31mred", "\\N \\G {|}<>",
                                  '"quoted"', "&amp; &#32;", "  é 漢  ", "\u2028\ufeff"])
@needs_dot
def test_dot_draws_awkward_labels_as_their_visible_escapes(text):
    from autograd_engine.viz.dot import _visible

    y = Value(1.0, text) * 2
    y.label = text
    texts = svg_texts(to_dot(y, step=1))
    assert texts["v0"][0] == texts["v2"][0] == _visible(text)
    assert "\n" not in _visible(text) and "\x00" not in _visible(text)


def test_save_graph_writes_through_a_link_and_refuses_what_it_must_not_replace(tmp_path):
    target = tmp_path / "real.dot"
    target.write_text("old")
    link = tmp_path / "link.dot"
    link.symlink_to(target)
    assert save_graph(Value(1.0, "x") * 2, link) == str(link)
    assert link.is_symlink() and target.read_text().startswith("digraph")

    target.chmod(0o444)
    with pytest.raises(PermissionError, match=r"cannot save a drawing to .*link\.dot.* \(a link to .*real\.dot'\): "
                                              r"the file is read-only"):
        save_graph(Value(1.0), link)
    assert target.read_text().startswith("digraph") and link.is_symlink()
    with pytest.raises(FileNotFoundError, match=r"cannot save a drawing to .*: the folder .*missing' does not exist"):
        save_graph(Value(1.0), tmp_path / "missing" / "g.dot")
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        save_graph(Value(1.0), tmp_path / "folder.dot" if (tmp_path / "folder.dot").mkdir() is None else None)
    with pytest.raises(ValueError, match="path must be a non-empty file name, got str ''"):
        save_graph(Value(1.0), "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.dot", "link.dot", "real.dot"]  # no temporary left


_v = Value(1.0) * 2

#: What the options of the functions here are, as their errors list them.
_TAKES = r"rankdir, show_grad, max_nodes, depth, group_by, highlight, step, parameters, edge_labels and grads$"

ERROR_CASES = [
    ("to_dot-root-None", lambda: to_dot(None), TypeError, r"root must be a Value, got NoneType None"),
    ("to_dot-rankdir-XX", lambda: to_dot(_v, rankdir="XX"), ValueError,
     r"rankdir must be one of LR, RL, TB, BT, got str 'XX'"),
    ("to_dot-show_grad-a-str", lambda: to_dot(_v, show_grad="yes"), TypeError,
     r"show_grad must be a bool \(True or False\), got str 'yes'"),
    ("to_dot-max_nodes-zero", lambda: to_dot(_v, max_nodes=0), ValueError, r"max_nodes must be an int >= 1, got 0"),
    ("to_dot-max_nodes-bool", lambda: to_dot(_v, max_nodes=True), TypeError,
     r"max_nodes must be an int, got bool True"),
    ("to_dot-step-negative", lambda: to_dot(_v, step=-1), ValueError, r"step must be an int >= 0, got -1"),
    ("to_dot-highlight-a-str", lambda: to_dot(_v, highlight="abc"), TypeError, r"highlight must be .*got str 'abc'"),
    ("to_dot-group_by-an-int", lambda: to_dot(_v, group_by=3), TypeError, r"group_by must be .*got int 3"),
    ("draw_dot-root-a-list", lambda: draw_dot([_v]), TypeError, r"root must be a Value, got list"),
    ("draw_dot-depth-nan", lambda: draw_dot(_v, depth=float("nan")), TypeError,
     r"depth must be None or an int >= 0, got float nan"),
    ("save_graph-extension-txt", lambda: save_graph(_v, "graph.txt"), ValueError,
     r"path must end in .svg, .png, .pdf or .dot, got 'graph.txt'"),
    ("save_graph-path-an-int", lambda: save_graph(_v, 3), TypeError, r"path must be a str or os.PathLike, got int 3"),
    ("save_graph-path-empty", lambda: save_graph(_v, ""), ValueError, r"path must be a non-empty file name"),
    ("show_backward-root-None", lambda: show_backward(None), TypeError, r"root must be a Value, got NoneType None"),
    ("show_backward-step-given", lambda: show_backward(_v, step=1), TypeError, r"takes no step option, got step=1"),
    ("show_backward-rankdir-bad", lambda: show_backward(_v, rankdir=1), TypeError, r"rankdir must be .*got int 1"),
    ("to_dot-edge_labels-a-str", lambda: to_dot(_v, edge_labels="yes"), TypeError,
     r"edge_labels must be a bool \(True or False\), got str 'yes'"),
    ("draw_dot-model-without-draw", lambda: draw_dot(_v, model=object()), TypeError,
     r"model must have a draw\(output=\.\.\., \*\*options\) method \(an nn.Module\), got object"),
    ("draw_dot-model-a-str", lambda: draw_dot(_v, model="mlp"), TypeError, r"model must have a draw.*got str 'mlp'"),
    ("to_dot-grads-a-list", lambda: to_dot(_v, grads=[1.0]), TypeError,
     r"grads must be a mapping of Values to numbers \(such as \{x: 0.5\}\), got list"),
    ("to_dot-grads-a-str-key", lambda: to_dot(_v, grads={"x": 1.0}), TypeError,
     r"grads must map Values to numbers, got the key str 'x'"),
    ("to_dot-grads-value-None", lambda: to_dot(_v, grads={_v: None}), TypeError,
     r"grads\[1\*2\] must be a real number, got NoneType None"),
    ("to_dot-grads-value-an-array", lambda: to_dot(_v, grads={_v: np.ones(2)}), TypeError,
     r"grads\[1\*2\] must be a real number, got ndarray"),
    ("draw_dot-grads-and-step", lambda: draw_dot(_v, grads={}, step=1), TypeError,
     r"pass step= .* or grads= .*, not both; got step=1 and grads=dict"),
    ("to_dot-unknown-option", lambda: to_dot(_v, colour=1), TypeError,
     r"^to_dot\(\) got an unexpected option 'colour'; it takes " + _TAKES),
    ("draw_dot-unknown-option", lambda: draw_dot(_v, colour=1), TypeError,
     r"^draw_dot\(\) got an unexpected option 'colour'; it takes format, model, " + _TAKES),
    ("save_graph-unknown-option", lambda: save_graph(_v, "never-written.dot", colour=1), TypeError,
     r"^save_graph\(\) got an unexpected option 'colour'; it takes " + _TAKES),
    ("save_graph-format-option", lambda: save_graph(_v, "never-written.svg", format="png"), TypeError,
     r"^save_graph\(\) got an unexpected option 'format'; it takes rankdir, "),
]


def test_the_drawing_options_named_in_errors_are_to_dots_keywords():
    import inspect

    from autograd_engine.viz.dot import DRAWING_OPTIONS

    keywords = [p.name for p in inspect.signature(to_dot).parameters.values() if p.kind is p.KEYWORD_ONLY]
    assert tuple(keywords) == DRAWING_OPTIONS


# -- the chain rule on the picture ---------------------------------------------------------------------------

EDGE_LABEL = re.compile(r'^\t(\w+) -> (\w+) \[label="((?:[^"\\]|\\.)*)"', re.M)


def edge_labels(src):
    """{(tail, head): label} of the labelled edges of DOT source."""
    return {(t, h): text for t, h, text in EDGE_LABEL.findall(src)}


def ids_by_label(src):
    return {label(a).split(" | ")[0].strip("{ "): n for n, a in parse(src)[0].items() if n.startswith("v")}


def test_edges_carry_the_local_derivative_from_the_rule_table():
    x1, w1 = Value(2.0, "x1"), Value(-3.0, "w1")
    p = x1 * w1
    p.label = "p"
    o = p.tanh()
    o.label = "o"
    src = to_dot(o, edge_labels=True)  # before backward: local derivatives only
    ids, labels = ids_by_label(src), edge_labels(src)
    op_of = {v: "o" + v[1:] for v in ids.values()}
    assert labels[(ids["x1"], op_of[ids["p"]])] == "∂ -3.0000"  # ∂(x1*w1)/∂x1 = w1
    assert labels[(ids["w1"], op_of[ids["p"]])] == "∂ 2.0000"  # = x1
    assert labels[(ids["p"], op_of[ids["o"]])] == f"∂ {format_number(1 - math.tanh(-6.0) ** 2)}"  # 1 - out²
    o.backward()  # now each edge also shows what was sent: g · local
    labels = edge_labels(to_dot(o, edge_labels=True))
    g = 1 - math.tanh(-6.0) ** 2
    assert labels[(ids["x1"], op_of[ids["p"]])] == f"∂ -3.0000\\ng·∂ {format_number(-3.0 * g)}"
    assert labels[(ids["p"], op_of[ids["o"]])] == f"∂ {format_number(g)}\\ng·∂ {format_number(g)}"
    assert edge_labels(to_dot(o)) == {}  # off by default in to_dot


@pytest.mark.parametrize("name", sorted(ae.OPS))
def test_local_derivatives_are_the_rule_with_gradient_one_and_their_words_agree(name):
    from autograd_engine.ops import OPS, call_forward, call_vjp
    from autograd_engine.viz.sweep import local_derivatives, local_text

    op = OPS[name]
    n_args = op.kind.n_args or op.arity
    intervals = [op.domain[min(i, len(op.domain) - 1)][-1] for i in range(n_args)]
    args = [Value(lo + (hi - lo) * (0.3 + 0.4 * i / max(1, n_args - 1))) for i, (lo, hi) in enumerate(intervals)]
    c = op.params[0] if op.kind.name == "param" else None
    node = ae.apply(op, *args, param=c)
    locals_ = local_derivatives(node)
    assert locals_ == [float(d) for d in call_vjp(op, 1.0, [a.data for a in args], node.data, c)]
    h = 1e-6
    for i in range(n_args):  # central differences of the forward, per input
        if op.rule_is_derivative:
            up = [a.data + (h if j == i else 0.0) for j, a in enumerate(args)]
            down = [a.data - (h if j == i else 0.0) for j, a in enumerate(args)]
            numeric = (call_forward(op, up, c) - call_forward(op, down, c)) / (2 * h)
            assert locals_[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6)
        text = local_text(node, i, locals_[i]).replace("²", "**2").replace("·", "*").replace("^", "**")
        assert eval(text) == pytest.approx(locals_[i], rel=2e-3, abs=1e-3)  # the words say the same number


def test_step_drawings_tell_partial_from_complete_and_say_what_each_step_did():
    o = neuron()
    n = len(topological_order(o))
    for k in range(n + 1):
        src = to_dot(o, step=k)
        assert "legend: dashed border = grad still partial" in src
        state = list(backward_steps(o))
        done = {s.node for s in state[:k]}
        for v, node_id in zip(topological_order(o), (f"v{i}" for i in range(n))):
            attrs = parse(src)[0][node_id]
            consumers = {u for u in topological_order(o) if v in u.parents}
            assert ("dashed" in attrs) == (v is not o and not consumers <= done), (k, node_id)
    leaf_step = to_dot(o, step=n)
    assert "x1 is a leaf: it only accumulated what its consumers sent; its grad -1.5 is final" in leaf_step
    assert "o is the root, grad 1 (the seed). tanh → " in to_dot(o, step=1)
    assert "grad += 0.5 = 1 · (1 - 0.7071²)" in to_dot(o, step=1)


def test_a_shared_node_is_partial_until_both_consumers_sent():
    x = Value(3.0, "x")
    a, b = x * 2, x.exp()
    a.label, b.label = "a", "b"
    y = a + b
    y.label = "y"
    sentences = ae.StepThrough(y, renderer="browser").sentences
    x_steps = [k for k, s in enumerate(sentences) if "→ x: grad +=" in s]
    assert len(x_steps) == 2
    first = parse(to_dot(y, step=x_steps[0]))[0]
    last = parse(to_dot(y, step=x_steps[1]))[0]
    x_id = ids_by_label(to_dot(y))["x"]
    assert "dashed" in first[x_id]  # one consumer has sent its share, the other not yet
    assert label(first[x_id]).endswith((f"grad {format_number(2.0)} }}", f"grad {format_number(math.exp(3.0))} }}"))
    assert "dashed" not in last[x_id] and f"grad {format_number(2.0 + math.exp(3.0))}" in label(last[x_id])


def test_draw_dot_hands_a_model_the_drawing():
    class Stub:
        def __init__(self):
            self.calls = []

        def draw(self, **kwargs):
            self.calls.append(kwargs)
            return "a model drawing"

    o, stub = neuron(), Stub()
    assert draw_dot(o, model=stub, depth=2) == "a model drawing"
    assert draw_dot(o, model=stub, format="png") == "a model drawing"
    assert stub.calls == [{"output": o, "depth": 2}, {"output": o, "format": "png"}]


def test_without_dot_only_file_export_needs_it(tmp_path, monkeypatch):
    import graphviz

    monkeypatch.setenv("PATH", str(tmp_path))  # graphviz looks dot up at each call: nothing cached
    o = neuron()
    drawing = draw_dot(o, edge_labels=True)
    bundle = drawing._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"} and "var aeGraphviz =" in bundle["text/html"]
    assert "∂ -3.0000" in bundle["text/html"]  # the DOT source travels to the browser renderer
    for ext in (".png", ".pdf", ".svg"):
        with pytest.raises(GraphvizNotFoundError, match=r"apt install graphviz.*brew install graphviz.*conda"):
            save_graph(o, tmp_path / f"g{ext}")
    with pytest.raises(GraphvizNotFoundError):
        drawing.render(tmp_path / "g", format="png")
    assert isinstance(drawing, graphviz.Digraph) and save_graph(o, tmp_path / "g.dot")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot"]
    monkeypatch.undo()
    if shutil.which("dot"):  # and with dot back on PATH, rendering works again at once
        assert draw_dot(o).pipe(format="svg").startswith(b"<?xml")


def test_grads_shows_gradients_of_ones_own_without_touching_the_nodes():
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    y = (x * w).tanh()
    y.label = "y"
    src = to_dot(y, grads={x: float("nan"), y: np.float64(1.0), w: float("-inf")}, edge_labels=True)
    grads = {label(a).split(" | ")[0].strip("{ "): label(a).split(" | ")[-1].strip(" }")
             for n, a in parse(src)[0].items() if n.startswith("v")}
    assert grads == {"x": "grad nan", "w": "grad -inf", "y": "grad 1.0000", "data -6.0000": "grad 0.0000"}
    assert x.grad == w.grad == y.grad == 0.0  # read from the mapping only
    labels = edge_labels(src)
    # the mapping's root gradient is not 0: each op sent its node's gradient in the mapping times ∂ (x * w holds 0)
    assert sorted(labels.values()) == [f"∂ -3.0000\\ng·∂ {format_number(0.0 * -3.0)}", "∂ 2.0000\\ng·∂ 0.0000",
                                       f"∂ {format_number(1 - math.tanh(-6) ** 2)}\\ng·∂ "
                                       f"{format_number(1 - math.tanh(-6) ** 2)}"]
    y.backward()  # the nodes' own gradients are not what is drawn either
    assert to_dot(y, grads={}).count("grad 0.0000") == 4
    assert "g·∂" not in to_dot(y, grads={}, edge_labels=True)  # the mapping's root holds 0: nothing sent yet


def test_with_grads_the_edges_carry_the_contributions_of_the_mapping_not_of_grad():
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    h = x * w
    y = h * h
    y.backward()  # .grad: y 1, h 2h = -24, x -24 * -3 = 72, w -48
    src = to_dot(y, grads={y: 0.5, h: 10.0}, edge_labels=True)
    by_edge = sorted(text for _, _, text in EDGE_LABEL.findall(src))  # h -> (h * h) twice
    # y sends 0.5 * ∂(h * h)/∂h = 0.5 * -6 on each of its two edges, h sends 10 * w and 10 * x
    assert by_edge == ["∂ -3.0000\\ng·∂ -30.0000", "∂ -6.0000\\ng·∂ -3.0000", "∂ -6.0000\\ng·∂ -3.0000",
                       "∂ 2.0000\\ng·∂ 20.0000"]
    assert to_dot(y, grads={y: 0.5, h: 10.0}, edge_labels=True, show_grad=False).count("g·∂") == 0


def test_edges_and_captions_print_nan_and_inf_as_words():
    a, b = Value(float("nan"), "a"), Value(float("inf"), "b")
    y = a * b
    labels = sorted(edge_labels(to_dot(y, edge_labels=True, step=1)).values())
    assert labels == ["∂ inf\\ng·∂ inf", "∂ nan\\ng·∂ nan"]
    caption = to_dot(y, step=1)
    assert "* → a: grad += inf = 1 · inf; * → b: grad += nan = 1 · nan" in caption


def test_the_viz_modules_import_only_what_every_drawing_needs():
    import ast
    from pathlib import Path

    light = {"__future__", "functools", "math", "os", "re", "shutil", "collections.abc", "dataclasses", "typing", "sys"}
    for path in (Path(ae.__file__).parent / "viz").glob("*.py"):
        for node in ast.parse(path.read_text()).body:  # module level only; functions import the rest when used
            if isinstance(node, ast.Import):
                assert {a.name for a in node.names} <= light, (path.name, ast.unparse(node))
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                assert node.module in light, (path.name, ast.unparse(node))
    code = "import sys, autograd_engine; print('graphviz' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def drawn_nodes(order, visible, group_of):
    """DOT nodes of a drawing counted one by one: values, op nodes, "+k hidden" markers, group boxes."""
    n = sum(1 for v in order if v in visible and v not in group_of)
    n += sum(1 for v in order if v in visible and v not in group_of and not v.is_leaf)
    n += sum(1 for v in order if v in visible and v not in group_of and not v.is_leaf
             and any(p not in visible for p in v.parents))
    return n + len({group_of[v] for v in order if v in visible and v in group_of})


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 30), st.integers(0, 2**32 - 1), st.booleans())
def test_the_node_count_of_every_depth_is_what_drawing_that_depth_takes(size, seed, grouped):
    from autograd_engine.viz import dot

    rng = np.random.default_rng(seed)
    nodes = [Value(float(rng.normal()), f"{'ab'[i % 2]}{i}") for i in range(3)]
    for _ in range(size):
        i, j = rng.integers(len(nodes), size=2)
        nodes.append(nodes[i] * nodes[j] if rng.random() < 0.5 else (nodes[i] + nodes[j]).tanh())
    root = nodes[-1]
    order = topological_order(root)
    group_of = {v: v.label[0] for v in order if grouped and v.label}
    dist = dot._distances(root)
    counts = dot._counts_by_depth(order, dist, group_of)
    assert counts == [drawn_nodes(order, {v for v in order if dist[v] <= d}, group_of) for d in range(len(counts))]


@pytest.mark.slow  # 2 s
def test_a_100_000_node_chain_is_drawn_without_recursion_and_within_max_nodes():
    y = Value(0.5, "x")
    for i in range(50_000):
        y = y * 1.0001 if i % 2 else y + 0.1  # 100,001 values with the constants
    src = to_dot(y, max_nodes=300)
    nodes = parse(src)[0]
    assert 250 < len(nodes) <= 300 and "of 100,001 values" in src


def test_a_step_drawing_runs_the_sweep_only_up_to_its_step(monkeypatch):
    from autograd_engine.viz import sweep

    taken = []

    def counted(root):
        for step in ae.backward_steps(root):
            taken.append(step.index)
            yield step

    monkeypatch.setattr(sweep, "backward_steps", counted)
    y = Value(0.5, "x")
    for _ in range(1000):
        y = y.tanh()
    assert "step 3 of 1001: " in to_dot(y, step=3, max_nodes=50)
    assert taken == [1, 2, 3]


def test_a_drawing_reads_as_what_it_is_in_plain_text():
    a = Value(2.0, "a")
    assert repr(draw_dot(a * a)) == "<drawing of 2 values: .source is its DOT text, .pipe() renders it>"
    assert repr(draw_dot(a)) == "<drawing of 1 value: .source is its DOT text, .pipe() renders it>"
