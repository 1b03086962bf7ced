"""micrograd's network parts: ``Neuron``, ``Layer``, ``MLP``, and ``Activation`` between other modules.

``Neuron``, ``Layer`` and ``MLP`` take the same constructor arguments, call
convention and parameter order as micrograd 0.1.0's ``nn``, so code written for
it runs unchanged; with the default global ``random`` and the same seed they
even start from the same weights.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

from autograd_engine import Value, dot
from autograd_engine.validation import as_bool, as_choice, describe, is_real, python_rng
from autograd_engine.value import as_value

from .module import Module, as_count, as_size, as_vector, check_parameters, config_arguments, register_module

__all__ = ["Neuron", "Layer", "MLP", "Activation", "ACTIVATIONS", "INITS"]


def identity(v: Value) -> Value:
    """The "linear" activation: ``v`` itself."""
    return v


#: name -> function of a Value; "linear" is the identity. Modules store the name, not the function.
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,
    "linear": identity,
}
INITS = ("uniform", "xavier", "he")
#: The keyword arguments of ``Neuron`` that ``Layer`` passes on.
NEURON_OPTIONS = ("nonlin", "activation", "init", "seed", "fused", "fan_out")


def check_activation(activation: Any, name: str = "activation") -> str:
    """``activation`` when it names one of ``ACTIVATIONS``, else an error naming the argument ``name``."""
    return as_choice(activation, name, ACTIVATIONS)


def check_init(init: Any) -> str:
    """``init`` when it names one of ``INITS``, else an error naming the argument."""
    return as_choice(init, "init", INITS)


def check_widths(nouts: Any, size: Callable[[Any, str], int] = as_size) -> list[int]:
    """MLP's ``nouts`` as a list of sizes (a list, tuple or 1-D array of ints), else an error.

    Args:
        nouts: the widths.
        size: the check of each width (``as_count`` reads a description without bounding it).

    Raises:
        TypeError: ``nouts`` is not a sequence, or a width is not an int.
        ValueError: ``nouts`` is empty, or a width is below 1 or too large.
    """
    if isinstance(nouts, (str, bytes)) or not (isinstance(nouts, Sequence) or getattr(nouts, "ndim", None) == 1):
        raise TypeError(f"nouts must be a list of layer widths, got {describe(nouts)}")
    if len(nouts) == 0:
        raise ValueError(f"nouts must be a non-empty list of layer widths, got {describe(nouts)}")
    return [size(n, "each layer width") for n in nouts]


@register_module
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

    Raises:
        TypeError, ValueError: an argument of the wrong kind or out of range (sizes from 1 to ``MAX_SIZE``,
            and at most ``MAX_SIZE`` parameters in all: every module checks this before allocating).

    >>> n = Neuron(3, seed=0)
    >>> len(n.parameters()), n([1.0, 2.0, 3.0]).op
    (4, 'relu')
    """

    def __init__(self, nin: int, nonlin: bool = True, *, activation: str | None = None, init: str = "uniform",
                 seed: int | random.Random | None = None, fused: bool = True, fan_out: int = 1):
        nin = as_size(nin, "nin")
        check_parameters(nin + 1, f"Neuron(nin={nin})")
        nonlin = as_bool(nonlin, "nonlin")
        self.activation = check_activation(activation if activation is not None else
                                           ("relu" if nonlin else "linear"))
        init = check_init(init)
        fan_out = as_size(fan_out, "fan_out")
        self.fused = as_bool(fused, "fused")
        rng = python_rng(seed)
        if init == "uniform":
            self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        elif init == "xavier":
            a = math.sqrt(6.0 / (nin + fan_out))
            self.w = [Value(rng.uniform(-a, a)) for _ in range(nin)]
        else:
            std = math.sqrt(2.0 / nin)
            self.w = [Value(rng.gauss(0.0, std)) for _ in range(nin)]
        self.b = Value(0.0)

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: whether the neuron applies a non-linearity."""
        return self.activation != "linear"

    def forward(self, x: Sequence[Value | float]) -> Value:
        """``activation(w . x + b)`` for one input vector of ``nin`` numbers or Values.

        Raises:
            TypeError: ``x`` is not a vector (a list, tuple or 1-D array), or holds something else than
                Values and numbers.
            ValueError: ``x`` does not have ``nin`` elements.
        """
        return self._output(as_vector(x, len(self.w), "Neuron", inputs=True))

    def _output(self, x: list[Value]) -> Value:
        """``forward`` without the checks, for a list of ``nin`` Values (``Layer`` checks its input once)."""
        if self.fused:
            act = dot(self.w, x) + self.b
        else:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return ACTIVATIONS[self.activation](act)

    def config(self) -> dict[str, Any]:
        """``{"type": "Neuron", "nin", "activation", "fused"}``."""
        return {"type": "Neuron", "nin": len(self.w), "activation": self.activation, "fused": self.fused}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """``nin`` weights and a bias."""
        return as_count(config_arguments(cls, config)["nin"], "nin") + 1

    def __repr__(self) -> str:
        name = "ReLU" if self.activation == "relu" else self.activation.capitalize()
        return f"{name}Neuron({len(self.w)})"


@register_module
class Layer(Module):
    """``nout`` neurons on the same inputs; returns one Value when ``nout == 1``, else a list.

    Takes ``Neuron``'s keyword arguments (one ``seed`` generator serves all neurons).

    >>> Layer(2, 3, seed=0)([1.0, -1.0]).__class__.__name__
    'list'
    """

    def __init__(self, nin: int, nout: int, **kwargs: Any):
        nin, nout = as_size(nin, "nin"), as_size(nout, "nout")
        check_parameters(nout * (nin + 1), f"Layer(nin={nin}, nout={nout})")
        unknown = [k for k in kwargs if k not in NEURON_OPTIONS]
        if unknown:
            raise TypeError(f"Layer got an unexpected keyword argument {unknown[0]!r}; it takes nin, nout and "
                            f"Neuron's keyword arguments: {', '.join(NEURON_OPTIONS)}")
        kwargs["seed"] = python_rng(kwargs.get("seed"))
        kwargs.setdefault("fan_out", nout)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """Every neuron's output for one input vector: a Value for one neuron, else a list.

        Raises:
            TypeError, ValueError: as for ``Neuron.forward``.
        """
        out = self._outputs(as_vector(x, len(self.neurons[0].w), "Layer", inputs=True))
        return out[0] if len(out) == 1 else out

    def _outputs(self, x: list[Value]) -> list[Value]:
        """Every neuron's output, always a list, for a list of ``nin`` Values (no checks: what ``MLP`` calls)."""
        return [n._output(x) for n in self.neurons]  # numbers were made Values once, shared by all neurons

    def config(self) -> dict[str, Any]:
        """``{"type": "Layer", "nin", "nout", "activation", "fused"}``."""
        n = self.neurons[0]
        return {"type": "Layer", "nin": len(n.w), "nout": len(self.neurons), "activation": n.activation,
                "fused": n.fused}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """``nout`` neurons of ``nin + 1`` parameters."""
        arguments = config_arguments(cls, config)
        return as_count(arguments["nout"], "nout") * (as_count(arguments["nin"], "nin") + 1)

    def __repr__(self) -> str:
        n = self.neurons[0]
        return f"Layer({len(n.w)} -> {len(self.neurons)}, {n.activation})"


