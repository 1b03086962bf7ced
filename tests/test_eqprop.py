"""Equilibrium propagation: its gradient estimate converges to backprop's as beta -> 0; it trains."""

import numpy as np
import pytest

import nn
from autograd_engine import Value, gradients
from nn import make_blobs, make_xor
from nn.eqprop import EqPropNetwork, RelaxationError, compare_estimates, rho, train


def xor_data():
    X, y = make_xor()
    return X, y.reshape(-1, 1).astype(float)


def blobs_data(n=12):
    X, y = make_blobs(n, centers=3, std=0.5, n_features=4, seed=0)
    return (X - X.min(0)) / (X.max(0) - X.min(0)), np.eye(3)[y]


def flat(grads):
    return np.concatenate([g.ravel() for g in grads[0]] + [g.ravel() for g in grads[1]])


def test_closed_form_dynamics_equal_the_engines_gradient_of_the_energy():
    net = EqPropNetwork([3, 5, 4, 2], seed=1, init_scale=1.0)
    rng = np.random.default_rng(0)
    x, d = rng.uniform(0, 1, 3), rng.uniform(0, 1, 2)
    states = [rng.uniform(0.05, 0.95, n) for n in (5, 4, 2)]  # inside (0, 1), where rho is smooth
    values = [[Value(v) for v in s] for s in states]
    F = net.energy_value(x.tolist(), values, beta=0.3, d=d.tolist())
    grads = gradients(F)
    closed = net.state_gradient(x[None, :], [s[None, :] for s in states], beta=0.3, d=d[None, :])
    for layer, vs in zip(closed, values):
        np.testing.assert_allclose(layer[0], [grads[v] for v in vs], rtol=1e-12, atol=1e-12)
    expected = net.energy(x, [s[None, :] for s in states])[0] + 0.3 * 0.5 * ((states[-1] - d) ** 2).sum()
    assert F.data == pytest.approx(expected, rel=1e-12)


