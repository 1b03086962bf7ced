"""Equilibrium propagation: its gradient estimate converges to backprop's as beta -> 0; it trains."""

import numpy as np
import pytest

from autograd_engine import Value, gradients
from nn import make_blobs, make_xor
from nn.eqprop import EqPropNetwork, RelaxationError, compare_estimates, train


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


@pytest.mark.parametrize("kwargs, pattern", [
    ({"sizes": [2]}, "sizes must be at least two"),
    ({"sizes": [2, 0, 1]}, "sizes must be"),
    ({"eps": -1.0}, "eps must be None or a number > 0"),
    ({"free_steps": 0}, "free_steps must be an int >= 1"),
    ({"init_scale": (1.0,)}, "init_scale must be a number or one per layer"),
])
def test_constructor_validation(kwargs, pattern):
    args = {"sizes": [2, 3, 1], **kwargs}
    with pytest.raises(ValueError, match=pattern):
        EqPropNetwork(args.pop("sizes"), **args)


def test_input_and_target_validation():
    net = EqPropNetwork([2, 3, 1])
    with pytest.raises(ValueError, match="x must have 2 features per sample"):
        net.free_phase(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="targets must have 1 values per sample"):
        net.loss(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="beta must be a number > 0"):
        net.ep_gradients(np.zeros((1, 2)), np.zeros((1, 1)), beta=0)
    with pytest.raises(ValueError, match="method must be 'ep' or 'bptt'"):
        train(net, np.zeros((1, 2)), np.zeros((1, 1)), epochs=1, lr=0.1, method="sgd")


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
