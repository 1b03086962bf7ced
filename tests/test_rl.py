"""The policy gradient: the score-function estimate is unbiased, its pieces are right, REINFORCE learns."""

import subprocess
import sys

import numpy as np
import pytest

from nn import MLP
from nn.rl import (
    CompiledPolicy,
    Episode,
    action_probabilities,
    advantages,
    bandit_gradient,
    discounted_returns,
    evaluate_policy,
    log_probability,
    reinforce,
    reinforce_loss,
    run_episode,
    score_function_samples,
)


class Discrete:
    def __init__(self, n):
        self.n = n


class SignGame:
    """A gymnasium-style environment: see a sign (+1 or -1), say it (action 1 for +1); 5 rounds, reward 1 if right."""

    action_space = Discrete(2)

    def reset(self, seed=None):
        if seed is not None or not hasattr(self, "rng"):
            self.rng = np.random.default_rng(seed)
        self.t = 0
        self.sign = self.rng.choice([-1.0, 1.0])
        return np.array([self.sign]), {}

    def step(self, action):
        reward = float(action == (self.sign > 0))
        self.t += 1
        self.sign = self.rng.choice([-1.0, 1.0])
        return np.array([self.sign]), reward, False, self.t >= 5, {}


def test_the_score_function_estimate_is_unbiased_on_a_two_armed_bandit():
    logits, means = [0.3, -0.2], [0.8, 0.3]
    exact = bandit_gradient(logits, means)
    for baseline in (0.0, 0.5):
        samples = score_function_samples(logits, means, 20000, baseline=baseline, seed=0)
        mean, se = samples.mean(0), samples.std(0, ddof=1) / np.sqrt(len(samples))
        assert np.all(np.abs(mean - exact) < 4 * se), (baseline, mean, exact, se)
        # the same tolerance rejects an estimator biased by a tenth of the gradient: the check can fail
        assert np.all(np.abs(1.1 * mean - exact) > 4 * se) and np.all(np.abs(0.9 * mean - exact) > 4 * se)
    spread = [score_function_samples(logits, means, 20000, baseline=b, seed=0).std(0) for b in (0.0, 0.5)]
    assert np.all(spread[1] < spread[0])  # a baseline near the mean reward lowers the variance


