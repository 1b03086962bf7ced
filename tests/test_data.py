"""nn.data: shapes, labels, geometry, seeding, batches."""

import numpy as np
import pytest

from nn import batches, make_blobs, make_circles, make_moons, make_spirals, make_xor


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


@pytest.mark.parametrize("call, exc, pattern", [
    (lambda: make_moons(1), ValueError, "n_samples must be an integer >= 2"),
    (lambda: make_moons(10, noise=-1), ValueError, "noise must be a number >= 0"),
    (lambda: make_moons(10, seed="a"), TypeError, "seed must be an int"),
    (lambda: make_circles(10, factor=1.5), ValueError, r"factor must be a number in \(0, 1\)"),
    (lambda: make_spirals(10, n_classes=1), ValueError, "n_classes must be an integer >= 2"),
    (lambda: make_blobs(10, centers=[1, 2]), ValueError, "centers must be an int or a list"),
    (lambda: list(batches([[1]], [1], 0)), ValueError, "batch_size must be an integer >= 1"),
])
def test_validation(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
