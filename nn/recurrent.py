"""Recurrence from Value nodes: the Elman cell, gated cells (GRU, LSTM), and ``RNN``, which unrolls one over a sequence.

A cell maps one input vector and the previous hidden state to the next hidden state.
Unrolled over ``T`` steps it is one deep graph whose layers share their weights, so
``backward()`` on it is backpropagation through time: each weight's gradient is the
sum of its contributions from every step, and the gradient reaching step ``t`` has
passed through every later step (where a tanh cell shrinks it and a gate can keep it).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from autograd_engine import Value, dot
from autograd_engine.validation import as_bool, as_choice, describe, python_rng

from .mlp import ACTIVATIONS, check_activation
from .module import Module, as_count, as_size, as_vector, check_parameters, config_arguments, register_module

__all__ = ["RNNCell", "GRUCell", "LSTMCell", "RNN", "CELLS", "as_sequence"]

Vector = list[Value]


def as_sequence(xs: Any, size: int, who: str) -> list[Vector]:
    """``xs``, a sequence of input vectors of ``size`` numbers or Values, as a list of lists of Values.

    Raises:
        TypeError: ``xs`` is not a sequence (list, tuple or 2-D array) of vectors of numbers or Values.
        ValueError: ``xs`` is empty, or a vector has another size.

    >>> len(as_sequence([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], 2, "RNN"))
    3
    """
    if isinstance(xs, (str, bytes)) or not (isinstance(xs, Sequence) or getattr(xs, "ndim", None) == 2):
        raise TypeError(f"{who} xs must be a sequence of vectors of {size} numbers or Values (a list of lists "
                        f"or a 2-D array), got {describe(xs)}")
    if len(xs) == 0:
        raise ValueError(f"{who} needs a sequence of at least one vector, got an empty one")
    return [as_vector(x, size, who, name=f"xs[{t}]") for t, x in enumerate(xs)]


def _uniform(rng: random.Random | Any, bound: float, rows: int, cols: int) -> list[Vector]:
    return [[Value(rng.uniform(-bound, bound)) for _ in range(cols)] for _ in range(rows)]


class _Cell(Module):
    """What the cells share: sizes, the previous state's check, and the one constant 1 the biases multiply."""

    input_size: int
    hidden_size: int

    def _inputs(self, x: Any, h: Any) -> tuple[Vector, Vector]:
        who = type(self).__name__
        x = as_vector(x, self.input_size, who, name="x")
        h = [Value(0.0)] * self.hidden_size if h is None else as_vector(h, self.hidden_size, who, name="h")
        return x, h

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """The weights and biases of the cell (see the class)."""
        arguments = config_arguments(cls, config)
        n_in, n_h = as_count(arguments["input_size"], "input_size"), as_count(arguments["hidden_size"], "hidden_size")
        return cls._count(n_in, n_h, as_bool(arguments.get("bias", True), "bias"))

    @staticmethod
    def _count(n_in: int, n_h: int, bias: bool) -> int:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.input_size} -> {self.hidden_size})"


@register_module
class RNNCell(_Cell):
    """The Elman cell: ``h' = activation(W_ih x + W_hh h + b)``.

    Weights are uniform in ``±1/sqrt(hidden_size)`` (PyTorch's scale), the bias 0. Each
    output is one ``dot`` node over ``[x, h, 1]`` and ``[W_ih row, W_hh row, b]``, and its activation.

    Args:
        input_size: the size of each input vector.
        hidden_size: the size of the hidden state.
        activation: "tanh" (the default), "relu", "linear", "sigmoid" or "leaky_relu".
        bias: learn a bias ``b``.
        seed: an int or ``random.Random`` for reproducible weights.

    >>> cell = RNNCell(2, 3, seed=0)
    >>> h = cell([1.0, -1.0])          # the state starts at zeros
    >>> len(cell([0.5, 0.5], h)), cell.num_parameters()
    (3, 18)
    """

    def __init__(self, input_size: int, hidden_size: int, activation: str = "tanh", bias: bool = True,
                 seed: int | random.Random | None = None):
        n_in, n_h = as_size(input_size, "input_size"), as_size(hidden_size, "hidden_size")
        self.activation = check_activation(activation)
        bias = as_bool(bias, "bias")
        check_parameters(self._count(n_in, n_h, bias), f"RNNCell(input_size={n_in}, hidden_size={n_h})")
        rng = python_rng(seed)
        bound = 1 / math.sqrt(n_h)
        self.weight_ih = _uniform(rng, bound, n_h, n_in)
        self.weight_hh = _uniform(rng, bound, n_h, n_h)
        self.bias = [Value(0.0) for _ in range(n_h)] if bias else []
        self.input_size, self.hidden_size = n_in, n_h

    @staticmethod
    def _count(n_in: int, n_h: int, bias: bool) -> int:
        return n_h * (n_in + n_h) + (n_h if bias else 0)

    def forward(self, x: Any, h: Any = None) -> Vector:
        """The next hidden state from the input ``x`` and the state ``h`` (None: zeros).

        Raises:
            TypeError, ValueError: ``x`` or ``h`` is not a vector of the right size (as for ``Linear``).
        """
        x, h = self._inputs(x, h)
        act = ACTIVATIONS[self.activation]
        if self.bias:
            xh = [*x, *h, Value(1.0)]  # the bias is one more weight, on a constant input 1
            return [act(dot([*wi, *wh, b], xh)) for wi, wh, b in zip(self.weight_ih, self.weight_hh, self.bias)]
        xh = [*x, *h]
        return [act(dot([*wi, *wh], xh)) for wi, wh in zip(self.weight_ih, self.weight_hh)]

    def config(self) -> dict[str, Any]:
        """``{"type": "RNNCell", "input_size", "hidden_size", "activation", "bias"}``."""
        return {"type": "RNNCell", "input_size": self.input_size, "hidden_size": self.hidden_size,
                "activation": self.activation, "bias": bool(self.bias)}

    def __repr__(self) -> str:
        return f"RNNCell({self.input_size} -> {self.hidden_size}, {self.activation}{'' if self.bias else ', no bias'})"


