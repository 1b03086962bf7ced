"""Higher-order and functional derivatives against closed forms, HIPS autograd and finite differences."""

import math

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from dags import programs, run
from hypothesis import HealthCheck, assume, given, settings

import autograd_engine as ae
from autograd_engine import (
    GradcheckError,
    Value,
    enable_grad,
    grad,
    gradcheck,
    gradgradcheck,
    hessian,
    hvp,
    is_grad_enabled,
    jacobian,
    jvp,
    no_grad,
    primitive,
    value_and_grad,
)


def nth(f, n):
    for _ in range(n):
        f = grad(f)
    return f


def _tanh_derivs(x):
    t = math.tanh(x)
    return [1 - t * t, -2 * t * (1 - t * t), -2 * (1 - t * t) * (1 - 3 * t * t), 8 * t * (1 - t * t) * (2 - 3 * t * t)]


def _sigmoid_derivs(x):
    s = 1 / (1 + math.exp(-x))
    d = s * (1 - s)
    return [d, d * (1 - 2 * s), d * (1 - 6 * s + 6 * s * s), d * (1 - 2 * s) * (1 - 12 * s + 12 * s * s)]


def _pow_derivs(x, p):
    return [p * x ** (p - 1), p * (p - 1) * x ** (p - 2), p * (p - 1) * (p - 2) * x ** (p - 3),
            p * (p - 1) * (p - 2) * (p - 3) * x ** (p - 4)]


