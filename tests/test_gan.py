"""The GAN: G's step moves G only, its gradients pass through D exactly, and training moves G towards the data."""

import numpy as np
import pytest

from nn import MLP, SGD, Adam, Linear, Sequential
from nn.gan import (
    compiled_steps,
    discriminator_loss,
    discriminator_step,
    generate,
    generator_loss,
    generator_step,
    sample_mixture,
    sample_noise,
    train_gan,
)


def players(seed=0):
    return MLP(2, [4, 1], activation="tanh", seed=seed), MLP(1, [4, 1], activation="tanh", seed=seed + 1)


def values(module):
    return [p.data for p in module.parameters()]


def test_a_generator_step_changes_g_and_leaves_d_unchanged():
    G, D = players()
    d_before, g_before = values(D), values(G)
    generator_step(G, D, SGD(G.parameters(), lr=0.5), sample_noise(8, 2, seed=0))
    assert values(D) == d_before
    assert any(p.grad != 0 for p in D.parameters())  # D was on the path: it received gradients, and kept its values
    assert all(abs(a - b) > 0 for a, b in zip(values(G), g_before))


def test_a_discriminator_step_changes_d_and_sends_no_gradient_to_g():
    G, D = players()
    g_before, d_before = values(G), values(D)
    discriminator_step(G, D, SGD(D.parameters(), lr=0.5), sample_mixture(8, [1.0], seed=0), sample_noise(8, 2))
    assert values(G) == g_before and all(p.grad == 0 for p in G.parameters())
    assert values(D) != d_before


def test_the_generators_gradients_through_d_equal_central_differences():
    G, D = players(3)
    noise = sample_noise(5, 2, seed=1)
    G.zero_grad()
    generator_loss(G, D, noise).backward()
    h = 1e-6
    for p in G.parameters():
        old = p.data
        p.data = old + h
        up = generator_loss(G, D, noise).data
        p.data = old - h
        down = generator_loss(G, D, noise).data
        p.data = old
        assert p.grad == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9)


def test_the_discriminator_loss_is_the_two_cross_entropies():
    _, D = players()
    real, fake = np.array([[0.5], [-1.0]]), np.array([[2.0]])
    logit = lambda x: D([x]).data  # noqa: E731
    softplus = lambda z: np.log1p(np.exp(z))  # noqa: E731
    expected = np.mean([softplus(-logit(0.5)), softplus(-logit(-1.0))]) + softplus(logit(2.0))
    assert discriminator_loss(D, real, fake).data == pytest.approx(expected, rel=1e-12)


def test_the_mixture_has_its_means_stds_and_weights():
    x = sample_mixture(40000, [[-2.0, 0.0], [3.0, 1.0]], stds=[0.5, 0.2], weights=[3, 1], seed=0)
    left = x[x[:, 0] < 0.5]
    assert len(left) / len(x) == pytest.approx(0.75, abs=0.01)
    np.testing.assert_allclose(left.mean(0), [-2.0, 0.0], atol=0.02)
    np.testing.assert_allclose(left.std(0), [0.5, 0.5], rtol=0.02)
    np.testing.assert_allclose(x[x[:, 0] >= 0.5].std(0), [0.2, 0.2], rtol=0.03)
    np.testing.assert_array_equal(sample_mixture(5, [0.0, 1.0], seed=7), sample_mixture(5, [0.0, 1.0], seed=7))


def test_training_is_reproducible_and_moves_g_towards_two_modes():
    data = sample_mixture(400, [-2.0, 2.0], 0.4, seed=0)
    runs = []
    for _ in range(2):
        G, D = MLP(1, [8, 8, 1], activation="tanh", seed=0), MLP(1, [8, 1], activation="tanh", seed=1)
        runs.append(train_gan(G, D, data, steps=120, batch_size=16, lr=0.01, snapshot_every=60, seed=0))
    a, b = runs
    assert a.d_loss == b.d_loss and a.g_loss == b.g_loss and sorted(a.snapshots) == [0, 60, 120]
    start, end = a.snapshots[0][:, 0], a.snapshots[120][:, 0]
    assert np.abs(start).mean() < 1.0  # the untrained generator sits between the modes
    assert np.abs(end).mean() > 1.5 and 0.2 < (end > 0).mean() < 0.8  # samples on both sides, out at the modes


