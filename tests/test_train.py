"""nn.fit: the training targets of each data set, history, batching, schedules, predict and accuracy."""

import random

import numpy as np
import pytest

import nn
from autograd_engine import Value
from nn import MLP, BatchNorm, Layer, Sequential, fit, make_circles, make_moons, make_spirals, make_xor, predict


def test_xor_2_4_1_sigmoid_mse_gradient_descent():
    X, y = make_xor()
    model = MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    history = fit(model, X, y, loss="mse", optimizer="sgd", lr=2.0, epochs=1500, progress=False)
    assert history.accuracy[-1] == 1.0 and history.loss[-1] < 0.01
    assert (predict(model, X) > 0.5).astype(int).tolist() == [0, 1, 1, 0]


@pytest.mark.slow
def test_moons_with_micrograds_demo_settings_reaches_100_percent():
    X, y = make_moons(100, noise=0.1, seed=0)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    history = fit(model, X, y, loss="hinge", optimizer="sgd", lr=1.0, l2=1e-4, epochs=100, progress=False,
                  schedule=lambda opt: nn.LinearLR(opt, total_steps=100, end_factor=0.1))
    assert nn.accuracy(list(predict(model, X)), y, "hinge") == 1.0
    assert history.lr[0] == 1.0 and history.lr[-1] == pytest.approx(1.0 - 0.9 * 99 / 100)


def test_three_class_spirals_with_cross_entropy_and_adam():
    X, y = make_spirals(90, 3, noise=0.1, seed=0)
    model = MLP(2, [12, 12, 3], seed=0)
    fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=100, progress=False)
    assert (predict(model, X).argmax(axis=1) == y).mean() >= 0.95


def test_circles():
    X, y = make_circles(100, noise=0.05, seed=0)
    model = MLP(2, [8, 8, 1], seed=0)
    fit(model, X, y, loss="binary_cross_entropy", optimizer="adam", lr=0.05, epochs=100, progress=False)
    assert ((predict(model, X) > 0).astype(int) == y).mean() >= 0.98


def test_mini_batches_and_default_loss_and_optimizer():
    X, y = make_moons(40, seed=1)
    model = MLP(2, [8, 1], seed=0)
    history = fit(model, X, y, epochs=3, batch_size=16, progress=False)  # bce (0/1 labels), adam
    assert len(history) == 3 and all(a is not None for a in history.accuracy)
    assert history.as_dict()["lr"] == [0.01] * 3


def test_loss_is_the_mean_of_the_epoch_and_a_custom_loss_works():
    X, y = np.array([[1.0], [2.0]]), np.array([3.0, 5.0])
    model = Layer(1, 1, activation="linear", seed=0)
    w0, b0 = model.neurons[0].w[0].data, model.neurons[0].b.data
    calls = []

    def my_loss(outputs, targets):
        calls.append(len(outputs))
        return nn.mse(outputs, targets)

    history = fit(model, X, y, loss=my_loss, optimizer="sgd", lr=1e-9, epochs=1, progress=False)
    expected = np.mean([(w0 * 1 + b0 - 3) ** 2, (w0 * 2 + b0 - 5) ** 2])
    assert history.loss[0] == pytest.approx(expected, rel=1e-12)
    assert calls == [2]
    assert history.accuracy == [None]  # a regression: no accuracy


def test_batchnorm_model_trains_through_forward_batch():
    X, y = make_moons(60, seed=2)
    model = Sequential(Layer(2, 8, activation="linear", seed=0), BatchNorm(8),
                       Layer(8, 8, activation="relu", seed=1), Layer(8, 1, activation="linear", seed=2))
    history = fit(model, X, y, loss="hinge", lr=0.05, epochs=40, batch_size=20, progress=False)
    assert history.accuracy[-1] >= 0.85
    assert model.training  # predict switches to eval and back
    predict(model, X)
    assert model.training


def test_progress_bar_is_shown_and_can_be_disabled(capsys):
    X, y = make_xor()
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=2, progress=True)
    assert "training" in capsys.readouterr().err
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=2, progress=False)
    assert capsys.readouterr().err == ""


def test_accuracy_rules():
    assert nn.accuracy([[Value(0.1), Value(0.9)], [0.8, 0.2]], [1, 1]) == 0.5
    assert nn.accuracy([0.7, 0.2], [1, 0], "mse") == 1.0
    assert nn.accuracy([0.7, 0.2], [3.5, 1.0], "mse") is None
    assert nn.accuracy([Value(-0.5)], [-1], "hinge") == 1.0
    assert nn.accuracy([0.3, -0.2], [1, 0], "binary_cross_entropy") == 1.0


@pytest.mark.parametrize("kwargs, exc, pattern", [
    ({"model": "m"}, TypeError, "model must be a Module, got str"),
    ({"X": [[1.0]] * 3}, ValueError, "X and y must have the same length, got 3 and 4"),
    ({"X": [1.0, 2.0, 3.0, 4.0]}, ValueError, "X must be a 2-D array"),
    ({"epochs": 0}, ValueError, "epochs must be an int >= 1"),
    ({"loss": "l1"}, ValueError, "loss must be one of"),
    ({"optimizer": "lbfgs"}, ValueError, "optimizer must be an Optimizer or one of sgd, rmsprop, adam"),
    ({"l2": -1}, ValueError, "l2 must be a number >= 0"),
    ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1, got 0"),
    ({"X": np.zeros((0, 2)), "y": []}, ValueError, "X is empty"),
])
def test_fit_validation(kwargs, exc, pattern):
    X, y = make_xor()
    args = {"model": MLP(2, [2, 1], seed=0), "X": X, "y": y, **kwargs}
    with pytest.raises(exc, match=pattern):
        fit(args.pop("model"), args.pop("X"), args.pop("y"), progress=False, **args)
