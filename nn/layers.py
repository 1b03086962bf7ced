"""Building blocks of modern architectures, from Value nodes: Linear, Embedding, self-attention.

They work on one sequence at a time: a vector is a list of Values, a sequence a
list of vectors. (The norms, ``LayerNorm`` and ``RMSNorm``, are in ``nn.norm``.)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

from autograd_engine import Value, dot, softmax
from autograd_engine.validation import as_bool, as_int, as_real, describe, python_rng

from .module import Module, as_count, as_size, as_vector, check_parameters, config_arguments, register_module

__all__ = ["Linear", "Embedding", "SelfAttention"]

Vector = list[Value]


@register_module
class Linear(Module):
    """``W x + b``: ``nout`` outputs, always returned as a list (unlike ``Layer`` with one neuron).

    Weights are uniform in ``±1/sqrt(nin)`` (PyTorch's default scale).

    >>> Linear(3, 2, seed=0)([1.0, 0.0, -1.0]).__len__()
    2
    """

    def __init__(self, nin: int, nout: int, bias: bool = True, seed: int | random.Random | None = None):
        nin, nout = as_size(nin, "nin"), as_size(nout, "nout")
        bias = as_bool(bias, "bias")
        check_parameters(nout * nin + (nout if bias else 0), f"Linear(nin={nin}, nout={nout})")
        rng = python_rng(seed)
        bound = 1 / math.sqrt(nin)
        self.weight = [[Value(rng.uniform(-bound, bound)) for _ in range(nin)] for _ in range(nout)]
        self.bias = [Value(0.0) for _ in range(nout)] if bias else []
        self.nin = nin

    def forward(self, x: Sequence[Value | float]) -> Vector:
        """``W x + b`` for one vector of ``nin`` numbers or Values."""
        x = as_vector(x, self.nin, "Linear")
        out = [dot(row, x) for row in self.weight]
        return [o + b for o, b in zip(out, self.bias)] if self.bias else out

    def config(self) -> dict[str, Any]:
        """``{"type": "Linear", "nin", "nout", "bias"}``."""
        return {"type": "Linear", "nin": self.nin, "nout": len(self.weight), "bias": bool(self.bias)}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """``nout * nin`` weights, and ``nout`` biases when ``bias``."""
        arguments = config_arguments(cls, config)
        nin, nout = as_count(arguments["nin"], "nin"), as_count(arguments["nout"], "nout")
        return nout * nin + (nout if as_bool(arguments["bias"], "bias") else 0)

    def __repr__(self) -> str:
        return f"Linear({self.nin} -> {len(self.weight)}{'' if self.bias else ', no bias'})"


@register_module
class Embedding(Module):
    """A table of ``num`` learned vectors of size ``dim``; calling it with an index returns that row.

    >>> e = Embedding(5, 3, seed=0)
    >>> len(e(4)), e(4)[0] is e.weight[4][0]
    (3, True)
    """

    def __init__(self, num: int, dim: int, seed: int | random.Random | None = None, scale: float = 1.0):
        self.num, self.dim = as_size(num, "num"), as_size(dim, "dim")
        check_parameters(self.num * self.dim, f"Embedding(num={self.num}, dim={self.dim})")
        self.scale = as_real(scale, "scale", finite=True, minimum=0)
        rng = python_rng(seed)
        self.weight = [[Value(rng.gauss(0.0, self.scale)) for _ in range(self.dim)] for _ in range(self.num)]

    def forward(self, index: int) -> Vector:
        """Row ``index`` (an int from 0 to ``num - 1``; NumPy ints too) of the table: its parameters themselves."""
        return list(self.weight[as_int(index, "Embedding index", minimum=0, maximum=self.num - 1)])

    def config(self) -> dict[str, Any]:
        """``{"type": "Embedding", "num", "dim", "scale"}``."""
        return {"type": "Embedding", "num": self.num, "dim": self.dim, "scale": self.scale}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """``num * dim`` entries."""
        arguments = config_arguments(cls, config)
        return as_count(arguments["num"], "num") * as_count(arguments["dim"], "dim")

    def __repr__(self) -> str:
        return f"Embedding({self.num}, {self.dim})"


def _attention_sizes(dim: Any, heads: Any, size: Callable[[Any, str], int] = as_size) -> tuple[int, int]:
    dim, heads = size(dim, "dim"), size(heads, "heads")
    if dim % heads:
        raise ValueError(f"dim ({dim}) must be divisible by heads ({heads})")
    return dim, heads


@register_module
class SelfAttention(Module):
    """Multi-head scaled dot-product self-attention over a sequence of vectors.

    For each head, ``softmax(q_t . k_u / sqrt(d))`` over the positions ``u`` (only
    ``u <= t`` when ``causal``) weighs the values ``v_u``; the heads are concatenated
    and projected back to ``dim``. The attention weights of the last call are read, as
    floats, from ``attention[head][t][u]`` for plotting (the forward pass itself reads no
    ``.data``, so it can be traced by ``autograd_engine.trace``).

    Args:
        dim: the size of each vector; must be divisible by ``heads``.
        heads: number of attention heads.
        causal: position ``t`` attends only to positions up to ``t``.
        seed: an int or ``random.Random`` for the projections.
    """

    def __init__(self, dim: int, heads: int = 1, causal: bool = True, seed: int | random.Random | None = None):
        self.dim, self.heads = _attention_sizes(dim, heads)
        check_parameters(4 * self.dim * self.dim, f"SelfAttention(dim={self.dim})")
        self.causal = as_bool(causal, "causal")
        rng = python_rng(seed)
        self.query, self.key, self.value, self.out = (Linear(self.dim, self.dim, bias=False, seed=rng)
                                                      for _ in range(4))
        self._probs: list[list[list[Value]]] = []

    @property
    def attention(self) -> list[list[list[float]]]:
        """The attention weights of the last call as floats, ``[head][t][u]`` (0 where ``u`` is masked)."""
        return [[[p.data for p in probs] + [0.0] * (len(weights) - len(probs)) for probs in weights]
                for weights in self._probs]

    def forward(self, xs: Sequence[Sequence[Value | float]]) -> list[Vector]:
        """One output vector per position of the sequence ``xs`` (a list of ``dim``-vectors).

        Raises:
            TypeError: ``xs`` is not a sequence of vectors of numbers or Values.
            ValueError: ``xs`` is empty, or a vector has another size than ``dim``.
        """
        if isinstance(xs, (str, bytes)) or not (isinstance(xs, Sequence) or getattr(xs, "ndim", None) == 2):
            raise TypeError(f"SelfAttention xs must be a sequence of vectors of {self.dim} numbers or Values, "
                            f"got {describe(xs)}")
        if len(xs) == 0:
            raise ValueError("SelfAttention needs a sequence of at least one vector, got an empty one")
        xs = [as_vector(x, self.dim, "SelfAttention", name=f"xs[{t}]") for t, x in enumerate(xs)]
        qs = [self.query(x) for x in xs]
        ks = [self.key(x) for x in xs]
        vs = [self.value(x) for x in xs]
        d = self.dim // self.heads
        scale = 1 / math.sqrt(d)
        heads_out: list[list[Value]] = [[] for _ in xs]
        self._probs = []
        for h in range(self.heads):
            cols = slice(h * d, (h + 1) * d)
            weights = []
            for t, q in enumerate(qs):
                visible = range(t + 1) if self.causal else range(len(xs))
                scores = [dot(q[cols], ks[u][cols]) * scale for u in visible]
                probs = softmax(scores)
                weights.append(probs)
                heads_out[t] += [dot(probs, [vs[u][cols][j] for u in visible]) for j in range(d)]
            self._probs.append(weights)
        return [self.out(o) for o in heads_out]

    def config(self) -> dict[str, Any]:
        """``{"type": "SelfAttention", "dim", "heads", "causal"}``."""
        return {"type": "SelfAttention", "dim": self.dim, "heads": self.heads, "causal": self.causal}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """Four ``dim x dim`` projections."""
        arguments = config_arguments(cls, config)
        dim, _ = _attention_sizes(arguments["dim"], arguments["heads"], as_count)
        return 4 * dim * dim

    def __repr__(self) -> str:
        return f"SelfAttention(dim={self.dim}, heads={self.heads}, causal={self.causal})"