def test_the_bandits_exact_gradient_is_the_derivative_of_the_expected_reward():
    logits, means = np.array([0.3, -0.2, 1.0]), np.array([0.8, 0.3, 0.1])

    def expected_reward(theta):
        pi = np.exp(theta) / np.exp(theta).sum()
        return pi @ means

    h = 1e-6
    numeric = [(expected_reward(logits + h * e) - expected_reward(logits - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(bandit_gradient(logits, means), numeric, rtol=1e-7, atol=1e-10)


def test_log_probabilitys_gradient_is_the_softmax_score():
    policy = MLP(3, [2], seed=0)
    x = [0.5, -1.0, 2.0]
    probs = action_probabilities(policy, x)
    lp = log_probability(policy, x, 1)
    assert lp.data == pytest.approx(np.log(probs[1]), rel=1e-12)
    policy.zero_grad()
    lp.backward()
    for j, neuron in enumerate(policy.layers[0].neurons):
        score = float(j == 1) - probs[j]
        np.testing.assert_allclose([w.grad for w in neuron.w], score * np.array(x), rtol=1e-12)
        assert neuron.b.grad == pytest.approx(score, rel=1e-12)


def test_discounted_returns_and_advantages():
    np.testing.assert_allclose(discounted_returns([1.0, 0.0, 2.0], 0.9), [1 + 0.81 * 2, 0.9 * 2, 2.0])
    np.testing.assert_allclose(discounted_returns([1.0, 1.0], 0.0), [1.0, 1.0])
    batch = [np.array([3.0, 2.0, 1.0]), np.array([1.0])]
    time = advantages(batch, "time", normalize=False)
    np.testing.assert_allclose(time[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(time[1], [-1.0])
    mean = advantages(batch, "mean", normalize=False)
    np.testing.assert_allclose(np.concatenate(mean), [1.25, 0.25, -0.75, -0.75])
    normed = advantages(batch, "mean")
    assert np.concatenate(normed).std() == pytest.approx(1.0)
    np.testing.assert_allclose(advantages(batch, "none", normalize=False)[0], batch[0])


def test_reinforce_loss_is_minus_the_mean_score_weighted_sum():
    policy = MLP(2, [3, 2], activation="tanh", seed=1)
    episodes = [Episode([[0.1, 0.2], [0.3, -0.4]], [0, 1], [1.0, 1.0]), Episode([[1.0, 0.0]], [1], [0.0])]
    weights = [np.array([0.5, -1.0]), np.array([2.0])]
    policy.zero_grad()
    loss = reinforce_loss(policy, episodes, weights)
    loss.backward()
    got = [p.grad for p in policy.parameters()]
    expected = np.zeros(len(got))
    total = 0.0
    for e, w in zip(episodes, weights):
        for obs, a, adv in zip(e.observations, e.actions, w):
            policy.zero_grad()
            lp = log_probability(policy, obs, a)
            lp.backward()
            expected -= adv * np.array([p.grad for p in policy.parameters()]) / 2
            total -= adv * lp.data / 2
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert loss.data == pytest.approx(total, rel=1e-12)


def test_a_reinforce_update_is_an_sgd_step_on_reinforce_loss():
    trained, reference = MLP(1, [3, 2], activation="tanh", seed=0), MLP(1, [3, 2], activation="tanh", seed=0)
    history = reinforce(trained, SignGame(), episodes=2, batch_size=2, lr=0.1, optimizer="sgd", seed=5)
    rng, env = np.random.default_rng(5), SignGame()
    batch = [run_episode(reference, env, seed=rng, reset_seed=5), run_episode(reference, env, seed=rng)]
    assert [e.total for e in batch] == history.returns
    weights = advantages([discounted_returns(e.rewards, 0.99) for e in batch], "time")
    loss = reinforce_loss(reference, batch, weights)
    loss.backward()
    assert history.loss == [pytest.approx(loss.data, rel=1e-12)]
    np.testing.assert_allclose([p.data for p in trained.parameters()],
                               [p.data - 0.1 * p.grad for p in reference.parameters()], rtol=1e-12)


class Box:
    shape = (1,)


class SignGameWithSpace(SignGame):
    observation_space = Box()


@pytest.mark.parametrize("env, policy", [(lambda: "CartPole-v1", lambda: MLP(4, [5, 2], activation="tanh", seed=2)),
                                         (SignGameWithSpace, lambda: MLP(1, [3, 2], activation="tanh", seed=0))],
                         ids=["cartpole", "sign-game"])
def test_compiled_reinforce_equals_the_scalar_one(env, policy):
    runs = []
    for compile in (False, True):
        model = policy()
        history = reinforce(model, env(), episodes=12, batch_size=3, lr=0.05, seed=1, compile=compile)
        runs.append((history, [p.data for p in model.parameters()]))
    (a, wa), (b, wb) = runs
    assert a.returns == b.returns
    np.testing.assert_allclose(b.loss, a.loss, rtol=1e-9)
    np.testing.assert_allclose(wb, wa, rtol=1e-9, atol=1e-12)
    fresh = [evaluate_policy(model, env(), episodes=3, seed=4, compile=compile) for compile in (False, True)]
    np.testing.assert_array_equal(fresh[0], fresh[1])


def test_the_compiled_surrogate_gradient_is_reinforce_losss():
    policy = MLP(2, [3, 2], activation="tanh", seed=1)
    episodes = [Episode([[0.1, 0.2], [0.3, -0.4]], [0, 1], [1.0, 1.0]), Episode([[1.0, 0.0]], [1], [0.0])]
    weights = [np.array([0.5, -1.0]), np.array([2.0])]
    loss = reinforce_loss(policy, episodes, weights)
    policy.zero_grad()
    loss.backward()
    expected = [p.grad for p in policy.parameters()]
    compiled = CompiledPolicy(policy, 2)
    assert compiled.surrogate_gradient(episodes, weights) == pytest.approx(loss.data, rel=1e-12)
    np.testing.assert_allclose([p.grad for p in policy.parameters()], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(compiled.probabilities([0.3, -0.4]), action_probabilities(policy, [0.3, -0.4]),
                               rtol=1e-12)


def test_reinforce_learns_a_small_game_and_is_reproducible():
    runs = []
    for _ in range(2):
        policy = MLP(1, [2], seed=0)
        runs.append((reinforce(policy, SignGame(), episodes=60, batch_size=4, lr=0.1, seed=3), policy))
    (a, policy), (b, _) = runs
    assert a.returns == b.returns and a.loss == b.loss
    assert np.mean(a.returns[:8]) < 4 and np.mean(a.returns[-12:]) > 4.5  # of 5
    assert action_probabilities(policy, [1.0])[1] > 0.9 and action_probabilities(policy, [-1.0])[0] > 0.9
    returns = evaluate_policy(policy, SignGame(), episodes=20, seed=0, greedy=True)
    np.testing.assert_array_equal(returns, np.full(20, 5.0))


def test_cartpole_episodes_are_seeded():
    policy = MLP(4, [2], seed=0)
    one = run_episode(policy, "CartPole-v1", seed=1, reset_seed=2)
    two = run_episode(policy, "CartPole-v1", seed=1, reset_seed=2)
    assert one.actions == two.actions and one.observations == two.observations and len(one) == one.total
    history = reinforce(MLP(4, [2], seed=0), "CartPole-v1", episodes=4, batch_size=2, target=1.0, seed=0)
    assert len(history.returns) == 4 and len(history.loss) == 2 and history.solved_at is None  # fewer than 100


def test_eight_threads_train_their_own_policies_as_one_thread_does():
    from concurrent.futures import ThreadPoolExecutor

    def run(i):
        policy = MLP(1, [3, 2], activation="tanh", seed=i)
        history = reinforce(policy, SignGameWithSpace(), episodes=6, batch_size=2, lr=0.1, seed=i, compile=i % 2 == 0)
        return history.returns + history.loss + [p.data for p in policy.parameters()]

    alone = [run(i) for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(run, range(8))) == alone


def test_the_library_does_not_import_gymnasium():
    code = "import sys, nn, nn.rl; print('gymnasium' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


class OldGymReset(SignGame):
    """gym's API before 0.26: reset returns the observation alone."""

    def reset(self, seed=None):
        return super().reset(seed)[0]


class OldGymStep(SignGame):
    """gym's API before 0.26: step returns (obs, reward, done, info)."""

    def step(self, action):
        obs, reward, terminated, truncated, info = super().step(action)
        return obs, reward, terminated or truncated, info


class TextReward(SignGame):
    def step(self, action):
        obs, reward, terminated, truncated, info = super().step(action)
        return obs, str(reward), terminated, truncated, info


class ThreeActions(SignGame):
    action_space = Discrete(3)


class TextActions(SignGame):
    action_space = Discrete("2")


P1 = MLP(1, [2], seed=0)
P0 = MLP(4, [2], seed=0)
E0 = Episode([[0.0, 0.0, 0.0, 0.0]], [0], [1.0])
ERROR_CASES = [
    ("action_probabilities-policy-none", lambda: action_probabilities(None, [0.0]), TypeError,
     "policy must be a module mapping an observation to action logits, got NoneType"),
    ("action_probabilities-observation-nan", lambda: action_probabilities(P0, [np.nan] * 4), ValueError,
     "observation must hold finite"),
    ("action_probabilities-observation-str", lambda: action_probabilities(P0, "abcd"), TypeError,
     "observation must be an array"),
    ("action_probabilities-observation-2d", lambda: action_probabilities(P0, np.zeros((2, 4))), ValueError,
     "observation must be a 1-D array"),
    ("action_probabilities-one-logit", lambda: action_probabilities(MLP(1, [1]), [0.0]), ValueError,
     "policy must return one logit .* per action, at least two"),
    ("log_probability-action-bool", lambda: log_probability(P0, [0.0] * 4, True), TypeError,
     "action must be an int, got bool"),
    ("log_probability-action-out-of-range", lambda: log_probability(P0, [0.0] * 4, 2), ValueError,
     "action must be an int from 0 to 1, got 2"),
    ("log_probability-action-negative", lambda: log_probability(P0, [0.0] * 4, -1), ValueError, "action must be"),
    ("discounted_returns-gamma-big", lambda: discounted_returns([1.0], 1.5), ValueError, "gamma must be"),
    ("discounted_returns-gamma-str", lambda: discounted_returns([1.0], "0.9"), TypeError, "gamma must be"),
    ("discounted_returns-rewards-none", lambda: discounted_returns(None), TypeError, "rewards must be an array"),
    ("discounted_returns-rewards-inf", lambda: discounted_returns([np.inf]), ValueError, "rewards must hold finite"),
    ("advantages-returns-numpy", lambda: advantages(np.zeros(3)), TypeError, "returns must be a list of 1-D arrays"),
    ("advantages-returns-empty", lambda: advantages([]), ValueError, "returns must hold at least one episode"),
    ("advantages-baseline-unknown", lambda: advantages([[1.0]], "median"), ValueError,
     "baseline must be one of none, mean, time"),
    ("advantages-normalize-int", lambda: advantages([[1.0]], normalize=1), TypeError, "normalize must be a bool"),
    ("reinforce_loss-episodes-one", lambda: reinforce_loss(P0, E0, [[1.0]]), TypeError,
     "episodes must be a list of Episodes"),
    ("reinforce_loss-episodes-empty", lambda: reinforce_loss(P0, [], []), ValueError, "episodes must hold at least"),
    ("reinforce_loss-weights-count", lambda: reinforce_loss(P0, [E0], [[1.0], [2.0]]), ValueError,
     r"weights must hold one array per episode \(1\), got 2"),
    ("reinforce_loss-weights-length", lambda: reinforce_loss(P0, [E0], [[1.0, 2.0]]), ValueError,
     r"weights\[0\] must have one advantage per step of episode 0 \(1\), got 2"),
    ("reinforce_loss-weights-none", lambda: reinforce_loss(P0, [E0], None), TypeError, "weights must be a list"),
    ("run_episode-env-unknown", lambda: run_episode(P0, "NoSuchGame-v0"), ValueError,
     "env must be a gymnasium environment id, got 'NoSuchGame-v0'"),
    ("run_episode-env-object", lambda: run_episode(P0, object()), TypeError, "env must be a gymnasium environment"),
    ("run_episode-env-continuous", lambda: run_episode(P0, "Pendulum-v1"), ValueError,
     "env must have a discrete action space"),
    ("run_episode-max_steps-zero", lambda: run_episode(P0, SignGame(), max_steps=0), ValueError, "max_steps must be"),
    ("run_episode-greedy-none", lambda: run_episode(P0, SignGame(), greedy=None), TypeError, "greedy must be a bool"),
    ("run_episode-policy-wrong-width", lambda: run_episode(P0, SignGame()), ValueError, "MLP expects 4 inputs, got 1"),
    ("reinforce-policy-function", lambda: reinforce(lambda x: x, SignGame(), episodes=1), TypeError,
     "policy must be an nn Module"),
    ("reinforce-episodes-zero", lambda: reinforce(P0, SignGame(), episodes=0), ValueError, "episodes must be"),
    ("reinforce-episodes-huge", lambda: reinforce(P0, SignGame(), episodes=10**9), ValueError, "episodes must be"),
    ("reinforce-lr-negative", lambda: reinforce(P0, SignGame(), episodes=1, lr=-0.1), ValueError, "lr must be"),
    ("reinforce-optimizer-unknown", lambda: reinforce(P0, SignGame(), episodes=1, optimizer="lbfgs"), ValueError,
     "optimizer must be one of"),
    ("reinforce-target-nan", lambda: reinforce(P0, SignGame(), episodes=1, target=np.nan), ValueError,
     "target must be"),
    ("reinforce-seed-none", lambda: reinforce(P0, SignGame(), episodes=1, seed=None), TypeError, "seed must be an int"),
    ("reinforce-compile-str", lambda: reinforce(P0, "CartPole-v1", episodes=1, compile="yes"), TypeError,
     "compile must be a bool"),
    ("reinforce-compile-no-observation-space", lambda: reinforce(P0, SignGame(), episodes=1, compile=True),
     ValueError, "compile=True needs env.observation_space.shape of one dimension, got None"),
    ("CompiledPolicy-policy-function", lambda: CompiledPolicy(lambda x: x, 2), TypeError,
     "policy must be an nn Module"),
    ("CompiledPolicy-n_observations-zero", lambda: CompiledPolicy(P0, 0), ValueError,
     "n_observations must be an int from 1"),
    ("CompiledPolicy-n_observations-wrong", lambda: CompiledPolicy(P0, 3), ValueError, "MLP expects 4 inputs, got 3"),
    ("CompiledPolicy-one-logit", lambda: CompiledPolicy(MLP(1, [1]), 1), ValueError,
     "policy must return one logit .* per action, at least two"),
    ("evaluate_policy-compile-none", lambda: evaluate_policy(P0, SignGame(), compile=None), TypeError,
     "compile must be a bool"),
    ("evaluate_policy-episodes-str", lambda: evaluate_policy(P0, SignGame(), episodes="5"), TypeError,
     "episodes must be an int"),
    ("evaluate_policy-env-none", lambda: evaluate_policy(P0, None), TypeError, "env must be a gymnasium environment"),
    ("bandit_gradient-means-length", lambda: bandit_gradient([0.0, 0.0], [1.0]), ValueError,
     r"means must hold one mean reward per arm \(2\)"),
    ("bandit_gradient-means-range", lambda: bandit_gradient([0.0, 0.0], [1.0, 2.0]), ValueError,
     r"means must be probabilities in \[0, 1\]"),
    ("bandit_gradient-logits-one", lambda: bandit_gradient([0.0], [1.0]), ValueError, "at least two"),
    ("bandit_gradient-logits-none", lambda: bandit_gradient(None, [1.0]), TypeError, "logits must be an array"),
    ("score_function_samples-n-zero", lambda: score_function_samples([0.0, 0.0], [1.0, 0.0], 0), ValueError,
     "n must be an int from 1"),
    ("score_function_samples-baseline-inf", lambda: score_function_samples([0.0, 0.0], [1.0, 0.0], 5,
                                                                            baseline=np.inf), ValueError,
     "baseline must be a finite number"),
    ("score_function_samples-seed-str", lambda: score_function_samples([0.0, 0.0], [1.0, 0.0], 5, seed="0"),
     TypeError, "seed must be an int"),
    ("reinforce-policy-fewer-logits-than-actions", lambda: reinforce(P1, ThreeActions(), episodes=1), ValueError,
     r"policy must return one logit per action of env \(3\), got 2"),
    ("run_episode-policy-more-logits-than-actions", lambda: run_episode(MLP(1, [3]), SignGame()), ValueError,
     r"policy must return one logit per action of env \(2\), got 3"),
    ("run_episode-env-action-count-str", lambda: run_episode(P1, TextActions()), ValueError,
     "env must have a discrete action space of two or more actions"),
    ("run_episode-env-old-gym-reset", lambda: run_episode(P1, OldGymReset()), TypeError,
     r"env.reset\(\) must return \(observation, info\) as gymnasium's API does"),
    ("evaluate_policy-env-old-gym-step", lambda: evaluate_policy(P1, OldGymStep(), episodes=1), TypeError,
     r"env.step\(action\) must return \(observation, reward, terminated, truncated, info\)"),
    ("reinforce-env-reward-str", lambda: reinforce(P1, TextReward(), episodes=1), TypeError,
     "the environment's reward must be a real number, got str '1.0'"),
]