def test_bptt_through_the_free_phase_equals_central_differences():
    X, D = xor_data()
    net = EqPropNetwork([2, 8, 1], seed=0)
    np.testing.assert_allclose(flat(net.bptt_gradients(X, D)), flat(net.numerical_gradients(X, D)),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("sizes, data", [([2, 8, 1], xor_data), ([4, 16, 3], blobs_data)], ids=["xor", "blobs"])
def test_ep_estimate_converges_to_the_bptt_gradient(sizes, data):
    X, D = data()
    net = EqPropNetwork(sizes, seed=0)
    result = compare_estimates(net, X, D, betas=(0.5, 0.1, 0.01))
    one, sym = result["one-sided"], result["symmetric"]
    assert sym[-1].cosine >= 0.99 and one[-1].cosine >= 0.99
    assert sym[0].relative_error > sym[1].relative_error > sym[2].relative_error  # monotone from 0.5 to 0.01
    ratio = one[2].relative_error / one[1].relative_error  # one-sided: roughly linear in beta
    assert 0.05 < ratio < 0.2
    assert sym[2].relative_error < one[2].relative_error / 10  # symmetric: much faster


def test_training_xor_to_100_percent():
    X, D = xor_data()
    net = EqPropNetwork([2, 8, 1], seed=0, init_scale=(1.3, 0.25))
    history = train(net, X, 0.1 + 0.8 * D, epochs=300, lr=0.2, beta=0.1)
    assert history.accuracy[-1] == 1.0
    assert ((net.predict(X)[:, 0] > 0.5) == (D[:, 0] == 1)).all()


@pytest.mark.slow
def test_training_three_blobs_to_90_percent():
    X, y = make_blobs(90, centers=3, std=0.8, n_features=4, seed=0)
    X = (X - X.min(0)) / (X.max(0) - X.min(0))
    net = EqPropNetwork([4, 16, 3], seed=0)
    history = train(net, X, 0.1 + 0.8 * np.eye(3)[y], epochs=25, lr=0.1, beta=0.1, batch_size=10)
    assert history.accuracy[-1] >= 0.9
    assert (net.predict(X).argmax(axis=1) == y).mean() >= 0.9


def test_ep_and_bptt_training_curves_agree():
    X, D = xor_data()
    targets = 0.1 + 0.8 * D
    ep = train(EqPropNetwork([2, 8, 1], seed=0, init_scale=(1.3, 0.25)), X, targets, epochs=8, lr=0.2, beta=0.01)
    bptt = train(EqPropNetwork([2, 8, 1], seed=0, init_scale=(1.3, 0.25)), X, targets, epochs=8, lr=0.2,
                 method="bptt")
    np.testing.assert_allclose(ep.loss, bptt.loss, rtol=0.02)
    assert bptt.loss[-1] < bptt.loss[0]


def test_a_step_size_too_large_is_reported_with_phase_and_step():
    X, _ = xor_data()
    net = EqPropNetwork([2, 8, 1], seed=0, init_scale=2.0, eps=3.0, free_steps=200)
    with pytest.raises(RelaxationError, match="the free phase did not settle in 200 steps") as info:
        net.free_phase(X)
    assert info.value.phase == "free" and info.value.step == 200


def test_a_nan_state_is_reported_with_phase_and_step():
    X, D = xor_data()
    net = EqPropNetwork([2, 8, 1], seed=0)
    s0 = net.free_phase(X)
    net.weights[1][0, 0] = np.nan
    with pytest.raises(RelaxationError, match=r"the nudged \(beta=0.1\) phase diverged at step 1") as info:
        net.nudged_phase(X, s0, D, 0.1)
    assert info.value.step == 1


def net3(**kwargs):
    return EqPropNetwork([2, 3, 1], **kwargs)


def train_xor(**kwargs):
    X, D = xor_data()
    args = {"net": net3(), "x": X, "d": D, "epochs": 1, "lr": 0.1, "progress": False, **kwargs}
    return train(args.pop("net"), args.pop("x"), args.pop("d"), **args)


X4, D4 = xor_data()

#: (id, call, exception, words in the message): the constructor, every method and train, one mistake each.
def test_energy_value_takes_numbers_as_constant_states():
    net = EqPropNetwork([2, 2, 1], seed=0)
    as_numbers = net.energy_value([0.5, 0.5], [[0.1, 0.2], [0.3]])
    as_values = net.energy_value([0.5, 0.5], [[Value(0.1), Value(0.2)], [Value(0.3)]])
    assert as_numbers.data == as_values.data


ERROR_CASES = [
    ("sizes-one-layer", lambda: EqPropNetwork([2]), ValueError, "sizes must be at least two"),
    ("sizes-zero", lambda: EqPropNetwork([2, 0, 1]), ValueError, r"sizes\[1\] must be an int >= 1, got 0"),
    ("sizes-float", lambda: EqPropNetwork([2, 3.0]), TypeError, r"sizes\[1\] must be an int, got float 3\.0"),
    ("sizes-int", lambda: EqPropNetwork(3), TypeError, "sizes must be a list of layer sizes, got int 3"),
    ("sizes-huge", lambda: EqPropNetwork([10**6, 10**6]), ValueError, "sizes must make at most 10000000 weights"),
    ("eps-negative", lambda: net3(eps=-1.0), ValueError, "eps must be None or a number > 0"),
    ("eps-nan", lambda: net3(eps=float("nan")), ValueError, "eps must be None or a number > 0, got float nan"),
    ("eps-str", lambda: net3(eps="0.1"), TypeError, "eps must be None or a number > 0, got str"),
    ("free-steps-zero", lambda: net3(free_steps=0), ValueError, "free_steps must be an int from 1 to 10000000, got 0"),
    ("nudged-steps-bool", lambda: net3(nudged_steps=True), TypeError, "nudged_steps must be an int, got bool True"),
    ("tol-nan", lambda: net3(tol=float("nan")), ValueError, "tol must be a finite number >= 0, got nan"),
    ("tol-negative", lambda: net3(tol=-1e-8), ValueError, "tol must be a finite number >= 0"),
    ("init-scale-one-of-two", lambda: net3(init_scale=(1.0,)), ValueError,
     "init_scale must be a number or one per layer"),
    ("init-scale-str", lambda: net3(init_scale="big"), TypeError, "init_scale must be a number or one per layer"),
    ("init-scale-nan", lambda: net3(init_scale=(1.0, float("nan"))), ValueError,
     r"init_scale\[1\] must be a finite number >= 0, got nan"),
    ("bias-init-inf", lambda: net3(bias_init=float("inf")), ValueError, "bias_init must be a finite number, got inf"),
    ("seed-str", lambda: net3(seed="0"), TypeError, "seed must be an int, a numpy Generator or None"),
    ("x-features", lambda: net3().free_phase(np.zeros((2, 3))), ValueError, "x must have 2 features per sample"),
    ("x-none", lambda: net3().predict(None), TypeError, "x must be an array of real numbers, got NoneType None"),
    ("x-nan", lambda: net3().predict([[0.0, float("nan")]]), ValueError, "x must hold finite numbers"),
    ("x-empty", lambda: net3().predict(np.zeros((0, 2))), ValueError, "x must hold at least one sample"),
    ("d-shape", lambda: net3().loss(np.zeros((2, 2)), np.zeros((2, 2))), ValueError,
     r"d must have shape \(2, 1\): 1 target value\(s\) per sample of x, got shape \(2, 2\)"),
    ("d-lengths", lambda: net3().loss(np.zeros((2, 2)), np.zeros(3)), ValueError, r"d must have shape \(2, 1\)"),
    ("d-none", lambda: net3().loss(np.zeros((2, 2)), None), TypeError, "d must be an array of real numbers"),
    ("ep-beta-zero", lambda: net3().ep_gradients(np.zeros((1, 2)), np.zeros((1, 1)), beta=0), ValueError,
     r"beta must be a finite number > 0, got 0\.0"),
    ("ep-beta-nan", lambda: net3().ep_gradients(X4, D4, beta=float("nan")), ValueError, "beta must be .*got nan"),
    ("ep-symmetric-str", lambda: net3().ep_gradients(X4, D4, 0.1, symmetric="yes"), TypeError,
     "symmetric must be a bool"),
    ("relax-zero-steps", lambda: net3().relax(X4, net3().zero_states(4), 0), ValueError,
     "steps must be an int from 1 to 10000000, got 0"),
    ("relax-states-wrong-shape", lambda: net3().relax(X4, net3().zero_states(3), 10), ValueError,
     r"states\[0\] must have shape \(4, 3\), got shape \(3, 3\)"),
    ("relax-states-count", lambda: net3().relax(X4, [np.zeros((4, 3))], 10), ValueError,
     "states must be a list of 2 arrays"),
    ("relax-phase-number", lambda: net3().relax(X4, net3().zero_states(4), 10, phase=1), TypeError,
     "phase must be a str"),
    ("relax-beta-without-targets", lambda: net3().relax(X4, net3().zero_states(4), 10, beta=0.5), TypeError,
     "d must be the targets when beta is not 0"),
    ("trajectory-negative-steps", lambda: net3().trajectory(X4, -1), ValueError,
     "steps must be an int from 0 to 10000000, got -1"),
    ("trajectory-huge-steps", lambda: net3().trajectory(X4, 10**30), ValueError, "steps must be an int from 0"),
    ("trajectory-start-none-list", lambda: net3().trajectory(X4, 1, start=[None, None]), TypeError,
     r"start\[0\] must be an array of real numbers"),
    ("zero-states-zero", lambda: net3().zero_states(0), ValueError, "n must be an int from 1"),
    ("state-gradient-beta-inf", lambda: net3().state_gradient(X4, net3().zero_states(4), beta=float("inf")),
     ValueError, "beta must be a finite number, got inf"),
    ("nudged-s0-none", lambda: net3().nudged_phase(X4, None, D4, 0.1), TypeError, "s0 must be a list of 2 arrays"),
    ("step-size-beta-str", lambda: net3().step_size("0"), TypeError, "beta must be a real number, got str"),
    ("numerical-h-zero", lambda: net3().numerical_gradients(X4, D4, h=0), ValueError,
     "h must be a finite number > 0"),
    ("apply-lr-negative", lambda: net3().apply(net3().ep_gradients(X4, D4, 0.1), -1), ValueError,
     r"lr must be a finite number > 0, got -1\.0"),
    ("apply-grads-shape", lambda: net3().apply(([np.zeros((2, 2)), np.zeros((1, 3))], [np.zeros(3), np.zeros(1)]),
                                               0.1),
     ValueError, r"grads: the weight gradient 0 must have shape \(3, 2\)"),
    ("apply-grads-none", lambda: net3().apply(None, 0.1), TypeError, "grads must be a pair"),
    ("energy-value-x-length", lambda: net3().energy_value([0.5], [[Value(0.0)] * 3, [Value(0.0)]]), ValueError,
     "x must be one sample of 2 inputs"),
    ("energy-value-states-str", lambda: net3().energy_value([0.5, 0.5], ["abc", [Value(0.0)]]), TypeError,
     r"states\[0\] must be a list of Values"),
    ("energy-value-beta-no-d", lambda: net3().energy_value([0.5, 0.5], [[Value(0.0)] * 3, [Value(0.0)]], beta=1.0),
     TypeError, "d must be the sample's targets when beta is not 0"),
    ("rho-none", lambda: rho(None), TypeError, "s must be an array of real numbers, got NoneType None"),
    ("compare-net-none", lambda: compare_estimates(None, X4, D4), TypeError, "net must be an EqPropNetwork"),
    ("compare-betas-empty", lambda: compare_estimates(net3(), X4, D4, betas=[]), ValueError,
     "betas must hold at least one beta"),
    ("compare-betas-number", lambda: compare_estimates(net3(), X4, D4, betas=0.1), TypeError,
     "betas must be a list of numbers > 0, got float 0.1"),
    ("compare-beta-zero", lambda: compare_estimates(net3(), X4, D4, betas=[0.1, 0]), ValueError,
     r"betas\[1\] must be a finite number > 0"),
    ("compare-reference-zero", lambda: compare_estimates(net3(), X4, D4, betas=[0.1], reference=(
        [np.zeros((3, 2)), np.zeros((1, 3))], [np.zeros(3), np.zeros(1)])), ValueError,
     "reference must not be all zeros"),
    ("train-method", lambda: train_xor(method="sgd"), ValueError, "method must be 'ep' or 'bptt'"),
    ("train-method-none", lambda: train_xor(method=None), TypeError, "method must be 'ep' or 'bptt', got NoneType"),
    ("train-net-str", lambda: train_xor(net="net"), TypeError, "net must be an EqPropNetwork, got str 'net'"),
    ("train-epochs-zero", lambda: train_xor(epochs=0), ValueError, "epochs must be an int from 1 to 1000000000, got 0"),
    ("train-epochs-negative", lambda: train_xor(epochs=-1), ValueError, "epochs must be an int from 1"),
    ("train-epochs-float", lambda: train_xor(epochs=2.0), TypeError, "epochs must be an int, got float 2.0"),
    ("train-batch-size-zero", lambda: train_xor(batch_size=0), ValueError, "batch_size must be an int >= 1, got 0"),
    ("train-batch-size-negative", lambda: train_xor(batch_size=-2), ValueError, "batch_size must be an int >= 1"),
    ("train-lr-negative", lambda: train_xor(lr=-1), ValueError, r"lr must be a finite number > 0, got -1\.0"),
    ("train-lr-bool", lambda: train_xor(lr=True), TypeError, "lr must be a real number, got bool True"),
    ("train-beta-zero", lambda: train_xor(beta=0), ValueError, "beta must be a finite number > 0"),
    ("train-symmetric-int", lambda: train_xor(symmetric=1), TypeError, "symmetric must be a bool"),
    ("train-seed-negative", lambda: train_xor(seed=-1), ValueError, "seed must be an int >= 0, got -1"),
    ("train-progress-str", lambda: train_xor(progress="no"), TypeError, "progress must be a bool"),
    ("train-d-lengths", lambda: train_xor(d=D4[:3]), ValueError, r"d must have shape \(4, 1\)"),
]



def test_train_speaks_fits_language():
    X, D = xor_data()
    net = EqPropNetwork([2, 8, 1], seed=0, init_scale=(1.3, 0.25))
    start = net.loss(X, D)
    history = train(net, X, D, epochs=np.int64(3), lr=np.float32(0.2), beta=np.float64(0.1), progress=False)
    assert type(history) is nn.History and len(history) == 3
    assert history.lr == [pytest.approx(0.2)] * 3
    assert history.loss[0] == pytest.approx(start, rel=1e-12)  # each batch's J before its update, as in fit
    assert history.as_dict()["accuracy"] == history.accuracy


def test_mini_batches_follow_the_seed_as_in_fit():
    X, y = make_blobs(12, centers=3, std=0.5, n_features=4, seed=0)
    X, D = (X - X.min(0)) / (X.max(0) - X.min(0)), 0.1 + 0.8 * np.eye(3)[y]

    def run(seed):
        net = EqPropNetwork([4, 6, 3], seed=0)
        train(net, X, D, epochs=2, lr=0.1, batch_size=5, seed=seed, progress=False)
        return net.weights[0]

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))


