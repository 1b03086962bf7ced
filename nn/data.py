"""Toy datasets generated with NumPy: seeded, no downloads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["make_xor", "make_moons", "make_circles", "make_spirals", "make_blobs", "batches", "DATASETS"]


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


def make_xor(n_samples: int = 4, noise: float = 0.0, seed: int | np.random.Generator | None = 0
             ) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: label 1 where exactly one coordinate is 1.

    With the default 4 samples it is the truth table, in order ``(0,0), (0,1), (1,0), (1,1)``;
    more samples repeat the four corners (shuffled) with Gaussian ``noise``.

    >>> X, y = make_xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    n = _check_n(n_samples, minimum=4)
    noise = _check_noise(noise)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    if n == 4 and noise == 0:
        return corners, labels
    rng = _rng(seed)
    idx = rng.permutation(np.arange(n) % 4)
    return corners[idx] + rng.normal(0.0, noise, (n, 2)), labels[idx]


def make_circles(n_samples: int = 100, noise: float = 0.05, factor: float = 0.5,
                 seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (label 1) inside a large one (label 0).

    Args:
        factor: the inner radius relative to the outer one, in (0, 1).

    >>> X, y = make_circles(8, noise=0.0)
    >>> np.allclose(np.hypot(*X[y == 0].T), 1.0), np.allclose(np.hypot(*X[y == 1].T), 0.5)
    (True, True)
    """
    n = _check_n(n_samples, minimum=2)
    noise = _check_noise(noise)
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor < 1:
        raise ValueError(f"factor must be a number in (0, 1), got {factor!r}")
    rng = _rng(seed)
    n_out, n_in = n - n // 2, n // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        factor * np.stack([np.cos(t_in), np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out, dtype=int), np.ones(n_in, dtype=int)])
    X = X + rng.normal(0.0, noise, X.shape)
    perm = rng.permutation(n)
    return X[perm], y[perm]


def make_spirals(n_samples: int = 150, n_classes: int = 3, noise: float = 0.1, turns: float = 1.0,
                 seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms (the classic CS231n data), labels 0 .. n_classes - 1.

    Args:
        n_samples: total number of points, split evenly between the arms.
        noise: standard deviation of the Gaussian noise on each point's angle.
        turns: how many half turns each arm makes.

    >>> X, y = make_spirals(30, n_classes=3)
    >>> X.shape, np.bincount(y).tolist()
    ((30, 2), [10, 10, 10])
    """
    n = _check_n(n_samples, minimum=2)
    k = _check_n(n_classes, name="n_classes", minimum=2)
    noise = _check_noise(noise)
    if isinstance(turns, bool) or not isinstance(turns, (int, float)) or turns <= 0:
        raise ValueError(f"turns must be a number > 0, got {turns!r}")
    rng = _rng(seed)
    per = [n // k + (1 if c < n % k else 0) for c in range(k)]
    Xs, ys = [], []
    for c, m in enumerate(per):
        r = np.linspace(0.05, 1.0, m)
        t = np.linspace(0, turns * np.pi, m) + 2 * np.pi * c / k + rng.normal(0.0, noise, m)
        Xs.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
        ys.append(np.full(m, c, dtype=int))
    X, y = np.concatenate(Xs), np.concatenate(ys)
    perm = rng.permutation(n)
    return X[perm], y[perm]


def make_blobs(n_samples: int = 100, centers: int | Sequence[Sequence[float]] = 3, std: float = 0.5,
               n_features: int = 2, seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs around ``centers`` (a count, placed on a circle of radius 2.5, or coordinates).

    >>> X, y = make_blobs(12, centers=[[0, 0], [5, 5]], std=0.1)
    >>> X.shape, sorted(set(y.tolist()))
    ((12, 2), [0, 1])
    """
    n = _check_n(n_samples)
    std = _check_noise(std)
    rng = _rng(seed)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = _check_n(centers, name="centers", minimum=1)
        nf = _check_n(n_features, name="n_features", minimum=2)
        angles = 2 * np.pi * np.arange(k) / k
        c = np.zeros((k, nf))
        c[:, 0], c[:, 1] = 2.5 * np.cos(angles), 2.5 * np.sin(angles)
    else:
        c = np.asarray(centers, dtype=float)
        if c.ndim != 2 or len(c) < 1:
            raise ValueError(f"centers must be an int or a list of coordinate lists, got {centers!r}")
    k = len(c)
    y = np.arange(n) % k
    X = c[y] + rng.normal(0.0, std, (n, c.shape[1]))
    perm = rng.permutation(n)
    return X[perm], y[perm]


def batches(X: Any, y: Any, batch_size: int | None = None, *, shuffle: bool = True,
            seed: int | np.random.Generator | None = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Mini-batches ``(X_batch, y_batch)`` covering the data once (the last one may be smaller).

    Args:
        batch_size: samples per batch; None for the whole data set in one batch.
        shuffle: visit the samples in a random order (seeded).

    >>> [len(xb) for xb, yb in batches(np.zeros((5, 2)), np.zeros(5), 2)]
    [2, 2, 1]
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    n = len(X)
    size = n if batch_size is None else _check_n(batch_size, name="batch_size")
    order = _rng(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, size):
        idx = order[start:start + size]
        yield X[idx], y[idx]


#: name -> generator, for the command line.
DATASETS = {"xor": make_xor, "moons": make_moons, "circles": make_circles, "spirals": make_spirals,
            "blobs": make_blobs}
