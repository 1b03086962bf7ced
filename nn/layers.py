"""Building blocks of modern architectures, from Value nodes: Linear, Embedding, norms, self-attention.

They work on one sequence at a time: a vector is a list of Values, a sequence a
list of vectors.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from autograd_engine import Value, dot, softmax, vsum

from .module import Module, _check_size, _rng

__all__ = ["Linear", "Embedding", "LayerNorm", "RMSNorm", "SelfAttention"]

Vector = list[Value]


def _vector(x: Sequence[Any], size: int, who: str) -> list[Any]:
    if len(x) != size:
        raise ValueError(f"{who} expects vectors of {size} values, got {len(x)}")
    return list(x)


class Linear(Module):
    """``W x + b``: ``nout`` outputs, always returned as a list (unlike ``Layer`` with one neuron).

    Weights are uniform in ``±1/sqrt(nin)`` (PyTorch's default scale).

    >>> Linear(3, 2, seed=0)([1.0, 0.0, -1.0]).__len__()
    2
    """

    def __init__(self, nin: int, nout: int, bias: bool = True, seed: int | random.Random | None = None):
        nin, nout = _check_size(nin, "nin"), _check_size(nout, "nout")
        rng = _rng(seed)
        bound = 1 / math.sqrt(nin)
        self.weight = [[Value(rng.uniform(-bound, bound)) for _ in range(nin)] for _ in range(nout)]
        self.bias = [Value(0.0) for _ in range(nout)] if bias else []
        self.nin = nin

    def forward(self, x: Sequence[Value | float]) -> Vector:
        x = _vector(x, self.nin, "Linear")
        out = [dot(row, x) for row in self.weight]
        return [o + b for o, b in zip(out, self.bias)] if self.bias else out

    def __repr__(self) -> str:
        return f"Linear({self.nin} -> {len(self.weight)}{'' if self.bias else ', no bias'})"


class Embedding(Module):
    """A table of ``num`` learned vectors of size ``dim``; calling it with an index returns that row.

    >>> e = Embedding(5, 3, seed=0)
    >>> len(e(4)), e(4)[0] is e.weight[4][0]
    (3, True)
    """

    def __init__(self, num: int, dim: int, seed: int | random.Random | None = None, scale: float = 1.0):
        self.num, self.dim = _check_size(num, "num"), _check_size(dim, "dim")
        rng = _rng(seed)
        self.weight = [[Value(rng.gauss(0.0, scale)) for _ in range(dim)] for _ in range(num)]

    def forward(self, index: int) -> Vector:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.num:
            raise ValueError(f"Embedding index must be an int from 0 to {self.num - 1}, got {index!r}")
        return list(self.weight[index])

    def __repr__(self) -> str:
        return f"Embedding({self.num}, {self.dim})"


class LayerNorm(Module):
    """Normalise a vector to zero mean and unit variance over its features, then scale and shift.

    >>> out = LayerNorm(3)([1.0, 2.0, 3.0])
    >>> [round(v.data, 4) for v in out]
    [-1.2247, 0.0, 1.2247]
    """

    def __init__(self, dim: int, eps: float = 1e-5):
        self.dim = _check_size(dim, "dim")
        self.eps = float(eps)
        self.gamma = [Value(1.0) for _ in range(dim)]
        self.beta = [Value(0.0) for _ in range(dim)]

    def forward(self, x: Sequence[Value | float]) -> Vector:
        x = _vector(x, self.dim, "LayerNorm")
        mean = vsum(x) * (1.0 / self.dim)
        centred = [v - mean for v in x]
        inv = (vsum(c * c for c in centred) * (1.0 / self.dim) + self.eps) ** -0.5
        return [c * inv * g + b for c, g, b in zip(centred, self.gamma, self.beta)]

    def __repr__(self) -> str:
        return f"LayerNorm({self.dim})"


class RMSNorm(Module):
    """Scale a vector by the inverse of its root mean square, then by a learned gain.

    >>> [round(v.data, 4) for v in RMSNorm(2)([3.0, 4.0])]
    [0.8485, 1.1314]
    """

    def __init__(self, dim: int, eps: float = 1e-5):
        self.dim = _check_size(dim, "dim")
        self.eps = float(eps)
        self.gamma = [Value(1.0) for _ in range(dim)]

    def forward(self, x: Sequence[Value | float]) -> Vector:
        x = _vector(x, self.dim, "RMSNorm")
        inv = (vsum(v * v for v in x) * (1.0 / self.dim) + self.eps) ** -0.5
        return [v * inv * g for v, g in zip(x, self.gamma)]

    def __repr__(self) -> str:
        return f"RMSNorm({self.dim})"


class SelfAttention(Module):
    """Multi-head scaled dot-product self-attention over a sequence of vectors.

    For each head, ``softmax(q_t . k_u / sqrt(d))`` over the positions ``u`` (only
    ``u <= t`` when ``causal``) weighs the values ``v_u``; the heads are concatenated
    and projected back to ``dim``. The attention weights of the last call are kept,
    as floats, in ``attention[head][t][u]`` for plotting.

    Args:
        dim: the size of each vector; must be divisible by ``heads``.
        heads: number of attention heads.
        causal: position ``t`` attends only to positions up to ``t``.
        seed: an int or ``random.Random`` for the projections.
    """

    def __init__(self, dim: int, heads: int = 1, causal: bool = True, seed: int | random.Random | None = None):
        self.dim, self.heads = _check_size(dim, "dim"), _check_size(heads, "heads")
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be divisible by heads ({heads})")
        rng = _rng(seed)
        self.query, self.key, self.value, self.out = (Linear(dim, dim, bias=False, seed=rng) for _ in range(4))
        self.causal = bool(causal)
        self.attention: list[list[list[float]]] = []

    def forward(self, xs: Sequence[Sequence[Value | float]]) -> list[Vector]:
        if not xs:
            raise ValueError("SelfAttention needs a sequence of at least one vector")
        qs = [self.query(x) for x in xs]
        ks = [self.key(x) for x in xs]
        vs = [self.value(x) for x in xs]
        d = self.dim // self.heads
        scale = 1 / math.sqrt(d)
        heads_out: list[list[Value]] = [[] for _ in xs]
        self.attention = []
        for h in range(self.heads):
            cols = slice(h * d, (h + 1) * d)
            weights = []
            for t, q in enumerate(qs):
                visible = range(t + 1) if self.causal else range(len(xs))
                scores = [dot(q[cols], ks[u][cols]) * scale for u in visible]
                probs = softmax(scores)
                weights.append([p.data for p in probs] + [0.0] * (len(xs) - len(probs)))
                heads_out[t] += [dot(probs, [vs[u][cols][j] for u in visible]) for j in range(d)]
            self.attention.append(weights)
        return [self.out(o) for o in heads_out]

    def __repr__(self) -> str:
        return f"SelfAttention(dim={self.dim}, heads={self.heads}, causal={self.causal})"
