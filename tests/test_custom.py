"""User-defined primitives: registered in the table, drawn by name, checked by gradcheck, differentiable twice."""

import math
import re

import numpy as np
import pytest

from autograd_engine import (
    OPS,
    GradcheckError,
    Value,
    cos,
    grad,
    gradcheck,
    gradgradcheck,
    gradients,
    jvp,
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
    with pytest.raises(GradcheckError,
                       match=r"gradgradcheck failed at inputs \(0.7,\) for d\(output 0\)/d\(input 0\), input 0"):
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


# -- a derivative rule's result is checked: count and type, named ------------------------------------------

FORWARDS = {
    "unary": lambda x: 2 * x,
    "binary": lambda x, y: x * y,
    "param": lambda x, c: c * x,
    "nary": lambda xs: sum(xs),
}
N_INPUTS = {"unary": 1, "binary": 2, "param": 1, "nary": 3}


def define(name, kind, vjp):
    return primitive(FORWARDS[kind], vjp, name=name, kind=kind, params=(2.0,) if kind == "param" else ())


def apply_to(prim, kind, xs):
    return prim(*xs, param=2.0) if kind == "param" else prim(*xs)


SWEEPS = {
    "backward": lambda prim, kind: apply_to(prim, kind, [Value(1.0 + i) for i in range(N_INPUTS[kind])]).backward(),
    "create_graph": lambda prim, kind: apply_to(prim, kind, [Value(1.0 + i) for i in range(N_INPUTS[kind])])
    .backward(create_graph=True),
    "gradients": lambda prim, kind: gradients(apply_to(prim, kind, [Value(1.0 + i) for i in range(N_INPUTS[kind])])),
    "grad": lambda prim, kind: grad(lambda *xs: apply_to(prim, kind, xs),
                                    argnums=tuple(range(N_INPUTS[kind])))(*[1.0 + i for i in range(N_INPUTS[kind])]),
    "jvp": lambda prim, kind: jvp(lambda *xs: apply_to(prim, kind, xs), [1.0] * N_INPUTS[kind], [1.0] * N_INPUTS[kind]),
    "gradcheck": lambda prim, kind: gradcheck(lambda *xs: apply_to(prim, kind, xs), [1.0] * N_INPUTS[kind]),
}


@pytest.mark.parametrize("sweep", sorted(SWEEPS))
@pytest.mark.parametrize("kind, vjp, returned, expected", [
    ("binary", lambda g, x, y, out: (g * y, g * x, g), 3, 2),
    ("binary", lambda g, x, y, out: (g * y,), 1, 2),
    ("binary", lambda g, x, y, out: [], 0, 2),
    ("nary", lambda g, xs, out: [g] * (len(xs) + 1), 4, 3),
    ("nary", lambda g, xs, out: [g], 1, 3),
])
def test_wrong_number_of_gradients_names_the_primitive_and_both_counts(sweep, kind, vjp, returned, expected):
    prim = define("miscounted", kind, vjp)
    with pytest.raises(ValueError) as info:
        SWEEPS[sweep](prim, kind)
    assert str(info.value) == (f"the derivative rule of primitive 'miscounted' (defined at {defined_at(vjp)}) "
                               f"returned {returned} gradient(s); expected {expected}, one per input")


@pytest.mark.parametrize("sweep", sorted(SWEEPS))
@pytest.mark.parametrize("kind, vjp, what", [
    ("binary", lambda g, x, y, out: g, r"returned float 1.0; expected a tuple of 2 gradients, one per input"),
    ("binary", lambda g, x, y, out: None, r"returned NoneType None; expected a tuple of 2 gradients"),
    ("nary", lambda g, xs, out: {"a": g}, r"returned dict .*; expected a tuple of 3 gradients"),
    ("unary", lambda g, x, out: (g, g), r"returned tuple \(1.0, 1.0\) as the gradient of input 0; expected a real "
                                        r"number or a Value"),
    ("unary", lambda g, x, out: "g", r"returned str 'g' as the gradient of input 0"),
    ("unary", lambda g, x, out: True, r"returned bool True as the gradient of input 0"),
    ("param", lambda g, x, c, out: [g * c], r"returned list \[2.0\] as the gradient of input 0"),
    ("nary", lambda g, xs, out: [g, "a", g], r"returned str 'a' as the gradient of input 1"),
    ("binary", lambda g, x, y, out: (g, None), r"returned NoneType None as the gradient of input 1"),
])
def test_wrong_type_of_gradient_names_the_primitive(sweep, kind, vjp, what):
    prim = define("mistyped", kind, vjp)
    if sweep == "create_graph":  # there the incoming gradient, and so what the rule returns, is a Value
        what = re.sub(r"(?<![\d.])(\d\.\d)", r"Value\\(data=\1, grad=0.0\\)", what.replace("float 1.0", "Value 1.0"))
    with pytest.raises(TypeError, match=rf"^the derivative rule of primitive 'mistyped' \(defined at "
                                        rf"{re.escape(defined_at(vjp))}\) " + what):
        SWEEPS[sweep](prim, kind)


def defined_at(fn) -> str:
    return f"{fn.__code__.co_filename}:{fn.__code__.co_firstlineno}"


def failing_rule(g, x, out):
    return g * undefined_name  # noqa: F821


@pytest.mark.parametrize("sweep", sorted(SWEEPS))
def test_a_rule_that_raises_is_reported_as_the_primitive_failing_with_its_lines(sweep):
    prim = define("raising", "unary", failing_rule)
    line = failing_rule.__code__.co_firstlineno
    with pytest.raises(RuntimeError) as info:
        SWEEPS[sweep](prim, "unary")
    assert str(info.value) == (f"the derivative rule of primitive 'raising' (defined at {__file__}:{line}) raised "
                               f"NameError: name 'undefined_name' is not defined, at {__file__}:{line + 1}")
    assert isinstance(info.value.__cause__, NameError)


def test_an_arithmetic_error_in_a_rule_still_follows_ieee():
    inverse = define("inverse_rule", "unary", lambda g, x, out: g / x)
    x = Value(0.0)
    inverse(x).backward()
    assert x.grad == math.inf


def test_a_forward_that_raises_or_returns_a_value_is_reported_as_the_primitive_failing():
    def forward(x):
        return x.missing_method()

    broken = primitive(forward, lambda g, x, out: g, name="broken_forward")
    line = forward.__code__.co_firstlineno
    for call in (lambda: broken(1.0), lambda: broken(Value(1.0))):
        with pytest.raises(RuntimeError) as info:
            call()
        assert str(info.value) == (f"the forward of primitive 'broken_forward' (defined at {__file__}:{line}) raised "
                                   f"AttributeError: 'float' object has no attribute 'missing_method', at "
                                   f"{__file__}:{line + 1}")
    k = Value(2.0)
    closing = primitive(lambda x: x * k, lambda g, x, out: g, name="closing_forward")
    with pytest.raises(TypeError, match=r"^the forward of primitive 'closing_forward' \(defined at .*test_custom.py:"
                                        r"\d+\) returned Value .*; expected a real number \(it is called with "
                                        r"floats\)$"):
        closing(Value(1.0))


def test_an_anomaly_inside_a_rule_on_values_is_not_hidden():
    from autograd_engine import AnomalyError, detect_anomaly

    logged = define("log_rule", "unary", lambda g, x, out: g * x.log() if isinstance(x, Value) else g)
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"op 'log'"):
        logged(Value(0.0)).backward(create_graph=True)


