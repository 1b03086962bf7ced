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


def fit_xor(**kwargs):
    X, y = make_xor()
    args = {"model": MLP(2, [2, 1], seed=0), "X": X, "y": y, "progress": False, **kwargs}
    return fit(args.pop("model"), args.pop("X"), args.pop("y"), **args)


def other_optimizer():
    return nn.SGD(MLP(2, [2, 1], seed=0), lr=0.1)


#: (id, call, exception, words in the message): fit, predict and accuracy, one mistake each.
ERROR_CASES = [
    ("fit-batchnorm-batch_size-one", lambda: fit(batchnorm_model(), *make_moons(6, seed=0), batch_size=1,
                                                 progress=False), ValueError,
     r"batch_size=1 leaves a last batch of 1 of the 6 samples; BatchNorm in training mode needs at least 2 "
     r"samples per batch: choose another batch_size"),
    ("fit-batchnorm-one-sample", lambda: fit(batchnorm_model(), [[0.0, 1.0]], [1], progress=False, compile=True),
     ValueError, r"X holds 1 sample; BatchNorm in training mode needs at least 2 samples per batch"),
    ("fit-model-str", lambda: fit_xor(model="m"), TypeError, "model must be a Module, got str 'm'"),
    ("fit-lengths", lambda: fit_xor(X=[[1.0]] * 3), ValueError, "X and y must have the same length, got 3 and 4"),
    ("fit-X-1d", lambda: fit_xor(X=[1.0, 2.0, 3.0, 4.0]), ValueError, "X must be a 2-D array"),
    ("fit-X-none", lambda: fit_xor(X=None), TypeError, "X must be an array of real numbers, got NoneType None"),
    ("fit-X-strings", lambda: fit_xor(X=[["a", "b"]] * 4), TypeError, "X must be an array of real numbers"),
    ("fit-X-ragged", lambda: fit_xor(X=[[1.0, 2.0], [1.0]]), ValueError, "X must be a rectangular array"),
    ("fit-X-nan", lambda: fit_xor(X=[[0.0, float("nan")]] * 4), ValueError,
     r"X must hold finite numbers, got np.float64\(nan\) at index \(0, 1\)"),
    ("fit-y-none", lambda: fit_xor(y=None), TypeError, "y must be an array of real numbers, got NoneType None"),
    ("fit-y-3d", lambda: fit_xor(y=np.zeros((4, 1, 1))), ValueError, "y must be a 1-D or 2-D array, got shape"),
    ("fit-y-inf", lambda: fit_xor(y=[0, 1, 1, float("inf")]), ValueError, "y must hold finite numbers"),
    ("fit-y-2d-for-bce", lambda: fit_xor(y=np.eye(4)[:, :2], loss="bce"), ValueError,
     r"binary_cross_entropy: target 0 must be a number in \[0, 1\], got list"),
    ("fit-empty", lambda: fit_xor(X=np.zeros((0, 2)), y=[]), ValueError, "X is empty"),
    ("fit-epochs-zero", lambda: fit_xor(epochs=0), ValueError, "epochs must be an int from 1 to 1000000000, got 0"),
    ("fit-epochs-negative", lambda: fit_xor(epochs=-3), ValueError, "epochs must be an int from 1"),
    ("fit-epochs-huge", lambda: fit_xor(epochs=10**30), ValueError, "epochs must be an int from 1 to 1000000000"),
    ("fit-epochs-float", lambda: fit_xor(epochs=2.0), TypeError, r"epochs must be an int, got float 2\.0"),
    ("fit-epochs-bool", lambda: fit_xor(epochs=True), TypeError, "epochs must be an int, got bool True"),
    ("fit-loss-unknown", lambda: fit_xor(loss="l1"), ValueError, "loss must be one of .*got str 'l1'"),
    ("fit-loss-number", lambda: fit_xor(loss=2), TypeError, "loss must be a name .* or a function, got int 2"),
    ("fit-loss-returns-float", lambda: fit_xor(loss=lambda outs, ys: 0.5), TypeError,
     "loss must return a Value, got float 0.5"),
    ("fit-optimizer-unknown", lambda: fit_xor(optimizer="lbfgs"), ValueError,
     "optimizer must be an Optimizer or one of sgd, rmsprop, adam"),
    ("fit-optimizer-number", lambda: fit_xor(optimizer=0.1), TypeError,
     "optimizer must be an Optimizer or one of sgd, rmsprop, adam, got float 0.1"),
    ("fit-optimizer-of-another-model", lambda: fit_xor(optimizer=other_optimizer()), ValueError,
     "optimizer must update the model's parameters"),
    ("fit-lr-negative", lambda: fit_xor(lr=-1), ValueError, r"lr must be a finite number > 0, got -1\.0"),
    ("fit-lr-negative-with-optimizer", lambda: (lambda m: fit_xor(model=m, optimizer=nn.SGD(m, lr=0.1), lr=-1))(
        MLP(2, [2, 1], seed=0)), ValueError, r"lr must be a finite number > 0, got -1\.0"),
    ("fit-lr-nan", lambda: fit_xor(lr=float("nan")), ValueError, "lr must be a finite number > 0, got nan"),
    ("fit-lr-bool", lambda: fit_xor(lr=True), TypeError, "lr must be a real number, got bool True"),
    ("fit-l2-negative", lambda: fit_xor(l2=-1), ValueError, r"l2 must be a finite number >= 0, got -1\.0"),
    ("fit-l2-str", lambda: fit_xor(l2="0"), TypeError, "l2 must be a real number, got str '0'"),
    ("fit-batch-size-zero", lambda: fit_xor(batch_size=0), ValueError, "batch_size must be an int >= 1, got 0"),
    ("fit-batch-size-float", lambda: fit_xor(batch_size=2.0), TypeError, "batch_size must be an int, got float"),
    ("fit-progress-str", lambda: fit_xor(progress="no"), TypeError, "progress must be a bool .*got str 'no'"),
    ("fit-seed-negative", lambda: fit_xor(seed=-1), ValueError, "seed must be an int >= 0, got -1"),
    ("fit-seed-str", lambda: fit_xor(seed="0"), TypeError, "seed must be an int, a numpy Generator or None"),
    ("fit-schedule-number", lambda: fit_xor(schedule=3), TypeError, "schedule must be a schedule .*got int 3"),
    ("fit-schedule-returns-none", lambda: fit_xor(schedule=lambda opt: None), TypeError,
     "schedule must be a schedule"),
    ("fit-schedule-on-another-optimizer", lambda: fit_xor(schedule=nn.StepLR(other_optimizer(), 1)), ValueError,
     "schedule must step the optimizer fit uses"),
    ("predict-model-none", lambda: predict(None, [[0.0, 0.0]]), TypeError,
     "model must be a Module or a function of one sample, got NoneType None"),
    ("predict-X-1d", lambda: predict(MLP(2, [1], seed=0), [0.0, 0.0]), ValueError, "X must be a 2-D array"),
    ("predict-model-returns-str", lambda: predict(lambda row: "yes", [[0.0]]), TypeError,
     r"outputs\[0\] must be a Value, a number, or a list of them .*got str 'yes'"),
    ("accuracy-lengths", lambda: nn.accuracy([0.5, 0.2], [1]), ValueError,
     "outputs and y must have the same length, got 2 and 1"),
    ("accuracy-outputs-none", lambda: nn.accuracy(None, [1]), TypeError,
     "outputs must be a list .*got NoneType None"),
    ("accuracy-output-str", lambda: nn.accuracy(["a"], [1]), TypeError, r"outputs\[0\] must be a Value"),
    ("accuracy-mixed-outputs", lambda: nn.accuracy([0.5, [0.1, 0.9]], [1, 1]), ValueError,
     "outputs must all have the same number of values"),
    ("accuracy-class-out-of-range", lambda: nn.accuracy([[0.1, 0.9]], [2]), ValueError,
     "y must hold class indices from 0 to 1 for outputs of 2 values, got 2"),
    ("accuracy-loss-unknown", lambda: nn.accuracy([0.5], [1], "l1"), ValueError, "loss must be one of"),
]



