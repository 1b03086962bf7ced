"""Value: construction, attributes, operators, IEEE behaviour, NumPy object arrays."""

import math
from fractions import Fraction

import numpy as np
import pytest

import autograd_engine as ae
from autograd_engine import Value, dot, logsumexp, softmax, vsum


@pytest.mark.parametrize("data", [3, 2.5, np.float64(1.25), np.float32(0.5), np.int64(7), Fraction(1, 4)])
def test_data_is_stored_as_float(data):
    v = Value(data)
    assert type(v.data) is float and v.data == float(data)
    assert v.grad == 0.0 and v.label == "" and v.op == "" and v.parents == ()


@pytest.mark.parametrize("bad", [True, np.bool_(False), "1.0", None, 1j, [1.0], (1.0,), {1.0}, np.array([1.0]),
                                 np.array(1.0)])
def test_constructor_rejects_non_reals_naming_the_type(bad):
    with pytest.raises(TypeError, match=f"data must be a real number.*got {type(bad).__name__}"):
        Value(bad)


def test_label_must_be_str():
    assert Value(1.0, "w1").label == "w1"
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(1.0, 3)


def test_repr_float_and_hash_by_identity():
    a = Value(2.0, "a")
    assert repr(a) == "Value(data=2.0, grad=0.0, label='a')"
    assert repr(Value(-1.5)) == "Value(data=-1.5, grad=0.0)"
    assert float(a) == 2.0
    b = Value(2.0)
    assert len({a, b, a}) == 2 and a != b


def test_parents_in_argument_order_with_repeats():
    a, b = Value(1.0), Value(2.0)
    assert (a * a).parents == (a, a)
    assert (b - a).parents == (b, a)
    assert (a**2).parents == (a,) and (a**2).param == 2.0
    y = a.tanh()
    assert y.parents == (a,) and y.op == "tanh" and y._prev == y.parents and y._op == "tanh"
    assert not y.is_leaf and a.is_leaf


def test_micrograd_aliases_are_read_only():
    y = Value(1.0) + 2
    with pytest.raises(AttributeError):
        y._prev = ()
    with pytest.raises(AttributeError):
        y._op = "x"


@pytest.mark.parametrize("expr, expected, op", [
    (lambda a, b: a + b, 5.0, "+"), (lambda a, b: a + 1, 3.0, "+"), (lambda a, b: 1 + a, 3.0, "+"),
    (lambda a, b: a - b, -1.0, "-"), (lambda a, b: a - 1, 1.0, "-"), (lambda a, b: 10 - a, 8.0, "-"),
    (lambda a, b: a * b, 6.0, "*"), (lambda a, b: a * 4, 8.0, "*"), (lambda a, b: 4 * a, 8.0, "*"),
    (lambda a, b: a / b, 2 / 3, "/"), (lambda a, b: a / 4, 0.5, "/"), (lambda a, b: 3 / a, 1.5, "/"),
    (lambda a, b: a**b, 8.0, "pow"), (lambda a, b: a**3, 8.0, "**"), (lambda a, b: 2**b, 8.0, "pow"),
    (lambda a, b: -a, -2.0, "neg"), (lambda a, b: abs(-b), 3.0, "abs"),
])
def test_operators(expr, expected, op):
    y = expr(Value(2.0), Value(3.0))
    assert y.data == pytest.approx(expected, rel=1e-15) and y.op == op


def test_pos_returns_the_same_node():
    a = Value(1.0)
    assert +a is a


def test_comparisons_use_data_and_return_bool():
    a, b = Value(1.0), Value(2.0)
    assert (a < b, a <= b, a > b, a >= b) == (True, True, False, False)
    assert a < 1.5 and a >= 1 and a > 0.5 and max([b, a]) is b
    with pytest.raises(TypeError, match="comparison"):
        _ = a < "x"


