"""fit(compile=True) and predict's compiled path against the scalar ones: the same History, parameters, outputs."""

import numpy as np
import pytest

import nn
from autograd_engine import TracerError, Value
from nn import (
    MLP,
    SGD,
    Activation,
    Adam,
    BatchNorm,
    Layer,
    LayerNorm,
    Linear,
    Residual,
    RMSNorm,
    Sequential,
    fit,
    make_blobs,
    make_moons,
    predict,
)
from nn.compiled import mixes_samples, structure_key

X2, Y2 = make_moons(23, noise=0.1, seed=0)  # 23 samples: batches of 5 leave a last batch of 3


def pair(make, X=X2, y=Y2, **kwargs):
    """Train two copies of ``make()``, scalar and compiled, with the same arguments; check they agree."""
    a, b = make(), make()
    scalar = fit(a, X, y, progress=False, **kwargs)
    compiled = fit(b, X, y, progress=False, compile=True, **kwargs)
    np.testing.assert_allclose(compiled.loss, scalar.loss, rtol=1e-9, atol=0)
    assert compiled.accuracy == scalar.accuracy and compiled.lr == scalar.lr
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert q.data == pytest.approx(p.data, rel=1e-9, abs=1e-12)
        assert q.grad == pytest.approx(p.grad, rel=1e-9, abs=1e-12)
    assert list(a.named_buffers()) == pytest.approx(list(b.named_buffers()), rel=1e-12) or \
        np.allclose([v for _, v in a.named_buffers()], [v for _, v in b.named_buffers()], rtol=1e-9, atol=1e-12)
    return scalar, a, b


def mlp(outputs=1, **kwargs):
    return lambda: MLP(2, [6, outputs], seed=3, **kwargs)


@pytest.mark.parametrize("loss, optimizer", [("hinge", "sgd"), ("bce", "adam"), ("mse", "rmsprop"),
                                             ("binary_cross_entropy", "sgd")])
def test_every_single_output_loss_and_optimizer_full_batch_and_mini_batches(loss, optimizer):
    pair(mlp(), loss=loss, optimizer=optimizer, epochs=3, l2=1e-3)
    history, *_ = pair(mlp(activation="tanh"), loss=loss, optimizer=optimizer, epochs=2, batch_size=5, seed=4)
    assert len(history) == 2 and history.accuracy[0] is not None


def test_cross_entropy_and_mse_with_several_outputs():
    X, y = make_blobs(20, 3, seed=1)
    pair(mlp(3), X=X, y=y, loss="cross_entropy", optimizer="adam", epochs=3, batch_size=6)
    targets = np.stack([y == 0, y == 2], axis=1).astype(float)  # two targets per sample: accuracy is None
    history, *_ = pair(mlp(2), X=X, y=targets, loss="mse", optimizer="sgd", lr=0.05, epochs=2)
    assert history.accuracy == [None, None]


def test_automatic_loss_schedule_momentum_and_an_optimizer_passed_in():
    from_schedule = pair(mlp(), epochs=4, optimizer="sgd", lr=0.3,
                         schedule=lambda opt: nn.StepLR(opt, step_size=2, gamma=0.5))[0]
    assert from_schedule.lr == [0.3, 0.3, 0.15, 0.15]
    pair(mlp(), epochs=3, batch_size=7, loss="hinge",
         schedule=lambda opt: nn.CosineLR(opt, total_steps=3))
    # an optimizer on part of the parameters: the others accumulate gradients, as backward() leaves them
    models = []

    def make():
        models.append(MLP(2, [5, 1], seed=8))
        return models[-1]

    a, b = make(), make()
    for m in (a, b):
        opt = SGD(m.layers[1].parameters(), lr=0.2, momentum=0.9)
        fit(m, X2, Y2, loss="hinge", optimizer=opt, epochs=3, batch_size=8, progress=False,
            compile=m is b, l2=1e-2)
        assert opt.steps == 9
    for p, q in zip(a.parameters(), b.parameters()):
        assert (q.data, q.grad) == pytest.approx((p.data, p.grad), rel=1e-9, abs=1e-12)
    # the same Optimizer goes on by value after a compiled fit (its state came back as lists)
    opt_a, opt_b = Adam(a.parameters(), lr=0.01), Adam(b.parameters(), lr=0.01)
    fit(a, X2, Y2, optimizer=opt_a, epochs=2, progress=False)
    fit(b, X2, Y2, optimizer=opt_b, epochs=2, progress=False, compile=True)
    for o in (opt_a, opt_b):
        o.step()
    assert [p.data for p in b.parameters()] == pytest.approx([p.data for p in a.parameters()], rel=1e-9)


