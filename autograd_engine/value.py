"""``Value``: one float, its gradient, and the operation that produced it."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable
from typing import Any

from . import ops
from .hooks import RemovableHandle, register_hook
from .modes import RECORD, current_mode
from .ops import Op
from .validation import as_real, describe, is_real

__all__ = ["Value", "TracedValue", "TracerError", "apply", "vsum", "dot", "logsumexp", "softmax", "as_value"]

Number = int | float


def _lift(other: Any) -> Value | None:
    """``other`` as a Value: constants become new leaves; ``None`` for unsupported types."""
    if isinstance(other, Value):
        return other
    if type(other) is float or type(other) is int or is_real(other):  # the common types first: a hot path
        return Value(other)
    return None


def as_value(item: Any, name: str) -> Value:
    """``item`` as a Value (a number becomes a new leaf), or an error naming ``name``.

    Raises:
        TypeError: ``item`` is neither a Value nor a real number.
        ValueError: ``item`` is an int too large for a float.
    """
    if isinstance(item, Value):
        return item
    if is_real(item):
        return Value(as_real(item, name))
    raise TypeError(f"{name} must be a Value or a real number, got {describe(item)}")


class Value:
    """A scalar node of a computation graph: a float, its gradient, and how it was made.

    Arithmetic on Values (``+ - * / **``, ``exp()``, ``tanh()`` ...) returns new
    Values that remember their parents; ``backward()`` then fills ``.grad`` of every
    node the result depends on with the derivative of the result with respect to it.

    Args:
        data: a real number (``int``, ``float``, NumPy scalar, ``Fraction`` ...), stored as ``float``.
        label: an optional name, shown by ``repr`` and in graph drawings.

    Attributes:
        data: the value, a ``float``.
        grad: the derivative of the last ``backward()`` root with respect to this node (starts at 0.0).
        label: the name given at construction, or ``""``.

    Raises:
        TypeError: ``data`` is not a real number (``bool``, ``str``, ``None``, complex, containers, arrays).

    >>> a, b = Value(2.0, "a"), Value(-3.0, "b")
    >>> c = a * b + a.exp()
    >>> c.backward()
    >>> a.grad, b.grad
    (4.38905609893065, 2.0)
    """

    __slots__ = ("data", "grad", "_meta", "_fn", "_x", "_y", "__weakref__")

    # Internal layout, chosen for memory (about 112 bytes a node) and no reference cycles:
    #   _meta  the label (a str), or a hooks.NodeExtras holding the label and the node's hooks
    #   _fn    the Op that produced the node, None for a leaf
    #   _x, _y the inputs, laid out as the op's kind says (ops.Kind: the only code that reads them)

    def __init__(self, data: Number, label: str = "", _fn: Op | None = None, _x: Any = None, _y: Any = None):
        if type(data) is not float:
            data = as_real(data, "data")
        if type(label) is not str:
            raise TypeError(f"label must be a str, got {describe(label)}")
        self.data = data
        self.grad: Any = 0.0
        self._meta: Any = label
        if _fn is not None:
            mode = current_mode.get()
            if mode is RECORD:
                self._fn = _fn
                self._x = _x
                self._y = _y
                return
            if mode.trace is not None:
                _join_trace(self, _x, _y, mode)
            if mode.grad:
                self._fn, self._x, self._y = _fn, _x, _y
            else:
                self._fn = self._x = self._y = None
            if mode.anomaly is not None:
                mode.anomaly.record(self, _fn.name)
            return
        self._fn = self._x = self._y = None

    # -- structure -------------------------------------------------------------------------------------

    @property
    def op(self) -> str:
        """Name of the operation that produced this node (a key of ``OPS``); ``""`` for a leaf."""
        fn = self._fn
        return "" if fn is None else fn.name

    @property
    def label(self) -> str:
        """The name given at construction (shown by ``repr`` and in drawings), or ``""``; may be set."""
        meta = self._meta
        return meta if type(meta) is str else meta.label

    @label.setter
    def label(self, label: str) -> None:
        if type(label) is not str:
            raise TypeError(f"label must be a str, got {describe(label)}")
        if type(self._meta) is str:
            self._meta = label
        else:
            self._meta.label = label

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the operation, in argument order (``a * a`` lists ``a`` twice)."""
        return ops.parents_of(self)

    @property
    def param(self) -> float | None:
        """The constant of a ``PARAM`` op (the ``2`` of ``x ** 2``); ``None`` otherwise."""
        return ops.param_of(self)

    @property
    def is_leaf(self) -> bool:
        """True for a node made directly (``Value(3.0)``) or under ``no_grad``, not by an operation."""
        return self._fn is None

    # micrograd's names, read by code and notebooks written for it
    _prev = parents
    _op = op

    # -- display and conversion ------------------------------------------------------------------------

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    def __float__(self) -> float:
        return self.data

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter shows a Value as the drawing of its graph (text when Graphviz is missing)."""
        from .viz import mimebundle

        return mimebundle(self, include, exclude)

    # -- arithmetic ------------------------------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        return _binary(ops.ADD, self, other)

    def __radd__(self, other: Number) -> Value:
        return _rbinary(ops.ADD, self, other)

    def __sub__(self, other: Value | Number) -> Value:
        return _binary(ops.SUB, self, other)

    def __rsub__(self, other: Number) -> Value:
        return _rbinary(ops.SUB, self, other)

    def __mul__(self, other: Value | Number) -> Value:
        return _binary(ops.MUL, self, other)

    def __rmul__(self, other: Number) -> Value:
        return _rbinary(ops.MUL, self, other)

    def __truediv__(self, other: Value | Number) -> Value:
        return _binary(ops.DIV, self, other)

    def __rtruediv__(self, other: Number) -> Value:
        return _rbinary(ops.DIV, self, other)

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return _binary(ops.POW, self, other)
        if is_real(other):
            c = as_real(other, "exponent")
            return Value(ops.POW_CONST.forward(self.data, c), "", ops.POW_CONST, self, c)
        return NotImplemented

    def __rpow__(self, other: Number) -> Value:
        return _rbinary(ops.POW, self, other)

    def __neg__(self) -> Value:
        return _unary(ops.NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _unary(ops.ABS, self)

    # -- comparisons (of .data; they return bool and are not recorded) ---------------------------------

    def __lt__(self, other: Value | Number) -> bool:
        return self.data < _compare_data(other)

    def __le__(self, other: Value | Number) -> bool:
        return self.data <= _compare_data(other)

    def __gt__(self, other: Value | Number) -> bool:
        return self.data > _compare_data(other)

    def __ge__(self, other: Value | Number) -> bool:
        return self.data >= _compare_data(other)

    # -- elementwise functions -------------------------------------------------------------------------

    def exp(self) -> Value:
        """``e ** self``."""
        return _unary(ops.EXP, self)

    def log(self) -> Value:
        """Natural logarithm; ``nan`` for negative data, ``-inf`` at 0."""
        return _unary(ops.LOG, self)

    def sqrt(self) -> Value:
        """Square root; ``nan`` for negative data."""
        return _unary(ops.SQRT, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _unary(ops.TANH, self)

    def sigmoid(self) -> Value:
        """Logistic function ``1 / (1 + e ** -self)``."""
        return _unary(ops.SIGMOID, self)

    def relu(self) -> Value:
        """``max(self, 0)``; the derivative at 0 is 0."""
        return _unary(ops.RELU, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """``self`` where positive, else ``slope * self``.

        Raises:
            TypeError: ``slope`` is not a real number.
            ValueError: ``slope`` is ``nan`` or infinite.
        """
        c = slope if type(slope) is float and math.isfinite(slope) else as_real(slope, "slope", finite=True)
        return Value(ops.LEAKY_RELU.forward(self.data, c), "", ops.LEAKY_RELU, self, c)

    def maximum(self, other: Value | Number) -> Value:
        """The larger of ``self`` and ``other`` (``nan`` if either is); a tie splits the gradient in half.

        Raises:
            TypeError: ``other`` is neither a Value nor a real number.
        """
        y = other if isinstance(other, Value) else as_value(other, "other")
        return Value(ops.MAXIMUM.forward(self.data, y.data), "", ops.MAXIMUM, self, y)

    def stop_gradient(self) -> Value:
        """``self``'s value as a node through which no gradient flows (PyTorch's ``detach``)."""
        return _unary(ops.STOP_GRADIENT, self)

    def softplus(self) -> Value:
        """``log(1 + e ** self)``, a smooth ReLU."""
        return _unary(ops.SOFTPLUS, self)

    def sin(self) -> Value:
        """Sine (radians)."""
        return _unary(ops.SIN, self)

    def cos(self) -> Value:
        """Cosine (radians)."""
        return _unary(ops.COS, self)

    # -- differentiation -------------------------------------------------------------------------------

    def register_hook(self, hook: Callable[[Any], Any]) -> RemovableHandle:
        """Call ``hook(grad)`` during backward, once this node's gradient is complete.

        The hook sees this call's gradient (for a leaf, before it is added to ``.grad``);
        if it returns a number or a Value, that replaces the gradient that flows on.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        Raises:
            TypeError: ``hook`` is not callable.

        >>> x = Value(3.0)
        >>> handle = x.register_hook(lambda g: 2 * g)
        >>> (x * x).backward()
        >>> x.grad
        12.0
        >>> handle.remove()
        """
        return register_hook(self, hook)

    def backward(self, gradient: Any = 1.0, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node), times ``gradient``.

        Leaves accumulate (``+=``) across calls, like PyTorch: call ``zero_grad`` on
        your parameters (or set ``.grad = 0``) between steps. Intermediate nodes hold
        the gradient of the latest call. Works on graphs of any depth (no recursion).

        With ``create_graph=True`` the gradients written into ``.grad`` are Values
        connected to the graph, so they can be differentiated again (see ``grad``).

        Args:
            gradient: the seed d(loss)/d(self), 1.0 by default (a Value is allowed with ``create_graph``).
            create_graph: build the graph of the derivative computation.

        Raises:
            TypeError: ``gradient`` is not a real number.
            FloatingPointError: inside ``detect_anomaly()``, a rule produced ``inf`` or ``nan``.

        >>> x = Value(3.0)
        >>> (x * x).backward()
        >>> x.grad
        6.0
        """
        from .backward import backward

        backward(self, gradient, create_graph)


