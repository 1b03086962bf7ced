"""Optimizers with PyTorch's update formulas and defaults, learning-rate schedules, gradient clipping."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from autograd_engine import Value

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "StepLR", "LinearLR", "CosineLR", "clip_grad_norm",
           "OPTIMIZERS"]


def _number(value: Any, name: str, *, low: float = 0.0, low_open: bool = False, high: float | None = None) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and (high is None or value < high)
    if not ok:
        bound = f"{'>' if low_open else '>='} {low}" + (f" and < {high}" if high is not None else "")
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def _params(params: Any) -> list[Value]:
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, Value) or not isinstance(params, Iterable):
        raise TypeError(f"params must be an iterable of Values (e.g. model.parameters()), got {type(params).__name__}")
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"params[{i}] must be a Value, got {type(p).__name__}")
    if not params:
        raise ValueError("params is empty: the optimizer has nothing to update")
    return params


class Optimizer:
    """Base class: holds the parameters and ``lr``; subclasses define ``_update(i, p, g)``.

    Attributes:
        params: the Values updated by ``step()``.
        lr: the learning rate (schedules change it).
        steps: how many times ``step()`` ran.
    """

    def __init__(self, params: Any, lr: float, weight_decay: float = 0.0):
        self.params = _params(params)
        self.lr = _number(lr, "lr", low_open=True)
        self.weight_decay = _number(weight_decay, "weight_decay")
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``.grad`` (plus ``weight_decay * data``)."""
        self.steps += 1
        wd = self.weight_decay
        for i, p in enumerate(self.params):
            g = float(p.grad)
            if wd:
                g += wd * p.data
            p.data -= self._update(i, g)

    def _update(self, i: int, g: float) -> float:
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
        self.momentum = _number(momentum, "momentum", high=1.0)
        self._buf: list[float | None] = [None] * len(self.params)

    def _update(self, i: int, g: float) -> float:
        if self.momentum:
            b = self._buf[i]
            g = self._buf[i] = g if b is None else self.momentum * b + g
        return self.lr * g


class RMSprop(Optimizer):
    """RMSprop (PyTorch's defaults): ``s = alpha * s + (1 - alpha) * g^2``; ``p -= lr * g / (sqrt(s) + eps)``."""

    def __init__(self, params: Any, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.alpha = _number(alpha, "alpha", high=1.0)
        self.eps = _number(eps, "eps", low_open=True)
        self.momentum = _number(momentum, "momentum", high=1.0)
        self._sq = [0.0] * len(self.params)
        self._buf = [0.0] * len(self.params)

    def _update(self, i: int, g: float) -> float:
        self._sq[i] = self.alpha * self._sq[i] + (1 - self.alpha) * g * g
        step = g / (math.sqrt(self._sq[i]) + self.eps)
        if self.momentum:
            step = self._buf[i] = self.momentum * self._buf[i] + step
        return self.lr * step


class Adam(Optimizer):
    """Adam (PyTorch's defaults and bias correction).

    ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``;
    ``p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``.
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair of numbers in [0, 1), got {betas!r}")
        self.betas = (_number(betas[0], "betas[0]", high=1.0), _number(betas[1], "betas[1]", high=1.0))
        self.eps = _number(eps, "eps", low_open=True)
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def _update(self, i: int, g: float) -> float:
        b1, b2 = self.betas
        self._m[i] = b1 * self._m[i] + (1 - b1) * g
        self._v[i] = b2 * self._v[i] + (1 - b2) * g * g
        m_hat = self._m[i] / (1 - b1**self.steps)
        v_hat = self._v[i] / (1 - b2**self.steps)
        return self.lr * m_hat / (math.sqrt(v_hat) + self.eps)


#: name -> optimizer class, for ``fit(optimizer="...")`` and the command line.
OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


class _Schedule:
    """Base class: ``step()`` once per epoch sets ``optimizer.lr = base_lr * factor(epoch)``."""

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def factor(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> float:
        """Advance one epoch; returns the new learning rate."""
        self.epoch += 1
        self.optimizer.lr = self.base_lr * self.factor(self.epoch)
        return self.optimizer.lr


class StepLR(_Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    >>> opt = SGD([Value(0.0)], lr=1.0); s = StepLR(opt, step_size=2, gamma=0.5)
    >>> [s.step() for _ in range(4)]
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"step_size must be an int >= 1, got {step_size!r}")
        self.step_size, self.gamma = step_size, _number(gamma, "gamma", low_open=True)

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)


class LinearLR(_Schedule):
    """Go linearly from ``start_factor * lr`` to ``end_factor * lr`` over ``total_steps`` epochs, then stay.

    >>> opt = SGD([Value(0.0)], lr=1.0); s = LinearLR(opt, total_steps=4, end_factor=0.0)
    >>> [s.step() for _ in range(5)]
    [0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(self, optimizer: Optimizer, total_steps: int, start_factor: float = 1.0, end_factor: float = 0.0):
        super().__init__(optimizer)
        if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
            raise ValueError(f"total_steps must be an int >= 1, got {total_steps!r}")
        self.total_steps = total_steps
        self.start_factor = _number(start_factor, "start_factor")
        self.end_factor = _number(end_factor, "end_factor")
        optimizer.lr = self.base_lr * self.start_factor

    def factor(self, epoch: int) -> float:
        t = min(epoch, self.total_steps) / self.total_steps
        return self.start_factor + (self.end_factor - self.start_factor) * t


class CosineLR(_Schedule):
    """Cosine annealing from ``lr`` to ``min_lr`` over ``total_steps`` epochs, then stay.

    >>> opt = SGD([Value(0.0)], lr=1.0); s = CosineLR(opt, total_steps=2)
    >>> [round(s.step(), 6) for _ in range(3)]
    [0.5, 0.0, 0.0]
    """

    def __init__(self, optimizer: Optimizer, total_steps: int, min_lr: float = 0.0):
        super().__init__(optimizer)
        if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
            raise ValueError(f"total_steps must be an int >= 1, got {total_steps!r}")
        self.total_steps = total_steps
        self.min_lr = _number(min_lr, "min_lr")

    def factor(self, epoch: int) -> float:
        t = min(epoch, self.total_steps) / self.total_steps
        lr = self.min_lr + (self.base_lr - self.min_lr) * (1 + math.cos(math.pi * t)) / 2
        return lr / self.base_lr


def clip_grad_norm(params: Any, max_norm: float) -> float:
    """Scale the gradients so their overall L2 norm is at most ``max_norm``; returns the norm before.

    >>> a, b = Value(0.0), Value(0.0); a.grad, b.grad = 3.0, 4.0
    >>> clip_grad_norm([a, b], 1.0), round(a.grad, 6), round(b.grad, 6)
    (5.0, 0.6, 0.8)
    """
    params = _params(params)
    max_norm = _number(max_norm, "max_norm", low_open=True)
    norm = math.sqrt(math.fsum(float(p.grad) ** 2 for p in params))
    if norm > max_norm:
        scale = max_norm / norm
        for p in params:
            p.grad = float(p.grad) * scale
    return norm
