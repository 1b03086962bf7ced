"""Modes that change how operations are recorded: ``no_grad`` and ``enable_grad``.

The mode lives in a :class:`contextvars.ContextVar`, so it is local to the
thread (and asyncio task) that set it: ``no_grad()`` in one thread does not
stop another thread from recording its graph.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar, Token
from dataclasses import dataclass

__all__ = ["no_grad", "enable_grad", "is_grad_enabled"]


@dataclass(frozen=True, slots=True)
class Mode:
    """What operations do while this mode is active.

    Attributes:
        grad: record each result's parents and op, so ``backward()`` can reach them.
    """

    grad: bool = True


#: The default mode. ``Value`` checks ``mode is RECORD`` to take its fast path.
RECORD = Mode()
NO_GRAD = Mode(grad=False)

current_mode: ContextVar[Mode] = ContextVar("autograd_engine_mode", default=RECORD)


class _SetMode(contextlib.ContextDecorator):
    """Context manager and decorator that activates one :class:`Mode`; re-entrant."""

    _mode: Mode

    def __init__(self) -> None:
        self._tokens: list[Token[Mode]] = []

    def __enter__(self) -> _SetMode:
        self._tokens.append(current_mode.set(self._mode))
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

    _mode = NO_GRAD


class enable_grad(_SetMode):  # noqa: N801
    """Re-enable recording inside a ``no_grad`` block (context manager and decorator).

    >>> from autograd_engine import Value
    >>> with no_grad(), enable_grad():
    ...     y = Value(2.0) * 3
    >>> y.op
    '*'
    """

    _mode = RECORD


def is_grad_enabled() -> bool:
    """True unless a ``no_grad`` block is active in this thread or task.

    >>> is_grad_enabled()
    True
    """
    return current_mode.get().grad
