"""The compiled path of ``fit`` and ``predict``: the model's graph traced once, run over whole batches.

``autograd_engine.trace`` records a function of Values as a ``Program`` of fused NumPy kernels.
Here the function is one sample's forward pass and loss term. Its first input is the model's
parameters (the Value objects themselves, given to ``trace`` as an example input): a vector the
same for every sample, so its gradient comes back summed over the batch. The sample and its
target are batched inputs. One ``value_and_grad`` call does a mini-batch's forward and backward
pass, and the optimizer steps on the parameter array (``Optimizer.step_arrays``); the Values get
their ``.data`` and ``.grad`` back when ``fit`` ends.

Which program:

* **per sample** for models whose samples do not interact (MLPs, and ``Sequential``/``Residual``
  of modules that do not override ``forward_batch``): traced once per model structure, each
  step one call over the batch's columns;
* **per mini-batch** for models that mix samples (``BatchNorm`` in training mode): the whole
  batch's forward pass and the loss's mean are traced, with the batch statistics as extra outputs
  (``nn.norm.deferred_statistics``) folded into the running statistics after the step; traced
  once per structure and batch size (the last, shorter batch has its own program).

A model's structure is the identity of its parameters (the Value objects, in order) with each
module's ``config()`` and mode: a model changed between two ``fit`` calls (a layer replaced, an
activation changed) is traced again. Named losses are written as per-sample terms over traced targets, so
their batch mean is the same sum the scalar loss forms (summed in another order: the loss agrees
to about 1e-15 relative). A loss given as a function cannot be split into samples whose targets
are inputs (it may index with them), so ``compile=True`` refuses it with a ValueError.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_engine
from autograd_engine import Value, dot, enable_grad, logsumexp, vsum
from autograd_engine.validation import describe

from .containers import Residual, Sequential
from .module import Module
from .norm import deferred_statistics
from .optim import Optimizer

__all__ = ["mixes_samples", "structure_key", "CompiledModel", "compiled_model", "accuracy_plan", "train_compiled",
           "to_torch"]

#: ``forward_batch`` of these classes runs the samples one by one (or through their modules).
_SAMPLEWISE = {Module.forward_batch, Sequential.forward_batch, Residual.forward_batch}

#: model -> {structure key: program}: what fit and predict traced, dropped with the model.
_CACHE: weakref.WeakKeyDictionary[Module, dict[Any, Any]] = weakref.WeakKeyDictionary()


def mixes_samples(model: Module) -> bool:
    """Whether some module of ``model`` computes a sample's output from others (overrides ``forward_batch``)."""
    return any(type(m).forward_batch not in _SAMPLEWISE for m in model.modules())


def structure_key(model: Module) -> tuple[Any, ...]:
    """What a traced program of ``model`` depends on besides parameter values and inputs.

    The identity of each parameter (in order), and for every module inside the model its
    class, its ``config()`` (when it has one: sizes, activation names ...) and its training
    flag: a change to any of them means a new trace. (A module without ``config()`` that
    changes its computation without changing its parameters is not noticed: build a new one.)
    """
    parts = []
    for m in model.modules():
        config = getattr(m, "config", None)
        try:
            described = repr(config()) if callable(config) else None
        except (TypeError, ValueError, NotImplementedError):
            described = None
        parts.append((type(m), described, m.training))
    return tuple(map(id, model.parameters())), tuple(parts)


def _outputs(out: Any) -> tuple[list[Any], bool]:
    """One sample's output as a flat list of leaves, and whether it was a list (several outputs)."""
    if isinstance(out, (list, tuple)):
        return list(out), True
    return [out], False


def _stack(leaves: list[Any], n: int) -> np.ndarray:
    """Program outputs (arrays of length n, or floats for outputs that do not depend on the sample)."""
    if len(leaves) == 1 and isinstance(leaves[0], np.ndarray):
        return leaves[0].reshape(n, 1)
    return np.stack([np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in leaves], axis=1)


