"""Modes: no_grad / enable_grad (context managers, decorators, per thread) and detect_anomaly."""

import math
import sys
import threading

import numpy as np
import pytest

from autograd_engine import (
    AnomalyError,
    Value,
    backward_steps,
    detect_anomaly,
    draw_dot,
    enable_grad,
    gradients,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    topological_order,
    vsum,
)


def test_no_grad_context_and_restore():
    x = Value(1.0)
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 2).exp()
    assert is_grad_enabled()
    assert y.is_leaf and y.op == "" and y.parents == ()
    assert (x * 2).op == "*"


def test_no_grad_as_decorator_and_nested_reuse():
    guard = no_grad()

    @guard
    def f(v):
        with guard:  # the same instance, re-entered
            inner = v + 1
        return inner * 2, is_grad_enabled()

    y, enabled = f(Value(1.0))
    assert y.is_leaf and y.data == 4.0 and enabled is False
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad():
    with no_grad():
        with enable_grad():
            y = Value(1.0) + 1
        z = Value(1.0) + 1
    assert y.op == "+" and z.is_leaf


def test_no_grad_is_thread_local():
    inside, outside = threading.Barrier(2), threading.Barrier(2)
    results = {}

    def without_grad():
        with no_grad():
            inside.wait()
            results["no_grad"] = Value(1.0) * 2
            outside.wait()

    def with_grad():
        inside.wait()  # the other thread is inside no_grad now
        results["grad"] = Value(1.0) * 2
        outside.wait()

    threads = [threading.Thread(target=without_grad), threading.Thread(target=with_grad)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["no_grad"].is_leaf
    assert results["grad"].op == "*"


def test_exception_inside_no_grad_restores_mode():
    try:
        with no_grad():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert is_grad_enabled()


# -- detect_anomaly -----------------------------------------------------------------------------------------

def here() -> int:
    """The line number of the caller's next line."""
    return sys._getframe(1).f_lineno + 1


@pytest.mark.parametrize("make, op, value", [
    (lambda: Value(0.0).log(), "log", "-inf"),
    (lambda: Value(0.0) / Value(0.0), "/", "nan"),
    (lambda: Value(-1.0).sqrt(), "sqrt", "nan"),
    (lambda: Value(800.0).exp(), "exp", "inf"),
])
def test_forward_anomaly_names_op_value_and_line(make, op, value):
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        make()
    line = make.__code__.co_firstlineno  # the node is created inside the lambda
    assert str(info.value).startswith(f"op {op!r} (no label) created at {__file__}:{line}: forward produced {value}")


def test_forward_anomaly_reports_the_creating_line_exactly():
    x = Value(-1.0, "x")
    with detect_anomaly():
        y = x * 2
        line = here()
        with pytest.raises(FloatingPointError) as info:
            y.log()
    message = str(info.value)
    assert message.startswith(f"op 'log' (no label) created at {__file__}:{line + 1}: forward produced nan")
    assert "Traceback of the node's creation" in message and "y.log()" in message
    assert "autograd_engine" not in message.split("Traceback")[1]  # trimmed to user frames


def test_backward_only_nan_names_the_op_its_label_and_line():
    x = Value(0.0, "x")
    with detect_anomaly():
        line = here()
        r = x.sqrt()
        r.label = "root"
        y = r * 3  # forward is finite: sqrt(0) = 0
        with pytest.raises(FloatingPointError) as info:
            y.backward()
    message = str(info.value)
    assert message.startswith(f"op 'sqrt' (label 'root') created at {__file__}:{line}: backward produced inf "
                              f"as the gradient of input 0 (incoming gradient 3.0)")


def test_without_anomaly_mode_nothing_raises():
    x = Value(0.0)
    y = x.sqrt() * 3
    y.backward()
    assert math.isinf(x.grad) and not is_anomaly_enabled()


def test_anomaly_mode_composes_with_no_grad_and_restores():
    with detect_anomaly():
        assert is_anomaly_enabled()
        with no_grad():
            assert is_anomaly_enabled() and not is_grad_enabled()
            with pytest.raises(FloatingPointError, match="op 'log'"):
                Value(0.0).log()
        assert is_grad_enabled()
    assert not is_anomaly_enabled()


def test_node_created_outside_the_block_is_reported_without_a_line():
    x = Value(0.0)
    y = x.sqrt()
    with detect_anomaly(), pytest.raises(FloatingPointError, match="created outside detect_anomaly"):
        y.backward()


def test_anomaly_backward_gives_the_same_gradients_when_finite():
    x, w = Value(0.5), Value(-1.5)
    with detect_anomaly():
        y = (x * w).tanh() + x.exp()
        y.backward()
    assert x.grad == pytest.approx(-1.5 * (1 - math.tanh(-0.75) ** 2) + math.exp(0.5), rel=1e-14)


# -- every way a non-finite number enters backward ------------------------------------------------------

NON_FINITE = [math.nan, math.inf, -math.inf, np.float32("nan"), np.float64("inf")]


def labelled(x: Value, label: str) -> Value:
    x.label = label
    return x


def same_non_finite(got, expected) -> bool:
    return math.isnan(got) if math.isnan(expected) else got == expected


def test_a_leaf_made_inside_the_block_is_reported_as_a_leaf_not_as_made_outside():
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"^leaf \(label 'x'\): a hook gave the gradient nan; "
                                                             r"the node is a leaf \(leaves are not traced\)$"):
        x = Value(1.0, "x")
        x.register_hook(lambda g: float("nan"))
        (x * 2).backward()


