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


P1 = [(np.zeros((1, 2)), np.zeros(1))]
X1, Y1 = np.zeros((1, 2)), np.zeros((1, 1))

#: (id, call, exception, words in the message): every function of nn.reference, one mistake each.
ERROR_CASES = [
    ("activation-unknown", lambda: reference.backprop(P1, X1, Y1, activation="gelu"), ValueError, "activation must be"),
    ("activation-number", lambda: reference.forward(P1, X1, activation=1), TypeError,
     "activation must be one of sigmoid, tanh, relu, linear, got int 1"),
    ("cost-unknown", lambda: reference.backprop(P1, X1, Y1, cost="l1"), ValueError, "cost must be"),
    ("cross-entropy-relu-output", lambda: reference.backprop(P1, X1, Y1, output_activation="relu",
                                                             cost="cross_entropy"), ValueError,
     "needs a softmax output"),
    ("W-b-mismatch", lambda: reference.backprop([(np.zeros((2, 2)), np.zeros(3))], X1, np.zeros((1, 2))), ValueError,
     "W must be"),
    ("params-none", lambda: reference.forward(None, X1), TypeError, "params must be a list of \\(W, b\\) pairs"),
    ("params-empty", lambda: reference.forward([], X1), ValueError, "params must hold at least one"),
    ("params-layer-not-pair", lambda: reference.forward([np.zeros((1, 2))], X1), TypeError,
     r"params\[0\] must be a pair \(W, b\)"),
    ("params-nan", lambda: reference.forward([(np.full((1, 2), np.nan), np.zeros(1))], X1), ValueError,
     r"params\[0\]\[0\] must hold finite numbers"),
    ("X-features", lambda: reference.forward(P1, np.zeros((1, 3))), ValueError, "X must have 2 features per sample"),
    ("X-1d", lambda: reference.forward(P1, np.zeros(2)), ValueError, "X must be a 2-D array"),
    ("Y-shape", lambda: reference.loss(P1, np.zeros((2, 2)), np.zeros(3)), ValueError, r"Y must have shape \(2, 1\)"),
    ("Y-class-out-of-range", lambda: reference.backprop([(np.zeros((2, 2)), np.zeros(2))], X1, [2],
                                                        output_activation="softmax", cost="cross_entropy"),
     ValueError, "Y must hold 1 class indices from 0 to 1"),
    ("Y-class-fraction", lambda: reference.backprop([(np.zeros((2, 2)), np.zeros(2))], X1, [0.5],
                                                    output_activation="softmax", cost="cross_entropy"),
     ValueError, "Y must hold 1 class indices"),
    ("load-shape", lambda: reference.load_into_model(MLP(2, [3], seed=0), P1), ValueError, r"layer 0: W is \(1, 2\)"),
    ("load-layers", lambda: reference.load_into_model(MLP(2, [3, 1], seed=0), P1), ValueError,
     "params has 1 layers, the model 2"),
    ("load-model-none", lambda: reference.load_into_model(None, P1), TypeError, "model must be an nn.MLP"),
    ("params-from-model-str", lambda: reference.params_from_model("mlp"), TypeError,
     "model must be an nn.MLP, got str 'mlp'"),
    ("init-sizes-one", lambda: reference.init_params([3]), ValueError, "sizes must be at least two layer sizes"),
    ("init-sizes-zero", lambda: reference.init_params([3, 0]), ValueError, r"sizes\[1\] must be an int >= 1, got 0"),
    ("init-sizes-huge", lambda: reference.init_params([10**5, 10**5]), ValueError, "sizes must make at most"),
    ("init-seed-str", lambda: reference.init_params([2, 1], seed="0"), TypeError, "seed must be an int"),
    ("init-scale-nan", lambda: reference.init_params([2, 1], scale=float("nan")), ValueError,
     "scale must be a finite number >= 0, got nan"),
    ("train-lr-negative", lambda: reference.train(P1, X1, Y1, lr=-1, epochs=1), ValueError,
     r"lr must be a finite number > 0, got -1\.0"),
    ("train-epochs-zero", lambda: reference.train(P1, X1, Y1, lr=0.1, epochs=0), ValueError,
     "epochs must be an int from 1"),
    ("train-epochs-huge", lambda: reference.train(P1, X1, Y1, lr=0.1, epochs=10**30), ValueError,
     "epochs must be an int from 1 to 1000000000"),
    ("train-epochs-bool", lambda: reference.train(P1, X1, Y1, lr=0.1, epochs=True), TypeError,
     "epochs must be an int, got bool True"),
]



def test_lists_and_numpy_scalars_are_accepted():
    params = [([[0.5, -1.0]], [0.1])]  # plain lists
    arrays = [(np.array([[0.5, -1.0]]), np.array([0.1]))]
    np.testing.assert_array_equal(reference.forward(params, [[1.0, 2.0]]), reference.forward(arrays, [[1.0, 2.0]]))
    _, curve = reference.train(arrays, [[1.0, 2.0]], [[1.0]], lr=np.float32(0.5), epochs=np.int64(2))
    assert len(curve) == 2 and curve[1] < curve[0]
    assert reference.init_params([np.int64(2), 1], seed=np.int64(0), scale=np.float32(0.5))[0][0].shape == (1, 2)


def test_value_engine_is_what_nn_uses():
    assert isinstance(MLP(1, [1], seed=0)([1.0]), Value)
