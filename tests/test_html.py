"""The offline HTML step-through: what the page holds, how it is written, its size, its display in a notebook."""

import html
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from dags import neuron, programs, run
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_engine as ae
from autograd_engine import StepThrough, Value, save_html, show_backward, topological_order

needs_dot = pytest.mark.skipif(not shutil.which("dot"), reason="Graphviz's dot is not installed")
RENDERERS = [pytest.param("dot", marks=needs_dot), "browser"]


def page_data(page):
    """The JSON the page steps through (parsed back as the browser parses it)."""
    text = re.search(r'<script type="application/json" id="ae-data">(.*?)</script>', page, re.S).group(1)
    return json.loads(text)


def replay(data, k):
    """Each node's grad text and partial flag after k steps, as the page's script computes it."""
    state = {i: tuple(v) for i, v in data["init"].items()}
    for step in data["steps"][1:k + 1]:
        for node_id, grad, partial in step["g"]:
            state[node_id] = (grad, partial)
    return state


@pytest.mark.parametrize("renderer", RENDERERS)
def test_the_page_steps_from_zero_gradients_to_the_complete_ones(renderer, tmp_path):
    o = neuron()
    path = save_html(o, tmp_path / "neuron.html", renderer=renderer)
    page = Path(path).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    data = page_data(page)
    graph = topological_order(o)
    assert len(data["steps"]) == len(graph) + 1  # step 0, then every node: the root and the leaves too
    start, end = replay(data, 0), replay(data, len(graph))
    assert sorted(g for g, _ in start.values()) == ["0.0000"] * (len(graph) - 1) + ["1.0000"]
    o.backward()
    ids = {v: f"v{i}" for i, v in enumerate(graph)}
    assert {ids[v]: (ae.viz.format_number(v.grad), 0) for v in graph} == end  # complete, and what backward gives
    sentences = [s["t"] for s in data["steps"]]
    assert sentences[1] == "step 1 of 10: o is the root, grad 1 (the seed). tanh → n: grad += 0.5 = 1 · (1 - 0.7071²)"
    assert sum("is a leaf: it only accumulated" in s for s in sentences) == 5
    edges = dict(pair for s in data["steps"] for pair in s["e"])
    assert sorted(edges.values()).count("g·∂ 0.5000") == 6 and "g·∂ -1.5000" in edges.values()
    if renderer == "dot":  # one SVG, laid out once; its edge labels hold the local derivatives
        assert page.split("<script")[0].count("<svg") == 1 and "var aeGraphviz =" not in page and "∂ 2.0000" in page
    else:  # the DOT source and the vendored renderer; no SVG until the browser draws it
        assert "<svg" not in page.split("<script")[0] and "var aeGraphviz =" in page and "∂ -3.0000" in data["dot"]


def test_the_page_fetches_nothing():
    page = StepThrough(neuron(), renderer="browser").html()
    scripts = re.findall(r"<script([^>]*)>", page)
    assert all("src=" not in attrs for attrs in scripts) and "<link" not in page and "<img" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_names_that_look_like_markup_stay_text(renderer):
    x = Value(2.0, '</script><script>alert("x")</script>')
    y = x * Value(3.0, "it's \"quoted\" & <b>bold</b>")
    y.label = "</title></style><!--"
    page = StepThrough(y, renderer=renderer).html()
    assert page.count("</script>") == len(re.findall(r"<script[ >]", page))  # no script ended early
    assert "<b>bold</b>" not in page
    assert all(re.fullmatch(r" [\w&#;]+ ", c) for c in re.findall(r"<!--(.*?)-->", page, re.S))  # dot's own only
    assert page.split("</head>")[0].count("</title>") == 1 and page.count("</style>") == 1
    data = page_data(page)
    assert data["steps"][-1]["t"].startswith('step 3 of 3: </script><script>alert("x")</script> is a leaf')
    if renderer == "browser":
        assert 'script\\>alert(\\"x\\")' in data["dot"]  # DOT-escaped, inside JSON, inside the page