@pytest.mark.parametrize("seed", NON_FINITE)
@pytest.mark.parametrize("create_graph", [False, True])
def test_non_finite_seed_names_the_root(seed, create_graph):
    x = Value(2.0, "x")
    y = labelled(x * 3, "y")
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        y.backward(gradient=seed, create_graph=create_graph)
    assert info.value.node is y
    assert str(info.value).startswith(f"op '*' (label 'y'): the seed passed to backward() gave the gradient "
                                      f"{float(seed)!r}; the node is created outside detect_anomaly()")
    assert x.grad == 0.0  # raised before anything was written


@pytest.mark.parametrize("run", [
    lambda y, seed: gradients(y, seed),
    lambda y, seed: list(backward_steps(y, seed)),
    lambda y, seed: y.backward(Value(seed), create_graph=True),
])
def test_non_finite_seed_is_caught_by_every_sweep(run):
    with detect_anomaly():
        x = Value(2.0, "x")
        line = here()
        y = labelled(x.tanh(), "root")
        with pytest.raises(AnomalyError) as info:
            run(y, math.nan)
    assert info.value.node is y
    assert str(info.value).startswith(f"op 'tanh' (label 'root') created at {__file__}:{line}: the seed passed to "
                                      f"backward() gave the gradient nan")


@pytest.mark.parametrize("seed", [math.nan, math.inf])
def test_non_finite_seed_without_anomaly_mode_follows_ieee(seed):
    x = Value(2.0)
    (x * 3).backward(gradient=seed)
    assert same_non_finite(x.grad, seed * 3)


@pytest.mark.parametrize("bad", NON_FINITE)
@pytest.mark.parametrize("on", ["intermediate", "leaf"])
def test_hook_returning_a_non_finite_gradient_names_its_node(bad, on):
    x = Value(2.0, "x")
    h = labelled(x * 3, "h")
    (h if on == "intermediate" else x).register_hook(lambda g: bad)
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        (h * h).backward()
    node, kind = (h, "op '*' (label 'h')") if on == "intermediate" else (x, "leaf (label 'x')")
    assert info.value.node is node
    assert str(info.value).startswith(f"{kind}: a hook gave the gradient {float(bad)!r}")


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_hook_returning_a_non_finite_gradient_without_anomaly_mode_follows_ieee(bad):
    x = Value(2.0)
    h = x * 3
    h.register_hook(lambda g: bad)
    (h * h).backward()
    assert same_non_finite(x.grad, bad * 3)