def test_a_schedule_of_ones_own_sees_the_parameters_in_sync_and_the_trace_is_reused(monkeypatch):
    import autograd_engine

    class Peek:  # a schedule that looks at the model every epoch
        def __init__(self, optimizer, model):
            self.optimizer, self.model, self.seen = optimizer, model, []

        def step(self):
            self.seen.append([(p.data, p.grad) for p in self.model.parameters()])
            self.optimizer.lr *= 0.5

    peeks = []
    for compile in (False, True):
        model = MLP(2, [4, 1], seed=2)
        fit(model, X2, Y2, loss="hinge", optimizer="sgd", epochs=3, batch_size=10, progress=False, compile=compile,
            schedule=lambda opt, m=model: peeks.append(Peek(opt, m)) or peeks[-1])
    assert len(peeks[1].seen) == 3
    for by_value, compiled in zip(peeks[0].seen, peeks[1].seen):
        np.testing.assert_allclose(compiled, by_value, rtol=1e-9, atol=1e-12)
    traced = []
    real_trace = autograd_engine.trace
    monkeypatch.setattr(autograd_engine, "trace", lambda *args: traced.append(args) or real_trace(*args))
    for _ in range(2):
        fit(model, X2, Y2, loss="hinge", epochs=1, batch_size=10, progress=False, compile=True)
    assert traced == []  # the same structure: the program of the first fit serves
    model.layers[0].neurons[0].activation = "tanh"  # a changed config: traced again, once
    for _ in range(2):
        fit(model, X2, Y2, loss="hinge", epochs=1, batch_size=10, progress=False, compile=True)
    assert len(traced) == 1


SHIPPED = {
    "linear-activation": lambda: Sequential(Linear(2, 5, seed=0), Activation("tanh"), Linear(5, 3, seed=1),
                                            Activation("linear"), Layer(3, 1, activation="linear", seed=2)),
    "layernorm-residual": lambda: Sequential(Layer(2, 4, seed=0), LayerNorm(4), Residual(Layer(4, 4, seed=2)),
                                             RMSNorm(4), Layer(4, 1, activation="linear", seed=3)),
    # no bias before BatchNorm: its gradient is 0 up to rounding, which Adam would scale up to steps of lr
    "batchnorm": lambda: Sequential(Linear(2, 4, bias=False, seed=0), BatchNorm(4, momentum=0.2), Activation("relu"),
                                    Layer(4, 1, activation="linear", seed=1)),
}


@pytest.mark.parametrize("name", SHIPPED)
def test_sequential_models_of_the_shipped_layers(name):
    _, a, b = pair(SHIPPED[name], loss="bce", optimizer="adam", epochs=2, batch_size=5, l2=1e-3)
    assert mixes_samples(a) == (name == "batchnorm")
    if name == "batchnorm":
        bn_a, bn_b = a[1], b[1]
        assert bn_b.running_mean != [0.0] * 4
        np.testing.assert_allclose(bn_b.running_mean, bn_a.running_mean, rtol=1e-12)
        np.testing.assert_allclose(bn_b.running_var, bn_a.running_var, rtol=1e-12)
    np.testing.assert_allclose(predict(b, X2, compile=True), predict(a, X2, compile=False), rtol=1e-9)