def test_a_500_node_graph_makes_a_sane_file(tmp_path):
    xs = [Value(0.01 * i, f"x{i}") for i in range(170)]
    y = xs[0]
    for x in xs[1:]:
        y = (y * x).tanh()  # 3 values a link: 508 values in all
    graph = topological_order(y)
    assert len(graph) > 500
    steps = StepThrough(y, renderer="browser")
    page = steps.html()
    data = page_data(page)
    drawn = len(data["init"])
    assert drawn < len(graph) and len(steps) <= drawn + 1  # cut by depth; one step per drawn node at most
    assert f"of {len(graph):,} values" in data["dot"]
    vendored = len((Path(ae.__file__).parent / "viz" / "vendor" / "wasm-graphviz.js").read_bytes())
    assert len(page.encode()) - vendored < 400_000  # the graph once and small per-step changes, not N drawings
    if shutil.which("dot"):
        assert len(StepThrough(y, renderer="dot").html().encode()) < 1_000_000
    big = StepThrough(y, renderer="browser", max_nodes=2000)
    assert len(big) == len(graph) and len(big.html().encode()) - vendored < 1_500_000


@settings(max_examples=30, deadline=None)
@given(programs())
def test_replaying_the_page_gives_what_backward_gives_on_random_graphs(program):
    inputs, steps = program
    xs = [Value(x, f"x{i}") for i, x in enumerate(inputs)]
    out = run(steps, xs, "ours")
    through = StepThrough(out, renderer="browser", max_nodes=10_000)
    data = page_data(through.html())
    graph = topological_order(out)
    ids = {v: f"v{i}" for i, v in enumerate(graph)}
    assert len(through) == len(graph)
    users = {v: {u for u in graph if v in u.parents} for v in graph}
    done = set()
    for k, step in enumerate(data["steps"][1:], 1):  # a node is complete exactly when all its users have sent
        done.add(graph[int(step["n"][1:])])
        state = replay(data, k)
        assert all(state[ids[v]][1] == int(v is not out and not users[v] <= done) for v in graph)
    out.backward()
    assert replay(data, len(graph)) == {ids[v]: (ae.viz.format_number(v.grad), 0) for v in graph}


def test_steps_of_nodes_not_drawn_are_folded_into_the_next_drawn_one():
    x = Value(0.5, "x")
    y = x
    for _ in range(20):
        y = y.tanh()
    steps = StepThrough(y, renderer="browser", depth=3)
    data = page_data(steps.html())
    assert len(data["init"]) == 4 and len(steps) == 5  # the 4 drawn nodes, then the 17 hidden ones in one step
    assert steps.sentences[-1].startswith("step 5 of 5: the last 17 steps of the sweep, of nodes not drawn one by one "
                                         "(the graph is cut by depth)")
    assert steps.sentences[4].endswith("(the sweep's step 4 of 21)")  # the page's step 4 is the sweep's step 4
    final = replay(data, len(steps))
    y.backward()
    assert final[data["steps"][1]["n"]] == ("1.0000", 0)


def tanh_chain(n):
    y = Value(0.5, "x")
    for _ in range(n):
        y = y.tanh()
    return y


def test_on_a_cut_graph_the_sentences_count_the_steps_the_page_shows():
    y = tanh_chain(600)
    steps = StepThrough(y, renderer="browser")  # 601 values: cut to the ones within max_nodes
    assert 2 < len(steps) < 601
    for k, sentence in enumerate(steps.sentences):
        assert sentence.startswith(f"step {k} of {len(steps)}: "), sentence
    assert steps.sentences[1].endswith("(the sweep's step 1 of 601)")
    assert steps.sentences[-1] == (f"step {len(steps)} of {len(steps)}: the last {601 - len(steps) + 1} steps of the "
                                   f"sweep, of nodes not drawn one by one (the graph is cut by depth): every "
                                   f"gradient is now complete.")


def test_a_long_chain_is_swept_once_and_only_the_drawn_steps_are_put_in_words(monkeypatch):
    from autograd_engine.viz import sweep

    sweeps, sentences = [], []
    monkeypatch.setattr(sweep, "backward_steps", lambda root: sweeps.append(root) or ae.backward_steps(root))
    real = sweep.step_sentence
    monkeypatch.setattr(sweep, "step_sentence", lambda *a: sentences.append(a) or real(*a))
    y = tanh_chain(5000)  # deeper than the recursion limit: nothing may recurse along the chain
    steps = StepThrough(y, renderer="browser")
    assert sweeps == [y] and len(sentences) == len(steps) - 1  # the last step (the folded rest) is no node's
    vendored = len((Path(ae.__file__).parent / "viz" / "vendor" / "wasm-graphviz.js").read_bytes())
    assert len(steps.html().encode()) - vendored < 400_000  # bounded by max_nodes, not by the graph
    assert steps.sentences[1].endswith("(the sweep's step 1 of 5001)")


