"""nn.module and the modules: discovery and names, micrograd compatibility, init, state dicts, containers,
BatchNorm, the registry, pickling, NumPy scalars and the validation of every constructor."""

import copy
import json
import math
import pickle
import random
import re
import sys

import micrograd.nn as mnn
import numpy as np
import pytest
from shipped_modules import CASES, SHIPPED, assert_same, randomise

import nn
from autograd_engine import Value, vsum
from nn import MLP, BatchNorm, Layer, Module, Neuron, Residual, Sequential
from nn.module import MAX_SIZE, architecture_size, build_module


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
    (lambda: Sequential(Neuron(1), 3), TypeError, "argument 1 is int 3"),
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


# -- the split, the registry, pickling, NumPy scalars and size validation ---------------------------------------


def test_every_module_lives_in_the_file_of_its_idea():
    import nn.containers
    import nn.layers
    import nn.mlp
    import nn.norm

    homes = {nn.mlp: ("Neuron", "Layer", "MLP", "Activation", "ACTIVATIONS", "INITS"),
             nn.containers: ("Sequential", "Residual"), nn.norm: ("BatchNorm", "LayerNorm", "RMSNorm"),
             nn.layers: ("Linear", "Embedding", "SelfAttention")}
    for home, names in homes.items():
        for name in names:
            assert getattr(nn, name) is getattr(home, name), name
            assert name in home.__all__ and name in nn.__all__
    assert nn.Module.__module__ == "nn.module"


def test_every_shipped_module_is_registered_and_covered():
    # The registry is global and also holds whatever a user (or another test, or a doctest) registered, so
    # "shipped" means: a Module class that nn exports, or a registered class that is a name of an nn module.
    exported = [getattr(nn, name) for name in nn.__all__]
    assert {c for c in exported if isinstance(c, type) and issubclass(c, Module) and c is not Module} == SHIPPED
    assert {type(f()) for f, _, _ in CASES.values()} == SHIPPED
    assert all(nn.MODULES[cls.__name__] is cls for cls in SHIPPED)
    registered_in_nn = {cls for cls in nn.MODULES.values() if cls.__module__.split(".")[0] == "nn"
                        and getattr(sys.modules[cls.__module__], cls.__qualname__, None) is cls}
    assert registered_in_nn == SHIPPED


@pytest.mark.parametrize("case", CASES)
def test_config_is_json_and_rebuilds_the_architecture(case):
    make, _, _ = CASES[case]
    model = make()
    config = model.config()
    assert json.loads(json.dumps(config)) == config
    rebuilt = build_module(config)
    assert type(rebuilt) is type(model) and rebuilt.config() == config
    assert list(rebuilt.state_dict()) == list(model.state_dict())
    assert architecture_size(config) == len(model.state_dict())


@pytest.mark.parametrize("case", CASES)
def test_every_shipped_module_pickles_and_deep_copies(case):
    make, x, batch = CASES[case]
    model = randomise(make(), seed=len(case))
    assert_same(model, pickle.loads(pickle.dumps(model)), x, batch)
    assert_same(model, copy.deepcopy(model), x, batch)


def test_no_function_is_stored_on_an_instance():
    # a lambda on an instance is what made models unpicklable; activations are stored by name
    for make, _, _ in CASES.values():
        for m in make().modules():
            assert not any(callable(v) and not isinstance(v, nn.Module) for v in vars(m).values()), m


def test_numpy_scalars_are_accepted_where_python_numbers_are():
    a = MLP(np.int64(2), [np.int64(3), 1], seed=np.int64(5))
    b = MLP(2, [3, 1], seed=5)
    assert a.state_dict() == b.state_dict() and a.config() == b.config()
    assert all(type(v) is int for v in [a.config()["nin"], *a.config()["nouts"]])
    json.dumps(a.config())
    assert MLP(2, np.array([3, 1]), seed=5).state_dict() == b.state_dict()
    assert nn.Linear(np.int32(3), np.int64(2), seed=0).config() == {"type": "Linear", "nin": 3, "nout": 2,
                                                                     "bias": True}
    assert nn.BatchNorm(np.int64(2), eps=np.float32(0.5), momentum=np.float64(0.25)).config() == \
        {"type": "BatchNorm", "num_features": 2, "eps": 0.5, "momentum": 0.25}
    e = nn.Embedding(4, 2, seed=0)
    assert e(np.int64(3))[0] is e.weight[3][0]
    state = {k: np.float32(0.5) for k in b.state_dict()}
    b.load_state_dict(state)
    assert set(b.state_dict().values()) == {0.5} and all(type(v) is float for v in b.state_dict().values())
    b.load_state_dict(dict.fromkeys(state, np.int64(2)))
    assert set(b.state_dict().values()) == {2.0}


