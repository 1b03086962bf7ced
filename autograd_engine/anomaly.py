"""Modes that change how operations are recorded: ``no_grad``, ``enable_grad`` and ``detect_anomaly``.

The mode lives in a :class:`contextvars.ContextVar`, so it is local to the
thread (and asyncio task) that set it: ``no_grad()`` in one thread does not
stop another thread from recording its graph. Modes compose: ``no_grad`` inside
``detect_anomaly`` keeps anomaly detection on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import linecache
import math
import os
import sys
import weakref
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .value import Value

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "is_anomaly_enabled", "AnomalyError"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_MAX_FRAMES = 12


def _user_stack() -> list[tuple[str, int, str]]:
    """(file, line, function) of the calling frames outside this package, innermost last."""
    frames = []
    f = sys._getframe(1)
    while f is not None and len(frames) < _MAX_FRAMES:
        filename = f.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep):
            frames.append((filename, f.f_lineno, f.f_code.co_name))
        f = f.f_back
    return frames[::-1]


def _finite(v: Any) -> bool:
    return math.isfinite(v.data if hasattr(v, "_fn") else v)


class AnomalyError(FloatingPointError):
    """Raised by ``detect_anomaly()``; ``node`` is the offending node (draw it with ``highlight=``)."""

    def __init__(self, message: str, node: Value):
        super().__init__(message)
        self.node = node


class AnomalyRecorder:
    """Remembers where each node was created and raises at the first non-finite value."""

    def __init__(self) -> None:
        self.traces: weakref.WeakKeyDictionary[Value, list[tuple[str, int, str]]] = weakref.WeakKeyDictionary()

    def record(self, node: Value, op: str) -> None:
        """Called for each result of ``op``: store where it was made; raise if its value is not finite."""
        self.traces[node] = _user_stack()
        if not math.isfinite(node.data):
            raise AnomalyError(self.describe(node, f"forward produced {node.data!r}", op), node)

    def check_backward(self, node: Value, g: Any, grads: list[Any]) -> None:
        """Raise if ``node``'s derivative rule produced a non-finite gradient for one of its inputs."""
        if not _finite(g):
            return  # already non-finite coming in: the node that produced it was reported
        for i, d in enumerate(grads):
            if not _finite(d):
                value = d.data if hasattr(d, "_fn") else d
                raise AnomalyError(self.describe(
                    node, f"backward produced {value!r} as the gradient of input {i} (incoming gradient {g!r})"), node)

    def describe(self, node: Value, what: str, op: str | None = None) -> str:
        """The error message: op, label, where the node was created, what went wrong, the trace."""
        op = node.op if op is None else op
        label = f"label {node.label!r}" if node.label else "no label"
        trace = self.traces.get(node)
        if not trace:
            return f"op {op!r} ({label}): {what}; the node was created outside detect_anomaly()"
        file, line, _ = trace[-1]
        lines = [f"op {op!r} ({label}) created at {file}:{line}: {what}",
                 "Traceback of the node's creation (most recent call last):"]
        for f, n, func in trace:
            lines.append(f'  File "{f}", line {n}, in {func}')
            src = linecache.getline(f, n).strip()
            if src:
                lines.append(f"    {src}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Mode:
    """What operations do while this mode is active.

    Attributes:
        grad: record each result's parents and op, so ``backward()`` can reach them.
        anomaly: the active :class:`AnomalyRecorder`, or None.
    """

    grad: bool = True
    anomaly: AnomalyRecorder | None = None


#: The default mode. ``Value`` checks ``mode is RECORD`` to take its fast path.
RECORD = Mode()

current_mode: ContextVar[Mode] = ContextVar("autograd_engine_mode", default=RECORD)


class _SetMode(contextlib.ContextDecorator):
    """Context manager and decorator that changes the current :class:`Mode`; re-entrant."""

    def __init__(self) -> None:
        self._tokens: list[Token[Mode]] = []

    def _change(self, mode: Mode) -> Mode:
        raise NotImplementedError

    def __enter__(self) -> _SetMode:
        mode = self._change(current_mode.get())
        self._tokens.append(current_mode.set(RECORD if mode == RECORD else mode))
        return self

    def __exit__(self, *exc: object) -> None:
        current_mode.reset(self._tokens.pop())


class no_grad(_SetMode):  # noqa: N801 - lower case like the torch/contextlib names users know
    """Operations inside record nothing: their results are leaves with no parents.

    Use it for evaluation and for parameter updates, where no gradient is needed;
    it saves the memory of the graph. Works as a context manager and as a decorator.

    >>> from autograd_engine import Value
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * 3
    >>> y.parents
    ()
    """

    def _change(self, mode: Mode) -> Mode:
        return dataclasses.replace(mode, grad=False)


class enable_grad(_SetMode):  # noqa: N801
    """Re-enable recording inside a ``no_grad`` block (context manager and decorator).

    >>> from autograd_engine import Value
    >>> with no_grad(), enable_grad():
    ...     y = Value(2.0) * 3
    >>> y.op
    '*'
    """

    def _change(self, mode: Mode) -> Mode:
        return dataclasses.replace(mode, grad=True)


class detect_anomaly(_SetMode):  # noqa: N801
    """Find the first ``inf``/``nan``: raise :class:`AnomalyError` (a ``FloatingPointError``) where it is produced.

    While active, every new node records where in your code it was created, and
    each op's result is checked in the forward pass; ``backward()`` run inside the
    block checks each gradient a derivative rule produces. The error names the op,
    the node's label, the offending value and the ``file:line`` that created the
    node, followed by the creation traceback trimmed to your own frames. Slow:
    use it for debugging.

    >>> from autograd_engine import Value
    >>> with detect_anomaly():
    ...     Value(0.0).log()
    Traceback (most recent call last):
    ...
    autograd_engine.anomaly.AnomalyError: op 'log' (no label) created at <doctest ...>:2: forward produced -inf
    ...
    """

    def _change(self, mode: Mode) -> Mode:
        return dataclasses.replace(mode, anomaly=mode.anomaly or AnomalyRecorder())


def is_grad_enabled() -> bool:
    """True unless a ``no_grad`` block is active in this thread or task.

    >>> is_grad_enabled()
    True
    """
    return current_mode.get().grad


def is_anomaly_enabled() -> bool:
    """True inside a ``detect_anomaly`` block.

    >>> is_anomaly_enabled()
    False
    """
    return current_mode.get().anomaly is not None
