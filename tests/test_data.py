"""nn.data: shapes, labels, geometry, seeding, batches."""

import random

import numpy as np
import pytest

from nn import batches, load_digits, make_blobs, make_circles, make_moons, make_spirals, make_xor


@pytest.mark.parametrize("make, n, classes", [
    (make_moons, 50, 2), (make_circles, 50, 2), (lambda n, seed: make_spirals(n, 4, seed=seed), 60, 4),
    (make_blobs, 60, 3), (make_xor, 40, 2),
])
def test_shapes_labels_and_seeding(make, n, classes):
    X, y = make(n, seed=1)
    assert X.shape == (n, 2) and y.shape == (n,) and y.dtype.kind == "i"
    assert sorted(set(y.tolist())) == list(range(classes))
    X2, y2 = make(n, seed=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make(n, seed=2)[0], X)


def test_geometry_without_noise():
    X, y = make_moons(200, noise=0.0)
    upper = X[y == 0]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    lower = X[y == 1] - [1.0, 0.5]
    np.testing.assert_allclose(np.hypot(*lower.T), 1.0)
    X, y = make_circles(40, noise=0.0, factor=0.3)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)
    X, y = make_blobs(300, centers=[[0, 0], [10, 10]], std=0.1)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [10, 10], atol=0.05)
    X, y = make_spirals(90, 3, noise=0.0)
    assert np.hypot(*X.T).max() == pytest.approx(1.0)


def test_xor_truth_table():
    X, y = make_xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]


def test_batches_cover_the_data_once():
    X, y = np.arange(10).reshape(5, 2), np.arange(5)
    got = list(batches(X, y, 2, seed=0))
    assert [len(b[0]) for b in got] == [2, 2, 1]
    assert sorted(np.concatenate([b[1] for b in got]).tolist()) == [0, 1, 2, 3, 4]
    whole = list(batches(X, y, shuffle=False))
    assert len(whole) == 1 and whole[0][1].tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="same length"):
        list(batches(X, y[:3]))


#: (id, call, exception, words in the message): every generator and ``batches``, one mistake each.
ERROR_CASES = [
    ("make-moons-n-one", lambda: make_moons(1), ValueError, "n_samples must be an int from 2 to 10000000, got 1"),
    ("make-moons-n-huge", lambda: make_moons(10**12), ValueError, "n_samples must be an int from 2 to 10000000"),
    ("make-moons-n-float", lambda: make_moons(10.0), TypeError, r"n_samples must be an int, got float 10\.0"),
    ("make-moons-n-bool", lambda: make_moons(True), TypeError, "n_samples must be an int, got bool True"),
    ("make-moons-noise-negative", lambda: make_moons(10, noise=-1), ValueError, "noise must be a finite number >= 0"),
    ("make-moons-noise-nan", lambda: make_moons(10, noise=float("nan")), ValueError,
     "noise must be a finite number >= 0, got nan"),
    ("make-moons-noise-str", lambda: make_moons(10, noise="0.1"), TypeError, "noise must be a real number, got str"),
    ("make-moons-seed-str", lambda: make_moons(10, seed="a"), TypeError, "seed must be an int"),
    ("make-moons-seed-negative", lambda: make_moons(10, seed=-1), ValueError, "seed must be an int >= 0, got -1"),
    ("make-xor-seed-str", lambda: make_xor(seed="a"), TypeError, "seed must be an int, a numpy Generator or None"),
    ("make-xor-n-three", lambda: make_xor(3), ValueError, "n_samples must be an int from 4"),
    ("make-circles-factor-big", lambda: make_circles(10, factor=1.5), ValueError,
     r"factor must be a number > 0 and < 1, got 1\.5"),
    ("make-circles-factor-nan", lambda: make_circles(10, factor=float("nan")), ValueError, "factor must be .*got nan"),
    ("make-spirals-one-class", lambda: make_spirals(10, n_classes=1), ValueError,
     "n_classes must be an int from 2 to 10, got 1"),
    ("make-spirals-more-classes-than-samples", lambda: make_spirals(4, n_classes=5), ValueError,
     "n_classes must be an int from 2 to 4, got 5"),
    ("make-spirals-turns-zero", lambda: make_spirals(10, turns=0), ValueError, "turns must be a finite number > 0"),
    ("make-blobs-centers-flat", lambda: make_blobs(10, centers=[1, 2]), ValueError, "centers must be an int or a list"),
    ("make-blobs-centers-bool", lambda: make_blobs(10, centers=True), TypeError,
     "centers must be an int or a list of coordinate lists, got bool True"),
    ("make-blobs-centers-str", lambda: make_blobs(10, centers="3"), TypeError, "centers must be an int or a list"),
    ("make-blobs-centers-nan", lambda: make_blobs(10, centers=[[0.0, float("nan")]]), ValueError,
     "centers must hold finite numbers"),
    ("make-blobs-more-centers-than-samples", lambda: make_blobs(2, centers=3), ValueError,
     "centers must be an int from 1 to 2, got 3"),
    ("make-blobs-n-features-mismatch", lambda: make_blobs(10, centers=[[0, 0, 0]], n_features=2), ValueError,
     "n_features must match the centers' 3 coordinates, got 2"),
    ("make-blobs-n-features-huge", lambda: make_blobs(10, n_features=10**9), ValueError,
     r"n_features must be at most 10000000 for 10 samples"),
    ("make-blobs-std-inf", lambda: make_blobs(10, std=float("inf")), ValueError, "std must be a finite number >= 0"),
    ("batches-size-zero", lambda: batches([[1]], [1], 0), ValueError, "batch_size must be an int >= 1, got 0"),
    ("batches-size-float", lambda: batches([[1]], [1], 1.0), TypeError, r"batch_size must be an int, got float 1\.0"),
    ("batches-lengths", lambda: batches([[1], [2]], [1], 1), ValueError,
     "X and y must have the same length, got 2 and 1"),
    ("batches-X-none", lambda: batches(None, [1]), TypeError,
     "X must be an array or list with one entry per sample, got NoneType None"),
    ("batches-y-ragged", lambda: batches([1, 2], [[1], [2, 3]]), ValueError, "y must be an array with one entry"),
    ("batches-shuffle-str", lambda: batches([1], [1], shuffle="no"), TypeError,
     r"shuffle must be a bool \(True or False\), got str 'no'"),
    ("batches-seed-float", lambda: batches([1], [1], seed=1.5), TypeError, "seed must be an int"),
    ("load_digits-n-samples-zero", lambda: load_digits(0), ValueError,
     r"^n_samples must be an int from 1 to 1797, got 0$"),
    ("load_digits-n-samples-too-many", lambda: load_digits(1798), ValueError,
     r"^n_samples must be an int from 1 to 1797, got 1798$"),
    ("load_digits-n-samples-a-float", lambda: load_digits(10.0), TypeError,
     r"^n_samples must be an int, got float 10.0$"),
    ("load_digits-n-samples-a-bool", lambda: load_digits(True), TypeError,
     r"^n_samples must be an int, got bool True$"),
    ("load_digits-seed-a-str", lambda: load_digits(5, seed="0"), TypeError, r"^seed must be an int"),
]



