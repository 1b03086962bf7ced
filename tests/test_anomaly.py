"""Recording modes: no_grad / enable_grad as context managers and decorators, per thread."""

import threading

from autograd_engine import Value, enable_grad, is_grad_enabled, no_grad


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
