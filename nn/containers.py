"""Containers: modules made of modules. ``Sequential`` chains them, ``Residual`` adds a skip connection."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from autograd_engine.validation import as_int, describe

from .module import (
    ArchitectureError,
    Module,
    architecture_size,
    as_list,
    build_module,
    quote,
    register_module,
    saveable_config,
)

__all__ = ["Sequential", "Residual"]


def _only_field(config: dict[str, Any], name: str) -> Any:
    """A container description's one field besides "type" (``"modules"`` or ``"module"``)."""
    if name not in config:
        raise ArchitectureError("", f"lacks the field {name!r}")
    unknown = [k for k in config if k not in ("type", name)]
    if unknown:
        raise ArchitectureError("", f"has an unknown field {quote(unknown[0])}")
    return config[name]


def _modules_field(config: dict[str, Any]) -> list[Any]:
    modules = _only_field(config, "modules")
    if not isinstance(modules, list):
        raise ArchitectureError("", f"has 'modules' that is not a list: {describe(modules)}")
    return modules


@register_module
class Sequential(Module):
    """Modules applied one after another.

    >>> from nn import Layer
    >>> model = Sequential(Layer(2, 4, seed=0), Layer(4, 1, nonlin=False, seed=1))
    >>> model([1.0, 2.0]).op
    '+'
    """

    def __init__(self, *modules: Module):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules; argument {i} is {describe(m)}")
        self._steps = list(modules)
        self.label_parameters()

    def _children(self) -> Iterator[tuple[str, Any]]:
        for i, m in enumerate(self._steps):
            yield str(i), m

    def __getitem__(self, i: int | slice) -> Module | Sequential:
        """The module at position ``i`` (negative counts from the end), or a Sequential of a slice of them.

        Raises:
            TypeError: ``i`` is neither an int nor a slice.
            IndexError: ``i`` is out of range (what ``for`` loops and ``list()`` expect of a sequence).
        """
        if isinstance(i, slice):
            return Sequential(*self._steps[i])
        i = as_int(i, "Sequential index")
        n = len(self._steps)
        if not -n <= i < n:
            raise IndexError(f"Sequential index must be an int from {-n} to {n - 1}, got {i}"
                             if n else f"Sequential index {i}: this Sequential holds no modules")
        return self._steps[i]

    def __iter__(self) -> Iterator[Module]:
        return iter(self._steps)

    def __len__(self) -> int:
        return len(self._steps)

    def forward(self, x: Any) -> Any:
        """Each module's output fed to the next one."""
        for m in self._steps:
            x = m(x)
        return x

    def forward_batch(self, xs: Sequence[Any]) -> list[Any]:
        """The batch through each module's ``forward_batch`` in turn (so BatchNorm sees the whole batch)."""
        for m in self._steps:
            xs = m.forward_batch(xs)
        return xs

    def config(self) -> dict[str, Any] | None:
        """``{"type": "Sequential", "modules": [each module's config]}``; None if one of them has none."""
        configs = [saveable_config(m) for m in self._steps]
        return None if any(c is None for c in configs) else {"type": "Sequential", "modules": configs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        """Each description in ``config["modules"]`` built through the registry, in order."""
        return cls(*[build_module(c, f"modules[{i}]") for i, c in enumerate(_modules_field(config))])

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int | None:
        """The sum over the modules inside; None if one of them is unknown."""
        sizes = [architecture_size(c, f"modules[{i}]") for i, c in enumerate(_modules_field(config))]
        return None if None in sizes else sum(sizes)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {m!r}" for i, m in enumerate(self._steps))
        return f"Sequential({inner}\n)"


@register_module
class Residual(Module):
    """``x + module(x)``, elementwise: the skip connection that keeps gradients flowing.

    Raises:
        TypeError: ``module`` is not a Module.
        ValueError: (when called) the module's output is not the same size as its input.

    >>> from nn import Activation
    >>> Residual(Activation("relu"))(2.0).data
    4.0
    """

    def __init__(self, module: Module):
        if not isinstance(module, Module):
            raise TypeError(f"Residual wraps a Module, got {describe(module)}")
        self.module = module

    def forward(self, x: Any) -> Any:
        """``x + module(x)``, for a number, a Value or a list of them."""
        return self._add(x, self.module(x))

    def forward_batch(self, xs: Sequence[Any]) -> list[Any]:
        """``x + y`` for each sample ``x`` and the module's batch output ``y``."""
        return [self._add(x, y) for x, y in zip(xs, self.module.forward_batch(xs))]

    @staticmethod
    def _add(x: Any, y: Any) -> Any:
        xs, ys = as_list(x), as_list(y)
        if len(xs) != len(ys):
            raise ValueError(f"Residual needs the module to keep the size: input {len(xs)}, output {len(ys)}")
        out = [a + b for a, b in zip(xs, ys)]
        return out if isinstance(x, list) else out[0]

    def config(self) -> dict[str, Any] | None:
        """``{"type": "Residual", "module": the module's config}``; None if it has none."""
        inner = saveable_config(self.module)
        return None if inner is None else {"type": "Residual", "module": inner}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Residual:
        """The wrapped module built through the registry."""
        return cls(build_module(_only_field(config, "module"), "module"))

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int | None:
        """The wrapped module's size."""
        return architecture_size(_only_field(config, "module"), "module")

    def __repr__(self) -> str:
        return f"Residual({self.module!r})"
