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

:func:`train` is ``nn.fit``'s loop with EP's (or BPTT's) gradients: the same ``epochs``,
``lr``, ``batch_size``, ``seed`` and ``progress`` arguments, checked the same way, the same
mini-batches (``nn.data.batches``) and the same :class:`nn.History`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_engine import Value, dot, enable_grad, vsum
from autograd_engine.validation import as_bool, as_int, as_real, describe, is_real, numpy_rng

from .data import MAX_SAMPLES, Seed, as_array, as_layer_sizes
from .optim import as_learning_rate
from .train import History, TrainingLoop, accuracy

__all__ = ["EqPropNetwork", "VectorFieldNetwork", "RelaxationError", "GradientComparison", "compare_estimates",
           "gradient_angle", "train", "rho"]

#: The most weights a network may have (each is a float64; a bound turns a typo into an error).
MAX_WEIGHTS = 10**7
#: The most relaxation steps of one phase or trajectory.
MAX_STEPS = 10**7


class RelaxationError(RuntimeError):
    """A phase of the relaxation diverged (non-finite state) or did not settle.

    Attributes:
        phase: "free", "nudged (beta=...)".
        step: the step at which it was detected (1-based; the last step for non-convergence).
    """

    def __init__(self, message: str, phase: str, step: int):
        super().__init__(message)
        self.phase, self.step = phase, step


def rho(s: Any) -> np.ndarray:
    """The hard sigmoid ``clip(s, 0, 1)`` of an array (or list) of numbers.

    >>> rho([-1.0, 0.5, 2.0]).tolist()
    [0.0, 0.5, 1.0]
    """
    return np.clip(as_array(s, "s"), 0.0, 1.0)


def _clip(s: np.ndarray) -> np.ndarray:
    """``clip(s, 0, 1)`` as two ufuncs (``np.clip`` costs several times more on a relaxation's small arrays)."""
    return np.minimum(np.maximum(s, 0.0), 1.0)


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

    @property
    def angle(self) -> float:
        """The angle in degrees between the estimate and the reference, ``acos(cosine)``."""
        return math.degrees(math.acos(min(1.0, max(-1.0, self.cosine))))


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
        free_steps: the most steps of the free phase (from zero states; 1 to ``MAX_STEPS``).
        nudged_steps: the most steps of each nudged phase (from the free fixed point; 1 to ``MAX_STEPS``).
        tol: a phase stops once its :meth:`residual` is at most ``tol``; a phase that has not
            got there after its most steps raises ``RelaxationError``. EP's estimates for small
            beta need precise fixed points, hence the small default.
        init_scale, bias_init: the initial weights are Glorot-uniform times ``init_scale`` (one
            number, or one per layer of weights), the biases ``bias_init``. The symmetric
            connections feed back, so small weights and biases are what keep units inside (0, 1)
            at first (a unit clipped at 0 or 1 passes
            no gradient, and a saturated output cannot learn).
        seed: for the initial weights: an int, a ``numpy.random.Generator``, or None (seeded from
            Python's ``random``).

    Inputs should lie in [0, 1] (``rho`` clips them). Every public method checks its arguments:
    a wrong type raises ``TypeError``, a wrong value (shape, range, ``nan``) ``ValueError``, each
    naming the argument; ``x`` (samples by features) and the targets ``d`` must be finite.

    Raises:
        TypeError, ValueError: a bad argument (the message names it).
    """

    def __init__(self, sizes: Sequence[int], *, eps: float | None = None, free_steps: int = 3000,
                 nudged_steps: int = 3000, tol: float = 1e-8, init_scale: float | Sequence[float] = 0.25,
                 bias_init: float = 0.25, seed: Seed = 0):
        sizes = as_layer_sizes(sizes, MAX_WEIGHTS, "nn.eqprop.MAX_WEIGHTS")
        if eps is not None and not is_real(eps):
            raise TypeError(f"eps must be None or a number > 0, got {describe(eps)}")
        if eps is not None and not (math.isfinite(eps) and eps > 0):
            raise ValueError(f"eps must be None or a number > 0, got {describe(eps)}")
        self.sizes = sizes
        self.eps = None if eps is None else float(eps)
        self.free_steps = as_int(free_steps, "free_steps", minimum=1, maximum=MAX_STEPS)
        self.nudged_steps = as_int(nudged_steps, "nudged_steps", minimum=1, maximum=MAX_STEPS)
        self.tol = as_real(tol, "tol", finite=True, minimum=0)
        if is_real(init_scale):
            scales = [as_real(init_scale, "init_scale", finite=True, minimum=0)] * (len(sizes) - 1)
        elif isinstance(init_scale, (Sequence, np.ndarray)) and not isinstance(init_scale, (str, bytes)):
            scales = [as_real(v, f"init_scale[{i}]", finite=True, minimum=0) for i, v in enumerate(init_scale)]
        else:
            raise TypeError(f"init_scale must be a number or one per layer of weights, got {describe(init_scale)}")
        if len(scales) != len(sizes) - 1:
            raise ValueError(f"init_scale must be a number or one per layer of weights ({len(sizes) - 1}), "
                             f"got {init_scale!r}")
        bias_init = as_real(bias_init, "bias_init", finite=True)
        rng = numpy_rng(seed)
        self.weights = [rng.uniform(-1, 1, (n_out, n_in)) * scale * math.sqrt(6 / (n_in + n_out))
                        for n_in, n_out, scale in zip(sizes[:-1], sizes[1:], scales)]
        self.biases = [np.full(n, bias_init) for n in sizes[1:]]

    # -- arguments -----------------------------------------------------------------------------------

    def _inputs(self, x: Any) -> np.ndarray:
        x = np.atleast_2d(as_array(x, "x", ndim=(1, 2), finite=True))
        if x.shape[1] != self.sizes[0]:
            raise ValueError(f"x must have {self.sizes[0]} features per sample, got shape {x.shape}")
        if not len(x):
            raise ValueError("x must hold at least one sample, got shape (0, ...)")
        return x

    def _targets(self, d: Any, n: int) -> np.ndarray:
        k = self.sizes[-1]
        d = as_array(d, "d", ndim=(0, 1, 2), finite=True)
        if (d.ndim < 2 and d.size != n * k) or (d.ndim == 2 and d.shape != (n, k)):
            raise ValueError(f"d must have shape ({n}, {k}): {k} target value(s) per sample of x, got shape {d.shape}")
        return d.reshape(n, k)

    def _nudge(self, beta: Any, d: Any, n: int) -> tuple[float, np.ndarray | None]:
        """``beta`` (a finite number) and the targets it pulls towards (needed unless beta is 0)."""
        beta = as_real(beta, "beta", finite=True)
        if d is None:
            if beta:
                raise TypeError("d must be the targets when beta is not 0, got NoneType None")
            return beta, None
        return beta, self._targets(d, n)

    def _states(self, states: Any, n: int | None, name: str = "states") -> list[np.ndarray]:
        """One finite array (n, n_l) per non-input layer (n from the first when None)."""
        layers = len(self.sizes) - 1
        if not isinstance(states, (list, tuple)):
            raise TypeError(f"{name} must be a list of {layers} arrays (one per non-input layer), "
                            f"got {describe(states)}")
        if len(states) != layers:
            raise ValueError(f"{name} must be a list of {layers} arrays (one per non-input layer), got {len(states)}")
        out = []
        for i, (s, size) in enumerate(zip(states, self.sizes[1:])):
            a = np.atleast_2d(as_array(s, f"{name}[{i}]", ndim=(1, 2), finite=True))
            n = len(a) if n is None else n
            if a.shape != (n, size):
                raise ValueError(f"{name}[{i}] must have shape ({n}, {size}), got shape {a.shape}")
            out.append(a)
        return out

    def _grads(self, grads: Any, name: str) -> Grads:
        """``(weight gradients, bias gradients)`` shaped like the network's, finite."""
        if not isinstance(grads, (tuple, list)) or len(grads) != 2 or \
                not all(isinstance(g, (tuple, list)) for g in grads):
            raise TypeError(f"{name} must be a pair (weight gradients, bias gradients) of lists of arrays, "
                            f"got {describe(grads)}")
        out: Grads = ([], [])
        for kind, params, given, result in (("weight", self._tensors(), grads[0], out[0]),
                                            ("bias", self.biases, grads[1], out[1])):
            if len(given) != len(params):
                raise ValueError(f"{name} must hold {len(params)} {kind} gradients, got {len(given)}")
            for i, (p, g) in enumerate(zip(params, given)):
                g = as_array(g, f"{name}[{0 if kind == 'weight' else 1}][{i}]", finite=True)
                if g.shape != p.shape:
                    raise ValueError(f"{name}: the {kind} gradient {i} must have shape {p.shape}, got {g.shape}")
                result.append(g)
        return out

    # -- energy and dynamics --------------------------------------------------------------------------

    def _tensors(self) -> list[np.ndarray]:
        """The weight matrices that learning changes (the ``weights`` here), in the order of a gradient's first list."""
        return self.weights

    def _top_down(self, k: int) -> np.ndarray:
        """The matrix (n_{k+1}, n_{k+2}) that carries layer k+2's rho into layer k+1 (here ``W_{k+2}^T``)."""
        return self.weights[k + 1].T

    def zero_states(self, n: int) -> list[np.ndarray]:
        """All-zero states for ``n`` samples (an int >= 1), one array (n, n_l) per non-input layer."""
        n = as_int(n, "n", minimum=1, maximum=MAX_SAMPLES)
        return [np.zeros((n, size)) for size in self.sizes[1:]]

    def energy(self, x: Any, states: list[np.ndarray]) -> np.ndarray:
        """E(s) for each sample."""
        x = self._inputs(x)
        states = self._states(states, len(x))
        layers = [_clip(x)] + [_clip(s) for s in states]
        e = sum(0.5 * (s * s).sum(axis=1) for s in states)
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            e = e - ((layers[i + 1] @ W) * layers[i]).sum(axis=1) - layers[i + 1] @ b
        return e

    def cost(self, states: list[np.ndarray], d: Any) -> np.ndarray:
        """C = 1/2 ||s_L - d||^2 for each sample."""
        states = self._states(states, None)
        return self._cost(states, self._targets(d, len(states[-1])))

    @staticmethod
    def _cost(states: list[np.ndarray], d: np.ndarray) -> np.ndarray:
        return 0.5 * ((states[-1] - d) ** 2).sum(axis=1)

    def state_gradient(self, x: Any, states: list[np.ndarray], beta: float = 0.0,
                       d: Any = None) -> list[np.ndarray]:
        """dF/ds for each non-input layer, in closed form:
        ``s_l - rho'(s_l) (W_l rho(s_{l-1}) + W_{l+1}^T rho(s_{l+1}) + b_l)`` plus ``beta (s_L - d)``."""
        x = self._inputs(x)
        states = self._states(states, len(x))
        beta, d = self._nudge(beta, d, len(x))
        return self._gradient(x, states, beta, d)

    def _gradient(self, x: np.ndarray, states: list[np.ndarray], beta: float, d: Any,
                  clipped: bool = False) -> list[np.ndarray]:
        """dF/ds; ``clipped``: ``x`` and ``states`` already lie in [0, 1] (a relaxation's states after its first
        step), where ``rho`` is the identity and ``rho'`` is 1, so both are skipped (the same numbers)."""
        layers = [x, *states] if clipped else [_clip(x)] + [_clip(s) for s in states]
        grads = []
        for k, s in enumerate(states):
            drive = layers[k] @ self.weights[k].T + self.biases[k]
            if k + 1 < len(states):
                drive = drive + layers[k + 2] @ self._top_down(k).T
            grads.append(s - drive if clipped else s - _rho_prime(s) * drive)
        if beta:
            grads[-1] = grads[-1] + beta * (states[-1] - d)
        return grads

    def step_size(self, beta: float = 0.0) -> float:
        """The relaxation step: ``eps`` if set, else ``1 / L`` for the current weights (see the class)."""
        beta = as_real(beta, "beta", finite=True)
        if self.eps is not None:
            return self.eps
        load = [np.abs(W).sum(axis=1) for W in self.weights]  # total |weight| on each non-input unit
        for k in range(len(self.weights) - 1):
            load[k] = load[k] + np.abs(self._top_down(k)).sum(axis=1)
        return 1.0 / (1.0 + abs(beta) + max(float(v.max()) for v in load))

    def residual(self, x: Any, states: list[np.ndarray], beta: float = 0.0, d: Any = None) -> float:
        """How far ``states`` are from a fixed point: ``max |clip(s - dF/ds, 0, 1) - s|`` (0 at one)."""
        x = self._inputs(x)
        states = self._states(states, len(x))
        beta, d = self._nudge(beta, d, len(x))
        return self._residual(x, states, beta, d)

    def _residual(self, x: np.ndarray, states: list[np.ndarray], beta: float, d: Any) -> float:
        grads = self._gradient(x, states, beta, d)
        return max(float(np.abs(_clip(s - g) - s).max()) for s, g in zip(states, grads))

    def relax(self, x: Any, states: list[np.ndarray], steps: int, beta: float = 0.0, d: Any = None,
              phase: str = "free") -> tuple[list[np.ndarray], int]:
        """Up to ``steps`` steps (an int >= 1) of ``s <- clip(s - eps dF/ds, 0, 1)`` from ``states``,
        stopping once settled.

        Returns:
            The new states and the number of steps taken.

        Raises:
            RelaxationError: a state became non-finite (naming the phase and step), or after
                ``steps`` steps the :meth:`residual` still exceeds ``tol`` (the phase did not
                settle: too few steps, or a step size so large that the states oscillate).
        """
        x = self._inputs(x)
        states = self._states(states, len(x))
        steps = as_int(steps, "steps", minimum=1, maximum=MAX_STEPS)
        beta, d = self._nudge(beta, d, len(x))
        if not isinstance(phase, str):
            raise TypeError(f"phase must be a str (the phase's name in errors), got {describe(phase)}")
        return self._relax(x, states, steps, beta, d, phase)

    def _relax(self, x: np.ndarray, states: list[np.ndarray], steps: int, beta: float = 0.0, d: Any = None,
               phase: str = "free") -> tuple[list[np.ndarray], int]:
        for step, current in enumerate(self._steps(x, states, steps, beta, d), start=1):
            if not all(np.isfinite(s).all() for s in current):
                raise RelaxationError(f"the {phase} phase diverged at step {step}: a state became non-finite "
                                      f"(are the weights or inputs finite?)", phase, step)
            if step % 10 == 0 or step == steps:
                residual = self._residual(x, current, beta, d)
                if residual <= self.tol:
                    return current, step
        raise RelaxationError(f"the {phase} phase did not settle in {steps} steps: residual {residual:.3g} > "
                              f"tol {self.tol:g} (more steps, or a smaller step size than "
                              f"{self.step_size(beta):.3g})", phase, steps)

    def _steps(self, x: np.ndarray, states: list[np.ndarray], steps: int, beta: float,
               d: Any) -> Iterator[list[np.ndarray]]:
        eps = self.step_size(beta)
        inputs = _clip(x)
        for step in range(steps):
            grads = self._gradient(inputs, states, beta, d, clipped=step > 0)
            states = [_clip(s - eps * g) for s, g in zip(states, grads)]
            yield states

    def trajectory(self, x: Any, steps: int, beta: float = 0.0, d: Any = None,
                   start: list[np.ndarray] | None = None) -> list[list[np.ndarray]]:
        """The states after each of ``steps`` (an int >= 0) relaxation steps (no convergence check), for plotting.

        Starts from ``start`` (default: zero states); the first entry is the start itself.
        """
        x = self._inputs(x)
        steps = as_int(steps, "steps", minimum=0, maximum=MAX_STEPS)
        beta, d = self._nudge(beta, d, len(x))
        states = self.zero_states(len(x)) if start is None else self._states(start, len(x), "start")
        return [states, *self._steps(x, states, steps, beta, d)]

    def free_phase(self, x: Any) -> list[np.ndarray]:
        """The free fixed point ``s0`` (beta = 0), relaxed from zero states."""
        return self._free(self._inputs(x))

    def _free(self, x: np.ndarray) -> list[np.ndarray]:
        return self._relax(x, self.zero_states(len(x)), self.free_steps)[0]

    def nudged_phase(self, x: Any, s0: list[np.ndarray], d: Any, beta: float) -> list[np.ndarray]:
        """The nudged fixed point ``s_beta``, relaxed from ``s0`` with the output pulled towards ``d``."""
        x = self._inputs(x)
        s0 = self._states(s0, len(x), "s0")
        beta = as_real(beta, "beta", finite=True)
        return self._nudged(x, s0, self._targets(d, len(x)), beta)

    def _nudged(self, x: np.ndarray, s0: list[np.ndarray], d: np.ndarray, beta: float) -> list[np.ndarray]:
        return self._relax(x, s0, self.nudged_steps, beta, d, phase=f"nudged (beta={beta:g})")[0]

    def predict(self, x: Any) -> np.ndarray:
        """The output states at the free fixed point, shape (samples, outputs)."""
        return self.free_phase(x)[-1]

    def loss(self, x: Any, d: Any) -> float:
        """J = mean over samples of C(s0)."""
        x = self._inputs(x)
        return self._loss(x, self._targets(d, len(x)))

    def _loss(self, x: np.ndarray, d: np.ndarray) -> float:
        return float(self._cost(self._free(x), d).mean())

    # -- three gradients ----------------------------------------------------------------------------

    def _param_gradient(self, x: np.ndarray, states: list[np.ndarray]) -> Grads:
        """dF/dW_l = -rho(s_l) rho(s_{l-1})^T and dF/db_l = -rho(s_l), averaged over samples."""
        layers = [_clip(x)] + [_clip(s) for s in states]
        n = len(x)
        gW = [-(layers[k + 1].T @ layers[k]) / n for k in range(len(self.weights))]
        gb = [-layers[k + 1].mean(axis=0) for k in range(len(self.biases))]
        return gW, gb

    def ep_gradients(self, x: Any, d: Any, beta: float, symmetric: bool = False) -> Grads:
        """Equilibrium propagation's estimate of dJ/dW_l and dJ/db_l (``beta``: a finite number > 0).

        One-sided: ``(dF/dtheta(s_beta) - dF/dtheta(s0)) / beta``; symmetric:
        ``(dF/dtheta(s_beta) - dF/dtheta(s_-beta)) / (2 beta)``.
        """
        beta = as_real(beta, "beta", finite=True, minimum=0, strict=True)
        symmetric = as_bool(symmetric, "symmetric")
        x = self._inputs(x)
        return self._ep(x, self._targets(d, len(x)), beta, symmetric)[0]

    def _ep(self, x: np.ndarray, d: np.ndarray, beta: float, symmetric: bool) -> tuple[Grads, list[np.ndarray]]:
        """EP's estimate, and the free fixed point it started from."""
        s0 = self._free(x)
        plus = self._nudged(x, s0, d, beta)
        minus = self._nudged(x, s0, d, -beta) if symmetric else s0
        return self._estimate(x, s0, plus, minus, 2 * beta if symmetric else beta), s0

    def _estimate(self, x: np.ndarray, s0: list[np.ndarray], plus: list[np.ndarray], minus: list[np.ndarray],
                  scale: float) -> Grads:
        """EP's rule: ``(dF/dtheta(plus) - dF/dtheta(minus)) / scale``."""
        a, b = self._param_gradient(x, plus), self._param_gradient(x, minus)
        return [(p - m) / scale for p, m in zip(a[0], b[0])], [(p - m) / scale for p, m in zip(a[1], b[1])]

    def bptt_gradients(self, x: Any, d: Any) -> Grads:
        """The true dJ/dtheta by backpropagation through the unrolled free phase, with the Value engine.

        The free phase's updates (as many as it takes to settle) are rebuilt from Value
        operations (``rho`` as ``relu(s) - relu(s - 1)``), ``J = mean C(s_T)`` is formed, and one
        ``backward()`` gives the gradient of every weight and bias: recurrent backprop through time.
        The graph is recorded even under the caller's ``no_grad()``.
        """
        x = self._inputs(x)
        return self._bptt(x, self._targets(d, len(x)))[0]

    def _bptt(self, x: np.ndarray, d: np.ndarray) -> tuple[Grads, list[np.ndarray]]:
        """BPTT's gradient, and the free fixed point it differentiates through."""
        s0, steps = self._relax(x, self.zero_states(len(x)), self.free_steps)
        with enable_grad():
            params = [[[Value(w) for w in row] for row in W] for W in self._tensors()]
            Ws = params[:len(self.weights)]
            bs = [[Value(v) for v in b] for b in self.biases]
            cols = self._top_down_values(params)  # the rows of each top-down matrix, for the top-down drive
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
                                drive = drive + dot(cols[k][j], rhos[k + 2])
                            slope = 1.0 if 0 <= v.data <= 1 else 0.0  # rho'(s), as in state_gradient
                            layer.append(_rho_value(v - eps * (v - slope * drive)))  # the projected step
                        new.append(layer)
                    states = new
                total.append(0.5 * vsum((o - t) ** 2 for o, t in zip(states[-1], target)))
            J = vsum(total) * (1.0 / len(total))
            J.backward()
        return ([np.array([[w.grad for w in row] for row in W]) for W in params],
                [np.array([v.grad for v in b]) for b in bs]), s0

    def _top_down_values(self, params: list[list[list[Value]]]) -> list[list[list[Value]]]:
        """The top-down matrices' rows as Values: here ``W_{l+1}^T``, the forward weights' own Values."""
        return [[list(col) for col in zip(*W)] for W in params[1:]]

    def numerical_gradients(self, x: Any, d: Any, h: float = 1e-5) -> Grads:
        """dJ/dtheta by central differences of :meth:`loss` (step ``h`` > 0), one parameter at a time."""
        x = self._inputs(x)
        d = self._targets(d, len(x))
        h = as_real(h, "h", finite=True, minimum=0, strict=True)
        grads: Grads = ([np.zeros_like(W) for W in self._tensors()], [np.zeros_like(b) for b in self.biases])
        for params, out in ((self._tensors(), grads[0]), (self.biases, grads[1])):
            for p, g in zip(params, out):
                for idx in np.ndindex(p.shape):
                    old = p[idx]
                    try:
                        p[idx] = old + h
                        up = self._loss(x, d)
                        p[idx] = old - h
                        down = self._loss(x, d)
                    finally:  # a relaxation that fails must not leave the network perturbed
                        p[idx] = old
                    g[idx] = (up - down) / (2 * h)
        return grads

    def energy_value(self, x: Sequence[float], states: list[list[Value]], beta: float = 0.0,
                     d: Sequence[float] | None = None) -> Value:
        """F = E + beta C for one sample, built from Value operations (so the engine can give dF/ds).

        Args:
            x: one sample's inputs (``n_inputs`` numbers).
            states: per non-input layer, a list of its units' states (Values or numbers).
            beta, d: the nudging strength and the sample's targets (needed unless beta is 0).
        """
        x = as_array(x, "x", ndim=1, finite=True)
        if len(x) != self.sizes[0]:
            raise ValueError(f"x must be one sample of {self.sizes[0]} inputs, got shape {x.shape}")
        if not isinstance(states, (list, tuple)) or len(states) != len(self.sizes) - 1:
            raise TypeError(f"states must be a list of {len(self.sizes) - 1} lists of Values (one per non-input "
                            f"layer), got {describe(states)}")
        for i, (s, size) in enumerate(zip(states, self.sizes[1:])):
            if not isinstance(s, (list, tuple)) or not all(isinstance(v, Value) or is_real(v) for v in s):
                raise TypeError(f"states[{i}] must be a list of Values, got {describe(s)}")
            if len(s) != size:
                raise ValueError(f"states[{i}] must hold {size} Values, got {len(s)}")
        states = [[v if isinstance(v, Value) else Value(v) for v in s] for s in states]  # numbers: constants
        beta = as_real(beta, "beta", finite=True)
        if beta:
            if d is None:
                raise TypeError("d must be the sample's targets when beta is not 0, got NoneType None")
            d = as_array(d, "d", ndim=1, finite=True)
            if len(d) != self.sizes[-1]:
                raise ValueError(f"d must be one sample's {self.sizes[-1]} targets, got shape {d.shape}")
            d = d.tolist()
        layers = [[min(max(v, 0.0), 1.0) for v in x.tolist()]] + [[_rho_value(v) for v in s] for s in states]
        e = vsum(0.5 * v * v for s in states for v in s)
        for k, (W, b) in enumerate(zip(self.weights, self.biases)):
            for j, row in enumerate(W):
                e = e - layers[k + 1][j] * (dot(row.tolist(), layers[k]) + float(b[j]))
        if beta:
            e = e + beta * 0.5 * vsum((o - t) ** 2 for o, t in zip(states[-1], d))
        return e

    def apply(self, grads: Grads, lr: float) -> None:
        """Gradient descent: ``theta -= lr * grad`` for every weight and bias (``lr``: a finite number > 0)."""
        grads = self._grads(grads, "grads")
        self._apply(grads, as_learning_rate(lr))

    def _apply(self, grads: Grads, lr: float) -> None:
        for W, g in zip(self._tensors(), grads[0]):
            W -= lr * g
        for b, g in zip(self.biases, grads[1]):
            b -= lr * g

    def copy(self) -> EqPropNetwork:
        """An independent network with the same settings and parameters."""
        other = type(self)(self.sizes, eps=self.eps, free_steps=self.free_steps, nudged_steps=self.nudged_steps,
                           tol=self.tol)
        for mine, theirs in zip(self._tensors() + self.biases, other._tensors() + other.biases):
            theirs[...] = mine
        return other


class VectorFieldNetwork(EqPropNetwork):
    """Equilibrium propagation without symmetric weights (Scellier, Goyal, Binas, Mesnard & Bengio 2018).

    The same layered network, but the top-down connection into layer ``l`` has its own
    *feedback* matrix ``B_l`` (shape (n_l, n_{l+1})) instead of ``W_{l+1}^T``. The dynamics are
    then a vector field, no longer the gradient of an energy::

        ds_l/dt = mu_l(s) = rho'(s_l) (W_l rho(s_{l-1}) + B_l rho(s_{l+1}) + b_l) - s_l

    (plus ``- beta (s_L - d)`` at the output), relaxed as before: ``s <- clip(s + eps mu(s), 0, 1)``.
    The vector-field rule changes each parameter by the local ``(d mu / d theta)^T`` times the
    nudge ``(s_beta - s_0) / beta``. For a connection from unit ``j`` into unit ``i`` the estimate
    of ``dJ/dtheta`` is ``-rho'(s_i^0) rho(s_j^0) (s_i^beta - s_i^0) / beta`` (``rho'`` is 1 on
    [0, 1], where the states live); with ``symmetric=True`` the nudge is
    ``(s_beta - s_-beta) / (2 beta)``. Forward and feedback weights are both learned by it. When
    ``B_l = W_{l+1}^T`` the dynamics are symmetric EP's, and the rule differs from EP's only by the
    second-order term ``(s_l^beta - s_l^0)(s_{l-1}^beta - s_{l-1}^0)^T / beta``;
    otherwise it is *not* the gradient, and how far it is from it is a measurement
    (:func:`compare_estimates`, :func:`gradient_angle`).

    Gradients (``ep_gradients``, ``bptt_gradients``, ``numerical_gradients``, ``apply``) list the
    weight matrices as ``W_1 .. W_L`` then ``B_1 .. B_{L-1}``.

    Args:
        sizes, eps, free_steps, nudged_steps, tol, init_scale, bias_init: as for :class:`EqPropNetwork`
            (the forward weights and biases are drawn exactly as ``EqPropNetwork`` draws them from ``seed``).
        feedback_angle: the angle in degrees (0 to 180) between each feedback matrix and the forward
            matrix it replaces, with equal norms: ``B = cos(a) W^T + sin(a) R``, ``R`` a random matrix
            orthogonal to ``W^T`` of the same norm (drawn after the weights from ``seed``). 0 is symmetric EP.
        seed: an int, a ``numpy.random.Generator``, or None.

    Raises:
        TypeError, ValueError: a bad argument (the message names it).

    >>> net = VectorFieldNetwork([2, 3, 1], feedback_angle=30.0, seed=0)
    >>> [round(a, 6) for a in net.feedback_angles()]
    [30.0]
    """

    def __init__(self, sizes: Sequence[int], *, eps: float | None = None, free_steps: int = 3000,
                 nudged_steps: int = 3000, tol: float = 1e-8, init_scale: float | Sequence[float] = 0.25,
                 bias_init: float = 0.25, feedback_angle: float = 0.0, seed: Seed = 0):
        rng = numpy_rng(seed)
        super().__init__(sizes, eps=eps, free_steps=free_steps, nudged_steps=nudged_steps, tol=tol,
                         init_scale=init_scale, bias_init=bias_init, seed=rng)
        angle = as_real(feedback_angle, "feedback_angle", finite=True, minimum=0, maximum=180)
        self.feedback = [self._rotated(W.T, angle, rng) for W in self.weights[1:]]

    @staticmethod
    def _rotated(M: np.ndarray, angle: float, rng: np.random.Generator) -> np.ndarray:
        """A matrix of ``M``'s norm at ``angle`` degrees from ``M`` (the other direction drawn from ``rng``)."""
        R = rng.standard_normal(M.shape)
        norm = np.linalg.norm(M)
        if M.size == 1 and angle not in (0.0, 180.0):
            raise ValueError(f"feedback_angle must be 0 or 180 when a feedback matrix has one entry (the only "
                             f"directions are W^T and -W^T), got {angle:g}")
        if norm == 0 or M.size == 1:  # no direction to turn away from (or none other than -M)
            return M * math.cos(math.radians(angle))
        R -= (R * M).sum() / norm**2 * M
        R *= norm / np.linalg.norm(R)
        a = math.radians(angle)
        return math.cos(a) * M + math.sin(a) * R

    def feedback_angles(self) -> list[float]:
        """The angle in degrees between each feedback matrix ``B_l`` and ``W_{l+1}^T`` (0: symmetric; nan
        where either is all zeros: no direction)."""
        return [_angle(B.ravel(), W.T.ravel()) for B, W in zip(self.feedback, self.weights[1:])]

    @property
    def symmetric(self) -> bool:
        """True when every feedback matrix equals the transpose of its forward matrix (an energy exists)."""
        return all(np.array_equal(B, W.T) for B, W in zip(self.feedback, self.weights[1:]))

    def _tensors(self) -> list[np.ndarray]:
        return self.weights + self.feedback

    def _top_down(self, k: int) -> np.ndarray:
        return self.feedback[k]

    def _top_down_values(self, params: list[list[list[Value]]]) -> list[list[list[Value]]]:
        return params[len(self.weights):]

    def _estimate(self, x: np.ndarray, s0: list[np.ndarray], plus: list[np.ndarray], minus: list[np.ndarray],
                  scale: float) -> Grads:
        """The vector-field rule: ``-(d mu / d theta)^T (plus - minus) / scale`` at the free fixed point."""
        layers = [_clip(x)] + [_clip(s) for s in s0]
        n = len(x)
        nudge = [_rho_prime(s) * (p - m) / scale for s, p, m in zip(s0, plus, minus)]
        forward = [-(nudge[k].T @ layers[k]) / n for k in range(len(self.weights))]
        feedback = [-(nudge[k].T @ layers[k + 2]) / n for k in range(len(self.feedback))]
        return forward + feedback, [-g.mean(axis=0) for g in nudge]

    def _energy_exists(self, method: str) -> None:
        if not self.symmetric:
            angles = ", ".join(f"{a:.3g}" for a in self.feedback_angles())
            raise ValueError(f"{method}: this network has no energy: its feedback weights are not the transposes "
                             f"of its forward weights (feedback_angles() = [{angles}] degrees)")

    def energy(self, x: Any, states: list[np.ndarray]) -> np.ndarray:
        """E(s) for each sample, when the network is symmetric (else ``ValueError``: no energy exists)."""
        self._energy_exists("energy")
        return super().energy(x, states)

    def energy_value(self, x: Sequence[float], states: list[list[Value]], beta: float = 0.0,
                     d: Sequence[float] | None = None) -> Value:
        """As :meth:`EqPropNetwork.energy_value`, when the network is symmetric (else ``ValueError``)."""
        self._energy_exists("energy_value")
        return super().energy_value(x, states, beta, d)


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    """The angle in degrees between two vectors, ``2 atan2(|u - v|, |u + v|)`` of their unit vectors (exact at
    0 and 180, resolved near both, unlike ``acos`` of the cosine); nan if either is all zeros."""
    units = []
    for v in (a, b):
        top = np.abs(v).max(initial=0.0)
        if top == 0:
            return math.nan
        v = v / top  # no underflow or overflow in the norm
        units.append(v / np.linalg.norm(v))
    u, v = units
    return math.degrees(2 * math.atan2(np.linalg.norm(u - v), np.linalg.norm(u + v)))


def gradient_angle(estimate: Grads, reference: Grads) -> float:
    """The angle in degrees between two gradients (each a pair of lists of arrays, all entries flattened).

    0 means the same direction, 90 orthogonal (no help to descent), 180 opposite.

    Raises:
        TypeError: an argument is not a pair of lists of arrays.
        ValueError: they have different shapes, hold nan/inf, or one is all zeros (no direction).

    >>> gradient_angle(([np.array([1.0, 0.0])], []), ([np.array([1.0, 1.0])], []))
    45.0
    """
    flats = []
    for name, grads in (("estimate", estimate), ("reference", reference)):
        if not isinstance(grads, (tuple, list)) or len(grads) != 2 or \
                not all(isinstance(g, (tuple, list)) for g in grads):
            raise TypeError(f"{name} must be a pair (weight gradients, bias gradients) of lists of arrays, "
                            f"got {describe(grads)}")
        parts = [as_array(g, f"{name}[{i}][{j}]", finite=True) for i, part in enumerate(grads)
                 for j, g in enumerate(part)]
        flats.append((parts, np.concatenate([p.ravel() for p in parts]) if parts else np.zeros(0)))
    (a_parts, a), (b_parts, b) = flats
    if [p.shape for p in a_parts] != [p.shape for p in b_parts]:
        raise ValueError(f"estimate and reference must have the same shapes, got {[p.shape for p in a_parts]} "
                         f"and {[p.shape for p in b_parts]}")
    for name, v in (("estimate", a), ("reference", b)):
        if not np.any(v):
            raise ValueError(f"{name} must not be all zeros: the angle is undefined")
    return round(_angle(a, b), 12)


def _check_net(net: Any) -> EqPropNetwork:
    if not isinstance(net, EqPropNetwork):
        raise TypeError(f"net must be an EqPropNetwork, got {describe(net)}")
    return net


def compare_estimates(net: EqPropNetwork, x: Any, d: Any, betas: Sequence[float] = (0.5, 0.1, 0.01, 0.001),
                      reference: Grads | None = None) -> dict[str, list[GradientComparison]]:
    """EP's one-sided and symmetric estimates against ``reference`` (default: BPTT) for each beta.

    Raises:
        TypeError, ValueError: a bad argument (``betas`` must be a non-empty list of finite numbers > 0).
    """
    _check_net(net)
    x = net._inputs(x)
    d = net._targets(d, len(x))
    if isinstance(betas, (str, bytes)) or not isinstance(betas, (Sequence, np.ndarray)):
        raise TypeError(f"betas must be a list of numbers > 0, got {describe(betas)}")
    betas = [as_real(b, f"betas[{i}]", finite=True, minimum=0, strict=True) for i, b in enumerate(betas)]
    if not betas:
        raise ValueError("betas must hold at least one beta, got an empty list")
    reference = net._bptt(x, d)[0] if reference is None else net._grads(reference, "reference")
    if not np.any(_flat(reference)):
        raise ValueError("reference must not be all zeros: the relative error and cosine are undefined")
    return {kind: [_compare(net._ep(x, d, b, kind == "symmetric")[0], reference, b) for b in betas]
            for kind in ("one-sided", "symmetric")}


def train(net: EqPropNetwork, x: Any, d: Any, *, epochs: int, lr: float, method: str = "ep", beta: float = 0.1,
          symmetric: bool = True, batch_size: int | None = None, seed: Seed = 0, progress: bool = True) -> History:
    """Train ``net`` by gradient descent with EP's estimates (``method="ep"``) or BPTT's gradients (``"bptt"``).

    ``nn.fit``'s loop: each epoch visits the data once in mini-batches (``nn.data.batches``),
    computes each batch's gradient and takes one step ``theta -= lr * grad``.

    Args:
        net: the network to train (in place).
        x: inputs in [0, 1], shape (n, n_inputs). d: targets, shape (n, n_outputs) (one-hot for classes).
        epochs, batch_size, seed, progress: as in ``nn.fit`` (an int >= 1; None for full batch or an
            int >= 1; the mini-batches' order; a tqdm progress bar).
        lr: learning rate (a finite number > 0), as in ``nn.fit``.
        method: "ep" or "bptt".
        beta, symmetric: EP's nudging strength (a finite number > 0) and variant.

    Returns:
        ``nn.History``, as ``fit`` records it: per epoch, the mean loss J = C(s0) of the batches
        (each at its free fixed point, before its update), the accuracy of those free outputs
        (output > 0.5 against target > 0.5 for one output, else argmax against argmax), and ``lr``.

    Raises:
        TypeError, ValueError: a bad argument (the message names it).
        RelaxationError: a phase diverged or did not settle.
    """
    _check_net(net)
    if not isinstance(method, str):
        raise TypeError(f"method must be 'ep' or 'bptt', got {describe(method)}")
    if method not in ("ep", "bptt"):
        raise ValueError(f"method must be 'ep' or 'bptt', got {method!r}")
    x = net._inputs(x)
    d = net._targets(d, len(x))
    loop = TrainingLoop(len(x), epochs=epochs, batch_size=batch_size, seed=seed, progress=progress)
    lr = as_learning_rate(lr)
    beta = as_real(beta, "beta", finite=True, minimum=0, strict=True)
    symmetric = as_bool(symmetric, "symmetric")
    one_output = d.shape[1] == 1
    labels = (d[:, 0] > 0.5).astype(int) if one_output else d.argmax(axis=1)
    for _ in loop:
        total, outputs, seen = 0.0, [], []
        for idx in loop.batches():
            grads, s0 = net._ep(x[idx], d[idx], beta, symmetric) if method == "ep" else net._bptt(x[idx], d[idx])
            total += float(net._cost(s0, d[idx]).sum())
            outputs += (s0[-1][:, 0] if one_output else s0[-1]).tolist()
            seen += labels[idx].tolist()
            net._apply(grads, lr)
        loop.record(loss=total / len(x), accuracy=accuracy(outputs, seen, "mse"), lr=lr)
    return loop.history
