"""trace() and Program: batched forward and backward equal the scalar engine sample by sample."""

import math
import threading

import numpy as np
import pytest
from dags import programs, run
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_engine as ae
from autograd_engine import OPS, TracerError, Value, apply, stop_gradient, trace
from autograd_engine.compile import BATCHED, _physical_memory, batched_op
from autograd_engine.ops import BINARY, NARY, PARAM, call_forward, call_vjp

HERE = __file__.rsplit("/", 1)[-1]


def scalar_run(f, inputs, seeds=None):
    """``f`` on fresh Values: (outputs as floats, gradient of sum(seed * output) per input) — the reference."""
    leaves = [[Value(v) for v in x] if isinstance(x, list) else Value(x) for x in inputs]
    out = f(*leaves)
    outs = out if isinstance(out, list) else [out]
    seeds = [1.0] * len(outs) if seeds is None else seeds
    total = ae.vsum([o * s for o, s in zip(outs, seeds) if isinstance(o, Value)] or [Value(0.0)])
    total.backward()
    grads = [[v.grad for v in x] if isinstance(x, list) else x.grad for x in leaves]
    return [o.data if isinstance(o, Value) else float(o) for o in outs], grads


def close(got, want, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol=rtol, atol=atol, equal_nan=True)


def batched_check(f, example, samples, seeds=None):
    """prog over the batch ``samples`` (a list of input lists) vs the scalar engine, sample by sample."""
    prog = trace(f, *example)
    len(samples)
    cols = []
    for pos in range(len(example)):
        vals = [s[pos] for s in samples]
        cols.append(np.array(vals, float).T if isinstance(example[pos], list) else np.array(vals, float))
    out, grads = prog.value_and_grad(*cols, seed=seeds)
    outs = out if isinstance(out, list) else [out]
    for b, sample in enumerate(samples):
        want_out, want_grads = scalar_run(f, sample, None if seeds is None else [1.0] * len(outs))
        for o, w in zip(outs, want_out):
            close(o[b] if isinstance(o, np.ndarray) else o, w)
        for g, w in zip(grads, want_grads):
            close(g[..., b], w)
    return prog


# -- the basics ------------------------------------------------------------------------------------------


def test_docstring_example_and_shapes():
    prog = trace(lambda x, y: x * y + 1, 2.0, 3.0)
    out = prog(2.0, np.array([1.0, 2.0, 3.0]))
    close(out, [3.0, 5.0, 7.0])
    assert prog(2.0, 3.0) == 7.0 and type(prog(2.0, 3.0)) is float
    out, (gx, gy) = prog.value_and_grad(2.0, np.array([1.0, 2.0, 3.0]))
    assert gx == 6.0 and type(gx) is float  # broadcast: summed over the batch
    close(gy, [2.0, 2.0, 2.0])
    assert prog.n_inputs == 2 and prog.input_names == ("x", "y") and prog.nodes == 2
    assert prog.output_names == ("out",)


def test_vector_inputs_and_structured_outputs_with_seeds():
    def f(w, x):
        h = [ae.tanh(w[0] * x[0] + w[1] * x[1]), ae.relu(w[1] - x[0])]
        return (h, [h[0] * h[1]])

    prog = trace(f, [0.5, -1.0], [1.0, 2.0])
    assert prog.output_names == ("out[0][0]", "out[0][1]", "out[1][0]")
    w = np.array([0.3, -0.7])
    x = np.array([[1.0, -2.0, 0.5], [2.0, 0.1, -1.0]])
    seeds = [1.0, np.array([0.5, 2.0, -1.0]), 3.0]
    (h, (p,)), (gw, gx) = prog.value_and_grad(w, x, seed=seeds)
    assert isinstance(h, list) and len(h) == 2
    gw_want = np.zeros(2)
    for b in range(3):
        sample_seeds = [1.0, seeds[1][b], 3.0]

        def g(w_, x_):
            (h0, h1), (p_,) = f(w_, x_)
            return [h0, h1, p_]

        outs, grads = scalar_run(g, [list(w), list(x[:, b])], sample_seeds)
        close([h[0][b], h[1][b], p[b]], outs)
        close(gx[:, b], grads[1])
        gw_want += grads[0]
    close(gw, gw_want)
    assert gw.shape == (2,) and gx.shape == (2, 3)