def test_load_state_dict_rejects_an_int_too_large_for_a_float_and_changes_nothing():
    model = MLP(2, [1], seed=0)
    before = model.state_dict()
    state = {**before, "layers.0.neurons.0.b": 10**400}
    with pytest.raises(ValueError, match=r"state\['layers.0.neurons.0.b'\] must be a number that fits in a float"):
        model.load_state_dict(state)
    with pytest.raises(ValueError, match="must be a real number, got bool"):
        model.load_state_dict({**before, "layers.0.neurons.0.b": np.bool_(True)})
    assert model.state_dict() == before


SIZES = {  # constructor -> the names of its size arguments, in order, and the other arguments it needs
    "Neuron": (lambda n: Neuron(n), "nin"),
    "Neuron.fan_out": (lambda n: Neuron(2, fan_out=n), "fan_out"),
    "Layer.nin": (lambda n: Layer(n, 2), "nin"),
    "Layer.nout": (lambda n: Layer(2, n), "nout"),
    "MLP.nin": (lambda n: MLP(n, [2]), "nin"),
    "MLP.nouts": (lambda n: MLP(2, [3, n]), "each layer width"),
    "BatchNorm": (lambda n: BatchNorm(n), "num_features"),
    "LayerNorm": (lambda n: nn.LayerNorm(n), "dim"),
    "RMSNorm": (lambda n: nn.RMSNorm(n), "dim"),
    "Linear.nin": (lambda n: nn.Linear(n, 2), "nin"),
    "Linear.nout": (lambda n: nn.Linear(2, n), "nout"),
    "Embedding.num": (lambda n: nn.Embedding(n, 2), "num"),
    "Embedding.dim": (lambda n: nn.Embedding(2, n), "dim"),
    "SelfAttention.dim": (lambda n: nn.SelfAttention(n), "dim"),
    "SelfAttention.heads": (lambda n: nn.SelfAttention(4, heads=n), "heads"),
}
BAD_SIZES = [  # value, exception, the words after "must be"
    (0, ValueError, "an int >= 1, got 0"),
    (-3, ValueError, "an int >= 1, got -3"),
    (MAX_SIZE + 1, ValueError, f"an int from 1 to {MAX_SIZE}"),
    (10**100, ValueError, rf"an int from 1 to {MAX_SIZE} .*got an int of 101 digits"),
    (2.0, TypeError, "an int, got float 2.0"),
    (np.float64(3.0), TypeError, "an int, got float64"),
    (None, TypeError, "an int, got NoneType None"),
    ("3", TypeError, "an int, got str '3'"),
    (True, TypeError, "an int, got bool True"),
    (np.bool_(True), TypeError, "an int, got bool"),
]


@pytest.mark.parametrize("value, exc, words", BAD_SIZES, ids=[repr(b[0])[:12] for b in BAD_SIZES])
@pytest.mark.parametrize("constructor", SIZES)
def test_every_constructor_validates_its_sizes(constructor, value, exc, words):
    make, name = SIZES[constructor]
    with pytest.raises(exc, match=rf"^{name} must be {words}"):
        make(value)


