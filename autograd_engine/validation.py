"""One definition per rule of validation, shared by ``autograd_engine`` and ``nn``.

Every public function checks its arguments with these helpers, so a user mistake
always raises ``TypeError`` (wrong kind of object) or ``ValueError`` (right kind,
wrong value) with a message that names the argument, the value received and what
was expected. NumPy scalars (``np.float32``, ``np.int64``) are accepted wherever a
Python number is; ``bool`` is never a number here (``True + 1`` is a classic bug).

>>> as_int(3, "n_samples", minimum=1)
3
>>> as_int(0, "n_samples", minimum=1)
Traceback (most recent call last):
...
ValueError: n_samples must be an int >= 1, got 0
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["is_real", "is_int", "describe", "as_real", "as_int", "as_bool", "as_callable", "python_rng", "numpy_rng",
           "as_choice", "node_name"]

#: Longest repr quoted in an error message; longer ones are cut with "...".
MAX_REPR = 80


def describe(value: Any) -> str:
    """A short, safe, one-line description of ``value`` for an error message: its type, then its repr (cut).

    >>> describe("abc")
    "str 'abc'"
    """
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the user's real mistake
        text = f"<{type(value).__name__} object>"
    text = " ".join(text.split())  # one line: a NumPy array's repr spans several
    if len(text) > MAX_REPR:
        text = text[:MAX_REPR - 3] + "..."
    return f"{type(value).__name__} {text}"


def is_real(x: Any) -> bool:
    """True for a real number (int, float, Fraction, NumPy scalar), False for ``bool`` and everything else.

    >>> is_real(2), is_real(2.5), is_real(True), is_real("2")
    (True, True, False, False)
    """
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and not _is_numpy_bool(x)


def is_int(x: Any) -> bool:
    """True for an integer (``int``, ``np.int64`` ...), False for ``bool``, floats and everything else.

    >>> is_int(3), is_int(3.0), is_int(False)
    (True, False, False)
    """
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _is_numpy_bool(x: Any) -> bool:
    return type(x).__module__ == "numpy" and type(x).__name__ in ("bool", "bool_")


def as_real(x: Any, name: str, *, finite: bool = False, minimum: float | None = None,
            maximum: float | None = None, strict: bool = False) -> float:
    """``x`` as a float, or an error naming ``name``.

    Args:
        x: the value to check.
        name: the argument's name, as the user wrote it.
        finite: also reject ``nan`` and ``inf``.
        minimum, maximum: bounds (inclusive, or exclusive with ``strict``); ``nan`` fails any bound.
        strict: the bounds are exclusive.

    Raises:
        TypeError: ``x`` is not a real number (``bool``, ``str``, ``None``, complex, arrays ...).
        ValueError: ``x`` is out of range, or not finite when ``finite`` is set.

    >>> as_real(1, "lr", minimum=0, strict=True)
    1.0
    """
    if not is_real(x):
        raise TypeError(f"{name} must be a real number, got {describe(x)}")
    try:
        v = float(x)
    except (OverflowError, ValueError):  # an int too large for a float
        raise ValueError(f"{name} must be a number that fits in a float, got {describe(x)}") from None
    bounded = minimum is not None or maximum is not None
    if (finite and not math.isfinite(v)) or (bounded and math.isnan(v)) or \
            (minimum is not None and (v <= minimum if strict else v < minimum)) or \
            (maximum is not None and (v >= maximum if strict else v > maximum)):
        raise ValueError(f"{name} must be {_range_words(finite, minimum, maximum, strict)}, got {v!r}")
    return v


def _range_words(finite: bool, minimum: Any, maximum: Any, strict: bool) -> str:
    words = ["a finite number" if finite else "a number"]
    lo, hi = (">", "<") if strict else (">=", "<=")
    if minimum is not None:
        words.append(f"{lo} {minimum}")
    if maximum is not None:
        words.append(f"{hi} {maximum}")
    return " ".join(words) if len(words) < 3 else f"{words[0]} {words[1]} and {words[2]}"


def as_int(x: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``x`` as an int (``np.int64`` accepted; ``bool`` and floats rejected), or an error naming ``name``.

    Raises:
        TypeError: ``x`` is not an integer.
        ValueError: ``x`` is below ``minimum`` or above ``maximum``.

    >>> as_int(2, "epochs", minimum=0)
    2
    """
    if not is_int(x):
        raise TypeError(f"{name} must be an int, got {describe(x)}")
    v = int(x)
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        if maximum is None:
            want = f"an int >= {minimum}"
        elif minimum is None:
            want = f"an int <= {maximum}"
        else:
            want = f"an int from {minimum} to {maximum}"
        shown = repr(v) if len(str(v)) <= MAX_REPR else f"an int of {len(str(v))} digits"
        raise ValueError(f"{name} must be {want}, got {shown}")
    return v


