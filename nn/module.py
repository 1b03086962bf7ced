"""The ``Module`` base class, and the one registry through which saved architectures are rebuilt.

A module finds its parameters in its attributes, names them, and saves and restores
them (``state_dict`` / ``load_state_dict``). Its ``config()`` describes its
architecture as plain JSON data (``{"type": "Linear", "nin": 3, "nout": 2, ...}``);
``MODULES`` maps each ``"type"`` to its class, and :func:`build_module` turns a
description back into a fresh module. Every module the library ships is registered;
register your own with the :func:`register_module` decorator.

The modules themselves live one idea a file: ``mlp`` (micrograd's Neuron, Layer, MLP),
``containers`` (Sequential, Residual), ``norm`` (BatchNorm, LayerNorm, RMSNorm) and
``layers`` (Linear, Embedding, SelfAttention).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from typing import Any

from autograd_engine import Value
from autograd_engine.validation import as_bool, as_int, as_real, describe, is_int, is_real
from autograd_engine.value import as_value

__all__ = ["Module", "MODULES", "register_module", "build_module", "architecture_size", "MAX_SIZE"]

#: The largest size any one constructor argument may have (a width, a dimension, a count): each
#: parameter is a Python object of about a hundred bytes, so ten million of them already fill a gigabyte.
MAX_SIZE = 10**7

#: The registry: ``config()["type"]`` -> the class that ``build_module`` calls to rebuild it.
MODULES: dict[str, type[Module]] = {}

def as_size(n: Any, name: str, maximum: int | None = MAX_SIZE) -> int:
    """``n`` as a size: an int (NumPy ints too) from 1 to ``maximum``, else an error naming ``name``.

    Raises:
        TypeError: ``n`` is not an int (``bool``, float, ``None``, str ...).
        ValueError: ``n`` is below 1 or above ``maximum``.

    >>> as_size(3, "nin")
    3
    """
    n = as_int(n, name, minimum=1)
    if maximum is not None and n > maximum:
        shown = repr(n) if len(str(n)) <= 30 else f"an int of {len(str(n))} digits"
        raise ValueError(f"{name} must be an int from 1 to {maximum} (nn.module.MAX_SIZE), got {shown}")
    return n


def as_count(n: Any, name: str) -> int:
    """A size read from an architecture description by ``config_size``: an int >= 1, of any magnitude.

    Sizes are not bounded here, so that ``nn.load`` compares the total with its
    ``max_parameters`` first; the constructor bounds each one when the model is built.
    """
    return as_size(n, name, maximum=None)


def check_parameters(n: int, who: str) -> int:
    """``n``, the number of parameters a constructor is about to make, when at most ``MAX_SIZE``.

    Each size is bounded by :func:`as_size`, but their product is what fills memory:
    ``Linear(10**7, 10**7)`` must be refused at once, not after an hour of allocation.

    Args:
        n: how many parameters (Values) the module would hold.
        who: the call, with its sizes, as the user wrote it: ``"Linear(nin=10000000, nout=10000000)"``.

    Raises:
        ValueError: ``n`` is above ``MAX_SIZE``.
    """
    if n > MAX_SIZE:
        raise ValueError(f"{who} would have {n} parameters, more than {MAX_SIZE} (nn.module.MAX_SIZE); "
                         f"use smaller sizes")
    return n


_JUST_VALUE = {Value}


def as_vector(x: Any, size: int, who: str, *, name: str = "input", inputs: bool = False) -> list[Value]:
    """``x``, one input vector of the module ``who``, as a list of ``size`` Values (numbers become leaves).

    A list, tuple or 1-D array is a vector; for ``size == 1`` a lone number or Value is one too.
    A list of Values is returned as it is (not copied): callers must not change it.

    Args:
        x: the vector.
        size: how many elements it must have.
        who: the module, as messages name it (``"Linear"``).
        name: what ``x`` is, for messages: ``"input"``, ``"batch[3]"``, ``"xs[0]"``.
        inputs: the length message says "expects <size> inputs" (a neuron's words), not "vectors of <size> values".

    Raises:
        TypeError: ``x`` is not a vector, or an element is not a Value or a real number.
        ValueError: ``x`` has another length, or an element is an int too large for a float.
    """
    if type(x) is not list:
        if size == 1 and (isinstance(x, Value) or is_real(x)):
            return [as_value(x, f"{who} {name}")]
        if isinstance(x, (str, bytes)) or not (isinstance(x, Sequence) or getattr(x, "ndim", None) == 1):
            raise TypeError(f"{who} {name} must be a vector of {size} numbers or Values (a list, tuple or "
                            f"1-D array), got {describe(x)}")
        x = list(x)
    if len(x) != size:
        where = "" if name == "input" else f" in {name}"
        want = f"{size} inputs" if inputs else f"vectors of {size} values"
        raise ValueError(f"{who} expects {want}, got {len(x)}{where}")
    if set(map(type, x)) <= _JUST_VALUE:  # the common case, checked at C speed
        return x
    return [as_value(v, f"{who} {name}[{i}]") for i, v in enumerate(x)]


def as_list(x: Any) -> list[Any]:
    """``x`` itself when it is a list (a vector), else ``[x]`` (one scalar)."""
    return x if isinstance(x, list) else [x]


class Module:
    """Base class: finds parameters in attributes, names them, saves and restores them.

    Attributes that are Modules, Values, or (nested) lists/tuples of those are
    discovered automatically, in the order they were assigned, so a subclass needs no
    boilerplate::

        class Affine(Module):
            def __init__(self):
                self.w = Value(1.0)
                self.b = Value(0.0)

            def forward(self, x):
                return self.w * x + self.b

    Call a module to run ``forward`` (or define ``__call__`` directly, micrograd style).
    To make ``nn.load`` rebuild it from a file, give it ``config()`` and decorate the class
    with :func:`register_module`.
    """

    training: bool = True

    def forward(self, *args: Any) -> Any:
        """The module's output for one sample; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward() or __call__()")

    def __call__(self, *args: Any) -> Any:
        return self.forward(*args)

    def forward_batch(self, xs: Sequence[Any]) -> list[Any]:
        """The outputs for a batch of samples; modules that mix samples (BatchNorm) override it."""
        return [self(x) for x in xs]

    # -- discovery -------------------------------------------------------------------------------------

    def _children(self) -> Iterator[tuple[str, Any]]:
        for name, value in vars(self).items():
            if not name.startswith("_") and name != "training":
                yield from _found_in(name, value)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """``(dotted name, Value)`` for every parameter, e.g. ``layers.0.neurons.3.w.1``; shared ones once."""
        seen: set[Value] = set()
        stack: list[tuple[str, Any]] = [(prefix.rstrip("."), self)]
        while stack:
            name, obj = stack.pop()
            if isinstance(obj, Value):
                if obj not in seen:
                    seen.add(obj)
                    yield name, obj
                continue
            children = [(f"{name}.{n}" if name else n, c) for n, c in obj._children()]
            stack.extend(reversed(children))

    def parameters(self) -> list[Value]:
        """Every parameter, in a stable order (for a Neuron: its weights, then its bias)."""
        return [p for _, p in self.named_parameters()]

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, depth first."""
        return (m for _, m in self._named_modules())

    def named_buffers(self) -> Iterator[tuple[str, float]]:
        """``(dotted name, float)`` for state that is saved but not trained (BatchNorm's running statistics)."""
        for prefix, m in self._named_modules():
            for name in getattr(m, "_buffers", ()):
                for i, v in enumerate(getattr(m, name)):
                    yield f"{prefix}{name}.{i}", v

    def _named_modules(self) -> Iterator[tuple[str, Module]]:
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, m = stack.pop()
            yield prefix, m
            stack.extend(reversed([(f"{prefix}{n}.", c) for n, c in m._children() if isinstance(c, Module)]))

    def label_parameters(self) -> Module:
        """Give every unlabelled parameter its dotted name as label (for drawings); returns self."""
        for name, p in self.named_parameters():
            if not p.label:
                p.label = name
        return self

    def draw(self, x: Any = None, *, output: Any = None, expand: Any = (), **options: Any) -> Any:
        """A drawing of ``self(x)`` (or of ``output``) a person can read: one box per part of the model.

        Each part (``layers.0``, ``layers.1`` ... of an MLP) is a box with its name, size and
        gradient norm; inputs are ``x0, x1, ...``; ``expand=("layers.1",)`` opens a part. See
        :func:`nn.draw.draw_model`, which takes the same arguments; ``draw_dot(out, model=self)``
        calls this method.

        Args:
            x: an input: the drawing runs ``self(x)``.
            output: instead of ``x``, a Value (or list of Values) the model computed, e.g. a loss.
            expand: the names of the parts to open.
            options: ``rankdir``, ``show_grad``, ``highlight``, ``format`` (see ``draw_model``).

        Returns:
            A ``graphviz.Digraph``.

        Raises:
            TypeError, ValueError: a bad argument or option (the message names it).

        >>> from nn import MLP
        >>> MLP(2, [3, 1], seed=0).draw([1.0, 2.0]).source.count("Layer(")  # one box per layer
        2
        """
        from .draw import OPTIONS, draw_model

        for name in options:
            if name not in OPTIONS:
                raise TypeError(f"{type(self).__name__}.draw() got an unexpected option {name!r}; it takes x, "
                                f"output, expand and {', '.join(OPTIONS)}")
        return draw_model(self, x, output=output, expand=expand, **options)

    # -- training helpers --------------------------------------------------------------------------------

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``True``) or evaluation mode on this module and all inside it; returns self."""
        mode = as_bool(mode, "mode")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode (BatchNorm uses its running statistics); returns self."""
        return self.train(False)

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self.parameters())

    # -- state ---------------------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """A plain dict from each parameter's (and buffer's) name to its value."""
        state = {name: p.data for name, p in self.named_parameters()}
        state.update(self.named_buffers())
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set every parameter and buffer from ``state``, checking everything before assigning anything.

        Values may be any real number (``int``, ``float``, NumPy scalars); ``bool`` is not one.

        Raises:
            TypeError: ``state`` is not a dict.
            ValueError: names are missing or unexpected, or a value is not a real number (or does not
                fit in a float); the module is then left exactly as it was.

        >>> m = Module(); m.w = Value(0.0); m.load_state_dict({"w": 2}); m.w.data
        2.0
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict of names to numbers, got {type(state).__name__}")
        params = dict(self.named_parameters())
        buffers = dict(self.named_buffers())
        expected = set(params) | set(buffers)
        missing = sorted(expected - set(state), key=_natural)
        unexpected = sorted(set(state) - expected, key=lambda k: _natural(str(k)))
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} entr{'y' if len(missing) == 1 else 'ies'}: {_few(missing)}")
            if unexpected:
                parts.append(f"unexpected {len(unexpected)}: {_few([str(k) for k in unexpected])}")
            raise ValueError(f"state does not fit {type(self).__name__} "
                             f"({len(expected)} entries expected, {len(state)} given): {'; '.join(parts)}")
        values = {}
        for name, v in state.items():
            if not is_real(v):
                raise ValueError(f"state[{name!r}] must be a real number, got {type(v).__name__}")
            values[name] = as_real(v, f"state[{name!r}]")  # an int too large for a float is a ValueError
        for name, p in params.items():
            p.data = values[name]
        for prefix, m in self._named_modules():
            for bname in getattr(m, "_buffers", ()):
                buffer = getattr(m, bname)
                for i in range(len(buffer)):
                    buffer[i] = values[f"{prefix}{bname}.{i}"]

    # -- architecture --------------------------------------------------------------------------------------

    def config(self) -> dict[str, Any] | None:
        """The architecture as JSON data: ``{"type": <registered name>, <constructor argument>: value, ...}``.

        The default ``from_config`` rebuilds the module by calling its class with these
        arguments. ``None`` (the base class's answer) means the module cannot be rebuilt
        from a file: ``nn.load`` then needs the model to fill as ``into=``.
        """
        return None

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        """A fresh module (new weights) with the architecture ``config`` describes: ``cls(**arguments)``.

        Containers override it to build the modules inside through :func:`build_module`.

        Raises:
            ValueError: a required argument is missing or an unknown one is given.
            TypeError, ValueError: from the constructor, for an invalid value.
        """
        return cls(**config_arguments(cls, config, defaults=False))

    @classmethod
    def config_size(cls, config: dict[str, Any]) -> int | None:
        """How many entries ``state_dict()`` of ``cls.from_config(config)`` has, computed without building it.

        ``nn.load`` uses it to refuse a file that describes too large a model before
        allocating anything. The base class answers ``None`` (unknown: the model is then
        built first and counted); the shipped modules answer exactly.
        """
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.num_parameters()} parameters)"


