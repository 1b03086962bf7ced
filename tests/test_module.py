"""nn.module: discovery and names, micrograd compatibility, init, state dicts, Sequential/Residual/BatchNorm."""

import math
import random

import micrograd.nn as mnn
import numpy as np
import pytest

import nn
from autograd_engine import Value, vsum
from nn import MLP, BatchNorm, Layer, Module, Neuron, Residual, Sequential


def micrograd_pair(sizes=(16, 16, 1), seed=1337):
    """micrograd's MLP and ours from the same draws of the global random."""
    random.seed(seed)
    theirs = mnn.MLP(2, list(sizes))
    random.seed(seed)
    ours = MLP(2, list(sizes))
    return theirs, ours


def test_same_weights_as_micrograd_from_the_same_seed():
    theirs, ours = micrograd_pair()
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert len(ours.parameters()) == 337


@pytest.mark.parametrize("fused", [True, False])
def test_outputs_loss_and_gradients_match_micrograd(fused):
    random.seed(1337)
    theirs = mnn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1], fused=fused)
    X, y = nn.make_moons(20, seed=3)
    ys = (2 * y - 1).tolist()

    def loss(model, V):
        scores = [model([V(a), V(b)]) for a, b in X.tolist()]
        total = sum((1 + -yi * s).relu() for yi, s in zip(ys, scores)) * (1.0 / len(ys))
        return scores, total + 1e-4 * sum(p * p for p in model.parameters())

    from micrograd.engine import Value as MValue

    s_theirs, l_theirs = loss(theirs, MValue)
    s_ours, l_ours = loss(ours, Value)
    np.testing.assert_allclose([s.data for s in s_ours], [s.data for s in s_theirs], rtol=1e-12, atol=1e-12)
    assert l_ours.data == pytest.approx(l_theirs.data, rel=1e-12)
    theirs.zero_grad()
    l_theirs.backward()
    l_ours.backward()
    np.testing.assert_allclose([p.grad for p in ours.parameters()], [p.grad for p in theirs.parameters()],
                               rtol=1e-12, atol=1e-12)


def test_micrograd_call_convention_and_parameter_order():
    n = Neuron(3, seed=0)
    assert n.parameters() == [*n.w, n.b] and n.nonlin and repr(n) == "ReLUNeuron(3)"
    assert repr(Neuron(2, nonlin=False, seed=0)) == "LinearNeuron(2)"
    layer = Layer(3, 1, seed=0)
    assert isinstance(layer([1.0, 2.0, 3.0]), Value)
    layer = Layer(3, 2, seed=0)
    out = layer([1.0, 2.0, 3.0])
    assert isinstance(out, list) and len(out) == 2
    assert layer.parameters() == [*layer.neurons[0].w, layer.neurons[0].b, *layer.neurons[1].w, layer.neurons[1].b]


def test_fused_neuron_is_one_dot_node_and_unfused_is_micrograds_graph():
    n = Neuron(4, seed=0)
    x = [1.0, 2.0, 3.0, 4.0]
    fused = n(x)
    assert fused.op == "relu" and fused.parents[0].op == "+" and fused.parents[0].parents[0].op == "dot"
    n.fused = False
    unfused = n(x)
    assert unfused.data == pytest.approx(fused.data, rel=1e-14)
    from autograd_engine import topological_order

    assert sum(v.op == "*" for v in topological_order(unfused)) == 4


def test_named_parameters_are_dotted_and_labelled():
    model = MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.1.neurons.0.b" and len(names) == 13
    assert [p.label for p in model.parameters()] == names


def test_custom_module_needs_no_boilerplate():
    class Affine(Module):
        def __init__(self):
            self.w = Value(2.0)
            self.b = Value(1.0)
            self.inner = [Neuron(1, seed=0)]
            self.note = "not a parameter"

        def forward(self, x):
            return self.w * x + self.b

    m = Affine()
    assert [n for n, _ in m.named_parameters()] == ["w", "b", "inner.0.w.0", "inner.0.b"]
    assert m(3.0).data == 7.0
    shared = Affine()
    shared.b = shared.w  # the same Value twice is one parameter
    assert len(shared.parameters()) == 3
    with pytest.raises(NotImplementedError, match="must define forward"):
        Module()(1.0)


@pytest.mark.parametrize("activation, check", [
    ("relu", lambda z, a: a == max(z, 0)), ("tanh", lambda z, a: a == pytest.approx(math.tanh(z))),
    ("sigmoid", lambda z, a: a == pytest.approx(1 / (1 + math.exp(-z)))), ("linear", lambda z, a: a == z),
    ("leaky_relu", lambda z, a: a == (z if z > 0 else 0.01 * z)),
])
def test_activations(activation, check):
    n = Neuron(2, activation=activation, seed=5)
    for x in ([1.0, -2.0], [-1.0, 0.5]):
        z = sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data
        assert check(z, n(x).data)


def test_inits_have_the_right_scale():
    rng = random.Random(0)
    xavier = [w.data for _ in range(50) for w in Neuron(100, init="xavier", fan_out=100, seed=rng).w]
    he = [w.data for _ in range(50) for w in Neuron(100, init="he", seed=rng).w]
    assert max(abs(w) for w in xavier) <= math.sqrt(6 / 200)
    assert np.std(xavier) == pytest.approx(math.sqrt(2 / 200), rel=0.05)
    assert np.std(he) == pytest.approx(math.sqrt(2 / 100), rel=0.05)


