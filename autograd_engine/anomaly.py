"""Anomaly detection: ``detect_anomaly`` finds the first ``inf``/``nan`` and names the node that made it.

It is a mode like ``no_grad`` (see :mod:`autograd_engine.modes`): thread-local,
a context manager and a decorator.

This module also holds what makes the engine's errors read well where users are:
:func:`where` names a place in the user's code (``Cell In[3], line 2`` in Jupyter,
``file.py:12`` elsewhere), :func:`is_library_frame` tells the engine's own frames
from the user's, and :class:`ReadableError` gives an exception a notebook
traceback without the engine's frames.
"""

from __future__ import annotations

import dataclasses
import linecache
import math
import os
import sys
import types
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .modes import Mode, SetMode, current_mode
from .ops import is_value, parents_of
from .validation import describe, node_name

if TYPE_CHECKING:
    import graphviz

    from .value import Value

__all__ = ["detect_anomaly", "is_anomaly_enabled", "AnomalyError", "AnomalyRecorder", "ReadableError", "where",
           "is_library_frame", "user_traceback", "draw_failure"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_MAX_FRAMES = 12
#: IPython marks the frame that runs a cell's code with this value of ``__tracebackhide__``.
_IPYTHON_BOTTOM = "__ipython_bottom__"


def is_library_frame(frame: types.FrameType) -> bool:
    """True for a frame of the engine itself, or of any function that sets ``__tracebackhide__``.

    ``__tracebackhide__ = True`` is the convention of pytest and IPython for frames a
    traceback should not show; IPython's cell runner sets it too, so the machinery
    around a notebook cell counts as library.
    """
    code = frame.f_code
    if os.path.abspath(code.co_filename).startswith(_PACKAGE_DIR + os.sep):
        return True
    if frame.f_globals.get("__tracebackhide__"):
        return True
    return "__tracebackhide__" in code.co_varnames and bool(frame.f_locals.get("__tracebackhide__"))


def _cell_name(filename: str) -> str | None:
    """``Cell In[3]`` when ``filename`` is the file IPython compiled a cell into, else None."""
    ipython = sys.modules.get("IPython")  # never imported here: only a running IPython knows its cells
    if ipython is None:
        return None
    try:
        shell = ipython.get_ipython()
        named = shell.compile.format_code_name(filename) if shell is not None else None
    except Exception:  # an IPython of another shape: fall back to the file name
        return None
    return f"{named[0]} {named[1]}" if named else None


def where(filename: str, line: int) -> str:
    """A place in the user's code as they know it: ``Cell In[3], line 2`` in IPython, else ``file:line``.

    >>> where("model.py", 12)
    'model.py:12'
    """
    cell = _cell_name(filename)
    return f"{cell}, line {line}" if cell else f"{filename}:{line}"


def _user_stack() -> list[tuple[str, int, str]]:
    """(file, line, function) of the calling frames outside the library, innermost last.

    The walk stops at the frame that runs a notebook cell: IPython's machinery is not the user's code.
    """
    frames = []
    f = sys._getframe(1)
    while f is not None and len(frames) < _MAX_FRAMES:
        if "__tracebackhide__" in f.f_code.co_varnames and f.f_locals.get("__tracebackhide__") == _IPYTHON_BOTTOM:
            break
        if not is_library_frame(f):
            frames.append((f.f_code.co_filename, f.f_lineno, f.f_code.co_name))
        f = f.f_back
    return frames[::-1]


def user_traceback(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without the library's frames (see :func:`is_library_frame`); ``tb`` itself if nothing is left."""
    kept = []
    entry = tb
    while entry is not None:
        if not is_library_frame(entry.tb_frame):
            kept.append(entry)
        entry = entry.tb_next
    if not kept:
        return tb
    rebuilt = None
    for entry in reversed(kept):
        rebuilt = types.TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


class ReadableError(Exception):
    """Mixin for the engine's errors about the user's code: a notebook shows them from the user's cell.

    IPython calls ``_render_traceback_`` to show an exception: this one is IPython's own
    rendering with the library's frames left out of its traceback and of the tracebacks of
    the exceptions chained to it, so the last frame shown is the user's line (``Cell In[3], line 2``).
    """

    def _render_traceback_(self) -> list[str]:
        __tracebackhide__ = True
        from IPython import get_ipython

        seen: set[int] = set()
        exc: BaseException | None = self
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            exc.__traceback__ = user_traceback(exc.__traceback__)
            exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        shell = get_ipython()
        if shell is None:  # called outside a running IPython: Python's own rendering of the same frames
            import traceback

            return traceback.format_exception(self)
        return shell.InteractiveTB.structured_traceback(type(self), self, self.__traceback__, tb_offset=0)


def draw_failure(error: Any, root: Value, grads: Mapping[Value, float] | None, options: dict[str, Any]) -> Any:
    """``error``'s drawing: ``root``'s graph with ``grads`` as its gradients and ``error.node`` in red.

    ``options`` are those of :func:`~autograd_engine.draw_dot` but ``highlight``, ``grads``, ``step``
    and ``model``. The gradients are passed as ``draw_dot``'s ``grads=``: the user's nodes are drawn
    and their ``.grad`` never read or written, so another thread may run ``backward()`` through them.
    """
    from .viz import draw_dot
    from .viz.dot import DRAWING_OPTIONS, check_option_names

    if "highlight" in options:
        raise TypeError(f"draw() highlights the failing node itself; got highlight="
                        f"{describe(options['highlight'])} too (draw_dot(root, highlight=[err, ...]) marks more)")
    for name in ("grads", "step"):
        if name in options:
            raise TypeError(f"draw() shows the gradients as they stood at the failure; got {name}="
                            f"{describe(options[name])} too (draw_dot(root, {name}=...) draws other gradients)")
    if "model" in options:
        raise TypeError(f"draw() draws the failure's own graph; got model={describe(options['model'])} too "
                        f"(model.draw(output=err.root) draws the model's parts)")
    check_option_names(f"{type(error).__name__}.draw", options,
                       ("format", *(o for o in DRAWING_OPTIONS if o not in ("highlight", "step", "grads"))))
    return draw_dot(root, highlight=error, grads=grads, **options)


def _number(v: Any) -> float:
    return float(v.data if is_value(v) else v)


def _finite(v: Any) -> bool:
    return math.isfinite(_number(v))


class AnomalyError(ReadableError, FloatingPointError):
    """Raised by ``detect_anomaly()`` at the first ``inf`` or ``nan``.

    Attributes:
        node: the offending node (drawn in red by ``draw()``, or by ``draw_dot(..., highlight=err)``).
        root: the node whose ``backward()`` failed, or ``node`` itself for a failure in the forward pass.
        grads: the gradients as the reverse sweep held them when it stopped, node -> float (the
            offending value included, where it was about to go; nodes the sweep had not reached
            are absent, i.e. 0); None for a failure in the forward pass.

    In a notebook its traceback ends at your line (``Cell In[3], line 2``): the engine's frames are left out.
    """

    def __init__(self, message: str, node: Value, *, root: Value | None = None,
                 grads: dict[Value, float] | None = None):
        super().__init__(message)
        self.node = node
        self.root = node if root is None else root
        self.grads = grads

    def draw(self, **options: Any) -> graphviz.Digraph:
        """The graph of ``root`` with ``node`` in red and the gradients as they stood at the failure.

        Drawn with ``grads`` as :func:`~autograd_engine.draw_dot`'s ``grads=``: the nodes' own ``.grad``
        are never read or written, so drawing is safe while another thread runs ``backward()`` through
        them; with ``edge_labels=True`` the edges carry the contributions the sweep had sent. Takes the
        options of ``draw_dot`` but ``highlight`` (this error's node), ``grads`` and ``step`` (the
        gradients are the failure's) and ``model``.

        Raises:
            TypeError: ``highlight``, ``grads``, ``step`` or ``model`` is given, an option ``draw_dot`` does
                not take, or a bad value (as for ``draw_dot``).
            GraphvizNotFoundError: the ``dot`` program is missing.
        """
        return draw_failure(self, self.root, self.grads, options)


class _Sweep:
    """The gradients of the reverse sweep under way, as ``AnomalyRecorder`` sees them go by."""

    def __init__(self, root: Value, seed: Any) -> None:
        self.root = root
        self.grads: dict[Value, float] = {root: _number(seed)}

    def snapshot(self, extra: Mapping[Value, Any]) -> dict[Value, float]:
        grads = dict(self.grads)
        for v, g in extra.items():
            grads[v] = grads.get(v, 0.0) + _number(g)
        return grads


class AnomalyRecorder:
    """Remembers where each node was created, follows the reverse sweep, and raises at the first non-finite value."""

    def __init__(self) -> None:
        self.traces: weakref.WeakKeyDictionary[Value, list[tuple[str, int, str]]] = weakref.WeakKeyDictionary()
        self.sweep: _Sweep | None = None

    def record(self, node: Value, op: str) -> None:
        """Called for each result of ``op``: store where it was made; raise if its value is not finite.

        A result that is not finite because an input leaf already was blames that leaf:
        the op only passed the ``nan`` on.
        """
        __tracebackhide__ = True
        self.traces[node] = _user_stack()
        if not math.isfinite(node.data):
            what = f"forward produced {node.data!r}"
            for i, p in enumerate(parents_of(node)):
                if p._fn is None and not math.isfinite(p.data):
                    what += (f" because its input {i} is a {node_name(p, None)} holding {p.data!r}: the {p.data!r} "
                             f"came in from that input, this op did not make it")
                    break
            raise AnomalyError(self.describe(node, what, op), node)

    def start_sweep(self, root: Value, seed: Any) -> None:
        """A reverse sweep from ``root`` with gradient ``seed`` begins: follow it, and check the seed."""
        __tracebackhide__ = True
        self.sweep = _Sweep(root, seed)
        self._check(root, seed, "the seed passed to backward()")

    def check_backward(self, node: Value, g: Any, grads: list[Any]) -> None:
        """Raise if ``node``'s derivative rule produced a non-finite gradient for one of its inputs.

        ``g`` is the node's complete gradient and ``grads`` what its rule sends its inputs:
        the recorder adds them up, so an error can show every gradient as it stood.
        """
        __tracebackhide__ = True
        sweep = self.sweep
        parents = parents_of(node)
        if sweep is not None:
            sweep.grads[node] = _number(g)
        if _finite(g):  # else already non-finite coming in: where it became so was reported
            for i, d in enumerate(grads):
                if not _finite(d):
                    raise AnomalyError(self.describe(
                        node, f"backward produced {_number(d)!r} as the gradient of input {i} (incoming gradient "
                              f"{_number(g)!r})"), node, **self._state(dict(zip(parents, grads))))
        if sweep is not None:
            for p, d in zip(parents, grads):
                sweep.grads[p] = sweep.grads.get(p, 0.0) + _number(d)

    def check_gradient(self, node: Value, g: Any, source: str) -> None:
        """Raise if the gradient ``g`` that ``source`` gave ``node`` is not finite.

        ``source`` says where it came from: the seed of ``backward()``, a hook, or the sum of
        finite contributions from the node's consumers that overflowed.
        """
        __tracebackhide__ = True
        if source == "the seed passed to backward()":
            self.start_sweep(node, g)
        else:
            self._check(node, g, source)

    def _check(self, node: Value, g: Any, source: str) -> None:
        __tracebackhide__ = True
        if not _finite(g):
            state = self._state({})
            if state["grads"] is not None:
                state["grads"][node] = _number(g)
            raise AnomalyError(self.describe(node, f"{source} gave the gradient {_number(g)!r}"), node, **state)

    def _state(self, extra: Mapping[Value, Any]) -> dict[str, Any]:
        sweep = self.sweep
        if sweep is None:
            return {"root": None, "grads": None}
        return {"root": sweep.root, "grads": sweep.snapshot(extra)}

    def describe(self, node: Value, what: str, op: str | None = None) -> str:
        """The error message: op, label, where the node was created, what went wrong, the trace."""
        kind = node_name(node, op)
        trace = self.traces.get(node)
        if not trace:
            origin = "a leaf (leaves are not traced)" if node._fn is None else "created outside detect_anomaly()"
            return f"{kind}: {what}; the node is {origin}"
        file, line, _ = trace[-1]
        lines = [f"{kind} created at {where(file, line)}: {what}",
                 "Traceback of the node's creation (most recent call last):"]
        for f, n, func in trace:
            cell = _cell_name(f)
            lines.append(f"  {cell}, line {n}, in {func}" if cell else f'  File "{f}", line {n}, in {func}')
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
