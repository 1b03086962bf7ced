"""nn.losses: values against closed forms and HIPS autograd, stability, validation."""

import math

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from autograd_engine import Value, gradcheck
from nn import binary_cross_entropy, cross_entropy, hinge, mse


def test_mse():
    assert mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data == 2.5
    assert mse([[Value(1.0), Value(2.0)]], [[1.0, 0.0]]).data == 2.0  # mean over outputs too
    assert mse(Value(2.0), 1.0).data == 1.0  # a lone sample
    assert gradcheck(lambda a, b: mse([a, b], [0.5, -1.0]), [0.3, 2.0])


def test_binary_cross_entropy_matches_the_formula_and_is_stable():
    zs, ts = [0.3, -2.0, 5.0], [1, 0, 1]
    expected = np.mean([-t * math.log(1 / (1 + math.exp(-z))) - (1 - t) * math.log(1 - 1 / (1 + math.exp(-z)))
                        for z, t in zip(zs, ts)])
    assert binary_cross_entropy([Value(z) for z in zs], ts).data == pytest.approx(expected, rel=1e-12)
    assert binary_cross_entropy([Value(1000.0)], [0]).data == pytest.approx(1000.0)
    assert binary_cross_entropy([Value(-1000.0)], [0]).data == 0.0
    z = Value(0.7)
    binary_cross_entropy([z], [1]).backward()
    assert z.grad == pytest.approx(1 / (1 + math.exp(-0.7)) - 1)


def test_cross_entropy_matches_hips_autograd():
    logits, target = [1.5, -0.3, 0.2], 2
    vs = [Value(v) for v in logits]
    loss = cross_entropy([vs], [target])
    loss.backward()

    def ref(z):
        m = anp.max(z)
        return m + anp.log(anp.sum(anp.exp(z - m))) - z[target]

    assert loss.data == pytest.approx(float(ref(anp.array(logits))), rel=1e-12)
    np.testing.assert_allclose([v.grad for v in vs], autograd.grad(ref)(anp.array(logits)), rtol=1e-12)
    assert cross_entropy([Value(1000.0), Value(0.0)], 1).data == pytest.approx(1000.0)  # lone sample, stable
    batch = cross_entropy([[Value(0.0), Value(0.0)], [Value(0.0), Value(0.0)]], [0, 1])
    assert batch.data == pytest.approx(math.log(2))


def test_hinge_is_micrograds_svm_loss():
    assert hinge([Value(2.0), Value(0.5)], [1, -1]).data == 0.75
    s = Value(0.2)
    hinge([s], [1]).backward()
    assert s.grad == -1.0


@pytest.mark.parametrize("call, pattern", [
    (lambda: mse([Value(1.0)], [1.0, 2.0]), "mse: 1 predictions but 2 targets"),
    (lambda: mse([], []), "mse: the batch is empty"),
    (lambda: mse([Value(1.0)], [[1.0, 2.0]]), "target 0 must be 1 number"),
    (lambda: mse(["a"], [1.0]), "prediction 0 must be a Value"),
    (lambda: binary_cross_entropy([Value(1.0)], [2]), r"target 0 must be a number in \[0, 1\], got 2"),
    (lambda: binary_cross_entropy([[Value(1.0), Value(2.0)]], [1]), "must be one logit, got 2"),
    (lambda: cross_entropy([[Value(1.0), Value(2.0)]], [2]), "target 0 must be a class index from 0 to 1, got 2"),
    (lambda: cross_entropy([[Value(1.0), Value(2.0)]], [0.5]), "class index"),
    (lambda: cross_entropy([[Value(1.0)]], [0]), "one logit per class"),
    (lambda: hinge([Value(1.0)], [0]), "hinge: target 0 must be -1 or \\+1, got 0"),
    (lambda: hinge(Value(1.0), "x"), "must be -1 or \\+1"),
    (lambda: hinge([[Value(1.0), Value(2.0)]], [1]), "hinge: prediction 0 must be one score, got 2"),
])
def test_validation(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