def _found_in(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Modules and Values in an attribute, also inside (nested) lists and tuples: ``weight.2.0``."""
    if isinstance(value, (Module, Value)):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _found_in(f"{name}.{i}", item)


def _natural(name: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in name.split(".")]


def quote(name: Any) -> str:
    """``repr(name)``, cut to about 80 characters, for a name in an error message (it may come from a file)."""
    text = repr(name)
    return text if len(text) <= 80 else text[:77] + "..."


def _few(names: list[str], n: int = 5) -> str:
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


# -- the registry ------------------------------------------------------------------------------------------


def register_module(cls: type[Module] | None = None, *, name: str | None = None) -> Any:
    """Class decorator: let ``nn.load`` rebuild this Module subclass from the ``config()`` it saved.

    The class must define ``config()`` returning ``{"type": name, **constructor_arguments}``
    (JSON data only); ``from_config`` (default: call the class with those arguments) and
    ``config_size`` (default: unknown) may be overridden.

    Args:
        cls: the class (when used as ``@register_module``).
        name: the ``"type"`` it is saved under; the class's name by default.

    Returns:
        The class itself (or, with only ``name`` given, a decorator).

    Raises:
        TypeError: ``cls`` is not a Module subclass, does not define ``config()``, or ``name`` is not a str.
        ValueError: ``name`` is empty, or already registered to another class.

    >>> @register_module
    ... class Scale(Module):
    ...     def __init__(self, factor=2.0):
    ...         self.factor = factor
    ...     def forward(self, x):
    ...         return x * self.factor
    ...     def config(self):
    ...         return {"type": "Scale", "factor": self.factor}
    >>> build_module({"type": "Scale", "factor": 3.0}).factor
    3.0
    """
    if cls is None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str, got {describe(name)}")
        return lambda c: register_module(c, name=name)
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register_module decorates a subclass of nn.Module, got {describe(cls)}")
    if cls.config is Module.config:
        raise TypeError(f"{cls.__name__} must define config() returning {{'type': ..., <constructor arguments>}} "
                        f"to be registered")
    key = cls.__name__ if name is None else name
    if not isinstance(key, str):
        raise TypeError(f"name must be a str, got {describe(key)}")
    if not key:
        raise ValueError("name must be a non-empty str")
    old = MODULES.get(key)
    # the same class defined again (a re-run notebook cell) replaces the old definition
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(f"the module name {key!r} is already registered to {old.__module__}.{old.__qualname__}; "
                         f"register {cls.__qualname__} under another name=")
    MODULES[key] = cls
    return cls


def saveable_config(module: Module) -> dict[str, Any] | None:
    """``module.config()`` when it rebuilds exactly ``type(module)``; None when the architecture cannot be saved.

    A config naming a registered type of another class (a subclass that inherits its parent's
    ``config()``) would silently come back as the parent class, so it counts as unsaveable.
    A type not registered at all is kept: loading it then says to register the class.
    """
    config = module.config()
    if config is None:
        return None
    if not isinstance(config, dict):
        raise TypeError(f"{type(module).__name__}.config() must return a dict or None, got {describe(config)}")
    kind = config.get("type")
    registered = MODULES.get(kind) if isinstance(kind, str) else None
    return config if registered is None or registered is type(module) else None


class ArchitectureError(ValueError):
    """An architecture description that cannot be built; the message says where (``architecture.modules[2]``)."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where} {problem}")
        self.where, self.problem = where, problem