def test_a_broadcast_input_gets_the_sum_of_the_per_sample_gradients():
    prog = trace(lambda w, x: ae.tanh(w[0] * x + w[1]) * w[0], [0.5, 0.1], 1.0)
    x = np.linspace(-2, 2, 7)
    w = np.array([0.5, 0.1])
    out_b, (gw_b, gx_b) = prog.value_and_grad(np.repeat(w[:, None], 7, axis=1), x)
    out, (gw, gx) = prog.value_and_grad(w, x)
    assert gw_b.shape == (2, 7) and gw.shape == (2,)
    close(out, out_b)
    close(gw, gw_b.sum(axis=1), rtol=1e-14)
    close(gx, gx_b)


def test_wrt_skips_other_gradients():
    prog = trace(lambda a, b: a * b, 2.0, 3.0)
    _out, grads = prog.value_and_grad(np.array([1.0, 2.0]), 3.0, wrt=(1,))
    assert grads[0] is None and grads[1] == 3.0


def test_constants_closed_over_values_and_numbers_are_baked_in():
    c = Value(4.0)
    prog = trace(lambda x: x**2 + c * x + 1.5, 1.0)
    c.data = 100.0  # the program keeps the value seen while tracing
    close(prog(np.array([1.0, 2.0])), [6.5, 13.5])


def test_outputs_that_are_inputs_or_constants():
    prog = trace(lambda x, y: [x, 2.0, Value(3.0), y * 1.0], 1.0, 2.0)
    out, grads = prog.value_and_grad(np.array([1.0, 5.0]), 2.0, seed=[1.0, 1.0, 1.0, np.array([1.0, 2.0])])
    close(out[0], [1.0, 5.0])
    assert out[1] == 2.0 and out[2] == 3.0
    close(out[3], 2.0)
    close(grads[0], [1.0, 1.0])
    assert grads[1] == 3.0


# -- random DAGs: every primitive ---------------------------------------------------------------------------


