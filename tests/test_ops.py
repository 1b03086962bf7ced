"""Every op of the table: forward and derivative against an independent reference, and gradcheck."""

import decimal
import math
import random
from fractions import Fraction

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import a_logsumexp, sample_args

import autograd_engine as ae
from autograd_engine import OPS, Op, Value, apply, dot, gradcheck, gradgradcheck, logsumexp, softmax, vsum
from autograd_engine.ops import BINARY, NARY, PARAM, UNARY, call_forward, call_vjp, register

# One line per op: the same function in HIPS autograd's NumPy, taking the arguments as a list
# (and the PARAM constant). Adding an op to the table without a line here fails the suite.
REFERENCE = {
    "+": lambda a: a[0] + a[1],
    "-": lambda a: a[0] - a[1],
    "*": lambda a: a[0] * a[1],
    "/": lambda a: a[0] / a[1],
    "neg": lambda a: -a[0],
    "pow": lambda a: a[0] ** a[1],
    "**": lambda a, c: a[0] ** c,
    "exp": lambda a: anp.exp(a[0]),
    "log": lambda a: anp.log(a[0]),
    "sqrt": lambda a: anp.sqrt(a[0]),
    "tanh": lambda a: anp.tanh(a[0]),
    "sigmoid": lambda a: 1 / (1 + anp.exp(-a[0])),
    "relu": lambda a: anp.maximum(a[0], 0.0),
    "leaky_relu": lambda a, c: anp.where(a[0] > 0, a[0], c * a[0]),
    "softplus": lambda a: anp.logaddexp(0.0, a[0]),
    "sin": lambda a: anp.sin(a[0]),
    "cos": lambda a: anp.cos(a[0]),
    "abs": lambda a: anp.abs(a[0]),
    "sum": lambda a: anp.sum(a),
    "dot": lambda a: anp.dot(a[: len(a) // 2], a[len(a) // 2:]),
    "logsumexp": lambda a: a_logsumexp(a),
    "softmax": lambda a: anp.exp(a[0] - a[1]),
    "identity": lambda a: a[0],
    "maximum": lambda a: anp.maximum(a[0], a[1]),
    "stop_gradient": lambda a: a[0],
}

# Ops whose rule deliberately is not the derivative of their forward (Op.rule_is_derivative=False):
# the closed form of the rule, (args, param) -> one gradient per input for an incoming gradient of 1.
RULES_NOT_DERIVATIVES = {
    "stop_gradient": lambda a, c: [0.0],
}

BUILTIN = sorted(REFERENCE)


def test_every_op_has_a_reference_and_every_reference_an_op():
    assert sorted(OPS) == BUILTIN
    assert sorted(RULES_NOT_DERIVATIVES) == sorted(n for n, op in OPS.items() if not op.rule_is_derivative)


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_is_complete(name):
    op = OPS[name]
    assert op.kind in (UNARY, PARAM, BINARY, NARY)
    assert callable(op.forward) and callable(op.vjp)
    assert op.domain and all(lo < hi for iv in op.domain for lo, hi in iv)
    assert op.doc
    if op.kind == PARAM:
        assert op.params


def _reference_call(name, args, param):
    ref = REFERENCE[name]
    arr = anp.array(args)
    return (lambda a: ref(a, param)) if param is not None else ref, arr


@pytest.mark.parametrize("name", BUILTIN)
def test_forward_and_rule_match_autograd(name, rng):
    op = OPS[name]
    for _ in range(5):
        args, param = sample_args(op, rng)
        fn, arr = _reference_call(name, args, param)
        out = call_forward(op, args, param)
        assert out == pytest.approx(float(fn(arr)), rel=1e-12, abs=1e-12)
        if op.rule_is_derivative:
            expected = autograd.grad(fn)(arr)
        else:
            expected = RULES_NOT_DERIVATIVES[name](args, param)
        got = call_vjp(op, 1.0, args, out, param)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("check, kwargs", [(gradcheck, {}), (gradgradcheck, {"atol": 1e-4})],
                         ids=["gradcheck", "gradgradcheck"])
@pytest.mark.parametrize("name", BUILTIN)
def test_every_op_through_the_graph(name, check, kwargs, rng):
    """First derivatives, and (gradgradcheck) the rule itself differentiated under create_graph."""
    op = OPS[name]
    for _ in range(3):
        args, param = sample_args(op, rng)

        def f(*xs, param=param):
            return apply(op, *xs, param=param)

        if op.rule_is_derivative:
            assert check(f, args, **kwargs)
        else:  # the declared rule is honoured by being checked to differ from the numerical derivative
            assert not gradcheck(f, args, raise_exception=False)


@pytest.mark.parametrize("name", BUILTIN)
def test_incoming_gradient_scales_linearly(name, rng):
    op = OPS[name]
    args, param = sample_args(op, rng)
    out = call_forward(op, args, param)
    one = call_vjp(op, 1.0, args, out, param)
    three = call_vjp(op, 3.0, args, out, param)
    np.testing.assert_allclose(three, [3 * g for g in one], rtol=1e-12)


def test_register_rejects_incomplete_ops(fresh_ops):
    def vjp(g, x, out):
        return g

    for bad_domain in [(), (-1.0, 1.0), ((-1.0, 1.0),), (((1.0, -1.0),),), (((0.0, 1.0),), ((0.0, 1.0),))]:
        with pytest.raises(ValueError, match="domain"):
            register(Op("noop", UNARY, lambda x: x, vjp, bad_domain))
    with pytest.raises(ValueError, match="already registered"):
        register(Op("exp", UNARY, math.exp, vjp, (((0.0, 1.0),),)))
    with pytest.raises(ValueError, match="PARAM op needs sample params"):
        register(Op("scale", PARAM, lambda x, c: c * x, vjp, (((0.0, 1.0),),)))
    with pytest.raises(ValueError, match="kind"):
        register(Op("odd", 7, lambda x: x, vjp, (((0.0, 1.0),),)))
    with pytest.raises(TypeError, match="expects an Op"):
        register("exp")


def test_a_newly_registered_op_is_drawn_from_the_table(fresh_ops):
    cube = register(Op("cube", UNARY, lambda x: x**3, lambda g, x, out: g * 3 * x * x, (((-2.0, 2.0),),),
                       doc="x ** 3"))
    x = Value(2.0)
    y = apply(cube, x)
    y.backward()
    assert (y.data, y.op, x.grad) == (8.0, "cube", 12.0)


def test_apply_validates(rng):
    with pytest.raises(ValueError, match="no op named 'nope'"):
        apply("nope", 1.0)
    with pytest.raises(ValueError, match="takes 2 argument"):
        apply("*", 1.0)
    with pytest.raises(ValueError, match="at least 1"):
        apply("sum")
    with pytest.raises(TypeError, match="needs a param"):
        apply("**", 2.0)
    with pytest.raises(TypeError, match="takes no param"):
        apply("exp", 2.0, param=3)
    with pytest.raises(TypeError, match="argument 1 of '\\+'"):
        apply("+", 1.0, "x")


def test_sampler_covers_both_signs_of_nonzero_domains():
    rng = random.Random(0)
    signs = {math.copysign(1, sample_args(OPS["relu"], rng)[0][0]) for _ in range(50)}
    assert signs == {-1.0, 1.0}


# -- the generic functions: numbers in, floats out; Values in, Values out; anything else an error --------

ELEMENTWISE = {
    "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)), "relu": lambda x: max(x, 0.0),
    "leaky_relu": lambda x: x if x > 0 else 0.01 * x, "softplus": lambda x: math.log1p(math.exp(x)),
    "sin": math.sin, "cos": math.cos, "stop_gradient": lambda x: x,
}


TWO_ARGUMENT = {"maximum": max}


def test_every_generic_function_is_public_and_listed_here():
    listed = [*ELEMENTWISE, *TWO_ARGUMENT]
    assert sorted(listed) == sorted(n for n in ae.ops.__all__ if n.islower() and n in ae.__all__)


# -- maximum and stop_gradient: closed forms ----------------------------------------------------------


@pytest.mark.parametrize("x, y, value, dx, dy", [
    (1.0, 3.0, 3.0, 0.0, 1.0),
    (3.0, 1.0, 3.0, 1.0, 0.0),
    (-2.0, -2.0, -2.0, 0.5, 0.5),  # a tie splits the gradient, as torch.maximum does
    (0.0, -0.0, 0.0, 0.5, 0.5),
    (-math.inf, 2.0, 2.0, 0.0, 1.0),
])
def test_maximum_value_and_gradients(x, y, value, dx, dy):
    a, b = Value(x), Value(y)
    out = ae.maximum(a, b)
    out.backward()
    assert out.op == "maximum" and out.data == value and (a.grad, b.grad) == (dx, dy)
    assert ae.maximum(x, y) == value and type(ae.maximum(x, y)) is float


def test_maximum_of_a_value_with_itself_has_derivative_one_and_nan_propagates():
    x = Value(2.0)
    (ae.maximum(x, x) * 3).backward()
    assert x.grad == 3.0
    for x, y in [(math.nan, 1.0), (1.0, math.nan), (math.nan, math.nan)]:
        assert math.isnan(ae.maximum(x, y))
        a, b = Value(x), Value(y)
        out = a.maximum(b)
        out.backward()
        assert math.isnan(out.data) and (a.grad, b.grad) == (1.0, 1.0)  # torch sends g to both at nan


def test_maximum_takes_numbers_on_either_side_and_numpy_scalars():
    x = Value(1.0)
    left, right = ae.maximum(2, x), ae.maximum(x, np.float32(0.5))
    assert left.data == 2.0 and right.data == 1.0 and x in left.parents and x in right.parents
    assert ae.maximum(np.int64(4), Fraction(9, 2)) == 4.5


def test_stop_gradient_keeps_the_value_and_blocks_the_gradient():
    x = Value(3.0)
    y = x * x - ae.stop_gradient(x * x) + ae.stop_gradient(x)
    y.backward()
    assert y.data == 3.0 and x.grad == 6.0
    assert x.stop_gradient().op == "stop_gradient" and ae.stop_gradient(2) == 2.0
    z = Value(2.0)
    ae.stop_gradient(z).backward()
    assert z.grad == 0.0


def test_stop_gradient_under_create_graph_blocks_second_derivatives_too():
    x = Value(2.0)
    g = ae.grad(lambda v: v * ae.stop_gradient(v * v))(x)  # d/dv of v * (v*v held constant) = v*v
    assert g.data == 4.0
    g.backward()
    assert x.grad == 0.0  # the held-constant factor has no derivative, so neither has g


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_generic_functions_take_any_real_number_and_give_a_float(name):
    fn, ref = getattr(ae, name), ELEMENTWISE[name]
    for x in (1.5, 2, np.float32(1.5), np.float64(1.5), np.int64(2), Fraction(3, 2)):
        out = fn(x)
        assert type(out) is float and out == pytest.approx(ref(float(x)), rel=1e-12), x


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_generic_functions_on_a_value_build_the_node_of_their_op(name):
    x = Value(1.5)
    out = getattr(ae, name)(x)
    assert isinstance(out, Value) and out.op == name and out.parents == (x,)
    assert out.data == getattr(ae, name)(1.5)


def test_leaky_relu_slope_accepts_numpy_scalars_on_both_paths():
    for slope in (0.2, np.float32(0.25), np.float64(0.2), np.int64(1), Fraction(1, 4)):
        assert ae.leaky_relu(-2.0, slope) == -2.0 * float(slope)
        node = ae.leaky_relu(Value(-2.0), slope)
        assert node.data == -2.0 * float(slope) and node.param == float(slope) and type(node.param) is float


_x = Value(2.0)
_BAD_ARGUMENTS = [  # id part, argument, exception, words after "got"
    ("none", None, TypeError, r"NoneType None"),
    ("a-str", "2.0", TypeError, r"str '2.0'"),
    ("a-bool", True, TypeError, r"bool True"),
    ("a-numpy-bool", np.bool_(True), TypeError, r"bool "),
    ("a-list", [1.0], TypeError, r"list \[1.0\]"),
    ("a-complex", 1j, TypeError, r"complex 1j"),
    ("an-array", np.array([1.0, 2.0]), TypeError, r"ndarray array\(\[1., 2.\]\)"),
]

ERROR_CASES = [
    *[(f"maximum-{side}-{what}", lambda side=side, arg=arg: ae.maximum(*((arg, 1.0) if side == "x" else (_x, arg))),
       exc, rf"^(maximum\(\) expects {side} to be a Value or a real number|other must be a Value or a real number), "
       rf"got {words}") for side in ("x", "y") for what, arg, exc, words in _BAD_ARGUMENTS],
    ("maximum-x-too-big", lambda: ae.maximum(10**400, 1.0), ValueError,
     r"^maximum\(\) expects x to be a Value or a real number that fits in a float, got int 1000"),
    ("maximum-method-a-str", lambda: _x.maximum("1"), TypeError, r"^other must be a Value or a real number, got str"),
    ("exp-a-Decimal", lambda: ae.exp(decimal.Decimal(1)), TypeError,
     r"^exp\(\) expects a Value or a real number, got Decimal Decimal\('1'\)$"),
    *[(f"{name}-{what}", lambda name=name, arg=arg: getattr(ae, name)(arg), exc,
       rf"^{name}\(\) expects a Value or a real number, got {words}")
      for name in sorted(ELEMENTWISE) for what, arg, exc, words in _BAD_ARGUMENTS],
    *[(f"{name}-an-int-too-big-for-a-float", lambda name=name: getattr(ae, name)(10**400), ValueError,
       rf"^{name}\(\) expects a Value or a real number that fits in a float, got int 1000")
      for name in sorted(ELEMENTWISE)],
    ("leaky_relu-slope-none", lambda: ae.leaky_relu(-2.0, None), TypeError,
     r"^slope must be a real number, got NoneType None$"),
    ("leaky_relu-slope-a-str-on-a-float", lambda: ae.leaky_relu(-2.0, "0.1"), TypeError,
     r"^slope must be a real number, got str '0.1'$"),
    ("leaky_relu-slope-a-bool", lambda: ae.leaky_relu(-2.0, True), TypeError,
     r"^slope must be a real number, got bool True$"),
    ("leaky_relu-slope-a-bool-on-a-value", lambda: ae.leaky_relu(_x, False), TypeError,
     r"^slope must be a real number, got bool False$"),
    ("leaky_relu-slope-a-value", lambda: ae.leaky_relu(-2.0, Value(0.1)), TypeError,
     r"^slope must be a real number, got Value Value\(data=0.1"),
    ("leaky_relu-slope-nan", lambda: ae.leaky_relu(-2.0, math.nan), ValueError,
     r"^slope must be a finite number, got nan$"),
    ("leaky_relu-slope-inf-on-a-value", lambda: ae.leaky_relu(_x, math.inf), ValueError,
     r"^slope must be a finite number, got inf$"),
    ("leaky_relu-method-slope-nan", lambda: _x.leaky_relu(float("nan")), ValueError,
     r"^slope must be a finite number, got nan$"),
    ("leaky_relu-slope-too-big", lambda: ae.leaky_relu(-2.0, -10**400), ValueError,
     r"^slope must be a number that fits in a float, got int -1000"),
    ("apply-op-none", lambda: apply(None, _x), TypeError, r"^op must be an Op or the name of one, got NoneType None$"),
    ("apply-argument-too-big", lambda: apply("exp", 10**400), ValueError,
     r"^argument 0 of 'exp' must be a number that fits in a float, got int 1000"),
    ("apply-argument-a-bool", lambda: apply("+", _x, True), TypeError,
     r"^argument 1 of '\+' must be a Value or a real number, got bool True$"),
    ("apply-param-a-bool", lambda: apply("leaky_relu", _x, param=True), TypeError,
     r"^param must be a real number, got bool True$"),
    ("apply-param-too-big", lambda: apply("**", _x, param=10**400), ValueError,
     r"^param must be a number that fits in a float, got int 1000"),
    ("apply-unary-with-no-argument", lambda: apply("exp"), ValueError, r"^op 'exp' takes 1 argument\(s\), got 0$"),
    ("vsum-none", lambda: vsum(None), TypeError,
     r"^values must be an iterable of Values or numbers, got NoneType None$"),
    ("vsum-a-str", lambda: vsum("12"), TypeError, r"^values must be an iterable of Values or numbers, got str '12'$"),
    ("vsum-a-value", lambda: vsum(_x), TypeError, r"^values must be an iterable of Values or numbers, got Value Value"),
    ("vsum-item-a-bool", lambda: vsum([_x, True]), TypeError,
     r"^values\[1\] must be a Value or a real number, got bool True$"),
    ("vsum-item-nested", lambda: vsum([[_x]]), TypeError, r"^values\[0\] must be a Value or a real number, got list"),
    ("vsum-item-too-big", lambda: vsum([1.0, 10**400]), ValueError,
     r"^values\[1\] must be a number that fits in a float, got int 1000"),
    ("dot-ws-none", lambda: dot(None, [1.0]), TypeError, r"^ws must be an iterable of Values or numbers, got NoneType"),
    ("dot-xs-a-number", lambda: dot([_x], 2.0), TypeError,
     r"^xs must be an iterable of Values or numbers, got float 2.0$"),
    ("dot-xs-item-a-str", lambda: dot([_x], ["a"]), TypeError,
     r"^xs\[0\] must be a Value or a real number, got str 'a'$"),
    ("dot-lengths-differ-empty", lambda: dot([], [_x]), ValueError,
     r"^dot\(\): ws and xs must have the same length, got 0 and 1$"),
    ("logsumexp-none", lambda: logsumexp(None), TypeError,
     r"^values must be an iterable of Values or numbers, got NoneType"),
    ("logsumexp-item-none", lambda: logsumexp([_x, None]), TypeError,
     r"^values\[1\] must be a Value or a real number, got NoneType None$"),
    ("logsumexp-empty-generator", lambda: logsumexp(v for v in []), ValueError, r"^logsumexp\(\) needs at least one"),
    ("softmax-empty", lambda: softmax([]), ValueError,
     r"^softmax\(\) needs at least one value, got an empty sequence$"),
    ("softmax-a-number", lambda: softmax(3), TypeError,
     r"^values must be an iterable of Values or numbers, got int 3$"),
    ("softmax-item-too-big", lambda: softmax([10**400]), ValueError,
     r"^values\[0\] must be a number that fits in a float"),
]