def test_steps_of_nodes_in_group_boxes_are_said_to_be_grouped_not_cut():
    x1, w1 = Value(2.0, "l.x1"), Value(-3.0, "l.w1")
    y = (x1 * w1 + x1).tanh()
    steps = StepThrough(y, renderer="browser", group_by="l.")
    assert steps.sentences[-1] == ("step 4 of 4: the last 2 steps of the sweep, of nodes not drawn one by one "
                                   "(collapsed into group boxes): every gradient is now complete.")


def test_a_leaf_as_root_is_its_own_seed():
    a = Value(3.0, "a")
    steps = StepThrough(a, renderer="browser")
    assert steps.sentences == ["step 0 of 1: forward values only; every grad is 0 but the seed, grad 1 of a. Step "
                               "backward to apply the chain rule node by node.",
                               "step 1 of 1: a is the root and a leaf: its grad is the seed, 1; nothing to pass on."]
    assert page_data(steps.html())["init"] == {"v0": ["1.0000", 0]}


def test_save_html_writes_atomically_and_refuses_bad_targets(tmp_path):
    o = neuron()
    real = tmp_path / "real.html"
    real.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(real)
    assert save_html(o, link, renderer="browser") == str(link)
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    (tmp_path / "folder.html").mkdir()
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        save_html(o, tmp_path / "folder.html")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_html(o, tmp_path / "missing" / "x.html")
    real.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only"):
        save_html(o, real)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.html", "link.html", "real.html"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_save_html_into_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match="save a step-through to"):
            save_html(neuron(), folder / "x.html")
    finally:
        folder.chmod(0o755)


def test_show_backward_outside_a_notebook_writes_the_page_and_says_where(tmp_path, capsys):
    steps = show_backward(neuron(), tmp_path / "b.html", renderer="browser")
    out = capsys.readouterr().out
    assert f"written to {tmp_path / 'b.html'}: open it in a browser" in out and isinstance(steps, StepThrough)
    assert (tmp_path / "b.html").read_text(encoding="utf-8") == steps.html()
    steps = show_backward(neuron(), renderer="browser")
    where = re.search(r"written to (\S+\.html):", capsys.readouterr().out).group(1)
    try:
        assert Path(where).read_text(encoding="utf-8") == steps.html() and len(steps) == 10
    finally:
        os.unlink(where)


def test_in_a_notebook_it_displays_the_page_itself(monkeypatch):
    class ZMQInteractiveShell:  # what IPython's kernel is called
        pass

    monkeypatch.setitem(sys.modules, "IPython", type(sys)("IPython"))
    sys.modules["IPython"].get_ipython = ZMQInteractiveShell
    steps = show_backward(neuron(), renderer="browser")  # nothing written, nothing printed
    bundle = steps._repr_mimebundle_()
    frame = bundle["text/html"]
    assert frame.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in frame
    srcdoc = html.unescape(re.match(r'<iframe srcdoc="([^"]*)"', frame).group(1))
    assert srcdoc == steps.html()  # the same self-contained page: it lives in the saved notebook
    assert bundle["text/plain"] == repr(steps) == "StepThrough(o: 10 steps; .save_html(path) writes the page)"


@needs_dot
def test_in_a_notebook_with_dot_the_final_state_is_also_a_picture():
    bundle = StepThrough(neuron(), renderer="dot")._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<svg") and "grad &#45;1.5000" in bundle["image/svg+xml"]


def test_without_dot_auto_uses_the_browser_and_dot_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    steps = StepThrough(neuron())
    assert steps.renderer == "browser" and "var aeGraphviz =" in steps.html()
    with pytest.raises(ae.GraphvizNotFoundError, match="renderer='dot' needs Graphviz's `dot` program"):
        StepThrough(neuron(), renderer="dot")


