"""Save and load models as plain JSON: no pickle, floats round-trip exactly, atomic writes.

The file holds the format name and version, the architecture (``model.config()``,
rebuilt on loading through the registry ``nn.MODULES``) and every parameter and
buffer by name. Loading checks everything before building or changing anything:
a file that describes more than ``max_parameters`` numbers is refused before a
single parameter is allocated.
"""

from __future__ import annotations

import json
import math
import os
import random
from typing import Any

from autograd_engine.files import as_path, atomic_write
from autograd_engine.validation import as_int, as_real, describe, is_int, is_real

from .module import Module, architecture_size, build_module, quote, saveable_config

__all__ = ["save", "load", "FORMAT", "VERSION", "MAX_PARAMETERS", "MAX_DEPTH"]

FORMAT = "autograd-engine model"
VERSION = 1
#: ``load``'s default bound on the numbers (parameters and buffers) a file may make it build.
MAX_PARAMETERS = 10**7
#: The deepest nesting of objects and lists an architecture may have (about 50 nested containers).
MAX_DEPTH = 100


def _encode(x: float) -> float | str:
    """JSON has no nan/inf: those are written as strings."""
    x = float(x)
    return x if math.isfinite(x) else repr(x)


def _decode(name: str, x: Any) -> float:
    if isinstance(x, str) and x in ("nan", "inf", "-inf"):
        return float(x)
    if not is_real(x):
        raise ValueError(f"parameter {quote(name)} must be a number, got {describe(x)}")
    return as_real(x, f"parameter {quote(name)}")  # an int too large for a float is a ValueError


def _amount(n: int) -> str:
    """``n`` in words for a message: its digits, or its order of magnitude when it is astronomically large."""
    if abs(n) < 10**30:
        return str(n)
    return f"about {'-' if n < 0 else ''}10**{int(n.bit_length() * math.log10(2))}"


def _depth(tree: Any) -> int:
    """How deeply objects and lists nest in ``tree`` (a number or a string: 0), without recursion."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        stack.extend((c, depth + 1) for c in children)
    return deepest


def save(model: Module, path: str | os.PathLike[str]) -> str:
    """Write ``model`` to ``path`` as JSON: format, version, architecture and every parameter.

    The architecture is ``model.config()`` (every shipped module has one; see
    ``nn.register_module`` for your own), or ``null`` when a module inside has no ``config()``
    of its own (load then needs ``into=``). A type that is not registered is written as it is;
    ``load`` then asks for it to be registered, or for ``into=``.
    The file is replaced atomically, so a crash never leaves half a file. When ``path`` is a
    symbolic link, the file it points to is replaced and the link stays.

    Returns:
        ``path``, as a str.

    Raises:
        TypeError: ``model`` is not a Module, or ``path`` is not a str or path.
        ValueError: the model's architecture is nested too deeply, or its ``config()`` is not JSON data.
        PermissionError: ``path`` is a read-only file (it is left as it is), or its folder is not writable.
        FileNotFoundError: the folder of ``path`` does not exist.
        IsADirectoryError: ``path`` is a folder.

    >>> import os, tempfile
    >>> from nn import MLP
    >>> path = save(MLP(2, [3, 1], seed=0), os.path.join(tempfile.mkdtemp(), "model.json"))
    >>> load(path).num_parameters()
    13
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a Module, got {type(model).__name__}")
    path = as_path(path)
    try:
        architecture = saveable_config(model)
        if _depth(architecture) > MAX_DEPTH:
            raise ValueError(f"the model's architecture nests deeper than {MAX_DEPTH} levels, more than load reads")
        doc = {"format": FORMAT, "version": VERSION, "architecture": architecture,
               "parameters": {k: _encode(v) for k, v in model.state_dict().items()}}
        text = json.dumps(doc, indent=1, allow_nan=False)
    except RecursionError:
        raise ValueError(f"the model is nested too deeply to save (more than {MAX_DEPTH} levels)") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot save {type(model).__name__}: {exc}") from None
    return atomic_write(path, (text + "\n").encode(), what="save a model to")


