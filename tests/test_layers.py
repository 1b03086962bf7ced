"""nn.layers: Linear, Embedding, LayerNorm, RMSNorm and SelfAttention against NumPy, gradients, masking."""

import math

import numpy as np
import pytest

from autograd_engine import Value, gradcheck, vsum
from nn import BatchNorm, Embedding, LayerNorm, Linear, RMSNorm, SelfAttention
from nn.norm import deferred_statistics


def data(vectors):
    return np.array([[v.data for v in x] for x in vectors])


def test_linear_matches_numpy_and_names_its_parameters():
    lin = Linear(3, 2, seed=0)
    W = np.array([[w.data for w in row] for row in lin.weight])
    x = [0.5, -1.0, 2.0]
    np.testing.assert_allclose([v.data for v in lin(x)], W @ x, rtol=1e-14)
    assert [n for n, _ in lin.named_parameters()][:2] == ["weight.0.0", "weight.0.1"]
    assert len(lin.parameters()) == 8 and len(Linear(3, 2, bias=False, seed=0).parameters()) == 6
    assert np.abs(W).max() <= 1 / np.sqrt(3)
    with pytest.raises(ValueError, match="Linear expects vectors of 3 values, got 2"):
        lin([1.0, 2.0])


def test_embedding_rows_are_parameters():
    e = Embedding(4, 2, seed=0)
    row = e(2)
    vsum(row).backward()
    assert [w.grad for w in e.weight[2]] == [1.0, 1.0] and e.weight[1][0].grad == 0.0
    assert len(e.parameters()) == 8
    with pytest.raises(ValueError, match="index must be an int from 0 to 3, got 4"):
        e(4)


def test_layernorm_and_rmsnorm_match_numpy_and_gradcheck():
    x = np.array([0.5, -1.0, 2.0, 0.1])
    ln = LayerNorm(4)
    np.testing.assert_allclose([v.data for v in ln(list(x))], (x - x.mean()) / np.sqrt(x.var() + 1e-5), rtol=1e-12)
    rms = RMSNorm(4)
    np.testing.assert_allclose([v.data for v in rms(list(x))], x / np.sqrt((x**2).mean() + 1e-5), rtol=1e-12)
    weights = [1.0, -2.0, 0.5, 3.0]
    assert gradcheck(lambda *v: vsum(o * w for o, w in zip(LayerNorm(4)(list(v)), weights)), list(x))
    assert gradcheck(lambda *v: vsum(o * w for o, w in zip(RMSNorm(4)(list(v)), weights)), list(x))


def reference_attention(att, X, causal):
    W = {name: np.array([[w.data for w in row] for row in getattr(att, name).weight])
         for name in ("query", "key", "value", "out")}
    Q, K, V = X @ W["query"].T, X @ W["key"].T, X @ W["value"].T
    d = att.dim // att.heads
    T = len(X)
    outs = np.zeros((T, att.dim))
    probs_all = []
    for h in range(att.heads):
        sl = slice(h * d, (h + 1) * d)
        scores = Q[:, sl] @ K[:, sl].T / np.sqrt(d)
        if causal:
            scores = np.where(np.tril(np.ones((T, T))) > 0, scores, -np.inf)
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        probs_all.append(p)
        outs[:, sl] = p @ V[:, sl]
    return outs @ W["out"].T, probs_all


@pytest.mark.parametrize("heads, causal", [(1, True), (2, True), (2, False)])
def test_self_attention_matches_numpy(heads, causal):
    att = SelfAttention(4, heads=heads, causal=causal, seed=1)
    X = np.random.default_rng(0).normal(size=(5, 4))
    out = att([list(x) for x in X])
    expected, probs = reference_attention(att, X, causal)
    np.testing.assert_allclose(data(out), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.array(att.attention), np.array(probs), rtol=1e-10, atol=1e-12)


def test_causal_attention_ignores_the_future():
    att = SelfAttention(2, causal=True, seed=0)
    xs = [[Value(0.3), Value(-0.2)], [Value(1.0), Value(0.5)], [Value(-0.7), Value(0.9)]]
    out = att(xs)
    vsum(out[0]).backward()  # position 0's output
    assert all(v.grad == 0.0 for v in xs[1] + xs[2]) and any(v.grad != 0.0 for v in xs[0])