class _GatedCell(_Cell):
    """What GRU and LSTM share: ``gates * hidden_size`` rows of input and hidden weights, PyTorch's layout."""

    gates: int

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 seed: int | random.Random | None = None):
        n_in, n_h = as_size(input_size, "input_size"), as_size(hidden_size, "hidden_size")
        bias = as_bool(bias, "bias")
        name = type(self).__name__
        check_parameters(self._count(n_in, n_h, bias), f"{name}(input_size={n_in}, hidden_size={n_h})")
        rng = python_rng(seed)
        bound = 1 / math.sqrt(n_h)
        rows = self.gates * n_h
        self.weight_ih = _uniform(rng, bound, rows, n_in)
        self.weight_hh = _uniform(rng, bound, rows, n_h)
        self.bias_ih = [Value(0.0) for _ in range(rows)] if bias else []
        self.bias_hh = [Value(0.0) for _ in range(rows)] if bias else []
        self.input_size, self.hidden_size = n_in, n_h

    @classmethod
    def _count(cls, n_in: int, n_h: int, bias: bool) -> int:
        return cls.gates * n_h * (n_in + n_h) + (2 * cls.gates * n_h if bias else 0)

    def _rows(self, x: Vector, h: Vector) -> tuple[list[Vector], list[Vector], Vector, Vector]:
        """The input and hidden rows and the vectors they multiply; each bias is one more weight, on an input 1."""
        if not self.bias_ih:
            return self.weight_ih, self.weight_hh, x, h
        one = Value(1.0)
        return ([[*w, b] for w, b in zip(self.weight_ih, self.bias_ih)],
                [[*w, b] for w, b in zip(self.weight_hh, self.bias_hh)], [*x, one], [*h, one])

    def config(self) -> dict[str, Any]:
        """``{"type": <the class>, "input_size", "hidden_size", "bias"}``."""
        return {"type": type(self).__name__, "input_size": self.input_size, "hidden_size": self.hidden_size,
                "bias": bool(self.bias_ih)}

    def __repr__(self) -> str:
        bias = "" if self.bias_ih else ", no bias"
        return f"{type(self).__name__}({self.input_size} -> {self.hidden_size}{bias})"


@register_module
class GRUCell(_GatedCell):
    """The gated recurrent unit (Cho et al. 2014), with PyTorch's equations and parameter layout.

    ``r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)`` (reset), ``z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)``
    (update), ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, and ``h' = (1 - z) * n + z * h``.
    Where ``z`` is near 1 the state is copied and its gradient passes back unchanged: the gate
    is what lets a gradient travel many steps. ``weight_ih`` holds the rows of ``W_ir, W_iz, W_in``
    one after another (``3 * hidden_size`` rows), ``weight_hh`` those of ``W_hr, W_hz, W_hn``;
    all uniform in ``±1/sqrt(hidden_size)``, the biases 0.

    Args:
        input_size: the size of each input vector.
        hidden_size: the size of the hidden state.
        bias: learn the biases ``bias_ih`` and ``bias_hh``.
        seed: an int or ``random.Random`` for reproducible weights.

    >>> cell = GRUCell(2, 3, seed=0)
    >>> len(cell([1.0, -1.0])), cell.num_parameters()
    (3, 63)
    """

    gates = 3

    def forward(self, x: Any, h: Any = None) -> Vector:
        """The next hidden state from the input ``x`` and the state ``h`` (None: zeros).

        Raises:
            TypeError, ValueError: ``x`` or ``h`` is not a vector of the right size (as for ``Linear``).
        """
        x, h = self._inputs(x, h)
        n_h = self.hidden_size
        rows_i, rows_h, x, h1 = self._rows(x, h)
        xh = [*x, *h1]
        out = []
        for j in range(n_h):
            r = dot(rows_i[j] + rows_h[j], xh).sigmoid()  # the input and hidden parts in one dot node
            z = dot(rows_i[n_h + j] + rows_h[n_h + j], xh).sigmoid()
            n = (dot(rows_i[2 * n_h + j], x) + r * dot(rows_h[2 * n_h + j], h1)).tanh()
            out.append(n + z * (h[j] - n))  # (1 - z) * n + z * h, in three nodes
        return out


