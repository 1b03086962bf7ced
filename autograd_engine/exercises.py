"""Check a Value class you wrote yourself, op by op, against this engine's rules.

:func:`check_my_grads` takes a micrograd-style class (``MyValue(2.0)`` has ``.data`` and
``.grad``, operators build nodes that keep a ``_backward`` closure, ``backward()`` sorts
the graph and runs them) and reports, for each op and for a few small graphs, what is
right and what is wrong, with the number expected. The expected numbers come from
:data:`~autograd_engine.ops.OPS`, the engine's one table of forwards and derivative
rules, and, for whole graphs, from this engine's own ``backward()``.

The learner's code is never trusted: a missing method, an exception inside a backward,
a wrong type or an endless loop becomes a line of the report, not a crash.

>>> from micrograd.engine import Value as MicrogradValue
>>> check_my_grads(MicrogradValue, required=("add", "mul")).ok
True
"""

from __future__ import annotations

import html
import inspect
import math
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .ops import OPS, call_forward, call_vjp
from .validation import as_choice, describe, is_real
from .value import Value

__all__ = ["check_my_grads", "GradReport", "GradCheckRow", "CHECKS", "MAX_STEPS"]

#: The most bytecode instructions one check may run in the learner's code before it is stopped as endless
#: (counted per instruction, so a loop written on one line is stopped too; a correct class needs about 20,000).
MAX_STEPS = 1_000_000

#: The gradient arriving at the node under test: not 1, so a rule that forgets ``out.grad`` shows.
UPSTREAM = 2.0


