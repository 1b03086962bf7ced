"""Convolution from Value nodes: ``Conv2d``, ``MaxPool2d``, and ``Flatten``/``Unflatten`` between them and vectors.

An image is a nested list ``channels x height x width`` of numbers or Values (a 3-D
NumPy array too); every layer returns nested lists of Values. A convolution uses
each kernel weight at every position of the image, so the weight's gradient is the
sum of what each position sends it: weight sharing is gradient accumulation, done
by the engine because the same Value is a parent of many nodes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from functools import reduce
from typing import Any

from autograd_engine import Value, dot, maximum
from autograd_engine.validation import as_bool, as_int, describe, is_real, python_rng
from autograd_engine.value import as_value

from .mlp import ACTIVATIONS, check_activation
from .module import (
    MAX_SIZE,
    Module,
    as_count,
    as_size,
    as_vector,
    check_parameters,
    config_arguments,
    register_module,
)

__all__ = ["Conv2d", "MaxPool2d", "Flatten", "Unflatten", "as_image"]

Image = list[list[list[Value]]]

#: The deepest nesting ``Flatten`` reads (a list that holds itself is otherwise endless).
MAX_DEPTH = 100


def _sequence(x: Any, who: str, name: str, what: str) -> Any:
    """``x`` when it is a list, tuple or array (of one dimension or more), else a TypeError saying ``what``."""
    if isinstance(x, (str, bytes)) or not (isinstance(x, Sequence) or getattr(x, "ndim", 0) >= 1):
        raise TypeError(f"{who} {name} must be {what}, got {describe(x)}")
    return x


def as_image(x: Any, channels: int | None, who: str) -> Image:
    """``x``, one image, as a ``channels x height x width`` nested list of Values (numbers become leaves).

    Args:
        x: nested lists or tuples, or a 3-D array, of numbers or Values.
        channels: how many channels it must have; None for any number.
        who: the module, as messages name it (``"Conv2d"``).

    Raises:
        TypeError: ``x`` is not nested three deep, or an element is not a Value or a real number.
        ValueError: an array of another number of dimensions than 3, another number of channels, an empty
            channel or row, or rows or channels of unequal sizes.

    >>> [[[v.data for v in row] for row in ch] for ch in as_image([[[1, 2]]], 1, "Conv2d")]
    [[[1.0, 2.0]]]
    """
    image = _sequence(x, who, "input", "a channels x height x width nested list of numbers or Values "
                                       "(or a 3-D array)")
    ndim = getattr(image, "ndim", 3)
    if ndim != 3:
        hint = {1: "Unflatten([channels, height, width]) makes an image of a flat row",
                2: "one channel is an array of shape (1, height, width)"}.get(ndim, "call the model on one image "
                                                                                    "at a time")
        raise ValueError(f"{who} input must be one image, channels x height x width (a 3-D array), "
                         f"got an array of shape {tuple(image.shape)}; {hint}")
    if channels is not None and len(image) != channels:
        raise ValueError(f"{who} expects {channels} channel{'s' if channels > 1 else ''}, got {len(image)}")
    if len(image) == 0:
        raise ValueError(f"{who} input must have at least one channel, got an empty {type(x).__name__}")
    height = width = 0
    out: Image = []
    for c, channel in enumerate(image):
        rows = _sequence(channel, who, f"input[{c}]", "a list of rows (the image must be channels x height x width)")
        if c == 0:
            height = len(rows)
            if height == 0:
                raise ValueError(f"{who} input[0] must have at least one row, got none")
        elif len(rows) != height:
            raise ValueError(f"{who} input must be rectangular: input[{c}] has {len(rows)} rows, input[0] has {height}")
        checked = []
        for i, row in enumerate(rows):
            name = f"input[{c}][{i}]"
            row = _sequence(row, who, name, "a row of numbers or Values (the image must be channels x height x width)")
            if width == 0:
                width = len(row)
                if width == 0:
                    raise ValueError(f"{who} {name} must have at least one value, got none")
            elif len(row) != width:
                raise ValueError(f"{who} input must be rectangular: {name} has {len(row)} values, "
                                 f"input[0][0] has {width}")
            checked.append(as_vector(row, width, who, name=name))
        out.append(checked)
    return out


def _output_size(size: int, kernel: int, stride: int, padding: int, who: str, shape: str) -> int:
    """How many positions a window of ``kernel`` takes, by ``stride``, over ``size + 2 * padding``."""
    if kernel > size + 2 * padding:
        pad = f" with padding {padding}" if padding else ""
        raise ValueError(f"{who} kernel_size {kernel} is larger than the input {shape}{pad}; "
                         f"use a smaller kernel_size or a larger image")
    return (size + 2 * padding - kernel) // stride + 1


@register_module
class Conv2d(Module):
    """A 2-D convolution (cross-correlation, as in PyTorch): ``out_channels`` kernels slid over the image.

    Output ``[o][r][q]`` is ``activation(sum over c, i, j of weight[o][c][i][j] *
    x[c][r*stride + i - padding][q*stride + j - padding] + bias[o])``: one ``dot`` node per
    output (the bias is its last weight, on a constant input 1); zeros surround the image
    when ``padding > 0``. Weights are uniform in
    ``±1/sqrt(in_channels * kernel_size**2)`` (PyTorch's default scale), biases 0.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: the side of the square kernel.
        stride: the step between positions (an int >= 1).
        padding: rows and columns of zeros added on every side, from 0 to ``kernel_size - 1``
            (PyTorch allows more, which only adds outputs that see nothing but zeros).
        bias: add a learned bias per output channel.
        activation: applied to every output: "linear" (the default), "relu", "tanh", "sigmoid", "leaky_relu".
        seed: an int or ``random.Random`` for reproducible weights.

    Raises:
        TypeError, ValueError: an argument of the wrong kind or out of range; when called, an input
            that is not an image of ``in_channels`` channels at least as large as the kernel.

    >>> conv = Conv2d(1, 2, 3, seed=0)
    >>> out = conv([[[0.0] * 5] * 5])
    >>> len(out), len(out[0]), len(out[0][0]), conv.num_parameters()
    (2, 3, 3, 20)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 bias: bool = True, activation: str = "linear", seed: int | random.Random | None = None):
        cin, cout = as_size(in_channels, "in_channels"), as_size(out_channels, "out_channels")
        k = as_size(kernel_size, "kernel_size")
        self.stride = as_size(stride, "stride")
        self.padding = as_int(padding, "padding", minimum=0, maximum=MAX_SIZE)
        if self.padding >= k:
            raise ValueError(f"padding must be an int from 0 to kernel_size - 1 = {k - 1} (a wider border only "
                             f"adds outputs that see nothing but zeros), got {self.padding}")
        bias = as_bool(bias, "bias")
        self.activation = check_activation(activation)
        check_parameters(cout * cin * k * k + (cout if bias else 0),
                         f"Conv2d(in_channels={cin}, out_channels={cout}, kernel_size={k})")
        rng = python_rng(seed)
        bound = 1 / math.sqrt(cin * k * k)
        self.weight = [[[[Value(rng.uniform(-bound, bound)) for _ in range(k)] for _ in range(k)]
                        for _ in range(cin)] for _ in range(cout)]
        self.bias = [Value(0.0) for _ in range(cout)] if bias else []
        self.in_channels, self.out_channels, self.kernel_size = cin, cout, k

    def forward(self, x: Any) -> Image:
        """The ``out_channels x out_height x out_width`` feature maps of one image.

        Raises:
            TypeError: ``x`` is not a nested list (or 3-D array) of numbers or Values.
            ValueError: another number of channels than ``in_channels``, a ragged image, or an image
                smaller than the kernel (after padding).
        """
        image = as_image(x, self.in_channels, "Conv2d")
        k, s, p = self.kernel_size, self.stride, self.padding
        height, width = len(image[0]), len(image[0][0])
        shape = f"{height}x{width}"
        out_h = _output_size(height, k, s, p, "Conv2d", shape)
        out_w = _output_size(width, k, s, p, "Conv2d", shape)
        if p:
            zero = Value(0.0)
            image = [[[zero] * (width + 2 * p)] * p + [[zero] * p + row + [zero] * p for row in ch]
                     + [[zero] * (width + 2 * p)] * p for ch in image]
        # the bias is one more weight of the kernel, on a constant input 1 appended to every patch
        kernels = [[w for ch in kernel for row in ch for w in row] for kernel in self.weight]
        tail = [Value(1.0)] if self.bias else []
        if self.bias:
            kernels = [[*kernel, b] for kernel, b in zip(kernels, self.bias)]
        act = ACTIVATIONS[self.activation]
        out: Image = [[[] for _ in range(out_h)] for _ in range(self.out_channels)]
        for r in range(out_h):
            for q in range(out_w):
                patch = [v for ch in image for row in ch[r * s:r * s + k] for v in row[q * s:q * s + k]] + tail
                for o, kernel in enumerate(kernels):
                    out[o][r].append(act(dot(kernel, patch)))
        return out

    def config(self) -> dict[str, Any]:
        """``{"type": "Conv2d", "in_channels", "out_channels", "kernel_size", "stride", "padding", "bias",
        "activation"}``."""
        return {"type": "Conv2d", "in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding,
                "bias": bool(self.bias), "activation": self.activation}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """``out_channels * in_channels * kernel_size**2`` weights, and ``out_channels`` biases when ``bias``."""
        arguments = config_arguments(cls, config)
        cin, cout = as_count(arguments["in_channels"], "in_channels"), as_count(arguments["out_channels"],
                                                                                 "out_channels")
        k = as_count(arguments["kernel_size"], "kernel_size")
        return cout * cin * k * k + (cout if as_bool(arguments["bias"], "bias") else 0)

    def __repr__(self) -> str:
        extra = "".join([f", stride={self.stride}" if self.stride != 1 else "",
                         f", padding={self.padding}" if self.padding else "",
                         "" if self.bias else ", no bias",
                         f", {self.activation}" if self.activation != "linear" else ""])
        return f"Conv2d({self.in_channels} -> {self.out_channels}, kernel_size={self.kernel_size}{extra})"