@settings(max_examples=40)
@given(programs(), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_random_dags_match_the_scalar_engine(program, shifts):
    inputs, steps = program

    def f(*xs):
        return run(steps, list(xs), "ours")

    samples = [[x + s for x in inputs] for s in shifts]
    batched_check(f, inputs, samples)


# Every op of the table, each applied so that its domain is respected and values stay bounded.
ALL_OPS = {
    "+": (2, lambda a, b: a + b), "-": (2, lambda a, b: a - b), "*": (2, lambda a, b: a * b),
    "/": (2, lambda a, b: a / (1 + b * b)), "neg": (1, lambda a: -a),
    "pow": (2, lambda a, b: (a * a + 1) ** b.tanh()), "**": (1, lambda a: (a * a + 0.5) ** -1.5),
    "exp": (1, lambda a: a.tanh().exp()), "log": (1, lambda a: (a * a + 1).log()),
    "sqrt": (1, lambda a: (a * a + 1).sqrt()), "tanh": (1, lambda a: a.tanh()), "sigmoid": (1, lambda a: a.sigmoid()),
    "relu": (1, lambda a: a.relu()), "leaky_relu": (1, lambda a: a.leaky_relu(0.2)),
    "softplus": (1, lambda a: a.softplus()), "sin": (1, lambda a: a.sin()), "cos": (1, lambda a: a.cos()),
    "abs": (1, lambda a: abs(a)), "sum": (3, lambda a, b, c: ae.vsum([a, b, c])),
    "dot": (4, lambda a, b, c, d: ae.dot([a, b], [c, d])), "logsumexp": (3, lambda a, b, c: ae.logsumexp([a, b, c])),
    "softmax": (2, lambda a, b: ae.softmax([a, b])[1]), "identity": (1, lambda a: apply("identity", a)),
    "maximum": (2, lambda a, b: ae.maximum(a, b)), "stop_gradient": (1, lambda a: ae.stop_gradient(a) * a),
}


def test_all_ops_strategy_covers_the_table():
    assert sorted(ALL_OPS) == sorted(OPS)


@st.composite
def all_op_programs(draw):
    n_inputs = draw(st.integers(1, 4))
    inputs = draw(st.lists(st.floats(-2, 2), min_size=n_inputs, max_size=n_inputs))
    steps = []
    for k in range(draw(st.integers(1, 12))):
        name = draw(st.sampled_from(sorted(ALL_OPS)))
        args = draw(st.lists(st.integers(0, n_inputs + k - 1), min_size=ALL_OPS[name][0], max_size=ALL_OPS[name][0]))
        steps.append((name, args))
    return inputs, steps


def run_all(steps, xs):
    nodes = list(xs)
    for name, args in steps:
        out = ALL_OPS[name][1](*[nodes[i] for i in args])
        nodes.append(out.tanh() * 2)  # bounded, so deep programs stay finite
    return [nodes[-1], nodes[-1] * 0.5 + nodes[len(xs) - 1]]


@settings(max_examples=60)
@given(all_op_programs(), st.lists(st.floats(-2, 2), min_size=2, max_size=2))
def test_random_programs_of_every_op_match_the_scalar_engine(program, shifts):
    inputs, steps = program
    samples = [[x + s for x in inputs] for s in shifts]
    batched_check(lambda *xs: run_all(steps, xs), inputs, samples, seeds=[1.0, 1.0])


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_has_a_batched_rule_that_agrees_with_the_scalar_rule(name, rng):
    from conftest import sample_args

    op = OPS[name]
    assert name in BATCHED  # every built-in op is vectorised
    rule = batched_op(op)
    assert rule.vectorised
    _agree(op, rule, rng, sample_args)


def _agree(op, rule, rng, sample_args):
    samples = [sample_args(op, rng) for _ in range(5)]
    param = samples[0][1]
    samples = [(a, param) for a, _ in samples]
    cols = np.array([a for a, _ in samples]).T  # (n_args, samples)
    g = np.linspace(0.5, 2.0, len(samples))[None, :]
    extra = (param,) if op.kind is PARAM and rule.vectorised else ()
    if op.kind is NARY:
        xs = cols[None]
        out = rule.forward(xs)
        grads = np.asarray(rule.vjp(g, xs, out))[0]
        out = out[0]
    else:
        args = [c[None, :] for c in cols]
        out = rule.forward(*args, *extra)
        res = rule.vjp(g, *args, *extra, out)
        grads = np.array([np.broadcast_to(r, out.shape)[0] for r in (res if op.kind is BINARY else (res,))])
        out = out[0]
    for b, (args, c) in enumerate(samples):
        want = call_forward(op, args, c)
        close(out[b], want)
        close(grads[:, b], call_vjp(op, g[0, b], args, want, c))


def test_relu_batched_rules_keep_the_float_rules_edge_cases():
    rule = BATCHED["relu"]
    x = np.array([[-1.0, 1.0, math.nan, -0.0, 0.0]])
    out = rule.forward(x)
    assert [call_forward(OPS["relu"], [v]) for v in x[0]] == pytest.approx(list(out[0]), nan_ok=True)
    g = np.array([[math.inf, math.inf, math.inf, math.nan, 1.0]])
    want = [call_vjp(OPS["relu"], gv, [xv], ov)[0] for gv, xv, ov in zip(g[0], x[0], out[0])]
    assert list(rule.vjp(g, x, out)[0]) == pytest.approx(want, nan_ok=True)


def test_an_op_without_a_numpy_rule_runs_element_by_element(fresh_ops, rng):
    from conftest import sample_args

    cube = ae.primitive(lambda x: x**3, vjp=lambda g, x, out: g * 3 * x * x, name="cube3")
    rule = batched_op(OPS["cube3"])
    assert not rule.vectorised
    _agree(OPS["cube3"], rule, rng, sample_args)
    prog = batched_check(lambda x: cube(x.sin()) + x, [0.3], [[0.3], [-1.2], [2.0]])
    assert "element by element" in prog.summary()


# -- fusion, liveness ------------------------------------------------------------------------------------


def mlp(widths):
    rng = np.random.default_rng(0)
    sizes = [2, *widths]
    params = [[[Value(rng.normal()) for _ in range(sizes[i] + 1)] for _ in range(sizes[i + 1])]
              for i in range(len(widths))]

    def f(x):
        h = x
        for li, layer in enumerate(params):
            h = [ae.dot(n[:-1], h) + n[-1] for n in layer]
            if li < len(params) - 1:
                h = [v.relu() for v in h]
        return h[0]

    return f


def test_mlp_kernel_count_does_not_depend_on_width():
    counts = {w: len(trace(mlp([w, w, 1]), [0.1, 0.2]).kernels) for w in (4, 16, 64)}
    assert len(set(counts.values())) == 1, counts
    prog = trace(mlp([16, 16, 1]), [0.1, 0.2])
    assert [(k.op, k.width) for k in prog.kernels] == [("dot", 16), ("+", 16), ("relu", 16), ("dot", 16),
                                                       ("+", 16), ("relu", 16), ("dot", 1), ("+", 1)]


def test_mlp_matches_the_scalar_engine():
    f = mlp([8, 8, 1])
    rng = np.random.default_rng(1)
    batched_check(f, [[0.1, 0.2]], [[list(rng.normal(size=2))] for _ in range(5)])


def test_forward_memory_follows_width_not_length():
    def chain(x):
        for _ in range(2000):
            x = x.sin()
        return x

    prog = trace(chain, 0.5)
    assert prog.nodes == 2000
    text = prog.summary()
    rows = int(text.rsplit("forward buffer ", 1)[1].split()[0])
    assert rows == 2  # the input and the current link of the chain
    x = np.array([0.5, -1.0])
    want = [chain(Value(v)).data for v in x]
    close(prog(x), want)


# -- TracerError -----------------------------------------------------------------------------------------


_grad_param = Value(2.0)  # an input Value with a gradient of its own (as a model's parameter has)
_grad_param.grad = 0.5


def _line_of(text):
    import inspect

    src, start = inspect.getsourcelines(_branches)
    for k, line in enumerate(src):
        if text in line:
            return start + k
    raise AssertionError(text)


def _branches(kind, x):
    if kind == "gt":
        return x if x > 0 else -x  # marker-gt
    if kind == "bool":
        return x if bool(x) else -x  # marker-bool
    if kind == "data":
        return x * x.data  # marker-data
    if kind == "float":
        return x * math.exp(x)  # marker-float
    if kind == "max":
        return max(x, 0.0)  # marker-max
    if kind == "no_grad":
        with ae.no_grad():
            return x * 2  # marker-no_grad
    if kind == "grad":
        return x * x.grad  # marker-grad
    if kind == "grad_param":
        return x * _grad_param.grad  # marker-grad_param: an earlier backward's gradient would be baked in
    raise AssertionError(kind)


@pytest.mark.parametrize("kind, words", [
    ("gt", r"comparing a traced Value \(>\).*use relu, abs or maximum"),
    ("bool", r"bool\(\) of a traced Value"),
    ("data", r"reading \.data of a traced Value.*stop_gradient"),
    ("float", r"float\(\) of a traced Value"),
    ("max", r"comparing a traced Value"),
    ("no_grad", r"under no_grad\(\).*stop_gradient"),
    ("grad", r"reading \.grad of a traced Value.*value_and_grad"),
    ("grad_param", r"reading \.grad of a traced Value"),
])
def test_tracer_errors_name_the_users_line(kind, words):
    with pytest.raises(TracerError, match=words) as info:
        trace(lambda x, w: _branches(kind, x), 1.0, _grad_param)
    msg = str(info.value)
    assert f"{HERE}:{_line_of('marker-' + kind)}:" in msg and "\n" not in msg
    assert isinstance(info.value, TypeError)


def test_assigning_data_of_a_traced_value_is_refused():
    def f(x):
        x.data = 2.0  # marker-assign
        return x

    with pytest.raises(TracerError, match=r"assigning \.data of a traced Value") as info:
        trace(f, 1.0)
    assert f"{HERE}:{f.__code__.co_firstlineno + 1}:" in str(info.value)


def test_a_library_layer_reading_data_is_reported_at_the_users_line():
    layer = {"__name__": "nn.some_layer"}  # code that runs as part of the nn package
    exec("def shift(v):\n    return v - v.data\n", layer)

    def model(x):
        return layer["shift"](x * 2)  # the user's line

    with pytest.raises(TracerError, match=r"reading \.data") as info:
        trace(model, 1.0)
    assert f"{HERE}:{model.__code__.co_firstlineno + 1}:" in str(info.value)


def test_outside_trace_comparisons_and_data_work_as_before():
    x = Value(2.0)
    assert (x > 0) is True and x.data == 2.0 and bool(x)
    prog = trace(lambda v: v * 2, 1.0)
    assert prog(3.0) == 6.0
    y = Value(1.0)
    trace(lambda v: v * 2, y)
    assert type(y) is Value and y.data == 1.0 and (y < 2)


def test_engine_reads_of_closed_over_values_do_not_trip():
    w = Value(3.0)

    def f(x):
        assert w.data == 3.0 and w > 0  # not traced: a constant of the program
        return x * w

    prog = trace(f, 1.0)
    assert prog(2.0) == 6.0


def test_values_given_as_inputs_are_the_inputs():
    w = Value(3.0)

    def f(p, x):
        return w * x  # reaches the input by closure

    prog = trace(f, w, 1.0)
    out, (gw, gx) = prog.value_and_grad(np.array([1.0, 2.0]), 5.0)
    close(out, [5.0, 10.0])
    close(gw, [5.0, 5.0])
    assert gx == 3.0


def test_what_f_raises_propagates_unchanged_and_leaves_no_traced_values():
    w = Value(2.0)
    with pytest.raises(ZeroDivisionError):
        trace(lambda p, x: (p * x, 1 / 0), w, 1.0)
    assert type(w) is Value and (w > 1) and w.data == 2.0


def test_a_transform_inside_the_traced_function_is_traced_too():
    prog = trace(lambda x, y: ae.grad(lambda a, b: a * b.sin() * a, argnums=(0, 1))(x, y), 2.0, 1.0)
    x = np.array([1.0, 2.0, 3.0])
    da, db = prog(x, 0.5)
    close(da, 2 * x * math.sin(0.5))
    close(db, x * x * math.cos(0.5))
    _, (gx, gy) = prog.value_and_grad(x, 0.5, seed=[1.0, 0.0])  # d/dx of d/da: 2 sin(b)
    close(gx, [2 * math.sin(0.5)] * 3)
    close(gy, 2 * x.sum() * math.cos(0.5))


def test_trace_under_no_grad_still_records():
    with ae.no_grad():
        prog = trace(lambda x: x * x, 1.0)
    assert prog.nodes == 1 and prog(3.0) == 9.0


def test_nan_and_inf_propagate():
    prog = trace(lambda x: x.log() * 2, 1.0)
    out = prog(np.array([math.nan, math.inf, -1.0, 0.0]))
    assert math.isnan(out[0]) and out[1] == math.inf and math.isnan(out[2]) and out[3] == -math.inf


def test_calls_from_eight_threads_agree():
    f = mlp([8, 8, 1])
    prog = trace(f, [0.1, 0.2])
    rng = np.random.default_rng(3)
    batches = [rng.normal(size=(2, 10 + k)) for k in range(8)]
    want = [prog.value_and_grad(b) for b in batches]
    got = [None] * 8

    def work(k):
        for _ in range(20):
            got[k] = prog.value_and_grad(batches[k])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (o, (g,)), (wo, (wg,)) in zip(got, want):
        assert np.array_equal(o, wo) and np.array_equal(g, wg)


def test_traces_from_several_threads_over_shared_parameters_agree():
    params = [Value(v) for v in np.linspace(-1, 1, 6)]

    def f(p, x):
        return ae.tanh(ae.dot(p[:2], x) + p[2]) * p[3] + ae.relu(ae.dot(p[4:], x))

    progs = [None] * 6

    def work(k):
        progs[k] = trace(f, params, [0.1 * k, 0.2])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    x = np.array([[0.5, -1.0], [2.0, 0.3]])
    p = np.linspace(-1, 1, 6)
    want = progs[0].value_and_grad(p, x)
    for prog in progs:
        assert prog.nodes == 7
        got = prog.value_and_grad(p, x)
        assert np.array_equal(got[0], want[0]) and all(np.array_equal(a, b) for a, b in zip(got[1], want[1]))
    assert all(type(v) is Value for v in params)


def test_repr_summary_and_to_dot():
    prog = trace(mlp([4, 4, 1]), [0.1, 0.2])
    assert repr(prog) == "<Program f(x): 26 nodes in 8 kernels, 1 output(s)>"
    text = prog.summary()
    assert "relu" in text and "26 nodes, 8 kernels" in text
    dot = prog.to_dot()
    assert dot.source.count("shape=box") == 8


def test_to_torch_matches_value_and_grad():
    torch = pytest.importorskip("torch")
    f = mlp([8, 8, 1])

    def g(x, w):
        return [f(x) * w[0] + ae.maximum(x[0], w[1]).sigmoid(), ae.stop_gradient(x[1]) * x[1]]

    prog = trace(g, [0.1, 0.2], [1.0, 0.5])
    rng = np.random.default_rng(4)
    x, w = rng.normal(size=(2, 6)), np.array([0.7, -0.2])
    (o1, o2), (gx, gw) = prog.value_and_grad(x, w, seed=[1.0, 1.0])
    tf = prog.to_torch()
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    t1, t2 = tf(xt, wt)
    (t1.sum() + t2.sum()).backward()
    close(t1.detach().numpy(), o1, rtol=1e-10, atol=1e-10)
    close(t2.detach().numpy(), o2, rtol=1e-10, atol=1e-10)
    close(xt.grad.numpy(), gx, rtol=1e-10, atol=1e-10)
    close(wt.grad.numpy(), gw, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("n, batch", [(3, 5), (5, 3), (3, 1), (1, 4)])
def test_to_torch_broadcast_weights_times_a_batch_of_another_length(n, batch):
    torch = pytest.importorskip("torch")
    prog = trace(lambda w, x, b: ae.dot(w, x) + b + ae.vsum(w) * ae.maximum(w[0], x[0]), [1.0] * n, [1.0] * n, 0.5)
    w, x = np.arange(1.0, n + 1), np.arange(n * batch, dtype=float).reshape(n, batch) - 2.0
    out, (gw, gx, gb) = prog.value_and_grad(w, x, 0.5)
    wt, xt, bt = (torch.tensor(a, requires_grad=True) for a in (w, x, 0.5))
    ot = prog.to_torch()(wt, xt, bt)
    assert tuple(ot.shape) == (batch,)
    ot.sum().backward()
    close(ot.detach().numpy(), out)
    for t, want in ((wt, gw), (xt, gx), (bt, gb)):
        assert tuple(t.grad.shape) == np.shape(want)
        close(t.grad.numpy(), want)


def test_a_program_pickled_or_copied_runs_the_same():
    import copy
    import pickle

    prog = trace(mlp([4, 1]), [0.1, 0.2])  # f is a closure: only its name is kept
    x = np.random.default_rng(5).normal(size=(2, 7))
    want = prog.value_and_grad(x)
    for other in (pickle.loads(pickle.dumps(prog)), copy.deepcopy(prog), copy.copy(prog)):
        assert repr(other) == repr(prog) and other.summary() == prog.summary()
        got = other.value_and_grad(x)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1][0], want[1][0])