class _RowError(Exception):
    """Stops one check with a status and a one-line message for its row."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class _Endless(BaseException):
    """Raised inside the learner's code when it has run :data:`MAX_STEPS` line events (not an Exception,
    so a bare ``except Exception`` in that code cannot swallow it)."""


@dataclass(frozen=True)
class GradCheckRow:
    """One line of a :class:`GradReport`.

    Attributes:
        name: the check: an op ("mul", "tanh" ...) or a small graph ("x * x" ...).
        status: "right", "wrong", "not written yet" (the code raised NotImplementedError),
            "missing" (the class has no such operation) or "error" (anything else went wrong).
        message: one line saying what was checked and, when not right, what was expected.
        required: whether a "missing" status makes the report fail.
    """

    name: str
    status: str
    message: str
    required: bool = True

    @property
    def ok(self) -> bool:
        """True when this row does not make the report fail."""
        return self.status == "right" or (self.status == "missing" and not self.required)

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


@dataclass(frozen=True, repr=False)
class GradReport:
    """What :func:`check_my_grads` found: one :class:`GradCheckRow` per check.

    ``report.ok`` is True when everything required is right; ``report["mul"]`` is a row;
    ``print(report)`` gives one line per check and a notebook shows a coloured table.

    Attributes:
        class_name: the name of the class checked.
        rows: the rows, ops first, then graphs.
    """

    class_name: str
    rows: tuple[GradCheckRow, ...]

    @property
    def ok(self) -> bool:
        """True when no row fails."""
        return all(row.ok for row in self.rows)

    @property
    def failures(self) -> list[GradCheckRow]:
        """The rows that make the report fail."""
        return [row for row in self.rows if not row.ok]

    def __getitem__(self, name: str) -> GradCheckRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no check named {name!r}; the checks are {', '.join(r.name for r in self.rows)}")

    def summary(self) -> str:
        """One line: how many checks pass (or that all do), and which optional ops were not there to check."""
        skipped = [row.name for row in self.rows if row.status == "missing" and not row.required]
        counted = len(self.rows) - len(skipped)
        right = sum(row.status == "right" for row in self.rows)
        line = f"{self.class_name}: all {right} checks right" if self.ok else \
            f"{self.class_name}: {right} of {counted} checks right, {len(self.failures)} to fix"
        return line + (f"; {', '.join(skipped)} not checked (missing, not required)" if skipped else "")

    def __str__(self) -> str:
        marks = {"right": "ok", "missing": "--", "not written yet": "..", "wrong": "XX", "error": "!!"}
        width = max(len(row.name) for row in self.rows)
        lines = [self.summary()]
        lines += [f"  {marks[row.status]} {row.name:<{width}}  {row.message}" for row in self.rows]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colours = {"right": "#d4f4d4", "missing": "#eeeeee", "not written yet": "#fff3c4", "wrong": "#ffd6d6",
                   "error": "#ffd6d6"}
        cells = "".join(
            f"<tr style='background:{colours[row.status]}'><td><code>{html.escape(row.name)}</code></td>"
            f"<td>{html.escape(row.status)}</td><td style='text-align:left'>{html.escape(row.message)}</td></tr>"
            for row in self.rows)
        return (f"<p><b>{html.escape(self.summary())}</b></p><table><tr><th>check</th><th>status</th>"
                f"<th style='text-align:left'>what was found</th></tr>{cells}</table>")


@dataclass(frozen=True)
class _OpCheck:
    """An op of the engine's table, called the learner's way, at a few points."""

    name: str
    op: str  # key in OPS
    method: str  # the method of the learner's class that the call runs
    call: Callable[..., Any]  # the learner's way of applying it to their Values (and the constant)
    how: str  # that call, as code
    points: tuple[tuple[float, ...], ...]
    param: float | None = None


@dataclass(frozen=True)
class _GraphCheck:
    """A small graph, built the same way from the learner's class and from this engine's Value."""

    name: str
    build: Callable[..., Any]  # (*leaves) -> output
    points: tuple[float, ...]
    needs: tuple[str, ...]  # the op checks it uses
    about: str


def _neuron(x1: Any, x2: Any, w1: Any, w2: Any, b: Any) -> Any:
    return (x1 * w1 + x2 * w2 + b).tanh()


def _diamond(x: Any, y: Any) -> Any:
    a = x * y
    return a * (a + x)


def _chain(x: Any, w: Any) -> Any:
    v = x
    for _ in range(30):
        v = (v * w + x).tanh()
    return v


def _method(name: str) -> Callable[[Any], Any]:
    def call(a: Any) -> Any:
        return getattr(a, name)()

    return call


#: The checks, in report order: ops of the engine's table, then small graphs that need a correct
#: topological sort and gradients that add up (``+=``) where a node is used more than once.
CHECKS: tuple[_OpCheck | _GraphCheck, ...] = (
    _OpCheck("add", "+", "__add__", lambda a, b: a + b, "x + y", ((2.0, 3.0), (-1.5, 0.5))),
    _OpCheck("mul", "*", "__mul__", lambda a, b: a * b, "x * y", ((2.0, 3.0), (-1.5, 0.5))),
    _OpCheck("tanh", "tanh", "tanh", _method("tanh"), "x.tanh()", ((0.5,), (-1.5,))),
    _OpCheck("exp", "exp", "exp", _method("exp"), "x.exp()", ((0.5,), (-1.5,))),
    _OpCheck("relu", "relu", "relu", _method("relu"), "x.relu()", ((0.5,), (-1.5,))),
    _OpCheck("pow", "**", "__pow__", lambda a, c: a**c, "x ** 3", ((2.0,), (0.5,)), param=3.0),
    _GraphCheck("x * x", lambda x: x * x, (3.0,), ("mul",), "one node uses x twice: both gradients add up"),
    _GraphCheck("x + x + x", lambda x: x + x + x, (3.0,), ("add",), "x feeds two nodes: their gradients add up"),
    _GraphCheck("diamond", _diamond, (2.0, 3.0), ("add", "mul"),
                "a = x * y; out = a * (a + x): a node reached by two paths, so the order matters"),
    _GraphCheck("neuron", _neuron, (2.0, 0.0, -3.0, 1.0, 6.8813735870195432), ("add", "mul", "tanh"),
                "micrograd's neuron: tanh(x1*w1 + x2*w2 + b)"),
    _GraphCheck("chain", _chain, (0.5, 0.8), ("add", "mul", "tanh"), "30 layers of v = tanh(v * w + x)"),
)

DEFAULT_REQUIRED = ("add", "mul", "tanh")


def _number(v: Any) -> str:
    return f"{v:g}" if is_real(v) else describe(v)


def _at(names: Iterable[str], point: Iterable[float]) -> str:
    return ", ".join(f"{n}={_number(p)}" for n, p in zip(names, point))


def _close(got: Any, expected: float) -> bool:
    return math.isclose(float(got), expected, rel_tol=1e-6, abs_tol=1e-9)


def _guarded(call: Callable[[], Any], what: str) -> Any:
    """Run the learner's ``call``; a step budget stops endless loops, any exception becomes a _RowError."""
    steps = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal steps
        steps += 1
        if steps > MAX_STEPS:
            raise _Endless  # Python unsets a trace function that raises: the stop comes once
        frame.f_trace_opcodes = True
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        result = call()
    except _Endless:
        result = None
    except Exception as exc:
        if steps <= MAX_STEPS:  # otherwise the stop was caught in the learner's code and something else raised
            raise _problem(exc, what) from None
    finally:
        sys.settrace(previous)
    if steps > MAX_STEPS:  # stopped, or a bare except in the learner's code swallowed the stop
        raise _RowError("error", f"{what} did not finish after {MAX_STEPS:,} steps (an endless loop?)")
    return result