def _registered(config: Any, where: str) -> type[Module]:
    if not isinstance(config, dict) or "type" not in config:
        raise ArchitectureError(where, f"must be an object with a 'type', got {describe(config)}")
    kind = config["type"]
    if not isinstance(kind, str) or kind not in MODULES:
        shown = quote(kind) if isinstance(kind, str) else describe(kind)
        raise ArchitectureError(where, f"has an unknown type {shown}: known types are "
                                       f"{', '.join(sorted(MODULES))}; decorate your own module's class with "
                                       f"@nn.register_module (or pass the model to fill as into=)")
    return MODULES[kind]


def _located(where: str, config: dict[str, Any], call: Any) -> Any:
    """``call()``, with any error in it reported at ``where`` (nested errors keep their own place too)."""
    try:
        return call()
    except ArchitectureError as exc:
        place = f"{where}.{exc.where}" if exc.where else where
        problem = exc.problem if exc.where else f"({config['type']}) {exc.problem}"
        raise ArchitectureError(place, problem) from None
    except (TypeError, ValueError) as exc:
        raise ArchitectureError(where, f"({config['type']}) is invalid: {exc}") from None
    except LookupError as exc:  # a user's from_config or config_size reading a field the file lacks
        raise ArchitectureError(where, f"({config['type']}) is invalid: {type(exc).__name__} {exc}") from None