def test_numpy_examples_0d_arrays_and_scalars_are_numbers():
    prog = trace(lambda x, v: x * v[0] + v[1], np.array(2.0), np.array([1, 2], dtype=np.int32))
    assert prog.input_sizes == (None, 2)
    close(prog(np.array(3.0), np.array([2.0, 1.0])), 7.0)
    prog = trace(lambda x: x * 2, np.float32(1.5))
    close(prog(np.arange(3.0)), [0.0, 2.0, 4.0])


_prog = trace(lambda x, v: x * v[0] + v[1], 1.0, [1.0, 2.0])

ERROR_CASES = [
    ("trace-f-none", lambda: trace(None, 1.0), TypeError, r"^f must be callable, got NoneType None$"),
    ("trace-input-a-str", lambda: trace(lambda x: x, "1"), TypeError,
     r"^example input 'x' must be a number, a Value or a sequence of them, got str '1'$"),
    ("trace-input-a-bool", lambda: trace(lambda x: x, True), TypeError,
     r"^example input 'x' must be a number, a Value or a sequence of them, got bool True$"),
    ("trace-input-none", lambda: trace(lambda x: x, None), TypeError, r"^example input 'x' must be a number"),
    ("trace-input-item-a-bool", lambda: trace(lambda x: x[0], [1.0, False]), TypeError,
     r"^example input 'x\[1\]' must be a number, a Value or a sequence of them, got bool False$"),
    ("trace-input-0d-bool-array", lambda: trace(lambda x: x, np.array(True)), TypeError,
     r"^example input 'x' must be a number, a Value or a sequence of them, got ndarray"),
    ("trace-input-2d-array", lambda: trace(lambda x: x, np.ones((2, 2))), TypeError,
     r"^example input 'x' must be a number, a Value or a sequence of them, got ndarray"),
    ("trace-input-complex", lambda: trace(lambda x: x, 1j), TypeError,
     r"^example input 'x' must be a number, a Value or a sequence of them, got complex 1j$"),
    ("trace-input-empty-vector", lambda: trace(lambda x: 1.0, []), ValueError,
     r"^example input 'x' is an empty sequence"),
    ("trace-input-same-value-twice", lambda: trace(lambda a, b: a * b, _prog_value, _prog_value), ValueError,
     r"^example input 'b' is the same Value as 'a'"),
    ("trace-f-returns-a-str", lambda: trace(lambda x: "x", 1.0), TypeError,
     r"^the traced function must return a Value, a number or a \(nested\) list/tuple of them; out is str 'x'$"),
    ("trace-f-returns-none-inside", lambda: trace(lambda x: [x, None], 1.0), TypeError,
     r"; out\[1\] is NoneType None$"),
    ("trace-nested", lambda: trace(lambda x: trace(lambda y: y, 1.0), 1.0), TracerError,
     r"trace\(\) called inside a traced function"),
    ("TracerError-branch", lambda: trace(lambda x: 1.0 if x > 0 else 0.0, 1.0), TracerError,
     r"test_compile\.py:\d+: comparing a traced Value \(>\)"),
    ("Program-call-wrong-count", lambda: _prog(1.0), TypeError, r"^the program takes 2 input\(s\) \(x, v\), got 1$"),
    ("Program-call-a-str", lambda: _prog("1", [1.0, 2.0]), TypeError,
     r"^input 'x' must be a number or an array of numbers, got str '1'$"),
    ("Program-call-a-bool", lambda: _prog(True, [1.0, 2.0]), TypeError, r"^input 'x' must be a number or an array"),
    ("Program-call-none", lambda: _prog(None, [1.0, 2.0]), TypeError, r"^input 'x' must be a number or an array"),
    ("Program-call-bool-array", lambda: _prog(np.array([True]), [1.0, 2.0]), TypeError,
     r"^input 'x' must be an array of real numbers, got an array of dtype bool$"),
    ("Program-call-a-value", lambda: _prog(Value(1.0), [1.0, 2.0]), TypeError, r"^input 'x' must be a number or"),
    ("Program-call-2d-scalar", lambda: _prog(np.ones((2, 2)), [1.0, 2.0]), ValueError,
     r"^input 'x' must be a number or a 1-D array of length B, got an array of shape \(2, 2\)$"),
    ("Program-call-vector-wrong-length", lambda: _prog(1.0, [1.0, 2.0, 3.0]), ValueError,
     r"^input 'v' must be an array of shape \(2,\) or \(2, B\), got an array of shape \(3,\)$"),
    ("Program-call-vector-a-number", lambda: _prog(1.0, 2.0), ValueError,
     r"^input 'v' must be an array of shape \(2,\) or \(2, B\), got a number$"),
    ("Program-call-batches-disagree", lambda: _prog(np.ones(3), np.ones((2, 4))), ValueError,
     r"^input 'v' has a batch of 4 samples but input 'x' has 3; batched inputs must agree$"),
    ("Program-call-huge-batch", lambda: _prog(np.broadcast_to(1.0, (10**13,)), [1.0, 2.0]), ValueError,
     r"^a batch of 10000000000000 samples needs"),
    ("Program-value_and_grad-batch-beyond-memory",  # refused before allocating (no swapping, no OOM kill)
     lambda: _prog.value_and_grad(np.broadcast_to(1.0, (int(_physical_memory()) // 8,)), [1.0, 2.0]), ValueError,
     r"^a batch of \d+ samples needs \d+ x \d+ buffer entries \([\d.e+]+ GB\) for values; pass fewer samples"),
    ("Program-value_and_grad-seed-wrong-count", lambda: _prog.value_and_grad(1.0, [1.0, 2.0], seed=[1.0, 2.0]),
     ValueError, r"^seed must hold one entry per output \(1: out\)"),
    ("Program-value_and_grad-seed-a-str", lambda: _prog.value_and_grad(1.0, [1.0, 2.0], seed="1"), TypeError,
     r"^input 'seed for out' must be a number or an array of numbers, got str '1'$"),
    ("Program-value_and_grad-seed-wrong-length", lambda: _prog.value_and_grad(np.ones(3), [1.0, 2.0], seed=np.ones(2)),
     ValueError, r"^seed for 'out' must be a number or a length-3 array, got shape \(2,\)$"),
    ("Program-value_and_grad-wrt-out-of-range", lambda: _prog.value_and_grad(1.0, [1.0, 2.0], wrt=(2,)), ValueError,
     r"^wrt holds 2, but the program has inputs 0..1$"),
    ("Program-value_and_grad-wrt-a-bool", lambda: _prog.value_and_grad(1.0, [1.0, 2.0], wrt=(True,)), TypeError,
     r"^wrt must hold input positions \(ints\), got bool True$"),
    ("Program-value_and_grad-wrt-an-int", lambda: _prog.value_and_grad(1.0, [1.0, 2.0], wrt=0), TypeError,
     r"^wrt must be a sequence of input positions \(ints\), got int 0$"),
    ("Program-summary-batched-a-str", lambda: _prog.summary(batched="x"), TypeError,
     r"^batched must be a sequence of input positions"),
]

_prog_value = Value(1.0)


@pytest.mark.parametrize("f, point", [
    (lambda x: stop_gradient(x).sqrt(), -1.0),          # nan flows into stop_gradient's rule
    (lambda x: stop_gradient(x) * float("inf"), 1.0),   # inf flows into it
    (lambda x: abs(x).sqrt(), 0.0),                     # abs at 0 with an infinite incoming gradient
    (lambda x: abs(x) ** 0.5, -0.0),
])
def test_rules_that_send_a_constant_zero_send_it_whatever_the_incoming_gradient(f, point):
    # the float rules send the constant 0.0 (not 0 * g, which is nan for an infinite or nan g)
    x = Value(point)
    f(x).backward()
    prog = trace(f, 1.0)
    _, (batched,) = prog.value_and_grad(np.array([point, 4.0]))
    _, (single,) = prog.value_and_grad(point)
    assert x.grad == 0.0
    assert batched[0] == 0.0 and single == 0.0


def test_to_torch_refuses_inputs_whose_batches_disagree_as_the_numpy_call_does():
    torch = pytest.importorskip("torch")
    prog = trace(lambda x, y: (x * y).tanh() + ae.maximum(x, y), 1.0, 2.0)
    f = prog.to_torch()
    two, three = torch.tensor([1.0, 2.0], dtype=torch.float64), torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    with pytest.raises(ValueError, match=r"^input 'y' has a batch of 3 samples but input 'x' has 2$"):
        f(two, three)
    with pytest.raises(ValueError, match=r"^input 'x' must be a number or a 1-D batch per entry, got shape \(1, 2\)$"):
        f(torch.ones((1, 2), dtype=torch.float64), 1.0)
    out = f(two, 3.0)  # a number broadcasts, as in prog(...)
    np.testing.assert_allclose(out.numpy(), prog(np.array([1.0, 2.0]), 3.0), rtol=1e-12)