class CompiledModel:
    """A model's forward pass traced once as a program of its parameters and one sample.

    ``predict`` uses it; it is cached per model structure (see :func:`structure_key`; in evaluation
    mode the running statistics of BatchNorm are constants of the program and part of the key).
    """

    def __init__(self, model: Module, n_features: int):
        self.params = model.parameters()
        self.is_list = False

        def forward(w: list[Value], x: list[Value]) -> list[Any]:  # w: the model's own parameters, traced
            leaves, self.is_list = _outputs(model(x))
            return leaves

        def forward_x(x: list[Value]) -> list[Any]:  # a model without parameters
            return forward([], x)

        with enable_grad():
            self.program = (autograd_engine.trace(forward, self.params, [0.0] * n_features) if self.params else
                            autograd_engine.trace(forward_x, [0.0] * n_features))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """The outputs for the rows of ``X``: shape (n,) for one output per sample, else (n, outputs)."""
        inputs = [np.array([p.data for p in self.params], dtype=float)] if self.params else []
        leaves = self.program(*inputs, np.ascontiguousarray(X.T))
        out = _stack(leaves if isinstance(leaves, list) else [leaves], len(X))
        return out if self.is_list else out[:, 0]


def compiled_model(model: Module, n_features: int) -> CompiledModel:
    """The cached :class:`CompiledModel` of ``model`` for its current structure (traced when new).

    Raises:
        autograd_engine.TracerError: the forward pass cannot be traced (a branch on a Value ...).
    """
    key = ("predict", n_features, structure_key(model), tuple(v for _, v in model.named_buffers()))
    programs = _CACHE.setdefault(model, {})
    if key not in programs:
        if len(programs) > 8:  # a model changed again and again: keep the memory bounded
            programs.clear()
        programs[key] = CompiledModel(model, n_features)
    return programs[key]


# -- training ------------------------------------------------------------------------------------------------


def _terms(loss_name: str, outs: list[Any], t: Any) -> list[Value]:
    """One sample's terms of a named loss (the loss is their mean over the batch), with target Values ``t``.

    ``t`` is the sample's targets: hinge gets ``-y`` (so the term is ``relu(1 + (-y) * s)``, the
    scalar loss's product), cross_entropy a one-hot vector of the class, the others the targets.
    """
    if loss_name == "mse":
        return [(p - tv) ** 2 for p, tv in zip(outs, t)]
    if loss_name == "binary_cross_entropy":
        z = outs[0]
        return [z.softplus() - z * t[0]]
    if loss_name == "hinge":
        return [(1 + t[0] * outs[0]).relu()]
    return [logsumexp(outs) - dot(t, outs)]  # cross_entropy: the one-hot target picks the class's logit


def _target_rows(loss_name: str, targets: np.ndarray, n_outputs: int) -> np.ndarray:
    """The targets as the program's input: shape (samples, values per sample)."""
    if loss_name == "hinge":
        return -targets.reshape(len(targets), 1).astype(float)
    if loss_name == "cross_entropy":
        onehot = np.zeros((len(targets), n_outputs))
        onehot[np.arange(len(targets)), targets.astype(int)] = 1.0
        return onehot
    return targets.reshape(len(targets), -1).astype(float)


