"""Training: ``fit`` with a progress bar, its ``History``, ``predict`` and ``accuracy``.

The loop every trainer in the package shares lives here too (:class:`TrainingLoop`: the
arguments ``epochs``, ``batch_size``, ``seed`` and ``progress`` checked one way, the epochs,
the mini-batches of ``nn.data.batches`` and the ``History``), so ``fit`` and
``nn.eqprop.train`` take the same arguments and return the same record. ``tqdm`` is
imported only when a loop runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_engine import TracerError, Value, enable_grad, no_grad, vsum
from autograd_engine.validation import as_bool, as_int, as_real, describe, is_real, numpy_rng

from .compiled import compiled_model, train_compiled
from .data import Seed, as_array, batches
from .losses import LOSSES, binary_cross_entropy, cross_entropy, hinge, mse
from .module import Module
from .norm import BatchNorm
from .optim import OPTIMIZERS, Optimizer, as_learning_rate

__all__ = ["History", "fit", "predict", "accuracy"]

_DEFAULT_LR = {"sgd": 0.1, "rmsprop": 0.01, "adam": 0.01}

#: The most epochs a training loop runs (a bound turns a typo such as ``epochs=10**30`` into an error).
MAX_EPOCHS = 10**9


@dataclass
class History:
    """What a training loop recorded, one entry per epoch (``fit`` and ``nn.eqprop.train`` alike).

    Attributes:
        loss: the mean training loss over the epoch's batches, each taken before its update and
            weighted by its size (with ``fit``, including any L2 term).
        accuracy: the fraction of training samples classified right during the epoch (by the
            outputs the loss saw), or None for a regression.
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


class TrainingLoop:
    """The part of training every loop shares: checked arguments, epochs, mini-batches, the History.

    Args:
        n_samples: the size of the training set.
        epochs: passes over the data (an int from 1 to ``MAX_EPOCHS``).
        batch_size: samples per update (an int >= 1); None for the whole set (full batch, in order).
        seed: the order of the mini-batches: an int, a ``numpy.random.Generator``, or None
            (seeded from Python's ``random``). One generator serves the whole run, a new order each epoch.
        progress: show a tqdm progress bar (terminal or notebook).

    Raises:
        TypeError, ValueError: a bad argument (the message names it).

    >>> loop = TrainingLoop(5, epochs=2, batch_size=2, seed=0, progress=False)
    >>> for epoch in loop:
    ...     sizes = [len(idx) for idx in loop.batches()]
    ...     loop.record(loss=1.0 / (epoch + 1), accuracy=None, lr=0.1)
    >>> sizes, loop.history.loss
    ([2, 2, 1], [1.0, 0.5])
    """

    def __init__(self, n_samples: int, *, epochs: Any, batch_size: Any, seed: Seed, progress: Any):
        self.n_samples = n_samples
        self.epochs = as_int(epochs, "epochs", minimum=1, maximum=MAX_EPOCHS)
        self.batch_size = None if batch_size is None else as_int(batch_size, "batch_size", minimum=1)
        self.progress = as_bool(progress, "progress")
        self.rng = numpy_rng(seed)
        self.history = History()
        self._bar: Any = None

    def __iter__(self) -> Iterator[int]:
        """The epochs 0 .. epochs - 1, behind the progress bar."""
        from tqdm.auto import tqdm

        self._bar = tqdm(range(self.epochs), desc="training", disable=not self.progress, leave=True)
        yield from self._bar

    def batches(self) -> Iterator[np.ndarray]:
        """The sample indices of each mini-batch of one epoch (``nn.data.batches``)."""
        idx = np.arange(self.n_samples)
        for xb, _ in batches(idx, idx, self.batch_size, shuffle=self.batch_size is not None, seed=self.rng):
            yield xb

    def record(self, *, loss: float, accuracy: float | None, lr: float) -> None:
        """Append one epoch to :attr:`history` and show it on the progress bar."""
        self.history.loss.append(loss)
        self.history.accuracy.append(accuracy)
        self.history.lr.append(lr)
        if self._bar is not None and self.progress:
            shown = {"acc": f"{accuracy:.1%}"} if accuracy is not None else {}
            self._bar.set_postfix(loss=f"{loss:.4f}", **shown)


