"""nn.layers: Linear, Embedding, LayerNorm, RMSNorm and SelfAttention against NumPy, gradients, masking."""

import numpy as np
import pytest

from autograd_engine import Value, gradcheck, vsum
from nn import Embedding, LayerNorm, Linear, RMSNorm, SelfAttention


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


def test_self_attention_validation():
    with pytest.raises(ValueError, match=r"dim \(5\) must be divisible by heads \(2\)"):
        SelfAttention(5, heads=2)
    with pytest.raises(ValueError, match="at least one vector"):
        SelfAttention(2, seed=0)([])