@pytest.mark.parametrize("bad", ["x", None, [1.0], True])
def test_operators_reject_non_numbers(bad):
    a = Value(1.0)
    for op in (lambda: a + bad, lambda: bad + a, lambda: a * bad, lambda: a - bad, lambda: a / bad,
               lambda: a**bad):
        with pytest.raises(TypeError):
            op()


@pytest.mark.parametrize("name, x, expected", [
    ("exp", 1.0, math.e), ("log", math.e, 1.0), ("sqrt", 9.0, 3.0), ("tanh", 0.5, math.tanh(0.5)),
    ("sigmoid", 0.0, 0.5), ("relu", -1.0, 0.0), ("relu", 2.0, 2.0), ("softplus", 0.0, math.log(2)),
    ("sin", 1.0, math.sin(1.0)), ("cos", 1.0, math.cos(1.0)),
])
def test_methods_and_functions_agree(name, x, expected):
    method = getattr(Value(x), name)()
    function_on_value = getattr(ae, name)(Value(x))
    function_on_number = getattr(ae, name)(x)
    assert isinstance(method, Value) and isinstance(function_on_value, Value)
    assert type(function_on_number) is float
    assert method.data == function_on_value.data == function_on_number == pytest.approx(expected, rel=1e-15)
    assert method.op == name


def test_functions_accept_ints_and_numpy_scalars():
    assert ae.exp(0) == 1.0 and ae.sqrt(np.int64(4)) == 2.0 and ae.log(np.float32(1.0)) == 0.0


def test_leaky_relu():
    assert Value(-2.0).leaky_relu().data == pytest.approx(-0.02)
    assert Value(-2.0).leaky_relu(0.5).data == -1.0 and ae.leaky_relu(-2.0, 0.5) == -1.0
    assert Value(3.0).leaky_relu(0.5).data == 3.0
    with pytest.raises(TypeError, match="slope must be a real number"):
        Value(1.0).leaky_relu("0.1")


@pytest.mark.parametrize("fn", ["exp", "log", "tanh", "relu", "cos"])
def test_functions_reject_non_numbers(fn):
    with pytest.raises(TypeError, match=f"{fn}\\(\\) expects a Value or a real number, got str"):
        getattr(ae, fn)("2")
    with pytest.raises(TypeError, match="got bool"):
        getattr(ae, fn)(True)


def test_sigmoid_softplus_logsumexp_do_not_overflow():
    assert Value(-1000.0).sigmoid().data == 0.0 and Value(1000.0).sigmoid().data == 1.0
    assert Value(1000.0).softplus().data == 1000.0 and Value(-1000.0).softplus().data == 0.0
    assert logsumexp([Value(1000.0), Value(1000.0)]).data == pytest.approx(1000 + math.log(2))
    assert [p.data for p in softmax([Value(1000.0), Value(0.0)])] == pytest.approx([1.0, 0.0])


# -- IEEE-754: nothing raises in the middle of a graph ---------------------------------------------------

@pytest.mark.parametrize("expr, expected", [
    (lambda: Value(1.0) / 0, math.inf), (lambda: Value(-1.0) / 0, -math.inf), (lambda: 1 / Value(0.0), math.inf),
    (lambda: Value(0.0) / 0, math.nan), (lambda: Value(-1.0).log(), math.nan), (lambda: Value(0.0).log(), -math.inf),
    (lambda: Value(-1.0).sqrt(), math.nan), (lambda: Value(1000.0).exp(), math.inf),
    (lambda: Value(-8.0) ** (1 / 3), math.nan), (lambda: Value(0.0) ** -1, math.inf),
    (lambda: Value(10.0) ** 400, math.inf), (lambda: Value(math.inf).sin(), math.nan),
    (lambda: Value(math.inf).cos(), math.nan), (lambda: Value(math.nan).relu(), math.nan),
    (lambda: Value(math.inf) - math.inf, math.nan), (lambda: Value(0.0) ** Value(-2.0), math.inf),
    (lambda: ae.log(0), -math.inf), (lambda: ae.exp(1e6), math.inf),
])
def test_ieee_results_match_numpy(expr, expected):
    with np.errstate(all="ignore"):
        got = expr()
    got = got.data if isinstance(got, Value) else got
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


