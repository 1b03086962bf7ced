"""Value.register_hook: called with the gradient during backward, may replace it, removable."""

import copy
import gc
import pickle
import weakref

import numpy as np
import pytest

from autograd_engine import Value, gradients, no_grad
from autograd_engine.hooks import has_hooks


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
    with pytest.raises(TypeError, match=r"hook '.*<lambda>' on leaf \(no label\) must return None, a real number "
                                        r"or a Value, got str 'no'"):
        (x * 2).backward()


def test_hooks_do_not_keep_nodes_alive():
    x = Value(1.0)
    x.register_hook(lambda g: g)
    ref = weakref.ref(x)
    del x
    gc.collect()
    assert ref() is None
    assert not has_hooks()  # and plain backward is back on the fast path


# -- hooks are freed with their graph -------------------------------------------------------------------

def build_graph_with_self_referencing_hooks():
    """A graph whose hooks refer to their own nodes (reference cycles through the closures)."""
    x = Value(2.0, "x")
    y = x * x
    z = y.tanh() + x
    seen = []
    y.register_hook(lambda g: seen.append((y.data, g)))  # the closure holds y, y holds the hook
    x.register_hook(lambda g: g * 1.0 if z.data else g)  # holds the whole graph
    handle = z.register_hook(lambda g: None if z is not None else g)
    z.backward()
    assert seen and x.grad != 0.0
    return [weakref.ref(v) for v in (x, y, z)], handle


def test_a_hook_that_refers_to_its_own_node_is_freed_with_the_graph():
    gc.collect()
    assert not has_hooks()
    refs, handle = build_graph_with_self_referencing_hooks()
    assert has_hooks()  # the cycles keep the graph alive until the collector runs
    gc.collect()
    assert [r() for r in refs] == [None, None, None]
    assert not has_hooks()  # and backward is back on the fast path
    handle.remove()  # the node is gone: harmless
    handle.remove()
    assert not has_hooks()


def test_has_hooks_follows_registration_removal_and_death():
    gc.collect()
    assert not has_hooks()
    a, b = Value(1.0), Value(2.0)
    ha = a.register_hook(lambda g: g)
    hb = b.register_hook(lambda g: g)
    hb2 = b.register_hook(lambda g: g)
    assert has_hooks()
    ha.remove()
    hb.remove()
    assert has_hooks()  # b still has one
    hb2.remove()
    assert not has_hooks()
    b.register_hook(lambda g: g)
    assert has_hooks()
    del b
    gc.collect()
    assert not has_hooks()


def test_removing_a_hook_after_its_node_died_is_harmless():
    x = Value(1.0)
    handle = x.register_hook(lambda g: g)
    ref = weakref.ref(x)
    del x
    gc.collect()
    assert ref() is None
    handle.remove()
    handle.remove()
    assert not has_hooks()


def test_label_survives_hooks():
    x = Value(1.0, "x")
    handle = x.register_hook(lambda g: g)
    assert x.label == "x"
    x.label = "renamed"
    handle.remove()
    assert x.label == "renamed" and repr(x) == "Value(data=1.0, grad=0.0, label='renamed')"


# -- what a hook may return -----------------------------------------------------------------------------

@pytest.mark.parametrize("result", [np.float32(0.5), np.float64(0.5), np.int64(2), 2, 0.25])
def test_hook_may_return_any_real_number(result):
    x = Value(2.0)
    y = x * 3
    y.register_hook(lambda g: result)
    y.backward()
    assert x.grad == 3 * float(result) and type(x.grad) is float
    x.grad = 0.0
    leaf_hook = x.register_hook(lambda g: result)
    (x * 5).backward()
    assert x.grad == float(result) and type(x.grad) is float
    leaf_hook.remove()


def test_hook_returning_a_value_under_create_graph_stays_differentiable():
    x = Value(2.0)
    y = x * x
    y.register_hook(lambda g: g * x)  # d(out)/dy replaced by x: the gradient of x becomes x * 2x
    (y * 1).backward(create_graph=True)
    gx = x.grad
    assert isinstance(gx, Value) and gx.data == 8.0
    x.grad = 0.0
    gx.backward()
    assert x.grad == 8.0  # d/dx 2x^2 = 4x


