"""The HTML step-through in a real browser: headless Chromium, networking off, driven over DevTools on a pipe.

Skips when Chromium is missing, except under CI (``CI=true``), where ``.ci/run`` installs
Debian's ``chromium`` and a missing browser is a failure. Each test saves a screenshot of
the final state in its ``tmp_path`` and prints the path (``pytest -s`` shows it).
"""

import os
import shutil

import pytest
from chromium import Browser, find_chromium
from dags import neuron

from autograd_engine import backward_steps, save_html, topological_order
from autograd_engine.viz import format_number, local_derivatives

CHROMIUM = find_chromium()
if CHROMIUM is None and os.environ.get("CI", "").lower() == "true":
    pytest.fail("CI=true but no Chromium was found (.ci/run installs Debian's chromium): the browser tests "
                "must run in CI", pytrace=False)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium); "
                                                          "the browser tests run in CI")
RENDERERS = [pytest.param("dot", marks=pytest.mark.skipif(not shutil.which("dot"), reason="no dot")), "browser"]


@pytest.fixture(scope="module")
def browser():
    with Browser(CHROMIUM) as b:
        yield b


NODE_TEXT = """Object.fromEntries([...document.querySelectorAll('#ae-graph g.node')].filter(g => g.id.startsWith('v'))
  .map(g => [g.querySelector('text').textContent, [...g.querySelectorAll('text')].map(t => t.textContent)
  .slice(-2).join(' ')]))"""
EDGE_TEXT = """[...document.querySelectorAll('#ae-graph g.edge')].map(g => [...g.querySelectorAll('text')]
  .map(t => t.textContent).join(' ').trim()).filter(t => t)"""


GRADS_BY_ID = """Object.fromEntries([...document.querySelectorAll('#ae-graph g.node')].filter(g => g.id.startsWith('v'))
  .map(g => [g.id, [...g.querySelectorAll('text')].pop().textContent]))"""
EDGES_BY_ID = """Object.fromEntries([...document.querySelectorAll('#ae-graph g.edge')]
  .filter(g => /^e\\d+_\\d+$/.test(g.id))
  .map(g => [g.id, [...g.querySelectorAll('text')].map(t => t.textContent).join(' ').trim()]))"""


def engine_states(root):
    """What the page must show after each step, from the engine's own backward_steps: node and edge texts by id."""
    order = topological_order(root)
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    grads, sent = {root: 1.0}, {}
    states = []
    for step in [None, *backward_steps(root)]:
        if step is not None:
            for i, (p, d) in enumerate(step.contributions):
                grads[p] = grads.get(p, 0.0) + float(d)
                sent[f"e{ids[step.node][1:]}_{i}"] = float(d)
        edges = {}
        for v in order:
            for i, local in enumerate(local_derivatives(v)):
                e = f"e{ids[v][1:]}_{i}"
                edges[e] = f"∂ {format_number(local)}" + (f" g·∂ {format_number(sent[e])}" if e in sent else "")
        states.append(({ids[v]: f"grad {format_number(grads.get(v, 0.0))}" for v in order}, edges))
    return states


def snapshot(browser):
    return {"step": browser.evaluate("document.body.getAttribute('data-step')"),
            "line": browser.evaluate("document.getElementById('ae-line').textContent"),
            "nodes": browser.evaluate(NODE_TEXT), "edges": sorted(browser.evaluate(EDGE_TEXT)),
            "grads": browser.evaluate(GRADS_BY_ID), "edges_by_id": browser.evaluate(EDGES_BY_ID),
            "dashed": browser.evaluate("document.querySelectorAll('#ae-graph [stroke-dasharray]').length"),
            "yellow": browser.evaluate("[...document.querySelectorAll('#ae-graph g.node')]"
                                       ".filter(g => g.querySelector('[fill=\"#fff1b8\"]')).map(g => g.id)")}


