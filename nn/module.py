"""Modules: networks built from ``Value`` nodes, with parameters found automatically.

``Neuron``, ``Layer`` and ``MLP`` take the same constructor arguments, call
convention and parameter order as micrograd 0.1.0's ``nn``, so code written for
it runs unchanged; with the default global ``random`` and the same seed they
even start from the same weights.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from autograd_engine import Value, dot, vsum

__all__ = ["Module", "Neuron", "Layer", "MLP", "Activation", "Sequential", "Residual", "BatchNorm", "ACTIVATIONS",
           "INITS"]

#: name -> function of a Value; "linear" is the identity.
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,
    "linear": lambda v: v,
}
INITS = ("uniform", "xavier", "he")

Rng = random.Random


def _rng(seed: int | random.Random | None) -> random.Random | Any:
    """A ``random.Random`` from ``seed``; the global ``random`` module (micrograd's choice) for None."""
    if seed is None or seed is random:
        return random
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__}")


def _check_size(n: Any, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be an int >= 1, got {n!r}")
    return n


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    return activation


class Module:
    """Base class: finds parameters in attributes, names them, saves and restores them.

    Attributes that are Modules, Values, or (nested) lists/tuples of those are
    discovered automatically, in the order they were assigned, so a subclass needs no
    boilerplate::

        class Affine(Module):
            def __init__(self):
                self.w = Value(1.0)
                self.b = Value(0.0)

            def forward(self, x):
                return self.w * x + self.b

    Call a module to run ``forward`` (or define ``__call__`` directly, micrograd style).
    """

    training: bool = True

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward() or __call__()")

    def __call__(self, *args: Any) -> Any:
        return self.forward(*args)

    def forward_batch(self, xs: Sequence[Any]) -> list[Any]:
        """The outputs for a batch of samples; modules that mix samples (BatchNorm) override it."""
        return [self(x) for x in xs]

    # -- discovery -------------------------------------------------------------------------------------

    def _children(self) -> Iterator[tuple[str, Any]]:
        for name, value in vars(self).items():
            if not name.startswith("_") and name != "training":
                yield from _found_in(name, value)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """``(dotted name, Value)`` for every parameter, e.g. ``layers.0.neurons.3.w.1``; shared ones once."""
        seen: set[Value] = set()
        stack: list[tuple[str, Any]] = [(prefix.rstrip("."), self)]
        while stack:
            name, obj = stack.pop()
            if isinstance(obj, Value):
                if obj not in seen:
                    seen.add(obj)
                    yield name, obj
                continue
            children = [(f"{name}.{n}" if name else n, c) for n, c in obj._children()]
            stack.extend(reversed(children))

    def parameters(self) -> list[Value]:
        """Every parameter, in a stable order (for a Neuron: its weights, then its bias)."""
        return [p for _, p in self.named_parameters()]

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, depth first."""
        return (m for _, m in self._named_modules())

    def named_buffers(self) -> Iterator[tuple[str, float]]:
        """``(dotted name, float)`` for state that is saved but not trained (BatchNorm's running statistics)."""
        for prefix, m in self._named_modules():
            for name in getattr(m, "_buffers", ()):
                for i, v in enumerate(getattr(m, name)):
                    yield f"{prefix}{name}.{i}", v

    def _named_modules(self) -> Iterator[tuple[str, Module]]:
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, m = stack.pop()
            yield prefix, m
            stack.extend(reversed([(f"{prefix}{n}.", c) for n, c in m._children() if isinstance(c, Module)]))

    def label_parameters(self) -> Module:
        """Give every unlabelled parameter its dotted name as label (for drawings); returns self."""
        for name, p in self.named_parameters():
            if not p.label:
                p.label = name
        return self

    # -- training helpers --------------------------------------------------------------------------------

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``True``) or evaluation mode on this module and all inside it; returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode (BatchNorm uses its running statistics); returns self."""
        return self.train(False)

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self.parameters())

    # -- state ---------------------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """A plain dict from each parameter's (and buffer's) name to its value."""
        state = {name: p.data for name, p in self.named_parameters()}
        state.update(self.named_buffers())
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set every parameter and buffer from ``state``, checking everything before assigning anything.

        Raises:
            TypeError: ``state`` is not a dict.
            ValueError: names are missing or unexpected, or a value is not a real number;
                the module is then left exactly as it was.
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict of names to numbers, got {type(state).__name__}")
        params = dict(self.named_parameters())
        buffers = dict(self.named_buffers())
        expected = set(params) | set(buffers)
        missing = sorted(expected - set(state), key=_natural)
        unexpected = sorted(set(state) - expected, key=lambda k: _natural(str(k)))
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} entr{'y' if len(missing) == 1 else 'ies'}: {_few(missing)}")
            if unexpected:
                parts.append(f"unexpected {len(unexpected)}: {_few([str(k) for k in unexpected])}")
            raise ValueError(f"state does not fit {type(self).__name__} "
                             f"({len(expected)} entries expected, {len(state)} given): {'; '.join(parts)}")
        for name, v in state.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"state[{name!r}] must be a real number, got {type(v).__name__}")
        for name, p in params.items():
            p.data = float(state[name])
        for prefix, m in self._named_modules():
            for bname in getattr(m, "_buffers", ()):
                values = getattr(m, bname)
                for i in range(len(values)):
                    values[i] = float(state[f"{prefix}{bname}.{i}"])

    def config(self) -> dict[str, Any] | None:
        """The constructor arguments that rebuild this architecture (built-in modules), else None."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.num_parameters()} parameters)"