@pytest.mark.parametrize("expr, grad", [
    (lambda x: x.log(), math.inf),           # x = 0: d log / dx = 1/0
    (lambda x: x.sqrt(), math.inf),          # 1 / (2 * sqrt(0))
    (lambda x: 1 / x, -math.inf),            # -1 / 0**2
    (lambda x: x**0.5, math.inf),            # 0.5 * 0 ** -0.5
    (lambda x: x**0, 0.0),                   # the derivative of a constant, even at 0
    (lambda x: (x * 0).log() * 0, math.nan),  # 0 * inf
])
def test_backward_through_singularities_follows_ieee(expr, grad):
    x = Value(0.0)
    expr(x).backward()
    if math.isnan(grad):
        assert math.isnan(x.grad)
    else:
        assert x.grad == grad


# -- n-ary helpers ------------------------------------------------------------------------------------------

def test_vsum_is_one_node_with_all_parents():
    xs = [Value(float(i)) for i in range(5)]
    s = vsum([*xs, 10])
    assert s.data == 20.0 and s.op == "sum" and len(s.parents) == 6 and s.parents[:5] == tuple(xs)
    s.backward()
    assert [x.grad for x in xs] == [1.0] * 5
    assert vsum([]).data == 0.0 and vsum([]).is_leaf


def test_dot_is_one_node_ws_then_xs():
    ws, xs = [Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]
    d = dot(ws, xs)
    assert d.data == 11.0 and d.op == "dot" and d.parents == (*ws, *xs)
    d.backward()
    assert [v.grad for v in ws + xs] == [3.0, 4.0, 1.0, 2.0]
    w = Value(2.0)
    dot([w], [w]).backward()  # a repeated parent counts twice
    assert w.grad == 4.0
    with pytest.raises(ValueError, match="same length, got 2 and 1"):
        dot(ws, xs[:1])


def test_softmax_and_logsumexp_gradients():
    xs = [Value(v) for v in (0.5, -1.0, 2.0)]
    p = softmax(xs)
    probs = np.exp([0.5, -1.0, 2.0]) / np.exp([0.5, -1.0, 2.0]).sum()
    np.testing.assert_allclose([v.data for v in p], probs, rtol=1e-14)
    assert {v.op for v in p} == {"softmax"} and p[0].parents[1].op == "logsumexp"
    p[2].backward()  # d p2 / d xj = p2 (delta_2j - pj)
    np.testing.assert_allclose([x.grad for x in xs], probs[2] * (np.eye(3)[2] - probs), rtol=1e-12)


@pytest.mark.parametrize("fn", [vsum, logsumexp, softmax])
def test_nary_validation(fn):
    with pytest.raises(TypeError, match="must be an iterable of Values or numbers, got float"):
        fn(1.0)
    with pytest.raises(TypeError, match=r"values\[1\] must be a Value or a real number, got str"):
        fn([Value(1.0), "x"])
    if fn is not vsum:
        with pytest.raises(ValueError, match="empty"):
            fn([])


# -- NumPy object arrays ------------------------------------------------------------------------------------

def test_numpy_object_array_matmul_and_sum(nprng):
    W_data, x = nprng.normal(size=(2, 3)), nprng.normal(size=3)
    W = np.array([[Value(v) for v in row] for row in W_data], dtype=object)
    y = W @ x
    assert y.shape == (2,) and all(isinstance(v, Value) for v in y)
    np.testing.assert_allclose([v.data for v in y], W_data @ x, rtol=1e-14)
    loss = (y * y).sum()
    loss.backward()
    # d/dW sum((W x)^2) = 2 (W x) x^T
    np.testing.assert_allclose([[w.grad for w in row] for row in W], 2 * np.outer(W_data @ x, x), rtol=1e-12)