@register_module
class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` like micrograd's.

    Hidden layers use ``activation`` (ReLU by default), the last layer
    ``output_activation`` (linear by default). Parameters are labelled with their
    names, so drawings can group them (``group_by="layers.0."``).

    Args:
        nin: number of inputs.
        nouts: the width of each layer (a list, tuple or 1-D array of ints).
        activation, output_activation: activation names (see ``Neuron``).
        init, seed, fused: as for ``Neuron``; one generator serves the whole network.

    Raises:
        TypeError, ValueError: an argument of the wrong kind or out of range (as for ``Neuron``; the
            whole network has at most ``MAX_SIZE`` parameters).

    >>> model = MLP(2, [4, 1], seed=0)
    >>> model.num_parameters(), model
    (17, MLP(2 -> 4 -> 1, activation=relu, 17 parameters))
    """

    def __init__(self, nin: int, nouts: Sequence[int], *, activation: str = "relu",
                 output_activation: str = "linear", init: str = "uniform",
                 seed: int | random.Random | None = None, fused: bool = True):
        sizes = [as_size(nin, "nin"), *check_widths(nouts)]
        check_parameters(sum((a + 1) * b for a, b in zip(sizes, sizes[1:])),
                         f"MLP(nin={sizes[0]}, nouts={sizes[1:]})")
        check_activation(activation)
        check_activation(output_activation, "output_activation")
        check_init(init)
        fused = as_bool(fused, "fused")
        rng = python_rng(seed)
        depth = len(sizes) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], init=init, seed=rng, fused=fused,
                             activation=activation if i < depth - 1 else output_activation)
                       for i in range(depth)]
        self._config = {"nin": sizes[0], "nouts": sizes[1:], "activation": activation,
                        "output_activation": output_activation, "init": init, "fused": fused}
        self.label_parameters()

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """The network's output for one input vector: a Value when the last layer has one neuron, else a list.

        A hidden layer of width 1 hands its one output on as a vector of one (micrograd's ``MLP`` fails there).

        Raises:
            TypeError, ValueError: as for ``Neuron.forward``, naming the MLP.
        """
        x = as_vector(x, self._config["nin"], "MLP", inputs=True)
        for layer in self.layers:
            x = layer._outputs(x)
        return x[0] if len(x) == 1 else x

    def config(self) -> dict[str, Any]:
        """``{"type": "MLP", "nin", "nouts", "activation", "output_activation", "init", "fused"}``."""
        return {"type": "MLP", **self._config, "nouts": list(self._config["nouts"])}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """Each layer's ``(inputs + 1) * width``."""
        arguments = config_arguments(cls, config)
        sizes = [as_count(arguments["nin"], "nin"), *check_widths(arguments["nouts"], as_count)]
        return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))

    def __repr__(self) -> str:
        sizes = " -> ".join(str(s) for s in [self._config["nin"], *self._config["nouts"]])
        return f"MLP({sizes}, activation={self._config['activation']}, {self.num_parameters()} parameters)"


@register_module
class Activation(Module):
    """An activation applied to every element: ``Activation("tanh")``; for use between other modules.

    >>> [v.data for v in Activation("relu")([Value(-1.0), Value(2.0)])]
    [0.0, 2.0]
    """

    def __init__(self, name: str):
        self.name = check_activation(name, "name")

    def forward(self, x: Any) -> Any:
        """The activation of a number or Value, or (a list) of each element of a list, tuple or 1-D array.

        Raises:
            TypeError: ``x`` or an element of it is neither a Value nor a real number.
            ValueError: ``x`` or an element is an int too large for a float.
        """
        fn = ACTIVATIONS[self.name]
        if isinstance(x, Value) or is_real(x):
            return fn(as_value(x, "Activation input"))
        if isinstance(x, (str, bytes)) or not (isinstance(x, Sequence) or getattr(x, "ndim", None) == 1):
            raise TypeError(f"Activation input must be a Value, a number or a vector of them, got {describe(x)}")
        return [fn(as_value(v, f"Activation input[{i}]")) for i, v in enumerate(x)]

    def config(self) -> dict[str, Any]:
        """``{"type": "Activation", "name"}``."""
        return {"type": "Activation", "name": self.name}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """No parameters."""
        config_arguments(cls, config)
        return 0

    def __repr__(self) -> str:
        return f"Activation({self.name})"