def test_a_model_changed_between_fits_is_traced_again():
    a, b = SHIPPED["linear-activation"](), SHIPPED["linear-activation"]()
    key = structure_key(b)
    for model in (a, b):
        fit(model, X2, Y2, loss="hinge", epochs=2, progress=False, compile=model is b)
        model._steps[1] = Activation("relu")  # another activation: the same parameters, another graph
        model._steps[2] = Linear(5, 3, seed=9)  # another layer: other parameters
    assert structure_key(b) != key
    scalar = fit(a, X2, Y2, loss="hinge", epochs=2, progress=False)
    compiled = fit(b, X2, Y2, loss="hinge", epochs=2, progress=False, compile=True)
    np.testing.assert_allclose(compiled.loss, scalar.loss, rtol=1e-9)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert q.data == pytest.approx(p.data, rel=1e-9, abs=1e-12)


def test_predict_compiled_equals_scalar_and_falls_back_only_on_tracer_error():
    model = MLP(2, [7, 7, 3], seed=5)
    grid = np.random.default_rng(0).normal(size=(50, 2))
    compiled, scalar = predict(model, grid, compile=True), predict(model, grid, compile=False)
    assert compiled.shape == scalar.shape == (50, 3)
    np.testing.assert_allclose(compiled, scalar, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(predict(model, grid), scalar, rtol=1e-12, atol=1e-15)
    model.layers[0].neurons[0].b.data += 1.0  # new values, the same program: the parameters are inputs
    np.testing.assert_allclose(predict(model, grid), predict(model, grid, compile=False), rtol=1e-12, atol=1e-15)

    class Branchy(nn.Module):  # a Python branch on a Value: cannot be traced
        def __init__(self):
            self.w = Value(2.0)

        def forward(self, x):
            return self.w * x[0] if x[0] > 0 else self.w * x[1]

    branchy = Branchy()
    X = [[1.0, 5.0], [-1.0, 5.0]]
    assert predict(branchy, X).tolist() == predict(branchy, X, compile=False).tolist() == [2.0, 10.0]
    with pytest.raises(TracerError):
        predict(branchy, X, compile=True)

    class Broken(nn.Module):  # any other error propagates, compiled or not
        def forward(self, x):
            raise KeyError("broken")

    with pytest.raises(KeyError):
        predict(Broken(), X)


@pytest.mark.parametrize("name", ["mlp", *SHIPPED])
def test_to_torch_gives_the_same_outputs_and_gradients(name):
    torch = pytest.importorskip("torch")
    from autograd_engine import vsum

    model = MLP(2, [5, 5, 3], activation="tanh", seed=0) if name == "mlp" else SHIPPED[name]()
    if name == "batchnorm":  # trained a little, so the running statistics are not the defaults
        fit(model, X2, Y2, loss="bce", epochs=2, batch_size=8, progress=False)
    model.train()
    net = nn.to_torch(model)
    assert net.weight.dtype == torch.float64 and net.parameter_names == [n for n, _ in model.named_parameters()]
    out = net(torch.tensor(X2))
    np.testing.assert_allclose(out.detach().numpy(), predict(model, X2, compile=False), rtol=1e-10, atol=1e-12)
    assert model.training  # to_torch traced the evaluation-mode pass and put the mode back
    # gradient of sum(outputs ** 2 / 2) over the batch, by torch and by the scalar engine
    (out**2 / 2).sum().backward()
    model.eval()
    outs = [model(list(row)) for row in X2.tolist()]
    for p in model.parameters():
        p.grad = 0.0
    vsum([o * o * 0.5 for out_i in outs for o in (out_i if isinstance(out_i, list) else [out_i])]).backward()
    np.testing.assert_allclose(net.weight.grad.numpy(), [p.grad for p in model.parameters()], rtol=1e-10,
                               atol=1e-12)
    one = net(torch.tensor(X2[0]))
    assert one.shape == ((3,) if name == "mlp" else ())
    # the weights are a copy: a step on the torch side leaves the model alone
    with torch.no_grad():
        net.weight += 1.0
    assert model.parameters()[0].data != net.weight[0].item()


def test_to_torch_says_what_torch_needs():
    torch = pytest.importorskip("torch")
    net = nn.to_torch(MLP(2, [3, 1], seed=0))
    with pytest.raises(ValueError, match=r"x must be a tensor of shape \(batch, features\) or \(features,\)"):
        net(torch.zeros(2, 2, 2, dtype=torch.float64))


def custom_loss(outputs, targets):
    return nn.mse(outputs, targets)


def fit_compiled(**kwargs):
    return fit(MLP(2, [3, 1], seed=0), X2, Y2, progress=False, **{"compile": True, "epochs": 1, **kwargs})


class Untraceable(nn.Module):
    """A Python branch on a Value: runs sample by sample, cannot be traced."""

    def __init__(self):
        self.w = Value(2.0)

    def forward(self, x):
        return self.w * x[0] if x[0] > 0 else self.w * x[1]


ERROR_CASES = [
    ("fit-compile-untraceable-model", lambda: fit(Untraceable(), X2, Y2, compile=True, progress=False), TracerError,
     r"test_compiled_fit\.py:\d+: comparing a traced Value .* fit\(compile=True\) traces the model's forward pass; "
     r"compile=False trains it as written"),
    ("predict-compile-untraceable-model", lambda: predict(Untraceable(), X2, compile=True), TracerError,
     r"test_compiled_fit\.py:\d+: .* predict\(compile=True\) traces the model's forward pass; compile=None or "
     r"False runs it as written"),
    ("fit-compile-none", lambda: fit_compiled(compile=None), TypeError,
     r"compile must be a bool \(True or False\), got NoneType None"),
    ("fit-compile-str", lambda: fit_compiled(compile="yes"), TypeError, r"compile must be a bool .*got str 'yes'"),
    ("fit-compile-int", lambda: fit_compiled(compile=2), TypeError, r"compile must be a bool .*got int 2"),
    ("fit-compile-custom-loss", lambda: fit_compiled(loss=custom_loss), ValueError,
     r"compile=True needs a named loss \(mse, .*\), got the function .*custom_loss.*use compile=False"),
    ("fit-compile-hinge-target", lambda: fit(MLP(2, [3, 1], seed=0), X2, Y2 + 1, loss="hinge", compile=True,
                                             progress=False), ValueError, r"hinge: target \d+ must be -1 or \+1"),
    ("to_torch-str", lambda: nn.to_torch("model"), TypeError,
     r"model must be a Module \(nn.MLP, nn.Sequential ...\), got str 'model'"),
    ("to_torch-none", lambda: nn.to_torch(None), TypeError, r"model must be a Module .*got NoneType None"),
    ("to_torch-function", lambda: nn.to_torch(lambda x: x), TypeError, r"model must be a Module .*got function"),
    ("predict-compile-str", lambda: predict(MLP(2, [3, 1], seed=0), X2, compile="no"), TypeError,
     r"compile must be a bool \(True or False\), got str 'no'"),
    ("predict-compile-float", lambda: predict(MLP(2, [3, 1], seed=0), X2, compile=1.0), TypeError,
     r"compile must be a bool .*got float 1\.0"),
    ("to_torch-forward-none", lambda: nn.to_torch(MLP(2, [3, 1], seed=0))(None), TypeError,
     r"x must be a tensor or array of numbers of shape \(batch, features\) or \(features,\), got NoneType None"),
    ("to_torch-forward-str", lambda: nn.to_torch(MLP(2, [3, 1], seed=0))("12"), TypeError,
     r"x must be a tensor or array of numbers .*got str '12'"),
    ("predict-compile-zero-features", lambda: predict(MLP(2, [3, 1], seed=0), np.zeros((3, 0)), compile=True),
     ValueError, r"MLP expects 2 inputs, got 0"),
]


def test_numpy_bools_are_bools():
    model = MLP(2, [3, 1], seed=0)
    assert predict(model, X2, compile=np.bool_(True)).shape == (23,)
    assert len(fit_compiled(compile=np.bool_(True))) == 1


def test_a_schedule_that_changes_the_parameters_is_seen_by_the_next_epoch():
    # a schedule of one's own may write .data and .grad (shrink the weights, clear the gradients):
    # the compiled fit reads them back before the next epoch, as the scalar loop does
    class Shrink:
        def __init__(self, optimizer, model):
            self.optimizer, self.model = optimizer, model

        def step(self):
            for p in self.model.parameters():
                p.data *= 0.5
                p.grad = 0.25

    runs = []
    for compile in (False, True):
        model = MLP(2, [4, 1], seed=2)
        opt = SGD(model.layers[1].parameters(), lr=0.2)  # the first layer's gradients accumulate
        history = fit(model, X2, Y2, loss="hinge", optimizer=opt, epochs=3, batch_size=10, progress=False,
                      compile=compile, schedule=lambda o, m=model: Shrink(o, m))
        runs.append((history.loss, [(p.data, p.grad) for p in model.parameters()]))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-9)
    np.testing.assert_allclose(runs[1][1], runs[0][1], rtol=1e-9, atol=1e-12)


