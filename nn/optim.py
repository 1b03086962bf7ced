"""Optimizers with PyTorch's update formulas and defaults, learning-rate schedules, gradient clipping.

Each optimizer updates its Values one by one (``step``), or, on the compiled path of ``fit``, the same
numbers held in one NumPy array (``step_arrays``): the same formulas in the same order, so both give the
same floats. The state (momentum buffers, moment estimates) moves between the two forms as needed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd_engine import Value
from autograd_engine.validation import as_int, as_real, describe

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "StepLR", "LinearLR", "CosineLR", "clip_grad_norm",
           "OPTIMIZERS"]


def as_learning_rate(lr: Any, name: str = "lr") -> float:
    """A learning rate: a finite number > 0 (NumPy scalars too), else an error naming ``name``.

    The one rule for ``lr`` in the library: optimizers, ``fit`` and ``nn.eqprop.train`` use it.

    >>> as_learning_rate(0.1)
    0.1
    """
    return as_real(lr, name, finite=True, minimum=0, strict=True)


def _fraction(x: Any, name: str) -> float:
    """A finite number in [0, 1) (momentum, alpha, betas)."""
    v = as_real(x, name)
    if not 0 <= v < 1:
        raise ValueError(f"{name} must be a finite number >= 0 and < 1, got {v!r}")
    return v


def _params(params: Any) -> list[Value]:
    """The parameters as a list, each Value once (a Value listed twice would be updated twice)."""
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, (Value, str, bytes)) or not isinstance(params, Iterable):
        raise TypeError(f"params must be an iterable of Values (e.g. model.parameters()), got {describe(params)}")
    unique: dict[int, Value] = {}
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"params[{i}] must be a Value, got {describe(p)}")
        unique.setdefault(id(p), p)
    if not unique:
        raise ValueError("params is empty: the optimizer has nothing to update")
    return list(unique.values())


class Optimizer:
    """Base class: holds the parameters and ``lr``; subclasses define ``_update(i, p, g)``.

    Attributes:
        params: the Values updated by ``step()`` (each once, in order).
        lr: the learning rate: a finite number > 0 when the optimizer is built; schedules (and
            assignment) may set any finite number >= 0, so an annealed rate may reach 0.
        steps: how many times ``step()`` ran.

    Raises:
        TypeError: ``params`` is not an iterable of Values, a hyperparameter is not a real number.
        ValueError: ``params`` is empty, a hyperparameter is out of its range or not finite.
    """

    def __init__(self, params: Any, lr: float, weight_decay: float = 0.0):
        self.params = _params(params)
        self.lr = as_learning_rate(lr)
        self.weight_decay = as_real(weight_decay, "weight_decay", finite=True, minimum=0)
        self.steps = 0

    @property
    def lr(self) -> float:
        """The learning rate of the next ``step()``."""
        return self._lr

    @lr.setter
    def lr(self, value: Any) -> None:
        self._lr = as_real(value, "lr", finite=True, minimum=0)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``.grad`` (plus ``weight_decay * data``)."""
        if self._array_state is not None:
            self._state_to_lists()
        self.steps += 1
        wd = self.weight_decay
        for i, p in enumerate(self.params):
            g = float(p.grad)
            if wd:
                g += wd * p.data
            p.data -= self._update(i, g)

    def step_arrays(self, data: np.ndarray, grad: np.ndarray) -> None:
        """One step on arrays: ``data[i]`` and ``grad[i]`` stand for ``params[i].data`` and ``.grad``.

        The update of :meth:`step` with the same formulas in the same order, so it gives the same
        floats; ``data`` is updated in place and the Values are not touched (``fit`` writes them back).

        Args:
            data: float64 array of shape ``(len(params),)``, updated in place.
            grad: float64 array of the same shape (not changed).

        Raises:
            TypeError: ``data`` or ``grad`` is not a float64 NumPy array.
            ValueError: either has another shape than ``(len(params),)``; ``data`` is read-only.

        >>> import numpy as np
        >>> w = np.array([1.0]); SGD([Value(1.0)], lr=0.1).step_arrays(w, np.array([0.5])); w
        array([0.95])
        """
        shape = (len(self.params),)
        for name, a in (("data", data), ("grad", grad)):
            if not isinstance(a, np.ndarray) or a.dtype != np.float64:
                raise TypeError(f"{name} must be a float64 NumPy array, got {describe(a)}")
            if a.shape != shape:
                raise ValueError(f"{name} must have the shape {shape} (one entry per parameter), got {a.shape}")
        if not data.flags.writeable:
            raise ValueError("data must be a writeable array (it is updated in place), got a read-only one")
        if self._array_state is None:
            self._array_state = self._state_to_arrays()
        self.steps += 1
        if self.weight_decay:
            grad = grad + self.weight_decay * data
        data -= self._update_arrays(grad, self._array_state)

    # The state as lists of floats (``step``) or as arrays (``step_arrays``), whichever ran last.
    _array_state: dict[str, np.ndarray] | None = None
    _state_names: tuple[str, ...] = ()

    def _state_to_arrays(self) -> dict[str, np.ndarray]:
        return {name: np.array(getattr(self, name), dtype=float) for name in self._state_names}

    def _state_to_lists(self) -> None:
        for name, a in (self._array_state or {}).items():
            setattr(self, name, a.tolist())
        self._array_state = None

    def _update(self, i: int, g: float) -> float:
        raise NotImplementedError

    def _update_arrays(self, g: np.ndarray, state: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr:g}, {len(self.params)} parameters)"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (PyTorch's form: ``b = mu * b + g``; ``p -= lr * b``).

    >>> p = Value(1.0); p.grad = 0.5
    >>> SGD([p], lr=0.1).step(); p.data
    0.95
    """

    def __init__(self, params: Any, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = _fraction(momentum, "momentum")
        self._buf: list[float | None] = [None] * len(self.params)

    def _update(self, i: int, g: float) -> float:
        if self.momentum:
            b = self._buf[i]
            g = self._buf[i] = g if b is None else self.momentum * b + g
        return self._lr * g

    def _state_to_arrays(self) -> dict[str, np.ndarray]:
        if not self.momentum or self._buf[0] is None:  # no buffer yet: the first step starts it
            return {}
        return {"_buf": np.array(self._buf, dtype=float)}

    def _update_arrays(self, g: np.ndarray, state: dict[str, np.ndarray]) -> np.ndarray:
        if self.momentum:
            b = state.get("_buf")
            g = state["_buf"] = g.copy() if b is None else self.momentum * b + g
        return self._lr * g


class RMSprop(Optimizer):
    """RMSprop (PyTorch's defaults): ``s = alpha * s + (1 - alpha) * g^2``; ``p -= lr * g / (sqrt(s) + eps)``."""

    def __init__(self, params: Any, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.alpha = _fraction(alpha, "alpha")
        self.eps = as_real(eps, "eps", finite=True, minimum=0, strict=True)
        self.momentum = _fraction(momentum, "momentum")
        self._sq = [0.0] * len(self.params)
        self._buf = [0.0] * len(self.params)

    _state_names = ("_sq", "_buf")

    def _update(self, i: int, g: float) -> float:
        self._sq[i] = self.alpha * self._sq[i] + (1 - self.alpha) * g * g
        step = g / (math.sqrt(self._sq[i]) + self.eps)
        if self.momentum:
            step = self._buf[i] = self.momentum * self._buf[i] + step
        return self._lr * step

    def _update_arrays(self, g: np.ndarray, state: dict[str, np.ndarray]) -> np.ndarray:
        sq = state["_sq"] = self.alpha * state["_sq"] + (1 - self.alpha) * g * g
        step = g / (np.sqrt(sq) + self.eps)
        if self.momentum:
            step = state["_buf"] = self.momentum * state["_buf"] + step
        return self._lr * step


class Adam(Optimizer):
    """Adam (PyTorch's defaults and bias correction).

    ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``;
    ``p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``.
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        if not isinstance(betas, (tuple, list)):
            raise TypeError(f"betas must be a pair of numbers in [0, 1), got {describe(betas)}")
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair of numbers in [0, 1), got {len(betas)} numbers: {describe(betas)}")
        self.betas = (_fraction(betas[0], "betas[0]"), _fraction(betas[1], "betas[1]"))
        self.eps = as_real(eps, "eps", finite=True, minimum=0, strict=True)
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    _state_names = ("_m", "_v")

    def _update(self, i: int, g: float) -> float:
        b1, b2 = self.betas
        self._m[i] = b1 * self._m[i] + (1 - b1) * g
        self._v[i] = b2 * self._v[i] + (1 - b2) * g * g
        m_hat = self._m[i] / (1 - b1**self.steps)
        v_hat = self._v[i] / (1 - b2**self.steps)
        return self._lr * m_hat / (math.sqrt(v_hat) + self.eps)

    def _update_arrays(self, g: np.ndarray, state: dict[str, np.ndarray]) -> np.ndarray:
        b1, b2 = self.betas
        m = state["_m"] = b1 * state["_m"] + (1 - b1) * g
        v = state["_v"] = b2 * state["_v"] + (1 - b2) * g * g
        m_hat = m / (1 - b1**self.steps)
        v_hat = v / (1 - b2**self.steps)
        return self._lr * m_hat / (np.sqrt(v_hat) + self.eps)


#: name -> optimizer class, for ``fit(optimizer="...")`` and the command line.
OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


class _Schedule:
    """Base class: ``step()`` once per epoch sets ``optimizer.lr`` to ``lr_at(epoch)``."""

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be an Optimizer, got {describe(optimizer)}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> float:
        """Advance one epoch; returns the new learning rate.

        Raises:
            ValueError: the schedule's rate is no longer a finite number (a ``gamma`` > 1 grew it past floats).
        """
        self.epoch += 1
        lr = self.lr_at(self.epoch)
        if not math.isfinite(lr):
            raise ValueError(f"{type(self).__name__}: the learning rate left the finite numbers at epoch "
                             f"{self.epoch} (got {lr!r}); check the schedule's arguments")
        self.optimizer.lr = lr
        return lr


class StepLR(_Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    >>> opt = SGD([Value(0.0)], lr=1.0); s = StepLR(opt, step_size=2, gamma=0.5)
    >>> [s.step() for _ in range(4)]
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        self.step_size = as_int(step_size, "step_size", minimum=1)
        self.gamma = as_real(gamma, "gamma", finite=True, minimum=0, strict=True)

    def lr_at(self, epoch: int) -> float:
        try:
            return self.base_lr * self.gamma ** (epoch // self.step_size)
        except OverflowError:
            return math.inf


class LinearLR(_Schedule):
    """Go linearly from ``start_factor * lr`` to ``end_factor * lr`` over ``total_steps`` epochs, then stay.

    >>> opt = SGD([Value(0.0)], lr=1.0); s = LinearLR(opt, total_steps=4, end_factor=0.0)
    >>> [s.step() for _ in range(5)]
    [0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(self, optimizer: Optimizer, total_steps: int, start_factor: float = 1.0, end_factor: float = 0.0):
        super().__init__(optimizer)
        self.total_steps = as_int(total_steps, "total_steps", minimum=1)
        self.start_factor = as_real(start_factor, "start_factor", finite=True, minimum=0)
        self.end_factor = as_real(end_factor, "end_factor", finite=True, minimum=0)
        optimizer.lr = self.base_lr * self.start_factor

    def lr_at(self, epoch: int) -> float:
        t = min(epoch, self.total_steps) / self.total_steps
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * t)


class CosineLR(_Schedule):
    """Cosine annealing from ``lr`` to ``min_lr`` over ``total_steps`` epochs, then stay.

    >>> opt = SGD([Value(0.0)], lr=1.0); s = CosineLR(opt, total_steps=2)
    >>> [round(s.step(), 6) for _ in range(3)]
    [0.5, 0.0, 0.0]
    """

    def __init__(self, optimizer: Optimizer, total_steps: int, min_lr: float = 0.0):
        super().__init__(optimizer)
        self.total_steps = as_int(total_steps, "total_steps", minimum=1)
        self.min_lr = as_real(min_lr, "min_lr", finite=True, minimum=0)

    def lr_at(self, epoch: int) -> float:
        t = min(epoch, self.total_steps) / self.total_steps
        return self.min_lr + (self.base_lr - self.min_lr) * (1 + math.cos(math.pi * t)) / 2


def clip_grad_norm(params: Any, max_norm: float) -> float:
    """Scale the gradients so their overall L2 norm is at most ``max_norm``; returns the norm before.

    >>> a, b = Value(0.0), Value(0.0); a.grad, b.grad = 3.0, 4.0
    >>> clip_grad_norm([a, b], 1.0), round(a.grad, 6), round(b.grad, 6)
    (5.0, 0.6, 0.8)
    """
    params = _params(params)
    max_norm = as_real(max_norm, "max_norm", finite=True, minimum=0, strict=True)
    norm = math.sqrt(math.fsum(float(p.grad) ** 2 for p in params))
    if norm > max_norm:
        scale = max_norm / norm
        for p in params:
            p.grad = float(p.grad) * scale
    return norm