@pytest.mark.parametrize("renderer", RENDERERS)
def test_arrow_keys_step_backward_offline(browser, renderer, tmp_path):
    o = neuron()
    page = save_html(o, tmp_path / "neuron.html", renderer=renderer)
    browser.goto(f"file://{page}")
    browser.wait_for("document.body.getAttribute('data-step') === '0'")  # drawn (laid out in the page if need be)
    start = snapshot(browser)
    assert start["line"].startswith("step 0 of 10: forward values only")
    assert start["nodes"]["x1"] == "data 2.0000 grad 0.0000" and start["nodes"]["o"] == "data 0.7071 grad 1.0000"
    assert not any("grad -1.5000" in t for t in start["nodes"].values())  # no final gradient yet
    assert "∂ -3.0000" in start["edges"] and not any("g·∂" in e for e in start["edges"])
    assert start["dashed"] == 9  # every node but the root is partial
    states = [start]
    for _ in range(10):
        browser.press("ArrowRight")
        states.append(snapshot(browser))
    assert [s["step"] for s in states] == [str(k) for k in range(11)]
    assert [(s["grads"], s["edges_by_id"]) for s in states] == engine_states(o)  # every number, every step
    order = [f"v{9 - i}" for i in range(10)]  # the sweep runs the topological order backwards
    assert [s["yellow"] for s in states] == [[]] + [[v] for v in order]  # one node a step, the one it names
    assert states[1]["line"] == ("step 1 of 10: o is the root, grad 1 (the seed). "
                                 "tanh → n: grad += 0.5 = 1 · (1 - 0.7071²)")
    assert states[1]["nodes"]["n"] == "data 0.8814 grad 0.5000" and "∂ 0.5000 g·∂ 0.5000" in states[1]["edges"]
    assert len({(s["line"], str(s["nodes"]), str(s["edges"])) for s in states}) == 11  # every step shows something new
    end = states[-1]
    assert end["nodes"]["x1"] == "data 2.0000 grad -1.5000" and end["nodes"]["w1"] == "data -3.0000 grad 1.0000"
    assert end["nodes"]["x2"] == "data 0.0000 grad 0.5000" and end["nodes"]["b"] == "data 6.8814 grad 0.5000"
    assert "∂ -3.0000 g·∂ -1.5000" in end["edges"] and "∂ 2.0000 g·∂ 1.0000" in end["edges"]
    assert end["dashed"] == 0 and "x1 is a leaf: it only accumulated" in end["line"]
    shot = browser.screenshot(str(tmp_path / f"step-through-{renderer}.png"))
    print(f"screenshot of the final state: {shot}")
    browser.press("ArrowRight")  # past the end: stays
    assert snapshot(browser) == end
    browser.press("ArrowLeft")
    assert snapshot(browser) == states[9]
    browser.press("Home")
    assert snapshot(browser) == start
    assert browser.requests == [f"file://{page}"]  # the page asked for nothing else


def test_a_page_that_fetches_fails_with_networking_off(browser, tmp_path):
    page = tmp_path / "fetch.html"
    page.write_text('<!DOCTYPE html><meta charset="utf-8"><body>'
                    '<script>fetch("http://example.com/x").then(() => document.body.dataset.r = "loaded",'
                    ' () => document.body.dataset.r = "failed")</script>', encoding="utf-8")
    browser.goto(f"file://{page}")
    assert browser.wait_for("document.body.dataset.r") == "failed"


def test_zoom_buttons_change_the_view_and_fit_restores_it(browser, tmp_path):
    page = save_html(neuron(), tmp_path / "zoom.html", renderer="browser")
    browser.goto(f"file://{page}")
    browser.wait_for("document.body.getAttribute('data-step') === '0'")
    view = "document.querySelector('#ae-graph svg').getAttribute('viewBox')"
    before = browser.evaluate(view)
    browser.evaluate("document.getElementById('ae-zoom-in').click()")
    zoomed = [float(x) for x in browser.evaluate(view).split()]
    original = [float(x) for x in before.split()]
    assert zoomed[2] == pytest.approx(original[2] / 1.25) and zoomed[3] == pytest.approx(original[3] / 1.25)
    browser.evaluate("document.getElementById('ae-fit').click()")
    assert [float(x) for x in browser.evaluate(view).split()] == original


@pytest.mark.slow  # starts a kernel once
def test_a_saved_notebook_shows_the_step_through_without_a_kernel(browser, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'from autograd_engine import Value, show_backward\nx = Value(0.5, "x")\ny = x.tanh()\ny.label = "y"\n'
        'show_backward(y, renderer="browser")')])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    nbformat.write(nb, tmp_path / "saved.ipynb")
    reopened = nbformat.read(tmp_path / "saved.ipynb", as_version=4)  # no kernel from here on
    (output,) = reopened.cells[0].outputs
    assert output.output_type == "execute_result" and "application/vnd.jupyter.widget-view+json" not in output.data
    host = tmp_path / "saved.html"  # what a notebook viewer does with an HTML output: put it in its page
    host.write_text(f'<!DOCTYPE html><meta charset="utf-8"><body>{output.data["text/html"]}', encoding="utf-8")
    browser.goto(f"file://{host}")
    (frame,) = browser.frames()
    browser.wait_for("document.body && document.body.getAttribute('data-step') === '0'", frame)
    assert browser.evaluate("document.getElementById('ae-line').textContent", frame).startswith("step 0 of 2")
    browser.evaluate("document.getElementById('ae-last').click()", frame)
    assert browser.evaluate("document.getElementById('ae-line').textContent", frame) == \
        "step 2 of 2: x is a leaf: it only accumulated what its consumers sent; its grad 0.7864 is final, " \
        "nothing to pass on."
    grads = browser.evaluate("[...document.querySelectorAll('g.node text')].map(t => t.textContent)"
                             ".filter(t => t.startsWith('grad'))", frame)
    assert sorted(grads) == ["grad 0.7864", "grad 1.0000"]
    assert browser.requests == [f"file://{host}"]