class _Trainer:
    """The programs of one fit: per sample, or per mini-batch size for models that mix samples."""

    def __init__(self, model: Module, loss_name: str, X: np.ndarray, T: np.ndarray, is_list: bool,
                 n_outputs: int):
        self.model, self.loss_name, self.is_list, self.k = model, loss_name, is_list, n_outputs
        self.params = model.parameters()
        self.per_sample = not mixes_samples(model)
        self.XT = np.ascontiguousarray(X.T)
        self.TT = np.ascontiguousarray(T.T)
        self.d, self.t_size = X.shape[1], T.shape[1]
        self.n_terms = n_outputs if loss_name == "mse" else 1
        self.key = structure_key(model)
        self.programs = _CACHE.setdefault(model, {})
        self.stats: list[tuple[Any, ...]] = []

    def program(self, batch: int) -> Any:
        key = ("fit", self.loss_name, self.d, self.t_size, self.key, None if self.per_sample else batch)
        if key not in self.programs:
            if len(self.programs) > 8:
                self.programs.clear()
            self.programs[key] = self._trace(batch)
        return self.programs[key]

    def _trace(self, batch: int) -> Any:
        model, name = self.model, self.loss_name
        w0 = self.params  # the parameters themselves: the program's first input (the model reaches them)

        if self.per_sample:
            def sample_loss(w: list[Value], x: list[Value], t: list[Value]) -> list[Any]:
                outs, _ = _outputs(model(x))
                terms = _terms(name, outs, t)
                return [terms[0] if len(terms) == 1 else vsum(terms), *outs]

            with enable_grad():
                return autograd_engine.trace(sample_loss, w0, [0.0] * self.d, [0.0] * self.t_size), []

        d, ts = self.d, self.t_size
        stats: list[tuple[Any, ...]] = []

        def batch_loss(w: list[Value], x: list[Value], t: list[Value]) -> list[Any]:
            rows = [x[i * d:(i + 1) * d] for i in range(batch)]
            with deferred_statistics() as pending:
                outs = [_outputs(o)[0] for o in model.forward_batch(rows)]
            terms = [term for i, o in enumerate(outs) for term in _terms(name, o, t[i * ts:(i + 1) * ts])]
            stats[:] = pending
            loss = vsum(terms) * (1.0 / len(terms))
            return [loss, *[v for o in outs for v in o], *[s[2] for s in pending], *[s[3] for s in pending]]

        with enable_grad():
            program = autograd_engine.trace(batch_loss, w0, [0.0] * (d * batch), [0.0] * (ts * batch))
        return program, [(bn, j, n) for bn, j, _, _, n in stats]

    def step(self, w: np.ndarray, idx: np.ndarray | None) -> tuple[float, np.ndarray, np.ndarray]:
        """Loss, gradient (over the parameters) and outputs (batch, outputs) of one mini-batch."""
        xb = self.XT if idx is None else self.XT[:, idx]
        tb = self.TT if idx is None else self.TT[:, idx]
        b = xb.shape[1]
        program, stats = self.program(b)
        k = self.k
        if self.per_sample:
            c = 1.0 / (b * self.n_terms)
            outs, grads = program.value_and_grad(w, xb, tb, seed=[c] + [0.0] * k, wrt=[0])
            loss = float(np.sum(outs[0])) * c
            scores = _stack(outs[1:], b)
            return loss, grads[0], scores
        n_out = 1 + b * k + 2 * len(stats)
        outs, grads = program.value_and_grad(w, xb.T.ravel(), tb.T.ravel(), seed=[1.0] + [0.0] * (n_out - 1),
                                             wrt=[0])
        scores = np.array(outs[1:1 + b * k], dtype=float).reshape(b, k)
        means, variances = outs[1 + b * k:1 + b * k + len(stats)], outs[1 + b * k + len(stats):]
        self.stats = [(bn, j, float(m), float(v), n) for (bn, j, n), m, v in zip(stats, means, variances)]
        return float(outs[0]), grads[0], scores

    def apply_statistics(self) -> None:
        for bn, j, mean, var, n in self.stats:
            bn.update_statistics(j, mean, var, n)


def accuracy_plan(targets: np.ndarray, is_list: bool, n_outputs: int, is_mse: bool
                  ) -> Callable[[np.ndarray], float | None]:
    """``nn.train.accuracy`` for score arrays of the whole training set, as a function of the scores.

    Args:
        targets: the targets the loss sees (hinge's -1/+1), one row per sample.
        is_list: the model returns a list per sample (classified by its largest entry).
        n_outputs: values per sample.
        is_mse: the loss is mse (a single output on 0/1 targets is right when > 0.5).
    """
    labels = targets
    if labels.ndim == 2:
        if labels.shape[1] != 1:
            return lambda scores: None
        labels = labels[:, 0]
    if not len(labels) or not np.isfinite(labels).all() or (labels != np.round(labels)).any():
        return lambda scores: None
    values = set(labels.tolist())
    if is_list and n_outputs > 1:  # (a list of one value is classified as a single output)
        bad = [t for t in labels.tolist() if not 0 <= t < n_outputs]
        if bad:
            def refuse(scores: np.ndarray) -> float:
                raise ValueError(f"y must hold class indices from 0 to {n_outputs - 1} for outputs of {n_outputs} "
                                 f"values, got {int(bad[0])}")
            return refuse
        classes = labels.astype(int)
        return lambda scores: int(np.count_nonzero(np.argmax(scores, axis=1) == classes)) / len(classes)
    if values <= {0, 1} or values <= {-1, 1}:
        threshold = 0.5 if is_mse and values <= {0, 1} else 0.0
        positive = labels == 1
        return lambda scores: int(np.count_nonzero((scores[:, 0] > threshold) == positive)) / len(positive)
    return lambda scores: None