@pytest.mark.parametrize("build, name", [
    (lambda x: x * 1e308 + x * 1e308, "leaf (label 'x')"),  # x used twice: two finite contributions of 1e308
    (lambda x: vsum([x, x, x]) * 1e308, "leaf (label 'x')"),  # three, from one node
    (lambda x: (lambda h: h * 1e308 + h * 1e308)(labelled(x * 1.0, "h")), "op '*' (label 'h')"),
])
def test_finite_contributions_that_sum_to_inf_name_the_node(build, name):
    x = Value(0.5, "x")
    y = build(x)
    assert math.isfinite(y.data)
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        y.backward()
    assert str(info.value).startswith(f"{name}: the sum of the contributions from its consumers gave the gradient inf")
    x.grad = 0.0
    y.backward()  # without anomaly mode: IEEE's inf, no error
    assert x.grad == math.inf


def test_overflowing_sum_is_caught_with_create_graph_too():
    x = Value(0.5, "x")
    y = x * 1e308 + x * 1e308
    with detect_anomaly(), pytest.raises(AnomalyError):
        y.backward(create_graph=True)


# -- failure drawings: the gradients as they stood ------------------------------------------------------------


def test_a_backward_failure_keeps_the_gradients_as_they_stood_and_draws_them():
    from autograd_engine.viz import format_number

    with detect_anomaly():
        x = Value(0.0, "x")
        w = Value(3.0, "w")
        distance = labelled((x * x).sqrt(), "distance")
        loss = labelled(distance * w + w, "loss")
        with pytest.raises(AnomalyError) as info:
            loss.backward()
    err = info.value
    assert err.node is distance and err.root is loss
    square = distance.parents[0]
    # reached: loss (1), distance * w (1), distance (w = 3), w (distance + 1 = 1); the sqrt rule sent inf to x * x
    assert err.grads[loss] == 1.0 and err.grads[distance] == 3.0 and err.grads[w] == 1.0
    assert err.grads[square] == math.inf
    assert x not in err.grads  # not reached yet: drawn as 0
    assert (x.grad, w.grad, distance.grad) == (0.0, 0.0, 0.0)  # nothing written by the failed backward
    source = err.draw().source
    assert "distance | data 0.0000 | grad 3.0000" in source and "grad inf" in source
    assert "w | data 3.0000 | grad 1.0000" in source
    assert "#c0392b" in source  # the culprit in red
    assert (x.grad, w.grad, distance.grad) == (0.0, 0.0, 0.0)  # drawing left them as they were
    assert format_number(err.grads[distance]) == "3.0000"


def _failed_backward():
    """An AnomalyError from backward, and the graph's nodes each holding a .grad of their own (7.0)."""
    with detect_anomaly():
        x = Value(0.0, "x")
        w = Value(3.0, "w")
        loss = labelled(labelled((x * x).sqrt(), "distance") * w + w, "loss")
        with pytest.raises(AnomalyError) as info:
            loss.backward()
    nodes = topological_order(loss)
    for v in nodes:
        v.grad = 7.0
    return info.value, nodes


def test_drawing_a_failure_never_writes_the_graphs_own_grad(monkeypatch):
    import autograd_engine.viz as viz

    err, nodes = _failed_backward()
    draw_dot = viz.draw_dot
    seen = []

    def watching(root, **options):
        seen.append([v.grad for v in nodes])
        return draw_dot(root, **options)

    monkeypatch.setattr(viz, "draw_dot", watching)
    source = err.draw().source
    assert seen == [[7.0] * len(nodes)]  # while the drawing is made, the user's nodes hold their own .grad
    assert "distance | data 0.0000 | grad 3.0000" in source and "grad inf" in source and "#c0392b" in source