def test_predict_of_samples_without_features_says_what_the_model_expects():
    for compile in (None, False):
        with pytest.raises(ValueError, match=r"MLP expects 2 inputs, got 0"):
            predict(MLP(2, [3, 1], seed=0), np.zeros((3, 0)), compile=compile)


class Tokens(nn.Module):
    """Three tokens of 2 features attend to each other (SelfAttention: its max-shift traces), then a readout."""

    def __init__(self):
        self.attention = nn.SelfAttention(2, seed=0)
        self.readout = Linear(2, 1, seed=1)

    def forward(self, x):
        h = self.attention([x[0:2], x[2:4], x[4:6]])
        return self.readout([h[0][j] + h[1][j] + h[2][j] for j in range(2)])[0]


def test_self_attention_inside_a_model_compiles():
    X = np.random.default_rng(0).normal(size=(12, 6))
    y = (X[:, 0] > X[:, 3]).astype(int)
    _, a, b = pair(Tokens, X=X, y=y, optimizer="adam", epochs=2, batch_size=5, l2=1e-3)
    np.testing.assert_allclose(predict(b, X, compile=True), predict(a, X, compile=False), rtol=1e-12)


def test_fit_twice_goes_on_from_the_trained_weights_and_sees_changes_made_by_hand():
    a, b = MLP(2, [4, 1], seed=1), MLP(2, [4, 1], seed=1)
    for model in (a, b):
        first = fit(model, X2, Y2, optimizer="sgd", epochs=2, progress=False, compile=model is b)
        second = fit(model, X2, Y2, optimizer="sgd", epochs=1, progress=False, compile=model is b)
        assert second.loss[0] < first.loss[0]  # went on from the trained weights
        model.parameters()[0].data = 3.0  # a weight set by hand
        model.layers[0].neurons[0].w[1] = Value(-2.0)  # a parameter replaced by another Value
    scalar = fit(a, X2, Y2, optimizer="sgd", epochs=2, progress=False)
    compiled = fit(b, X2, Y2, optimizer="sgd", epochs=2, progress=False, compile=True)
    np.testing.assert_allclose(compiled.loss, scalar.loss, rtol=1e-9)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert (q.data, q.grad) == pytest.approx((p.data, p.grad), rel=1e-9, abs=1e-12)


def test_under_no_grad_in_threads_and_in_a_generator_the_compiled_fit_is_the_same():
    import threading

    from autograd_engine import no_grad

    def run(seed):
        return fit(MLP(2, [4, 1], seed=seed), X2, Y2, loss="hinge", optimizer="sgd", epochs=3, batch_size=9,
                   progress=False, compile=True).loss

    alone = {seed: run(seed) for seed in (0, 1)}
    with no_grad():
        assert run(0) == alone[0]
    found = {}
    threads = [threading.Thread(target=lambda i=i: found.__setitem__(i, run(i % 2))) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == {i: alone[i % 2] for i in range(8)}  # two models' traces and fits in parallel, bit for bit
    assert next(run(seed) for seed in [1]) == alone[1]


def test_predict_of_nan_and_inf_gives_what_the_scalar_pass_gives():
    model = MLP(2, [3, 1], seed=0)
    X = [[np.nan, 1.0], [np.inf, 0.0], [0.5, -0.5]]
    np.testing.assert_array_equal(predict(model, X, compile=True), predict(model, X, compile=False))