def as_bool(x: Any, name: str) -> bool:
    """``x`` as a bool (``True``/``False`` or NumPy's ``bool_``); anything else is a ``TypeError``.

    Truthiness is not accepted: ``"no"`` is a non-empty string, not ``False``.

    >>> as_bool(True, "shuffle")
    True
    """
    if isinstance(x, bool) or _is_numpy_bool(x):
        return bool(x)
    raise TypeError(f"{name} must be a bool (True or False), got {describe(x)}")


def as_choice(x: Any, name: str, choices: Iterable[str]) -> str:
    """``x`` when it is one of the names ``choices``.

    Raises:
        TypeError: ``x`` is not a str.
        ValueError: it is not one of ``choices``.

    >>> as_choice("relu", "activation", ("relu", "tanh"))
    'relu'
    """
    choices = tuple(choices)
    if not isinstance(x, str):
        raise TypeError(f"{name} must be one of {', '.join(choices)}, got {describe(x)}")
    if x not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {describe(x)}")
    return x


def as_callable(f: Any, name: str) -> Callable[..., Any]:
    """``f`` itself when it is callable; ``TypeError`` naming ``name`` otherwise.

    >>> as_callable(len, "f") is len
    True
    """
    if not callable(f):
        raise TypeError(f"{name} must be callable, got {describe(f)}")
    return f


def python_rng(seed: Any, name: str = "seed") -> random.Random | Any:
    """A ``random.Random`` for ``seed``.

    ``None`` means the global ``random`` module itself (seed it with ``random.seed`` for
    reproducible runs: this is micrograd's choice, so the same seed gives micrograd's
    weights). An int (NumPy ints included, >= 0) makes a new generator; a ``random.Random``
    is used as it is.

    Raises:
        TypeError: ``seed`` is none of these.
        ValueError: ``seed`` is a negative int.
    """
    if seed is None or seed is random:
        return random
    if isinstance(seed, random.Random):
        return seed
    return random.Random(_seed_int(seed, name, "a random.Random"))


def numpy_rng(seed: Any, name: str = "seed") -> np.random.Generator:
    """A NumPy ``Generator`` for ``seed``, with the same meaning of ``None`` as :func:`python_rng`.

    ``None`` draws the generator's seed from the global ``random`` module, so one
    ``random.seed(...)`` makes a whole run reproducible, data included. An int (>= 0)
    seeds a new generator; a ``np.random.Generator`` is used as it is.

    Raises:
        TypeError: ``seed`` is none of these.
        ValueError: ``seed`` is a negative int.
    """
    import numpy as np

    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or seed is random:
        return np.random.default_rng(random.getrandbits(64))
    return np.random.default_rng(_seed_int(seed, name, "a numpy Generator"))


def _seed_int(seed: Any, name: str, generator: str) -> int:
    if not is_int(seed):
        raise TypeError(f"{name} must be an int, {generator} or None, got {describe(seed)}")
    return as_int(seed, name, minimum=0)


def node_name(node: Any, op: str | None = None) -> str:
    """How error messages name a graph node: ``op 'sqrt' (no label)``, ``leaf (label 'x')``.

    >>> from autograd_engine import Value
    >>> node_name(Value(2.0, "x") * 3), node_name(Value(2.0, "x"))
    ("op '*' (no label)", "leaf (label 'x')")
    """
    op = node.op if op is None else op
    label = f"label {node.label!r}" if node.label else "no label"
    return f"{f'op {op!r}' if op else 'leaf'} ({label})"