def build_module(config: Any, where: str = "architecture") -> Module:
    """A fresh module from an architecture description (what ``config()`` returned), via ``MODULES``.

    Args:
        config: ``{"type": <registered name>, ...}``.
        where: how to name this description in error messages; containers pass ``"modules[2]"``.

    Returns:
        The module, with new (random) weights: load its state afterwards.

    Raises:
        ValueError: the description is not an object, names an unregistered type, lacks a field
            or has an invalid one; the message says where.

    >>> build_module({"type": "Linear", "nin": 2, "nout": 3}).num_parameters()
    9
    """
    cls = _registered(config, where)
    return _located(where, config, lambda: cls.from_config(config))


def architecture_size(config: Any, where: str = "architecture") -> int | None:
    """How many state entries the module described by ``config`` has, without building it; None if unknown.

    Raises:
        ValueError: as :func:`build_module`.
        TypeError: the class's ``config_size`` returned something other than an int >= 0 or None.

    >>> architecture_size({"type": "MLP", "nin": 2, "nouts": [10**6, 10**6]})
    1000004000000
    """
    cls = _registered(config, where)
    size = _located(where, config, lambda: cls.config_size(config))
    if size is not None and not (is_int(size) and size >= 0):
        raise TypeError(f"{cls.__qualname__}.config_size() must return an int >= 0 or None, got {describe(size)}")
    return size if size is None else int(size)


