"""check_grads: reverse and forward mode along random directions, and their derivatives (JAX / HIPS style).

The checker is itself tested against deliberately wrong rules: a rule that is wrong as a
number fails at order 1 in both modes; a rule that is right as a number but not
differentiable (it reads ``.data``) passes order 1 and fails order 2.
"""

import math
import re

import numpy as np
import pytest

from autograd_engine import GradcheckError, Value, check_grads, cos, gradgradcheck, primitive, sin


@pytest.fixture
def wrong_cube(fresh_ops):
    """x ** 3 with the rule 2 x^2 instead of 3 x^2."""
    return primitive(lambda x: x ** 3, lambda g, x, out: g * 2 * x * x, name="wrong_cube")


@pytest.fixture
def frozen_sin(fresh_ops):
    """sin with a rule right as a number but a constant to a second derivative (it reads .data)."""
    return primitive(math.sin, lambda g, x, out: g * math.cos(x.data if isinstance(x, Value) else x),
                     name="frozen_sin")


def test_passes_on_floats_lists_arrays_and_values_at_every_order():
    assert check_grads(lambda x, w: (x * w).tanh(), (0.5, -1.5))
    assert check_grads(lambda x: x.exp() * x, 0.3, order=3)
    assert check_grads(lambda xs, y: [xs[0] * y, (xs[1] * y).sin()], ([1.0, 0.3], Value(2.0)), order=3)
    assert check_grads(lambda a: (a ** 2).sum() + a[0, 1] * a[1, 0], np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert check_grads(lambda a, b: np.array([a @ b, a[0] / b[1]]), (np.array([1.0, 2.0]), np.array([0.5, 3.0])))


@pytest.mark.parametrize("modes", [("fwd",), ("rev",), ("fwd", "rev"), ["rev", "fwd"], {"rev"}])
def test_every_subset_of_modes(modes):
    assert check_grads(lambda x, y: (x / y).log() + x * y, (2.0, 0.7), modes=modes)


def test_f_gets_the_arguments_in_their_own_shapes():
    seen = []

    def f(a, b, c, d):
        seen.append((type(a), type(b), type(c), getattr(c, "shape", None), type(d)))
        return a * b[0] * b[1][0] + c.sum() * d

    assert check_grads(f, (1.0, [2.0, (3.0,)], np.array([[0.5], [0.25]]), np.float32(2.0)), order=1)
    assert seen and all(s == (Value, list, np.ndarray, (2, 1), Value) for s in seen)
    b_inner = []
    check_grads(lambda b: b_inner.append(type(b[1])) or b[0] * b[1][0], ([1.0, (2.0,)],), order=1)
    assert set(b_inner) == {tuple}


@pytest.mark.parametrize("modes, mode", [(("fwd", "rev"), "fwd"), (("rev",), "rev")])
def test_a_wrong_rule_fails_at_order_one_naming_order_mode_direction_and_point(wrong_cube, modes, mode):
    with pytest.raises(GradcheckError) as info:
        check_grads(lambda x, y: wrong_cube(x) * y, (0.7, 1.3), modes=modes)
    err = info.value
    assert (err.order, err.mode, err.point) == (1, mode, (0.7, 1.3))
    assert len(err.direction) == 2 and all(math.isfinite(d) for d in err.direction)
    message = str(err)
    shown = re.escape(repr(err.direction[0]))
    assert re.match(rf"check_grads failed at order 1, mode '{mode}', at the point \(0\.7, 1\.3\): .*direction "
                    rf"\({shown}, ", message)
    # d/dt of x^3 y along (v0, v1): 3 x^2 y v0 + x^3 v1; the wrong rule gives 2 x^2 y v0 + x^3 v1
    v0, v1 = err.direction
    if mode == "fwd":
        assert err.analytic == pytest.approx(2 * 0.49 * 1.3 * v0 + 0.343 * v1, rel=1e-12)
        assert err.numeric == pytest.approx(3 * 0.49 * 1.3 * v0 + 0.343 * v1, rel=1e-6)
    assert "first node whose derivative rule disagrees with central differences: op 'wrong_cube'" in message
    assert err.mismatch.op == "wrong_cube" and err.node.op == "wrong_cube"


def test_a_rule_that_is_not_differentiable_passes_order_one_and_fails_order_two(frozen_sin):
    f = lambda x: frozen_sin(x) * x  # noqa: E731
    assert check_grads(f, 0.7, order=1)
    for modes, mode in [(("fwd", "rev"), "fwd of fwd"), (("rev",), "rev of rev"), (("fwd",), "fwd of fwd")]:
        with pytest.raises(GradcheckError) as info:
            check_grads(f, 0.7, order=2, modes=modes)
        assert (info.value.order, info.value.mode) == (2, mode)
        assert str(info.value).startswith(f"check_grads failed at order 2, mode {mode!r}, at the point (0.7,): ")
    with pytest.raises(GradcheckError):  # gradgradcheck agrees
        gradgradcheck(f, [0.7])


def test_each_mode_alone_catches_a_rule_that_is_not_differentiable(frozen_sin):
    messages = []
    for modes in [("fwd",), ("rev",)]:
        with pytest.raises(GradcheckError) as info:
            check_grads(lambda x, y: frozen_sin(x * y), (0.4, 0.9), modes=modes)
        messages.append(info.value.mode)
    assert messages == ["fwd of fwd", "rev of rev"]


def test_directions_come_from_the_seed():
    def failure(seed):
        with pytest.raises(GradcheckError) as info:
            check_grads(lambda x: x.data * x, 0.5, order=1, seed=seed)  # .data: a constant to the engine
        return info.value.direction

    assert failure(0) == failure(0)
    assert failure(0) != failure(1)
    assert failure(np.random.default_rng(3)) == failure(np.random.default_rng(3))


def test_tolerances_and_eps_are_applied():
    f = lambda x: x ** 3  # noqa: E731
    with pytest.raises(GradcheckError):  # the central difference at eps = 0.1 is off by 0.01 v
        check_grads(f, 1.0, order=1, eps=0.1, rtol=0.0, atol=1e-6)
    assert check_grads(f, 1.0, order=1, eps=0.1, rtol=0.0, atol=0.5)


def test_the_failure_holds_a_drawing_with_backwards_gradients(wrong_cube):
    from autograd_engine.viz import format_number

    with pytest.raises(GradcheckError) as info:
        check_grads(lambda x: wrong_cube(x) * 2, 0.5, order=1)
    err = info.value
    assert err.grads[err.node] == 2.0
    assert f"grad {format_number(2 * 2 * 0.25)}" in err.draw().source  # the wrong rule's 2 * 2 x^2 at x = 0.5


# -- wrong rules a checker must catch: off by a thousandth, wrong only in the second derivative, one input --


@pytest.fixture
def off_by_a_thousandth(fresh_ops):
    """sin whose rule is 1.001 cos: right to three digits, and still wrong."""
    return primitive(math.sin, lambda g, x, out: g * cos(x) * 1.001, name="sin_off")


@pytest.fixture
def wrong_second_derivative(fresh_ops):
    """sin whose rule is cos exactly as a number, but the rule's own rule is -1.001 sin."""
    cos_off = primitive(math.cos, lambda g, x, out: -1.001 * g * sin(x), name="cos_off")
    return primitive(math.sin, lambda g, x, out: g * cos_off(x), name="sin_second_off")


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_a_rule_off_by_a_thousandth_fails_in_each_mode(off_by_a_thousandth, mode):
    with pytest.raises(GradcheckError, match=rf"order 1, mode '{mode}'") as info:
        check_grads(lambda x: off_by_a_thousandth(x), (0.3,), order=1, modes=(mode,))
    assert info.value.mismatch is not None and info.value.mismatch.op == "sin_off"


def test_a_second_derivative_off_by_a_thousandth_passes_order_one_and_fails_order_two(wrong_second_derivative):
    assert check_grads(lambda x: wrong_second_derivative(x), (0.3,), order=1)
    with pytest.raises(GradcheckError, match=r"^check_grads failed at order 2, mode '(fwd|rev) of (fwd|rev)'"):
        check_grads(lambda x: wrong_second_derivative(x), (0.3,), order=2)


@pytest.mark.parametrize("seed", range(5))
def test_a_rule_wrong_for_one_input_only_fails_along_every_random_direction(fresh_ops, seed):
    times = primitive(lambda x, y: x * y, lambda g, x, y, out: (g * y, g * x * 1.001), name="times_off")
    with pytest.raises(GradcheckError, match=r"order 1"):
        check_grads(lambda x, y: times(x, y), (0.3, 0.7), order=1, seed=seed)


def test_a_function_returning_more_outputs_at_one_point_than_another_is_refused():
    with pytest.raises(ValueError, match=r"^f must return as many outputs at every point: 2 at args, 1 at args "
                                         r"\+ eps · direction$"):
        check_grads(lambda x: [x] if x.data > 1.0 else [x, x * x], (1.0,), order=1)


def _f(x):
    return x * x


def _holding_itself(x):
    items = [x]
    items.append(items)
    return items


def _array_holding_itself():
    items = np.empty(2, dtype=object)
    items[0], items[1] = 1.0, items
    return items


def _nested(x, depth):
    for _ in range(depth):
        x = [x]
    return x


ERROR_CASES = [
    ("check_grads-f-none", lambda: check_grads(None, (1.0,)), TypeError, r"^f must be callable, got NoneType None$"),
    ("check_grads-args-none", lambda: check_grads(_f, None), TypeError,
     r"^args must be a tuple of arguments \(numbers, Values, lists or NumPy arrays\), or one number or array, "
     r"got NoneType None$"),
    ("check_grads-args-a-str", lambda: check_grads(_f, "1.0"), TypeError, r"^args must be a tuple of arguments.*"
                                                                          r"got str '1.0'$"),
    ("check_grads-args-a-dict", lambda: check_grads(_f, {"x": 1.0}), TypeError, r"^args must be a tuple .*got dict"),
    ("check_grads-args-empty", lambda: check_grads(_f, ()), ValueError,
     r"^args must hold at least one argument, got an empty tuple$"),
    ("check_grads-args-no-numbers", lambda: check_grads(_f, ([],)), ValueError,
     r"^args must hold at least one number to differentiate by, got none$"),
    ("check_grads-args-a-bool", lambda: check_grads(_f, (True,)), TypeError,
     r"^args\[0\] must be a number, a Value, a list of them or a NumPy array, got bool True$"),
    ("check_grads-args-nested-str", lambda: check_grads(_f, ([1.0, "a"],)), TypeError,
     r"^args\[0\]\[1\] must be a number, a Value, a list of them or a NumPy array, got str 'a'$"),
    ("check_grads-args-array-with-nan", lambda: check_grads(_f, np.array([[1.0, np.nan]])), ValueError,
     r"^args\[0\]\[0, 1\] must be a finite number, got nan$"),
    ("check_grads-args-inf", lambda: check_grads(_f, (math.inf,)), ValueError,
     r"^args\[0\] must be a finite number, got inf$"),
    ("check_grads-args-a-value-holding-nan", lambda: check_grads(_f, Value(math.nan)), ValueError,
     r"^args\[0\] must be a finite number, got nan$"),
    ("check_grads-args-too-big", lambda: check_grads(_f, (10**400,)), ValueError,
     r"^args\[0\] must be a number that fits in a float"),
    ("check_grads-f-takes-fewer-arguments", lambda: check_grads(_f, (1.0, 2.0)), TypeError,
     r"^f must take 2 positional argument\(s\), one per input"),
    ("check_grads-order-zero", lambda: check_grads(_f, 1.0, order=0), ValueError,
     r"^order must be an int >= 1, got 0$"),
    ("check_grads-order-four", lambda: check_grads(_f, 1.0, order=4), ValueError,
     r"^order must be an int from 1 to 3, got 4$"),
    ("check_grads-order-a-float", lambda: check_grads(_f, 1.0, order=1.5), TypeError,
     r"^order must be an int, got float 1.5$"),
    ("check_grads-order-a-bool", lambda: check_grads(_f, 1.0, order=True), TypeError,
     r"^order must be an int, got bool True$"),
    ("check_grads-modes-a-str", lambda: check_grads(_f, 1.0, modes="fwd"), TypeError,
     r"^modes must be a tuple of 'fwd' and/or 'rev', as in \('fwd', 'rev'\), got str 'fwd'$"),
    ("check_grads-modes-empty", lambda: check_grads(_f, 1.0, modes=()), ValueError,
     r"^modes must name at least one of 'fwd' and 'rev', got an empty collection$"),
    ("check_grads-modes-unknown", lambda: check_grads(_f, 1.0, modes=("fwd", "bwd")), ValueError,
     r"^modes must hold only 'fwd' and 'rev', got str 'bwd'$"),
    ("check_grads-modes-twice", lambda: check_grads(_f, 1.0, modes=("fwd", "fwd")), ValueError,
     r"^modes must name each of 'fwd' and 'rev' at most once, got \('fwd', 'fwd'\)$"),
    ("check_grads-modes-a-generator", lambda: check_grads(_f, 1.0, modes=(m for m in ["rev"])), TypeError,
     r"^modes must be a tuple of 'fwd' and/or 'rev'.*got generator"),
    ("check_grads-f-returns-a-generator", lambda: check_grads(lambda x: (y for y in [x]), 1.0), TypeError,
     r"^f must return a Value, a number, or a list or NumPy array of them; f's output is generator"),
    ("check_grads-f-output-count-changes", lambda: check_grads(lambda x: [x] * (1 if x.data > 1 else 2), 1.0),
     ValueError, r"^f must return as many outputs at every point: 2 at args, 1 at args \+ eps · direction$"),
    ("check_grads-args-a-list-holding-itself", lambda: check_grads(_f, (_holding_itself(1.0),)), ValueError,
     r"^args\[0\]\[1\] is a list that holds itself$"),
    ("check_grads-args-an-array-holding-itself", lambda: check_grads(_f, (_array_holding_itself(),)), ValueError,
     r"^args\[0\]\[1\] is a NumPy array that holds itself$"),
    ("check_grads-args-nested-too-deep", lambda: check_grads(_f, (_nested(1.0, 3000),)), ValueError,
     r"^args\[0\]\[0\]\[0\].* nests lists or tuples more than 100 deep$"),
    ("check_grads-f-returns-a-list-holding-itself", lambda: check_grads(_holding_itself, 1.0), ValueError,
     r"^f's output\[1\] is a list that holds itself$"),
    ("check_grads-f-returns-nested-too-deep", lambda: check_grads(lambda x: _nested(x, 3000), 1.0), ValueError,
     r"^f's output\[0\]\[0\].* nests lists or tuples more than 100 deep$"),
    ("check_grads-modes-none", lambda: check_grads(_f, 1.0, modes=None), TypeError,
     r"^modes must be a tuple of 'fwd' and/or 'rev'.*got NoneType None$"),
    ("check_grads-eps-zero", lambda: check_grads(_f, 1.0, eps=0), ValueError,
     r"^eps must be a finite number > 0, got 0.0$"),
    ("check_grads-atol-negative", lambda: check_grads(_f, 1.0, atol=-1), ValueError,
     r"^atol must be a finite number >= 0, got -1.0$"),
    ("check_grads-rtol-nan", lambda: check_grads(_f, 1.0, rtol=math.nan), ValueError,
     r"^rtol must be a finite number >= 0, got nan$"),
    ("check_grads-seed-negative", lambda: check_grads(_f, 1.0, seed=-1), ValueError, r"^seed must be an int >= 0"),
    ("check_grads-seed-a-str", lambda: check_grads(_f, 1.0, seed="0"), TypeError, r"^seed must be an int"),
    ("check_grads-f-returns-a-str", lambda: check_grads(lambda x: "y", 1.0), TypeError,
     r"^f must return a Value, a number, or a list or NumPy array of them; f's output is str 'y'$"),
    ("check_grads-f-returns-nested-none", lambda: check_grads(lambda x: [x, [None]], 1.0), TypeError,
     r"^f must return a Value, a number, or a list or NumPy array of them; f's output\[1\]\[0\] is NoneType None$"),
    ("check_grads-f-returns-nothing", lambda: check_grads(lambda x: [], 1.0), ValueError,
     r"^f must return at least one Value or number, got list \[\]$"),
]
