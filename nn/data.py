"""Toy datasets generated with NumPy (seeded, no downloads), mini-batches, and the check of arrays of numbers.

Every ``seed`` here means what it means in the whole library (``autograd_engine.validation.numpy_rng``):
an int (>= 0) or a ``numpy.random.Generator``, or None for a generator seeded from Python's global
``random`` (so one ``random.seed(...)`` makes a run reproducible).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from autograd_engine.validation import as_bool, as_int, as_real, describe, is_int, numpy_rng

__all__ = ["make_xor", "make_moons", "make_circles", "make_spirals", "make_blobs", "make_adding", "load_digits",
           "batches", "DATASETS"]

#: The most samples a generator makes (each one is a row of floats; a bound turns a typo into an error).
MAX_SAMPLES = 10**7
#: The most numbers (samples times features) a generator makes.
MAX_VALUES = 10**8

Seed = int | np.random.Generator | None


def as_layer_sizes(sizes: Any, max_weights: int, bound: str) -> list[int]:
    """``sizes`` (inputs, hidden widths, outputs) as a list of ints >= 1 making at most ``max_weights`` weights.

    ``bound`` names the limit in the message (``"nn.eqprop.MAX_WEIGHTS"``).

    >>> as_layer_sizes((2, np.int64(3), 1), 100, "the bound")
    [2, 3, 1]
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
        raise TypeError(f"sizes must be a list of layer sizes, got {describe(sizes)}")
    sizes = [as_int(n, f"sizes[{i}]", minimum=1) for i, n in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes must be at least two layer sizes >= 1 (inputs and outputs), got {sizes!r}")
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    if weights > max_weights:
        raise ValueError(f"sizes must make at most {max_weights} weights ({bound}), "
                         f"got {weights} from {describe(sizes)}")
    return sizes


def as_array(x: Any, name: str, *, ndim: int | tuple[int, ...] | None = None, finite: bool = False,
             dtype: type | None = float) -> np.ndarray:
    """``x`` (a list, tuple or array of numbers) as an array of ``dtype``, or an error naming ``name``.

    Args:
        x: the value to check.
        name: the argument's name, as the user wrote it.
        ndim: the number of dimensions required (or a tuple of those allowed).
        finite: also reject ``nan`` and ``inf``.
        dtype: the result's type; None keeps integers as integers (labels) and makes floats of the rest.

    Raises:
        TypeError: ``x`` is not an array of real numbers (``None``, strings, Values, complex ...).
            A single number where an array of more dimensions is required is a ``TypeError`` too.
        ValueError: its rows are of different lengths, it has the wrong number of dimensions,
            or (with ``finite``) it holds ``nan`` or ``inf``.

    >>> as_array([[1, 2]], "X", ndim=2)
    array([[1., 2.]])
    """
    if isinstance(x, (bool, np.bool_)):  # an array of bools is numbers; a lone bool is a mistake
        raise TypeError(f"{name} must be an array of real numbers, got {describe(x)}")
    try:
        arr = np.asarray(x)
    except ValueError:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers (rows of one length), "
                         f"got {describe(x)}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of real numbers, got {describe(x)}")
    arr = arr.astype(dtype if dtype is not None else int if arr.dtype.kind == "b" else arr.dtype)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and arr.ndim not in allowed:
        want = " or ".join(f"{n}-D" for n in allowed)
        shape = {(2,): " (samples by features)", (1,): " (one entry per sample)"}.get(allowed, "")
        error = TypeError if arr.ndim == 0 else ValueError  # a lone number where an array belongs
        raise error(f"{name} must be a {want} array{shape}, got shape {arr.shape}: {describe(x)}")
    if finite and not np.isfinite(arr).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} must hold finite numbers, got {arr[where]!r} at index {where}")
    return arr


def _n_samples(n: Any, minimum: int) -> int:
    return as_int(n, "n_samples", minimum=minimum, maximum=MAX_SAMPLES)


