"""Toy datasets generated with NumPy: seeded, no downloads."""

from __future__ import annotations

import numpy as np

__all__ = ["make_moons"]


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)):
        raise TypeError(f"seed must be an int, a numpy Generator or None, got {type(seed).__name__}")
    return np.random.default_rng(seed)


def _check_n(n: int, name: str = "n_samples", minimum: int = 1) -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _check_noise(noise: float) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    return float(noise)


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int | np.random.Generator | None = 0
               ) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, the classic demo of a non-linear boundary.

    Args:
        n_samples: number of points, split evenly between the moons.
        noise: standard deviation of Gaussian noise added to each coordinate.
        seed: an int, a ``numpy.random.Generator``, or None for fresh randomness.

    Returns:
        ``X`` of shape (n_samples, 2) and integer labels ``y`` in {0, 1}, shuffled.

    Raises:
        ValueError: ``n_samples`` < 2 or ``noise`` < 0.

    >>> X, y = make_moons(10, seed=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((10, 2), [0, 1])
    """
    n = _check_n(n_samples, minimum=2)
    noise = _check_noise(noise)
    rng = _rng(seed)
    n_out, n_in = n - n // 2, n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out, dtype=int), np.ones(n_in, dtype=int)])
    X = X + rng.normal(0.0, noise, X.shape)
    perm = rng.permutation(n)
    return X[perm], y[perm]
