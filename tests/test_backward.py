"""Topological order and the reverse sweep: big graphs, shared nodes, accumulation, freeing, random DAGs."""

import gc
import math
import weakref

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from dags import programs, run
from hypothesis import HealthCheck, given, settings

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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_fast_and_general_sweeps_agree(program):
    inputs, steps = program
    leaves = [Value(x) for x in inputs]
    out = run(steps, leaves, "ours")
    general = ae.gradients(out)
    out.backward()
    assert [v.grad for v in leaves] == [general.get(v, 0.0) for v in leaves]
    assert all(v.grad == general[v] for v in topological_order(out))


def test_create_graph_writes_differentiable_gradients():
    x, y = Value(2.0), Value(-1.0)
    z = x * x * y + y.exp()
    z.backward(create_graph=True)
    gx, gy = x.grad, y.grad
    assert isinstance(gx, Value) and gx.data == -4.0  # 2xy
    assert isinstance(gy, Value) and gy.data == pytest.approx(4 + math.exp(-1))
    x.grad = y.grad = 0.0
    gx.backward()  # d/dx (2xy) = 2y, d/dy (2xy) = 2x
    assert (x.grad, y.grad) == (-2.0, 4.0)


def test_create_graph_leaves_accumulate_and_seed_may_be_a_value():
    x = Value(3.0)
    (x * x).backward(create_graph=True)
    (x * x).backward(create_graph=True, gradient=Value(0.5))
    assert isinstance(x.grad, Value) and x.grad.data == 6.0 + 3.0


# -- backward(create_graph=True) inside no_grad ---------------------------------------------------------

def test_create_graph_inside_no_grad_builds_the_derivative_graph():
    x = Value(3.0)
    y = x * x * x
    with ae.no_grad():
        y.backward(create_graph=True)
        assert not ae.is_grad_enabled()
    assert ae.is_grad_enabled()
    gx = x.grad
    assert isinstance(gx, Value) and gx.data == 27.0 and not gx.is_leaf  # 3x^2, connected to x
    x.grad = 0.0
    gx.backward()
    assert x.grad == 18.0  # d/dx 3x^2 = 6x: the second derivative is right
    with ae.no_grad():
        g = ae.gradients(y, create_graph=True)[x]
    assert g.data == 27.0 and not g.is_leaf
    x.grad = 0.0
    g.backward()
    assert x.grad == 18.0


def test_a_graph_built_inside_no_grad_has_nothing_to_differentiate():
    x = Value(3.0)
    with ae.no_grad():
        z = x * x  # a leaf: recorded nothing
        z.backward(create_graph=True)
    assert isinstance(z.grad, Value) and z.grad.data == 1.0 and x.grad == 0.0  # create_graph: Values


# -- entry points validate their input ------------------------------------------------------------------

def test_numpy_seeds_are_accepted_and_gradients_stay_float():
    x = Value(2.0)
    (x * x).backward(np.float32(0.5))
    assert x.grad == 2.0 and type(x.grad) is float
    (x * x).backward(np.int64(2))
    assert x.grad == 10.0 and type(x.grad) is float
    g = ae.gradients(x * 3, np.float64(2.0))
    assert g[x] == 6.0 and type(g[x]) is float
    assert [step.grad for step in ae.backward_steps(x * 3, np.int64(1))][-1] == 3.0


def test_stop_at_takes_any_collection_of_values():
    x = Value(2.0)
    h = x * x
    y = h * 3
    for stop_at in ([h], (h,), {h}, frozenset([h]), (v for v in [h])):
        assert ae.gradients(y, stop_at=stop_at) == {y: 1.0, y.parents[1]: h.data, h: 3.0}
    assert topological_order(y, stop_at=[h]) == [h, y.parents[1], y]


def test_backward_steps_checks_its_arguments_before_the_first_step():
    with pytest.raises(TypeError, match="root must be a Value"):
        ae.backward_steps(None)  # raised by the call, not later by iteration


_x = Value(2.0)

def test_backward_steps_with_create_graph_stay_connected_when_consumed_inside_no_grad():
    x = Value(3.0)
    y = x**3
    with ae.no_grad():
        steps = list(ae.backward_steps(y, create_graph=True))
        assert not ae.is_grad_enabled()
    gx = next(s.grad for s in steps if s.node is x)
    assert isinstance(gx, Value) and gx.data == 27.0 and not gx.is_leaf
    gx.backward()
    assert x.grad == 18.0