@pytest.mark.parametrize("d", [np.float32(0.5), np.float64(0.5), np.int64(2), 2])
def test_rule_may_return_any_real_number(d):
    prim = define("numpy_rule", "unary", lambda g, x, out: d)
    x = Value(1.0)
    prim(x).backward()
    assert x.grad == float(d) and type(x.grad) is float
    assert grad(lambda v: prim(v))(1.0) == float(d)
    assert type(gradients(prim(x))[x]) is float


def test_a_float32_rule_does_not_lower_the_precision_of_other_contributions():
    half = define("half32", "unary", lambda g, x, out: np.float32(g / 2))
    x = Value(1.0)
    (half(x) + x * 0.1).backward()
    assert x.grad == 0.5 + 0.1 and type(x.grad) is float  # float64 arithmetic, not float32's 0.6000000238


def test_rule_may_return_a_list_or_a_tuple():
    as_list = define("as_list", "binary", lambda g, x, y, out: [g * y, g * x])
    x, y = Value(2.0), Value(3.0)
    as_list(x, y).backward()
    assert (x.grad, y.grad) == (3.0, 2.0)


def _undefined_forward_kind():
    return primitive(lambda *xs: 0.0, lambda g, xs, out: [g], name="variadic")


def test_a_rule_closing_over_a_value_gives_floats_on_the_float_path_and_values_under_create_graph():
    k = Value(2.0)
    scale = primitive(lambda x: 2 * x, lambda g, x, out: g * k, name="scale_by_closed_k")
    mul = primitive(lambda x, y: x * y, lambda g, x, y, out: (g * k * y / 2, g * x), name="mul_closed_k")
    x, y = Value(3.0), Value(5.0)
    (scale(x) + mul(x, y)).backward()
    assert type(x.grad) is float and type(y.grad) is float
    assert (x.grad, y.grad) == (2.0 + 5.0, 3.0)
    x = Value(3.0)
    scale(x * x).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 12.0  # 2 * 2x
    g = x.grad
    x.grad = 0.0
    g.backward()
    assert x.grad == 4.0


