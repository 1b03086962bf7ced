"""Grad mode: ``no_grad``, ``enable_grad``, ``is_grad_enabled``, and the machinery every mode shares.

The current :class:`Mode` lives in a :class:`contextvars.ContextVar`, so it is
local to the thread (and asyncio task) that set it: ``no_grad()`` in one thread
does not stop another thread from recording its graph. Modes compose: ``no_grad``
inside ``detect_anomaly`` keeps anomaly detection on.

Every mode works as a context manager and as a decorator, called or bare
(``@no_grad()`` or ``@no_grad``). As a decorator it
enters a fresh context on each call, so one decorated function may run in many
threads at once (and recursively); on a generator function the mode applies
while the generator's body runs, each time it is resumed, and not in between; on
a coroutine function (``async def``) it applies while the coroutine runs, in its
task. Async generator functions are refused (use the context manager inside).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from .validation import describe

__all__ = ["Mode", "RECORD", "current_mode", "SetMode", "no_grad", "enable_grad", "is_grad_enabled"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Mode:
    """What operations do while this mode is active.

    Attributes:
        grad: record each result's parents and op, so ``backward()`` can reach them.
        anomaly: the active anomaly recorder (see ``detect_anomaly``), or None.
        trace: the active tracer (see ``autograd_engine.trace``), or None; nodes made from traced
            Values join it.
    """

    grad: bool = True
    anomaly: Any = None
    trace: Any = None


#: The default mode. ``Value`` checks ``mode is RECORD`` to take its fast path.
RECORD = Mode()

current_mode: ContextVar[Mode] = ContextVar("autograd_engine_mode", default=RECORD)


# The modes outside each active `with` block of this thread or task, innermost last. Kept in a
# context variable, like the mode itself, so that threads and asyncio tasks sharing one instance
# (or one decorated function) never restore each other's modes.
_outer_modes: ContextVar[tuple[Mode, ...]] = ContextVar("autograd_engine_outer_modes", default=())


class SetMode:
    """Base of the modes: a re-entrant context manager and a thread-safe decorator.

    Subclasses say how they change the current mode in :meth:`change`. One instance
    may be entered from several threads or tasks at once, and nested in itself.
    """

    def __new__(cls, func: Any = None) -> Any:
        """``no_grad()`` makes a context manager; ``no_grad(f)`` (the bare ``@no_grad``) decorates ``f``."""
        self = super().__new__(cls)
        return self if func is None else self(func)

    def __init__(self, func: Any = None) -> None:
        pass

    def change(self, mode: Mode) -> Mode:
        """The mode to use inside the block, given the mode outside it."""
        raise NotImplementedError

    def __enter__(self) -> SetMode:
        outer = current_mode.get()
        mode = self.change(outer)
        _outer_modes.set((*_outer_modes.get(), outer))
        current_mode.set(RECORD if mode == RECORD else mode)
        return self

    def __exit__(self, *exc: object) -> None:
        if not _outer_modes.get():
            raise RuntimeError(f"{type(self).__name__}() exited without being entered in this thread or task")
        *rest, outer = _outer_modes.get()
        _outer_modes.set(tuple(rest))
        current_mode.set(outer)

    def __call__(self, func: F) -> F:
        """Decorate ``func`` so that it runs in this mode (a fresh context per call)."""
        if not callable(func):
            raise TypeError(f"{type(self).__name__}() decorates a function, got {describe(func)}")
        make = type(self)
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(func, make)  # type: ignore[return-value]
        if inspect.isasyncgenfunction(func):
            raise TypeError(f"{type(self).__name__}() cannot decorate an async generator function "
                            f"({describe(func)}); use it as a context manager inside the body")
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def coroutine(*args: Any, **kwargs: Any) -> Any:
                with make():  # the mode is per task: it holds across this coroutine's awaits only
                    return await func(*args, **kwargs)

            return coroutine  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with make():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _wrap_generator(func: Callable[..., Any], make: Callable[[], SetMode]) -> Callable[..., Any]:
    """A generator function whose body runs in the mode ``make()`` each time it is resumed."""

    @functools.wraps(func)
    def generator(*args: Any, **kwargs: Any) -> Any:
        with make():
            gen = func(*args, **kwargs)
            try:
                response = gen.send(None)
            except StopIteration as stop:
                return stop.value
        while True:
            try:
                request = yield response
            except GeneratorExit:
                with make():
                    gen.close()
                raise
            except BaseException as exc:  # thrown in by the caller: pass it on, in the mode
                with make():
                    try:
                        response = gen.throw(exc)
                    except StopIteration as stop:
                        return stop.value
            else:
                with make():
                    try:
                        response = gen.send(request)
                    except StopIteration as stop:
                        return stop.value

    return generator


class no_grad(SetMode):  # noqa: N801 - lower case like the context managers users know
    """Operations inside record nothing: their results are leaves with no parents.

    Use it for evaluation and for parameter updates, where no gradient is needed;
    it saves the memory of the graph. Works as a context manager and as a decorator
    (thread-safe; on a generator function it applies while the generator runs).
    The transforms (``grad``, ``hessian``, ``gradcheck`` ...) compute correct
    derivatives inside it: they switch recording on for their own work.

    >>> from autograd_engine import Value
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * 3
    >>> y.parents
    ()
    """

    def change(self, mode: Mode) -> Mode:
        """Recording off; anomaly detection and tracing as they were."""
        return dataclasses.replace(mode, grad=False) if mode.grad else mode


class enable_grad(SetMode):  # noqa: N801
    """Re-enable recording inside a ``no_grad`` block (context manager and decorator).

    >>> from autograd_engine import Value
    >>> with no_grad(), enable_grad():
    ...     y = Value(2.0) * 3
    >>> y.op
    '*'
    """

    def change(self, mode: Mode) -> Mode:
        """Recording on; anomaly detection and tracing as they were."""
        return dataclasses.replace(mode, grad=True) if not mode.grad else mode


def is_grad_enabled() -> bool:
    """True unless a ``no_grad`` block is active in this thread or task.

    >>> is_grad_enabled()
    True
    """
    return current_mode.get().grad