def test_numpy_elementwise_and_ufuncs():
    arr = np.array([Value(0.5), Value(-1.0)], dtype=object)
    out = np.tanh(arr * 2 + arr) - np.exp(arr)
    total = out.sum()
    total.backward()
    for v, x in zip(arr, [0.5, -1.0]):
        assert v.grad == pytest.approx(3 * (1 - math.tanh(3 * x) ** 2) - math.exp(x), rel=1e-12)
    assert isinstance(np.float64(2.0) * Value(3.0), Value) and (np.float64(2.0) * Value(3.0)).data == 6.0


# -- NumPy scalars are numbers; bool is not ------------------------------------------------------------------

NUMPY_SCALARS = [np.float32(2.5), np.float64(0.1), np.float16(0.5), np.int64(3), np.int32(-2), np.uint8(3)]
OPERATORS = {
    "+": (lambda a, b: a + b, lambda a, b: a + b),
    "-": (lambda a, b: a - b, lambda a, b: a - b),
    "*": (lambda a, b: a * b, lambda a, b: a * b),
    "/": (lambda a, b: a / b, lambda a, b: a / b),
    "**": (lambda a, b: a**b, lambda a, b: a**b),
}


@pytest.mark.parametrize("s", NUMPY_SCALARS, ids=repr)
@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_numpy_scalars_in_arithmetic_on_either_side(s, name):
    on_values, on_floats = OPERATORS[name]
    if name == "**":
        s = type(s)(abs(s))  # a negative base with a fractional exponent is nan (test_pow_edges)
    c = float(s)
    x = Value(1.5)
    for y, expected in [(on_values(x, s), on_floats(1.5, c)), (on_values(s, x), on_floats(c, 1.5))]:
        assert type(y) is Value and type(y.data) is float, (name, y)
        assert y.data == pytest.approx(expected, rel=1e-15), (name, y.data, expected)
    y = on_values(x, s) + on_values(s, x)
    y.backward()
    assert type(x.grad) is float
    h = 1e-6
    numeric = (on_floats(1.5 + h, c) + on_floats(c, 1.5 + h) - on_floats(1.5 - h, c) - on_floats(c, 1.5 - h)) / (2 * h)
    assert x.grad == pytest.approx(numeric, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("s", NUMPY_SCALARS, ids=repr)
def test_numpy_scalars_everywhere_a_number_goes(s):
    c = float(s)
    v = Value(s, "v")
    assert type(v.data) is float and v.data == c
    assert Value(-1.0).leaky_relu(np.float32(0.5)).data == -0.5
    assert vsum([s, Value(1.0)]).data == c + 1.0
    assert dot([s], [Value(2.0)]).data == 2 * c
    assert ae.apply("**", Value(2.0), param=s).data == pytest.approx(2.0**c, rel=1e-15)
    x = Value(2.0)
    (x * x).backward(s)
    assert x.grad == 4.0 * c and type(x.grad) is float
    assert (Value(c) < s + 1) and (Value(c) >= s)


@pytest.mark.parametrize("b", [True, False, np.bool_(True)], ids=repr)
def test_bool_is_rejected_everywhere_it_was(b):
    x = Value(1.0)
    for call in (lambda: Value(b), lambda: x + b, lambda: b + x, lambda: x * b, lambda: b * x, lambda: x - b,
                 lambda: x / b, lambda: x**b, lambda: x < b, lambda: x.leaky_relu(b), lambda: x.backward(b),
                 lambda: ae.exp(b), lambda: vsum([x, b]), lambda: ae.apply("*", x, b),
                 lambda: ae.apply("**", x, param=b)):
        with pytest.raises(TypeError):
            call()
    assert x.grad == 0.0


_v = Value(1.0)

ERROR_CASES = [
    ("Value-a-bool", lambda: Value(True), TypeError, r"^data must be a real number, got bool True$"),
    ("Value-a-numpy-bool", lambda: Value(np.bool_(False)), TypeError, r"data must be a real number, got bool"),
    ("Value-a-str", lambda: Value("1.0"), TypeError, r"^data must be a real number, got str '1.0'$"),
    ("Value-none", lambda: Value(None), TypeError, r"^data must be a real number, got NoneType None$"),
    ("Value-an-array", lambda: Value(np.array([1.0])), TypeError, r"data must be a real number, got ndarray"),
    ("Value-too-big", lambda: Value(10**400), ValueError, r"data must be a number that fits in a float"),
    ("Value-label-an-int", lambda: Value(1.0, 3), TypeError, r"^label must be a str, got int 3$"),
    ("label-set-to-none", lambda: setattr(_v, "label", None), TypeError, r"^label must be a str, got NoneType None$"),
    ("add-a-str", lambda: _v + "x", TypeError, r"unsupported operand type\(s\) for \+: 'Value' and 'str'"),
    ("add-a-bool", lambda: _v + True, TypeError, r"unsupported operand type\(s\) for \+: 'Value' and 'bool'"),
    ("pow-a-list", lambda: _v ** [2], TypeError, r"unsupported operand type\(s\) for \*\* or pow\(\)"),
    ("compare-a-str", lambda: _v < "x", TypeError,
     r"^the other operand of a comparison must be a real number, got str 'x'$"),
    ("leaky_relu-slope-a-str", lambda: _v.leaky_relu("0.1"), TypeError, r"^slope must be a real number, got str"),
    ("exp-a-str", lambda: ae.exp("2"), TypeError, r"exp\(\) expects a Value or a real number, got str"),
    ("apply-unary-with-two-args", lambda: ae.apply("exp", _v, _v), ValueError,
     r"^op 'exp' takes 1 argument\(s\), got 2$"),
    ("apply-binary-with-three-args", lambda: ae.apply("*", _v, 2, 3), ValueError,
     r"^op '\*' takes 2 argument\(s\), got 3$"),
    ("apply-softmax-with-three-args", lambda: ae.apply("softmax", _v, _v, _v), ValueError,
     r"^op 'softmax' takes 2 argument\(s\), got 3$"),
    ("apply-dot-odd", lambda: ae.apply("dot", 1, 2, 3), ValueError,
     r"^op 'dot' takes a multiple of 2 arguments \(at least 2\), got 3$"),
    ("apply-sum-nothing", lambda: ae.apply("sum"), ValueError, r"^op 'sum' takes at least 1 argument, got 0$"),
    ("apply-param-missing", lambda: ae.apply("**", _v), TypeError, r"^op '\*\*' needs a param, got param=None$"),
    ("apply-param-to-exp", lambda: ae.apply("exp", _v, param=2), TypeError, r"^op 'exp' takes no param, got param=2$"),
    ("apply-unknown-op", lambda: ae.apply("nope", _v), ValueError, r"^no op named 'nope' is registered; known ops: "),
    ("apply-op-an-int", lambda: ae.apply(3, _v), TypeError, r"op must be an Op or the name of one, got int"),
    ("apply-argument-a-str", lambda: ae.apply("exp", "x"), TypeError,
     r"^argument 0 of 'exp' must be a Value or a real number, got str 'x'$"),
    ("vsum-a-number", lambda: vsum(1.0), TypeError, r"values must be an iterable of Values or numbers, got float"),
    ("dot-lengths-differ", lambda: dot([_v, _v], [_v]), ValueError, r"same length, got 2 and 1"),
    ("logsumexp-empty", lambda: logsumexp([]), ValueError, r"logsumexp\(\) needs at least one value"),
    ("softmax-item-a-str", lambda: softmax([_v, "x"]), TypeError,
     r"values\[1\] must be a Value or a real number, got str"),
]
