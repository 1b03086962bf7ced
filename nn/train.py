"""Training loop with a progress bar, history and accuracy; ``tqdm`` is imported only when used."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_engine import Value, no_grad, vsum

from .data import _check_n, batches
from .losses import LOSSES, binary_cross_entropy, cross_entropy, hinge, mse
from .module import Module
from .optim import OPTIMIZERS, Optimizer

__all__ = ["History", "fit", "predict", "accuracy"]

_DEFAULT_LR = {"sgd": 0.1, "rmsprop": 0.01, "adam": 0.01}


@dataclass
class History:
    """What ``fit`` recorded, one entry per epoch.

    Attributes:
        loss: the mean training loss over the epoch's batches (including any L2 term).
        accuracy: the fraction of training samples classified right during the epoch, or None
            for a regression loss.
        lr: the learning rate used in the epoch.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.loss)

    def as_dict(self) -> dict[str, list[Any]]:
        """The history as a plain dict of lists."""
        return {"loss": list(self.loss), "accuracy": list(self.accuracy), "lr": list(self.lr)}


def _rows(X: Any) -> list[list[float]]:
    arr = np.asarray(X, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"X must be a 2-D array of samples by features, got shape {arr.shape}")
    return arr.tolist()


def _data(out: Any) -> Any:
    return [float(v) for v in out] if isinstance(out, (list, tuple)) else float(out)


def accuracy(outputs: list[Any], y: Any, loss: str | Callable[..., Value] = "hinge") -> float | None:
    """Fraction of outputs that classify their sample right, or None when ``y`` are not class labels.

    Outputs are per-sample Values, floats, or lists of them (one per class). A list is
    classified by its largest entry. A single output needs labels 0/1 or -1/+1 and is
    classified by its sign, or, for ``mse`` (a regression on 0/1 targets), by ``> 0.5``.

    >>> accuracy([Value(0.3), Value(-2.0)], [1, 0], "binary_cross_entropy")
    1.0
    """
    y = np.asarray(y).tolist()
    scores = [_data(o) for o in outputs]
    if len(scores) != len(y):
        raise ValueError(f"accuracy: {len(scores)} outputs but {len(y)} targets")
    if not scores:
        return None
    if isinstance(scores[0], list):
        right = [int(np.argmax(s)) == t for s, t in zip(scores, y)]
    elif set(y) <= {0, 1} or set(y) <= {-1, 1}:
        name = loss if isinstance(loss, str) else getattr(loss, "__name__", "")
        threshold = 0.5 if name == "mse" and set(y) <= {0, 1} else 0.0
        right = [(s > threshold) == (t == 1) for s, t in zip(scores, y)]
    else:
        return None
    return sum(right) / len(right)


def predict(model: Module | Callable[..., Any], X: Any) -> np.ndarray:
    """The model's outputs for every row of ``X`` as floats (evaluation mode, no graph recorded).

    Returns:
        shape (samples,) for one output per sample, (samples, outputs) for several.
    """
    rows = _rows(X)
    was_training = getattr(model, "training", False)
    if isinstance(model, Module):
        model.eval()
    try:
        with no_grad():
            outs = model.forward_batch(rows) if isinstance(model, Module) else [model(r) for r in rows]
    finally:
        if isinstance(model, Module) and was_training:
            model.train()
    return np.array([_data(o) for o in outs], dtype=float)


def _loss_function(loss: Any, first_output: Any, y: list[Any]) -> tuple[str, Callable[..., Value]]:
    if loss is None:
        if isinstance(first_output, list):
            loss = "cross_entropy"
        elif set(y) <= {0, 1}:
            loss = "binary_cross_entropy"
        else:
            loss = "mse"
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)} or a function, got {loss!r}")
        fn = LOSSES[loss]
        return {binary_cross_entropy: "binary_cross_entropy", cross_entropy: "cross_entropy", hinge: "hinge",
                mse: "mse"}[fn], fn
    if callable(loss):
        return getattr(loss, "__name__", "custom"), loss
    raise TypeError(f"loss must be a name or a function, got {type(loss).__name__}")


def _optimizer(optimizer: Any, model: Module, lr: float | None) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            optimizer.lr = lr
        return optimizer
    name = "adam" if optimizer is None else optimizer
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be an Optimizer or one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    return OPTIMIZERS[name](model.parameters(), lr=_DEFAULT_LR[name] if lr is None else lr)