def test_self_attention_gradcheck():
    att = SelfAttention(2, heads=1, causal=False, seed=3)

    def f(a, b, c, d):
        out = att([[a, b], [c, d]])
        return vsum(v * w for v, w in zip(out[0] + out[1], [0.5, -1.0, 2.0, 0.3]))

    assert gradcheck(f, [0.1, -0.4, 0.8, 0.2])


def test_self_attention_forward_reads_no_data():
    # The weights are read when asked for, so the forward pass itself could be traced.
    att = SelfAttention(2, seed=0)
    X = [[1.0, 0.0], [0.5, -1.0]]
    att(X)
    first = att.attention
    att([[0.0, 2.0], [1.0, 1.0]])
    assert att.attention != first and att.attention[0][0] == [1.0, 0.0]
    assert sum(att.attention[0][1]) == pytest.approx(1.0, rel=1e-15)


def test_batchnorm_defers_its_statistics_inside_the_block():
    data = [[1.0, 10.0], [3.0, 14.0], [8.0, 9.0]]
    deferred, direct = BatchNorm(2, momentum=0.3), BatchNorm(2, momentum=0.3)
    with deferred_statistics() as stats:
        out = deferred.forward_batch(data)
    assert deferred.running_mean == [0.0, 0.0] and deferred.running_var == [1.0, 1.0]
    assert [(m is deferred, j, n) for m, j, _, _, n in stats] == [(True, 0, 3), (True, 1, 3)]
    for m, j, mean, var, n in stats:
        m.update_statistics(j, mean.data, var.data, n)
    expected = direct.forward_batch(data)
    assert [[v.data for v in o] for o in out] == [[v.data for v in o] for o in expected]
    assert deferred.running_mean == direct.running_mean and deferred.running_var == direct.running_var
    a = np.array(data)
    np.testing.assert_allclose(direct.running_mean, 0.3 * a.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(direct.running_var, 0.7 + 0.3 * a.var(axis=0, ddof=1), rtol=1e-15)


def test_self_attention_validation():
    with pytest.raises(ValueError, match=r"dim \(5\) must be divisible by heads \(2\)"):
        SelfAttention(5, heads=2)
    with pytest.raises(ValueError, match="at least one vector"):
        SelfAttention(2, seed=0)([])


def test_sizes_and_inputs_take_numpy_scalars_and_arrays():
    lin = Linear(np.int64(3), np.int32(2), seed=np.int64(0))
    x = np.array([0.5, -1.0, 2.0])
    expected = [v.data for v in lin(list(x))]
    assert [v.data for v in lin(x)] == expected == [v.data for v in lin(tuple(x))]
    e = Embedding(np.int64(4), np.int64(2), seed=0, scale=np.float32(0.5))
    assert e(np.int32(3))[1] is e.weight[3][1] and e.scale == 0.5
    assert LayerNorm(np.int64(3), eps=np.float32(1e-3)).eps == pytest.approx(1e-3)
    assert len(RMSNorm(np.int64(2))(np.array([3.0, 4.0]))) == 2
    att = SelfAttention(np.int64(4), heads=np.int64(2), seed=0)
    assert (att.dim, att.heads) == (4, 2) and type(att.dim) is int
    assert len(att(np.ones((3, 4)))) == 3


_lin = Linear(3, 2, seed=0)
_emb = Embedding(3, 2, seed=0)
_att = SelfAttention(2, seed=0)

ERROR_CASES = [
    ("Linear-nin-zero", lambda: Linear(0, 2), ValueError, r"^nin must be an int >= 1, got 0$"),
    ("Linear-nout-negative", lambda: Linear(2, -1), ValueError, r"^nout must be an int >= 1, got -1$"),
    ("Linear-nin-a-bool", lambda: Linear(True, 2), TypeError, r"^nin must be an int, got bool True$"),
    ("Linear-nout-a-str", lambda: Linear(2, "2"), TypeError, r"^nout must be an int, got str '2'$"),
    ("Linear-nin-none", lambda: Linear(None, 2), TypeError, r"^nin must be an int, got NoneType None$"),
    ("Linear-nin-huge", lambda: Linear(10**12, 2), ValueError,
     r"^nin must be an int from 1 to 10000000 \(nn.module.MAX_SIZE\), got 1000000000000$"),
    ("Linear-sizes-whose-product-is-huge", lambda: Linear(10**7, 10**7), ValueError,
     r"^Linear\(nin=10000000, nout=10000000\) would have 100000010000000 parameters, more than 10000000 "
     r"\(nn.module.MAX_SIZE\); use smaller sizes$"),
    ("Linear-bias-an-int", lambda: Linear(2, 2, bias=1),
     TypeError, r"^bias must be a bool \(True or False\), got int 1$"),
    ("Linear-seed-a-str", lambda: Linear(2, 2, seed="0"), TypeError,
     r"^seed must be an int, a random.Random or None, got str '0'$"),
    ("Linear-called-with-none", lambda: _lin(None), TypeError,
     r"^Linear input must be a vector of 3 numbers or Values \(a list, tuple or 1-D array\), got NoneType None$"),
    ("Linear-called-with-a-dict", lambda: _lin({0: 1.0, 1: 2.0, 2: 3.0}), TypeError,
     r"^Linear input must be a vector of 3 numbers or Values .*got dict"),
    ("Linear-called-with-a-str", lambda: _lin("abc"),
     TypeError, r"^Linear input must be a vector of 3 .*got str 'abc'$"),
    ("Linear-called-with-a-list-of-vectors", lambda: _lin([[1.0] * 3] * 3), TypeError,
     r"^Linear input\[0\] must be a Value or a real number, got list \[1.0, 1.0, 1.0\]$"),
    ("Linear-called-with-too-few", lambda: _lin([1.0, 2.0]),
     ValueError, r"^Linear expects vectors of 3 values, got 2$"),
    ("Linear-called-with-none-inside", lambda: _lin([1.0, None, 2.0]), TypeError,
     r"^Linear input\[1\] must be a Value or a real number, got NoneType None$"),
    ("Embedding-num-zero", lambda: Embedding(0, 2), ValueError, r"^num must be an int >= 1, got 0$"),
    ("Embedding-dim-a-float", lambda: Embedding(2, 2.0), TypeError, r"^dim must be an int, got float 2.0$"),
    ("Embedding-num-huge", lambda: Embedding(10**12, 2), ValueError, r"^num must be an int from 1 to 10000000"),
    ("Embedding-sizes-whose-product-is-huge", lambda: Embedding(10**6, 10**6), ValueError,
     r"^Embedding\(num=1000000, dim=1000000\) would have 1000000000000 parameters, more than 10000000"),
    ("Embedding-scale-negative", lambda: Embedding(2, 2, scale=-1), ValueError,
     r"^scale must be a finite number >= 0, got -1.0$"),
    ("Embedding-scale-nan", lambda: Embedding(2, 2, scale=math.nan), ValueError,
     r"^scale must be a finite number >= 0, got nan$"),
    ("Embedding-scale-a-str", lambda: Embedding(2, 2, scale="1"),
     TypeError, r"^scale must be a real number, got str '1'$"),
    ("Embedding-index-out-of-range", lambda: _emb(3),
     ValueError, r"^Embedding index must be an int from 0 to 2, got 3$"),
    ("Embedding-index-negative", lambda: _emb(-1), ValueError, r"^Embedding index must be an int from 0 to 2, got -1$"),
    ("Embedding-index-huge", lambda: _emb(10**30), ValueError,
     r"^Embedding index must be an int from 0 to 2, got 1000000000000000000000000000000$"),
    ("Embedding-index-a-bool", lambda: _emb(True), TypeError, r"^Embedding index must be an int, got bool True$"),
    ("Embedding-index-a-float", lambda: _emb(1.0), TypeError, r"^Embedding index must be an int, got float 1.0$"),
    ("Embedding-index-a-numpy-float", lambda: _emb(np.float64(1.0)), TypeError,
     r"^Embedding index must be an int, got float64"),
    ("Embedding-index-none", lambda: _emb(None), TypeError, r"^Embedding index must be an int, got NoneType None$"),
    ("Embedding-index-a-list", lambda: _emb([0]), TypeError, r"^Embedding index must be an int, got list \[0\]$"),
    ("SelfAttention-dim-zero", lambda: SelfAttention(0), ValueError, r"^dim must be an int >= 1, got 0$"),
    ("SelfAttention-heads-a-bool", lambda: SelfAttention(2, heads=True),
     TypeError, r"^heads must be an int, got bool True$"),
    ("SelfAttention-heads-do-not-divide-dim", lambda: SelfAttention(5, heads=2), ValueError,
     r"^dim \(5\) must be divisible by heads \(2\)$"),
    ("SelfAttention-dim-huge", lambda: SelfAttention(10**12), ValueError, r"^dim must be an int from 1 to 10000000"),
    ("SelfAttention-dim-too-many-parameters", lambda: SelfAttention(10**4), ValueError,
     r"^SelfAttention\(dim=10000\) would have 400000000 parameters, more than 10000000"),
    ("SelfAttention-causal-a-str", lambda: SelfAttention(2, causal="yes"), TypeError,
     r"^causal must be a bool \(True or False\), got str 'yes'$"),
    ("SelfAttention-called-with-none", lambda: _att(None), TypeError,
     r"^SelfAttention xs must be a sequence of vectors of 2 numbers or Values, got NoneType None$"),
    ("SelfAttention-called-with-nothing", lambda: _att([]), ValueError,
     r"^SelfAttention needs a sequence of at least one vector, got an empty one$"),
    ("SelfAttention-called-with-one-flat-vector", lambda: _att([1.0, 2.0]), TypeError,
     r"^SelfAttention xs\[0\] must be a vector of 2 numbers or Values \(a list, tuple or 1-D array\), got float 1.0$"),
    ("SelfAttention-called-with-a-short-vector", lambda: _att([[1.0, 2.0], [1.0]]), ValueError,
     r"^SelfAttention expects vectors of 2 values, got 1 in xs\[1\]$"),
    ("SelfAttention-called-with-a-str-inside", lambda: _att([[1.0, "b"]]), TypeError,
     r"^SelfAttention xs\[0\]\[1\] must be a Value or a real number, got str 'b'$"),
    ("LayerNorm-dim-zero", lambda: LayerNorm(0), ValueError, r"^dim must be an int >= 1, got 0$"),
    ("LayerNorm-dim-a-str", lambda: LayerNorm("3"), TypeError, r"^dim must be an int, got str '3'$"),
    ("LayerNorm-dim-huge", lambda: LayerNorm(10**12), ValueError, r"^dim must be an int from 1 to 10000000"),
    ("LayerNorm-dim-too-many-parameters", lambda: LayerNorm(6 * 10**6), ValueError,
     r"^LayerNorm\(dim=6000000\) would have 12000000 parameters, more than 10000000"),
    ("LayerNorm-eps-negative", lambda: LayerNorm(2, eps=-1e-5),
     ValueError, r"^eps must be a finite number > 0, got -1e-05$"),
    ("LayerNorm-eps-a-bool", lambda: LayerNorm(2, eps=False),
     TypeError, r"^eps must be a real number, got bool False$"),
    ("LayerNorm-called-with-a-number", lambda: LayerNorm(2)(3.0), TypeError,
     r"^LayerNorm input must be a vector of 2 numbers or Values \(a list, tuple or 1-D array\), got float 3.0$"),
    ("LayerNorm-called-with-too-many", lambda: LayerNorm(2)([1.0, 2.0, 3.0]), ValueError,
     r"^LayerNorm expects vectors of 2 values, got 3$"),
    ("LayerNorm-called-with-a-str-inside", lambda: LayerNorm(2)(["a", 1.0]), TypeError,
     r"^LayerNorm input\[0\] must be a Value or a real number, got str 'a'$"),
    ("RMSNorm-dim-negative", lambda: RMSNorm(-1), ValueError, r"^dim must be an int >= 1, got -1$"),
    ("RMSNorm-dim-none", lambda: RMSNorm(None), TypeError, r"^dim must be an int, got NoneType None$"),
    ("RMSNorm-dim-huge", lambda: RMSNorm(10**12), ValueError, r"^dim must be an int from 1 to 10000000"),
    ("RMSNorm-eps-inf", lambda: RMSNorm(2, eps=math.inf), ValueError, r"^eps must be a finite number > 0, got inf$"),
    ("RMSNorm-called-with-none", lambda: RMSNorm(2)(None), TypeError,
     r"^RMSNorm input must be a vector of 2 numbers or Values .*got NoneType None$"),
    ("RMSNorm-called-with-none-inside", lambda: RMSNorm(2)([None, None]), TypeError,
     r"^RMSNorm input\[0\] must be a Value or a real number, got NoneType None$"),
]