def test_bptt_under_no_grad_is_still_the_gradient():
    from autograd_engine import no_grad

    X, D = xor_data()
    net = EqPropNetwork([2, 4, 1], seed=0)
    with no_grad():
        inside = net.bptt_gradients(X, D)
    np.testing.assert_allclose(flat(inside), flat(net.bptt_gradients(X, D)), rtol=1e-12)
    assert np.abs(flat(inside)).max() > 0


def test_trajectory_follows_relax_to_the_fixed_point():
    X, D = xor_data()
    net = EqPropNetwork([2, 8, 1], seed=0)
    s0, steps = net.relax(X, net.zero_states(4), net.free_steps)
    path = net.trajectory(X, steps)
    assert len(path) == steps + 1 and all((p == 0).all() for p in path[0])
    for a, b in zip(path[-1], s0):
        np.testing.assert_array_equal(a, b)
    nudged = net.trajectory(X, 50, beta=0.5, d=D, start=s0)
    assert np.abs(nudged[-1][-1] - D).sum() < np.abs(s0[-1] - D).sum()  # the output moved towards the target


def test_numerical_gradients_leave_the_network_unchanged_when_a_phase_fails():
    X, D = xor_data()
    net = EqPropNetwork([2, 8, 1], seed=0, free_steps=1, tol=1e-30)  # no phase can settle
    before = [W.copy() for W in net.weights]
    with pytest.raises(RelaxationError):
        net.numerical_gradients(X, D)
    for a, b in zip(net.weights, before):
        np.testing.assert_array_equal(a, b)