@pytest.mark.parametrize("dim, noise_dim", [(1, 1), (2, 3)])
def test_compiled_steps_equal_the_scalar_steps(dim, noise_dim):
    data = sample_mixture(200, [[-2.0] * dim, [2.0] * dim], 0.4, seed=0)
    runs = []
    for compile in (False, True):
        G = MLP(noise_dim, [6, dim], activation="tanh", seed=0)
        D = MLP(dim, [6, 1], activation="tanh", seed=1)
        history = train_gan(G, D, data, steps=15, batch_size=8, noise_dim=noise_dim, lr=0.02, seed=0,
                            compile=compile)
        runs.append((history, values(G), values(D)))
    (a, ga, da), (b, gb, db) = runs
    np.testing.assert_allclose(b.d_loss, a.d_loss, rtol=1e-9)
    np.testing.assert_allclose(b.g_loss, a.g_loss, rtol=1e-9)
    np.testing.assert_allclose(gb, ga, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(db, da, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b.snapshots[15], a.snapshots[15], rtol=1e-9, atol=1e-12)


def test_a_compiled_generator_step_leaves_d_unchanged():
    G, D = players()
    d_before = values(D)
    _, g_step = compiled_steps(G, D, SGD(D.parameters(), lr=0.5), SGD(G.parameters(), lr=0.5), 2)
    g_step(sample_noise(8, 2, seed=0))
    assert values(D) == d_before


def test_generate_returns_numbers_without_a_graph():
    G, _ = players()
    out = generate(G, sample_noise(3, 2, seed=0))
    assert out.shape == (3, 1) and out.dtype == float
    np.testing.assert_allclose(out[:, 0], [G(z).data for z in sample_noise(3, 2, seed=0).tolist()])


def test_a_training_round_is_a_discriminator_step_then_a_generator_step():
    """Each player moves by its own step alone: the test fails if D's optimizer also stepped during G's step."""
    data = sample_mixture(50, [-1.0, 1.0], 0.3, seed=0)
    G, D = players(4)
    history = train_gan(G, D, data, steps=2, batch_size=6, noise_dim=2, lr=0.05, seed=9)
    G2, D2 = players(4)
    g_opt = Adam(G2.parameters(), lr=0.05, betas=(0.5, 0.999))
    d_opt = Adam(D2.parameters(), lr=0.05, betas=(0.5, 0.999))
    rng = np.random.default_rng(9)
    rng.standard_normal((500, 2))  # the fixed snapshot noise
    for step in range(2):
        real = data[rng.integers(0, len(data), 6)]
        assert discriminator_step(G2, D2, d_opt, real, rng.standard_normal((6, 2))) == history.d_loss[step]
        d_after = values(D2)
        assert generator_step(G2, D2, g_opt, rng.standard_normal((6, 2))) == history.g_loss[step]
        assert values(D2) == d_after
    assert values(G) == values(G2) and values(D) == values(D2)


def test_data_of_another_width_than_the_generators_samples_is_named():
    G, D = players()
    for compile in (False, True):
        with pytest.raises(ValueError, match=r"data must have one column per number the generator makes \(1\), got 2"):
            train_gan(G, D, np.zeros((4, 2)), steps=1, noise_dim=2, compile=compile)
    _, D2 = players()
    d_step, _ = compiled_steps(G, D2, SGD(D2.parameters(), lr=0.1), SGD(G.parameters(), lr=0.1), 2)
    with pytest.raises(ValueError, match=r"real must have one column per number the generator makes \(1\), got 3"):
        d_step(np.zeros((4, 3)), np.zeros((4, 2)))


def test_eight_threads_train_their_own_players_as_one_thread_does():
    from concurrent.futures import ThreadPoolExecutor

    data = sample_mixture(100, [-1.0, 1.0], 0.3, seed=0)

    def run(i):
        G, D = MLP(1, [4, 1], activation="tanh", seed=i), MLP(1, [4, 1], activation="tanh", seed=i + 100)
        history = train_gan(G, D, data, steps=4, batch_size=8, seed=i, compile=i % 2 == 0)
        return history.d_loss + history.g_loss + values(G)

    alone = [run(i) for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(run, range(8))) == alone


G0, D0 = players()


def _two_logits():
    D2 = MLP(1, [2])
    return compiled_steps(G0, D2, SGD(D2.parameters(), lr=0.1), SGD(G0.parameters(), lr=0.1), 2)


ERROR_CASES = [
    ("sample_mixture-n-zero", lambda: sample_mixture(0, [0.0]), ValueError, "n must be an int from 1 to .*, got 0"),
    ("sample_mixture-n-bool", lambda: sample_mixture(True, [0.0]), TypeError, "n must be an int, got bool"),
    ("sample_mixture-n-huge", lambda: sample_mixture(10**12, [0.0]), ValueError, "n must be an int from 1"),
    ("sample_mixture-means-none", lambda: sample_mixture(3, None), TypeError, "means must be an array"),
    ("sample_mixture-means-str", lambda: sample_mixture(3, "ab"), TypeError, "means must be an array"),
    ("sample_mixture-means-nan", lambda: sample_mixture(3, [np.nan]), ValueError, "means must hold finite"),
    ("sample_mixture-means-empty", lambda: sample_mixture(3, []), ValueError, "means must hold at least one"),
    ("sample_mixture-stds-negative", lambda: sample_mixture(3, [0.0], -1.0), ValueError,
     r"stds must be one number > 0"),
    ("sample_mixture-stds-count", lambda: sample_mixture(3, [0.0, 1.0], [1.0]), ValueError, r"one per component \(2\)"),
    ("sample_mixture-weights-zero", lambda: sample_mixture(3, [0.0], weights=[0.0]), ValueError, "not all 0"),
    ("sample_mixture-seed-negative", lambda: sample_mixture(3, [0.0], seed=-1), ValueError, "seed must be"),
    ("sample_noise-dim-zero", lambda: sample_noise(3, 0), ValueError, "dim must be an int from 1 to .*, got 0"),
    ("sample_noise-n-float", lambda: sample_noise(2.5, 1), TypeError, "n must be an int, got float"),
    ("generate-generator-none", lambda: generate(None, [[0.0, 0.0]]), TypeError, "generator must be an nn Module"),
    ("generate-noise-nan", lambda: generate(G0, [[np.nan, 0.0]]), ValueError, "noise must hold finite"),
    ("generate-noise-3d", lambda: generate(G0, np.zeros((1, 1, 2))), ValueError, "noise must be a 1-D or 2-D"),
    ("generate-noise-empty", lambda: generate(G0, np.zeros((0, 2))), ValueError, "noise must hold at least one"),
    ("generate-noise-width", lambda: generate(G0, [[0.0]]), ValueError, "MLP expects 2 inputs, got 1"),
    ("discriminator_loss-discriminator-str", lambda: discriminator_loss("D", [1.0], [0.0]), TypeError,
     "discriminator must be an nn Module"),
    ("discriminator_loss-real-none", lambda: discriminator_loss(D0, None, [0.0]), TypeError, "real must be an array"),
    ("discriminator_loss-fake-inf", lambda: discriminator_loss(D0, [1.0], [np.inf]), ValueError,
     "fake must hold finite"),
    ("generator_loss-generator-bool", lambda: generator_loss(True, D0, [[0.0, 0.0]]), TypeError,
     "generator must be an nn Module"),
    ("generator_loss-noise-str", lambda: generator_loss(G0, D0, "z"), TypeError, "noise must be an array"),
    ("discriminator_step-optimizer-none", lambda: discriminator_step(G0, D0, None, [1.0], [[0.0, 0.0]]), TypeError,
     "d_optimizer must be an nn Optimizer"),
    ("discriminator_step-optimizer-of-g", lambda: discriminator_step(G0, D0, SGD(G0.parameters(), lr=0.1), [1.0],
                                                                     [[0.0, 0.0]]), ValueError,
     "d_optimizer must update exactly the parameters of its own player"),
    ("generator_step-optimizer-of-both", lambda: generator_step(G0, D0, Adam(G0.parameters() + D0.parameters()),
                                                                [[0.0, 0.0]]), ValueError,
     "g_optimizer must update exactly the parameters"),
    ("generator_step-discriminator-numpy", lambda: generator_step(G0, np.zeros(2), SGD(G0.parameters(), lr=0.1),
                                                                  [[0.0, 0.0]]), TypeError,
     "discriminator must be an nn Module"),
    ("train_gan-steps-zero", lambda: train_gan(G0, D0, [1.0], steps=0), ValueError,
     "steps must be an int from 1 to .*, got 0"),
    ("train_gan-steps-none", lambda: train_gan(G0, D0, [1.0], steps=None), TypeError, "steps must be an int"),
    ("train_gan-lr-nan", lambda: train_gan(G0, D0, [1.0], steps=1, lr=float("nan")), ValueError, "lr must be"),
    ("train_gan-d_lr-negative", lambda: train_gan(G0, D0, [1.0], steps=1, d_lr=-1.0), ValueError, "d_lr must be"),
    ("train_gan-batch-huge", lambda: train_gan(G0, D0, [1.0], steps=1, batch_size=10**12), ValueError,
     "batch_size must be an int from 1"),
    ("train_gan-noise_dim-bool", lambda: train_gan(G0, D0, [1.0], steps=1, noise_dim=True), TypeError,
     "noise_dim must be an int, got bool"),
    ("train_gan-data-str", lambda: train_gan(G0, D0, "data", steps=1), TypeError, "data must be an array"),
    ("train_gan-snapshot_every-zero", lambda: train_gan(G0, D0, [1.0], steps=1, snapshot_every=0), ValueError,
     "snapshot_every must be an int >= 1"),
    ("train_gan-compile-str", lambda: train_gan(G0, D0, [1.0], steps=1, noise_dim=2, compile="yes"), TypeError,
     "compile must be a bool"),
    ("compiled_steps-optimizer-none", lambda: compiled_steps(G0, D0, None, SGD(G0.parameters(), lr=0.1), 2),
     TypeError, "d_optimizer must be an nn Optimizer"),
    ("compiled_steps-noise_dim-zero", lambda: compiled_steps(G0, D0, SGD(D0.parameters(), lr=0.1),
                                                             SGD(G0.parameters(), lr=0.1), 0),
     ValueError, "noise_dim must be an int from 1"),
    ("compiled_steps-optimizer-of-another-module",
     lambda: compiled_steps(G0, MLP(1, [2]), SGD(MLP(1, [2]).parameters(), lr=0.1), SGD(G0.parameters(), lr=0.1), 2),
     ValueError, "d_optimizer must update exactly the parameters"),
    ("compiled_steps-discriminator-two-logits", lambda: _two_logits(), ValueError,
     "discriminator must return one logit, got 2 outputs"),
    ("train_gan-betas-bad", lambda: train_gan(G0, D0, [1.0], steps=1, noise_dim=2, betas=(1.5, 0.9)), ValueError,
     "betas"),
    ("train_gan-same-module-twice", lambda: train_gan(D0, D0, [1.0], steps=1), ValueError,
     "discriminator must be a module other than generator, got the same MLP"),
    ("generator_step-same-module-twice", lambda: generator_step(D0, D0, SGD(D0.parameters(), lr=0.1), [[0.0]]),
     ValueError, "discriminator must be a module other than generator"),
    ("discriminator_step-same-module-twice",
     lambda: discriminator_step(D0, D0, SGD(D0.parameters(), lr=0.1), [1.0], [[0.0]]), ValueError,
     "discriminator must be a module other than generator"),
    ("compiled_steps-same-module-twice", lambda: compiled_steps(D0, D0, SGD(D0.parameters(), lr=0.1),
                                                                SGD(D0.parameters(), lr=0.1), 1),
     ValueError, "discriminator must be a module other than generator"),
    ("train_gan-shared-parameters", lambda: train_gan(Sequential(D0.layers[0], Linear(4, 1)), D0, [1.0], steps=1),
     ValueError, r"discriminator must share no parameters with generator, got 8 shared"),
]