def test_create_graph_gradients_are_values_even_where_a_rule_gives_a_constant():
    x = Value(-1.0)
    x.relu().backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 0.0
    x.grad.backward()  # a constant: nothing to do, but no AttributeError
    z = Value(2.0)
    g = ae.gradients(abs(z) + z**0, create_graph=True)
    assert all(isinstance(v, Value) for v in g.values()) and g[z].data == 1.0


def test_stop_at_takes_any_collection_of_values_numpy_arrays_included():
    x, y = Value(1.0), Value(2.0)
    z = x * y
    assert ae.gradients(z * 3, stop_at=np.array([z], dtype=object))[z] == 3.0
    assert ae.gradients(z, stop_at=np.array([], dtype=object))[x] == 2.0
    assert len(topological_order(z * 3, stop_at=[z])) == 3


ERROR_CASES = [
    ("gradients-stop_at-holds-a-float", lambda: ae.gradients(Value(1.0) * 2, stop_at=[1.0]), TypeError,
     r"stop_at must be a collection of Values, got float 1.0 at position 0"),
    ("topological_order-none", lambda: topological_order(None), TypeError,
     r"^root must be a Value, got NoneType None$"),
    ("topological_order-a-list", lambda: topological_order([_x]), TypeError, r"root must be a Value, got list \["),
    ("gradients-an-int", lambda: ae.gradients(5), TypeError, r"^root must be a Value, got int 5$"),
    ("backward_steps-a-str", lambda: ae.backward_steps("x"), TypeError, r"^root must be a Value, got str 'x'$"),
    ("backward-seed-a-str", lambda: (_x * 2).backward("1"), TypeError, r"gradient must be a real number, got str '1'"),
    ("backward-seed-none", lambda: (_x * 2).backward(None), TypeError, r"gradient must be a real number, got NoneType"),
    ("backward-seed-a-bool", lambda: (_x * 2).backward(True), TypeError,
     r"gradient must be a real number, got bool True"),
    ("backward-seed-an-array", lambda: (_x * 2).backward(np.array(1.0)), TypeError,
     r"gradient must be a real number, got ndarray"),
    ("backward-seed-a-value-without-create_graph", lambda: (_x * 2).backward(Value(1.0)), TypeError,
     r"gradient must be a real number, got Value"),
    ("backward-seed-a-str-with-create_graph", lambda: (_x * 2).backward("1", create_graph=True), TypeError,
     r"gradient must be a real number or a Value, got str '1'"),
    ("backward-seed-too-big", lambda: (_x * 2).backward(10**400), ValueError,
     r"gradient must be a number that fits in a float"),
    ("backward-create_graph-an-int", lambda: (_x * 2).backward(create_graph=1), TypeError,
     r"create_graph must be a bool.*got int 1"),
    ("topological_order-stop_at-an-int", lambda: topological_order(_x * 2, stop_at=5), TypeError,
     r"^stop_at must be a collection of Values, got int 5$"),
    ("topological_order-stop_at-a-value", lambda: topological_order(_x * 2, stop_at=_x), TypeError,
     r"^stop_at must be a collection of Values, got Value "),
    ("gradients-stop_at-of-numbers", lambda: ae.gradients(_x * 2, stop_at=[1.0]), TypeError,
     r"^stop_at must be a collection of Values, got float 1.0 at position 0$"),
    ("backward_steps-stop_at-none", lambda: ae.backward_steps(_x * 2, stop_at=None), TypeError,
     r"^stop_at must be a collection of Values, got NoneType None$"),
    ("gradients-create_graph-a-str", lambda: ae.gradients(_x * 2, create_graph="yes"), TypeError,
     r"create_graph must be a bool.*got str 'yes'"),
]


@pytest.mark.parametrize("call, exc, pattern", [case[1:] for case in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_error_cases(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
    assert _x.grad == 0.0  # nothing was written before the error


def test_create_graph_under_no_grad_keeps_every_field_of_the_callers_mode():
    # the sweep turns recording on for its own nodes and must leave the rest of the mode (a trace ...) alone
    from dataclasses import replace

    from autograd_engine.modes import current_mode

    seen = []
    x = ae.Value(2.0)
    y = x * x
    y.register_hook(lambda g: seen.append(current_mode.get()) or g)
    marker = object()
    outer = current_mode.get()
    token = current_mode.set(replace(outer, grad=False, trace=marker))
    try:
        list(ae.backward_steps(y, create_graph=True))  # consumed inside the caller's mode
    finally:
        current_mode.reset(token)
    assert seen and seen[0].grad is True and seen[0].trace is marker