def _write_back(params: list[Value], w: np.ndarray, g: np.ndarray) -> None:
    for p, data, grad in zip(params, w.tolist(), g.tolist()):
        p.data, p.grad = data, grad


def train_compiled(model: Module, X: np.ndarray, targets: np.ndarray, *, loss_name: str, is_list: bool,
                   n_outputs: int, opt: Optimizer, sched: Any, l2: float, loop: Any) -> None:
    """The epochs of ``fit(compile=True)``: the same History, parameters and gradients as ``compile=False``.

    Args:
        model: the model (in training mode).
        X: the samples, shape (n, features). targets: as the loss sees them (hinge: -1/+1).
        loss_name: a named loss ("mse", "binary_cross_entropy", "cross_entropy", "hinge").
        is_list, n_outputs: what the model returns per sample (a list of how many values).
        opt: the optimizer (on some or all of the model's parameters, possibly others too).
        sched: the schedule or None. l2: the L2 weight. loop: the ``TrainingLoop`` (epochs, batches, History).

    Raises:
        autograd_engine.TracerError: the model's forward pass cannot be traced.
    """
    params = model.parameters()
    P = len(params)
    position = {id(p): i for i, p in enumerate(params)}
    extra = [p for p in opt.params if id(p) not in position]  # updated by the optimizer, not in the graph
    everything = params + extra
    for i, p in enumerate(extra):
        position[id(p)] = P + i
    w = np.array([p.data for p in everything], dtype=float)
    g = np.array([float(p.grad) for p in everything], dtype=float)
    opt_idx = np.array([position[id(p)] for p in opt.params])
    whole = len(opt_idx) == len(everything) and bool((opt_idx == np.arange(len(everything))).all())
    stepped = np.zeros(len(everything), dtype=bool)
    stepped[opt_idx] = True
    mine = stepped[:P]
    all_stepped = bool(mine.all())
    T = _target_rows(loss_name, targets, n_outputs)
    trainer = _Trainer(model, loss_name, X, T, is_list, n_outputs)
    score_of = accuracy_plan(targets, is_list, n_outputs, loss_name == "mse")
    n = len(X)
    scores = np.empty((n, n_outputs))
    in_order = loop.batch_size is None  # the full batch, in order: no gathering, no shuffling
    everyone = [np.arange(n)]
    observed = sched is not None and type(sched).__module__ != Optimizer.__module__  # may look at parameters
    try:
        for _ in loop:
            total = 0.0
            for idx in everyone if in_order else loop.batches():
                loss, grad, out = trainer.step(w[:P], None if in_order else idx)
                if l2:
                    wp = w[:P]
                    loss += l2 * float(np.dot(wp, wp))
                    grad = grad + (l2 * wp) * 2.0
                if all_stepped:
                    g[:P] = grad
                else:  # zero_grad clears the optimizer's parameters; the others accumulate, as backward() does
                    g[:P][mine] = grad[mine]
                    g[:P][~mine] += grad[~mine]
                if extra:
                    g[P:] = 0.0
                if whole:
                    opt.step_arrays(w, g)
                else:
                    part = w[opt_idx]
                    opt.step_arrays(part, g[opt_idx])
                    w[opt_idx] = part
                trainer.apply_statistics()
                total += loss * len(idx)
                if in_order:
                    scores = out
                else:
                    scores[idx] = out
            loop.record(loss=total / n, accuracy=score_of(scores), lr=opt.lr)
            if sched is not None:
                if observed:
                    _write_back(everything, w, g)
                sched.step()
                if observed:  # it may have written .data or .grad (shrunk the weights ...): go on from those
                    w[:] = [p.data for p in everything]
                    g[:] = [float(p.grad) for p in everything]
    finally:
        _write_back(everything, w, g)


# -- graduation ------------------------------------------------------------------------------------------------