def _problem(exc: Exception, what: str) -> _RowError:
    """The row for an exception the learner's code raised."""
    if isinstance(exc, NotImplementedError):
        return _RowError("not written yet", f"{what} raised NotImplementedError({str(exc)!r})")
    if isinstance(exc, RecursionError):
        return _RowError("error", f"{what} raised RecursionError (a recursion without end, or a graph "
                                  "too deep for a recursive sort)")
    return _RowError("error", f"{what} raised {type(exc).__name__}: {exc}")


_ABSENT = object()


def _get(obj: Any, attribute: str, what: str, absent: Any = _ABSENT) -> Any:
    """``obj.attribute`` read by the learner's code (a property may run); ``absent`` or a _RowError when missing."""
    try:
        return _guarded(lambda: getattr(obj, attribute), f"reading {what}.{attribute}")
    except _RowError as problem:
        if problem.status == "error" and "AttributeError" in problem.message:
            if absent is not _ABSENT:
                return absent
            raise _RowError("error", f"{what} has no attribute {attribute!r}") from None
        raise


def _real(obj: Any, attribute: str, what: str) -> float:
    v = _get(obj, attribute, what)
    if not is_real(v):
        raise _RowError("wrong", f"{what}.{attribute} is {describe(v)}, expected a number")
    return float(v)


def _make(cls: type, x: float, name: str) -> Any:
    v = _guarded(lambda: cls(x), f"{cls.__name__}({x:g})")
    if not isinstance(v, cls):
        raise _RowError("error", f"{cls.__name__}({x:g}) gave {describe(v)}, not a {cls.__name__}")
    if _real(v, "data", f"{cls.__name__}({x:g})") != x:
        raise _RowError("wrong", f"{cls.__name__}({x:g}).data is {_get(v, 'data', name)!r}, expected {x:g}")
    if _real(v, "grad", f"{cls.__name__}({x:g})") != 0:
        raise _RowError("wrong", f"a new {cls.__name__}({x:g}) has grad {_get(v, 'grad', name)!r}, expected 0")
    return v


def _apply(cls: type, call: Callable[[], Any], how: str, point: str, method: str) -> Any:
    """The learner's ``call``; its result must be a ``cls``, or of the class that defines ``method``
    when ``cls`` inherits it (a subclass of micrograd's Value, whose ops make micrograd Values)."""
    out = _guarded(call, f"{how} at {point}")
    owner = next((c for c in cls.__mro__ if method in vars(c)), cls)
    if not isinstance(out, (cls, owner)):
        raise _RowError("wrong", f"{how} at {point} returned {describe(out)}, expected a {cls.__name__}")
    return out


def _has(cls: type, check: _OpCheck) -> bool:
    return callable(getattr(cls, check.method, None))


def _check_op(cls: type, check: _OpCheck) -> tuple[str, str]:
    """The status and message of one op: forward, then its own ``_backward`` with ``out.grad = UPSTREAM``."""
    if not _has(cls, check):
        return "missing", f"{cls.__name__} has no method {check.method} (for {check.how})"
    op = OPS[check.op]
    names = ("x", "y")
    checked = []
    used_backward = False
    for point in check.points:
        at = _at(names, point)
        inputs = [_make(cls, p, names[i]) for i, p in enumerate(point)]
        args = [*inputs, check.param] if check.param is not None else inputs
        out = _apply(cls, lambda args=args: check.call(*args), check.how, at, check.method)
        expected = call_forward(op, list(point), check.param)
        got = _real(out, "data", f"({check.how})")
        if not _close(got, expected):
            return "wrong", f"forward wrong: {check.how} gave {_number(got)}, expected {_number(expected)} at {at}"
        rule = call_vjp(op, UPSTREAM, list(point), expected, check.param)
        local = _get(out, "_backward", f"({check.how})", absent=None)
        if callable(local):
            _guarded(lambda out=out: setattr(out, "grad", UPSTREAM), "setting out.grad")
            _guarded(local, f"{check.name}'s _backward")
            upstream = UPSTREAM
        else:  # no closure to call on its own: the whole backward() seeds out.grad = 1
            used_backward = True
            _guarded(_get(out, "backward", f"the result of {check.how}"), f"({check.how}).backward()")
            upstream = 1.0
            rule = [r / UPSTREAM for r in rule]
        for name, v, want in zip(names, inputs, rule):
            got = _real(v, "grad", name)
            if not _close(got, want):
                hint = " (multiply by out.grad?)" if upstream != 1 and _close(got * upstream, want) else ""
                return "wrong", (f"d/d{name} wrong: got {_number(got)}, expected {_number(want)} at {at}, "
                                 f"out.grad={_number(upstream)}{hint}")
        checked.append(at)
    how = "through backward(): no _backward on the result" if used_backward else f"out.grad={_number(UPSTREAM)}"
    return "right", f"forward and gradients right at {' and at '.join(checked)} ({how})"


