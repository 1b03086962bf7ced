"""Value.register_hook: called with the gradient during backward, may replace it, removable."""

import gc

import pytest

from autograd_engine import Value, gradients


def test_hook_sees_and_replaces_an_intermediate_gradient():
    x = Value(3.0)
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(g) or g * 10)
    (h * h).backward()  # d/dh h^2 = 2h = 12
    assert seen == [12.0]
    assert h.grad == 120.0 and x.grad == 240.0  # the replacement flows on to the parents


def test_leaf_hook_sees_this_calls_gradient_before_accumulation():
    x = Value(2.0)
    seen = []
    x.register_hook(seen.append)
    (x * x).backward()
    (x * x).backward()
    assert seen == [4.0, 4.0] and x.grad == 8.0


def test_hooks_run_in_order_and_remove():
    x = Value(1.0)
    h1 = x.register_hook(lambda g: g + 1)
    x.register_hook(lambda g: g * 10)
    (x * 3).backward()
    assert x.grad == 40.0  # (3 + 1) * 10
    h1.remove()
    h1.remove()  # a second remove does nothing
    x.grad = 0.0
    (x * 3).backward()
    assert x.grad == 30.0


def test_hooks_fire_in_gradients_too():
    x = Value(1.5)
    x.register_hook(lambda g: -g)
    assert gradients(x * 2)[x] == -2.0


def test_bad_hooks():
    x = Value(1.0)
    with pytest.raises(TypeError, match="hook must be callable, got int"):
        x.register_hook(3)
    x.register_hook(lambda g: "no")
    with pytest.raises(TypeError, match="a hook must return None, a number or a Value, got str"):
        (x * 2).backward()


def test_hooks_do_not_keep_nodes_alive():
    import weakref

    x = Value(1.0)
    x.register_hook(lambda g: g)
    ref = weakref.ref(x)
    del x
    gc.collect()
    assert ref() is None
    from autograd_engine.hooks import has_hooks
    assert not has_hooks()  # and plain backward is back on the fast path
