"""Every module class ``nn`` ships, each built in a few ways, with an input it accepts; helpers to compare two.

Used by the tests of modules (pickling, sizes) and of saving (round trips), so a new
shipped module is added here once and is then tested by both; the layer tests share the
check that a model trains the same through ``fit(compile=True)``.
"""

import random

import numpy as np
import pytest

from autograd_engine import Value, vsum
from nn import (
    MLP,
    RNN,
    Activation,
    BatchNorm,
    Conv2d,
    Embedding,
    Flatten,
    GRUCell,
    Layer,
    LayerNorm,
    Linear,
    LSTMCell,
    MaxPool2d,
    Neuron,
    Residual,
    RMSNorm,
    RNNCell,
    SelfAttention,
    Sequential,
    Unflatten,
    fit,
    predict,
)

VEC3 = [0.5, -1.0, 2.0]
BATCH3 = [[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.8, 0.1], [2.0, -1.5, 0.4]]
IMAGE2 = [[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.8, 0.1]],  # 2 channels of 3 x 3
          [[2.0, -1.5, 0.4], [0.9, -0.3, 1.1], [0.0, 0.6, -0.8]]]
SEQ4 = [[0.1, -0.3, 0.5, 0.2], [0.4, 0.0, -0.6, 0.9], [-0.8, 0.7, 0.3, -0.1]]

#: name -> (factory, input, whether the input is a batch for forward_batch)
CASES = {
    "Neuron": (lambda: Neuron(3, activation="tanh", seed=1), VEC3, False),
    "Neuron-unfused": (lambda: Neuron(3, fused=False, seed=1), VEC3, False),
    "Layer": (lambda: Layer(3, 2, activation="sigmoid", seed=2), VEC3, False),
    "MLP": (lambda: MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", init="xavier", seed=3),
            VEC3, False),
    "Activation": (lambda: Activation("leaky_relu"), VEC3, False),
    "BatchNorm": (lambda: BatchNorm(3, eps=1e-3, momentum=0.2), BATCH3, True),
    "LayerNorm": (lambda: LayerNorm(3, eps=1e-4), VEC3, False),
    "RMSNorm": (lambda: RMSNorm(3), VEC3, False),
    "Linear": (lambda: Linear(3, 2, seed=4), VEC3, False),
    "Linear-no-bias": (lambda: Linear(3, 2, bias=False, seed=4), VEC3, False),
    "Embedding": (lambda: Embedding(5, 3, seed=5, scale=0.5), 3, False),
    "SelfAttention": (lambda: SelfAttention(4, heads=2, causal=False, seed=6), SEQ4, False),
    "Sequential": (lambda: Sequential(Linear(3, 4, seed=7), LayerNorm(4), Activation("relu"),
                                      Residual(Sequential(Linear(4, 4, seed=8), RMSNorm(4))), Layer(4, 1, seed=9)),
                   VEC3, False),
    "Sequential-batchnorm": (lambda: Sequential(Layer(3, 3, seed=10), BatchNorm(3),
                                                Residual(Residual(MLP(3, [3], seed=11)))), BATCH3, True),
    "Residual": (lambda: Residual(Linear(3, 3, seed=12)), VEC3, False),
    "Conv2d": (lambda: Conv2d(2, 3, 2, stride=1, padding=1, activation="tanh", seed=13), IMAGE2, False),
    "Conv2d-no-bias": (lambda: Conv2d(2, 1, 3, stride=2, bias=False, seed=14), IMAGE2, False),
    "MaxPool2d": (lambda: MaxPool2d(2, stride=1), IMAGE2, False),
    "Flatten": (lambda: Flatten(), IMAGE2, False),
    "Unflatten": (lambda: Unflatten([3, 1]), VEC3, False),
    "CNN": (lambda: Sequential(Unflatten([2, 3, 3]), Conv2d(2, 2, 2, seed=15), MaxPool2d(2), Flatten(),
                               Linear(2, 1, seed=16)), [v for ch in IMAGE2 for row in ch for v in row], False),
    "RNNCell": (lambda: RNNCell(3, 2, activation="relu", seed=17), VEC3, False),
    "RNNCell-no-bias": (lambda: RNNCell(3, 2, bias=False, seed=18), VEC3, False),
    "GRUCell": (lambda: GRUCell(3, 2, seed=19), VEC3, False),
    "GRUCell-no-bias": (lambda: GRUCell(3, 2, bias=False, seed=20), VEC3, False),
    "RNN": (lambda: RNN(4, 3, seed=21), SEQ4, False),
    "RNN-gru-last": (lambda: RNN(4, 2, cell="gru", outputs="last", seed=22), SEQ4, False),
    "LSTMCell": (lambda: LSTMCell(3, 2, seed=23), VEC3, False),
    "LSTMCell-no-bias": (lambda: LSTMCell(3, 2, bias=False, seed=24), VEC3, False),
    "RNN-lstm-last": (lambda: RNN(4, 2, cell="lstm", outputs="last", seed=25), SEQ4, False),
}