def test_seed_makes_construction_reproducible():
    a, b = MLP(2, [4, 1], seed=7), MLP(2, [4, 1], seed=7)
    assert a.state_dict() == b.state_dict() != MLP(2, [4, 1], seed=8).state_dict()
    r1, r2 = random.Random(3), random.Random(3)
    assert Layer(2, 2, seed=r1).state_dict() == Layer(2, 2, seed=r2).state_dict()


@pytest.mark.parametrize("make, exc, pattern", [
    (lambda: Neuron(0), ValueError, "nin must be an int >= 1, got 0"),
    (lambda: Neuron(2, activation="gelu"), ValueError, "activation must be one of relu, tanh"),
    (lambda: Neuron(2, init="zeros"), ValueError, "init must be one of uniform, xavier, he"),
    (lambda: Neuron(2, seed="x"), TypeError, "seed must be an int, a random.Random or None, got str"),
    (lambda: Layer(2, 0), ValueError, "nout must be an int >= 1"),
    (lambda: MLP(2, []), ValueError, "nouts must be a non-empty list"),
    (lambda: MLP(2, [3, -1]), ValueError, "each layer width must be an int >= 1"),
    (lambda: Neuron(2, seed=0)([1.0]), ValueError, "Neuron expects 2 inputs, got 1"),
    (lambda: Sequential(Neuron(1), 3), TypeError, "argument 1 is a int"),
    (lambda: Residual(3), TypeError, "Residual wraps a Module"),
    (lambda: Residual(Layer(2, 3, seed=0))([1.0, 2.0]), ValueError, "keep the size: input 2, output 3"),
])
def test_bad_arguments(make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()


def test_zero_grad_train_eval():
    model = Sequential(Layer(2, 2, seed=0), BatchNorm(2))
    vsum(model.forward_batch([[1.0, 2.0], [0.5, -1.0]])[0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())
    assert model.eval() is model and not any(m.training for m in model.modules())
    assert all(m.training for m in model.train().modules())


def test_state_dict_round_trip_and_validation():
    model = MLP(2, [3, 1], seed=0)
    state = model.state_dict()
    assert all(type(v) is float for v in state.values()) and len(state) == 13
    other = MLP(2, [3, 1], seed=1)
    other.load_state_dict(state)
    assert other.state_dict() == state
    before = other.state_dict()
    bad_cases = [
        ({k: v for k, v in state.items() if k != "layers.1.neurons.0.b"}, "missing 1 entry: layers.1.neurons.0.b"),
        ({**state, "extra.w": 1.0}, "unexpected 1: extra.w"),
        ({**state, "layers.0.neurons.0.b": "1.0"}, r"state\['layers.0.neurons.0.b'\] must be a real number, got str"),
        ({**state, "layers.0.neurons.0.b": True}, "must be a real number, got bool"),
        (dict(list(state.items())[:5]), "13 entries expected, 5 given"),
    ]
    for bad, pattern in bad_cases:
        with pytest.raises(ValueError, match=pattern):
            other.load_state_dict(bad)
        assert other.state_dict() == before  # nothing assigned
    with pytest.raises(TypeError, match="state must be a dict"):
        other.load_state_dict([1.0])


def test_sequential_names_and_residual():
    block = Sequential(Layer(2, 2, activation="tanh", seed=0), Residual(Layer(2, 2, activation="tanh", seed=1)))
    assert next(n for n, _ in block.named_parameters()) == "0.neurons.0.w.0"
    assert len(block) == 2 and isinstance(block[1], Residual)
    x = [0.3, -0.4]
    h = block[0](x)
    out = block(x)
    inner = block[1].module(h)
    assert [o.data for o in out] == pytest.approx([a.data + b.data for a, b in zip(h, inner)])


def test_batchnorm_normalises_the_batch_and_tracks_running_statistics():
    bn = BatchNorm(2, momentum=0.5)
    batch = [[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]]
    out = bn.forward_batch(batch)
    cols = np.array([[v.data for v in row] for row in out])
    np.testing.assert_allclose(cols.mean(axis=0), [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(cols.var(axis=0), [1.0, 1.0], rtol=1e-4)  # eps makes it a little less than 1
    data = np.array(batch)
    np.testing.assert_allclose(bn.running_mean, 0.5 * data.mean(axis=0))
    np.testing.assert_allclose(bn.running_var, 0.5 + 0.5 * data.var(axis=0, ddof=1))
    bn.eval()
    single = bn([1.0, 10.0])
    expected = (np.array([1.0, 10.0]) - bn.running_mean) / np.sqrt(np.array(bn.running_var) + 1e-5)
    np.testing.assert_allclose([v.data for v in single], expected, rtol=1e-12)
    assert set(bn.state_dict()) == {"gamma.0", "gamma.1", "beta.0", "beta.1", "running_mean.0", "running_mean.1",
                                    "running_var.0", "running_var.1"}
    with pytest.raises(ValueError, match="needs a batch"):
        bn.train()([1.0, 2.0])
    with pytest.raises(ValueError, match="at least 2 samples"):
        bn.forward_batch([[1.0, 2.0]])


def test_batchnorm_gradients_flow_through_the_statistics():
    from autograd_engine import gradcheck

    def f(a, b, c):
        out = BatchNorm(1).forward_batch([[a], [b], [c]])
        return [o[0] * w for o, w in zip(out, (1.0, 2.0, -3.0))]

    assert gradcheck(f, [0.5, -1.0, 2.0], atol=1e-4)
