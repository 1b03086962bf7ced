"""Losses over a batch: each returns the mean over samples as one Value.

Predictions are what a model returns per sample: a Value (one output) or a list
of Values (several outputs). A single sample may be passed without the batch list.

Every loss checks its arguments: predictions that are not Values or numbers raise
``TypeError``; mismatched lengths, an empty batch and targets outside the loss's domain
raise ``ValueError``; each message names the sample and shows the value received.
"""

from __future__ import annotations

import math
from typing import Any

from autograd_engine import Value, logsumexp, vsum
from autograd_engine.validation import describe, is_int, is_real

__all__ = ["mse", "binary_cross_entropy", "cross_entropy", "hinge", "LOSSES"]


def _batch(preds: Any, targets: Any, name: str) -> tuple[list[Any], list[Any]]:
    """Both as equal-length lists; a lone prediction with a lone target is a batch of one."""
    if hasattr(targets, "tolist"):  # a NumPy array or scalar
        targets = targets.tolist()
    if isinstance(preds, Value) or (isinstance(preds, list) and preds and isinstance(preds[0], Value)
                                    and not isinstance(targets, (list, tuple))):
        preds, targets = [preds], [targets]
    for arg, value in (("predictions", preds), ("targets", targets)):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{name}: {arg} must be a list (one entry per sample), got {describe(value)}")
    if len(preds) != len(targets):
        raise ValueError(f"{name}: {len(preds)} predictions but {len(targets)} targets")
    if not preds:
        raise ValueError(f"{name}: the batch is empty")
    return list(preds), list(targets)


def _values(pred: Any, i: int, name: str) -> list[Value]:
    items = pred if isinstance(pred, (list, tuple)) else [pred]
    for v in items:
        if not isinstance(v, Value) and not is_real(v):
            raise TypeError(f"{name}: prediction {i} must be a Value or a list of Values, got {describe(pred)}")
    return [v if isinstance(v, Value) else Value(v) for v in items]


def _one_each(preds: list[Any], name: str, what: str) -> list[Value]:
    """The single Value of each sample's prediction; ``ValueError`` when a sample has several."""
    out = []
    for i, p in enumerate(preds):
        vs = _values(p, i, name)
        if len(vs) != 1:
            raise ValueError(f"{name}: prediction {i} must be one {what}, got {len(vs)}")
        out.append(vs[0])
    return out


def _mean(terms: list[Value]) -> Value:
    return vsum(terms) * (1.0 / len(terms))


def mse(preds: Any, targets: Any) -> Value:
    """Mean squared error over samples (and outputs): ``mean((pred - target) ** 2)``.

    >>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    2.5
    """
    preds, targets = _batch(preds, targets, "mse")
    terms = []
    for i, (p, t) in enumerate(zip(preds, targets)):
        ps = _values(p, i, "mse")
        ts = t if isinstance(t, (list, tuple)) else [t]
        if len(ts) != len(ps) or not all(is_real(v) and math.isfinite(v) for v in ts):
            raise ValueError(f"mse: target {i} must be {len(ps)} number(s) to match the prediction (finite), "
                             f"got {describe(t)}")
        terms += [(pv - tv) ** 2 for pv, tv in zip(ps, ts)]
    return _mean(terms)


def binary_cross_entropy(logits: Any, targets: Any) -> Value:
    """Binary cross-entropy from logits, numerically stable: ``softplus(z) - t * z``.

    Targets are probabilities in [0, 1] (usually the labels 0 and 1).

    >>> round(binary_cross_entropy([Value(0.0)], [1]).data, 6)
    0.693147
    """
    logits, targets = _batch(logits, targets, "binary_cross_entropy")
    terms = []
    for i, (z, t) in enumerate(zip(_one_each(logits, "binary_cross_entropy", "logit"), targets)):
        if not is_real(t) or not 0 <= t <= 1:
            raise ValueError(f"binary_cross_entropy: target {i} must be a number in [0, 1], got {describe(t)}")
        terms.append(z.softplus() - z * float(t))
    return _mean(terms)


def cross_entropy(logits: Any, targets: Any) -> Value:
    """Softmax cross-entropy: ``logsumexp(logits) - logits[class]``, stable for large logits.

    Args:
        logits: per sample, a list of Values (one per class).
        targets: per sample, the class index (an int from 0 to classes - 1).

    >>> round(cross_entropy([[Value(0.0), Value(0.0)]], [1]).data, 6)
    0.693147
    """
    if isinstance(logits, list) and logits and isinstance(logits[0], Value) and is_real(targets):
        logits, targets = [logits], [targets]
    logits, targets = _batch(logits, targets, "cross_entropy")
    terms = []
    for i, (z, t) in enumerate(zip(logits, targets)):
        zs = _values(z, i, "cross_entropy")
        if len(zs) < 2:
            raise ValueError(f"cross_entropy: prediction {i} must hold one logit per class (2 or more), "
                             f"got {len(zs)}")
        if not is_int(t) or not 0 <= t < len(zs):
            raise ValueError(f"cross_entropy: target {i} must be a class index from 0 to {len(zs) - 1}, "
                             f"got {describe(t)}")
        terms.append(logsumexp(zs) - zs[int(t)])
    return _mean(terms)


def hinge(scores: Any, targets: Any) -> Value:
    """micrograd's SVM max-margin loss: ``mean(relu(1 - y * score))`` with labels -1 and +1.

    >>> hinge([Value(2.0), Value(0.5)], [1, -1]).data
    0.75
    """
    scores, targets = _batch(scores, targets, "hinge")
    terms = []
    for i, (s, y) in enumerate(zip(_one_each(scores, "hinge", "score"), targets)):
        if not is_real(y) or y not in (-1, 1):
            raise ValueError(f"hinge: target {i} must be -1 or +1, got {describe(y)}")
        terms.append((1 + -float(y) * s).relu())
    return _mean(terms)


#: name -> loss function, for ``fit(loss="...")`` and the command line.
LOSSES = {"mse": mse, "binary_cross_entropy": binary_cross_entropy, "bce": binary_cross_entropy,
          "cross_entropy": cross_entropy, "hinge": hinge}
