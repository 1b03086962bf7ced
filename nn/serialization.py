"""Save and load models as plain JSON: no pickle, floats round-trip exactly, atomic writes."""

from __future__ import annotations

import json
import math
import os
from typing import Any

from autograd_engine._files import atomic_write

from .module import MLP, Activation, BatchNorm, Layer, Module, Neuron, Residual, Sequential

__all__ = ["save", "load", "FORMAT", "VERSION"]

FORMAT = "autograd-engine model"
VERSION = 1


def _encode(x: float) -> float | str:
    """JSON has no nan/inf: those are written as strings."""
    return x if math.isfinite(x) else repr(x)


def _decode(name: str, x: Any) -> float:
    if isinstance(x, str) and x in ("nan", "inf", "-inf"):
        return float(x)
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"parameter {name!r} must be a number, got {x!r}")
    return float(x)


def save(model: Module, path: str | os.PathLike[str]) -> str:
    """Write ``model`` to ``path`` as JSON: format, version, architecture (built-in modules) and every parameter.

    The file is replaced atomically, so a crash never leaves half a file.

    Returns:
        The path written.

    Raises:
        TypeError: ``model`` is not a Module.
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a Module, got {type(model).__name__}")
    doc = {"format": FORMAT, "version": VERSION, "architecture": model.config(),
           "parameters": {k: _encode(v) for k, v in model.state_dict().items()}}
    return atomic_write(path, (json.dumps(doc, indent=1) + "\n").encode())


def _build(config: Any, where: str = "architecture") -> Module:
    """A fresh module from an architecture description (weights are loaded afterwards)."""
    if not isinstance(config, dict) or "type" not in config:
        raise ValueError(f"{where} must be an object with a 'type', got {config!r}")
    kind = config["type"]
    try:
        if kind == "MLP":
            return MLP(config["nin"], config["nouts"], activation=config["activation"],
                       output_activation=config["output_activation"], init=config.get("init", "uniform"),
                       seed=0, fused=config.get("fused", True))
        if kind == "Layer":
            return Layer(config["nin"], config["nout"], activation=config["activation"], seed=0,
                         fused=config.get("fused", True))
        if kind == "Neuron":
            return Neuron(config["nin"], activation=config["activation"], seed=0, fused=config.get("fused", True))
        if kind == "Activation":
            return Activation(config["name"])
        if kind == "BatchNorm":
            return BatchNorm(config["num_features"], eps=config["eps"], momentum=config["momentum"])
        if kind == "Residual":
            return Residual(_build(config["module"], f"{where}.module"))
        if kind == "Sequential":
            modules = config["modules"]
            if not isinstance(modules, list):
                raise ValueError(f"{where}.modules must be a list")
            return Sequential(*[_build(m, f"{where}.modules[{i}]") for i, m in enumerate(modules)])
    except KeyError as exc:
        raise ValueError(f"{where} ({kind}) lacks the field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} ({kind}) is invalid: {exc}") from None
    raise ValueError(f"{where} has an unknown type {kind!r}")


def load(path: str | os.PathLike[str], into: Module | None = None) -> Module:
    """Read a model written by :func:`save`.

    Args:
        path: the JSON file.
        into: fill this existing model (of any architecture, built-in or your own) instead of
            building one from the file's architecture description.

    Returns:
        The model (``into`` itself when given).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is empty, truncated, not JSON, of another format or version, or its
            parameters do not fit the model; ``into`` is then left exactly as it was.
    """
    if into is not None and not isinstance(into, Module):
        raise TypeError(f"into must be a Module, got {type(into).__name__}")
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.strip():
        raise ValueError(f"{os.fspath(path)!r} is empty")
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{os.fspath(path)!r} is not valid JSON (truncated or corrupt?): {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{os.fspath(path)!r} is not an autograd-engine model file (no 'format': {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise ValueError(f"{os.fspath(path)!r} has format version {doc.get('version')!r}; "
                         f"this version reads version {VERSION}")
    params = doc.get("parameters")
    if not isinstance(params, dict):
        raise ValueError(f"{os.fspath(path)!r} has no 'parameters' object")
    state = {name: _decode(name, v) for name, v in params.items()}
    if into is None:
        if doc.get("architecture") is None:
            raise ValueError(f"{os.fspath(path)!r} holds a custom architecture: pass the model to fill as into=")
        model = _build(doc["architecture"])
    else:
        model = into
    model.load_state_dict(state)
    return model