def test_batches_checks_its_arguments_when_called_not_when_iterated():
    with pytest.raises(ValueError, match="batch_size"):
        batches([[1]], [1], -1)  # no next() needed


def test_numpy_scalars_and_generators_are_accepted():
    X, y = make_moons(np.int64(20), noise=np.float32(0.1), seed=np.int64(3))
    X2, _ = make_moons(20, noise=0.1, seed=3)
    np.testing.assert_allclose(X, X2, rtol=1e-6)
    X3, _ = make_spirals(np.int64(12), np.int64(3), turns=np.float64(1.0), seed=np.random.default_rng(3))
    assert X3.shape == (12, 2)
    assert [len(b[0]) for b in batches(X, y, np.int64(8))] == [8, 8, 4]


def test_seed_none_is_drawn_from_pythons_random():
    random.seed(7)
    a = make_moons(10, seed=None)[0]
    random.seed(7)
    b = make_moons(10, seed=None)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(make_moons(10, seed=None)[0], a)


def test_a_generator_seed_gives_a_new_order_per_call():
    rng = np.random.default_rng(0)
    first = [b[1].tolist() for b in batches(np.arange(6), np.arange(6), 6, seed=rng)]
    second = [b[1].tolist() for b in batches(np.arange(6), np.arange(6), 6, seed=rng)]
    assert sorted(first[0]) == sorted(second[0]) == list(range(6)) and first != second


def test_load_digits_is_sklearns_bundled_set_scaled_and_shuffled_by_the_seed():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits as sklearn_digits

    X, y = load_digits()
    reference = sklearn_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,) and y.dtype.kind == "i"
    assert X.min() == 0.0 and X.max() == 1.0
    order = np.random.default_rng(0).permutation(1797)
    np.testing.assert_array_equal(X, reference.data[order] / 16)
    np.testing.assert_array_equal(y, reference.target[order])
    X5, y5 = load_digits(5, seed=0)
    np.testing.assert_array_equal(X5, X[:5])
    np.testing.assert_array_equal(y5, y[:5])
    assert not np.array_equal(load_digits(5, seed=1)[0], X5)