def to_torch(model: Module) -> Any:
    """An equivalent ``torch.nn.Module``: the model's forward pass in PyTorch, with the same weights.

    The model's evaluation-mode forward pass is traced (``autograd_engine.trace``, once per input
    width, on the first call) and run with PyTorch's operations (``Program.to_torch``), so PyTorch
    differentiates it, batches it and runs it wherever PyTorch runs. The weights are one float64
    ``torch.nn.Parameter``, ``weight``, holding the model's parameters in ``model.parameters()``
    order (their names in ``parameter_names``); the module copies them, so training either model
    leaves the other as it was. BatchNorm uses its running statistics (as at the time of the trace).

    Args:
        model: a Module whose forward pass traces (no Python branch on a Value).

    Returns:
        a ``torch.nn.Module``; calling it with a float64 tensor of shape (batch, features) gives
        (batch,) for one output per sample or (batch, outputs) for several; a single sample of shape
        (features,) gives a scalar or (outputs,).

    Raises:
        TypeError: ``model`` is not a Module.
        ImportError: PyTorch is not installed (``pip install torch==2.13.0``).
        autograd_engine.TracerError: (on the first call) the forward pass cannot be traced.

    >>> from nn import MLP
    >>> net = to_torch(MLP(2, [4, 1], seed=0))  # doctest: +SKIP
    >>> net(torch.zeros(3, 2, dtype=torch.float64)).shape  # doctest: +SKIP
    torch.Size([3])
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a Module (nn.MLP, nn.Sequential ...), got {describe(model)}")
    try:
        import torch
    except ImportError as e:
        raise ImportError("nn.to_torch needs PyTorch: pip install torch==2.13.0 (the torch extra)") from e
    return _torch_class(torch)(model)


_TORCH_CLASS: list[Any] = []


def _torch_class(torch: Any) -> Any:
    """The ``torch.nn.Module`` subclass of :func:`to_torch`, made once (torch is imported only when asked)."""
    if _TORCH_CLASS:
        return _TORCH_CLASS[0]

    class TracedModule(torch.nn.Module):
        """A model of ``nn`` as a PyTorch module: its traced forward pass, its weights as one Parameter."""

        def __init__(self, model: Module):
            super().__init__()
            self.source = model
            named = list(model.named_parameters())
            self.parameter_names = [name for name, _ in named]
            self.weight = torch.nn.Parameter(torch.tensor([p.data for _, p in named], dtype=torch.float64))
            self._functions: dict[int, tuple[Any, bool]] = {}

        def _function(self, n_features: int) -> tuple[Any, bool]:
            if n_features not in self._functions:
                was_training = self.source.training
                self.source.eval()
                try:
                    compiled = CompiledModel(self.source, n_features)
                finally:
                    if was_training:
                        self.source.train()
                self._functions[n_features] = (compiled.program.to_torch(), compiled.is_list)
            return self._functions[n_features]

        def forward(self, x: Any) -> Any:
            if not isinstance(x, torch.Tensor):
                array = np.asarray(x) if isinstance(x, (list, tuple, np.ndarray)) else None
                if array is None or array.dtype.kind not in "iuf":
                    raise TypeError(f"x must be a tensor or array of numbers of shape (batch, features) or "
                                    f"(features,), got {describe(x)}")
                x = array
            x = torch.as_tensor(x, dtype=torch.float64)
            if x.dim() not in (1, 2):
                raise ValueError(f"x must be a tensor of shape (batch, features) or (features,), "
                                 f"got shape {tuple(x.shape)}")
            rows = x.unsqueeze(0) if x.dim() == 1 else x
            fn, is_list = self._function(rows.shape[1])
            n = rows.shape[0]
            # the weights as a batch of n equal columns: every operand of a node has the samples' shape
            leaves = fn(self.weight.unsqueeze(1).expand(-1, n), rows.T) if self.parameter_names else fn(rows.T)
            columns = [torch.as_tensor(v, dtype=torch.float64).expand(n) for v in leaves]
            out = torch.stack(columns, dim=1) if is_list else columns[0]
            return out[0] if x.dim() == 1 else out

        def extra_repr(self) -> str:
            return f"{type(self.source).__name__}, {len(self.parameter_names)} weights"

    _TORCH_CLASS.append(TracedModule)
    return TracedModule