ERROR_CASES = [
    ("primitive-name-empty", lambda: primitive(math.sin, lambda g, x, out: g, name=""), ValueError,
     r"^name must not be empty, got ''$"),
    ("primitive-vjp-takes-too-few-arguments", lambda: primitive(math.sin, lambda g: g, name="few_rule"), TypeError,
     r"^vjp of the unary primitive 'few_rule' must take 3 positional arguments \(g, x, out\), got function "
     r"<lambda> \(defined at .*test_custom.py:\d+\)$"),
    ("primitive-vjp-of-a-binary-takes-unary-arguments",
     lambda: primitive(lambda x, y: x * y, lambda g, x, out: (g, g), name="binary_few"), TypeError,
     r"^vjp of the binary primitive 'binary_few' must take 4 positional arguments \(g, x, y, out\)"),
    ("primitive-forward-takes-too-many-for-its-kind", lambda: primitive(math.atan2, lambda g, x, out: g,
                                                                         name="atan_unary", kind="unary"), TypeError,
     r"^forward of the unary primitive 'atan_unary' must take 1 positional argument \(x\), got "),
    ("primitive-called-with-an-int-too-big", lambda: define("big_arg", "unary", lambda g, x, out: g)(10**400),
     ValueError, r"argument 0 of 'big_arg' must be a number that fits in a float"),
    ("primitive-forward-returns-a-str", lambda: primitive(lambda x: "a", lambda g, x, out: g, name="str_fwd")(1.0),
     TypeError, r"^the forward of primitive 'str_fwd' \(defined at .*test_custom.py:\d+\) returned str 'a'; expected a "
                r"real number"),
    ("primitive-forward-returns-none-on-values",
     lambda: primitive(lambda x: None, lambda g, x, out: g, name="none_fwd")(Value(1.0)),
     TypeError, r"^the forward of primitive 'none_fwd' \(defined at .*\) returned NoneType None; expected a real"),
    ("primitive-rule-returns-an-int-too-big", lambda: Value(1.0).__class__.backward(
        define("big_rule", "unary", lambda g, x, out: 10**400)(Value(1.0))), ValueError,
     r"the gradient of input 0 from the derivative rule of primitive 'big_rule' must be a number that fits"),
    ("primitive-forward-an-int", lambda: primitive(3, lambda g, x, out: g, name="a"), TypeError,
     r"forward must be callable, got int"),
    ("primitive-vjp-none", lambda: primitive(abs, None, name="a"), TypeError, r"vjp must be callable"),
    ("primitive-lambda-without-name", lambda: primitive(lambda x: x, lambda g, x, out: g), ValueError,
     r"name is required"),
    ("primitive-name-an-int", lambda: primitive(abs, lambda g, x, out: g, name=3), TypeError,
     r"name must be a str, got int 3"),
    ("primitive-builtin-name", lambda: primitive(abs, lambda g, x, out: g, name="exp"), ValueError,
     r"'exp' is a built-in op"),
    ("primitive-kind-unknown", lambda: primitive(abs, lambda g, x, out: g, name="a", kind="ternary"), ValueError,
     r"kind must be one of unary, param, binary, nary"),
    ("primitive-kind-an-int", lambda: primitive(abs, lambda g, x, out: g, name="a", kind=1), TypeError,
     r"kind must be a str"),
    ("primitive-variadic-forward", _undefined_forward_kind, TypeError, r"forward takes 0 arguments: pass kind="),
    ("primitive-bad-domain", lambda: primitive(abs, lambda g, x, out: g, name="a", domain=((1.0, 0.0),)), ValueError,
     r"domain"),
    ("primitive-too-many-gradients", lambda: SWEEPS["backward"](define("three", "binary", lambda g, x, y, out:
                                                                       (g, g, g)), "binary"), ValueError,
     r"primitive 'three' \(defined at .*test_custom.py:\d+\) returned 3 gradient\(s\); expected 2, one per input"),
    ("primitive-gradient-a-str", lambda: SWEEPS["backward"](define("strs", "unary", lambda g, x, out: "g"), "unary"),
     TypeError, r"primitive 'strs' \(defined at .*\) returned str 'g' as the gradient of input 0"),
    ("primitive-applied-to-three", lambda: define("pair", "binary", lambda g, x, y, out: (g, g))(1.0, 2.0, 3.0),
     ValueError, r"op 'pair' takes 2 argument\(s\), got 3"),
    ("primitive-param-missing", lambda: define("scaled", "param", lambda g, x, c, out: g * c)(Value(1.0)),
     TypeError, r"op 'scaled' needs a param, got param=None"),
    ("primitive-param-a-str", lambda: define("scaled2", "param", lambda g, x, c, out: g * c)(Value(1.0), param="2"),
     TypeError, r"param must be a real number, got str '2'"),
    ("primitive-argument-a-str", lambda: define("twice", "unary", lambda g, x, out: 2 * g)("x"), TypeError,
     r"argument 0 of 'twice' must be a Value or a real number, got str 'x'"),
]


@pytest.mark.parametrize("call, exc, pattern", [case[1:] for case in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_error_cases(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
    assert "a" not in OPS