# -- equilibrium propagation without symmetric weights: the vector-field network ------------------------------

from nn.eqprop import VectorFieldNetwork, gradient_angle  # noqa: E402


def test_at_zero_asymmetry_the_vector_field_network_is_symmetric_ep():
    X, D = blobs_data()
    sym = EqPropNetwork([4, 5, 4, 3], seed=2, init_scale=1.0)
    vf = VectorFieldNetwork([4, 5, 4, 3], seed=2, init_scale=1.0, feedback_angle=0.0)
    for a, b in zip(sym.weights + sym.biases, vf.weights + vf.biases):
        np.testing.assert_array_equal(a, b)
    assert vf.symmetric and all(np.array_equal(B, W.T) for B, W in zip(vf.feedback, vf.weights[1:]))
    s0, beta = sym.free_phase(X), 0.05
    s_beta = sym.nudged_phase(X, s0, D, beta)
    for a, b in zip(s0 + s_beta, vf.free_phase(X) + vf.nudged_phase(X, s0, D, beta)):
        np.testing.assert_array_equal(a, b)  # the same dynamics, step for step
    ep, field = sym.ep_gradients(X, D, beta), vf.ep_gradients(X, D, beta)
    L, n = len(sym.weights), len(X)
    for a, b in zip(field[1], ep[1]):  # biases: the same rule
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(field[0][0], ep[0][0], rtol=0, atol=1e-12)  # input weights: the input does not move
    for k in range(1, L):  # a tied weight's update: its forward part plus its feedback part, transposed ...
        tied = field[0][k] + field[0][L + k - 1].T
        nudge_above, nudge_below = s_beta[k] - s0[k], s_beta[k - 1] - s0[k - 1]
        # ... is EP's update but for the second-order term
        np.testing.assert_allclose(ep[0][k], tied - nudge_above.T @ nudge_below / (beta * n), rtol=0, atol=1e-12)
        assert np.abs(nudge_above.T @ nudge_below).max() > 0  # the term is there to be subtracted