def test_the_vendored_renderer_is_the_pinned_file_with_its_licence():
    import hashlib

    vendor = Path(ae.__file__).parent / "viz" / "vendor"
    script = (Path(__file__).parent.parent / "scripts" / "vendor_js.py").read_text()
    pinned = re.search(r'MODULE_SHA256 = "([0-9a-f]{64})"', script).group(1)
    assert hashlib.sha256((vendor / "wasm-graphviz.js").read_bytes()).hexdigest() == pinned
    assert "Apache License" in (vendor / "LICENSE-wasm-graphviz.txt").read_text()
    assert "Eclipse Public License" in (vendor / "README.md").read_text()


_v = neuron()

#: What the options of the functions here are, as their errors list them.
_TAKES = r"renderer, edge_labels, rankdir, max_nodes, depth, group_by, highlight and parameters$"

ERROR_CASES = [
    ("save_html-root-None", lambda: save_html(None, "x.html"), TypeError, r"root must be a Value, got NoneType None"),
    ("save_html-path-an-int", lambda: save_html(_v, 3), TypeError, r"path must be a str or os.PathLike, got int 3"),
    ("save_html-path-None", lambda: save_html(_v, None), TypeError, r"path must be a str or os.PathLike, got NoneType"),
    ("save_html-path-empty", lambda: save_html(_v, ""), ValueError, r"path must be a non-empty file name"),
    ("save_html-path-a-png", lambda: save_html(_v, "graph.png"), ValueError,
     r"path must end in \.html or \.htm \(the page is HTML\), got 'graph\.png'"),
    ("save_html-path-no-extension", lambda: save_html(_v, "graph"), ValueError, r"path must end in \.html or \.htm"),
    ("StepThrough-save_html-a-svg", lambda: StepThrough(_v, renderer="browser").save_html("g.svg"), ValueError,
     r"path must end in \.html or \.htm .*got 'g\.svg'"),
    ("show_backward-path-a-pdf", lambda: show_backward(_v, "g.pdf"), ValueError, r"path must end in \.html or \.htm"),
    ("StepThrough-grads-given", lambda: StepThrough(_v, grads={}), TypeError,
     r"^StepThrough\(\) got an unexpected option 'grads'; it takes " + _TAKES),
    ("save_html-unknown-option", lambda: save_html(_v, "x.html", colour="red"), TypeError,
     r"^save_html\(\) got an unexpected option 'colour'; it takes " + _TAKES),
    ("save_html-path-bytes", lambda: save_html(_v, b"x.html"), TypeError, r"path must be a str or os.PathLike"),
    ("save_html-renderer-bad", lambda: save_html(_v, "x.html", renderer="svg"), ValueError,
     r"renderer must be one of auto, dot, browser, got str 'svg'"),
    ("save_html-max_nodes-zero", lambda: save_html(_v, "x.html", max_nodes=0), ValueError,
     r"max_nodes must be an int >= 1, got 0"),
    ("StepThrough-root-a-float", lambda: StepThrough(1.5), TypeError, r"root must be a Value, got float 1.5"),
    ("StepThrough-step-given", lambda: StepThrough(_v, step=3), TypeError, r"takes no step option, got step=3"),
    ("StepThrough-show_grad-given", lambda: StepThrough(_v, show_grad=False), TypeError,
     r"takes no show_grad option, got show_grad=False"),
    ("StepThrough-edge_labels-None", lambda: StepThrough(_v, edge_labels=None), TypeError,
     r"edge_labels must be a bool \(True or False\), got NoneType None"),
    ("StepThrough-renderer-None", lambda: StepThrough(_v, renderer=None), TypeError, r"renderer must be .*NoneType"),
    ("StepThrough-save_html-a-list", lambda: StepThrough(_v, renderer="browser").save_html(["x"]), TypeError,
     r"path must be a str or os.PathLike, got list"),
    ("show_backward-path-an-int", lambda: show_backward(_v, 7), TypeError, r"path must be a str or os.PathLike"),
    ("show_backward-unknown-option", lambda: show_backward(_v, colour="red"), TypeError,
     r"^show_backward\(\) got an unexpected option 'colour'; it takes " + _TAKES),
]