def load(path: str | os.PathLike[str], into: Module | None = None, *,
         max_parameters: int = MAX_PARAMETERS) -> Module:
    """Read a model written by :func:`save`.

    Everything is checked before anything is built or changed: on any failure ``into`` is
    left exactly as it was, and the global ``random`` generator is never disturbed.

    Args:
        path: the JSON file (a symbolic link is followed).
        into: fill this existing model (of any architecture, built-in or your own) instead of
            building one from the file's architecture description.
        max_parameters: the most numbers (parameters and buffers) the file may make ``load``
            build; a larger architecture is refused before anything is allocated. Raise it for
            a big model you trust. Not used with ``into=``, whose own size is the bound.

    Returns:
        The model (``into`` itself when given).

    Raises:
        TypeError: ``path``, ``into`` or ``max_parameters`` is of the wrong kind.
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is empty, truncated, not JSON, nested too deeply, of another format or
            version; its architecture is unknown, invalid or larger than ``max_parameters``; or its
            parameters do not fit the model. The message names the file.
    """
    path = as_path(path)
    if into is not None and not isinstance(into, Module):
        raise TypeError(f"into must be a Module, got {type(into).__name__}")
    max_parameters = as_int(max_parameters, "max_parameters", minimum=0)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return _load(raw, into, max_parameters)
    except ValueError as exc:
        raise ValueError(f"{path!r} {exc}") from None


def _load(raw: bytes, into: Module | None, max_parameters: int) -> Module:
    """The model in the file's bytes ``raw``; each ValueError says what the file is or has."""
    if not raw.strip():
        raise ValueError("is empty")
    try:
        doc = json.loads(raw)
    except RecursionError:
        raise ValueError("is not a model file: its JSON nests too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer of over 4300 digits
        raise ValueError(f"is not valid JSON (truncated or corrupt?): {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"is not an autograd-engine model file (no 'format': {FORMAT!r})")
    version = doc.get("version")
    if not is_int(version):
        raise ValueError(f"has a format version that is not an integer: {describe(version)}")
    if version != VERSION:
        raise ValueError(f"has format version {_amount(int(version))}; this version reads version {VERSION}")
    params = doc.get("parameters")
    if not isinstance(params, dict):
        raise ValueError("has no 'parameters' object")
    architecture = doc.get("architecture")
    size = None
    if into is None and architecture is not None:
        if _depth(architecture) > MAX_DEPTH:
            raise ValueError(f"has an architecture nested deeper than {MAX_DEPTH} levels")
        try:
            size = architecture_size(architecture)
        except ValueError as exc:
            raise ValueError(f"has an invalid architecture: {exc}") from None
        for count, what in ((size, "describes"), (len(params), "holds")):
            if count is not None and count > max_parameters:
                raise ValueError(f"{what} {_amount(count)} parameters, more than max_parameters={max_parameters}; "
                                 f"pass a larger max_parameters= to load a model this big")
        if size is not None and size != len(params):
            raise ValueError(f"describes an architecture of {_amount(size)} parameters but holds {len(params)}")
    state = {name: _decode(name, v) for name, v in params.items()}
    if into is not None:
        _fill(into, state)
        return into
    if architecture is None:
        raise ValueError("holds a custom architecture: pass the model to fill as into=")
    saved = random.getstate()  # a module built with seed=None draws from the global generator
    try:
        model = build_module(architecture)
    except ValueError as exc:
        raise ValueError(f"has an invalid architecture: {exc}") from None
    finally:
        random.setstate(saved)
    if size is None and len(model.state_dict()) > max_parameters:
        raise ValueError(f"describes more than max_parameters={max_parameters} parameters")
    return _fill(model, state)


def _fill(model: Module, state: dict[str, float]) -> Module:
    try:
        model.load_state_dict(state)
    except ValueError as exc:
        raise ValueError(f"does not fit the model: {exc}") from None
    return model