def _check_graph(cls: type, check: _GraphCheck) -> tuple[str, str]:
    """Build the graph from the learner's class and from Value; compare every leaf's gradient after backward()."""
    names = tuple(inspect.signature(check.build).parameters)
    at = _at(names, check.points)
    engine = [Value(p) for p in check.points]
    check.build(*engine).backward()
    leaves = [_make(cls, p, n) for p, n in zip(check.points, names)]
    out = _apply(cls, lambda: check.build(*leaves), check.name, at, "backward")
    backward = _get(out, "backward", "the output")
    _guarded(backward, "backward()")
    for name, mine, theirs in zip(names, leaves, engine):
        got = _real(mine, "grad", name)
        if not _close(got, theirs.grad):
            hint = ""
            if check.name == "x * x" and _close(2 * got, theirs.grad):  # one node: the order cannot matter here
                hint = " (add into grad with +=, never set it with =)"
            return "wrong", f"d/d{name} wrong: got {_number(got)}, expected {_number(theirs.grad)} at {at}"+hint
    return "right", f"every gradient right at {at}: {check.about}"


def check_my_grads(value_class: type, *, required: Iterable[str] = DEFAULT_REQUIRED) -> GradReport:
    """Check your own micrograd-style Value class against this engine: each op, then small graphs.

    Each op (add, mul, tanh, exp, relu, pow) is applied to fresh instances at two points; its
    forward is compared with :data:`~autograd_engine.ops.OPS`, then the result's own
    ``_backward()`` is run with ``out.grad = 2`` and each input's ``.grad`` is compared with
    the table's rule. Then small graphs (a node used twice, a diamond, micrograd's neuron, a
    30-layer chain) are built from your class and from :class:`~autograd_engine.Value`, and
    after ``backward()`` every leaf's gradient is compared: these need a correct topological
    sort and gradients that add up. Nothing your class does can crash the check: exceptions,
    missing methods, wrong types and endless loops (more than :data:`MAX_STEPS` bytecode steps,
    even inside a bare ``except``) are reported on the row where they happen; KeyboardInterrupt
    and SystemExit stop the check as they stop any code. The step budget uses ``sys.settrace``
    for the current thread only, restored afterwards: a debugger's breakpoints in your code do not
    fire during a check, and a call that blocks in C (``time.sleep``) is not counted.

    Args:
        value_class: the class itself (not an instance). It must make a leaf from a number
            (``MyValue(2.0)``) with ``.data`` and ``.grad`` (starting at 0) and have ``backward()``.
        required: the op checks that must be present (default add, mul, tanh). An op your
            class lacks is reported as "missing" and fails the report only when required;
            a graph that needs an op that is not required is not required either.

    Returns:
        A :class:`GradReport`: ``.ok``, ``.rows``, ``report["mul"]``; it prints as one line a check
        and shows as a table in a notebook.

    Raises:
        TypeError: ``value_class`` is not a class (an instance, None, a str ...); ``required``
            is not a collection of check names.
        ValueError: ``required`` names a check that does not exist or is not an op.

    >>> from micrograd.engine import Value as MicrogradValue
    >>> report = check_my_grads(MicrogradValue)
    >>> report["mul"].status, report["tanh"].status, report.ok
    ('right', 'missing', False)
    """
    if not isinstance(value_class, type):
        hint = f"; pass the class itself: check_my_grads({type(value_class).__name__})" \
            if callable(getattr(type(value_class), "backward", None)) else ""
        raise TypeError(f"value_class must be a class (your Value), got {describe(value_class)}{hint}")
    if isinstance(required, str) or not isinstance(required, Iterable):
        raise TypeError(f"required must be a list of op names such as ('add', 'mul'), got {describe(required)}")
    ops = [c.name for c in CHECKS if isinstance(c, _OpCheck)]
    wanted = {as_choice(name, "required", ops) for name in list(required)}
    rows = []
    present: dict[str, bool] = {}
    for check in CHECKS:
        if isinstance(check, _OpCheck):
            needed = check.name in wanted
            present[check.name] = _has(value_class, check)
        else:
            needed = all(n in wanted for n in check.needs)
            lacking = [n for n in check.needs if not present[n]]
            if lacking:
                rows.append(GradCheckRow(check.name, "missing", f"needs {', '.join(lacking)}", needed))
                continue
        try:
            status, message = (_check_op if isinstance(check, _OpCheck) else _check_graph)(value_class, check)
        except _RowError as problem:
            status, message = problem.status, problem.message
        rows.append(GradCheckRow(check.name, status, message, needed))
    return GradReport(value_class.__name__, tuple(rows))