@pytest.mark.slow  # runs notebook 01 once, in a kernel that cannot find dot
@pytest.mark.notebook
def test_notebook_01_shows_every_picture_without_dot(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    path = Path(__file__).parent.parent / "notebooks" / "01_values_and_graphs.ipynb"
    committed = nbformat.read(path, as_version=4)
    monkeypatch.setenv("PATH", str(tmp_path))  # the kernel inherits it: no dot anywhere
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()

    def pictures(notebook, kind):
        return [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
                for out in cell.get("outputs", []) if any(k in out.get("data", {}) for k in kind)]

    drawn = pictures(committed, ("image/svg+xml", "image/png"))
    assert drawn and pictures(nb, ("text/html",)) == drawn  # each picture, now laid out in the browser
    assert all("var aeGraphviz =" in out["data"]["text/html"] for i in drawn for out in nb.cells[i].outputs
               if "text/html" in out.get("data", {}))


def test_nan_and_inf_reach_the_page_as_words_in_strict_json():
    a, b = Value(float("nan"), "a"), Value(float("inf"), "b")
    y = a * b + Value(1e308, "big") * 10  # big * 10 overflows to inf
    page = StepThrough(y, renderer="browser").html()
    text = re.search(r'id="ae-data">(.*?)</script>', page, re.S).group(1)

    def refuse(constant):
        raise AssertionError(f"JSON has no {constant}")

    data = json.loads(text, parse_constant=refuse)  # what a browser's JSON.parse accepts
    shown = {g for step in data["steps"] for _, g, _ in step["g"]} | {e for step in data["steps"] for _, e in step["e"]}
    assert {"nan", "inf", "g·∂ nan", "g·∂ inf"} <= shown


def test_pages_made_on_eight_threads_at_once_are_the_pages_made_one_by_one():
    from concurrent.futures import ThreadPoolExecutor

    def page(i):
        x = Value(0.5 + i, "x")
        return StepThrough((x * x).tanh() + x, renderer="browser").html()

    alone = [page(i) for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(page, range(8))) == alone


@settings(max_examples=25, deadline=None)
@given(programs(), st.integers(3, 12))
def test_a_cut_page_shows_at_each_step_the_sweep_as_it_stood_at_the_step_it_names(program, max_nodes):
    inputs, steps = program
    out = run(steps, [Value(x, f"x{i}") for i, x in enumerate(inputs)], "ours")
    through = StepThrough(out, renderer="browser", max_nodes=max_nodes)
    data = page_data(through.html())
    graph = topological_order(out)
    ids = {v: f"v{i}" for i, v in enumerate(graph)}
    grads, after = {out: 1.0}, [None]  # after[s]: every node's grad text after the sweep's step s
    for step in ae.backward_steps(out):
        for p, d in step.contributions:
            grads[p] = grads.get(p, 0.0) + d
        after.append({ids[v]: ae.viz.format_number(grads.get(v, 0.0)) for v in graph})
    for k, sentence in enumerate(through.sentences[1:], 1):
        assert sentence.startswith(f"step {k} of {len(through)}: ")
        named = re.search(r"\(the sweep's step (\d+) of (\d+)", sentence)
        if named is None:  # not cut (every step is the sweep's own) or the folded rest (the end of the sweep)
            s = k if len(through) == len(graph) else len(graph)
        else:
            s = int(named.group(1))
            assert int(named.group(2)) == len(graph)
        shown = replay(data, k)
        assert {i: g for i, (g, _) in shown.items()} == {i: after[s][i] for i in shown}


def test_what_a_node_not_drawn_sends_to_a_drawn_one_reaches_the_page():
    x = Value(0.3, "x")
    deep = x
    for _ in range(6):
        deep = deep.tanh()
    y = x + deep  # x is drawn (next to the root); the tanh next to it is not, yet sends it its share last
    through = StepThrough(y, renderer="browser", depth=2)
    data = page_data(through.html())
    y.backward()
    shown = replay(data, len(through))
    assert shown["v0"] == (ae.viz.format_number(x.grad), 0) and x.grad != 1.0
    assert through.sentences[-1] == (f"step {len(through)} of {len(through)}: x is a leaf: it only accumulated what "
                                     f"its consumers sent; its grad {x.grad:.4g} is final, nothing to pass on. (the "
                                     f"sweep's step 8 of 8; 4 steps of nodes not drawn came before it)")
