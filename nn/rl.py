"""Deep reinforcement learning with the policy gradient: REINFORCE with a baseline, and its unbiasedness.

A *policy* is any module (an ``nn.MLP``, say) that maps an observation (a list of
numbers) to one logit per action; ``softmax`` of the logits is the distribution the
agent samples its action from. REINFORCE (Williams 1992) climbs the expected return
``J(theta) = E[sum_t r_t]`` with the *score-function* (likelihood-ratio) estimate::

    grad J ~ sum_t A_t grad log pi(a_t | s_t),    A_t = G_t - b_t,

where ``G_t`` is the discounted return from step ``t`` and ``b_t`` a baseline that does
not depend on the action (it lowers the variance and leaves the mean alone). Backprop
enters through ``grad log pi``: :func:`reinforce_loss` builds the surrogate
``-sum_t A_t log pi(a_t | s_t)`` from Values and one ``backward()`` gives the estimate.

Environments follow gymnasium's API (``reset(seed=...)`` -> ``(obs, info)``;
``step(a)`` -> ``(obs, reward, terminated, truncated, info)``; a ``Discrete`` action
space). Pass an environment object or a gymnasium id such as ``"CartPole-v1"``;
gymnasium is imported only when an id is given (``pip install gymnasium``).

The unbiasedness of the estimate is checkable exactly on a two-armed bandit:
:func:`bandit_gradient` is ``dJ/dtheta`` in closed form, :func:`score_function_samples`
draws the estimate many times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_engine import Value, enable_grad, logsumexp, no_grad, vsum
from autograd_engine.validation import as_bool, as_choice, as_int, as_real, describe, is_int, is_real, numpy_rng

from .data import MAX_SAMPLES, Seed, as_array
from .module import Module
from .optim import OPTIMIZERS, Optimizer, as_learning_rate

__all__ = ["Episode", "ReinforceHistory", "action_probabilities", "log_probability", "discounted_returns",
           "advantages", "reinforce_loss", "run_episode", "reinforce", "evaluate_policy", "bandit_gradient",
           "score_function_samples", "CompiledPolicy", "BASELINES"]

#: How :func:`advantages` forms the baseline ``b_t``.
BASELINES = ("none", "mean", "time")
#: The most steps of one episode, and the most episodes of one call (a bound turns a typo into an error).
MAX_STEPS = 10**6
MAX_EPISODES = 10**6


@dataclass
class Episode:
    """One episode: the observation each action was taken in, the actions and the rewards that followed.

    Attributes:
        observations: one list of floats per step.
        actions: the action (an int) taken at each step.
        rewards: the reward received after each step.
    """

    observations: list[list[float]]
    actions: list[int]
    rewards: list[float]

    @property
    def total(self) -> float:
        """The undiscounted return, ``sum(rewards)``."""
        return float(sum(self.rewards))

    def __len__(self) -> int:
        return len(self.actions)


@dataclass
class ReinforceHistory:
    """What :func:`reinforce` recorded.

    Attributes:
        returns: the undiscounted return of every training episode, in order.
        loss: the surrogate ``-mean over episodes of sum_t A_t log pi(a_t | s_t)`` of each update.
        solved_at: the number of episodes after which the mean of the last 100 returns first
            reached ``target`` (None if it never did, or no target was given).
    """

    returns: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    solved_at: int | None = None


# -- the policy -----------------------------------------------------------------------------------------------

def _policy(policy: Any) -> Any:
    if not callable(policy) or isinstance(policy, type):
        raise TypeError(f"policy must be a module mapping an observation to action logits, got {describe(policy)}")
    return policy


def _observation(observation: Any, name: str = "observation") -> list[float]:
    return as_array(observation, name, ndim=1, finite=True).tolist()


def _logits(policy: Any, observation: list[float]) -> list[Value]:
    out = policy(observation)
    logits = out if isinstance(out, (list, tuple)) else [out]
    if len(logits) < 2 or not all(isinstance(v, Value) for v in logits):
        raise ValueError(f"policy must return one logit (a Value) per action, at least two, got {describe(out)}")
    return list(logits)


def action_probabilities(policy: Any, observation: Any) -> list[float]:
    """``softmax`` of the policy's logits for ``observation``: the probability of each action (no graph kept).

    Raises:
        TypeError: ``policy`` is not callable, ``observation`` not a 1-D array of numbers.
        ValueError: ``observation`` holds nan/inf, or the policy does not return two or more logits.

    >>> from nn import MLP
    >>> [round(p, 3) for p in action_probabilities(MLP(2, [2], seed=0), [0.0, 0.0])]
    [0.5, 0.5]
    """
    return _probabilities(_policy(policy), _observation(observation))


def _probabilities(policy: Any, observation: list[float]) -> list[float]:
    with no_grad():
        return _softmax([v.data for v in _logits(policy, observation)])


def _softmax(logits: list[float]) -> list[float]:
    top = max(logits)
    weights = [math.exp(v - top) for v in logits]
    total = sum(weights)
    return [w / total for w in weights]


def log_probability(policy: Any, observation: Any, action: int) -> Value:
    """``log pi(action | observation) = logit_a - logsumexp(logits)``, a Value whose gradient is the score.

    Raises:
        TypeError: a bad ``policy`` or ``observation``, ``action`` not an int.
        ValueError: ``action`` is not one of the policy's actions (0 .. n - 1).

    >>> from nn import MLP
    >>> round(log_probability(MLP(2, [2], seed=0), [0.0, 0.0], 1).data, 4)
    -0.6931
    """
    policy = _policy(policy)
    logits = _logits(policy, _observation(observation))
    action = as_int(action, "action", minimum=0, maximum=len(logits) - 1)
    return logits[action] - logsumexp(logits)


# -- returns and advantages -----------------------------------------------------------------------------------

def discounted_returns(rewards: Any, gamma: float = 0.99) -> np.ndarray:
    """``G_t = r_t + gamma r_{t+1} + gamma^2 r_{t+2} + ...`` for every step of one episode.

    Args:
        rewards: the episode's rewards (a 1-D array of finite numbers).
        gamma: the discount, a number in [0, 1].

    >>> discounted_returns([1.0, 1.0, 1.0], gamma=0.5).tolist()
    [1.75, 1.5, 1.0]
    """
    rewards = as_array(rewards, "rewards", ndim=1, finite=True)
    gamma = _discount(gamma)
    out = np.zeros_like(rewards)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


def _discount(gamma: Any) -> float:
    return as_real(gamma, "gamma", finite=True, minimum=0, maximum=1)


def advantages(returns: Sequence[Any], baseline: str = "time", normalize: bool = True) -> list[np.ndarray]:
    """``A_t = G_t - b_t`` for a batch of episodes' returns-to-go (one 1-D array per episode).

    Args:
        returns: the batch: a list of 1-D arrays (``discounted_returns`` of each episode).
        baseline: ``"none"`` (b = 0), ``"mean"`` (b = the mean of all returns in the batch) or
            ``"time"`` (b_t = the mean of the returns at step t over the episodes that reached it).
        normalize: divide all advantages by their standard deviation (when it is not 0), which
            fixes the step size's scale; the sign of every advantage is kept.

    Raises:
        TypeError, ValueError: ``returns`` is not a non-empty list of 1-D arrays, or ``baseline`` is unknown.

    >>> [a.tolist() for a in advantages([[3.0, 2.0], [1.0]], baseline="time", normalize=False)]
    [[1.0, 0.0], [-1.0]]
    """
    if isinstance(returns, (str, bytes, np.ndarray)) or not isinstance(returns, Sequence):
        raise TypeError(f"returns must be a list of 1-D arrays (one per episode), got {describe(returns)}")
    if not returns:
        raise ValueError("returns must hold at least one episode, got an empty list")
    batch = [as_array(g, f"returns[{i}]", ndim=1, finite=True) for i, g in enumerate(returns)]
    baseline = as_choice(baseline, "baseline", BASELINES)
    if not isinstance(normalize, bool):
        raise TypeError(f"normalize must be a bool, got {describe(normalize)}")
    if baseline == "mean":
        b = float(np.concatenate(batch).mean()) if any(len(g) for g in batch) else 0.0
        out = [g - b for g in batch]
    elif baseline == "time":
        longest = max(len(g) for g in batch)
        total, count = np.zeros(longest), np.zeros(longest)
        for g in batch:
            total[:len(g)] += g
            count[:len(g)] += 1
        mean = total / np.maximum(count, 1)
        out = [g - mean[:len(g)] for g in batch]
    else:
        out = [g.copy() for g in batch]
    if normalize:
        std = float(np.concatenate(out).std()) if any(len(a) for a in out) else 0.0
        if std > 0:
            out = [a / std for a in out]
    return out


def reinforce_loss(policy: Any, episodes: Sequence[Episode], weights: Sequence[Any]) -> Value:
    """The surrogate ``-(1/N) sum_episodes sum_t A_t log pi(a_t | s_t)``, built from Values.

    Its gradient is the score-function estimate of ``-grad J``: call ``backward()`` and step an
    optimizer to climb the return. The graph is recorded even under the caller's ``no_grad()``.

    Args:
        policy: the policy module.
        episodes: the batch (a non-empty list of :class:`Episode`).
        weights: one 1-D array of advantages per episode, as long as the episode.

    Raises:
        TypeError, ValueError: a bad argument (the message names it).
    """
    policy = _policy(policy)
    episodes = _episodes(episodes)
    if isinstance(weights, (str, bytes)) or not isinstance(weights, (Sequence, np.ndarray)):
        raise TypeError(f"weights must be a list of 1-D arrays (one per episode), got {describe(weights)}")
    if len(weights) != len(episodes):
        raise ValueError(f"weights must hold one array per episode ({len(episodes)}), got {len(weights)}")
    weights = [as_array(w, f"weights[{i}]", ndim=1, finite=True) for i, w in enumerate(weights)]
    for i, (w, e) in enumerate(zip(weights, episodes)):
        if len(w) != len(e):
            raise ValueError(f"weights[{i}] must have one advantage per step of episode {i} ({len(e)}), got {len(w)}")
    with enable_grad():
        terms = []
        for e, w in zip(episodes, weights):
            for obs, action, a in zip(e.observations, e.actions, w.tolist()):
                logits = _logits(policy, obs)
                terms.append((logits[action] - logsumexp(logits)) * a)
        return vsum(terms) * (-1.0 / len(episodes))


def _episodes(episodes: Any) -> list[Episode]:
    if isinstance(episodes, Episode) or not isinstance(episodes, Sequence) or isinstance(episodes, (str, bytes)):
        raise TypeError(f"episodes must be a list of Episodes, got {describe(episodes)}")
    if not episodes:
        raise ValueError("episodes must hold at least one Episode, got an empty list")
    for i, e in enumerate(episodes):
        if not isinstance(e, Episode):
            raise TypeError(f"episodes[{i}] must be an Episode, got {describe(e)}")
    return list(episodes)


# -- environments ---------------------------------------------------------------------------------------------

def _environment(env: Any) -> Any:
    """A gymnasium-style environment with a discrete action space (a gymnasium id is made with gymnasium)."""
    if isinstance(env, str):
        try:
            import gymnasium
        except ImportError:  # pragma: no cover - gymnasium is installed wherever the tests run
            raise ImportError(f"env {env!r} is a gymnasium id: pip install gymnasium") from None
        try:
            env = gymnasium.make(env)
        except gymnasium.error.Error as error:
            raise ValueError(f"env must be a gymnasium environment id, got {env!r} ({error})") from None
    if not (callable(getattr(env, "reset", None)) and callable(getattr(env, "step", None))):
        raise TypeError(f"env must be a gymnasium environment (reset, step, action_space) or its id, "
                        f"got {describe(env)}")
    n = getattr(getattr(env, "action_space", None), "n", None)
    if not is_int(n) or n < 2:
        raise ValueError(f"env must have a discrete action space of two or more actions, got "
                         f"{describe(getattr(env, 'action_space', None))}")
    return env


def run_episode(policy: Any, env: Any, *, seed: Seed = 0, max_steps: int = 1000, greedy: bool = False,
                reset_seed: int | None = None) -> Episode:
    """Run one episode, sampling each action from the policy (or taking the likeliest with ``greedy``).

    Args:
        policy: the policy module (its logits are computed without a graph).
        env: a gymnasium-style environment or a gymnasium id.
        seed: the actions' random numbers (an int, a ``numpy.random.Generator`` or None).
        max_steps: stop after this many steps even if the episode has not ended (an int >= 1).
        greedy: take ``argmax`` of the probabilities instead of sampling.
        reset_seed: passed to ``env.reset(seed=...)`` (None continues the environment's own generator).

    Returns:
        The :class:`Episode`.

    Raises:
        TypeError, ValueError: a bad argument (the message names it).

    >>> import gymnasium
    >>> from nn import MLP
    >>> episode = run_episode(MLP(4, [2], seed=0), gymnasium.make("CartPole-v1"), seed=0, reset_seed=0)
    >>> len(episode) == episode.total
    True
    """
    policy = _policy(policy)
    env = _environment(env)
    rng = numpy_rng(seed)
    max_steps = as_int(max_steps, "max_steps", minimum=1, maximum=MAX_STEPS)
    if not isinstance(greedy, bool):
        raise TypeError(f"greedy must be a bool, got {describe(greedy)}")
    if reset_seed is not None:
        reset_seed = as_int(reset_seed, "reset_seed", minimum=0)
    return _run(policy, env, rng, max_steps, greedy, reset_seed)


def _run(policy: Any, env: Any, rng: np.random.Generator, max_steps: int, greedy: bool,
         reset_seed: int | None, log_probs: list[Value] | None = None,
         compiled: CompiledPolicy | None = None) -> Episode:
    """One episode; with a ``log_probs`` list, act through the graph and append each ``log pi(a_t | s_t)``;
    with ``compiled``, act through its traced program."""
    observation = _answer(env.reset(seed=reset_seed), 2, "env.reset() must return (observation, info)")[0]
    n_actions = int(env.action_space.n)
    episode = Episode([], [], [])
    for _ in range(max_steps):
        obs = _observation(observation, "the environment's observation")
        if compiled is not None:
            probs = compiled.probabilities(obs)
        elif log_probs is None:
            probs = _probabilities(policy, obs)
        else:
            logits = _logits(policy, obs)
            probs = _softmax([v.data for v in logits])
        if len(probs) != n_actions:
            raise ValueError(f"policy must return one logit per action of env ({n_actions}), got {len(probs)}")
        action = int(np.argmax(probs)) if greedy else _sample(probs, rng.random())
        if log_probs is not None:
            log_probs.append(logits[action] - logsumexp(logits))
        observation, reward, terminated, truncated, _ = _answer(
            env.step(action), 5, "env.step(action) must return (observation, reward, terminated, truncated, info)")
        reward = reward.item() if isinstance(reward, np.ndarray) and reward.ndim == 0 else reward
        if not is_real(reward):
            raise TypeError(f"the environment's reward must be a real number, got {describe(reward)}")
        episode.observations.append(obs)
        episode.actions.append(action)
        episode.rewards.append(float(reward))
        if terminated or truncated:
            break
    return episode


def _answer(answer: Any, length: int, expected: str) -> tuple:
    """An environment's answer, checked to be the tuple gymnasium's API returns (gym before 0.26 returned others)."""
    if not isinstance(answer, tuple) or len(answer) != length:
        raise TypeError(f"{expected} as gymnasium's API does, got {describe(answer)}")
    return answer


class CompiledPolicy:
    """A policy's graph traced once (``autograd_engine.trace``): its action probabilities one observation
    at a time, and the gradient of REINFORCE's surrogate over a whole batch of steps in one call.

    The traced functions take the policy's parameters (its Value objects) as their first input, so a
    gradient comes back summed over the steps; :meth:`refresh` reads the parameters' current values
    (call it after an optimizer step).

    Args:
        policy: the policy module; n_observations: the length of an observation.

    Raises:
        TypeError, ValueError: a bad argument, or a policy that does not return two or more logits.

    >>> from nn import MLP
    >>> compiled = CompiledPolicy(MLP(2, [2], seed=0), 2)
    >>> [round(p, 3) for p in compiled.probabilities([0.0, 0.0])]
    [0.5, 0.5]
    """

    def __init__(self, policy: Module, n_observations: int):
        from autograd_engine import dot, trace

        if not isinstance(policy, Module):
            raise TypeError(f"policy must be an nn Module (its parameters are traced), got {describe(policy)}")
        n = as_int(n_observations, "n_observations", minimum=1, maximum=MAX_STEPS)
        self.params = policy.parameters()
        self.logits = trace(lambda w, obs: _logits(policy, obs), self.params, [0.0] * n)
        self.n_actions = len(self.logits.output_names)

        def log_pi(w: list[Value], obs: list[Value], onehot: list[Value]) -> Value:
            logits = _logits(policy, obs)
            return dot(onehot, logits) - logsumexp(logits)

        self.log_pi = trace(log_pi, self.params, [0.0] * n, [0.0] * self.n_actions)
        self.refresh()

    def refresh(self) -> None:
        """Read the parameters' current values into the array the programs run with."""
        self.w = np.array([p.data for p in self.params])

    def probabilities(self, observation: list[float]) -> list[float]:
        """``softmax`` of the policy's logits for one observation."""
        return _softmax(list(self.logits(self.w, observation)))

    def surrogate_gradient(self, episodes: list[Episode], weights: list[np.ndarray]) -> float:
        """Set each parameter's ``.grad`` to that of :func:`reinforce_loss` and return the loss's value."""
        obs = np.array([o for e in episodes for o in e.observations]).T
        actions = np.concatenate([np.asarray(e.actions, dtype=int) for e in episodes])
        onehot = np.eye(self.n_actions)[:, actions]
        seed = np.concatenate(weights) * (-1.0 / len(episodes))
        out, grads = self.log_pi.value_and_grad(self.w, obs, onehot, seed=seed, wrt=(0,))
        for p, g in zip(self.params, grads[0].tolist()):
            p.grad = g
        return float(np.asarray(out) @ seed)


def _sample(probs: list[float], u: float) -> int:
    """The action whose slice of [0, 1) holds ``u`` (inverse CDF; ``rng.choice`` costs 20x more per call)."""
    total = 0.0
    for action, p in enumerate(probs):
        total += p
        if u < total:
            return action
    return len(probs) - 1


def reinforce(policy: Module, env: Any, *, episodes: int, batch_size: int = 5, lr: float = 0.01,
              optimizer: str = "adam", gamma: float = 0.99, baseline: str = "time", normalize: bool = True,
              target: float | None = None, max_steps: int = 1000, seed: Seed = 0,
              compile: bool = False) -> ReinforceHistory:
    """Train ``policy`` (in place) with REINFORCE and a baseline.

    Every ``batch_size`` episodes: the discounted returns-to-go, their advantages (:func:`advantages`),
    the surrogate of :func:`reinforce_loss` (built from the graph the actions were chosen through,
    so each step's network runs once), one ``backward()`` and one optimizer step.

    Args:
        policy: a module mapping an observation to one logit per action.
        env: a gymnasium-style environment or a gymnasium id; reset with ``seed`` once, then its own generator.
        episodes: how many episodes to run in all (an int >= 1; the last batch may be smaller).
        batch_size: episodes per update (an int >= 1).
        lr, optimizer: the optimizer's learning rate and name (``"sgd"``, ``"rmsprop"``, ``"adam"``).
        gamma, baseline, normalize: as in :func:`discounted_returns` and :func:`advantages`.
        target: stop once the mean return of the last 100 episodes reaches it (None: run them all).
        max_steps: the most steps of one episode.
        seed: the environment's first reset and the actions' random numbers (an int >= 0).
        compile: act and differentiate through the policy's graph traced once (:class:`CompiledPolicy`):
            the same rule, whole batches of steps per call (the observation's length is read from
            ``env.observation_space.shape``).

    Returns:
        :class:`ReinforceHistory`.

    Raises:
        TypeError, ValueError: a bad argument (the message names it).

    >>> from nn import MLP
    >>> history = reinforce(MLP(4, [2], seed=0), "CartPole-v1", episodes=10, seed=0)
    >>> len(history.returns), len(history.loss)
    (10, 2)
    """
    if not isinstance(policy, Module):
        raise TypeError(f"policy must be an nn Module (its parameters are trained), got {describe(policy)}")
    env = _environment(env)
    episodes = as_int(episodes, "episodes", minimum=1, maximum=MAX_EPISODES)
    batch_size = as_int(batch_size, "batch_size", minimum=1, maximum=MAX_EPISODES)
    optimizer = as_choice(optimizer, "optimizer", OPTIMIZERS)
    opt: Optimizer = OPTIMIZERS[optimizer](policy.parameters(), lr=as_learning_rate(lr))
    gamma = _discount(gamma)
    baseline = as_choice(baseline, "baseline", BASELINES)
    if not isinstance(normalize, bool):
        raise TypeError(f"normalize must be a bool, got {describe(normalize)}")
    if target is not None:
        target = as_real(target, "target", finite=True)
    max_steps = as_int(max_steps, "max_steps", minimum=1, maximum=MAX_STEPS)
    seed = as_int(seed, "seed", minimum=0)
    compiled = _compiled(policy, env) if as_bool(compile, "compile") else None
    rng = numpy_rng(seed)
    history = ReinforceHistory()
    first = True
    while len(history.returns) < episodes:
        batch: list[Episode] = []
        log_probs: list[Value] | None = None if compiled else []
        with enable_grad():
            for _ in range(min(batch_size, episodes - len(history.returns))):
                batch.append(_run(policy, env, rng, max_steps, False, seed if first else None, log_probs, compiled))
                first = False
                history.returns.append(batch[-1].total)
        weights = advantages([discounted_returns(e.rewards, gamma) for e in batch], baseline, normalize)
        if compiled is not None:
            history.loss.append(compiled.surrogate_gradient(batch, weights))
            opt.step()
            compiled.refresh()
        else:
            opt.zero_grad()
            loss = vsum(lp * a for lp, a in zip(log_probs, np.concatenate(weights).tolist())) * (-1.0 / len(batch))
            loss.backward()
            opt.step()
            history.loss.append(loss.data)
        if target is not None and len(history.returns) >= 100 and np.mean(history.returns[-100:]) >= target:
            history.solved_at = len(history.returns)
            break
    return history


def evaluate_policy(policy: Any, env: Any, *, episodes: int = 100, seed: Seed = 0, greedy: bool = False,
                    max_steps: int = 1000, compile: bool = False) -> np.ndarray:
    """The undiscounted return of each of ``episodes`` fresh episodes (no learning).

    The environment is reset with ``seed`` before the first episode; actions are sampled with
    a generator seeded from ``seed`` (or taken greedily); with ``compile``, through the policy's
    traced program (:class:`CompiledPolicy`), as in :func:`reinforce`.

    Raises:
        TypeError, ValueError: a bad argument (the message names it).

    >>> from nn import MLP
    >>> evaluate_policy(MLP(4, [2], seed=0), "CartPole-v1", episodes=3, seed=0).shape
    (3,)
    """
    policy = _policy(policy)
    env = _environment(env)
    episodes = as_int(episodes, "episodes", minimum=1, maximum=MAX_EPISODES)
    seed = as_int(seed, "seed", minimum=0)
    if not isinstance(greedy, bool):
        raise TypeError(f"greedy must be a bool, got {describe(greedy)}")
    max_steps = as_int(max_steps, "max_steps", minimum=1, maximum=MAX_STEPS)
    compiled = _compiled(policy, env) if as_bool(compile, "compile") else None
    rng = numpy_rng(seed)
    return np.array([_run(policy, env, rng, max_steps, greedy, seed if i == 0 else None, None, compiled).total
                     for i in range(episodes)])


def _compiled(policy: Any, env: Any) -> CompiledPolicy:
    """The policy traced for observations of ``env.observation_space.shape``."""
    shape = getattr(getattr(env, "observation_space", None), "shape", None)
    if not shape or len(shape) != 1:
        raise ValueError(f"compile=True needs env.observation_space.shape of one dimension, got {shape!r}")
    return CompiledPolicy(policy, int(shape[0]))


# -- the two-armed bandit: the estimate is unbiased --------------------------------------------------------

def _bandit(logits: Any, means: Any) -> tuple[np.ndarray, np.ndarray]:
    logits = as_array(logits, "logits", ndim=1, finite=True)
    means = as_array(means, "means", ndim=1, finite=True)
    if len(logits) < 2:
        raise ValueError(f"logits must hold one number per arm, at least two, got shape {logits.shape}")
    if means.shape != logits.shape:
        raise ValueError(f"means must hold one mean reward per arm ({len(logits)}), got shape {means.shape}")
    if ((means < 0) | (means > 1)).any():
        raise ValueError(f"means must be probabilities in [0, 1] (Bernoulli rewards), got {means.tolist()}")
    return logits, means


def bandit_gradient(logits: Any, means: Any) -> np.ndarray:
    """The exact ``dJ/dlogits`` of a bandit with a softmax policy: ``pi_k (mu_k - J)``, ``J = sum_k pi_k mu_k``.

    Args:
        logits: the policy's parameters, one per arm (a 1-D array of finite numbers).
        means: each arm's mean reward (its Bernoulli probability, in [0, 1]).

    >>> bandit_gradient([0.0, 0.0], [1.0, 0.0]).tolist()
    [0.25, -0.25]
    """
    logits, means = _bandit(logits, means)
    pi = np.exp(logits - logits.max())
    pi /= pi.sum()
    return pi * (means - pi @ means)


def score_function_samples(logits: Any, means: Any, n: int, *, baseline: float = 0.0, seed: Seed = 0) -> np.ndarray:
    """``n`` independent score-function estimates ``(r - b) grad log pi(a)`` on a Bernoulli bandit.

    Each sample draws an arm ``a`` from ``softmax(logits)`` and a reward ``r ~ Bernoulli(means[a])``.
    ``grad log pi(a)`` comes from the engine: one ``backward()`` through ``logits[a] - logsumexp(logits)``
    per arm (there are only as many different scores as arms).

    Args:
        logits, means: as in :func:`bandit_gradient`.
        n: how many samples (an int from 1 to ``MAX_SAMPLES``).
        baseline: ``b``, a finite number (any constant leaves the mean unchanged).
        seed: the arms' and rewards' random numbers.

    Returns:
        An array (n, arms); its mean estimates :func:`bandit_gradient`.

    >>> score_function_samples([0.0, 0.0], [1.0, 0.0], 4000, seed=0).mean(axis=0).round(2).tolist()
    [0.25, -0.25]
    """
    logits, means = _bandit(logits, means)
    n = as_int(n, "n", minimum=1, maximum=MAX_SAMPLES)
    baseline = as_real(baseline, "baseline", finite=True)
    rng = numpy_rng(seed)
    scores = np.zeros((len(logits), len(logits)))
    with enable_grad():
        for a in range(len(logits)):
            params = [Value(v) for v in logits.tolist()]
            (params[a] - logsumexp(params)).backward()
            scores[a] = [p.grad for p in params]
    pi = np.exp(logits - logits.max())
    pi /= pi.sum()
    arms = rng.choice(len(logits), size=n, p=pi)
    rewards = (rng.random(n) < means[arms]).astype(float)
    return (rewards - baseline)[:, None] * scores[arms]