def test_the_vector_fields_bptt_gradient_equals_central_differences():
    X, D = xor_data()
    net = VectorFieldNetwork([2, 3, 2, 1], seed=1, init_scale=1.0, feedback_angle=70.0)
    bptt, numeric = net.bptt_gradients(X, D), net.numerical_gradients(X, D)
    assert [g.shape for g in bptt[0]] == [(3, 2), (2, 3), (1, 2), (3, 2), (2, 1)]
    np.testing.assert_allclose(flat(bptt), flat(numeric), rtol=1e-6, atol=1e-8)
    assert np.abs(bptt[0][3]).max() > 0 and np.abs(bptt[0][4]).max() > 0  # the feedback weights matter to J


def test_the_dynamics_use_the_feedback_weights():
    net = VectorFieldNetwork([2, 3, 2], seed=0, feedback_angle=120.0)
    rng = np.random.default_rng(0)
    x, s1, s2 = rng.uniform(0, 1, (1, 2)), rng.uniform(0.1, 0.9, (1, 3)), rng.uniform(0.1, 0.9, (1, 2))
    g1, g2 = net.state_gradient(x, [s1, s2])
    W1, W2, B = net.weights[0], net.weights[1], net.feedback[0]
    np.testing.assert_allclose(g1, s1 - (x @ W1.T + s2 @ B.T + net.biases[0]), rtol=1e-12)
    np.testing.assert_allclose(g2, s2 - (s1 @ W2.T + net.biases[1]), rtol=1e-12)
    assert not np.allclose(B, W2.T)