def _score(out: Any, i: int) -> float | list[float]:
    """One sample's output as a float, or a list of floats (one per output)."""
    if isinstance(out, Value):
        return out.data
    if is_real(out):
        return float(out)
    if isinstance(out, (list, tuple, np.ndarray)) and len(out) and \
            all(isinstance(o, Value) or is_real(o) for o in out):
        return [o.data if isinstance(o, Value) else float(o) for o in out]
    raise TypeError(f"outputs[{i}] must be a Value, a number, or a list of them (one per output), "
                    f"got {describe(out)}")


def _scores(outputs: Any) -> list[Any]:
    if isinstance(outputs, np.ndarray):
        outputs = outputs.tolist()
    if not isinstance(outputs, (list, tuple)):
        raise TypeError(f"outputs must be a list (or array) with one output per sample, got {describe(outputs)}")
    scores = [_score(o, i) for i, o in enumerate(outputs)]
    kinds = {isinstance(s, list) and len(s) for s in scores}
    if len(kinds) > 1:
        raise ValueError(f"outputs must all have the same number of values, got {describe(outputs)}")
    return scores


#: The named losses, by function (``fit(compile=True)`` writes each as per-sample terms).
_NAMES = {binary_cross_entropy: "binary_cross_entropy", cross_entropy: "cross_entropy", hinge: "hinge", mse: "mse"}


