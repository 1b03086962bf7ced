"""Workloads written once against any Value class, so every engine does identical work.

Each workload uses only what every engine offers (``+ - * / **``, ``relu``, ``exp``,
``log``) and takes the engine's ``Value`` class as an argument. Starting weights
come from a seeded generator, so all engines start from the same numbers.
"""

from __future__ import annotations

import random

import numpy as np

from nn.data import make_moons


def mlp_weights(sizes, seed=1337):
    """Uniform(-1, 1) weights and zero biases for an MLP of ``sizes``, as nested lists of floats."""
    rng = random.Random(seed)
    return [[([rng.uniform(-1, 1) for _ in range(nin)], 0.0) for _ in range(nout)]
            for nin, nout in zip(sizes[:-1], sizes[1:])]


class PerOpMLP:
    """micrograd's MLP, graph for graph: ``sum(w*x for ...) + b`` then ``relu`` (none on the last layer)."""

    def __init__(self, V, weights):
        self.layers = [[([V(w) for w in ws], V(b)) for ws, b in layer] for layer in weights]

    def __call__(self, x):
        for i, layer in enumerate(self.layers):
            last = i == len(self.layers) - 1
            out = []
            for ws, b in layer:
                act = sum((wi * xi for wi, xi in zip(ws, x)), b)
                out.append(act if last else act.relu())
            x = out
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for ws, b in layer for p in [*ws, b]]


def moons_data(n=100, seed=0):
    """The demo's data: 100 moons points with noise 0.1, labels -1/+1."""
    X, y = make_moons(n, noise=0.1, seed=seed)
    return X.tolist(), (2 * y - 1).tolist()


def moons_step(V, model, X, y, k=0, alpha=1e-4, **backward_kwargs):
    """One step of micrograd's demo: SVM max-margin loss + L2, full batch, backward, SGD update.

    ``backward_kwargs`` go to ``backward()`` (``create_graph=True`` for this engine).
    Returns the loss (float) before the update.
    """
    inputs = [[V(v) for v in row] for row in X]
    scores = [model(row) for row in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    for p in model.parameters():
        p.grad = 0.0
    total.backward(**backward_kwargs)
    lr = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= lr * float(p.grad)
    return total.data


def chain(V, n, c=0.999999, d=1e-6):
    """``y = y*c + d`` repeated ``n`` times from a leaf ``x``; returns (x, y)."""
    x = V(1.0)
    cv, dv = V(c), V(d)
    y = x
    for _ in range(n):
        y = y * cv + dv
    return x, y


class TinyTransformer:
    """One-layer, multi-head, causal character-level transformer built from scalar Values.

    Embedding 16, 4 heads of 4, context 12, a ReLU MLP of width 32, no normalisation;
    softmax via ``exp`` and division, loss via ``log``.
    """

    def __init__(self, V, vocab=27, n_embd=16, n_head=4, block=12, seed=0):
        rng = np.random.default_rng(seed)

        def mat(rows, cols, scale):
            return [[V(float(v)) for v in row] for row in rng.normal(0, scale, (rows, cols))]

        self.V, self.n_head, self.hs = V, n_head, n_embd // n_head
        self.wte, self.wpe = mat(vocab, n_embd, 0.3), mat(block, n_embd, 0.3)
        s = n_embd**-0.5
        self.wq, self.wk, self.wv, self.wo = (mat(n_embd, n_embd, s) for _ in range(4))
        self.w1, self.w2 = mat(n_embd, 2 * n_embd, s), mat(2 * n_embd, n_embd, (2 * n_embd) ** -0.5)
        self.head = mat(n_embd, vocab, s)

    @staticmethod
    def matvec(x, w):
        return [sum(x[i] * w[i][j] for i in range(len(x))) for j in range(len(w[0]))]

    def parameters(self):
        mats = (self.wte, self.wpe, self.wq, self.wk, self.wv, self.wo, self.w1, self.w2, self.head)
        return [p for m in mats for row in m for p in row]

    def loss(self, tokens, targets):
        xs = [[t + p for t, p in zip(self.wte[tok], self.wpe[i])] for i, tok in enumerate(tokens)]
        qs = [self.matvec(x, self.wq) for x in xs]
        ks = [self.matvec(x, self.wk) for x in xs]
        vs = [self.matvec(x, self.wv) for x in xs]
        scale = self.hs**-0.5
        total = 0
        for t, x in enumerate(xs):
            heads = []
            for h in range(self.n_head):
                sl = slice(h * self.hs, (h + 1) * self.hs)
                scores = [sum(a * b for a, b in zip(qs[t][sl], ks[u][sl])) * scale for u in range(t + 1)]
                m = max(s.data for s in scores)
                es = [(s - m).exp() for s in scores]
                z = sum(es)
                heads += [sum(es[u] * vs[u][sl][j] for u in range(t + 1)) / z for j in range(self.hs)]
            x = [a + b for a, b in zip(x, self.matvec(heads, self.wo))]
            hidden = [h.relu() for h in self.matvec(x, self.w1)]
            x = [a + b for a, b in zip(x, self.matvec(hidden, self.w2))]
            logits = self.matvec(x, self.head)
            m = max(v.data for v in logits)
            z = sum((v - m).exp() for v in logits)
            total = total + (-((logits[targets[t]] - m).exp() / z).log())
        return total * (1.0 / len(xs))


def transformer_step(V, model, tokens, targets, lr=0.01):
    """Forward, backward and an SGD update of :class:`TinyTransformer`; returns the loss."""
    loss = model.loss(tokens, targets)
    for p in model.parameters():
        p.grad = 0.0
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data