@pytest.mark.parametrize("angle", [0.0, 30.0, 90.0, 150.0, 180.0])
def test_the_feedback_is_drawn_at_the_asked_angle_with_the_forward_norm(angle):
    net = VectorFieldNetwork([3, 4, 5, 2], seed=3, feedback_angle=angle)
    np.testing.assert_allclose(net.feedback_angles(), [angle, angle], atol=1e-5)
    for B, W in zip(net.feedback, net.weights[1:]):
        assert np.linalg.norm(B) == pytest.approx(np.linalg.norm(W))


def test_gradient_angle_on_known_vectors_and_a_tiny_network():
    e = ([np.array([[1.0, 0.0]])], [np.array([0.0])])
    assert gradient_angle(e, ([np.array([[1.0, 1.0]])], [np.array([0.0])])) == pytest.approx(45.0)
    assert gradient_angle(e, ([np.array([[0.0, 3.0]])], [np.array([0.0])])) == pytest.approx(90.0)
    assert gradient_angle(e, ([np.array([[-2.0, 0.0]])], [np.array([0.0])])) == pytest.approx(180.0)
    assert gradient_angle(e, ([np.array([[5.0, 0.0]])], [np.array([0.0])])) == 0.0
    X, D = xor_data()
    net = VectorFieldNetwork([2, 2, 1], seed=1, feedback_angle=90.0)
    estimate, reference = net.ep_gradients(X, D, 0.01, symmetric=True), net.bptt_gradients(X, D)
    a, b = flat(estimate), flat(reference)
    by_hand = np.degrees(np.arccos(a @ b / np.sqrt((a @ a) * (b @ b))))
    assert gradient_angle(estimate, reference) == pytest.approx(by_hand, abs=1e-9)
    comparison = compare_estimates(net, X, D, betas=[0.01], reference=reference)["symmetric"][0]
    assert comparison.angle == pytest.approx(by_hand, abs=1e-6)
    assert 1.0 < by_hand < 90.0  # asymmetric: off the gradient, yet a descent direction


