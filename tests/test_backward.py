"""Topological order and the reverse sweep: big graphs, shared nodes, accumulation, freeing, random DAGs."""

import gc
import math
import weakref

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import a_logsumexp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_engine as ae
from autograd_engine import Value, gradcheck, numerical_jacobian, topological_order, vsum


def test_topological_order_parents_first_each_node_once():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert len(order) == len(set(order)) == 5 and order[-1] is e
    pos = {v: i for i, v in enumerate(order)}
    for v in order:
        assert all(pos[p] < pos[v] for p in v.parents)


@pytest.mark.slow
def test_chain_of_a_million_ops_without_recursion():
    c, d = Value(0.999999), Value(1e-6)
    x = y = Value(1.0)
    for _ in range(500_000):  # two ops a step
        y = y * c + d
    y.backward()
    assert x.grad == pytest.approx(0.999999**500_000, rel=1e-9)
    assert c.grad > 0 and d.grad > 0


@pytest.mark.slow
def test_wide_node_of_100k_parents():
    xs = [Value(float(i)) for i in range(100_000)]
    s = vsum(x * x for x in xs)
    s.backward()
    assert s.data == sum(float(i) ** 2 for i in range(100_000))
    assert all(x.grad == 2 * x.data for x in xs)


def test_diamond():
    x = Value(3.0)
    a, b = x * 2, x * x
    y = a * b  # 2x * x^2 = 2 x^3
    y.backward()
    assert x.grad == 6 * 9.0


def test_repeated_parent_counts_twice():
    a = Value(-3.0)
    (a * a).backward()
    assert a.grad == -6.0
    b = Value(2.0)
    (b + b + b).backward()
    assert b.grad == 3.0


def test_repeated_backward_accumulates_on_leaves_exactly():
    x, w = Value(2.0), Value(-1.5)
    h = (x * w).tanh()
    y = h * h
    y.backward()
    gx, gw, gh = x.grad, w.grad, h.grad
    y.backward()
    assert (x.grad, w.grad) == (2 * gx, 2 * gw)
    assert h.grad == gh  # intermediates hold the latest call's gradient
    z = h * 3
    z.backward()
    assert h.grad == 3.0


def test_gradient_seed_and_leaf_root():
    x = Value(2.0)
    (x * x).backward(gradient=0.5)
    assert x.grad == 2.0
    x.backward()
    assert x.grad == 3.0
    with pytest.raises(TypeError, match="gradient must be a real number"):
        (x * x).backward("1")


def test_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        nodes = [x]
        y = x
        for i in range(100):
            y = (y * 1.01 + i).tanh()
            nodes.append(y)
        y = ae.vsum([y, y.exp(), *ae.softmax([y, x])])
        nodes.append(y)
        y.backward()
        refs = [weakref.ref(v) for v in topological_order(y)]
        del x, y, nodes
        assert [r for r in refs if r() is not None] == []
    finally:
        gc.enable()


def test_no_grad_results_are_leaves():
    x = Value(2.0)
    with ae.no_grad():
        y = x * x + 1
    assert y.is_leaf and y.data == 5.0 and y.parents == ()
    y.backward()
    assert x.grad == 0.0



# -- random expression DAGs: HIPS autograd and central differences as oracles -----------------------

def _smooth_log(a):
    return a * a + 1


# name -> (arity, this engine, HIPS autograd). Every op keeps values bounded so deep graphs stay finite.
RANDOM_OPS = {
    "add": (2, lambda a, b: a + b, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (1 + b * b), lambda a, b: a / (1 + b * b)),
    "pow": (2, lambda a, b: (a * a + 1) ** b.tanh(), lambda a, b: (a * a + 1) ** anp.tanh(b)),
    "tanh": (1, lambda a: a.tanh(), anp.tanh),
    "sin": (1, lambda a: a.sin(), anp.sin),
    "cos": (1, lambda a: a.cos(), anp.cos),
    "sigmoid": (1, lambda a: a.sigmoid(), lambda a: 1 / (1 + anp.exp(-a))),
    "exp_tanh": (1, lambda a: a.tanh().exp(), lambda a: anp.exp(anp.tanh(a))),
    "log": (1, lambda a: _smooth_log(a).log(), lambda a: anp.log(a * a + 1)),
    "sqrt": (1, lambda a: (a * a + 1).sqrt(), lambda a: anp.sqrt(a * a + 1)),
    "softplus": (1, lambda a: a.softplus(), lambda a: anp.logaddexp(0.0, a)),
    "square": (1, lambda a: a**2, lambda a: a**2),
    "recip": (1, lambda a: (a * a + 1) ** -1.5, lambda a: (a * a + 1) ** -1.5),
    "vsum": (3, lambda a, b, c: ae.vsum([a, b, c]), lambda a, b, c: a + b + c),
    "dot": (4, lambda a, b, c, d: ae.dot([a, b], [c, d]), lambda a, b, c, d: a * c + b * d),
    "lse": (3, lambda a, b, c: ae.logsumexp([a, b, c]), lambda a, b, c: a_logsumexp(anp.array([a, b, c]))),
    "softmax0": (2, lambda a, b: ae.softmax([a, b])[0], lambda a, b: anp.exp(a) / (anp.exp(a) + anp.exp(b))),
    "scale": (1, lambda a: 0.5 * a - 1, lambda a: 0.5 * a - 1),
}


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(1, 4))
    inputs = draw(st.lists(st.floats(-2, 2), min_size=n_inputs, max_size=n_inputs))
    steps = []
    for k in range(draw(st.integers(1, 14))):
        name = draw(st.sampled_from(sorted(RANDOM_OPS)))
        arity = RANDOM_OPS[name][0]
        # arguments index any earlier node: inputs and results are shared freely, repeats allowed
        args = draw(st.lists(st.integers(0, n_inputs + k - 1), min_size=arity, max_size=arity))
        steps.append((name, args))
    return inputs, steps


def run(program_steps, xs, engine):
    nodes = list(xs)
    for name, args in program_steps:
        fn = RANDOM_OPS[name][1 if engine == "ours" else 2]
        nodes.append(fn(*[nodes[i] for i in args]))
    return nodes[-1] + 0.1 * nodes[-2]  # two outputs mixed, so more paths matter


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_random_dags_match_hips_autograd(program):
    inputs, steps = program
    leaves = [Value(x) for x in inputs]
    out = run(steps, leaves, "ours")
    out.backward()
    ours = [v.grad for v in leaves]
    ref_fn = lambda arr: run(steps, [arr[i] for i in range(len(inputs))], "hips")  # noqa: E731
    expected_value = ref_fn(anp.array(inputs))
    expected = autograd.grad(ref_fn)(anp.array(inputs))
    assert out.data == pytest.approx(float(expected_value), rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(ours, expected, rtol=1e-8, atol=1e-8)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_random_dags_match_central_differences(program):
    inputs, steps = program

    def f(*xs):
        return run(steps, list(xs), "ours")

    numeric = numerical_jacobian(f, inputs, eps=1e-6)[0]
    assert all(math.isfinite(v) for v in numeric)
    assert gradcheck(f, inputs, atol=1e-4, rtol=1e-3)
