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


#: (id, call, exception, words in the message): each loss, one mistake each.
ERROR_CASES = [
    ("mse-lengths", lambda: mse([Value(1.0)], [1.0, 2.0]), ValueError, "mse: 1 predictions but 2 targets"),
    ("mse-empty", lambda: mse([], []), ValueError, "mse: the batch is empty"),
    ("mse-target-size", lambda: mse([Value(1.0)], [[1.0, 2.0]]), ValueError, "target 0 must be 1 number"),
    ("mse-target-nan", lambda: mse([Value(1.0)], [float("nan")]), ValueError,
     r"mse: target 0 must be 1 number\(s\) .*finite.*got float nan"),
    ("mse-target-str", lambda: mse([Value(1.0)], ["1"]), ValueError, r"mse: target 0 must be .*got str '1'"),
    ("mse-prediction-str", lambda: mse(["a"], [1.0]), TypeError, r"mse: prediction 0 must be a Value.*got str 'a'"),
    ("mse-prediction-none", lambda: mse([None], [1.0]), TypeError, r"prediction 0 must be a Value.*got NoneType None"),
    ("mse-predictions-dict", lambda: mse({"a": Value(1.0)}, [1.0]), TypeError,
     r"mse: predictions must be a list .*got dict"),
    ("mse-targets-none", lambda: mse([[Value(1.0)], [Value(2.0)]], None), TypeError,
     r"mse: targets must be a list .*got NoneType None"),
    ("mse-lone-sample-target-none", lambda: mse([Value(1.0), Value(2.0)], None), ValueError,
     r"mse: target 0 must be 2 number.*got NoneType None"),
    ("binary-cross-entropy-target-two", lambda: binary_cross_entropy([Value(1.0)], [2]), ValueError,
     r"target 0 must be a number in \[0, 1\], got int 2"),
    ("binary-cross-entropy-target-bool", lambda: binary_cross_entropy([Value(1.0)], [True]), ValueError,
     r"target 0 must be a number in \[0, 1\], got bool True"),
    ("binary-cross-entropy-two-logits", lambda: binary_cross_entropy([[Value(1.0), Value(2.0)]], [1]), ValueError,
     "must be one logit, got 2"),
    ("cross-entropy-class-out-of-range", lambda: cross_entropy([[Value(1.0), Value(2.0)]], [2]), ValueError,
     "target 0 must be a class index from 0 to 1, got int 2"),
    ("cross-entropy-class-float", lambda: cross_entropy([[Value(1.0), Value(2.0)]], [0.5]), ValueError, "class index"),
    ("cross-entropy-class-bool", lambda: cross_entropy([[Value(1.0), Value(2.0)]], [True]), ValueError,
     r"class index from 0 to 1, got bool True"),
    ("cross-entropy-one-logit", lambda: cross_entropy([[Value(1.0)]], [0]), ValueError, "one logit per class"),
    ("hinge-target-zero", lambda: hinge([Value(1.0)], [0]), ValueError,
     "hinge: target 0 must be -1 or \\+1, got int 0"),
    ("hinge-target-str", lambda: hinge(Value(1.0), "x"), ValueError, "must be -1 or \\+1"),
    ("hinge-target-bool", lambda: hinge([Value(1.0)], [True]), ValueError, r"-1 or \+1, got bool True"),
    ("hinge-two-scores", lambda: hinge([[Value(1.0), Value(2.0)]], [1]), ValueError,
     "hinge: prediction 0 must be one score, got 2"),
]



def test_numpy_scalars_and_arrays_are_numbers():
    assert mse([Value(1.0)], np.float32(0.5)).data == 0.25  # a lone sample with a NumPy target
    assert mse([Value(1.0), Value(3.0)], np.array([0.0, 1.0])).data == 2.5
    assert cross_entropy([[Value(0.0), Value(0.0)]], [np.int64(1)]).data == pytest.approx(math.log(2))
    assert hinge([np.float64(2.0)], [np.int64(1)]).data == 0.0