def test_gradient_angle_is_exact_at_0_and_180_and_scale_free():
    g = ([np.array([[0.3, -1.7], [2.0, 0.1]])], [np.array([0.4, -0.9])])
    assert gradient_angle(g, g) == 0.0  # not arccos's 1e-6 degrees
    for scale in (2.0**-1000, 2.0**-600, 2.0**600, 2.0**1000):  # exact scalings; the squares under- or overflow
        tiny_or_huge = ([g[0][0] * scale], [g[1][0] * scale])
        assert gradient_angle(tiny_or_huge, g) == 0.0
        assert gradient_angle(tiny_or_huge, ([-g[0][0]], [-g[1][0]])) == 180.0
    one, other = ([np.array([[1.0, 0.0]])], []), ([np.array([[1.0, 1e-9]])], [])
    assert gradient_angle(one, other) == pytest.approx(np.degrees(1e-9), rel=1e-6)  # small angles resolved


def test_the_feedback_weights_take_their_own_update_not_the_forward_ones_transposed():
    """Fails if B were silently tied to W^T (at the start, in the rule, or in the update)."""
    X, D = xor_data()
    net = VectorFieldNetwork([2, 4, 1], seed=0, init_scale=(1.3, 0.25), feedback_angle=0.0)
    grads = net.ep_gradients(X, 0.1 + 0.8 * D, 0.1)
    assert np.abs(grads[0][2]).max() > 1e-3
    W, B = net.weights[1].copy(), net.feedback[0].copy()
    assert not np.allclose(grads[0][2], grads[0][1].T)  # the rule's feedback update is not W's, transposed
    net.apply(grads, 0.5)
    np.testing.assert_array_equal(net.feedback[0], B - 0.5 * grads[0][2])
    np.testing.assert_array_equal(net.weights[1], W - 0.5 * grads[0][1])
    assert not net.symmetric and net.feedback_angles()[0] > 0


def test_a_feedback_angle_that_a_one_entry_matrix_cannot_take_is_refused():
    for angle in (0.0, 180.0):
        net = VectorFieldNetwork([1, 1, 1], seed=0, feedback_angle=angle)
        assert net.feedback_angles() == [angle]
    with pytest.raises(ValueError, match=r"feedback_angle must be 0 or 180 when a feedback matrix has one entry"):
        VectorFieldNetwork([1, 1, 1], seed=0, feedback_angle=90.0)


def test_the_angle_to_the_gradient_grows_with_the_asymmetry():
    X, D = xor_data()
    angles = []
    for feedback in (0.0, 45.0, 90.0, 135.0):
        net = VectorFieldNetwork([2, 8, 1], seed=0, feedback_angle=feedback)
        angles.append(gradient_angle(net.ep_gradients(X, D, 0.01, symmetric=True), net.bptt_gradients(X, D)))
    assert angles[0] < 0.01  # symmetric: EP's estimate, on the gradient up to O(beta^2)
    assert angles[0] < angles[1] < angles[2] < angles[3] < 90.0


