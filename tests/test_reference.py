"""The by-hand delta equations equal the Value engine's gradients on the same networks."""

import numpy as np
import pytest

import nn
from autograd_engine import Value
from nn import MLP, reference

CASES = [
    # sizes, hidden activation, output activation (reference), cost
    ([2, 3, 1], "sigmoid", "sigmoid", "mse"),
    ([3, 5, 4, 2], "tanh", "linear", "mse"),
    ([4, 6, 6, 6, 3], "relu", "softmax", "cross_entropy"),
    ([2, 7, 1], "tanh", "sigmoid", "cross_entropy"),
    ([5, 4, 3, 2, 4, 2], "sigmoid", "tanh", "mse"),
    ([3, 8, 3], "relu", "sigmoid", "mse"),
]


def engine_gradients(params, X, Y, activation, output_activation, cost):
    model_output = {"softmax": "linear"}.get(output_activation, output_activation)
    if cost == "cross_entropy":
        model_output = "linear"  # the engine's losses take logits
    sizes = [params[0][0].shape[1]] + [W.shape[0] for W, _ in params]
    model = MLP(sizes[0], sizes[1:], activation=activation, output_activation=model_output, seed=0)
    reference.load_into_model(model, params)
    outs = model.forward_batch(X.tolist())
    if cost == "mse":
        loss = nn.mse(outs, Y.tolist())
    elif output_activation == "softmax":
        loss = nn.cross_entropy(outs, Y.astype(int).tolist())
    else:
        loss = nn.binary_cross_entropy(outs, Y.ravel().tolist())
    loss.backward()
    dW = [np.array([[w.grad for w in n.w] for n in layer.neurons]) for layer in model.layers]
    db = [np.array([n.b.grad for n in layer.neurons]) for layer in model.layers]
    return loss.data, dW, db


@pytest.mark.parametrize("sizes, activation, output_activation, cost", CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_delta_equations_equal_autodiff(sizes, activation, output_activation, cost, seed):
    rng = np.random.default_rng(seed)
    params = reference.init_params(sizes, seed=seed)
    params = [(W, rng.normal(0, 0.5, b.shape)) for W, b in params]  # nonzero biases too
    n = 7
    X = rng.normal(size=(n, sizes[0]))
    if cost == "cross_entropy" and output_activation == "softmax":
        Y = rng.integers(0, sizes[-1], n)
    elif cost == "cross_entropy":
        Y = rng.integers(0, 2, (n, 1)).astype(float)
    else:
        Y = rng.normal(size=(n, sizes[-1]))
        Y = Y.ravel() if sizes[-1] == 1 else Y
    dW, db = reference.backprop(params, X, Y, activation, output_activation, cost)
    loss, eW, eb = engine_gradients(params, X, Y, activation, output_activation, cost)
    assert reference.loss(params, X, Y, activation, output_activation, cost) == pytest.approx(loss, rel=1e-12)
    for a, b in zip(dW, eW):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for a, b in zip(db, eb):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_xor_training_curves_are_identical():
    X, y = nn.make_xor()
    params = reference.init_params([2, 4, 1], seed=3)
    _, curve = reference.train(params, X, y.reshape(-1, 1), lr=2.0, epochs=1000)
    model = MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    reference.load_into_model(model, params)
    history = nn.fit(model, X, y, loss="mse", optimizer="sgd", lr=2.0, epochs=1000, progress=False)
    np.testing.assert_allclose(history.loss, curve, rtol=1e-10)
    assert curve[-1] < 0.02 * curve[0] and history.accuracy[-1] == 1.0


def test_forward_matches_the_model_and_round_trips():
    model = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=5)
    params = reference.params_from_model(model)
    X = np.random.default_rng(0).normal(size=(4, 3))
    expected = [[v.data for v in model(x)] for x in X.tolist()]
    np.testing.assert_allclose(reference.forward(params, X, "tanh", "sigmoid"), expected, rtol=1e-12)
    assert reference.params_from_model(reference.load_into_model(MLP(3, [4, 2], seed=1), params))[0][0].tolist() == \
        params[0][0].tolist()


@pytest.mark.parametrize("call, pattern", [
    (lambda p: reference.backprop(p, np.zeros((1, 2)), np.zeros((1, 1)), activation="gelu"), "activation must be"),
    (lambda p: reference.backprop(p, np.zeros((1, 2)), np.zeros((1, 1)), cost="l1"), "cost must be"),
    (lambda p: reference.backprop(p, np.zeros((1, 2)), np.zeros((1, 1)), output_activation="relu",
                                  cost="cross_entropy"), "needs a softmax output"),
    (lambda p: reference.backprop([(np.zeros((2, 2)), np.zeros(3))], np.zeros((1, 2)), np.zeros((1, 2))),
     "W must be"),
    (lambda p: reference.load_into_model(MLP(2, [3], seed=0), p), r"layer 0: W is \(1, 2\)"),
    (lambda p: reference.load_into_model(MLP(2, [3, 1], seed=0), p), "params has 1 layers, the model 2"),
])
def test_validation(call, pattern):
    params = [(np.zeros((1, 2)), np.zeros(1))]
    with pytest.raises(ValueError, match=pattern):
        call(params)


def test_value_engine_is_what_nn_uses():
    assert isinstance(MLP(1, [1], seed=0)([1.0]), Value)