def test_a_failure_is_drawn_on_the_graph_itself_with_the_failures_gradients_and_contributions():
    err, nodes = _failed_backward()
    drawing = err.draw(edge_labels=True)
    assert set(drawing.node_ids) == set(nodes) and err.node in drawing.node_ids  # the user's nodes, no copy
    assert drawing.source == draw_dot(err.root, grads=err.grads, highlight=err, edge_labels=True).source
    distance = err.node
    product = next(v for v in nodes if distance in v.parents)
    # distance * w had gradient 1 (from loss = distance * w + w) and sent 1 * w = 3 to distance, 1 * 0 to w
    assert "∂ 3.0000\\ng·∂ 3.0000" in drawing.source and err.grads[product] == 1.0
    assert "g·∂ inf" in drawing.source  # what the sqrt rule sent to x * x when the sweep stopped
    assert all(v.grad == 7.0 for v in nodes)


def test_eight_threads_drawing_one_failure_while_backward_runs_see_their_own_gradients():
    err, nodes = _failed_backward()
    expected = err.draw().source
    loss = err.root
    sources, grads = [], []

    def draw():
        for _ in range(5):
            sources.append(err.draw().source)

    def backward():  # another thread's plain backward through the same graph (no anomaly mode)
        for _ in range(5):
            for v in nodes:
                v.grad = 0.0
            loss.backward()
            grads.append(repr([v.grad for v in nodes]))  # repr: nan == nan

    threads = [threading.Thread(target=draw) for _ in range(6)] + [threading.Thread(target=backward)
                                                                     for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sources == [expected] * 30
    assert all(g == grads[0] for g in grads) and len(grads) == 10


def test_a_hook_failure_shows_the_hooks_result_and_a_forward_failure_draws_the_node():
    with detect_anomaly():
        x = Value(2.0, "x")
        h = labelled(x * 3, "h")
        h.register_hook(lambda g: math.nan)
        with pytest.raises(AnomalyError) as info:
            (h * h).backward()
    assert math.isnan(info.value.grads[h]) and "h | data 6.0000 | grad nan" in info.value.draw().source
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        Value(-1.0, "x").log()
    assert info.value.grads is None and info.value.root is info.value.node
    assert "grad 0.0000" in info.value.draw().source


def test_a_nan_leaf_is_blamed_not_the_first_op_that_uses_it():
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        Value(1.0, "a") * Value(math.nan, "b")
    assert ("forward produced nan because its input 1 is a leaf (label 'b') holding nan: the nan came in from that "
            "input, this op did not make it") in str(info.value)


# -- in Jupyter: the user's cell, not the kernel's temporary file; no library frames ----------------------------

NOTEBOOK_CELLS = [
    "from autograd_engine import Value, detect_anomaly, gradcheck, primitive",
    "with detect_anomaly():\n    x = Value(0.0)\n    y = x.log()",
    "bad = primitive(lambda x: x * x, lambda g, x, out: g * x, name='bad_square')\ngradcheck(lambda x: bad(x), [1.5])",
    "def rule(g, x, out):\n    return g * undefined_name\nfailing = primitive(lambda x: 2 * x, rule, name='failing')\n"
    "failing(Value(1.0)).backward()",
]


@pytest.mark.notebook
def test_errors_in_a_notebook_point_at_the_cell_and_hide_the_library(tmp_path, monkeypatch):
    import os
    import re
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient

    root = str(Path(__file__).resolve().parent.parent)  # the kernel imports this checkout
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS])
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [next(o for o in cell.outputs if o.output_type == "error") for cell in nb.cells[1:]]
    tracebacks = [re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(e.traceback)) for e in errors]

    anomaly, mismatch, primitive_error = errors
    assert anomaly.ename == "AnomalyError"
    assert anomaly.evalue == ("op 'log' (no label) created at Cell In[2], line 3: forward produced -inf\n"
                              "Traceback of the node's creation (most recent call last):\n"
                              "  Cell In[2], line 3, in <module>\n"
                              "    y = x.log()")
    assert mismatch.ename == "GradcheckError" and mismatch.evalue.startswith("gradcheck failed at inputs (1.5,)")
    assert re.search(r"op 'bad_square', argument 0: rule gives 1.5, central difference gives 2.99999", mismatch.evalue)
    assert primitive_error.ename == "PrimitiveError"
    assert primitive_error.evalue == ("the derivative rule of primitive 'failing' (defined at Cell In[4], line 1) "
                                      "raised NameError: name 'undefined_name' is not defined, at Cell In[4], line 2")
    for text, line in zip(tracebacks, ("Cell In[2], line 3", "Cell In[3], line 2", "Cell In[4], line 4")):
        assert f"{line}\n" in text  # the frame of the user's cell heads the traceback
        assert "autograd_engine" not in text and "ipykernel" not in text and "site-packages" not in text
        assert "skipping hidden" not in text
    assert "Cell In[4], line 2, in rule(g, x, out)" in tracebacks[2]  # the chained NameError, at the user's line