def test_a_failed_call_leaves_the_optimizer_and_model_untouched():
    model = MLP(2, [2, 1], seed=0)
    opt = nn.SGD(model, lr=0.1)
    before = model.state_dict()
    with pytest.raises(ValueError, match="epochs"):
        fit_xor(model=model, optimizer=opt, lr=0.5, epochs=0)
    assert opt.lr == 0.1 and model.state_dict() == before


def test_lr_given_with_an_optimizer_sets_its_rate():
    model = MLP(2, [2, 1], seed=0)
    history = fit_xor(model=model, optimizer=nn.SGD(model, lr=0.1), lr=0.5, epochs=2)
    assert history.lr == [0.5, 0.5]


def test_numpy_scalars_are_numbers():
    history = fit_xor(epochs=np.int64(2), lr=np.float32(0.5), batch_size=np.int64(2), l2=np.float64(0.0),
                      seed=np.int64(1), optimizer="sgd")
    assert len(history) == 2 and history.lr == [0.5, 0.5]


def test_fit_trains_under_the_callers_no_grad():
    from autograd_engine import is_grad_enabled, no_grad

    X, y = make_xor()
    with no_grad():
        history = fit(MLP(2, [8, 1], activation="tanh", seed=1), X, y, lr=0.05, epochs=200, progress=False)
        assert not is_grad_enabled()
    assert history.accuracy[-1] == 1.0 and history.loss[-1] < history.loss[0]