@register_module
class LSTMCell(_GatedCell):
    """The long short-term memory cell (Hochreiter & Schmidhuber 1997), with PyTorch's equations and layout.

    Input, forget and output gates ``i, f, o = sigmoid(W_i* x + b_i* + W_h* h + b_h*)``, a candidate
    ``g = tanh(W_ig x + b_ig + W_hg h + b_hg)``, the cell ``c' = f * c + i * g`` and the output
    ``h' = o * tanh(c')``. The cell ``c`` is carried from step to step through a product with ``f``
    alone, so where the forget gate is near 1 its gradient passes back nearly unchanged.
    ``weight_ih`` holds the rows for ``i, f, g, o`` one after another (``4 * hidden_size`` rows),
    ``weight_hh`` likewise; all uniform in ``±1/sqrt(hidden_size)``, the biases 0.

    Args:
        input_size: the size of each input vector.
        hidden_size: the size of the hidden state and of the cell.
        bias: learn the biases ``bias_ih`` and ``bias_hh``.
        seed: an int or ``random.Random`` for reproducible weights.

    >>> cell = LSTMCell(2, 3, seed=0)
    >>> h, c = cell([1.0, -1.0])          # the state (h, c) starts at zeros
    >>> len(cell([0.5, 0.5], (h, c))[0]), cell.num_parameters()
    (3, 84)
    """

    gates = 4

    def state(self, state: Any, who: str = "LSTMCell", name: str = "state") -> tuple[Vector, Vector]:
        """``state``, a pair ``(h, c)`` of vectors (or an array of shape ``(2, hidden_size)``), as two lists of Values.

        None is the zero state. ``who`` and ``name`` say, in messages, whose argument it is.

        Raises:
            TypeError: ``state`` is not such a pair, or ``h`` or ``c`` is not a vector of numbers or Values.
            ValueError: ``h`` or ``c`` has another size than ``hidden_size``.

        >>> h, c = LSTMCell(2, 3, seed=0).state(None)
        >>> [v.data for v in h + c]
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        """
        n_h = self.hidden_size
        if state is None:
            return [Value(0.0)] * n_h, [Value(0.0)] * n_h
        if not (isinstance(state, (tuple, list)) or getattr(state, "ndim", None) == 2) or len(state) != 2:
            raise TypeError(f"{who} {name} must be a pair (h, c) of vectors of {n_h} numbers or Values (or an array "
                            f"of shape (2, {n_h})), or None, got {describe(state)}")
        names = ("h", "c") if name == "state" else (f"{name}[0]", f"{name}[1]")
        return as_vector(state[0], n_h, who, name=names[0]), as_vector(state[1], n_h, who, name=names[1])

    def forward(self, x: Any, state: Any = None) -> tuple[Vector, Vector]:
        """The next state ``(h, c)`` from the input ``x`` and the state ``(h, c)`` (None: zeros).

        Raises:
            TypeError: ``state`` is not a pair ``(h, c)`` (or an array of shape ``(2, hidden_size)``);
                ``x``, ``h`` or ``c`` is not a vector.
            ValueError: a vector of the wrong size (as for ``Linear``).
        """
        h, c = self.state(state)
        x = as_vector(x, self.input_size, "LSTMCell", name="x")
        n_h = self.hidden_size
        rows_i, rows_h, x, h1 = self._rows(x, h)
        xh = [*x, *h1]
        gate = [dot(wi + wh, xh) for wi, wh in zip(rows_i, rows_h)]  # one dot node a row, input and hidden parts
        h_out, c_out = [], []
        for j in range(n_h):
            i, f = gate[j].sigmoid(), gate[n_h + j].sigmoid()
            g, o = gate[2 * n_h + j].tanh(), gate[3 * n_h + j].sigmoid()
            c_new = f * c[j] + i * g
            c_out.append(c_new)
            h_out.append(o * c_new.tanh())
        return h_out, c_out