CLOSED_FORMS = {
    "exp": (lambda v: v.exp(), lambda x: [math.exp(x)] * 4),
    "log": (lambda v: v.log(), lambda x: [1 / x, -1 / x**2, 2 / x**3, -6 / x**4]),
    "sin": (lambda v: v.sin(), lambda x: [math.cos(x), -math.sin(x), -math.cos(x), math.sin(x)]),
    "tanh": (lambda v: v.tanh(), _tanh_derivs),
    "x**3.5": (lambda v: v**3.5, lambda x: _pow_derivs(x, 3.5)),
    "x**-2": (lambda v: v**-2, lambda x: _pow_derivs(x, -2)),
    "sigmoid": (lambda v: v.sigmoid(), _sigmoid_derivs),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
@pytest.mark.parametrize("x", [0.3, 1.7])
def test_derivatives_of_order_1_to_4_match_closed_forms(name, x):
    f, derivs = CLOSED_FORMS[name]
    expected = derivs(x)
    for order in range(1, 5):
        got = nth(f, order)(x)
        assert type(got) is float
        assert got == pytest.approx(expected[order - 1], rel=1e-10, abs=1e-12), f"order {order}"


def test_rosenbrock_hessian():
    f = lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2  # noqa: E731
    for x, y in [(1.0, 1.0), (-1.2, 1.0), (0.3, -0.7)]:
        expected = [[2 - 400 * y + 1200 * x**2, -400 * x], [-400 * x, 200]]
        h = hessian(f)(x, y)
        assert h.dtype == float and h.shape == (2, 2)
        np.testing.assert_allclose(h, expected, rtol=1e-12)
        np.testing.assert_array_equal(h, h.T)


def test_polynomial_hessian():
    f = lambda x, y, z: x * x * y + y * z**3 + x * z  # noqa: E731
    x, y, z = 0.5, -1.5, 2.0
    expected = [[2 * y, 2 * x, 1], [2 * x, 0, 3 * z**2], [1, 3 * z**2, 6 * y * z]]
    np.testing.assert_allclose(hessian(f)(x, y, z), expected, rtol=1e-12, atol=1e-12)
    v = [0.3, -0.2, 1.1]
    np.testing.assert_allclose(hvp(f)([x, y, z], v), np.array(expected) @ v, rtol=1e-12, atol=1e-12)


def test_grad_argnums_and_value_and_grad():
    f = lambda x, y, z: x * y + z.exp()  # noqa: E731
    assert grad(f)(2.0, 3.0, 0.0) == 3.0
    assert grad(f, argnums=2)(2.0, 3.0, 0.0) == 1.0
    assert grad(f, argnums=(0, 1))(2.0, 3.0, 0.0) == (3.0, 2.0)
    assert grad(f, argnums=-1)(2.0, 3.0, 1.0) == pytest.approx(math.e)
    assert value_and_grad(f, (0, 2))(2.0, 3.0, 0.0) == (7.0, (3.0, 1.0))
    assert grad(lambda x, y: y)(1.0, 2.0) == 0.0  # does not depend on x
    assert grad(lambda x: 5.0)(1.0) == 0.0  # a constant output


def test_grad_with_values_returns_connected_values():
    x = Value(2.0)
    d = grad(lambda v: v**3)(x)
    assert isinstance(d, Value) and d.data == 12.0
    d.backward()
    assert x.grad == 12.0  # d/dx 3x^2


def test_nested_grad_uses_outer_variable_correctly():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x: no confusion between the levels
    assert grad(lambda x: x * grad(lambda y: x * y)(3.0))(2.0) == 4.0


def test_newton_method_with_second_derivative():
    f = lambda x: x**4 - 3 * x**2 + x  # noqa: E731
    df, d2f = grad(f), grad(grad(f))
    x = 2.0
    for _ in range(20):
        x -= df(x) / d2f(x)
    assert abs(df(x)) < 1e-12 and d2f(x) > 0


def test_jacobian():
    f = lambda x, y: [x * y, x.sin(), y]  # noqa: E731
    np.testing.assert_allclose(jacobian(f)(2.0, 3.0), [[3.0, 2.0], [math.cos(2.0), 0.0], [0.0, 1.0]])
    j = jacobian(f)(Value(2.0), Value(3.0))
    assert j.dtype == object and j.shape == (3, 2) and j[0, 0].data == 3.0


@pytest.mark.parametrize("tangents", [[1.0, 0.0, 0.0], [0.5, -2.0, 1.5]])
def test_jvp_equals_grad_dot_tangent(tangents):
    primals = [0.3, -1.2, 2.0]
    f = lambda x, y, z: (x * y).tanh() * z + (x / z).exp() - y.softplus()  # noqa: E731
    value, tangent = jvp(f, primals, tangents)
    g = grad(f, argnums=(0, 1, 2))(*primals)
    assert value == pytest.approx(f(*[Value(p) for p in primals]).data)
    assert tangent == pytest.approx(float(np.dot(g, tangents)), rel=1e-12)


def test_jvp_list_output_and_values():
    values, tangents = jvp(lambda x: [x * x, x.exp()], [1.0], [2.0])
    assert values == [1.0, math.e] and tangents == pytest.approx([4.0, 2 * math.e])
    x = Value(1.5)
    _, t = jvp(lambda v: v**3, [x], [1.0])
    assert isinstance(t, Value) and t.data == pytest.approx(6.75)
    t.backward()
    assert x.grad == pytest.approx(9.0)  # d/dx 3x^2


def test_jvp_gives_no_tangent_to_nodes_no_primal_reaches():
    from autograd_engine import Value, jvp
    # sqrt's rule at 0 is inf; a constant has no tangent, so no inf * 0 = nan reaches the result
    assert jvp(lambda a: a + Value(0.0).sqrt(), [1.0], [1.0]) == (1.0, 1.0)
    assert grad(lambda a: a + Value(0.0).sqrt())(1.0) == 1.0
    c = Value(0.0)
    assert jvp(lambda a: a * 2 + c.log() * 0.0, [1.0], [1.0])[1] == 2.0


ERROR_CASES = [
    ("jvp-tangent-too-big-for-a-float", lambda: jvp(lambda a, b: a * b, [1.0, 2.0], [10**400, 0.0]), ValueError,
     r"tangents\[0\] must be a number that fits in a float"),
    ("hvp-v-too-big-for-a-float", lambda: hvp(lambda a, b: a * b)([1.0, 2.0], [10**400, 1.0]), ValueError,
     r"^v\[0\] must be a number that fits in a float"),
    ("grad-f-an-int", lambda: grad(3), TypeError, "f must be callable, got int"),
    ("grad-an-int-too-big-for-a-float", lambda: grad(lambda x: x * 2)(10**400), ValueError,
     "argument 0 must be a number that fits in a float, got int 1000"),
    ("grad-a-constant-argument-too-big", lambda: grad(lambda x, y: x * y)(1.0, -10**400), ValueError,
     "argument 1 must be a number that fits in a float, got int -1000"),
    ("grad-argnums-a-str", lambda: grad(lambda x: x, argnums="0"), TypeError,
     "argnums must be an int or a non-empty tuple"),
    ("grad-argnums-empty", lambda: grad(lambda x: x, argnums=()), TypeError, "argnums"),
    ("grad-f-returns-a-list", lambda: grad(lambda x: [x, x])(1.0), TypeError,
     "f must return a single Value or number, got list"),
    ("grad-f-returns-a-str", lambda: grad(lambda x: "s")(1.0), TypeError, "got str"),
    ("grad-argnums-out-of-range", lambda: grad(lambda x: x, argnums=1)(1.0), ValueError,
     "argument 1, but f was called with 1"),
    ("grad-argument-a-str", lambda: grad(lambda x: x)("1"), TypeError,
     "argument 0 must be a number or a Value, got str"),
    ("grad-argument-a-bool", lambda: grad(lambda x: x)(True), TypeError,
     "argument 0 must be a number or a Value, got bool True"),
    ("jvp-lengths-differ", lambda: jvp(lambda x: x, [1.0], [1.0, 2.0]), ValueError, "same length, got 1 and 2"),
    ("jvp-tangent-a-str", lambda: jvp(lambda x: x, [1.0], ["a"]), TypeError, "tangents must be numbers"),
    ("jvp-primals-a-number", lambda: jvp(lambda x: x, 1.0, [1.0]), TypeError,
     "primals must be a sequence of numbers or Values, got float 1.0"),
    ("jvp-f-a-str", lambda: jvp("f", [1.0], [1.0]), TypeError, "f must be callable, got str"),
    ("hvp-lengths-differ", lambda: hvp(lambda x: x)([1.0], [1.0, 2.0]), ValueError, "same length"),
    ("hvp-v-a-number", lambda: hvp(lambda x: x * x)([1.0], 3.0), TypeError,
     r"^v must be a sequence of numbers or Values, got float 3.0$"),
    ("hvp-v-none", lambda: hvp(lambda x: x * x)([1.0], None), TypeError,
     r"^v must be a sequence of numbers or Values, got NoneType None$"),
    ("hvp-v-a-str", lambda: hvp(lambda x: x * x)([1.0], "a"), TypeError,
     r"^v must be a sequence of numbers or Values, got str 'a'$"),
    ("hvp-v-item-a-str", lambda: hvp(lambda x: x * x)([1.0], ["a"]), TypeError,
     r"^v must be numbers or Values; v\[0\] is str 'a'$"),
    ("hvp-v-item-a-bool", lambda: hvp(lambda x: x * x)([1.0], [True]), TypeError,
     r"^v must be numbers or Values; v\[0\] is bool True$"),
    ("hvp-xs-item-none", lambda: hvp(lambda x: x * x)([None], [1.0]), TypeError,
     r"^xs must be numbers or Values; xs\[0\] is NoneType None$"),
    ("jacobian-f-returns-a-str", lambda: jacobian(lambda x: [x, "s"])(1.0), TypeError,
     "f's output 1 must return a single Value or number, got str"),
    ("hessian-f-none", lambda: hessian(None), TypeError, "f must be callable, got NoneType"),
    ("value_and_grad-f-none", lambda: value_and_grad(None), TypeError, r"^f must be callable, got NoneType None$"),
    ("value_and_grad-f-a-str", lambda: value_and_grad("f"), TypeError, r"^f must be callable, got str 'f'$"),
    ("value_and_grad-argnums-a-bool", lambda: value_and_grad(lambda x: x, argnums=True), TypeError,
     r"^argnums must be an int or a non-empty tuple of ints, got bool True$"),
    ("value_and_grad-argnums-a-float", lambda: value_and_grad(lambda x: x, argnums=0.0), TypeError,
     r"^argnums must be an int or a non-empty tuple of ints, got float 0.0$"),
    ("value_and_grad-argnums-a-list", lambda: value_and_grad(lambda x: x, argnums=[0]), TypeError,
     r"^argnums must be an int or a non-empty tuple of ints, got list \[0\]$"),
    ("value_and_grad-argnums-holds-a-bool", lambda: value_and_grad(lambda x: x, argnums=(0, True)), TypeError,
     r"^argnums must be an int or a non-empty tuple of ints, got tuple \(0, True\)$"),
    ("value_and_grad-argnums-out-of-range", lambda: value_and_grad(lambda x, y: x, argnums=(0, 2))(1.0, 2.0),
     ValueError, r"^argnums refers to argument 2, but f was called with 2 argument\(s\)$"),
    ("value_and_grad-called-without-arguments", lambda: value_and_grad(lambda: 1.0)(), ValueError,
     r"^argnums refers to argument 0, but f was called with 0 argument\(s\)$"),
    ("value_and_grad-argument-none", lambda: value_and_grad(lambda x: x)(None), TypeError,
     r"^argument 0 must be a number or a Value, got NoneType None$"),
    ("value_and_grad-argument-a-list", lambda: value_and_grad(lambda x: x)([1.0]), TypeError,
     r"^argument 0 must be a number or a Value, got list \[1.0\]$"),
    ("value_and_grad-argument-a-numpy-bool", lambda: value_and_grad(lambda x: x)(np.bool_(True)), TypeError,
     r"^argument 0 must be a number or a Value, got bool"),
    ("value_and_grad-argument-too-big", lambda: value_and_grad(lambda x: x)(10**400), ValueError,
     r"^argument 0 must be a number that fits in a float, got int 1000"),
    ("value_and_grad-f-returns-a-tuple", lambda: value_and_grad(lambda x: (x, x))(1.0), TypeError,
     r"^f must return a single Value or number, got tuple \(Value"),
    ("value_and_grad-f-returns-none", lambda: value_and_grad(lambda x: None)(1.0), TypeError,
     r"^f must return a single Value or number, got NoneType None$"),
    ("value_and_grad-f-returns-a-bool", lambda: value_and_grad(lambda x: x > 0)(1.0), TypeError,
     r"^f must return a single Value or number, got bool True$"),
]


def test_value_and_grad_takes_numpy_scalars_for_argnums_and_arguments():
    value, (dx, dy) = value_and_grad(lambda x, y: x * y * y, argnums=(np.int64(0), np.int32(1)))(
        np.float32(2.0), np.int64(3))
    assert (value, dx, dy) == (18.0, 9.0, 12.0) and all(type(v) is float for v in (value, dx, dy))
    assert value_and_grad(lambda x: x * x, argnums=np.int64(0))(np.float64(1.5)) == (2.25, 3.0)



# -- transforms ignore the caller's grad mode -----------------------------------------------------------

def smooth(x, y):
    return (x * y).sin() + x.exp() * y


TRANSFORMS = {
    "grad": lambda x, y: grad(smooth, argnums=(0, 1))(x, y),
    "value_and_grad": lambda x, y: value_and_grad(smooth, argnums=(0, 1))(x, y),
    "grad of grad": lambda x, y: grad(grad(smooth))(x, y),
    "jacobian": lambda x, y: jacobian(lambda a, b: [smooth(a, b), a * b * b])(x, y),
    "hessian": lambda x, y: hessian(smooth)(x, y),
    "hvp": lambda x, y: hvp(smooth)([x, y], [0.5, -2.0]),
    "jvp": lambda x, y: jvp(smooth, [x, y], [0.5, -2.0]),
    "jvp of grad": lambda x, y: jvp(grad(smooth), [x, y], [0.5, -2.0]),
    "gradcheck": lambda x, y: gradcheck(smooth, [x, y]),
    "gradgradcheck": lambda x, y: gradgradcheck(smooth, [x, y]),
}


def numbers(result):
    """Any transform's result as nested lists of floats (Values read by their data)."""
    if isinstance(result, (tuple, list, np.ndarray)):
        return [numbers(r) for r in result]
    return result.data if isinstance(result, Value) else float(result)


def leaves(result):
    """The Values in a transform's result."""
    if isinstance(result, (tuple, list, np.ndarray)):
        return [v for r in result for v in leaves(r)]
    return [result] if isinstance(result, Value) else []


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transforms_give_the_same_numbers_inside_no_grad(name):
    transform = TRANSFORMS[name]
    expected = transform(0.3, -0.7)
    with no_grad():
        got = transform(0.3, -0.7)
        assert not is_grad_enabled()  # the caller's mode is left as it was
    assert is_grad_enabled()
    assert numbers(got) == numbers(expected) and numbers(got) != []
    assert not any(leaves(got))  # numbers in, numbers out
    with no_grad(), enable_grad():
        assert numbers(transform(0.3, -0.7)) == numbers(expected)


@pytest.mark.parametrize("name", sorted(set(TRANSFORMS) - {"gradcheck", "gradgradcheck"}))
def test_transforms_of_values_inside_no_grad_give_detached_values(name):
    transform = TRANSFORMS[name]
    expected = numbers(transform(0.3, -0.7))
    x, y = Value(0.3), Value(-0.7)
    connected = transform(x, y)
    assert numbers(connected) == expected and any(not v.is_leaf for v in leaves(connected))
    with no_grad():
        detached = transform(x, y)
    assert numbers(detached) == expected and leaves(detached)
    assert all(v.is_leaf for v in leaves(detached))  # detached: nothing leads back to x or y


def test_zeros_are_not_the_answer_inside_no_grad():
    with no_grad():
        assert grad(lambda x: x**3)(2.0) == 12.0
        assert grad(lambda x: x**3)(Value(2.0)).data == 12.0
        np.testing.assert_array_equal(hessian(lambda x, y: x * x * y)(1.0, 2.0), [[4.0, 2.0], [2.0, 0.0]])
        assert jvp(lambda x: x**3, [2.0], [1.0]) == (8.0, 12.0)
        assert not is_grad_enabled()


@pytest.fixture
def wrong_sin(fresh_ops):
    """A primitive whose rule is wrong (sin instead of cos), and one whose rule is not differentiable."""
    return (primitive(ae.sin, lambda g, x, out: g * ae.sin(x), name="wrong_sin"),
            primitive(ae.sin, lambda g, x, out: g * math.cos(float(x)), name="flat_sin"))


def test_gradcheck_still_fails_a_wrong_rule_inside_no_grad(wrong_sin):
    bad, flat = wrong_sin
    with no_grad():
        with pytest.raises(GradcheckError, match="op 'wrong_sin'"):
            gradcheck(lambda x: bad(x * x), [0.8])
        assert not is_grad_enabled()
        assert gradcheck(lambda x: bad(x), [0.8], raise_exception=False) is False
        assert gradcheck(lambda x: flat(x), [0.8])  # its first derivative is right
        with pytest.raises(GradcheckError, match="gradgradcheck failed"):
            gradgradcheck(lambda x: flat(x), [0.8])
        assert gradgradcheck(lambda x: flat(x), [0.8], raise_exception=False) is False
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_grad_of_a_wrong_rule_is_the_rule_inside_no_grad_too(wrong_sin):
    bad, _ = wrong_sin
    expected = grad(lambda x: bad(x))(0.8)
    assert expected == pytest.approx(math.sin(0.8))  # the (wrong) rule, applied
    with no_grad():
        assert grad(lambda x: bad(x))(0.8) == expected


def hips_hessian_is_trustworthy(ref, x, h):
    """Whether HIPS autograd's Hessian ``h`` of ``ref`` at ``x`` is symmetric and matches differences of its gradient.

    HIPS is itself wrong at some points: its rule for ``x ** y`` writes ``x ** (y - 1)`` as
    ``x ** 1`` where ``y == 0`` (the product with ``y`` is 0 there anyway), so the derivative
    of that rule by ``y`` is wrong and the Hessian asymmetric. A second reference, central
    differences of HIPS's gradient (first derivatives, which are right), finds those points.
    """
    g = autograd.grad(ref)
    eps = 1e-5
    for j in range(len(x)):
        step = np.zeros(len(x))
        step[j] = eps
        column = (g(x + step) - g(x - step)) / (2 * eps)
        if not np.allclose(h[:, j], column, rtol=1e-4, atol=1e-5):
            return False
    return np.allclose(h, h.T, rtol=1e-9, atol=1e-9)


def test_hips_hessian_check_rejects_the_known_wrong_oracle():
    steps = [("pow", [0, 1])]  # (a*a + 1) ** tanh(b), and 0.1 * b
    ref = lambda arr: run(steps, [arr[0], arr[1]], "hips")  # noqa: E731
    x = anp.array([0.7, 0.0])
    wrong = autograd.hessian(ref)(x)
    assert wrong[0, 1] != pytest.approx(wrong[1, 0])  # HIPS's own Hessian is asymmetric here
    assert not hips_hessian_is_trustworthy(ref, x, wrong)
    ours = hessian(lambda a, b: run(steps, [a, b], "ours"))(0.7, 0.0)
    assert ours[0, 1] == pytest.approx(2 * 0.7 / (0.7**2 + 1), rel=1e-12)  # d2/da db = 2a / (a*a + 1) at b = 0
    assert hips_hessian_is_trustworthy(ref, x, ours)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs())
def test_random_dag_hessians_match_hips_autograd(program):
    inputs, steps = program
    f = lambda *xs: run(steps, list(xs), "ours")  # noqa: E731
    ref = lambda arr: run(steps, [arr[i] for i in range(len(inputs))], "hips")  # noqa: E731
    x = anp.array(inputs)
    expected = autograd.hessian(ref)(x)
    assume(hips_hessian_is_trustworthy(ref, x, expected))  # compare only where the oracle is right
    np.testing.assert_allclose(hessian(f)(*inputs), expected, rtol=1e-7, atol=1e-7)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_random_dag_second_derivatives_match_differences_of_the_gradient(program):
    inputs, steps = program
    f = lambda *xs: run(steps, list(xs), "ours")  # noqa: E731
    h = hessian(f)(*inputs)
    eps = 1e-5
    g = grad(f, argnums=tuple(range(len(inputs))))
    for j in range(len(inputs)):
        plus = [x + eps if i == j else x for i, x in enumerate(inputs)]
        minus = [x - eps if i == j else x for i, x in enumerate(inputs)]
        column = (np.array(g(*plus)) - np.array(g(*minus))) / (2 * eps)
        np.testing.assert_allclose(h[:, j], column, rtol=1e-4, atol=1e-5)
