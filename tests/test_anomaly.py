"""Modes: no_grad / enable_grad (context managers, decorators, per thread) and detect_anomaly."""

import math
import sys
import threading

import pytest

from autograd_engine import Value, detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad


def test_no_grad_context_and_restore():
    x = Value(1.0)
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 2).exp()
    assert is_grad_enabled()
    assert y.is_leaf and y.op == "" and y.parents == ()
    assert (x * 2).op == "*"


def test_no_grad_as_decorator_and_nested_reuse():
    guard = no_grad()

    @guard
    def f(v):
        with guard:  # the same instance, re-entered
            inner = v + 1
        return inner * 2, is_grad_enabled()

    y, enabled = f(Value(1.0))
    assert y.is_leaf and y.data == 4.0 and enabled is False
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad():
    with no_grad():
        with enable_grad():
            y = Value(1.0) + 1
        z = Value(1.0) + 1
    assert y.op == "+" and z.is_leaf


def test_no_grad_is_thread_local():
    inside, outside = threading.Barrier(2), threading.Barrier(2)
    results = {}

    def without_grad():
        with no_grad():
            inside.wait()
            results["no_grad"] = Value(1.0) * 2
            outside.wait()

    def with_grad():
        inside.wait()  # the other thread is inside no_grad now
        results["grad"] = Value(1.0) * 2
        outside.wait()

    threads = [threading.Thread(target=without_grad), threading.Thread(target=with_grad)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["no_grad"].is_leaf
    assert results["grad"].op == "*"


def test_exception_inside_no_grad_restores_mode():
    try:
        with no_grad():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert is_grad_enabled()


# -- detect_anomaly -----------------------------------------------------------------------------------------

def here() -> int:
    """The line number of the caller's next line."""
    return sys._getframe(1).f_lineno + 1


@pytest.mark.parametrize("make, op, value", [
    (lambda: Value(0.0).log(), "log", "-inf"),
    (lambda: Value(0.0) / Value(0.0), "/", "nan"),
    (lambda: Value(-1.0).sqrt(), "sqrt", "nan"),
    (lambda: Value(800.0).exp(), "exp", "inf"),
])
def test_forward_anomaly_names_op_value_and_line(make, op, value):
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        make()
    line = make.__code__.co_firstlineno  # the node is created inside the lambda
    assert str(info.value).startswith(f"op {op!r} (no label) created at {__file__}:{line}: forward produced {value}")


def test_forward_anomaly_reports_the_creating_line_exactly():
    x = Value(-1.0, "x")
    with detect_anomaly():
        y = x * 2
        line = here()
        with pytest.raises(FloatingPointError) as info:
            y.log()
    message = str(info.value)
    assert message.startswith(f"op 'log' (no label) created at {__file__}:{line + 1}: forward produced nan")
    assert "Traceback of the node's creation" in message and "y.log()" in message
    assert "autograd_engine" not in message.split("Traceback")[1]  # trimmed to user frames


def test_backward_only_nan_names_the_op_its_label_and_line():
    x = Value(0.0, "x")
    with detect_anomaly():
        line = here()
        r = x.sqrt()
        r.label = "root"
        y = r * 3  # forward is finite: sqrt(0) = 0
        with pytest.raises(FloatingPointError) as info:
            y.backward()
    message = str(info.value)
    assert message.startswith(f"op 'sqrt' (label 'root') created at {__file__}:{line}: backward produced inf "
                              f"as the gradient of input 0 (incoming gradient 3.0)")


def test_without_anomaly_mode_nothing_raises():
    x = Value(0.0)
    y = x.sqrt() * 3
    y.backward()
    assert math.isinf(x.grad) and not is_anomaly_enabled()


def test_anomaly_mode_composes_with_no_grad_and_restores():
    with detect_anomaly():
        assert is_anomaly_enabled()
        with no_grad():
            assert is_anomaly_enabled() and not is_grad_enabled()
            with pytest.raises(FloatingPointError, match="op 'log'"):
                Value(0.0).log()
        assert is_grad_enabled()
    assert not is_anomaly_enabled()


def test_node_created_outside_the_block_is_reported_without_a_line():
    x = Value(0.0)
    y = x.sqrt()
    with detect_anomaly(), pytest.raises(FloatingPointError, match="created outside detect_anomaly"):
        y.backward()


def test_anomaly_backward_gives_the_same_gradients_when_finite():
    x, w = Value(0.5), Value(-1.5)
    with detect_anomaly():
        y = (x * w).tanh() + x.exp()
        y.backward()
    assert x.grad == pytest.approx(-1.5 * (1 - math.tanh(-0.75) ** 2) + math.exp(0.5), rel=1e-14)
