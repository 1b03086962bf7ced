"""Gradient hooks: functions called with a node's gradient during backward."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .value import Value

__all__ = ["RemovableHandle", "register_hook", "has_hooks", "run_hooks"]

_HOOKS: weakref.WeakKeyDictionary[Value, dict[int, Callable[[Any], Any]]] = weakref.WeakKeyDictionary()
_ids = itertools.count()


class RemovableHandle:
    """Returned by ``Value.register_hook``; ``remove()`` unregisters the hook (idempotent)."""

    def __init__(self, node: Value, hook_id: int):
        self._node = weakref.ref(node)
        self._id = hook_id

    def remove(self) -> None:
        """Unregister the hook; calling it again does nothing."""
        node = self._node()
        hooks = _HOOKS.get(node) if node is not None else None
        if hooks is not None:
            hooks.pop(self._id, None)
            if not hooks:
                del _HOOKS[node]


def register_hook(node: Value, hook: Callable[[Any], Any]) -> RemovableHandle:
    """Call ``hook(grad)`` when ``node``'s gradient is complete during backward; see ``Value.register_hook``."""
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    hook_id = next(_ids)
    _HOOKS.setdefault(node, {})[hook_id] = hook
    return RemovableHandle(node, hook_id)


def has_hooks() -> bool:
    """True while any node has a hook (backward then takes the general sweep)."""
    return len(_HOOKS) > 0


def run_hooks(node: Value, grad: Any) -> Any:
    """Pass ``grad`` through ``node``'s hooks in registration order; a hook returning non-None replaces it."""
    hooks = _HOOKS.get(node)
    if not hooks:
        return grad
    for hook in list(hooks.values()):
        result = hook(grad)
        if result is not None:
            if isinstance(result, bool) or not (isinstance(result, (int, float)) or hasattr(result, "_fn")):
                raise TypeError(f"a hook must return None, a number or a Value, got {type(result).__name__}")
            grad = result
    return grad