def _unary(fn: Op, x: Value) -> Value:
    return Value(fn.forward(x.data), "", fn, x)


def _binary(fn: Op, x: Value, y: Any) -> Value:
    if not isinstance(y, Value):
        y = _lift(y)
        if y is None:
            return NotImplemented
    return Value(fn.forward(x.data, y.data), "", fn, x, y)


def _rbinary(fn: Op, y: Value, x: Any) -> Value:
    """``x op y`` for the reflected operators: ``x`` is the plain number on the left."""
    x = _lift(x)
    if x is None:
        return NotImplemented
    return Value(fn.forward(x.data, y.data), "", fn, x, y)


def _compare_data(other: Any) -> float:
    if isinstance(other, Value):
        return other.data
    return as_real(other, "the other operand of a comparison")


def _nary(fn: Op, parents: tuple[Value, ...]) -> Value:
    return Value(fn.forward([p.data for p in parents]), "", fn, parents)


def _values(values: Iterable[Value | Number], name: str) -> tuple[Value, ...]:
    if isinstance(values, (str, bytes, Value)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be an iterable of Values or numbers, got {describe(values)}")
    items = tuple(values)
    if set(map(type, items)) <= _JUST_VALUE:  # the common case, checked at C speed
        return items
    return tuple(as_value(v, f"{name}[{i}]") for i, v in enumerate(items))


_JUST_VALUE = {Value}


def vsum(values: Iterable[Value | Number]) -> Value:
    """Sum of many Values as one graph node (not a chain of ``+`` nodes).

    Args:
        values: Values or numbers (numbers become constant leaves).

    Returns:
        One node with every value as a parent; ``Value(0.0)`` for an empty input.

    Raises:
        TypeError: ``values`` is not an iterable, or an item is not a Value or real number.

    >>> vsum([Value(1.0), Value(2.0), 3]).data
    6.0
    """
    parents = _values(values, "values")
    return _nary(ops.SUM, parents) if parents else Value(0.0)


def dot(ws: Iterable[Value | Number], xs: Iterable[Value | Number]) -> Value:
    """``w1*x1 + w2*x2 + ...`` as one graph node, the fused pre-activation of a neuron.

    Args:
        ws: weights, Values or numbers.
        xs: inputs, Values or numbers, as many as ``ws``.

    Returns:
        One node whose parents are ``ws`` then ``xs``; ``Value(0.0)`` for empty inputs.

    Raises:
        TypeError: an argument is not an iterable of Values or numbers.
        ValueError: ``ws`` and ``xs`` differ in length.

    >>> dot([Value(2.0), Value(3.0)], [1.0, 10.0]).data
    32.0
    """
    w, x = _values(ws, "ws"), _values(xs, "xs")
    if len(w) != len(x):
        raise ValueError(f"dot(): ws and xs must have the same length, got {len(w)} and {len(x)}")
    return _nary(ops.DOT, w + x) if w else Value(0.0)


def logsumexp(values: Iterable[Value | Number]) -> Value:
    """``log(e ** x1 + e ** x2 + ...)`` as one node, computed without overflow.

    Raises:
        TypeError: as for :func:`vsum`.
        ValueError: ``values`` is empty.

    >>> round(logsumexp([Value(1000.0), Value(1000.0)]).data, 6)
    1000.693147
    """
    parents = _values(values, "values")
    if not parents:
        raise ValueError("logsumexp() needs at least one value, got an empty sequence")
    return _nary(ops.LOGSUMEXP, parents)


def softmax(values: Iterable[Value | Number]) -> list[Value]:
    """``e ** xi / sum_j e ** xj`` for each input, computed without overflow.

    The graph has one ``logsumexp`` node over all inputs and one ``softmax`` node per
    output, ``e ** (xi - logsumexp)``, so backward costs O(n).

    Raises:
        TypeError: as for :func:`vsum`.
        ValueError: ``values`` is empty.

    >>> [round(p.data, 4) for p in softmax([Value(0.0), Value(0.0)])]
    [0.5, 0.5]
    """
    parents = _values(values, "values")
    if not parents:
        raise ValueError("softmax() needs at least one value, got an empty sequence")
    lse = _nary(ops.LOGSUMEXP, parents)
    fn = ops.SOFTMAX
    return [Value(fn.forward(x.data, lse.data), "", fn, x, lse) for x in parents]


def apply(op: Op | str, *args: Value | Number, param: float | None = None) -> Value:
    """Apply any registered op to Values or numbers and return the new node.

    Use it for ops you registered yourself, or to drive the whole table generically
    (as the tests do). The operators (``+``, ``*`` ...) build the same nodes by a
    shorter path.

    Args:
        op: an :class:`Op` or the name of one in ``OPS``.
        *args: the inputs in argument order (one for UNARY and PARAM ops, two for BINARY,
            any number for NARY; ``dot`` takes the weights then as many inputs).
        param: the constant of a PARAM op (the exponent of ``**``, the slope of ``leaky_relu``).

    Raises:
        ValueError: no op of that name is registered, or the number of arguments does not fit the op.
        TypeError: an argument is not a Value or a real number, or ``param`` is given to an op
            that takes none (or missing for a PARAM op).

    >>> apply("*", Value(2.0), 3).data
    6.0
    >>> apply("**", Value(3.0), param=2).data
    9.0
    """
    op = lookup_op(op)
    ops.check_args(op, len(args), param)
    parents = tuple(as_value(a, f"argument {i} of {op.name!r}") for i, a in enumerate(args))
    c = None if param is None else as_real(param, "param")
    x, y = op.kind.layout(parents, c)
    return Value(op.kind.forward(op, [p.data for p in parents], c), "", op, x, y)


def lookup_op(op: Op | str) -> Op:
    """The :class:`Op` itself, or the one registered under the name ``op``.

    Raises:
        ValueError: no op of that name is registered.
        TypeError: ``op`` is neither an Op nor a str.
    """
    if isinstance(op, str):
        if op not in ops.OPS:
            raise ValueError(f"no op named {op!r} is registered; known ops: {', '.join(sorted(ops.OPS))}")
        return ops.OPS[op]
    if not isinstance(op, Op):
        raise TypeError(f"op must be an Op or the name of one, got {describe(op)}")
    return op


def fresh_variable(x: Value | Number) -> Value:
    """A new node standing for one argument position of a transform (``grad``, ``jvp`` ...).

    For a number, a new leaf. For a Value, an ``identity`` node whose parent is that
    Value, recorded whatever the grad mode, so an outer transform still sees the path
    through it; differentiating with respect to the new node treats it as its own
    variable even when the same Value fills two positions.
    """
    if not isinstance(x, Value):
        return Value(x)
    node = Value(x.data)
    node._fn = ops.IDENTITY  # recorded whatever the mode: set after construction, not through it
    node._x, node._y = ops.IDENTITY.kind.layout((x,), None)
    if type(x) is TracedValue:  # a transform inside a traced function: the new variable is traced too
        tracer = current_mode.get().trace
        if tracer is not None:
            node.__class__ = TracedValue
            tracer.adopt(node)
    return node


# -- tracing: nodes that depend on a traced input ---------------------------------------------------------


class TracerError(TypeError):
    """A traced function did something a compiled program cannot replay.

    Raised inside :func:`autograd_engine.trace` when the function branches on a
    traced Value (``if x > 0``, ``bool(x)``, ``max(x, y)``), reads its ``.data`` or
    ``.grad`` or converts it with ``float()``, or computes from traced Values under
    ``no_grad()``: each would bake the example's numbers into the program instead
    of recording an operation. The message names the file and line of the user's
    code and the primitive to use instead (``relu``, ``abs``, ``maximum``,
    ``stop_gradient``). A ``TypeError``, like every misuse of the API.
    """


_BRANCH_HINT = ("use relu, abs or maximum (and stop_gradient for a value that must not be differentiated) "
                "instead of a Python branch")
_DATA_HINT = "use the Value itself (stop_gradient(v) if it must not be differentiated) instead of its number"
_LIBRARY = ("autograd_engine", "nn")


def _in_package(frame: Any, packages: tuple[str, ...]) -> bool:
    name = frame.f_globals.get("__name__", "")
    return any(name == p or name.startswith(p + ".") for p in packages)


def _check_trace(what: str, hint: str) -> None:
    """Raise TracerError unless no trace is active or the caller (two frames up) is the engine itself."""
    if current_mode.get().trace is None:
        return
    frame = sys._getframe(2)
    if _in_package(frame, _LIBRARY[:1]):
        return
    raise TracerError(f"{user_location(frame)}: {what} inside trace() would bake this example's number into "
                      f"the program; {hint}")


def user_location(frame: Any = None) -> str:
    """``"path/to/file.py:LINE"`` of the first frame (from ``frame`` outwards) outside ``autograd_engine`` and ``nn``.

    The innermost frame's location if every frame is library code.
    """
    frame = sys._getframe(1) if frame is None else frame
    first = frame
    while frame is not None and _in_package(frame, _LIBRARY):
        frame = frame.f_back
    frame = frame or first
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


_DATA_SLOT = Value.data  # the slot itself; TracedValue reads it past its guarded property
_GRAD_SLOT = Value.grad
_GRAD_HINT = "a traced function's gradients come from Program.value_and_grad, not from .grad"


class TracedValue(Value):
    """A Value that depends on an input of the function :func:`autograd_engine.trace` is recording.

    Only exists while a trace runs: the tracer turns its inputs and every node made
    from them into TracedValues, and back into plain Values when it finishes. Code
    outside the engine that branches on one (comparisons, ``bool``), reads its
    ``.data`` or calls ``float()`` on it raises :class:`TracerError`; the engine's
    own code reads it freely. Arithmetic is Value's.
    """

    __slots__ = ()

    @property  # type: ignore[override]
    def data(self) -> float:
        """The value; reading it from user code during a trace raises :class:`TracerError`."""
        _check_trace("reading .data of a traced Value", _DATA_HINT)
        return _DATA_SLOT.__get__(self, Value)

    @data.setter
    def data(self, value: float) -> None:
        _check_trace("assigning .data of a traced Value", _DATA_HINT)
        _DATA_SLOT.__set__(self, value)

    @property  # type: ignore[override]
    def grad(self) -> Any:
        """The gradient slot; reading it from user code during a trace raises :class:`TracerError`."""
        _check_trace("reading .grad of a traced Value", _GRAD_HINT)
        return _GRAD_SLOT.__get__(self, Value)

    @grad.setter
    def grad(self, value: Any) -> None:
        _check_trace("assigning .grad of a traced Value", _GRAD_HINT)
        _GRAD_SLOT.__set__(self, value)

    def __bool__(self) -> bool:
        _check_trace("bool() of a traced Value", _BRANCH_HINT)
        return True

    def __float__(self) -> float:
        _check_trace("float() of a traced Value", _DATA_HINT)
        return _DATA_SLOT.__get__(self, Value)

    def __lt__(self, other: Value | Number) -> bool:
        _check_trace("comparing a traced Value (<)", _BRANCH_HINT)
        return Value.__lt__(self, other)

    def __le__(self, other: Value | Number) -> bool:
        _check_trace("comparing a traced Value (<=)", _BRANCH_HINT)
        return Value.__le__(self, other)

    def __gt__(self, other: Value | Number) -> bool:
        _check_trace("comparing a traced Value (>)", _BRANCH_HINT)
        return Value.__gt__(self, other)

    def __ge__(self, other: Value | Number) -> bool:
        _check_trace("comparing a traced Value (>=)", _BRANCH_HINT)
        return Value.__ge__(self, other)


def _join_trace(node: Value, x: Any, y: Any, mode: Any) -> None:
    """Make ``node`` a TracedValue (recorded by the active tracer) if one of its inputs is traced."""
    traced = TracedValue
    if not (type(x) is traced or type(y) is traced or (type(x) is tuple and any(type(p) is traced for p in x))):
        return
    if not mode.grad:
        raise TracerError(f"{user_location()}: computing from a traced Value under no_grad() inside trace() "
                          f"would bake this example's number into the program; use stop_gradient(v) instead")
    node.__class__ = traced
    mode.trace.adopt(node)