def test_the_notebook_rendering_outside_ipython_is_pythons_without_the_engines_frames():
    with detect_anomaly():
        try:
            Value(0.0).log()
        except AnomalyError as error:
            caught = error
    text = "".join(caught._render_traceback_())
    assert "test_anomaly.py" in text and "Value(0.0).log()" in text
    assert "autograd_engine/" not in text  # no frame of the engine's files


ERROR_CASES = [
    ("anomaly-nan-seed", lambda: _in_anomaly(lambda: labelled(Value(1.0) * 2, "y").backward(math.nan)), AnomalyError,
     r"op '\*' \(label 'y'\).*: the seed passed to backward\(\) gave the gradient nan"),
    ("anomaly-inf-from-a-hook", lambda: _in_anomaly(lambda: (_hooked(math.inf) * 2).backward()), AnomalyError,
     r"leaf \(label 'x'\).*: a hook gave the gradient inf"),
    ("anomaly-overflowing-sum", lambda: _in_anomaly(lambda: (lambda x: x * 1e308 + x * 1e308)(Value(0.5, "x"))
                                                    .backward()), AnomalyError,
     r"leaf \(label 'x'\).*: the sum of the contributions from its consumers gave the gradient inf"),
    ("anomaly-forward-log-of-zero", lambda: _in_anomaly(lambda: Value(0.0).log()), AnomalyError,
     r"op 'log' \(no label\) created at .*: forward produced -inf"),
    ("AnomalyError.draw-given-a-highlight", lambda: AnomalyError("m", Value(1.0), grads={}).draw(highlight="x"),
     TypeError, r"^draw\(\) highlights the failing node itself; got highlight=str 'x' too"),
    ("AnomalyError.draw-given-grads", lambda: AnomalyError("m", Value(1.0), grads={}).draw(grads={}), TypeError,
     r"^draw\(\) shows the gradients as they stood at the failure; got grads=dict \{\} too"),
    ("AnomalyError.draw-given-a-step", lambda: AnomalyError("m", Value(1.0), grads={}).draw(step=1), TypeError,
     r"^draw\(\) shows the gradients as they stood at the failure; got step=int 1 too"),
    ("AnomalyError.draw-an-unknown-option", lambda: AnomalyError("m", Value(1.0), grads={}).draw(colour=1),
     TypeError, r"^AnomalyError.draw\(\) got an unexpected option 'colour'; it takes format, rankdir, show_grad, "
                r"max_nodes, depth, group_by, parameters and edge_labels$"),
    ("AnomalyError.draw-given-a-model", lambda: AnomalyError("m", Value(1.0), grads={}).draw(model=None), TypeError,
     r"^draw\(\) draws the failure's own graph; got model=NoneType None too \(model.draw\(output=err.root\) draws "
     r"the model's parts\)$"),
]


def _in_anomaly(call):
    with detect_anomaly():
        return call()


def _hooked(result):
    x = Value(1.0, "x")
    x.register_hook(lambda g: result)
    return x


@pytest.mark.parametrize("call, exc, pattern", [case[1:] for case in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_error_cases(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
    assert not is_anomaly_enabled()