#: every class nn ships, so a test can check that CASES covers them all
SHIPPED = {Neuron, Layer, MLP, Activation, BatchNorm, LayerNorm, RMSNorm, Linear, Embedding, SelfAttention,
           Sequential, Residual, Conv2d, MaxPool2d, Flatten, Unflatten, RNNCell, GRUCell, LSTMCell, RNN}


def randomise(model, seed=0):
    """Give every parameter and buffer a random value (running variances stay positive)."""
    rng = random.Random(seed)
    model.load_state_dict({name: (0.5 + rng.random()) if ".running_var." in f".{name}" else rng.uniform(-1, 1)
                           for name in model.state_dict()})
    return model


def values_in(out):
    """The Values in a module's output (a Value, or nested lists of them), in order."""
    if isinstance(out, Value):
        return [out]
    return [v for item in out for v in values_in(item)]


def run(model, x, batch):
    """The model's output data and its parameters' gradients of a fixed weighted sum of the outputs."""
    model.zero_grad()
    outs = values_in(model.forward_batch(x) if batch else model(x))
    vsum(o * (1.0 + 0.5 * i) for i, o in enumerate(outs)).backward()
    return [o.data for o in outs], [p.grad for p in model.parameters()]


def assert_same(a, b, x, batch):
    """``b`` is a faithful copy of ``a``: class, architecture, state, outputs and gradients, bit for bit."""
    assert type(b) is type(a) and b is not a
    assert b.config() == a.config()
    assert [n for n, _ in b.named_parameters()] == [n for n, _ in a.named_parameters()]
    assert b.state_dict() == a.state_dict()
    assert run(b, x, batch) == run(a, x, batch)
    assert b.state_dict() == a.state_dict()  # BatchNorm's running statistics moved the same way


def assert_compiled_fit_equals_scalar(make, X, y, loss):
    """``fit`` and ``predict`` with ``compile=True`` give the scalar engine's losses, weights and outputs (1e-12).

    ``make()`` builds the model afresh (the same weights each call): one copy trains each way.
    """
    a, b = make(), make()
    scalar = fit(a, X, y, loss=loss, lr=0.1, epochs=2, batch_size=4, progress=False)
    traced = fit(b, X, y, loss=loss, lr=0.1, epochs=2, batch_size=4, progress=False, compile=True)
    np.testing.assert_allclose(traced.loss, scalar.loss, rtol=1e-12)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert q.data == pytest.approx(p.data, rel=1e-12, abs=1e-14)
    assert any(p.data != q.data for p, q in zip(a.parameters(), make().parameters()))  # it did train
    np.testing.assert_allclose(predict(b, X, compile=True), predict(a, X, compile=False), rtol=1e-12, atol=1e-14)
