"""User-defined primitives: registered in the table, drawn by name, checked by gradcheck, differentiable twice."""

import math

import pytest

from autograd_engine import (
    OPS,
    GradcheckError,
    Value,
    cos,
    grad,
    gradcheck,
    gradgradcheck,
    primitive,
    sin,
)


@pytest.fixture(autouse=True)
def _restore_table(fresh_ops):
    yield


def test_unary_primitive_forward_backward_and_name():
    cube = primitive(lambda x: x**3, lambda g, x, out: g * 3 * x * x, name="cube")
    assert OPS["cube"] is cube.op and repr(cube) == "<primitive 'cube' (unary)>"
    x = Value(2.0)
    y = cube(x)
    y.backward()
    assert (y.op, y.data, x.grad) == ("cube", 8.0, 12.0)
    assert cube(2.0) == 8.0 and type(cube(2)) is float
    assert gradcheck(lambda v: cube(v.sin()), [0.4])


def test_decorator_form_binary_and_docstring():
    @primitive(vjp=lambda g, x, y, out: (g * y, g * x))
    def times(x, y):
        """Product of two numbers."""
        return x * y

    z = times(Value(3.0), 4)
    z.backward()
    assert z.op == "times" and z.data == 12.0 and z.parents[0].grad == 4.0
    assert times.op.doc == "Product of two numbers."


def test_nary_and_param_primitives():
    mean = primitive(lambda xs: sum(xs) / len(xs), lambda g, xs, out: [g / len(xs)] * len(xs), name="mean",
                     kind="nary")
    scale = primitive(lambda x, c: c * x, lambda g, x, c, out: g * c, name="scale", kind="param", params=(2.0,))
    xs = [Value(1.0), Value(2.0), Value(6.0)]
    m = mean(*xs)
    s = scale(m, param=3.0)
    s.backward()
    assert s.data == 9.0 and [x.grad for x in xs] == [1.0, 1.0, 1.0]


def test_wrong_rule_is_caught_and_named_by_gradcheck():
    bad_sin = primitive(sin, lambda g, x, out: g * sin(x), name="bad_sin")  # the rule should use cos

    def f(x):
        h = bad_sin(x * x)
        h.label = "h"
        return h + x

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [0.8])
    assert "op 'bad_sin' (label 'h'), argument 0" in str(info.value)
    assert info.value.node.op == "bad_sin"


def test_create_graph_with_a_differentiable_rule():
    my_sin = primitive(sin, lambda g, x, out: g * cos(x), name="my_sin")
    f = lambda x: my_sin(x)  # noqa: E731
    assert grad(grad(f))(0.7) == pytest.approx(-math.sin(0.7), rel=1e-14)
    assert gradgradcheck(f, [0.7])


def test_gradgradcheck_catches_a_rule_that_is_not_differentiable():
    flat_sin = primitive(sin, lambda g, x, out: g * math.cos(float(x)), name="flat_sin")
    assert gradcheck(lambda x: flat_sin(x), [0.7])  # first derivatives are right
    with pytest.raises(GradcheckError, match=r"gradgradcheck failed for d\(output 0\)/d\(input 0\), input 0"):
        gradgradcheck(lambda x: flat_sin(x), [0.7])


def test_forward_follows_ieee():
    recip = primitive(lambda x: 1 / x, lambda g, x, out: -g * out * out, name="recip")
    assert recip(Value(0.0)).data == math.inf and recip(0.0) == math.inf


def test_redefining_a_primitive_replaces_it_but_builtins_are_protected():
    primitive(lambda x: x, lambda g, x, out: g, name="ident")
    again = primitive(lambda x: 2 * x, lambda g, x, out: 2 * g, name="ident")
    assert OPS["ident"] is again.op and again(3.0) == 6.0
    with pytest.raises(ValueError, match="'exp' is a built-in op"):
        primitive(math.exp, lambda g, x, out: g * out, name="exp")


@pytest.mark.parametrize("kwargs, exc, pattern", [
    ({"forward": 3, "vjp": lambda g, x, out: g, "name": "a"}, TypeError, "forward must be callable, got int"),
    ({"forward": abs, "vjp": None, "name": "a"}, TypeError, "vjp must be callable"),
    ({"forward": lambda x: x, "vjp": lambda g, x, out: g}, ValueError, "name is required"),
    ({"forward": lambda x: x, "vjp": lambda g, x, out: g, "name": "a", "kind": "ternary"}, ValueError,
     "kind must be one of unary, param, binary, nary"),
    ({"forward": lambda x, y, z: x, "vjp": lambda g, x, out: g, "name": "a"}, TypeError, "takes 3 arguments"),
    ({"forward": lambda x: x, "vjp": lambda g, x, out: g, "name": "a", "domain": ((1.0, 0.0),)}, ValueError,
     "domain"),
])
def test_bad_definitions(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        primitive(**kwargs)
    assert "a" not in OPS
