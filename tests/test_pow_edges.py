"""``**`` at the edges of its domain matches PyTorch, as float and never complex.

The expected values come from ``tests/fixtures/pow_edges.json``, written by
``tests/fixtures/make_pow_table.py`` with PyTorch in float64 (the tests themselves do not need
PyTorch). Every row is one edge point of one form of the power:

- ``pow[x,y]``: ``Value(x) ** Value(y)``, checked for the result, d/dx and d/dy;
- ``pow_const[x,c]``: ``Value(x) ** c`` with ``c`` a Python float, checked for the result and d/dx;
- ``rpow_const[c,y]``: ``c ** Value(y)`` with ``c`` a Python float, checked for the result and d/dy.

Numbers match when they are the same float or both nan. The result must have PyTorch's sign of
zero too (``(-0.0) ** 3.0`` is ``-0.0``: it is IEEE ``pow``); for a gradient ``0.0`` and ``-0.0``
count as equal, since a sum of contributions may turn one into the other.

``Value(x) ** c`` is held to what ``torch.pow`` gives for two tensors at the same point (the
``pow`` row), so that ``x ** 0.5`` and ``x ** Value(0.5)`` agree. PyTorch's ``x ** c`` with a
Python float ``c`` agrees with that everywhere except where it computes ``x ** 0.5`` as
``sqrt(x)`` and ``x ** -0.5`` as ``1 / sqrt(x)`` (also inside the derivative of ``x ** 1.5``):
there it is one ulp off at finite points and gives ``sqrt``'s answers at ``-0.0`` and ``-inf``
(``(-inf) ** 0.5`` is nan, ``(-0.0) ** -0.5`` is ``-inf``) where IEEE ``pow`` says ``inf``.
``test_scalar_forms_agree_with_tensor_pow`` pins down that these are the only differences.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from autograd_engine import Value

FIXTURE = Path(__file__).parent / "fixtures" / "pow_edges.json"
TABLE = json.loads(FIXTURE.read_text(encoding="utf-8"))
ROWS = TABLE["rows"]
TENSOR_POW = {(row["x"], row["y"]): row for row in ROWS if row["kind"] == "pow"}
# the exponents at which PyTorch's scalar forms differ from its two-tensor pow: ``x ** c`` takes its
# sqrt / 1-over-sqrt path for c = 0.5, -0.5, and for c = 1.5 inside d/dx = 1.5 * x ** 0.5
SQRT_SHORTCUTS: dict[str, set[str]] = {"pow_const": {"0.5", "-0.5", "1.5"}, "rpow_const": set()}


def row_id(row: dict[str, str]) -> str:
    """A readable test id: ``pow[-2.0,0.5]``, ``pow_const[0.0,-1.0]``, ``rpow_const[2.0,nan]``."""
    if row["kind"] == "pow":
        return f"pow[{row['x']},{row['y']}]"
    if row["kind"] == "pow_const":
        return f"pow_const[{row['x']},{row['c']}]"
    return f"rpow_const[{row['c']},{row['y']}]"


def same(a: float, b: float) -> bool:
    """True when ``a`` and ``b`` are the same float: both nan, or equal with the same sign."""
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))


def general_row(row: dict[str, str]) -> dict[str, str]:
    """The ``pow`` row (two tensors) at the same point as ``row``."""
    if row["kind"] == "pow_const":
        return TENSOR_POW[(row["x"], row["c"])]
    if row["kind"] == "rpow_const":
        return TENSOR_POW[(row["c"], row["y"])]
    return row


def expected(row: dict[str, str]) -> dict[str, float]:
    """What the engine must give for ``row``: its numbers, taken from the two-tensor ``pow`` row at that point."""
    general = general_row(row)
    return {name: float(general[name]) for name in ("data", "dx", "dy") if name in row}


def evaluate(row: dict[str, str], create_graph: bool) -> dict[str, Any]:
    """The engine's result and gradients for ``row``, with the names the table uses (``data``, ``dx``, ``dy``)."""
    kind = row["kind"]
    if kind == "pow":
        x, y = Value(float(row["x"])), Value(float(row["y"]))
        out = x**y
        out.backward(create_graph=create_graph)
        return {"data": out.data, "dx": x.grad, "dy": y.grad}
    if kind == "pow_const":
        x = Value(float(row["x"]))
        out = x ** float(row["c"])
        out.backward(create_graph=create_graph)
        return {"data": out.data, "dx": x.grad}
    y = Value(float(row["y"]))
    out = float(row["c"]) ** y
    out.backward(create_graph=create_graph)
    return {"data": out.data, "dy": y.grad}


def matches(name: str, got: float, want: float) -> bool:
    """True when ``got`` is ``want``: nan equal to nan, and for a gradient ``-0.0`` equal to ``0.0``."""
    if name == "data":
        return same(got, want)
    return (math.isnan(got) and math.isnan(want)) or got == want


def mismatches(row: dict[str, str], got: dict[str, float]) -> list[str]:
    """One line for each of ``got``'s numbers that does not match the expected one."""
    want = expected(row)
    return [f"{name}: engine {got[name]!r}, PyTorch {want[name]!r}"
            for name in got if not matches(name, got[name], want[name])]


def test_fixture_is_complete():
    assert TABLE["torch_version"].startswith("2.13.0")
    assert TABLE["dtype"] == "float64"
    assert float(TABLE["seed_gradient"]) == 1.0
    kinds = [row["kind"] for row in ROWS]
    assert {k: kinds.count(k) for k in set(kinds)} == {"pow": 154, "pow_const": 154, "rpow_const": 154}
    assert len({row_id(row) for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("kind", ["pow_const", "rpow_const"])
def test_scalar_forms_agree_with_tensor_pow(kind):
    differing = set()
    for row in ROWS:
        if row["kind"] == kind:
            general = general_row(row)
            if any(not same(float(row[name]), float(general[name])) for name in ("data", "dx", "dy") if name in row):
                differing.add(row["c"] if kind == "pow_const" else row["y"])
    assert differing == SQRT_SHORTCUTS[kind]


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_pow_matches_pytorch(row):
    got = evaluate(row, create_graph=False)
    for name, number in got.items():
        assert type(number) is float, f"{name} is {number!r} ({type(number).__name__}), not a float"
    assert not mismatches(row, got), "; ".join(mismatches(row, got))


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_pow_create_graph_gives_the_same_first_derivatives(row):
    got = evaluate(row, create_graph=True)
    for name, grad in got.items():
        number = grad.data if isinstance(grad, Value) else grad
        assert type(number) is float, f"{name} is {grad!r} ({type(number).__name__}), not a float or a Value of one"
        got[name] = number
    assert not mismatches(row, got), "; ".join(mismatches(row, got))