def _found_in(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Modules and Values in an attribute, also inside (nested) lists and tuples: ``weight.2.0``."""
    if isinstance(value, (Module, Value)):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _found_in(f"{name}.{i}", item)


def _natural(name: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in name.split(".")]


def _few(names: list[str], n: int = 5) -> str:
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


class Neuron(Module):
    """One neuron: ``activation(w . x + b)``.

    Args:
        nin: number of inputs.
        nonlin: micrograd's switch: ReLU (True, the default) or linear (False).
        activation: "relu", "tanh", "sigmoid", "leaky_relu" or "linear"; overrides ``nonlin``.
        init: "uniform" (micrograd's uniform(-1, 1), the default), "xavier" (Glorot uniform)
            or "he" (Kaiming normal, for ReLU).
        seed: an int or a ``random.Random`` for reproducible weights; None uses the global
            ``random`` module, as micrograd does.
        fused: compute ``w . x`` as one ``dot`` node (fast, readable graphs); False builds
            micrograd's per-operation graph of ``nin`` products and sums, for teaching.
        fan_out: the layer's width, used by "xavier".

    >>> n = Neuron(3, seed=0)
    >>> len(n.parameters()), n([1.0, 2.0, 3.0]).op
    (4, 'relu')
    """

    def __init__(self, nin: int, nonlin: bool = True, *, activation: str | None = None, init: str = "uniform",
                 seed: int | random.Random | None = None, fused: bool = True, fan_out: int = 1):
        nin = _check_size(nin, "nin")
        self.activation = _check_activation(activation or ("relu" if nonlin else "linear"))
        if init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
        rng = _rng(seed)
        if init == "uniform":
            self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        elif init == "xavier":
            a = math.sqrt(6.0 / (nin + fan_out))
            self.w = [Value(rng.uniform(-a, a)) for _ in range(nin)]
        else:
            std = math.sqrt(2.0 / nin)
            self.w = [Value(rng.gauss(0.0, std)) for _ in range(nin)]
        self.b = Value(0.0)
        self.fused = bool(fused)
        self._act = ACTIVATIONS[self.activation]

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: whether the neuron applies a non-linearity."""
        return self.activation != "linear"

    def forward(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        if self.fused:
            act = dot(self.w, x) + self.b
        else:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return self._act(act)

    def config(self) -> dict[str, Any]:
        return {"type": "Neuron", "nin": len(self.w), "activation": self.activation, "fused": self.fused}

    def __repr__(self) -> str:
        name = "ReLU" if self.activation == "relu" else self.activation.capitalize()
        return f"{name}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons on the same inputs; returns one Value when ``nout == 1``, else a list.

    Takes ``Neuron``'s keyword arguments (one ``seed`` generator serves all neurons).

    >>> Layer(2, 3, seed=0)([1.0, -1.0]).__class__.__name__
    'list'
    """

    def __init__(self, nin: int, nout: int, **kwargs: Any):
        nout = _check_size(nout, "nout")
        kwargs["seed"] = _rng(kwargs.get("seed"))
        kwargs.setdefault("fan_out", nout)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        x = [v if isinstance(v, Value) else Value(v) for v in x]  # constants once, shared by all neurons
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def config(self) -> dict[str, Any]:
        n = self.neurons[0]
        return {"type": "Layer", "nin": len(n.w), "nout": len(self.neurons), "activation": n.activation,
                "fused": n.fused}

    def __repr__(self) -> str:
        n = self.neurons[0]
        return f"Layer({len(n.w)} -> {len(self.neurons)}, {n.activation})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` like micrograd's.

    Hidden layers use ``activation`` (ReLU by default), the last layer
    ``output_activation`` (linear by default). Parameters are labelled with their
    names, so drawings can group them (``group_by="layers.0."``).

    Args:
        nin: number of inputs.
        nouts: the width of each layer.
        activation, output_activation: activation names (see ``Neuron``).
        init, seed, fused: as for ``Neuron``; one generator serves the whole network.

    >>> model = MLP(2, [4, 1], seed=0)
    >>> model.num_parameters(), model
    (17, MLP(2 -> 4 -> 1, activation=relu, 17 parameters))
    """

    def __init__(self, nin: int, nouts: Sequence[int], *, activation: str = "relu",
                 output_activation: str = "linear", init: str = "uniform",
                 seed: int | random.Random | None = None, fused: bool = True):
        nin = _check_size(nin, "nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer widths, got {nouts!r}")
        sizes = [nin] + [_check_size(n, "each layer width") for n in nouts]
        _check_activation(activation)
        _check_activation(output_activation)
        rng = _rng(seed)
        self.layers = [Layer(sizes[i], sizes[i + 1], init=init, seed=rng, fused=fused,
                             activation=activation if i < len(nouts) - 1 else output_activation)
                       for i in range(len(nouts))]
        self._config = {"nin": nin, "nouts": list(nouts), "activation": activation,
                        "output_activation": output_activation, "init": init, "fused": fused}
        self.label_parameters()

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def config(self) -> dict[str, Any]:
        return {"type": "MLP", **self._config}

    def __repr__(self) -> str:
        sizes = " -> ".join(str(s) for s in [self._config["nin"], *self._config["nouts"]])
        return f"MLP({sizes}, activation={self._config['activation']}, {self.num_parameters()} parameters)"


class Activation(Module):
    """An activation applied to every element: ``Activation("tanh")``; for use between other modules.

    >>> [v.data for v in Activation("relu")([Value(-1.0), Value(2.0)])]
    [0.0, 2.0]
    """

    def __init__(self, name: str):
        self.name = _check_activation(name)
        self._fn = ACTIVATIONS[name]

    def forward(self, x: Any) -> Any:
        if isinstance(x, list):
            return [self._fn(v if isinstance(v, Value) else Value(v)) for v in x]
        return self._fn(x if isinstance(x, Value) else Value(x))

    def config(self) -> dict[str, Any]:
        return {"type": "Activation", "name": self.name}

    def __repr__(self) -> str:
        return f"Activation({self.name})"


class Sequential(Module):
    """Modules applied one after another.

    >>> model = Sequential(Layer(2, 4, seed=0), Layer(4, 1, nonlin=False, seed=1))
    >>> model([1.0, 2.0]).op
    '+'
    """

    def __init__(self, *modules: Module):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules; argument {i} is a {type(m).__name__}")
        self._steps = list(modules)
        self.label_parameters()

    def _children(self) -> Iterator[tuple[str, Any]]:
        for i, m in enumerate(self._steps):
            yield str(i), m

    def __getitem__(self, i: int) -> Module:
        return self._steps[i]

    def __len__(self) -> int:
        return len(self._steps)

    def forward(self, x: Any) -> Any:
        for m in self._steps:
            x = m(x)
        return x

    def forward_batch(self, xs: Sequence[Any]) -> list[Any]:
        for m in self._steps:
            xs = m.forward_batch(xs)
        return xs

    def config(self) -> dict[str, Any] | None:
        configs = [m.config() for m in self._steps]
        return None if any(c is None for c in configs) else {"type": "Sequential", "modules": configs}

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {m!r}" for i, m in enumerate(self._steps))
        return f"Sequential({inner}\n)"


def _as_list(x: Any) -> list[Any]:
    return x if isinstance(x, list) else [x]


class Residual(Module):
    """``x + module(x)``, elementwise: the skip connection that keeps gradients flowing.

    Raises:
        ValueError: (when called) the module's output is not the same size as its input.
    """

    def __init__(self, module: Module):
        if not isinstance(module, Module):
            raise TypeError(f"Residual wraps a Module, got {type(module).__name__}")
        self.module = module

    def forward(self, x: Any) -> Any:
        return self._add(x, self.module(x))

    def forward_batch(self, xs: Sequence[Any]) -> list[Any]:
        return [self._add(x, y) for x, y in zip(xs, self.module.forward_batch(xs))]

    @staticmethod
    def _add(x: Any, y: Any) -> Any:
        xs, ys = _as_list(x), _as_list(y)
        if len(xs) != len(ys):
            raise ValueError(f"Residual needs the module to keep the size: input {len(xs)}, output {len(ys)}")
        out = [a + b for a, b in zip(xs, ys)]
        return out if isinstance(x, list) else out[0]

    def config(self) -> dict[str, Any] | None:
        inner = self.module.config()
        return None if inner is None else {"type": "Residual", "module": inner}

    def __repr__(self) -> str:
        return f"Residual({self.module!r})"


class BatchNorm(Module):
    """Batch normalisation over a mini-batch of samples, per feature, with learned scale and shift.

    In training mode each feature is normalised with the batch's mean and (biased)
    variance, computed as Value operations so gradients flow through them, and
    running statistics are updated (PyTorch's rule, with the unbiased variance). In
    evaluation mode the running statistics are used. It mixes samples, so it works
    on batches: use it inside ``Sequential`` and call ``forward_batch`` (``fit`` does).

    Args:
        num_features: the size of each sample.
        eps: added to the variance.
        momentum: weight of the newest batch in the running statistics.
    """

    _buffers = ("running_mean", "running_var")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        self.num_features = _check_size(num_features, "num_features")
        if not (isinstance(eps, (int, float)) and eps > 0):
            raise ValueError(f"eps must be a number > 0, got {eps!r}")
        if not (isinstance(momentum, (int, float)) and 0 <= momentum <= 1):
            raise ValueError(f"momentum must be a number in [0, 1], got {momentum!r}")
        self.eps, self.momentum = float(eps), float(momentum)
        self.gamma = [Value(1.0) for _ in range(num_features)]
        self.beta = [Value(0.0) for _ in range(num_features)]
        self.running_mean = [0.0] * num_features
        self.running_var = [1.0] * num_features

    def forward(self, x: Any) -> Any:
        """One sample: only in evaluation mode (a single sample has no batch statistics)."""
        if self.training:
            raise ValueError("BatchNorm in training mode needs a batch: call forward_batch, or eval() first")
        return self.forward_batch([x])[0]

    def forward_batch(self, xs: Sequence[Any]) -> list[Any]:
        rows = [_as_list(x) for x in xs]
        if any(len(r) != self.num_features for r in rows):
            raise ValueError(f"BatchNorm expects samples of {self.num_features} features")
        n = len(rows)
        columns = []
        for j in range(self.num_features):
            col = [r[j] for r in rows]
            if self.training:
                if n < 2:
                    raise ValueError(f"BatchNorm in training mode needs at least 2 samples, got {n}")
                mean = vsum(col) * (1.0 / n)
                centred = [c - mean for c in col]
                var = vsum(c * c for c in centred) * (1.0 / n)
                inv = (var + self.eps) ** -0.5
                m = self.momentum
                self.running_mean[j] = (1 - m) * self.running_mean[j] + m * mean.data
                self.running_var[j] = (1 - m) * self.running_var[j] + m * var.data * n / (n - 1)
                normed = [c * inv for c in centred]
            else:
                inv = (self.running_var[j] + self.eps) ** -0.5
                normed = [(c - self.running_mean[j]) * inv for c in col]
            columns.append([v * self.gamma[j] + self.beta[j] for v in normed])
        out = [list(r) for r in zip(*columns)]
        return [o if isinstance(x, list) else o[0] for o, x in zip(out, xs)]

    def config(self) -> dict[str, Any]:
        return {"type": "BatchNorm", "num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features})"