def test_hooks_run_in_gradients_even_inside_no_grad():
    x = Value(1.5)
    x.register_hook(lambda g: -g)
    y = x * 2
    with no_grad():
        assert gradients(y)[x] == -2.0
        y.backward()
    assert x.grad == -2.0


def _with_hook(hook):
    x = Value(1.0, "x")
    x.register_hook(hook)
    return x


def returns_a_str(g):
    return "no"


class LooksLikeAValue:
    """Has a Value's attribute names, but is not one."""

    _fn = None
    data = 1.0


class CallableHook:
    def __call__(self, g):
        return "no"


def _on_intermediate(hook):
    h = Value(1.0) * 3
    h.label = "h"
    h.register_hook(hook)
    return h


def _double(g):
    return 2 * g


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))],
                         ids=["copy", "deepcopy", "pickle"])
def test_a_copied_or_unpickled_node_keeps_its_hooks_and_backward_runs_them(copier):
    x = Value(3.0, "x")
    x.register_hook(_double)
    x2 = copier(x)
    del x
    gc.collect()
    assert has_hooks()
    (x2 * 1.0).backward()
    assert x2.grad == 2.0 and x2.label == "x"
    del x2
    gc.collect()
    assert not has_hooks()


def test_a_hook_returning_a_value_gives_a_float_in_plain_backward_and_a_value_with_create_graph():
    w = Value(5.0)
    x = Value(1.0)
    y = x * 2
    y.register_hook(lambda g: g * w)
    (y * 3).backward()
    assert x.grad == 30.0 and type(x.grad) is float
    x.grad = 0.0
    (y * 3).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 30.0
    x.grad.backward()
    assert w.grad == 6.0  # d(3 * w * 2)/dw: the hook's Value stayed in the graph


ERROR_CASES = [
    ("hook-returns-an-int-too-big-for-a-float", lambda: (_with_hook(lambda g: 10**400) * 2).backward(), ValueError,
     r"the result of hook '.*<lambda>' on leaf \(label 'x'\) must be a number that fits in a float, got int 1000"),
    ("register_hook-an-int", lambda: Value(1.0).register_hook(3), TypeError, r"hook must be callable, got int 3"),
    ("register_hook-none", lambda: Value(1.0).register_hook(None), TypeError, r"hook must be callable, got NoneType"),
    ("hook-returns-a-str", lambda: (_with_hook(returns_a_str) * 2).backward(), TypeError,
     r"hook 'returns_a_str' on leaf \(label 'x'\) must return None, a real number or a Value, got str 'no'"),
    ("hook-returns-a-bool", lambda: (_with_hook(lambda g: True) * 2).backward(), TypeError,
     r"hook '.*<lambda>' on leaf \(label 'x'\) must return None, a real number or a Value, got bool True"),
    ("hook-returns-an-array", lambda: (_with_hook(lambda g: np.array([g])) * 2).backward(), TypeError,
     r"hook '.*<lambda>' on leaf \(label 'x'\) must return None, a real number or a Value, got ndarray"),
    ("hook-on-an-intermediate-node", lambda: (_on_intermediate(returns_a_str) * 2).backward(), TypeError,
     r"^hook 'returns_a_str' on op '\*' \(label 'h'\) must return None, a real number or a Value, got str 'no'$"),
    ("hook-returns-a-look-alike", lambda: (_with_hook(lambda g: LooksLikeAValue()) * 2).backward(), TypeError,
     r"on leaf \(label 'x'\) must return None, a real number or a Value, got LooksLikeAValue"),
    ("callable-object-hook", lambda: (_with_hook(CallableHook()) * 2).backward(), TypeError,
     r"^hook CallableHook <.*> on leaf \(label 'x'\) must return None, a real number or a Value, got str 'no'$"),
    ("hook-returns-a-list-in-gradients", lambda: gradients(_with_hook(lambda g: [g]) * 2), TypeError,
     r"hook '.*<lambda>' on leaf \(label 'x'\) must return None, a real number or a Value, got list"),
]