@pytest.mark.parametrize("make, exc, pattern", [
    (lambda: Neuron(2, nonlin=1), TypeError, "nonlin must be .*True or False.*got int 1"),
    (lambda: Neuron(2, fused="no"), TypeError, "fused must be .*True or False.*got str 'no'"),
    (lambda: MLP(2, [1], fused=None), TypeError, "fused must be .*True or False"),
    (lambda: nn.Linear(2, 2, bias="no"), TypeError, "bias must be .*True or False"),
    (lambda: nn.SelfAttention(2, causal=0), TypeError, "causal must be .*True or False"),
    (lambda: Neuron(2, activation=None, nonlin="yes"), TypeError, "nonlin must be"),
    (lambda: Neuron(2, activation=["relu"]), TypeError, "activation must be one of .*got list"),
    (lambda: MLP(2, [1], output_activation="gelu"), ValueError, "output_activation must be one of relu"),
    (lambda: nn.Activation(None), TypeError, "name must be one of relu, .*got NoneType None"),
    (lambda: Neuron(2, init=None), TypeError, "init must be one of uniform, xavier, he, got NoneType None"),
    (lambda: MLP(2, None), TypeError, "nouts must be a list of layer widths, got NoneType None"),
    (lambda: MLP(2, "16"), TypeError, "nouts must be a list of layer widths, got str '16'"),
    (lambda: MLP(2, np.array([[3, 1]])), TypeError, "nouts must be a list of layer widths"),
    (lambda: Neuron(2, seed=-1), ValueError, "seed must be an int >= 0, got -1"),
    (lambda: Neuron(2, seed=1.5), TypeError, "seed must be an int, a random.Random or None, got float 1.5"),
    (lambda: BatchNorm(2, eps=0), ValueError, "eps must be a finite number > 0, got 0.0"),
    (lambda: BatchNorm(2, eps=True), TypeError, "eps must be a real number, got bool True"),
    (lambda: BatchNorm(2, momentum=1.5), ValueError, "momentum must be a number >= 0 and <= 1, got 1.5"),
    (lambda: BatchNorm(2, momentum=float("nan")), ValueError, "momentum must be a number >= 0 and <= 1, got nan"),
    (lambda: nn.LayerNorm(2, eps=float("inf")), ValueError, "eps must be a finite number > 0, got inf"),
    (lambda: nn.RMSNorm(2, eps="1e-5"), TypeError, "eps must be a real number, got str"),
    (lambda: nn.Embedding(2, 2, scale=-1.0), ValueError, "scale must be a finite number >= 0, got -1.0"),
    (lambda: nn.Embedding(3, 2, seed=0)(True), TypeError, "Embedding index must be an int, got bool True"),
    (lambda: nn.Embedding(3, 2, seed=0)(-1), ValueError, "Embedding index must be an int from 0 to 2, got -1"),
    (lambda: Module().train("no"), TypeError, "mode must be .*True or False.*got str 'no'"),
])
def test_bad_flags_names_and_numbers(make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()


class Scale(Module):
    def __init__(self, n, factor=2.0):
        self.n, self.factor = n, factor
        self.w = [Value(1.0) for _ in range(n)]

    def forward(self, x):
        return [xi * wi * self.factor for xi, wi in zip(x, self.w)]

    def config(self):
        return {"type": "test_module.Scale", "n": self.n, "factor": self.factor}


def test_register_module(monkeypatch):
    monkeypatch.setattr(nn.module, "MODULES", dict(nn.MODULES))  # registrations stay inside this test
    registry = nn.module.MODULES
    assert nn.register_module(name="test_module.Scale")(Scale) is Scale
    assert registry["test_module.Scale"] is Scale
    built = build_module({"type": "test_module.Scale", "n": 3, "factor": 0.5})
    assert isinstance(built, Scale) and built.factor == 0.5 and built.num_parameters() == 3
    assert architecture_size({"type": "test_module.Scale", "n": 3}) is None  # unknown until built
    nn.register_module(name="test_module.Scale")(Scale)  # the same class again: fine

    class Again(Scale):  # another class under a taken name
        pass

    with pytest.raises(ValueError, match=re.escape("'test_module.Scale' is already registered to test_module.Scale")):
        nn.register_module(name="test_module.Scale")(Again)
    with pytest.raises(ValueError, match=re.escape("'Linear' is already registered to nn.layers.Linear")):
        nn.register_module(name="Linear")(Again)

    class NoConfig(Module):
        pass

    with pytest.raises(TypeError, match=re.escape("NoConfig must define config()")):
        nn.register_module(NoConfig)
    with pytest.raises(TypeError, match=re.escape("decorates a subclass of nn.Module, got type")):
        nn.register_module(dict)
    with pytest.raises(TypeError, match="name must be a str, got int 3"):
        nn.register_module(name=3)(Scale)
    with pytest.raises(ValueError, match="name must be a non-empty str"):
        nn.register_module(name="")(Scale)
    assert set(registry) - set(nn.MODULES) == {"test_module.Scale"}


def test_a_user_modules_lookup_errors_and_bad_sizes_are_reported_clearly(monkeypatch):
    monkeypatch.setattr(nn.module, "MODULES", dict(nn.MODULES))

    @nn.register_module(name="test_module.Counted")
    class Counted(Scale):
        def config(self):
            return {"type": "test_module.Counted", "n": self.n, "factor": self.factor}

        @classmethod
        def config_size(cls, config):
            return config["n"]  # a KeyError when the description lacks "n"

    assert architecture_size({"type": "test_module.Counted", "n": np.int64(3)}) == 3
    with pytest.raises(ValueError, match=r"^architecture \(test_module.Counted\) is invalid: KeyError 'n'$"):
        architecture_size({"type": "test_module.Counted"})
    for bad in (-1, 2.5, "3", True):
        with pytest.raises(TypeError, match=r"Counted.config_size\(\) must return an int >= 0 or None, got "):
            architecture_size({"type": "test_module.Counted", "n": bad})


@pytest.mark.parametrize("config, pattern", [
    (None, "architecture must be an object with a 'type', got NoneType None"),
    ({"nin": 2}, "architecture must be an object with a 'type'"),
    ({"type": "Conv"}, "architecture has an unknown type 'Conv': known types are Activation, BatchNorm"),
    ({"type": ["MLP"]}, r"unknown type list \['MLP'\]"),
    ({"type": "MLP", "nin": 2}, r"architecture \(MLP\) lacks the field 'nouts'"),
    ({"type": "Linear", "nin": 2, "nout": 2, "bias": True, "colour": "red"},
     r"architecture \(Linear\) has an unknown field 'colour'"),
    ({"type": "Linear", "nin": 2, "nout": 2, "bias": "no"}, r"architecture \(Linear\) is invalid: bias must be"),
    ({"type": "Sequential", "modules": [{"type": "Linear", "nin": 2, "nout": 2},
                                        {"type": "Residual", "module": {"type": "RMSNorm", "dim": 0}}]},
     r"architecture.modules\[1\].module \(RMSNorm\) is invalid: dim must be an int >= 1, got 0"),
    ({"type": "Sequential", "modules": {"type": "Linear"}}, r"architecture \(Sequential\) has 'modules' that is not"),
    ({"type": "Sequential"}, r"architecture \(Sequential\) lacks the field 'modules'"),
    ({"type": "Residual", "module": {"type": "Linear", "nin": 2, "nout": 2}, "extra": 1},
     r"architecture \(Residual\) has an unknown field 'extra'"),
    ({"type": "Sequential", "modules": [{"type": "Nope"}]}, r"architecture.modules\[0\] has an unknown type 'Nope'"),
])
def test_bad_architectures_say_where_and_what(config, pattern):
    for call in (build_module, architecture_size):
        with pytest.raises(ValueError, match=pattern):
            call(config)


def test_saveable_config_refuses_a_subclass_that_would_come_back_as_its_parent():
    from nn.module import saveable_config

    class Wider(nn.Linear):
        def forward(self, x):
            return [2 * v for v in super().forward(x)]

    assert saveable_config(nn.Linear(2, 2, seed=0)) == nn.Linear(2, 2, seed=0).config()
    assert saveable_config(Wider(2, 2, seed=0)) is None
    assert nn.Sequential(Wider(2, 2, seed=0)).config() is None
    assert nn.Residual(Wider(2, 2, seed=0)).config() is None


def test_vectors_may_be_lists_tuples_or_arrays_and_a_lone_number_fits_a_size_of_one():
    n = Neuron(2, seed=0)
    expected = n([1.0, -2.0]).data
    for x in ((1.0, -2.0), np.array([1.0, -2.0]), [np.float32(1.0), np.int64(-2)], [Value(1.0), -2]):
        assert n(x).data == pytest.approx(expected, rel=1e-7)
    assert Neuron(1, seed=0)(3.0).data == Neuron(1, seed=0)([3.0]).data
    assert nn.Activation("relu")((1.0, -2.0))[1].data == 0.0
    assert [v.data for v in nn.Activation("relu")(np.array([-1.0, 2.0]))] == [0.0, 2.0]
    bn = BatchNorm(2)
    out = bn.forward_batch([(1.0, 2.0), np.array([3.0, 6.0])])
    assert [v.data for row in out for v in row] == pytest.approx([-1.0, -1.0, 1.0, 1.0], rel=1e-4)
    assert [v.data for v in BatchNorm(1).forward_batch([1.0, Value(3.0)])] == pytest.approx([-1.0, 1.0], rel=1e-4)


def test_a_hidden_layer_of_width_one_hands_a_vector_on():
    model = MLP(2, [1, 3, 1], seed=0)  # micrograd's MLP fails here: a Value is not iterable
    out = model([1.0, -0.5])
    first = model.layers[0]([1.0, -0.5])
    assert isinstance(first, Value)
    assert out.data == model.layers[2](model.layers[1](first)).data
    chained = Sequential(Layer(2, 1, seed=0), Layer(1, 3, seed=1))
    assert len(chained([1.0, 2.0])) == 3


def test_sequential_indexing_slicing_and_iteration():
    a, b, c = nn.Activation("relu"), nn.Activation("tanh"), nn.Linear(2, 2, seed=0)
    seq = Sequential(a, b, c)
    assert seq[0] is a and seq[-1] is c and seq[np.int64(1)] is b and list(seq) == [a, b, c]
    tail = seq[1:]
    assert isinstance(tail, Sequential) and list(tail) == [b, c]
    for i in (3, -4):
        with pytest.raises(IndexError, match=rf"^Sequential index must be an int from -3 to 2, got {i}$"):
            seq[i]
    with pytest.raises(IndexError, match="this Sequential holds no modules"):
        Sequential()[0]


def test_register_module_as_a_decorator_with_a_name(monkeypatch):
    monkeypatch.setattr(nn.module, "MODULES", dict(nn.MODULES))
    decorate = nn.register_module(name="test_module.Named")
    assert decorate(Scale) is Scale and nn.module.MODULES["test_module.Named"] is Scale


class _NoConfig(Module):
    pass


_n = Neuron(3, seed=0)
_layer = Layer(3, 2, seed=0)
_mlp = MLP(3, [2, 1], seed=0)
_relu = nn.Activation("relu")
_bn = BatchNorm(2)

ERROR_CASES = [
    ("Neuron-nin-zero", lambda: Neuron(0), ValueError, r"^nin must be an int >= 1, got 0$"),
    ("Neuron-nin-negative", lambda: Neuron(-2), ValueError, r"^nin must be an int >= 1, got -2$"),
    ("Neuron-nin-a-bool", lambda: Neuron(True), TypeError, r"^nin must be an int, got bool True$"),
    ("Neuron-nin-a-str", lambda: Neuron("3"), TypeError, r"^nin must be an int, got str '3'$"),
    ("Neuron-nin-none", lambda: Neuron(None), TypeError, r"^nin must be an int, got NoneType None$"),
    ("Neuron-nin-a-float", lambda: Neuron(3.0), TypeError, r"^nin must be an int, got float 3.0$"),
    ("Neuron-nin-huge", lambda: Neuron(10**12), ValueError,
     rf"^nin must be an int from 1 to {MAX_SIZE} \(nn.module.MAX_SIZE\), got 1000000000000$"),
    ("Neuron-nin-at-the-bound-has-one-parameter-too-many", lambda: Neuron(MAX_SIZE), ValueError,
     rf"^Neuron\(nin={MAX_SIZE}\) would have {MAX_SIZE + 1} parameters, more than {MAX_SIZE} \(nn.module.MAX_SIZE\)"),
    ("Neuron-fan_out-zero", lambda: Neuron(2, fan_out=0), ValueError, r"^fan_out must be an int >= 1, got 0$"),
    ("Neuron-activation-unknown", lambda: Neuron(2, activation="gelu"), ValueError,
     r"^activation must be one of relu, tanh, sigmoid, leaky_relu, linear, got str 'gelu'$"),
    ("Neuron-activation-a-function", lambda: Neuron(2, activation=Value.relu), TypeError,
     r"^activation must be one of relu, .*, got function"),
    ("Neuron-init-unknown", lambda: Neuron(2, init="normal"), ValueError,
     r"^init must be one of uniform, xavier, he, got str 'normal'$"),
    ("Neuron-init-none", lambda: Neuron(2, init=None), TypeError,
     r"^init must be one of uniform, xavier, he, got NoneType None$"),
    ("Neuron-nonlin-an-int", lambda: Neuron(2, nonlin=0),
     TypeError, r"^nonlin must be a bool \(True or False\), got int 0$"),
    ("Neuron-called-with-none", lambda: _n(None), TypeError,
     r"^Neuron input must be a vector of 3 numbers or Values \(a list, tuple or 1-D array\), got NoneType None$"),
    ("Neuron-called-with-a-number", lambda: _n(3.0),
     TypeError, r"^Neuron input must be a vector of 3 .*got float 3.0$"),
    ("Neuron-called-with-a-str", lambda: _n("abc"), TypeError, r"^Neuron input must be a vector of 3 .*got str 'abc'$"),
    ("Neuron-called-with-a-generator", lambda: _n(v for v in [1.0, 2.0, 3.0]), TypeError,
     r"^Neuron input must be a vector of 3 .*got generator"),
    ("Neuron-called-with-too-few", lambda: _n([1.0]), ValueError, r"^Neuron expects 3 inputs, got 1$"),
    ("Neuron-called-with-too-many", lambda: _n([1.0] * 4), ValueError, r"^Neuron expects 3 inputs, got 4$"),
    ("Neuron-called-with-none-inside", lambda: _n([1.0, None, 2.0]), TypeError,
     r"^Neuron input\[1\] must be a Value or a real number, got NoneType None$"),
    ("Neuron-unfused-called-with-a-str-inside", lambda: Neuron(2, seed=0, fused=False)(["a", 1.0]), TypeError,
     r"^Neuron input\[0\] must be a Value or a real number, got str 'a'$"),
    ("Neuron-called-with-a-bool-inside", lambda: _n([True, 1.0, 2.0]), TypeError,
     r"^Neuron input\[0\] must be a Value or a real number, got bool True$"),
    ("Neuron-called-with-a-number-too-big", lambda: _n([1.0, 2.0, 10**400]), ValueError,
     r"^Neuron input\[2\] must be a number that fits in a float, got int 1000"),
    ("Layer-nout-zero", lambda: Layer(2, 0), ValueError, r"^nout must be an int >= 1, got 0$"),
    ("Layer-nin-a-bool", lambda: Layer(False, 2), TypeError, r"^nin must be an int, got bool False$"),
    ("Layer-nout-huge", lambda: Layer(2, 10**12), ValueError, rf"^nout must be an int from 1 to {MAX_SIZE}"),
    ("Layer-sizes-whose-product-is-huge", lambda: Layer(10**5, 10**5), ValueError,
     r"^Layer\(nin=100000, nout=100000\) would have 10000100000 parameters, more than 10000000"),
    ("Layer-unknown-keyword", lambda: Layer(2, 2, colour="red"), TypeError,
     r"^Layer got an unexpected keyword argument 'colour'; it takes nin, nout and Neuron's keyword arguments: "),
    ("Layer-activation-unknown", lambda: Layer(2, 2, activation="swish"), ValueError,
     r"^activation must be one of relu, "),
    ("Layer-called-with-none", lambda: _layer(None), TypeError, r"^Layer input must be a vector of 3 numbers"),
    ("Layer-called-with-too-few", lambda: _layer([1.0]), ValueError, r"^Layer expects 3 inputs, got 1$"),
    ("Layer-called-with-a-str-inside", lambda: _layer(["a", 1.0, 2.0]), TypeError,
     r"^Layer input\[0\] must be a Value or a real number, got str 'a'$"),
    ("MLP-nin-zero", lambda: MLP(0, [1]), ValueError, r"^nin must be an int >= 1, got 0$"),
    ("MLP-nin-none", lambda: MLP(None, [1]), TypeError, r"^nin must be an int, got NoneType None$"),
    ("MLP-nouts-an-int", lambda: MLP(2, 3), TypeError, r"^nouts must be a list of layer widths, got int 3$"),
    ("MLP-nouts-a-set", lambda: MLP(2, {3}), TypeError, r"^nouts must be a list of layer widths, got set \{3\}$"),
    ("MLP-nouts-empty", lambda: MLP(2, []), ValueError, r"^nouts must be a non-empty list of layer widths, got list"),
    ("MLP-nouts-holds-a-bool", lambda: MLP(2, [3, True]), TypeError,
     r"^each layer width must be an int, got bool True$"),
    ("MLP-nouts-holds-a-float", lambda: MLP(2, [3.0]), TypeError, r"^each layer width must be an int, got float 3.0$"),
    ("MLP-nouts-holds-huge", lambda: MLP(2, [10**12]), ValueError,
     rf"^each layer width must be an int from 1 to {MAX_SIZE}"),
    ("MLP-widths-whose-product-is-huge", lambda: MLP(3000, [3000, 3000, 3000]), ValueError,
     r"^MLP\(nin=3000, nouts=\[3000, 3000, 3000\]\) would have 27009000 parameters, more than 10000000 "
     r"\(nn.module.MAX_SIZE\); use smaller sizes$"),
    ("MLP-activation-none", lambda: MLP(2, [1], activation=None), TypeError,
     r"^activation must be one of relu, .*, got NoneType None$"),
    ("MLP-output_activation-unknown", lambda: MLP(2, [1], output_activation="softmax"), ValueError,
     r"^output_activation must be one of relu, .*, got str 'softmax'$"),
    ("MLP-init-unknown", lambda: MLP(2, [1], init="zeros"), ValueError, r"^init must be one of uniform, xavier, he"),
    ("MLP-init-a-number", lambda: MLP(2, [1], init=0),
     TypeError, r"^init must be one of uniform, xavier, he, got int 0$"),
    ("MLP-seed-a-float", lambda: MLP(2, [1], seed=1.5), TypeError,
     r"^seed must be an int, a random.Random or None, got float 1.5$"),
    ("MLP-fused-a-str", lambda: MLP(2, [1], fused="yes"), TypeError, r"^fused must be a bool \(True or False\)"),
    ("MLP-called-with-none", lambda: _mlp(None), TypeError,
     r"^MLP input must be a vector of 3 numbers or Values \(a list, tuple or 1-D array\), got NoneType None$"),
    ("MLP-called-with-too-few", lambda: _mlp([1.0, 2.0]), ValueError, r"^MLP expects 3 inputs, got 2$"),
    ("MLP-called-with-a-str-inside", lambda: _mlp([1.0, 2.0, "3"]), TypeError,
     r"^MLP input\[2\] must be a Value or a real number, got str '3'$"),
    ("Activation-name-unknown", lambda: nn.Activation("gelu"), ValueError,
     r"^name must be one of relu, tanh, sigmoid, leaky_relu, linear, got str 'gelu'$"),
    ("Activation-name-none", lambda: nn.Activation(None),
     TypeError, r"^name must be one of relu, .*got NoneType None$"),
    ("Activation-name-a-function", lambda: nn.Activation(Value.tanh),
     TypeError, r"^name must be one of relu, .*got function"),
    ("Activation-called-with-none", lambda: _relu(None), TypeError,
     r"^Activation input must be a Value, a number or a vector of them, got NoneType None$"),
    ("Activation-called-with-a-str", lambda: _relu("1"), TypeError,
     r"^Activation input must be a Value, a number or a vector of them, got str '1'$"),
    ("Activation-called-with-a-bool", lambda: _relu(True), TypeError,
     r"^Activation input must be a Value, a number or a vector of them, got bool True$"),
    ("Activation-called-with-a-dict", lambda: _relu({1: 2}),
     TypeError, r"^Activation input must be a Value, .*got dict"),
    ("Activation-called-with-a-str-inside", lambda: _relu([1.0, "a"]), TypeError,
     r"^Activation input\[1\] must be a Value or a real number, got str 'a'$"),
    ("Activation-called-with-a-number-too-big", lambda: _relu(10**400), ValueError,
     r"^Activation input must be a number that fits in a float, got int 1000"),
    ("Sequential-a-number", lambda: Sequential(_relu, 3),
     TypeError, r"^Sequential takes Modules; argument 1 is int 3$"),
    ("Sequential-a-function", lambda: Sequential(lambda x: x), TypeError,
     r"^Sequential takes Modules; argument 0 is function <function"),
    ("Sequential-a-list-of-modules", lambda: Sequential([_relu]), TypeError,
     r"^Sequential takes Modules; argument 0 is list \[Activation\(relu\)\]$"),
    ("Sequential-a-class", lambda: Sequential(nn.Activation), TypeError,
     r"^Sequential takes Modules; argument 0 is type <class 'nn.mlp.Activation'>$"),
    ("Sequential-index-a-str", lambda: Sequential(_relu)["0"],
     TypeError, r"^Sequential index must be an int, got str '0'$"),
    ("Sequential-index-a-float", lambda: Sequential(_relu)[0.0], TypeError,
     r"^Sequential index must be an int, got float 0.0$"),
    ("Residual-a-number", lambda: Residual(3), TypeError, r"^Residual wraps a Module, got int 3$"),
    ("Residual-none", lambda: Residual(None), TypeError, r"^Residual wraps a Module, got NoneType None$"),
    ("Residual-a-class", lambda: Residual(nn.Linear), TypeError, r"^Residual wraps a Module, got type <class"),
    ("Residual-a-module-that-changes-the-size", lambda: Residual(Layer(2, 3, seed=0))([1.0, 2.0]), ValueError,
     r"^Residual needs the module to keep the size: input 2, output 3$"),
    ("Residual-called-with-none", lambda: Residual(_relu)(None), TypeError, r"^Activation input must be a Value"),
    ("BatchNorm-num_features-zero", lambda: BatchNorm(0), ValueError, r"^num_features must be an int >= 1, got 0$"),
    ("BatchNorm-num_features-a-bool", lambda: BatchNorm(True),
     TypeError, r"^num_features must be an int, got bool True$"),
    ("BatchNorm-num_features-huge", lambda: BatchNorm(10**12), ValueError,
     rf"^num_features must be an int from 1 to {MAX_SIZE}"),
    ("BatchNorm-num_features-too-many-parameters", lambda: BatchNorm(6 * 10**6), ValueError,
     r"^BatchNorm\(num_features=6000000\) would have 12000000 parameters, more than 10000000"),
    ("BatchNorm-eps-zero", lambda: BatchNorm(2, eps=0), ValueError, r"^eps must be a finite number > 0, got 0.0$"),
    ("BatchNorm-eps-nan", lambda: BatchNorm(2, eps=math.nan),
     ValueError, r"^eps must be a finite number > 0, got nan$"),
    ("BatchNorm-momentum-negative", lambda: BatchNorm(2, momentum=-0.1), ValueError,
     r"^momentum must be a number >= 0 and <= 1, got -0.1$"),
    ("BatchNorm-momentum-a-str", lambda: BatchNorm(2, momentum="0.1"), TypeError,
     r"^momentum must be a real number, got str '0.1'$"),
    ("BatchNorm-batch-none", lambda: _bn.forward_batch(None), TypeError,
     r"^BatchNorm batch must be a list of samples, got NoneType None$"),
    ("BatchNorm-batch-a-str", lambda: _bn.forward_batch("ab"), TypeError,
     r"^BatchNorm batch must be a list of samples, got str 'ab'$"),
    ("BatchNorm-sample-none", lambda: _bn.forward_batch([[1.0, 2.0], None]), TypeError,
     r"^BatchNorm batch\[1\] must be a vector of 2 numbers or Values \(a list, tuple or 1-D array\), got NoneType"),
    ("BatchNorm-sample-too-short", lambda: _bn.forward_batch([[1.0, 2.0], [1.0]]), ValueError,
     r"^BatchNorm expects vectors of 2 values, got 1 in batch\[1\]$"),
    ("BatchNorm-sample-holds-a-str", lambda: BatchNorm(2).eval().forward_batch([[1.0, "a"]]), TypeError,
     r"^BatchNorm batch\[0\]\[1\] must be a Value or a real number, got str 'a'$"),
    ("BatchNorm-one-sample-in-training", lambda: _bn.forward_batch([[1.0, 2.0]]), ValueError,
     r"^BatchNorm in training mode needs at least 2 samples, got 1$"),
    ("BatchNorm-called-on-one-sample-in-training", lambda: _bn([1.0, 2.0]), ValueError,
     r"^BatchNorm in training mode needs a batch: call forward_batch, or eval\(\) first$"),
    ("register_module-none-name-a-number", lambda: nn.register_module(name=3), TypeError,
     r"^name must be a str, got int 3$"),
    ("register_module-an-instance", lambda: nn.register_module(_relu), TypeError,
     r"^register_module decorates a subclass of nn.Module, got Activation Activation\(relu\)$"),
    ("register_module-a-class-that-is-not-a-module", lambda: nn.register_module(dict), TypeError,
     r"^register_module decorates a subclass of nn.Module, got type <class 'dict'>$"),
    ("register_module-a-function", lambda: nn.register_module(len), TypeError,
     r"^register_module decorates a subclass of nn.Module, got builtin_function_or_method"),
    ("register_module-a-class-without-config", lambda: nn.register_module(_NoConfig), TypeError,
     r"^_NoConfig must define config\(\) returning \{'type': ..., <constructor arguments>\} to be registered$"),
    ("register_module-name-empty", lambda: nn.register_module(name="")(Scale), ValueError,
     r"^name must be a non-empty str$"),
    ("register_module-name-taken", lambda: nn.register_module(name="Linear")(Scale), ValueError,
     r"^the module name 'Linear' is already registered to nn.layers.Linear; register Scale under another name=$"),
]
