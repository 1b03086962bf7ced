"""Code written for micrograd 0.1.0 runs unchanged with this Value in place of micrograd's."""

import importlib
import random

import pytest

import autograd_engine


@pytest.fixture
def micrograd():
    """micrograd's modules with ``micrograd.engine.Value`` pointing at this engine's Value."""
    engine = importlib.import_module("micrograd.engine")
    nn = importlib.import_module("micrograd.nn")
    saved = engine.Value, nn.Value
    engine.Value = nn.Value = autograd_engine.Value
    yield engine, nn
    engine.Value, nn.Value = saved


def test_micrograd_sanity_check(micrograd):
    # micrograd's test/test_engine.py::test_sanity_check; the expected numbers are what its torch
    # reference prints (y = -20, dy/dx = 46), checked independently with HIPS autograd below.
    Value = micrograd[0].Value
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0 and x.grad == 46.0


def test_micrograd_more_ops(micrograd):
    import autograd
    import autograd.numpy as anp

    def expr(a, b, relu):
        c = a + b
        d = a * b + b**3
        c += c + 1
        c += 1 + c + (-a)
        d += d * 2 + relu(b + a)
        d += 3 * d + relu(b - a)
        e = c - d
        f = e**2
        g = f / 2.0
        g += 10.0 / f
        return g

    Value = micrograd[0].Value
    a, b = Value(-4.0), Value(2.0)
    g = expr(a, b, lambda v: v.relu())
    g.backward()
    ref = lambda ab: expr(ab[0], ab[1], lambda v: anp.maximum(v, 0.0))  # noqa: E731
    da, db = autograd.grad(ref)(anp.array([-4.0, 2.0]))
    tol = 1e-6  # micrograd's own tolerance
    assert abs(g.data - 24.70408163265306) < tol
    assert abs(a.grad - 138.83381924198252) < tol and abs(a.grad - da) < 1e-9
    assert abs(b.grad - 645.5772594752186) < tol and abs(b.grad - db) < 1e-9


def test_micrograd_nn_trains_on_this_engine(micrograd):
    _, nn = micrograd
    random.seed(0)
    model = nn.MLP(2, [4, 1])
    xs = [[2.0, 3.0], [-1.0, -2.0], [3.0, -1.0], [0.5, 1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(30):
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.02 * p.grad
        losses.append(loss.data)
    assert isinstance(model(xs[0]), autograd_engine.Value)
    assert losses[-1] < 0.5 * losses[0]
    assert repr(model).startswith("MLP of [Layer of [ReLUNeuron(2)")


def test_trace_graph_notebook_code_runs(micrograd):
    # the graph-tracing code of micrograd's trace_graph.ipynb reads _prev, _op, data and grad
    Value = micrograd[0].Value

    def trace(root):
        nodes, edges = set(), set()

        def build(v):
            if v not in nodes:
                nodes.add(v)
                for child in v._prev:
                    edges.add((child, v))
                    build(child)

        build(root)
        return nodes, edges

    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    nodes, edges = trace(y)
    assert len(nodes) == 6 and len(edges) == 5  # x, the constants 2 and 1, *, +, relu
    labels = sorted(f"{n._op}|{n.data:g}|{n.grad:g}" for n in nodes)
    assert labels == ["*|2|1", "+|3|1", "relu|3|1", "|1|1", "|1|2", "|2|1"]
