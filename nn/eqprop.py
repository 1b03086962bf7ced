"""Equilibrium propagation (Scellier & Bengio 2017): learning by relaxing an energy, verified against backprop.

A layered Hopfield-style network: input ``x`` (clamped), hidden and output layers
with states ``s_1 .. s_L``, weights ``W_l`` (shape (n_l, n_{l-1})) between
neighbouring layers and biases ``b_l``. With the hard sigmoid ``rho(s) = clip(s, 0, 1)``
and ``s_0 = x``, the energy is::

    E(s) = 1/2 sum_l ||s_l||^2 - sum_l rho(s_l) . W_l rho(s_{l-1}) - sum_l b_l . rho(s_l)

the cost is ``C = 1/2 ||s_L - d||^2`` on the output units, and the total energy is
``F = E + beta C``. Inference relaxes the state down the gradient of F, keeping it in
[0, 1] as the paper does (projected gradient descent; ``E`` has kinks at 0 and 1):
``s <- clip(s - eps dF/ds, 0, 1)``. The *free phase* (beta = 0) settles at ``s0``; the *nudged
phase* starts from ``s0`` with beta != 0 and settles at ``s_beta``, the output pulled
a little towards the target. Equilibrium propagation's gradient estimate is::

    dJ/dW_l ~ (1/beta) (dF/dW_l(s_beta) - dF/dW_l(s0))
            = -(1/beta) (rho(s_l^beta) rho(s_{l-1}^beta)^T - rho(s_l^0) rho(s_{l-1}^0)^T)

(and the same for biases), where ``J = C(s0)``: only local quantities, two relaxations,
no backward pass. The symmetric variant (Laborieux et al. 2021) uses ``+beta`` and
``-beta`` phases and divides by ``2 beta``, which cancels the first-order bias.

To check it, :meth:`EqPropNetwork.bptt_gradients` differentiates the unrolled free
phase with the ``Value`` engine (backprop through time) and
:meth:`EqPropNetwork.numerical_gradients` takes central differences of ``J``.
Everything is averaged over the samples of a batch (rows of ``x``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_engine import Value, dot, vsum

__all__ = ["EqPropNetwork", "RelaxationError", "GradientComparison", "compare_estimates", "train", "rho"]


class RelaxationError(RuntimeError):
    """A phase of the relaxation diverged (non-finite state) or did not settle.

    Attributes:
        phase: "free", "nudged (beta=...)".
        step: the step at which it was detected (1-based; the last step for non-convergence).
    """

    def __init__(self, message: str, phase: str, step: int):
        super().__init__(message)
        self.phase, self.step = phase, step


def rho(s: np.ndarray) -> np.ndarray:
    """The hard sigmoid ``clip(s, 0, 1)``."""
    return np.clip(s, 0.0, 1.0)


def _rho_prime(s: np.ndarray) -> np.ndarray:
    """1 on the closed interval [0, 1], so states starting at 0 can move."""
    return ((s >= 0) & (s <= 1)).astype(float)


def _rho_value(s: Value) -> Value:
    """``clip(s, 0, 1)`` from engine ops: ``relu(s) - relu(s - 1)``."""
    return s.relu() - (s - 1.0).relu()


Grads = tuple[list[np.ndarray], list[np.ndarray]]


@dataclass
class GradientComparison:
    """How an estimate compares with a reference gradient (all parameters flattened).

    Attributes:
        beta: the nudging strength.
        relative_error: ``||estimate - reference|| / ||reference||``.
        cosine: cosine similarity of the two.
    """

    beta: float
    relative_error: float
    cosine: float


def _flat(grads: Grads) -> np.ndarray:
    return np.concatenate([g.ravel() for g in grads[0]] + [g.ravel() for g in grads[1]])


def _compare(estimate: Grads, reference: Grads, beta: float) -> GradientComparison:
    e, r = _flat(estimate), _flat(reference)
    return GradientComparison(beta, float(np.linalg.norm(e - r) / np.linalg.norm(r)),
                              float(e @ r / (np.linalg.norm(e) * np.linalg.norm(r))))


class EqPropNetwork:
    """A layered energy-based network trained by equilibrium propagation.

    Args:
        sizes: layer sizes ``[n_inputs, hidden ..., n_outputs]``.
        eps: the relaxation's step size. None (the default) takes ``1 / L`` in each phase, with
            ``L = 1 + |beta| + `` the largest total absolute weight on any unit (a bound on the
            energy's curvature), which always descends; a fixed number is used as given, and one
            too large makes the states oscillate, which ``relax`` reports.
        free_steps: the most steps of the free phase (from zero states).
        nudged_steps: the most steps of each nudged phase (from the free fixed point).
        tol: a phase stops once its :meth:`residual` is at most ``tol``; a phase that has not
            got there after its most steps raises ``RelaxationError``. EP's estimates for small
            beta need precise fixed points, hence the small default.
        init_scale, bias_init: the initial weights are Glorot-uniform times ``init_scale`` (one
            number, or one per layer of weights), the biases ``bias_init``. The symmetric
            connections feed back, so small weights and biases are what keep units inside (0, 1)
            at first (a unit clipped at 0 or 1 passes
            no gradient, and a saturated output cannot learn).
        seed: for the initial weights.

    Inputs should lie in [0, 1] (``rho`` clips them).
    """

    def __init__(self, sizes: Sequence[int], *, eps: float | None = None, free_steps: int = 3000,
                 nudged_steps: int = 3000, tol: float = 1e-8, init_scale: float | Sequence[float] = 0.25,
                 bias_init: float = 0.25, seed: int = 0):
        sizes = list(sizes)
        if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in sizes):
            raise ValueError(f"sizes must be at least two layer sizes >= 1, got {sizes!r}")
        if eps is not None and not (isinstance(eps, (int, float)) and eps > 0):
            raise ValueError(f"eps must be None or a number > 0, got {eps!r}")
        for name, n in (("free_steps", free_steps), ("nudged_steps", nudged_steps)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"{name} must be an int >= 1, got {n!r}")
        self.sizes, self.eps, self.free_steps, self.nudged_steps, self.tol = sizes, eps, free_steps, \
            nudged_steps, float(tol)
        scales = [init_scale] * (len(sizes) - 1) if isinstance(init_scale, (int, float)) else list(init_scale)
        if len(scales) != len(sizes) - 1:
            raise ValueError(f"init_scale must be a number or one per layer of weights ({len(sizes) - 1}), "
                             f"got {init_scale!r}")
        rng = np.random.default_rng(seed)
        self.weights = [rng.uniform(-1, 1, (n_out, n_in)) * scale * math.sqrt(6 / (n_in + n_out))
                        for n_in, n_out, scale in zip(sizes[:-1], sizes[1:], scales)]
        self.biases = [np.full(n, float(bias_init)) for n in sizes[1:]]

    # -- energy and dynamics --------------------------------------------------------------------------

    def _inputs(self, x: Any) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[1] != self.sizes[0]:
            raise ValueError(f"x must have {self.sizes[0]} features per sample, got shape {x.shape}")
        return x

    def _targets(self, d: Any, n: int) -> np.ndarray:
        d = np.asarray(d, dtype=float).reshape(n, -1)
        if d.shape[1] != self.sizes[-1]:
            raise ValueError(f"targets must have {self.sizes[-1]} values per sample, got shape {d.shape}")
        return d

    def zero_states(self, n: int) -> list[np.ndarray]:
        """All-zero states for ``n`` samples, one array (n, n_l) per non-input layer."""
        return [np.zeros((n, size)) for size in self.sizes[1:]]

    def energy(self, x: Any, states: list[np.ndarray]) -> np.ndarray:
        """E(s) for each sample."""
        layers = [rho(self._inputs(x))] + [rho(s) for s in states]
        e = sum(0.5 * (s * s).sum(axis=1) for s in states)
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            e = e - ((layers[i + 1] @ W) * layers[i]).sum(axis=1) - layers[i + 1] @ b
        return e

    def cost(self, states: list[np.ndarray], d: Any) -> np.ndarray:
        """C = 1/2 ||s_L - d||^2 for each sample."""
        d = self._targets(d, len(states[-1]))
        return 0.5 * ((states[-1] - d) ** 2).sum(axis=1)

    def state_gradient(self, x: np.ndarray, states: list[np.ndarray], beta: float = 0.0,
                       d: Any = None) -> list[np.ndarray]:
        """dF/ds for each non-input layer, in closed form:
        ``s_l - rho'(s_l) (W_l rho(s_{l-1}) + W_{l+1}^T rho(s_{l+1}) + b_l)`` plus ``beta (s_L - d)``."""
        layers = [rho(x)] + [rho(s) for s in states]
        grads = []
        for k, s in enumerate(states):
            drive = layers[k] @ self.weights[k].T + self.biases[k]
            if k + 1 < len(states):
                drive = drive + layers[k + 2] @ self.weights[k + 1]
            grads.append(s - _rho_prime(s) * drive)
        if beta:
            grads[-1] = grads[-1] + beta * (states[-1] - d)
        return grads

    def step_size(self, beta: float = 0.0) -> float:
        """The relaxation step: ``eps`` if set, else ``1 / L`` for the current weights (see the class)."""
        if self.eps is not None:
            return self.eps
        load = [np.zeros(n) for n in self.sizes[1:]]  # total |weight| on each non-input unit
        for k, W in enumerate(self.weights):
            load[k] += np.abs(W).sum(axis=1)
            if k:
                load[k - 1] += np.abs(W).sum(axis=0)
        return 1.0 / (1.0 + abs(beta) + max(float(v.max()) for v in load))

    def residual(self, x: Any, states: list[np.ndarray], beta: float = 0.0, d: Any = None) -> float:
        """How far ``states`` are from a fixed point: ``max |clip(s - dF/ds, 0, 1) - s|`` (0 at one)."""
        x = self._inputs(x)
        grads = self.state_gradient(x, states, beta, None if not beta else self._targets(d, len(x)))
        return max(float(np.abs(rho(s - g) - s).max()) for s, g in zip(states, grads))

    def relax(self, x: Any, states: list[np.ndarray], steps: int, beta: float = 0.0, d: Any = None,
              phase: str = "free") -> tuple[list[np.ndarray], int]:
        """Up to ``steps`` steps of ``s <- clip(s - eps dF/ds, 0, 1)`` from ``states``, stopping once settled.

        Returns:
            The new states and the number of steps taken.

        Raises:
            RelaxationError: a state became non-finite (naming the phase and step), or after
                ``steps`` steps the :meth:`residual` still exceeds ``tol`` (the phase did not
                settle: too few steps, or a step size so large that the states oscillate).
        """
        x = self._inputs(x)
        if beta:
            d = self._targets(d, len(x))
        for step, current in enumerate(self._steps(x, states, steps, beta, d), start=1):
            if not all(np.isfinite(s).all() for s in current):
                raise RelaxationError(f"the {phase} phase diverged at step {step}: a state became non-finite "
                                      f"(are the weights or inputs finite?)", phase, step)
            if step % 10 == 0 or step == steps:
                residual = self.residual(x, current, beta, d)
                if residual <= self.tol:
                    return current, step
        raise RelaxationError(f"the {phase} phase did not settle in {steps} steps: residual {residual:.3g} > "
                              f"tol {self.tol:g} (more steps, or a smaller step size than "
                              f"{self.step_size(beta):.3g})", phase, steps)

    def _steps(self, x: np.ndarray, states: list[np.ndarray], steps: int, beta: float,
               d: Any) -> Iterator[list[np.ndarray]]:
        eps = self.step_size(beta)
        for _ in range(steps):
            states = [rho(s - eps * g) for s, g in zip(states, self.state_gradient(x, states, beta, d))]
            yield states

    def trajectory(self, x: Any, steps: int, beta: float = 0.0, d: Any = None,
                   start: list[np.ndarray] | None = None) -> list[list[np.ndarray]]:
        """The states after each of ``steps`` relaxation steps (no convergence check), for plotting.

        Starts from ``start`` (default: zero states); the first entry is the start itself.
        """
        x = self._inputs(x)
        states = self.zero_states(len(x)) if start is None else [s.copy() for s in start]
        if beta:
            d = self._targets(d, len(x))
        return [states, *self._steps(x, states, steps, beta, d)]

    def free_phase(self, x: Any) -> list[np.ndarray]:
        """The free fixed point ``s0`` (beta = 0), relaxed from zero states."""
        x = self._inputs(x)
        return self.relax(x, self.zero_states(len(x)), self.free_steps)[0]

    def nudged_phase(self, x: Any, s0: list[np.ndarray], d: Any, beta: float) -> list[np.ndarray]:
        """The nudged fixed point ``s_beta``, relaxed from ``s0`` with the output pulled towards ``d``."""
        return self.relax(x, s0, self.nudged_steps, beta, d, phase=f"nudged (beta={beta:g})")[0]

    def predict(self, x: Any) -> np.ndarray:
        """The output states at the free fixed point, shape (samples, outputs)."""
        return self.free_phase(x)[-1]

    def loss(self, x: Any, d: Any) -> float:
        """J = mean over samples of C(s0)."""
        return float(self.cost(self.free_phase(x), d).mean())

    # -- three gradients ----------------------------------------------------------------------------

    def _param_gradient(self, x: np.ndarray, states: list[np.ndarray]) -> Grads:
        """dF/dW_l = -rho(s_l) rho(s_{l-1})^T and dF/db_l = -rho(s_l), averaged over samples."""
        layers = [rho(x)] + [rho(s) for s in states]
        n = len(x)
        gW = [-(layers[k + 1].T @ layers[k]) / n for k in range(len(self.weights))]
        gb = [-layers[k + 1].mean(axis=0) for k in range(len(self.biases))]
        return gW, gb

    def ep_gradients(self, x: Any, d: Any, beta: float, symmetric: bool = False) -> Grads:
        """Equilibrium propagation's estimate of dJ/dW_l and dJ/db_l.

        One-sided: ``(dF/dtheta(s_beta) - dF/dtheta(s0)) / beta``; symmetric:
        ``(dF/dtheta(s_beta) - dF/dtheta(s_-beta)) / (2 beta)``.
        """
        if not (isinstance(beta, (int, float)) and beta > 0):
            raise ValueError(f"beta must be a number > 0, got {beta!r}")
        x = self._inputs(x)
        d = self._targets(d, len(x))
        s0 = self.free_phase(x)
        plus = self._param_gradient(x, self.nudged_phase(x, s0, d, beta))
        minus = self._param_gradient(x, self.nudged_phase(x, s0, d, -beta) if symmetric else s0)
        scale = 2 * beta if symmetric else beta
        return ([(a - b) / scale for a, b in zip(plus[0], minus[0])],
                [(a - b) / scale for a, b in zip(plus[1], minus[1])])

    def bptt_gradients(self, x: Any, d: Any) -> Grads:
        """The true dJ/dtheta by backpropagation through the unrolled free phase, with the Value engine.

        The free phase's updates (as many as it takes to settle) are rebuilt from Value
        operations (``rho`` as ``relu(s) - relu(s - 1)``), ``J = mean C(s_T)`` is formed, and one
        ``backward()`` gives the gradient of every weight and bias: recurrent backprop through time.
        """
        x = self._inputs(x)
        d = self._targets(d, len(x))
        steps = self.relax(x, self.zero_states(len(x)), self.free_steps)[1]
        Ws = [[[Value(w) for w in row] for row in W] for W in self.weights]
        bs = [[Value(v) for v in b] for b in self.biases]
        cols = [[list(col) for col in zip(*W)] for W in Ws]  # W_{l+1}^T rows, for the top-down drive
        eps = self.step_size()
        total = []
        for sample, target in zip(x.tolist(), d.tolist()):
            inputs = [min(max(v, 0.0), 1.0) for v in sample]
            states = [[Value(0.0) for _ in range(n)] for n in self.sizes[1:]]
            for _ in range(steps):
                rhos = [inputs] + [[_rho_value(v) for v in s] for s in states]
                new = []
                for k, s in enumerate(states):
                    layer = []
                    for j, v in enumerate(s):
                        drive = dot(Ws[k][j], rhos[k]) + bs[k][j]
                        if k + 1 < len(states):
                            drive = drive + dot(cols[k + 1][j], rhos[k + 2])
                        slope = 1.0 if 0 <= v.data <= 1 else 0.0  # rho'(s), as in state_gradient
                        layer.append(_rho_value(v - eps * (v - slope * drive)))  # the projected step
                    new.append(layer)
                states = new
            total.append(0.5 * vsum((o - t) ** 2 for o, t in zip(states[-1], target)))
        J = vsum(total) * (1.0 / len(total))
        J.backward()
        return ([np.array([[w.grad for w in row] for row in W]) for W in Ws],
                [np.array([v.grad for v in b]) for b in bs])

    def numerical_gradients(self, x: Any, d: Any, h: float = 1e-5) -> Grads:
        """dJ/dtheta by central differences of :meth:`loss`, one parameter at a time."""
        x = self._inputs(x)
        d = self._targets(d, len(x))
        grads: Grads = ([np.zeros_like(W) for W in self.weights], [np.zeros_like(b) for b in self.biases])
        for params, out in ((self.weights, grads[0]), (self.biases, grads[1])):
            for p, g in zip(params, out):
                for idx in np.ndindex(p.shape):
                    old = p[idx]
                    try:
                        p[idx] = old + h
                        up = self.loss(x, d)
                        p[idx] = old - h
                        down = self.loss(x, d)
                    finally:  # a relaxation that fails must not leave the network perturbed
                        p[idx] = old
                    g[idx] = (up - down) / (2 * h)
        return grads

    def energy_value(self, x: Sequence[float], states: list[list[Value]], beta: float = 0.0,
                     d: Sequence[float] | None = None) -> Value:
        """F = E + beta C for one sample, built from Value operations (so the engine can give dF/ds)."""
        layers = [[min(max(v, 0.0), 1.0) for v in x]] + [[_rho_value(v) for v in s] for s in states]
        e = vsum(0.5 * v * v for s in states for v in s)
        for k, (W, b) in enumerate(zip(self.weights, self.biases)):
            for j, row in enumerate(W):
                e = e - layers[k + 1][j] * (dot(row.tolist(), layers[k]) + float(b[j]))
        if beta:
            e = e + beta * 0.5 * vsum((o - t) ** 2 for o, t in zip(states[-1], d))
        return e

    def apply(self, grads: Grads, lr: float) -> None:
        """Gradient descent: ``theta -= lr * grad`` for every weight and bias."""
        for W, g in zip(self.weights, grads[0]):
            W -= lr * g
        for b, g in zip(self.biases, grads[1]):
            b -= lr * g

    def copy(self) -> EqPropNetwork:
        """An independent network with the same settings and parameters."""
        other = EqPropNetwork(self.sizes, eps=self.eps, free_steps=self.free_steps, nudged_steps=self.nudged_steps,
                              tol=self.tol)
        other.weights = [W.copy() for W in self.weights]
        other.biases = [b.copy() for b in self.biases]
        return other


def compare_estimates(net: EqPropNetwork, x: Any, d: Any, betas: Sequence[float] = (0.5, 0.1, 0.01, 0.001),
                      reference: Grads | None = None) -> dict[str, list[GradientComparison]]:
    """EP's one-sided and symmetric estimates against ``reference`` (default: BPTT) for each beta."""
    reference = net.bptt_gradients(x, d) if reference is None else reference
    return {kind: [_compare(net.ep_gradients(x, d, b, symmetric=kind == "symmetric"), reference, b) for b in betas]
            for kind in ("one-sided", "symmetric")}


@dataclass
class TrainingHistory:
    """Per-epoch loss J (at the free fixed point) and accuracy of :func:`train`."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)


def _accuracy(outputs: np.ndarray, d: np.ndarray) -> float:
    if outputs.shape[1] == 1:
        return float(((outputs[:, 0] > 0.5) == (d[:, 0] > 0.5)).mean())
    return float((outputs.argmax(axis=1) == d.argmax(axis=1)).mean())


def train(net: EqPropNetwork, x: Any, d: Any, *, epochs: int, lr: float, method: str = "ep", beta: float = 0.1,
          symmetric: bool = True, batch_size: int | None = None, seed: int = 0) -> TrainingHistory:
    """Train ``net`` by gradient descent with EP's estimates (``method="ep"``) or BPTT's gradients (``"bptt"``).

    Args:
        x: inputs in [0, 1], shape (n, n_inputs). d: targets, shape (n, n_outputs) (one-hot for classes).
        epochs: passes over the data. lr: learning rate.
        beta, symmetric: EP's nudging strength and variant.
        batch_size: samples per update (None: the whole set).

    Returns:
        The loss J and the accuracy (output > 0.5 for one output, else argmax) after each epoch.
    """
    if method not in ("ep", "bptt"):
        raise ValueError(f"method must be 'ep' or 'bptt', got {method!r}")
    x = net._inputs(x)
    d = net._targets(d, len(x))
    rng = np.random.default_rng(seed)
    size = len(x) if batch_size is None else batch_size
    history = TrainingHistory()
    for _ in range(epochs):
        order = rng.permutation(len(x)) if batch_size else np.arange(len(x))
        for start in range(0, len(x), size):
            idx = order[start:start + size]
            grads = net.ep_gradients(x[idx], d[idx], beta, symmetric) if method == "ep" else \
                net.bptt_gradients(x[idx], d[idx])
            net.apply(grads, lr)
        s0 = net.free_phase(x)
        history.loss.append(float(net.cost(s0, d).mean()))
        history.accuracy.append(_accuracy(s0[-1], d))
    return history
