"""Gradient hooks: functions called with a node's gradient during backward.

A node's hooks live in the node itself (in the slot that otherwise holds its
label), so a hook whose closure refers to its own node is freed with the graph.
A count of the live nodes that have hooks tells backward whether it must take the
general sweep; it falls back to zero when the last such node is freed.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .ops import is_value
from .validation import as_real, describe, is_real, node_name

if TYPE_CHECKING:
    from .value import Value

__all__ = ["NodeExtras", "RemovableHandle", "register_hook", "has_hooks", "run_hooks"]

_ids = itertools.count()
# id() of each live NodeExtras with at least one hook. A set, not a counter under a lock: __del__ runs
# inside the garbage collector, at any allocation, and set.add/discard are atomic.
_hooked: set[int] = set()


class NodeExtras:
    """What a node keeps beyond its data, once it has a hook: its label and its hooks in order."""

    __slots__ = ("label", "hooks", "__weakref__")

    def __init__(self, label: str):
        self.label = label
        self.hooks: dict[int, Callable[[Any], Any]] = {}

    def add(self, hook: Callable[[Any], Any]) -> int:
        """Append ``hook``; returns its id for :meth:`remove`."""
        hook_id = next(_ids)
        self.hooks[hook_id] = hook
        _hooked.add(id(self))
        return hook_id

    def remove(self, hook_id: int) -> None:
        """Remove the hook ``hook_id`` if it is still there."""
        self.hooks.pop(hook_id, None)
        if not self.hooks:
            _hooked.discard(id(self))

    def __getstate__(self) -> tuple[str, dict[int, Callable[[Any], Any]]]:
        return self.label, self.hooks

    def __setstate__(self, state: tuple[str, dict[int, Callable[[Any], Any]]]) -> None:
        """A copied or unpickled node keeps its hooks, and backward knows they are there."""
        self.label, self.hooks = state
        if self.hooks:
            _hooked.add(id(self))

    def __del__(self) -> None:
        _hooked.discard(id(self))


class RemovableHandle:
    """Returned by ``Value.register_hook``; ``remove()`` unregisters the hook (idempotent).

    The handle does not keep the node alive.
    """

    def __init__(self, extras: NodeExtras, hook_id: int):
        self._extras = weakref.ref(extras)
        self._id = hook_id

    def remove(self) -> None:
        """Unregister the hook; calling it again does nothing."""
        extras = self._extras()
        if extras is not None:
            extras.remove(self._id)


def register_hook(node: Value, hook: Callable[[Any], Any]) -> RemovableHandle:
    """Call ``hook(grad)`` when ``node``'s gradient is complete during backward; see ``Value.register_hook``."""
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {describe(hook)}")
    extras = node._meta
    if type(extras) is str:
        extras = node._meta = NodeExtras(extras)
    return RemovableHandle(extras, extras.add(hook))


def has_hooks() -> bool:
    """True while any live node has a hook (backward then takes the general sweep)."""
    return bool(_hooked)


def _hook_name(hook: Callable[..., Any]) -> str:
    name = getattr(hook, "__qualname__", None)
    return repr(name) if isinstance(name, str) else describe(hook)


def run_hooks(node: Value, grad: Any) -> Any:
    """Pass ``grad`` through ``node``'s hooks in registration order; a hook returning non-None replaces it.

    Raises:
        TypeError: a hook returned something other than None, a real number or a Value.
    """
    extras = node._meta
    if type(extras) is str or not extras.hooks:
        return grad
    for hook in list(extras.hooks.values()):
        result = hook(grad)
        if result is not None:
            if is_real(result):
                result = as_real(result, f"the result of hook {_hook_name(hook)} on {node_name(node)}")
            elif not is_value(result):
                raise TypeError(f"hook {_hook_name(hook)} on {node_name(node)} must return None, a real number "
                                f"or a Value, got {describe(result)}")
            grad = result
    return grad
