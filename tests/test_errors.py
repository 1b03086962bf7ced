"""One table of user mistakes over the whole public API.

Every test file keeps the mistakes of the functions it tests in a module-level
``ERROR_CASES`` list of ``(id, call, exception type, regex of the message)``; this
file gathers all of them into one parametrized table and is the one place they run
(a file runs its own rows again only to check more after each: that the mode is
restored, that nothing was written ...). It also checks that every public
function and class of both packages has at least one row (its name in a row's id).
The rule each row checks: a user mistake raises ``TypeError`` or ``ValueError`` (or
an ``OSError`` for files) whose message names the argument, the value received and
what was expected; never an exception from deep inside the library, never silence.
Add a row where you add a check.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

import autograd_engine
import nn

HERE = Path(__file__).parent
SOURCES = sorted(p.stem for p in HERE.glob("test_*.py")
                 if p.stem != "test_errors" and re.search(r"^ERROR_CASES\b", p.read_text(), re.M))
TABLE = [(f"{source}::{case[0]}", *case[1:]) for source in SOURCES
         for case in importlib.import_module(source).ERROR_CASES]

#: Public names that take no user input of their own (exceptions, tables, constants, records).
NO_INPUT = {
    "AnomalyError", "GradcheckError", "RuleMismatch", "GraphvizNotFoundError", "BackwardStep", "OPS", "Op",
    "RemovableHandle", "LOSSES", "OPTIMIZERS", "DATASETS", "ACTIVATIONS", "MODULES", "History",
    "is_grad_enabled", "is_anomaly_enabled", "Module", "Optimizer",
}


def test_the_table_is_gathered_from_every_file_that_has_one():
    assert len(SOURCES) >= 10
    assert len(TABLE) >= 200
    ids = [row[0] for row in TABLE]
    assert len(ids) == len(set(ids)), "two rows share an id"
    for row in TABLE:
        assert len(row) == 4 and callable(row[1]) and issubclass(row[2], Exception) and isinstance(row[3], str), row[0]
        assert issubclass(row[2], (OSError, TypeError, ValueError, autograd_engine.AnomalyError)), \
            f"{row[0]}: a user mistake raises TypeError, ValueError or OSError, not {row[2].__name__}"


@pytest.mark.parametrize("name, call, exc, pattern", TABLE, ids=[row[0] for row in TABLE])
def test_user_mistakes(name, call, exc, pattern, fresh_ops, fresh_registry):  # rows may define ops or modules
    with pytest.raises(exc, match=pattern) as info:
        call()
    assert "\n" not in str(info.value).split("Traceback")[0].strip() or exc not in (TypeError, ValueError), \
        "messages of user mistakes are one line"


def _public(module) -> list[str]:
    return [n for n in module.__all__ if n not in NO_INPUT and not n.isupper()
            and (inspect.isfunction(getattr(module, n)) or inspect.isclass(getattr(module, n)))]


@pytest.mark.parametrize("name", _public(autograd_engine) + _public(nn))
def test_every_public_function_and_class_has_a_row(name):
    words = {name.lower(), name.lower().replace("_", "-")}
    assert any(any(w in row[0].lower() for w in words) for row in TABLE), \
        f"no row of the error table calls {name}: add one to ERROR_CASES in its test file"