#: name -> cell class, for ``RNN(cell=...)``.
CELLS: dict[str, type[_Cell]] = {"elman": RNNCell, "gru": GRUCell, "lstm": LSTMCell}
_OUTPUTS = ("all", "last")


@register_module
class RNN(Module):
    """A cell unrolled over a sequence: ``h_t = cell(x_t, h_{t-1})`` for ``t = 1 .. T``, from ``h_0 = 0``.

    Every step calls the same cell, so the unrolled graph shares its weights across time
    and ``backward()`` through it is backpropagation through time.

    Args:
        input_size: the size of each input vector.
        hidden_size: the size of the hidden state.
        cell: "elman" (``RNNCell``, the default), "gru" (``GRUCell``) or "lstm" (``LSTMCell``).
        outputs: "all" (the default) returns every hidden state ``[h_1, ..., h_T]``;
            "last" returns ``h_T`` alone (to feed a ``Linear`` read-out in a ``Sequential``).
            An LSTM's cell states ``c_t`` are not returned.
        activation: the Elman cell's activation ("tanh" by default); must be "tanh" for "gru" and "lstm".
        bias: the cell learns its biases (as the cells' ``bias``).
        seed: an int or ``random.Random`` for reproducible weights.

    Raises:
        TypeError, ValueError: an argument of the wrong kind or out of range.

    >>> rnn = RNN(1, 4, cell="gru", outputs="last", seed=0)
    >>> len(rnn([[0.5], [-1.0], [2.0]]))
    4
    """

    def __init__(self, input_size: int, hidden_size: int, cell: str = "elman", outputs: str = "all",
                 activation: str = "tanh", bias: bool = True, seed: int | random.Random | None = None):
        kind = as_choice(cell, "cell", CELLS)
        self.outputs = as_choice(outputs, "outputs", _OUTPUTS)
        activation = check_activation(activation)
        if kind != "elman" and activation != "tanh":
            raise ValueError(f"activation must be 'tanh' for cell={kind!r} (the gated cell's own), got {activation!r}")
        bias = as_bool(bias, "bias")
        if kind == "elman":
            self.cell: _Cell = RNNCell(input_size, hidden_size, activation=activation, bias=bias, seed=seed)
        else:
            self.cell = CELLS[kind](input_size, hidden_size, bias=bias, seed=seed)
        self.kind, self.activation, self.bias = kind, activation, bias

    def forward(self, xs: Any, h0: Any = None) -> list[Vector] | Vector:
        """The hidden states over the sequence ``xs`` (a list of input vectors), from ``h0`` (None: zeros).

        For an LSTM ``h0`` is the pair ``(h, c)``.

        Returns:
            ``[h_1, ..., h_T]`` (``outputs="all"``), or ``h_T`` (``outputs="last"``).

        Raises:
            TypeError: ``xs`` is not a sequence of vectors of numbers or Values, or ``h0`` not a state.
            ValueError: ``xs`` is empty, or a vector (or ``h0``) has another size.
        """
        xs = as_sequence(xs, self.cell.input_size, "RNN")
        if h0 is None:
            state = None
        elif isinstance(self.cell, LSTMCell):
            state = self.cell.state(h0, "RNN", "h0")
        else:
            state = as_vector(h0, self.cell.hidden_size, "RNN", name="h0")
        states = []
        for x in xs:
            state = self.cell(x, state)
            states.append(state[0] if self.kind == "lstm" else state)
        return states if self.outputs == "all" else states[-1]

    def config(self) -> dict[str, Any]:
        """``{"type": "RNN", "input_size", "hidden_size", "cell", "outputs", "activation", "bias"}``."""
        return {"type": "RNN", "input_size": self.cell.input_size, "hidden_size": self.cell.hidden_size,
                "cell": self.kind, "outputs": self.outputs, "activation": self.activation, "bias": self.bias}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """The cell's parameters."""
        arguments = config_arguments(cls, config)
        kind = as_choice(arguments["cell"], "cell", CELLS)
        n_in, n_h = as_count(arguments["input_size"], "input_size"), as_count(arguments["hidden_size"], "hidden_size")
        return CELLS[kind]._count(n_in, n_h, as_bool(arguments["bias"], "bias"))

    def __repr__(self) -> str:
        act = f", {self.activation}" if self.kind == "elman" and self.activation != "tanh" else ""
        bias = "" if self.bias else ", no bias"
        return (f"RNN({self.cell.input_size} -> {self.cell.hidden_size}, {self.kind}{act}{bias}, "
                f"outputs={self.outputs})")