@register_module
class MaxPool2d(Module):
    """The largest value of each ``kernel_size x kernel_size`` window, channel by channel.

    Each window is a chain of ``maximum`` nodes, so the gradient flows only to the largest
    value of the window. A tie shares it along the chain, each ``maximum`` halving it: four
    equal values get 1/8, 1/8, 1/4 and 1/2 of it (PyTorch gives it all to the first); the
    total is always what arrived.

    Args:
        kernel_size: the side of the square window.
        stride: the step between windows; None (the default) for ``kernel_size`` (windows that do not overlap).

    >>> pool = MaxPool2d(2)
    >>> [[v.data for v in row] for row in pool([[[1, 2, 0, 0], [3, 4, 0, 9]]])[0]]
    [[4.0, 9.0]]
    """

    def __init__(self, kernel_size: int, stride: int | None = None):
        self.kernel_size = as_size(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else as_size(stride, "stride")

    def forward(self, x: Any) -> Image:
        """The pooled ``channels x out_height x out_width`` maps of one image.

        Raises:
            TypeError: ``x`` is not a nested list (or 3-D array) of numbers or Values.
            ValueError: a ragged image, or one smaller than the window.
        """
        image = as_image(x, None, "MaxPool2d")
        k, s = self.kernel_size, self.stride
        height, width = len(image[0]), len(image[0][0])
        out_h = _output_size(height, k, s, 0, "MaxPool2d", f"{height}x{width}")
        out_w = _output_size(width, k, s, 0, "MaxPool2d", f"{height}x{width}")
        return [[[reduce(maximum, [v for row in ch[r * s:r * s + k] for v in row[q * s:q * s + k]])
                  for q in range(out_w)] for r in range(out_h)] for ch in image]

    def config(self) -> dict[str, Any]:
        """``{"type": "MaxPool2d", "kernel_size", "stride"}``."""
        return {"type": "MaxPool2d", "kernel_size": self.kernel_size, "stride": self.stride}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """No parameters."""
        config_arguments(cls, config)
        return 0

    def __repr__(self) -> str:
        stride = f", stride={self.stride}" if self.stride != self.kernel_size else ""
        return f"MaxPool2d(kernel_size={self.kernel_size}{stride})"


@register_module
class Flatten(Module):
    """Nested lists (an image, a sequence of vectors ...) as one flat list of Values, in reading order.

    >>> [v.data for v in Flatten()([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])]
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    """

    def forward(self, x: Any) -> list[Value]:
        """Every number or Value of ``x`` (nested lists, tuples or arrays, of any depth), in order.

        Raises:
            TypeError: ``x`` is not a list, tuple or array, or holds something else than Values and numbers.
            ValueError: ``x`` holds no values at all, or is nested more than ``MAX_DEPTH`` (100) levels deep.
        """
        _sequence(x, "Flatten", "input", "a nested list of numbers or Values (or an array)")
        out: list[Value] = []
        stack: list[tuple[str, Any, int]] = [("input", x, 0)]
        while stack:
            name, item, depth = stack.pop()
            if isinstance(item, Value) or is_real(item):
                out.append(as_value(item, f"Flatten {name}"))
            elif isinstance(item, (str, bytes)) or not (isinstance(item, Sequence) or getattr(item, "ndim", 0) >= 1):
                raise TypeError(f"Flatten {name} must be a Value, a real number or a list of them, "
                                f"got {describe(item)}")
            elif depth == MAX_DEPTH:
                raise ValueError(f"Flatten input is nested more than {MAX_DEPTH} levels deep (a list that holds "
                                 f"itself?), at {name[:60]}{'...' if len(name) > 60 else ''}")
            else:
                stack.extend((f"{name}[{i}]", v, depth + 1) for i, v in reversed(list(enumerate(item))))
        if not out:
            raise ValueError(f"Flatten input must hold at least one value, got {describe(x)}")
        return out

    def config(self) -> dict[str, Any]:
        """``{"type": "Flatten"}``."""
        return {"type": "Flatten"}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """No parameters."""
        config_arguments(cls, config)
        return 0

    def __repr__(self) -> str:
        return "Flatten()"


def _shape(shape: Any, size: Any = as_size) -> list[int]:
    if isinstance(shape, (str, bytes)) or not (isinstance(shape, Sequence) or getattr(shape, "ndim", None) == 1):
        raise TypeError(f"shape must be a list of sizes, got {describe(shape)}")
    if len(shape) == 0:
        raise ValueError(f"shape must be a non-empty list of sizes, got {describe(shape)}")
    dims = [size(n, f"shape[{i}]") for i, n in enumerate(shape)]
    total = math.prod(dims)
    if size is as_size and total > MAX_SIZE:
        raise ValueError(f"shape must hold at most {MAX_SIZE} values (nn.module.MAX_SIZE), got {dims} ({total})")
    return dims


@register_module
class Unflatten(Module):
    """One flat vector as nested lists of ``shape``: ``Unflatten([1, 8, 8])`` turns 64 pixels into an image.

    With it a model of images or sequences trains on the rows of a 2-D array, as ``fit`` gives them:
    ``Sequential(Unflatten([1, 8, 8]), Conv2d(1, 4, 3), ...)``.

    Args:
        shape: the sizes of the nested lists, outermost first (a list of ints >= 1).

    >>> [[v.data for v in row] for row in Unflatten([2, 3])([1, 2, 3, 4, 5, 6])]
    [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    """

    def __init__(self, shape: Sequence[int]):
        self.shape = _shape(shape)

    def forward(self, x: Any) -> list[Any]:
        """``x``, a vector of ``prod(shape)`` numbers or Values, cut into nested lists of ``shape``.

        Raises:
            TypeError, ValueError: ``x`` is not such a vector (as for ``Linear``).
        """
        out: Any = as_vector(x, math.prod(self.shape), "Unflatten")
        for n in reversed(self.shape[1:]):
            out = [out[i:i + n] for i in range(0, len(out), n)]
        return out

    def config(self) -> dict[str, Any]:
        """``{"type": "Unflatten", "shape"}``."""
        return {"type": "Unflatten", "shape": list(self.shape)}

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int:
        """No parameters."""
        _shape(config_arguments(cls, config)["shape"], as_count)
        return 0

    def __repr__(self) -> str:
        return f"Unflatten({self.shape})"