def _loss_name(loss: Any) -> str:
    """The name of a loss given by name or function, or an error naming ``loss``."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)} or a function, got {describe(loss)}")
        return _NAMES[LOSSES[loss]]
    if callable(loss):
        return getattr(loss, "__name__", "custom")
    raise TypeError(f"loss must be a name ({', '.join(LOSSES)}) or a function, got {describe(loss)}")


def accuracy(outputs: Any, y: Any, loss: str | Callable[..., Value] = "hinge") -> float | None:
    """Fraction of outputs that classify their sample right, or None when ``y`` are not class labels.

    Outputs are per-sample Values, floats, or lists of them (one per class); an array of
    outputs (what :func:`predict` returns) works too. A list is classified by its largest
    entry, against integer labels 0 .. classes - 1 (a list of one value is a single output).
    A single output needs labels 0/1 or -1/+1 and is classified by its sign, or, for ``mse``
    (a regression on 0/1 targets), by ``> 0.5``.
    Other targets (real-valued, or several per sample) are not labels: the answer is None, as
    it is for no samples at all.

    Raises:
        TypeError: ``outputs`` is not a list of outputs, ``y`` not numbers, ``loss`` not a name or function.
        ValueError: ``outputs`` and ``y`` differ in length; a class label is outside the outputs' classes.

    >>> accuracy([Value(0.3), Value(-2.0)], [1, 0], "binary_cross_entropy")
    1.0
    """
    scores = _scores(outputs)
    labels = as_array(y, "y", ndim=(1, 2), dtype=None)
    is_mse = _loss_name(loss) == "mse"
    if len(scores) != len(labels):
        raise ValueError(f"outputs and y must have the same length, got {len(scores)} and {len(labels)}")
    if labels.ndim == 2:
        if labels.shape[1] != 1:
            return None  # several targets per sample: a regression
        labels = labels[:, 0]
    if not scores or not np.isfinite(labels).all() or (labels != np.round(labels)).any():
        return None
    y_list = [int(t) for t in labels.tolist()]
    if isinstance(scores[0], list) and len(scores[0]) == 1:  # a list of one score: a single output
        scores = [s[0] for s in scores]
    if isinstance(scores[0], list):
        classes = len(scores[0])
        bad = [t for t in y_list if not 0 <= t < classes]
        if bad:
            raise ValueError(f"y must hold class indices from 0 to {classes - 1} for outputs of {classes} values, "
                             f"got {bad[0]}")
        right = [int(np.argmax(s)) == t for s, t in zip(scores, y_list)]
    elif set(y_list) <= {0, 1} or set(y_list) <= {-1, 1}:
        threshold = 0.5 if is_mse and set(y_list) <= {0, 1} else 0.0
        right = [(s > threshold) == (t == 1) for s, t in zip(scores, y_list)]
    else:
        return None
    return sum(right) / len(right)


def _check_model(model: Any) -> None:
    if not isinstance(model, Module) and not callable(model):
        raise TypeError(f"model must be a Module or a function of one sample, got {describe(model)}")


def predict(model: Module | Callable[..., Any], X: Any, *, compile: bool | None = None) -> np.ndarray:
    """The model's outputs for every row of ``X`` as floats (evaluation mode, no graph recorded).

    Args:
        model: a Module, or a function of one sample (a list of floats).
        X: samples, shape (n, features).
        compile: for a Module, True runs its traced forward pass over all rows at once (traced
            once per model structure, see ``nn.compiled``); False the scalar forward pass, sample
            by sample; None (default) the traced one when the model can be traced, else the scalar
            one. Both give the same numbers (to about 1e-15 relative). Functions run sample by sample.

    Returns:
        shape (samples,) for one output per sample, (samples, outputs) for several.

    Raises:
        TypeError: ``model`` is not a Module or function, ``X`` not numbers, the model returns
            something other than Values or numbers, or ``compile`` is not None or a bool.
        ValueError: ``X`` is not 2-D (samples by features).
        autograd_engine.TracerError: ``compile=True`` and the forward pass cannot be traced.

    >>> from nn import MLP
    >>> predict(MLP(2, [3, 1], seed=0), [[0.0, 0.0], [1.0, 2.0]]).shape
    (2,)
    """
    _check_model(model)
    use = None if compile is None else as_bool(compile, "compile")
    array = as_array(X, "X", ndim=2)
    rows = array.tolist()
    if not rows:
        return np.zeros(0)
    was_training = getattr(model, "training", False)
    if isinstance(model, Module):
        model.eval()
    try:
        if use is not False and isinstance(model, Module) and array.shape[1]:  # no features: nothing to trace
            try:
                return compiled_model(model, array.shape[1])(array)
            except TracerError as e:
                if use:
                    raise TracerError(f"{e}; predict(compile=True) traces the model's forward pass; compile=None "
                                      f"or False runs it as written") from e
        with no_grad():
            outs = model.forward_batch(rows) if isinstance(model, Module) else [model(r) for r in rows]
    finally:
        if isinstance(model, Module) and was_training:
            model.train()
    return np.array(_scores(outs), dtype=float)


def _loss_function(loss: Any, first_output: Any, y: np.ndarray) -> tuple[str, Callable[..., Value]]:
    if loss is None:
        if isinstance(first_output, list):
            loss = "cross_entropy"
        elif y.ndim == 1 and set(y.tolist()) <= {0, 1}:
            loss = "binary_cross_entropy"
        else:
            loss = "mse"
    name = _loss_name(loss)
    return name, LOSSES[loss] if isinstance(loss, str) else loss


def _optimizer(optimizer: Any, model: Module) -> tuple[Optimizer | None, str | None]:
    """The Optimizer given (checked to update the model), or the name of the one to build."""
    if isinstance(optimizer, Optimizer):
        mine = {id(p) for p in model.parameters()}
        if not any(id(p) in mine for p in optimizer.params):
            raise ValueError(f"optimizer must update the model's parameters, got {describe(optimizer)}, "
                             f"which holds none of them")
        return optimizer, None
    if optimizer is None:
        return None, "adam"
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be an Optimizer or one of {', '.join(OPTIMIZERS)}, "
                             f"got {describe(optimizer)}")
        return None, optimizer
    raise TypeError(f"optimizer must be an Optimizer or one of {', '.join(OPTIMIZERS)}, got {describe(optimizer)}")


def _schedule(schedule: Any, opt: Optimizer) -> Any:
    if schedule is None:
        return None
    sched = schedule if callable(getattr(schedule, "step", None)) else schedule(opt) if callable(schedule) else None
    if sched is None or not callable(getattr(sched, "step", None)):
        raise TypeError(f"schedule must be a schedule (StepLR ...) or a function optimizer -> schedule, "
                        f"got {describe(schedule)}")
    if getattr(sched, "optimizer", opt) is not opt:
        raise ValueError(f"schedule must step the optimizer fit uses, got {describe(sched)} built on another one")
    return sched


def _check_batch_statistics(model: Module, n: int, batch_size: int | None) -> None:
    """A ValueError before training when some batch would hold one sample and the model has BatchNorm."""
    if not any(isinstance(m, BatchNorm) for m in model.modules()):
        return
    need = "BatchNorm in training mode needs at least 2 samples per batch"
    if n == 1:
        raise ValueError(f"X holds 1 sample; {need}")
    if batch_size is not None and (batch_size == 1 or n % batch_size == 1):
        raise ValueError(f"batch_size={batch_size} leaves a last batch of 1 of the {n} samples; {need}: "
                         f"choose another batch_size")


def fit(model: Module, X: Any, y: Any, *, loss: str | Callable[..., Value] | None = None,
        optimizer: Optimizer | str | None = None, lr: float | None = None, epochs: int = 100,
        batch_size: int | None = None, l2: float = 0.0, schedule: Any = None, progress: bool = True,
        seed: Seed = 0, compile: bool = False) -> History:
    """Train ``model`` on ``X, y``; returns the per-epoch :class:`History`.

    Each epoch visits the data once in mini-batches: outputs (``model.forward_batch``),
    the loss plus ``l2 * sum(p * p)``, ``zero_grad``, ``backward``, ``optimizer.step()``.
    It trains under the caller's ``no_grad()`` too (the graph is always recorded here).
    Every argument is checked before anything runs.

    Args:
        model: a Module taking one sample (a list of floats).
        X: samples, shape (n, features), finite. y: labels or targets (finite), length n; a 2-D
            ``y`` gives each sample several targets (for ``mse``).
        loss: "mse", "binary_cross_entropy" (from logits; "bce"), "cross_entropy" (integer
            classes), "hinge" (labels 0/1 are mapped to -1/+1), or a function ``(outputs, y) -> Value``.
            None picks cross_entropy for list outputs, binary_cross_entropy for 0/1 labels, else mse.
        optimizer: an Optimizer on (some of) the model's parameters, or "sgd", "rmsprop", "adam"
            (default) built on ``model.parameters()``.
        lr: learning rate (a finite number > 0): for a named optimizer (defaults: sgd 0.1,
            rmsprop 0.01, adam 0.01), or the new rate of an Optimizer passed in.
        epochs: passes over the data (an int from 1 to ``MAX_EPOCHS``).
        batch_size: samples per step; None for the whole data set (full batch).
        l2: weight of the L2 penalty ``sum(p * p)`` added to the loss (micrograd's demo: 1e-4).
        schedule: a schedule (``StepLR`` ...) on the same optimizer, or a function
            ``optimizer -> schedule``; stepped after every epoch.
        progress: show a tqdm progress bar (terminal or notebook).
        seed: the order of mini-batches: an int, a numpy Generator, or None (seeded from ``random``).
        compile: trace the model's forward pass and loss once (``autograd_engine.trace``) and run
            each step over the whole mini-batch as NumPy kernels, the optimizer on arrays
            (``nn.compiled``). The same History, parameters and gradients as ``compile=False`` (to
            about 1e-12), many times faster. Needs a named loss (a loss function cannot be split
            into per-sample terms: ValueError) and a model that traces (else TracerError).

    Raises:
        TypeError, ValueError: bad arguments (the message names the argument), including a
            ``batch_size`` that leaves a batch of one sample for a model with ``BatchNorm``.
        autograd_engine.TracerError: ``compile=True`` and the model's forward pass cannot be traced.

    >>> from nn import MLP, make_xor
    >>> X, y = make_xor()
    >>> history = fit(MLP(2, [8, 1], activation="tanh", seed=1), X, y, lr=0.05, epochs=200, progress=False)
    >>> history.accuracy[-1]
    1.0
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a Module, got {describe(model)}")
    rows = as_array(X, "X", ndim=2, finite=True).tolist()
    targets = as_array(y, "y", ndim=(1, 2), finite=True, dtype=None)
    if len(rows) != len(targets):
        raise ValueError(f"X and y must have the same length, got {len(rows)} and {len(targets)}")
    if not rows:
        raise ValueError("X is empty: fit needs at least one sample")
    loop = TrainingLoop(len(rows), epochs=epochs, batch_size=batch_size, seed=seed, progress=progress)
    _check_batch_statistics(model, len(rows), loop.batch_size)
    l2 = as_real(l2, "l2", finite=True, minimum=0)
    lr = None if lr is None else as_learning_rate(lr)
    given, name = _optimizer(optimizer, model)
    if loss is not None:
        _loss_name(loss)
    compile = as_bool(compile, "compile")
    if compile and callable(loss) and not any(loss is f for f in _NAMES):
        raise ValueError(f"compile=True needs a named loss ({', '.join(LOSSES)}), got the function "
                         f"{describe(loss)}: its batch mean cannot be split into traced per-sample terms; "
                         f"use compile=False or a named loss")
    if schedule is not None and not callable(schedule) and not callable(getattr(schedule, "step", None)):
        _schedule(schedule, given)  # raises the TypeError before anything runs
    first = None
    if loss is None:  # the automatic choice looks at what the model returns
        with no_grad():
            first = model.eval().forward_batch(rows[:1])[0]
    model.train()
    loss_name, loss_fn = _loss_function(loss, first, targets)
    if loss_name == "hinge" and targets.ndim == 1 and set(targets.tolist()) <= {0, 1}:
        targets = 2 * targets - 1
    if given is not None:
        opt = given
        if lr is not None:
            opt.lr = lr
    else:
        opt = OPTIMIZERS[name](model.parameters(), lr=_DEFAULT_LR[name] if lr is None else lr)
    sched = _schedule(schedule, opt)
    params = model.parameters()
    if compile:
        with no_grad():
            first = model.eval().forward_batch(rows[:1])[0]
            loss_fn([first] * len(targets), targets)  # the loss's own checks of the targets, before training
        model.train()
        several = isinstance(first, (list, tuple))
        try:
            train_compiled(model, np.array(rows, dtype=float).reshape(len(rows), -1), targets,
                           loss_name=_NAMES[next(f for f in _NAMES if f is loss_fn)], is_list=several,
                           n_outputs=len(first) if several else 1,
                           opt=opt, sched=sched, l2=l2, loop=loop)
        except TracerError as e:
            raise TracerError(f"{e}; fit(compile=True) traces the model's forward pass; compile=False trains it "
                              f"as written") from e
        return loop.history
    target_rows = targets.tolist()

    with enable_grad():
        for _ in loop:
            total, outputs, seen = 0.0, [], []
            for idx in loop.batches():
                batch_rows, batch_targets = [rows[i] for i in idx], [target_rows[i] for i in idx]
                outs = model.forward_batch(batch_rows)
                value = loss_fn(outs, batch_targets)
                if not isinstance(value, Value):
                    raise TypeError(f"loss must return a Value, got {describe(value)}")
                if l2:
                    value = value + l2 * vsum(p * p for p in params)
                opt.zero_grad()
                value.backward()
                opt.step()
                total += value.data * len(batch_rows)
                outputs += outs
                seen += batch_targets
            loop.record(loss=total / len(rows), accuracy=accuracy(outputs, seen, loss_fn), lr=opt.lr)
            if sched is not None:
                sched.step()
    return loop.history