def config_arguments(cls: type[Module], config: dict[str, Any], defaults: bool = True) -> dict[str, Any]:
    """The constructor arguments in ``config`` (all but ``"type"``), checked against ``cls``'s signature.

    Args:
        cls: the module class.
        config: its architecture description.
        defaults: also include the arguments ``config`` leaves out, with their default values.

    Raises:
        ArchitectureError: a required argument is missing, or an argument the constructor does not take is given.
    """
    fields = {k: v for k, v in config.items() if k != "type"}
    signature = inspect.signature(cls)
    params = signature.parameters
    named = {n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    for n in named:
        if params[n].default is inspect.Parameter.empty and n not in fields:
            raise ArchitectureError("", f"lacks the field {n!r}")
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = [k for k in fields if k not in named]
        if unknown:
            raise ArchitectureError("", f"has an unknown field {quote(unknown[0])}")
    if not defaults:
        return fields
    bound = signature.bind_partial(**fields)
    bound.apply_defaults()
    return dict(bound.arguments)


_MOVED = {"Neuron": "mlp", "Layer": "mlp", "MLP": "mlp", "Activation": "mlp", "ACTIVATIONS": "mlp", "INITS": "mlp",
          "Sequential": "containers", "Residual": "containers", "BatchNorm": "norm"}


def __getattr__(name: str) -> Any:
    """The modules that lived here before the split (``from nn.module import MLP``) still import from here."""
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{_MOVED[name]}"), name)
    raise AttributeError(f"module 'nn.module' has no attribute {name!r}")
