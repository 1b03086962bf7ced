"""Normalisation: ``BatchNorm`` over a batch per feature, ``LayerNorm`` and ``RMSNorm`` over one vector."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from autograd_engine import Value, vsum
from autograd_engine.validation import as_real, describe, is_real

from .module import Module, as_count, as_size, as_vector, check_parameters, config_arguments, register_module

__all__ = ["BatchNorm", "LayerNorm", "RMSNorm", "deferred_statistics"]

Vector = list[Value]

#: Where BatchNorm puts its batch statistics inside :func:`deferred_statistics` (None: update at once).
_PENDING: ContextVar[list[tuple[Any, ...]] | None] = ContextVar("batchnorm_statistics", default=None)


@contextmanager
def deferred_statistics() -> Iterator[list[tuple[Any, ...]]]:
    """Inside the block, ``BatchNorm`` in training mode records its batch statistics instead of reading them.

    Each training-mode ``forward_batch`` appends ``(module, feature, mean, var, n)`` per feature
    to the list the block yields (``mean`` and ``var`` the batch's Values, ``n`` its size) and
    leaves the running statistics alone, so the forward pass reads no ``.data`` and can be traced;
    the caller applies the numbers afterwards with :meth:`BatchNorm.update_statistics`
    (``fit(compile=True)`` makes them extra outputs of its program).

    >>> bn = BatchNorm(1)
    >>> with deferred_statistics() as stats:
    ...     _ = bn.forward_batch([1.0, 3.0])
    >>> len(stats), bn.running_mean, stats[0][2].data
    (1, [0.0], 2.0)
    """
    pending: list[tuple[Any, ...]] = []
    token = _PENDING.set(pending)
    try:
        yield pending
    finally:
        _PENDING.reset(token)


def _eps(eps: Any) -> float:
    return as_real(eps, "eps", finite=True, minimum=0, strict=True)


@register_module
class BatchNorm(Module):
    """Batch normalisation over a mini-batch of samples, per feature, with learned scale and shift.

    In training mode each feature is normalised with the batch's mean and (biased)
    variance, computed as Value operations so gradients flow through them, and
    running statistics are updated (PyTorch's rule, with the unbiased variance). In
    evaluation mode the running statistics are used. It mixes samples, so it works
    on batches: use it inside ``Sequential`` and call ``forward_batch`` (``fit`` does).

    Args:
        num_features: the size of each sample.
        eps: added to the variance (a finite number > 0).
        momentum: weight of the newest batch in the running statistics (from 0 to 1).

    Raises:
        TypeError, ValueError: an argument of the wrong kind or out of range.

    >>> bn = BatchNorm(1)
    >>> [round(o.data, 3) for o in bn.forward_batch([1.0, 3.0])]
    [-1.0, 1.0]
    """

    _buffers = ("running_mean", "running_var")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        self.num_features = as_size(num_features, "num_features")
        check_parameters(2 * self.num_features, f"BatchNorm(num_features={self.num_features})")
        self.eps = _eps(eps)
        self.momentum = as_real(momentum, "momentum", minimum=0, maximum=1)
        self.gamma = [Value(1.0) for _ in range(self.num_features)]
        self.beta = [Value(0.0) for _ in range(self.num_features)]
        self.running_mean = [0.0] * self.num_features
        self.running_var = [1.0] * self.num_features

    def forward(self, x: Any) -> Any:
        """One sample: only in evaluation mode (a single sample has no batch statistics)."""
        if self.training:
            raise ValueError("BatchNorm in training mode needs a batch: call forward_batch, or eval() first")
        return self.forward_batch([x])[0]

    def forward_batch(self, xs: Sequence[Any]) -> list[Any]:
        """The normalised batch: each sample a vector of ``num_features`` (a list, tuple or 1-D array), or a
        number or Value when ``num_features`` is 1; each output is a list, or a Value for a lone number.

        Raises:
            TypeError: ``xs`` is not a sequence of samples, or a sample is not a vector of numbers or Values.
            ValueError: a sample has another size, or (training) the batch has fewer than 2 samples.
        """
        if isinstance(xs, (str, bytes)) or not (isinstance(xs, Sequence) or getattr(xs, "ndim", None) in (1, 2)):
            raise TypeError(f"BatchNorm batch must be a list of samples, got {describe(xs)}")
        rows = [as_vector(x, self.num_features, "BatchNorm", name=f"batch[{k}]") for k, x in enumerate(xs)]
        n = len(rows)
        columns = []
        for j in range(self.num_features):
            col = [r[j] for r in rows]
            if self.training:
                if n < 2:
                    raise ValueError(f"BatchNorm in training mode needs at least 2 samples, got {n}")
                mean = vsum(col) * (1.0 / n)
                centred = [c - mean for c in col]
                var = vsum(c * c for c in centred) * (1.0 / n)
                inv = (var + self.eps) ** -0.5
                pending = _PENDING.get()
                if pending is None:
                    self.update_statistics(j, mean.data, var.data, n)
                else:
                    pending.append((self, j, mean, var, n))
                normed = [c * inv for c in centred]
            else:
                inv = (self.running_var[j] + self.eps) ** -0.5
                normed = [(c - self.running_mean[j]) * inv for c in col]
            columns.append([v * self.gamma[j] + self.beta[j] for v in normed])
        out = [list(r) for r in zip(*columns)]
        return [o[0] if isinstance(x, Value) or is_real(x) else o for o, x in zip(out, xs)]

    def update_statistics(self, feature: int, mean: float, var: float, n: int) -> None:
        """Fold one batch's statistics of ``feature`` into the running ones (PyTorch's rule).

        ``running_mean = (1 - momentum) * running_mean + momentum * mean``, and the same for
        ``running_var`` with the unbiased variance ``var * n / (n - 1)``.

        Args:
            feature: the feature's index (0 .. num_features - 1).
            mean, var: the batch's mean and (biased) variance of the feature, as floats.
            n: the batch size (>= 2).
        """
        m = self.momentum
        self.running_mean[feature] = (1 - m) * self.running_mean[feature] + m * mean
        self.running_var[feature] = (1 - m) * self.running_var[feature] + m * var * n / (n - 1)

    def config(self) -> dict[str, Any]:
        """``{"type": "BatchNorm", "num_features", "eps", "momentum"}``."""
        return {"type": "BatchNorm", "num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """Scale, shift, running mean and running variance per feature."""
        return 4 * as_count(config_arguments(cls, config)["num_features"], "num_features")

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features})"


@register_module
class LayerNorm(Module):
    """Normalise a vector to zero mean and unit variance over its features, then scale and shift.

    Args:
        dim: the size of each vector.
        eps: added to the variance (a finite number > 0).

    >>> out = LayerNorm(3)([1.0, 2.0, 3.0])
    >>> [round(v.data, 4) for v in out]
    [-1.2247, 0.0, 1.2247]
    """

    def __init__(self, dim: int, eps: float = 1e-5):
        self.dim = as_size(dim, "dim")
        check_parameters(2 * self.dim, f"LayerNorm(dim={self.dim})")
        self.eps = _eps(eps)
        self.gamma = [Value(1.0) for _ in range(self.dim)]
        self.beta = [Value(0.0) for _ in range(self.dim)]

    def forward(self, x: Sequence[Value | float]) -> Vector:
        """The normalised, scaled and shifted vector."""
        x = as_vector(x, self.dim, "LayerNorm")
        mean = vsum(x) * (1.0 / self.dim)
        centred = [v - mean for v in x]
        inv = (vsum(c * c for c in centred) * (1.0 / self.dim) + self.eps) ** -0.5
        return [c * inv * g + b for c, g, b in zip(centred, self.gamma, self.beta)]

    def config(self) -> dict[str, Any]:
        """``{"type": "LayerNorm", "dim", "eps"}``."""
        return {"type": "LayerNorm", "dim": self.dim, "eps": self.eps}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """A scale and a shift per feature."""
        return 2 * as_count(config_arguments(cls, config)["dim"], "dim")

    def __repr__(self) -> str:
        return f"LayerNorm({self.dim})"


@register_module
class RMSNorm(Module):
    """Scale a vector by the inverse of its root mean square, then by a learned gain.

    Args:
        dim: the size of each vector.
        eps: added to the mean square (a finite number > 0).

    >>> [round(v.data, 4) for v in RMSNorm(2)([3.0, 4.0])]
    [0.8485, 1.1314]
    """

    def __init__(self, dim: int, eps: float = 1e-5):
        self.dim = as_size(dim, "dim")
        check_parameters(self.dim, f"RMSNorm(dim={self.dim})")
        self.eps = _eps(eps)
        self.gamma = [Value(1.0) for _ in range(self.dim)]

    def forward(self, x: Sequence[Value | float]) -> Vector:
        """The vector divided by its root mean square, times the gains."""
        x = as_vector(x, self.dim, "RMSNorm")
        inv = (vsum(v * v for v in x) * (1.0 / self.dim) + self.eps) ** -0.5
        return [v * inv * g for v, g in zip(x, self.gamma)]

    def config(self) -> dict[str, Any]:
        """``{"type": "RMSNorm", "dim", "eps"}``."""
        return {"type": "RMSNorm", "dim": self.dim, "eps": self.eps}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """A gain per feature."""
        return as_count(config_arguments(cls, config)["dim"], "dim")

    def __repr__(self) -> str:
        return f"RMSNorm({self.dim})"
