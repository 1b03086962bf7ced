"""Anomaly detection: ``detect_anomaly`` finds the first ``inf``/``nan`` and names the node that made it.

It is a mode like ``no_grad`` (see :mod:`autograd_engine.modes`): thread-local,
a context manager and a decorator.
"""

from __future__ import annotations

import dataclasses
import linecache
import math
import os
import sys
import weakref
from typing import TYPE_CHECKING, Any

from .modes import Mode, SetMode, current_mode
from .ops import is_value
from .validation import node_name

if TYPE_CHECKING:
    from .value import Value

__all__ = ["detect_anomaly", "is_anomaly_enabled", "AnomalyError", "AnomalyRecorder"]

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


def _number(v: Any) -> float:
    return float(v.data if is_value(v) else v)


def _finite(v: Any) -> bool:
    return math.isfinite(_number(v))


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
            return  # already non-finite coming in: where it became so was reported
        for i, d in enumerate(grads):
            if not _finite(d):
                raise AnomalyError(self.describe(
                    node, f"backward produced {_number(d)!r} as the gradient of input {i} (incoming gradient "
                          f"{_number(g)!r})"), node)

    def check_gradient(self, node: Value, g: Any, source: str) -> None:
        """Raise if the gradient ``g`` that ``source`` gave ``node`` is not finite.

        ``source`` says where it came from: the seed of ``backward()``, a hook, or the sum of
        finite contributions from the node's consumers that overflowed.
        """
        if not _finite(g):
            raise AnomalyError(self.describe(node, f"{source} gave the gradient {_number(g)!r}"), node)

    def describe(self, node: Value, what: str, op: str | None = None) -> str:
        """The error message: op, label, where the node was created, what went wrong, the trace."""
        kind = node_name(node, op)
        trace = self.traces.get(node)
        if not trace:
            where = "a leaf (leaves are not traced)" if node._fn is None else "created outside detect_anomaly()"
            return f"{kind}: {what}; the node is {where}"
        file, line, _ = trace[-1]
        lines = [f"{kind} created at {file}:{line}: {what}",
                 "Traceback of the node's creation (most recent call last):"]
        for f, n, func in trace:
            lines.append(f'  File "{f}", line {n}, in {func}')
            src = linecache.getline(f, n).strip()
            if src:
                lines.append(f"    {src}")
        return "\n".join(lines)


class detect_anomaly(SetMode):  # noqa: N801
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

    def change(self, mode: Mode) -> Mode:
        """Anomaly detection on (keeping an outer block's recorder); recording as it was."""
        return dataclasses.replace(mode, anomaly=mode.anomaly or AnomalyRecorder())


def is_anomaly_enabled() -> bool:
    """True inside a ``detect_anomaly`` block.

    >>> is_anomaly_enabled()
    False
    """
    return current_mode.get().anomaly is not None