def _noise(noise: Any, name: str = "noise") -> float:
    return as_real(noise, name, finite=True, minimum=0)


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, the classic demo of a non-linear boundary.

    Args:
        n_samples: number of points (2 to ``MAX_SAMPLES``), split evenly between the moons.
        noise: standard deviation of Gaussian noise added to each coordinate (finite, >= 0).
        seed: an int, a ``numpy.random.Generator``, or None (seeded from Python's ``random``).

    Returns:
        ``X`` of shape (n_samples, 2) and integer labels ``y`` in {0, 1}, shuffled.

    Raises:
        TypeError: an argument of the wrong type (``n_samples=2.5``, ``noise="0.1"``, ``seed="a"``).
        ValueError: ``n_samples`` < 2 or too large, ``noise`` < 0 or not finite, a negative seed.

    >>> X, y = make_moons(10, seed=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((10, 2), [0, 1])
    """
    n = _n_samples(n_samples, 2)
    noise = _noise(noise)
    rng = numpy_rng(seed)
    n_out, n_in = n - n // 2, n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out, dtype=int), np.ones(n_in, dtype=int)])
    X = X + rng.normal(0.0, noise, X.shape)
    perm = rng.permutation(n)
    return X[perm], y[perm]


def make_xor(n_samples: int = 4, noise: float = 0.0, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: label 1 where exactly one coordinate is 1.

    With the defaults (4 samples, ``noise=0``) it is the truth table, in order ``(0,0), (0,1),
    (1,0), (1,1)``; otherwise the four corners are repeated, shuffled, plus Gaussian ``noise``. Arguments and
    errors as in :func:`make_moons` (``n_samples`` >= 4).

    >>> X, y = make_xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    n = _n_samples(n_samples, 4)
    noise = _noise(noise)
    rng = numpy_rng(seed)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    if n == 4 and noise == 0:
        return corners, labels
    idx = rng.permutation(np.arange(n) % 4)
    return corners[idx] + rng.normal(0.0, noise, (n, 2)), labels[idx]


def make_circles(n_samples: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (label 1) inside a large one (label 0).

    Args:
        factor: the inner radius relative to the outer one, in (0, 1).
        n_samples, noise, seed: as in :func:`make_moons`.

    >>> X, y = make_circles(8, noise=0.0)
    >>> np.allclose(np.hypot(*X[y == 0].T), 1.0), np.allclose(np.hypot(*X[y == 1].T), 0.5)
    (True, True)
    """
    n = _n_samples(n_samples, 2)
    noise = _noise(noise)
    factor = as_real(factor, "factor", minimum=0, maximum=1, strict=True)
    rng = numpy_rng(seed)
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
                 seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms (the classic CS231n data), labels 0 .. n_classes - 1.

    Args:
        n_samples: total number of points, split evenly between the arms (at least one per arm).
        n_classes: the number of arms (2 to ``n_samples``).
        noise: standard deviation of the Gaussian noise on each point's angle.
        turns: how many half turns each arm makes (finite, > 0).
        seed: as in :func:`make_moons`.

    >>> X, y = make_spirals(30, n_classes=3)
    >>> X.shape, np.bincount(y).tolist()
    ((30, 2), [10, 10, 10])
    """
    n = _n_samples(n_samples, 2)
    k = as_int(n_classes, "n_classes", minimum=2, maximum=n)
    noise = _noise(noise)
    turns = as_real(turns, "turns", finite=True, minimum=0, strict=True)
    rng = numpy_rng(seed)
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
               n_features: int | None = None, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs around ``centers``, labels 0 .. len(centers) - 1.

    Args:
        n_samples: number of points, dealt to the centers in turn (at least one each).
        centers: a count (1 to ``n_samples``), placed on a circle of radius 2.5, or the
            coordinates themselves (one finite row per center).
        std: standard deviation of each blob (finite, >= 0).
        n_features: the dimension for a count of centers (default 2); with coordinates it may
            only repeat their dimension.
        seed: as in :func:`make_moons`.

    >>> X, y = make_blobs(12, centers=[[0, 0], [5, 5]], std=0.1)
    >>> X.shape, sorted(set(y.tolist()))
    ((12, 2), [0, 1])
    """
    n = _n_samples(n_samples, 1)
    std = _noise(std, "std")
    nf = None if n_features is None else as_int(n_features, "n_features", minimum=2)
    if is_int(centers):
        k = as_int(centers, "centers", minimum=1, maximum=n)
        nf = 2 if nf is None else nf
        _check_values(n, nf)
        angles = 2 * np.pi * np.arange(k) / k
        c = np.zeros((k, nf))
        c[:, 0], c[:, 1] = 2.5 * np.cos(angles), 2.5 * np.sin(angles)
    else:
        if isinstance(centers, (str, bytes)) or not isinstance(centers, (Sequence, np.ndarray)):
            raise TypeError(f"centers must be an int or a list of coordinate lists, got {describe(centers)}")
        c = as_array(centers, "centers", finite=True)
        if c.ndim != 2 or 0 in c.shape:
            raise ValueError(f"centers must be an int or a list of coordinate lists (one per center), "
                             f"got {describe(centers)}")
        if len(c) > n:
            raise ValueError(f"centers must be at most n_samples ({n}) centers, got {len(c)}")
        if nf is not None and nf != c.shape[1]:
            raise ValueError(f"n_features must match the centers' {c.shape[1]} coordinates, got {nf}")
        _check_values(n, c.shape[1])
    rng = numpy_rng(seed)
    y = np.arange(n) % len(c)
    X = c[y] + rng.normal(0.0, std, (n, c.shape[1]))
    perm = rng.permutation(n)
    return X[perm], y[perm]


def make_adding(n_samples: int = 100, length: int = 10, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber 1997): sum the two marked numbers of a sequence.

    Each step of a sequence is a pair ``(number, mark)``: the numbers are uniform in [0, 1), and
    exactly two steps are marked 1, one in each half of the sequence. The target is the sum of
    the two marked numbers, so a model must remember the first one until the sequence ends.
    Predicting the mean, 1, gives a mean squared error of 1/6.

    Args:
        n_samples: number of sequences (1 to ``MAX_SAMPLES``).
        length: steps per sequence (2 to ``MAX_SAMPLES``).
        seed: as in :func:`make_moons`.

    Returns:
        ``X`` of shape (n_samples, length, 2) and the targets ``y`` of shape (n_samples,).

    Raises:
        TypeError, ValueError: an argument of the wrong type or out of range.

    >>> X, y = make_adding(3, length=6)
    >>> X.shape, bool(np.allclose(y, (X[:, :, 0] * X[:, :, 1]).sum(axis=1)))
    ((3, 6, 2), True)
    """
    n = _n_samples(n_samples, 1)
    steps = as_int(length, "length", minimum=2, maximum=MAX_SAMPLES)
    if n * steps * 2 > MAX_VALUES:
        raise ValueError(f"length must be at most {MAX_VALUES // (2 * n)} for {n} samples "
                         f"(n_samples * length * 2 <= {MAX_VALUES}), got {steps}")
    rng = numpy_rng(seed)
    X = np.zeros((n, steps, 2))
    X[:, :, 0] = rng.uniform(0.0, 1.0, (n, steps))
    half = steps // 2
    rows = np.arange(n)
    X[rows, rng.integers(0, half, n), 1] = 1.0
    X[rows, rng.integers(half, steps, n), 1] = 1.0
    return X, (X[:, :, 0] * X[:, :, 1]).sum(axis=1)


def load_digits(n_samples: int | None = None, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 handwritten digits (1797 images, bundled with scikit-learn: nothing is downloaded).

    Args:
        n_samples: how many images to return (1 to 1797); None for all of them.
        seed: the order they are shuffled in, as in :func:`make_moons` (so a split is a slice).

    Returns:
        ``X`` of shape (n, 64): each row an image read row by row, pixels scaled from 0..16 to [0, 1];
        ``y`` of shape (n,): the digits 0..9.

    Raises:
        ImportError: scikit-learn is not installed (``pip install scikit-learn``).
        TypeError, ValueError: an argument of the wrong type or out of range.

    >>> X, y = load_digits(5)
    >>> X.shape, float(X.max()) <= 1.0, set(y.tolist()) <= set(range(10))
    ((5, 64), True, True)
    """
    n = None if n_samples is None else as_int(n_samples, "n_samples", minimum=1, maximum=1797)
    rng = numpy_rng(seed)
    try:
        from sklearn import datasets
    except ImportError as exc:
        raise ImportError("load_digits needs scikit-learn: pip install scikit-learn") from exc
    digits = datasets.load_digits()
    order = rng.permutation(len(digits.target))[:n]
    return digits.data[order] / 16.0, digits.target[order].astype(int)


def _check_values(n: int, features: int) -> None:
    if n * features > MAX_VALUES:
        raise ValueError(f"n_features must be at most {MAX_VALUES // n} for {n} samples "
                         f"(n_samples * n_features <= {MAX_VALUES}), got {features}")


def batches(X: Any, y: Any, batch_size: int | None = None, *, shuffle: bool = True,
            seed: Seed = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Mini-batches ``(X_batch, y_batch)`` covering the data once (the last one may be smaller).

    The arguments are checked when ``batches`` is called, before the first batch is asked for.

    Args:
        X, y: arrays (or lists) with one entry per sample, of the same length.
        batch_size: samples per batch (an int >= 1); None for the whole data set in one batch.
        shuffle: visit the samples in a random order.
        seed: the order's seed: an int, a ``numpy.random.Generator`` (drawn from, so one
            generator gives a new order on each call), or None (seeded from Python's ``random``).

    Raises:
        TypeError: ``X`` or ``y`` is not an array or has no length, a ``batch_size``, ``shuffle``
            or ``seed`` of the wrong type.
        ValueError: ``X`` and ``y`` differ in length, ``batch_size`` < 1, a negative seed.

    >>> [len(xb) for xb, yb in batches(np.zeros((5, 2)), np.zeros(5), 2)]
    [2, 2, 1]
    """
    X, y = _samples(X, "X"), _samples(y, "y")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    size = len(X) if batch_size is None else as_int(batch_size, "batch_size", minimum=1)
    rng = numpy_rng(seed)
    order = rng.permutation(len(X)) if as_bool(shuffle, "shuffle") else np.arange(len(X))
    return _batches(X, y, order, size)


def _batches(X: np.ndarray, y: np.ndarray, order: np.ndarray, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for start in range(0, len(order), size):
        idx = order[start:start + size]
        yield X[idx], y[idx]


def _samples(x: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x)
    except ValueError:  # ragged nested lists
        raise ValueError(f"{name} must be an array with one entry per sample (rows of one length), "
                         f"got {describe(x)}") from None
    if arr.ndim == 0:
        raise TypeError(f"{name} must be an array or list with one entry per sample, got {describe(x)}")
    return arr


#: name -> generator, for the command line.
DATASETS = {"xor": make_xor, "moons": make_moons, "circles": make_circles, "spirals": make_spirals,
            "blobs": make_blobs}