def fit(model: Module, X: Any, y: Any, *, loss: str | Callable[..., Value] | None = None,
        optimizer: Optimizer | str | None = None, lr: float | None = None, epochs: int = 100,
        batch_size: int | None = None, l2: float = 0.0, schedule: Any = None, progress: bool = True,
        seed: int = 0) -> History:
    """Train ``model`` on ``X, y``; returns the per-epoch :class:`History`.

    Each epoch visits the data once in mini-batches: outputs (``model.forward_batch``),
    the loss plus ``l2 * sum(p * p)``, ``zero_grad``, ``backward``, ``optimizer.step()``.

    Args:
        model: a Module taking one sample (a list of floats).
        X: samples, shape (n, features). y: labels or targets, length n.
        loss: "mse", "binary_cross_entropy" (from logits; "bce"), "cross_entropy" (integer
            classes), "hinge" (labels 0/1 are mapped to -1/+1), or a function ``(outputs, y) -> Value``.
            None picks cross_entropy for list outputs, binary_cross_entropy for 0/1 labels, else mse.
        optimizer: an Optimizer, or "sgd", "rmsprop", "adam" (default) built on ``model.parameters()``.
        lr: learning rate for a named optimizer (defaults: sgd 0.1, rmsprop 0.01, adam 0.01).
        epochs: passes over the data.
        batch_size: samples per step; None for the whole data set (full batch).
        l2: weight of the L2 penalty ``sum(p * p)`` added to the loss (micrograd's demo: 1e-4).
        schedule: a schedule (``StepLR`` ...) on the same optimizer, or a function
            ``optimizer -> schedule``; stepped after every epoch.
        progress: show a tqdm progress bar (terminal or notebook).
        seed: for the order of mini-batches.

    Raises:
        TypeError, ValueError: bad arguments (the message names the argument).

    >>> from nn import MLP, make_xor
    >>> X, y = make_xor()
    >>> history = fit(MLP(2, [8, 1], activation="tanh", seed=1), X, y, lr=0.05, epochs=200, progress=False)
    >>> history.accuracy[-1]
    1.0
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a Module, got {type(model).__name__}")
    rows = _rows(X)
    targets = np.asarray(y).tolist()
    if len(rows) != len(targets):
        raise ValueError(f"X and y must have the same length, got {len(rows)} and {len(targets)}")
    if not rows:
        raise ValueError("X is empty: fit needs at least one sample")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or l2 < 0:
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}")
    if batch_size is not None:
        _check_n(batch_size, "batch_size")  # before the progress bar starts
    first = None
    if loss is None:  # the automatic choice looks at what the model returns
        with no_grad():
            first = model.eval().forward_batch(rows[:2])[0]
    model.train()
    loss_name, loss_fn = _loss_function(loss, first, targets)
    if loss_name == "hinge" and set(targets) <= {0, 1}:
        targets = [2 * t - 1 for t in targets]
    opt = _optimizer(optimizer, model, lr)
    sched = schedule(opt) if callable(schedule) and not hasattr(schedule, "step") else schedule
    params = model.parameters()

    from tqdm.auto import tqdm

    history = History()
    bar = tqdm(range(epochs), desc="training", disable=not progress, leave=True)
    for epoch in bar:
        total, outputs, seen_targets = 0.0, [], []
        for xb, yb in batches(np.arange(len(rows)), np.array(targets), batch_size, shuffle=batch_size is not None,
                              seed=seed + epoch):
            batch_rows, batch_targets = [rows[i] for i in xb], yb.tolist()
            outs = model.forward_batch(batch_rows)
            value = loss_fn(outs, batch_targets)
            if l2:
                value = value + l2 * vsum(p * p for p in params)
            opt.zero_grad()
            value.backward()
            opt.step()
            total += value.data * len(batch_rows)
            outputs += outs
            seen_targets += batch_targets
        history.loss.append(total / len(rows))
        history.accuracy.append(accuracy(outputs, seen_targets, loss_name))
        history.lr.append(opt.lr)
        if sched is not None:
            sched.step()
        acc = history.accuracy[-1]
        bar.set_postfix(loss=f"{history.loss[-1]:.4f}", **({"acc": f"{acc:.1%}"} if acc is not None else {}))
    return history