def test_a_vector_field_network_has_no_energy_unless_symmetric_and_copies_its_feedback():
    X, _ = xor_data()
    net = VectorFieldNetwork([2, 3, 1], seed=0, feedback_angle=45.0)
    with pytest.raises(ValueError, match="this network has no energy"):
        net.energy(X, net.zero_states(4))
    symmetric = VectorFieldNetwork([2, 3, 1], seed=0)
    np.testing.assert_array_equal(symmetric.energy(X, symmetric.zero_states(4)),
                                  EqPropNetwork([2, 3, 1], seed=0).energy(X, symmetric.zero_states(4)))
    other = net.copy()
    assert isinstance(other, VectorFieldNetwork)
    np.testing.assert_array_equal(other.feedback[0], net.feedback[0])
    other.feedback[0][0, 0] += 1.0
    assert other.feedback[0][0, 0] != net.feedback[0][0, 0]


def test_a_vector_field_network_trains_xor():
    X, D = xor_data()
    net = VectorFieldNetwork([2, 8, 1], seed=0, init_scale=(1.3, 0.25), feedback_angle=90.0)
    history = train(net, X, 0.1 + 0.8 * D, epochs=100, lr=0.2, beta=0.1, progress=False)
    assert history.loss[-1] < history.loss[0] / 4 and history.accuracy[-1] == 1.0


VF = VectorFieldNetwork([2, 3, 1], seed=0, feedback_angle=45.0)
G1 = ([np.ones((1, 2))], [np.zeros(1)])
ERROR_CASES += [
    ("VectorFieldNetwork-feedback_angle-negative", lambda: VectorFieldNetwork([2, 1], feedback_angle=-1.0),
     ValueError, "feedback_angle must be a finite number >= 0 and <= 180"),
    ("VectorFieldNetwork-feedback_angle-huge", lambda: VectorFieldNetwork([2, 1], feedback_angle=1e9), ValueError,
     "feedback_angle must be"),
    ("VectorFieldNetwork-feedback_angle-nan", lambda: VectorFieldNetwork([2, 1], feedback_angle=np.nan), ValueError,
     "feedback_angle must be"),
    ("VectorFieldNetwork-feedback_angle-str", lambda: VectorFieldNetwork([2, 1], feedback_angle="90"), TypeError,
     "feedback_angle must be a real number"),
    ("VectorFieldNetwork-feedback_angle-bool", lambda: VectorFieldNetwork([2, 1], feedback_angle=True), TypeError,
     "feedback_angle must be a real number"),
    ("VectorFieldNetwork-sizes-none", lambda: VectorFieldNetwork(None), TypeError, "sizes must be a list"),
    ("VectorFieldNetwork-seed-negative", lambda: VectorFieldNetwork([2, 1], seed=-1), ValueError, "seed must be"),
    ("VectorFieldNetwork-energy-asymmetric", lambda: VF.energy(X4, VF.zero_states(4)), ValueError,
     "this network has no energy"),
    ("VectorFieldNetwork-apply-missing-feedback", lambda: VF.apply(net3().ep_gradients(X4, D4, 0.1), 0.1), ValueError,
     "grads must hold 3 weight gradients, got 2"),
    ("gradient_angle-none", lambda: gradient_angle(None, G1), TypeError, "estimate must be a pair"),
    ("gradient_angle-shapes", lambda: gradient_angle(G1, ([np.ones((2, 1))], [np.zeros(1)])), ValueError,
     "estimate and reference must have the same shapes"),
    ("gradient_angle-zero", lambda: gradient_angle(G1, ([np.zeros((1, 2))], [np.zeros(1)])), ValueError,
     "reference must not be all zeros"),
    ("gradient_angle-nan", lambda: gradient_angle(([np.full((1, 2), np.nan)], [np.zeros(1)]), G1), ValueError,
     r"estimate\[0\]\[0\] must hold finite numbers"),
    ("gradient_angle-str", lambda: gradient_angle(G1, (["ab"], [np.zeros(1)])), TypeError,
     r"reference\[0\]\[0\] must be an array of real numbers"),
]