def test_several_targets_per_sample_are_a_regression_without_accuracy():
    X = np.random.default_rng(0).normal(size=(10, 3))
    history = fit(MLP(3, [4, 3], seed=0), X, X.tolist(), loss="mse", epochs=2, progress=False)
    assert history.accuracy == [None, None]
    assert nn.accuracy([[0.1, 0.9]], [[0.0, 1.0]]) is None
    assert nn.accuracy([], []) is None


def test_accuracy_takes_what_predict_returns():
    X, y = make_spirals(30, 3, seed=0)
    model = MLP(2, [4, 3], seed=0)
    expected = float((predict(model, X).argmax(axis=1) == y).mean())
    assert nn.accuracy(predict(model, X), y) == expected
    assert nn.accuracy(np.array([0.7, 0.2]), np.array([[1], [0]]), "mse") == 1.0  # a column of labels


def test_predict_of_no_samples_is_empty():
    assert predict(MLP(2, [1], seed=0), np.zeros((0, 2))).shape == (0,)


def test_training_loop_is_shared_and_checks_its_arguments():
    from nn.train import TrainingLoop

    loop = TrainingLoop(5, epochs=np.int64(2), batch_size=2, seed=np.random.default_rng(0), progress=False)
    orders = []
    for epoch in loop:
        orders.append(np.concatenate(list(loop.batches())).tolist())
        loop.record(loss=float(epoch), accuracy=None, lr=0.1)
    assert all(sorted(o) == list(range(5)) for o in orders) and orders[0] != orders[1]
    assert loop.history.as_dict() == {"loss": [0.0, 1.0], "accuracy": [None, None], "lr": [0.1, 0.1]}
    full = TrainingLoop(3, epochs=1, batch_size=None, seed=0, progress=False)
    assert [idx.tolist() for idx in full.batches()] == [[0, 1, 2]]  # full batch, in order


def test_a_model_returning_a_list_of_one_value_is_a_single_output():
    # Sequential(Linear(2, 1)) returns [score]: classified by its sign (or > 0.5 for mse), not by argmax
    assert nn.accuracy([[0.3], [-2.0], [0.7]], [1, 0, 0], "bce") == pytest.approx(2 / 3)
    assert nn.accuracy([[0.6], [0.4]], [1, 1], "mse") == 0.5
    X, y = make_moons(20, seed=0)
    for loss in ("bce", "hinge", "mse"):
        runs = [fit(Sequential(nn.Linear(2, 1, seed=0)), X, y, loss=loss, optimizer="sgd", epochs=2, progress=False,
                    compile=compile) for compile in (False, True)]
        scores = predict(Sequential(nn.Linear(2, 1, seed=0)), X)[:, 0]
        threshold = 0.5 if loss == "mse" else 0.0
        assert runs[0].accuracy[0] == runs[1].accuracy[0] == np.mean((scores > threshold) == (y == 1))
        assert runs[0].accuracy == runs[1].accuracy


def batchnorm_model():
    return Sequential(nn.Linear(2, 3, bias=False, seed=0), BatchNorm(3), Layer(3, 1, activation="linear", seed=1))


def test_a_batch_of_one_sample_for_batchnorm_is_refused_before_training():
    X, y = make_moons(23, seed=0)
    for compile in (False, True):
        model = batchnorm_model()
        before = [p.data for p in model.parameters()]
        with pytest.raises(ValueError, match=r"batch_size=11 leaves a last batch of 1 of the 23 samples"):
            fit(model, X, y, batch_size=11, epochs=1, progress=False, compile=compile)
        assert [p.data for p in model.parameters()] == before  # nothing ran
    history = fit(batchnorm_model(), X, y, batch_size=12, epochs=1, progress=False, compile=True)
    assert len(history) == 1
