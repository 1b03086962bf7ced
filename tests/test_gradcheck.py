"""gradcheck: passes on correct rules, fails with the documented report on a wrong one."""

import math
import re

import numpy as np
import pytest

from autograd_engine import (
    GradcheckError,
    Op,
    Value,
    analytical_jacobian,
    apply,
    check_grads,
    gradcheck,
    gradgradcheck,
    numerical_jacobian,
    to_dot,
)
from autograd_engine.gradcheck import check_node_rule
from autograd_engine.ops import UNARY, register


@pytest.fixture
def bad_sin(fresh_ops):
    """sin with a wrong derivative rule (sin instead of cos)."""
    return register(Op("bad_sin", UNARY, math.sin, lambda g, x, out: g * math.sin(x), (((-3.0, 3.0),),),
                       doc="sin with a wrong rule"))


def test_passes_on_correct_functions():
    assert gradcheck(lambda x, y: (x * y).tanh() + x.exp() / y, [0.3, -1.2])
    assert gradcheck(lambda x: [x.sin(), x * x, 3.0], [0.7])  # several outputs, a constant one
    assert gradcheck(lambda a, b: a, [1.0, 2.0])  # an output that is an input
    assert gradcheck(lambda x: x**2, [Value(3.0)])  # Values as inputs


def test_wrong_rule_report_names_everything(bad_sin):
    def f(x, y):
        h = apply(bad_sin, x * y)
        h.label = "h"
        return [x + y, h * 2]

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [0.5, 1.5])
    err = info.value
    assert isinstance(err, AssertionError)
    assert (err.output_index, err.input_index) == (1, 0)
    # d/dx 2 sin(xy) = 2 y cos(xy); the bad rule gives 2 y sin(xy)
    assert err.analytic == pytest.approx(2 * 1.5 * math.sin(0.75))
    assert err.numeric == pytest.approx(2 * 1.5 * math.cos(0.75), rel=1e-6)
    assert err.error == pytest.approx(abs(err.analytic - err.numeric))
    message = str(err)
    assert re.match(r"gradcheck failed at inputs \(0.5, 1.5\) for output 1, input 0: analytic [-\d.e]+ vs numeric "
                    r"[-\d.e]+ \(error [\d.e-]+ > tolerance [\d.e-]+\)", message)
    assert ("first node whose derivative rule disagrees with central differences: op 'bad_sin' (label 'h'), "
            "argument 0: rule gives") in message
    assert err.mismatch.op == "bad_sin" and err.node.label == "h" and err.node is err.mismatch.node


def test_raise_exception_false_returns_false(bad_sin):
    assert gradcheck(lambda x: apply(bad_sin, x), [0.4], raise_exception=False) is False
    assert gradcheck(lambda x: apply(bad_sin, x), [math.pi / 4], raise_exception=False, atol=1e-5) is True


def test_tolerances_are_applied():
    # x**3 at 1 with eps=0.1: the central difference is 3.01, the analytic derivative 3.0
    f = lambda x: x**3  # noqa: E731
    np.testing.assert_allclose(numerical_jacobian(f, [1.0], eps=0.1), [[3.01]], rtol=1e-12)
    assert analytical_jacobian(f, [1.0])[0, 0] == 3.0
    assert gradcheck(f, [1.0], eps=0.1, raise_exception=False) is False  # 0.01 > 1e-5 + 1e-3 * 3.01
    assert gradcheck(f, [1.0], eps=0.1, rtol=0.01)  # 0.01 <= 1e-5 + 0.0301
    assert gradcheck(f, [1.0], eps=0.1, atol=0.011, rtol=0.0)


def test_check_node_rule_on_correct_and_wrong_nodes(bad_sin):
    x = Value(0.3)
    assert check_node_rule(x) is None
    assert check_node_rule(x.tanh()) is None
    mismatch = check_node_rule(apply(bad_sin, x))
    assert mismatch.argument == 0 and mismatch.rule == pytest.approx(math.sin(0.3))
    assert mismatch.numeric == pytest.approx(math.cos(0.3), rel=1e-7)


def test_jacobians_have_outputs_by_inputs_shape():
    f = lambda x, y, z: [x * y, y + z]  # noqa: E731
    jac = analytical_jacobian(f, [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(jac, [[3.0, 2.0, 0.0], [0.0, 1.0, 1.0]])
    np.testing.assert_allclose(numerical_jacobian(f, [2.0, 3.0, 4.0]), jac, atol=1e-8)


@pytest.mark.parametrize("kwargs, exc, pattern", [
    ({"f": 3}, TypeError, "f must be callable, got int"),
    ({"inputs": {1.0}}, TypeError, "inputs must be a number, a Value, or a sequence or NumPy array of them, got set"),
    ({"inputs": []}, ValueError, "inputs must not be empty"),
    ({"inputs": [1.0, "a"]}, TypeError, r"inputs\[1\] must be a number or a Value, got str"),
    ({"eps": 0}, ValueError, "eps must be a finite number > 0, got 0.0"),
    ({"eps": -1e-6}, ValueError, "eps must be a finite number > 0, got -1e-06"),
    ({"atol": math.nan}, ValueError, "atol must be a finite number >= 0"),
    ({"rtol": "1"}, TypeError, "rtol must be a real number, got str '1'"),
    ({"raise_exception": 1}, TypeError, "raise_exception must be a bool"),
    ({"f": lambda x: "y"}, TypeError, "f must return a Value or a list or NumPy array of Values; the output is a str"),
    ({"f": lambda x: [x, None]}, TypeError, "output 1 is a NoneType"),
])
def test_bad_arguments(kwargs, exc, pattern):
    args = {"f": lambda x: x * x, "inputs": [1.0], **kwargs}
    with pytest.raises(exc, match=pattern):
        gradcheck(args.pop("f"), args.pop("inputs"), **args)


def test_numpy_scalars_are_accepted_for_the_point_and_the_tolerances():
    f = lambda x, y: x * y.exp()  # noqa: E731
    point = [np.float32(0.5), np.int64(-1)]
    assert gradcheck(f, point, eps=np.float32(1e-4), atol=np.float64(1e-4), rtol=np.float32(1e-3),
                     raise_exception=np.bool_(True))
    assert gradgradcheck(f, np.array([0.5, -1.0]), eps=np.float64(1e-5), atol=np.float32(1e-3))
    np.testing.assert_allclose(numerical_jacobian(f, point, eps=np.float64(1e-6)), analytical_jacobian(f, point),
                               rtol=1e-6)
    assert type(numerical_jacobian(f, (np.int64(1), np.int64(0)))[0, 0]) is np.float64


def test_checks_refuse_a_point_that_is_not_finite_but_the_analytic_jacobian_is_taken_there():
    assert analytical_jacobian(lambda x: x.tanh(), [math.inf])[0, 0] == 0.0
    assert math.isnan(analytical_jacobian(lambda x: x * 2 + x * x, [math.nan])[0, 0])
    for check in (gradcheck, gradgradcheck, numerical_jacobian):
        with pytest.raises(ValueError, match=r"^inputs\[1\] must be a finite number, got inf$"):
            check(lambda x, y: x * y, [1.0, Value(math.inf)])


def test_a_function_with_varargs_or_defaults_takes_one_argument_per_input():
    assert gradcheck(lambda *xs: xs[0] * xs[1], [1.0, 2.0])
    assert gradcheck(lambda x, y=None, *, scale=2.0: x * scale, [1.0, 2.0])
    assert gradcheck(max, [1.0, 2.0])  # a builtin without a readable signature is simply called


def test_one_number_a_value_and_arrays_of_any_shape_are_points():
    assert gradcheck(lambda x: x.exp(), 0.3)
    assert gradcheck(lambda x: x * x, Value(2.0))
    assert gradcheck(lambda x: x * x, np.float32(2.0))
    assert gradgradcheck(lambda x, y, z, w: x * y * z.sin() * w, np.array([[0.1, 0.2], [0.3, 0.4]]))
    np.testing.assert_allclose(numerical_jacobian(lambda x: x ** 3, 2.0), [[12.0]], rtol=1e-8)
    assert analytical_jacobian(lambda x: x ** 3, np.array(2.0))[0, 0] == 12.0


def test_failure_drawing_shows_the_gradients_backward_gave_not_zeros(bad_sin):
    from autograd_engine.viz import format_number

    def f(x, y):
        h = apply(bad_sin, x * y)
        h.label = "h"
        return h * 2

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [0.5, 1.5])
    err = info.value
    assert err.point == (0.5, 1.5)
    root = err.outputs[0]
    x, y = (p for p in _leaves_of(root))
    assert (x.label, y.label) == ("inputs[0]", "inputs[1]")
    # what backward gives with the wrong rule: dh = 2, d(xy) = 2 sin(xy), dx = 2 y sin(xy)
    assert err.grads[err.node] == 2.0
    assert err.grads[x] == pytest.approx(2 * 1.5 * math.sin(0.75), rel=1e-15)
    source = err.draw().source
    assert f"grad {format_number(2 * 1.5 * math.sin(0.75))}" in source
    assert f"grad {format_number(2 * 0.5 * math.sin(0.75))}" in source
    assert "#c0392b" in source  # the culprit, in red
    assert x.grad == 0.0 and err.node.grad == 0.0  # the nodes' own .grad are left as they were


def test_a_rule_off_by_a_thousandth_fails_and_so_does_a_second_derivative_off_by_one(fresh_ops):
    from autograd_engine import cos, primitive, sin

    sin_off = primitive(math.sin, lambda g, x, out: g * cos(x) * 1.001, name="sin_off")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: sin_off(x), [0.3])
    assert info.value.mismatch is not None and info.value.mismatch.op == "sin_off"
    times_off = primitive(lambda x, y: x * y, lambda g, x, y, out: (g * y, g * x * 1.001), name="times_off")
    with pytest.raises(GradcheckError, match=r"for output 0, input 1: "):
        gradcheck(lambda x, y: times_off(x, y), [0.3, 0.7])
    cos_off = primitive(math.cos, lambda g, x, out: -1.001 * g * sin(x), name="cos_off")
    sin_second_off = primitive(math.sin, lambda g, x, out: g * cos_off(x), name="sin_second_off")
    assert gradcheck(lambda x: sin_second_off(x), [0.3])
    with pytest.raises(GradcheckError, match=r"^gradgradcheck failed"):
        gradgradcheck(lambda x: sin_second_off(x), [0.3])


def test_at_a_kink_the_report_says_the_op_is_not_differentiable_there_and_blames_no_rule():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: (x * 2).relu(), [0.0])
    err = info.value
    assert err.mismatch is None
    assert str(err).endswith("\nf is not differentiable at this point: op 'relu' at its input(s) 0.0 has slope 0.0 "
                             "on the left and 1.0 on the right of input 0; check at another point")
    with pytest.raises(GradcheckError, match=r"op 'relu' at its input\(s\) 0.0 has slope"):
        check_grads(lambda x: x.relu(), 0.0, order=1)


def test_zero_dimensional_arrays_are_numbers_in_a_point():
    assert gradcheck(lambda x, y: x * y, [np.array(2.0), np.float32(3.0)])
    assert (numerical_jacobian(lambda x, y: x * y, (np.array(2.0), 3)).round(6) == [[3.0, 2.0]]).all()


def test_f_may_return_a_numpy_array_of_values_as_its_outputs():
    assert gradcheck(lambda x, y: np.array([x * y, x + y]), np.array([0.5, 2.0]))
    assert gradcheck(lambda x, y: np.array([[x * y], [x + y]]), [0.5, 2.0])
    assert (analytical_jacobian(lambda x, y: np.array([x * y, x + y]), [2.0, 5.0]) == [[5.0, 2.0], [1.0, 1.0]]).all()


def test_drawing_a_gradcheck_failure_never_writes_the_graphs_own_grad(bad_sin, monkeypatch):
    import autograd_engine.viz as viz
    from autograd_engine import topological_order

    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: apply(bad_sin, x * y) * 2, [0.5, 1.5])
    err = info.value
    nodes = topological_order(err.outputs[0])
    draw_dot, seen = viz.draw_dot, []

    def watching(root, **options):
        seen.append([v.grad for v in nodes])
        return draw_dot(root, **options)

    monkeypatch.setattr(viz, "draw_dot", watching)
    source = err.draw(edge_labels=True).source
    assert seen == [[0.0] * len(nodes)]
    assert f"grad {viz.format_number(2 * 1.5 * math.sin(0.75))}" in source and "#c0392b" in source
    assert "g·∂" in source  # the contributions backward sent, drawn from the failure's gradients
    drawing = err.draw(edge_labels=True)
    assert set(drawing.node_ids) == set(nodes) and err.node in drawing.node_ids  # the graph itself, not a copy
    assert drawing.source == source == to_dot(err.outputs[0], grads=err.grads, highlight=err, edge_labels=True)


def test_a_failure_drawing_names_a_second_highlight_as_the_mistake(bad_sin):
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: apply(bad_sin, x), [0.5])
    with pytest.raises(TypeError, match=r"^draw\(\) highlights the failing node itself; got highlight="):
        info.value.draw(highlight=Value(1.0))


def _leaves_of(root):
    from autograd_engine import topological_order

    return [v for v in topological_order(root) if v.is_leaf and v.label.startswith("inputs[")]


def test_a_point_outside_the_domain_blames_the_op_that_makes_the_nan_not_its_rule():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: (x - 1).log(), 0.5)
    message = str(info.value)
    assert message.startswith("gradcheck failed at inputs (0.5,) for output 0, input 0: analytic -2.0 vs numeric nan "
                              "(not both finite)")
    assert message.endswith("f is not finite at this point: op 'log' gives nan at its input(s) -0.5")
    assert "rule" not in message  # the log rule is right: no node is blamed for it


def test_a_nan_leaf_inside_f_is_blamed_by_its_label():
    w = Value(math.nan, "w")
    with pytest.raises(GradcheckError, match=r"f is not finite at this point: the leaf 'w' holds nan$"):
        gradcheck(lambda x: x * w + x, [1.0])


def test_a_point_at_the_edge_of_the_domain_says_so():
    with pytest.raises(GradcheckError, match=r"a derivative is not finite at this point: the point is at \(or "
                                             r"within eps of\) the edge of an op's domain"):
        gradcheck(lambda x: x.sqrt(), 1e-7)


def test_a_nan_input_is_blamed_by_its_position_in_anomaly_mode():
    from autograd_engine import AnomalyError, detect_anomaly

    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        analytical_jacobian(lambda x, y: x * y + x, [1.0, math.nan])
    assert info.value.node.op == "*"
    assert ("forward produced nan because its input 1 is a leaf (label 'inputs[1]') holding nan: the nan came in "
            "from that input, this op did not make it") in str(info.value)


def _square(x):
    return x * x


def _failure(**kwargs):
    return GradcheckError("m", output_index=0, input_index=0, analytic=1.0, numeric=2.0, mismatch=None, **kwargs)


ERROR_CASES = [
    ("GradcheckError.draw-given-a-highlight", lambda: _failure(outputs=[Value(1.0)], grads={}).draw(highlight=None),
     TypeError, r"^draw\(\) highlights the failing node itself; got highlight=NoneType None too"),
    ("GradcheckError.draw-given-grads", lambda: _failure(outputs=[Value(1.0)], grads={}).draw(grads=None),
     TypeError, r"^draw\(\) shows the gradients as they stood at the failure; got grads=NoneType None too"),
    ("GradcheckError.draw-an-unknown-option", lambda: _failure(outputs=[Value(1.0)], grads={}).draw(colour=1),
     TypeError, r"^GradcheckError.draw\(\) got an unexpected option 'colour'; it takes format, rankdir, show_grad, "
                r"max_nodes, depth, group_by, parameters and edge_labels$"),
    ("GradcheckError.draw-given-a-model", lambda: _failure(outputs=[Value(1.0)], grads={}).draw(model=1), TypeError,
     r"^draw\(\) draws the failure's own graph; got model=int 1 too"),
    ("GradcheckError.draw-without-a-graph", lambda: _failure().draw(), ValueError,
     r"^this GradcheckError holds no graph to draw$"),
    ("gradcheck-f-returns-a-2d-array-of-strings", lambda: gradcheck(lambda x: np.array([["a"]]), [1.0]), TypeError,
     r"^f must return a Value or a list or NumPy array of Values; output 0 is a str"),
    ("gradcheck-f-none", lambda: gradcheck(None, [1.0]), TypeError, r"^f must be callable, got NoneType None$"),
    ("gradcheck-f-a-value", lambda: gradcheck(Value(1.0), [1.0]), TypeError, r"^f must be callable, got Value"),
    ("gradcheck-f-takes-fewer-arguments", lambda: gradcheck(_square, [1.0, 2.0]), TypeError,
     r"^f must take 2 positional argument\(s\), one per input, got function <function _square .*: too many"),
    ("gradcheck-f-takes-keywords-only", lambda: gradcheck(lambda *, x: x, [1.0]), TypeError,
     r"^f must take 1 positional argument\(s\), one per input, got function"),
    ("gradcheck-inputs-none", lambda: gradcheck(_square, None), TypeError,
     r"^inputs must be a number, a Value, or a sequence or NumPy array of them, got NoneType None$"),
    ("gradcheck-inputs-a-str", lambda: gradcheck(_square, "1"), TypeError,
     r"^inputs must be a number, a Value, or a sequence or NumPy array of them, got str '1'$"),
    ("gradcheck-inputs-a-set", lambda: gradcheck(_square, {1.0}), TypeError,
     r"^inputs must be a number, a Value, or a sequence or NumPy array of them, got set \{1.0\}$"),
    ("gradcheck-inputs-empty", lambda: gradcheck(_square, ()), ValueError,
     r"^inputs must not be empty, got an empty sequence$"),
    ("gradcheck-inputs-nested", lambda: gradcheck(_square, [[1.0]]), TypeError,
     r"^inputs\[0\] must be a number or a Value, got list \[1.0\]$"),
    ("gradcheck-inputs-item-a-bool", lambda: gradcheck(_square, [True]), TypeError,
     r"^inputs\[0\] must be a number or a Value, got bool True$"),
    ("gradcheck-inputs-item-nan", lambda: gradcheck(_square, [math.nan]), ValueError,
     r"^inputs\[0\] must be a finite number, got nan$"),
    ("gradcheck-inputs-item-too-big", lambda: gradcheck(_square, [10**400]), ValueError,
     r"^inputs\[0\] must be a number that fits in a float, got int 1000"),
    ("gradcheck-eps-zero", lambda: gradcheck(_square, [1.0], eps=0), ValueError,
     r"^eps must be a finite number > 0, got 0.0$"),
    ("gradcheck-eps-negative", lambda: gradcheck(_square, [1.0], eps=-1e-6), ValueError,
     r"^eps must be a finite number > 0, got -1e-06$"),
    ("gradcheck-eps-nan", lambda: gradcheck(_square, [1.0], eps=math.nan), ValueError,
     r"^eps must be a finite number > 0, got nan$"),
    ("gradcheck-eps-inf", lambda: gradcheck(_square, [1.0], eps=math.inf), ValueError,
     r"^eps must be a finite number > 0, got inf$"),
    ("gradcheck-eps-a-bool", lambda: gradcheck(_square, [1.0], eps=True), TypeError,
     r"^eps must be a real number, got bool True$"),
    ("gradcheck-eps-a-str", lambda: gradcheck(_square, [1.0], eps="1e-6"), TypeError,
     r"^eps must be a real number, got str '1e-6'$"),
    ("gradcheck-atol-negative", lambda: gradcheck(_square, [1.0], atol=-1), ValueError,
     r"^atol must be a finite number >= 0, got -1.0$"),
    ("gradcheck-atol-a-str", lambda: gradcheck(_square, [1.0], atol="0"), TypeError,
     r"^atol must be a real number, got str '0'$"),
    ("gradcheck-rtol-nan", lambda: gradcheck(_square, [1.0], rtol=math.nan), ValueError,
     r"^rtol must be a finite number >= 0, got nan$"),
    ("gradcheck-rtol-none", lambda: gradcheck(_square, [1.0], rtol=None), TypeError,
     r"^rtol must be a real number, got NoneType None$"),
    ("gradcheck-raise_exception-an-int", lambda: gradcheck(_square, [1.0], raise_exception=0), TypeError,
     r"^raise_exception must be a bool \(True or False\), got int 0$"),
    ("gradcheck-raise_exception-a-str", lambda: gradcheck(_square, [1.0], raise_exception="no"), TypeError,
     r"^raise_exception must be a bool \(True or False\), got str 'no'$"),
    ("gradcheck-f-returns-nothing", lambda: gradcheck(lambda x: [], [1.0]), ValueError,
     r"^f must return a Value or a non-empty list of Values, got an empty list$"),
    ("gradcheck-f-returns-none", lambda: gradcheck(lambda x: None, [1.0]), TypeError,
     r"^f must return a Value or a list or NumPy array of Values; the output is a NoneType None$"),
    ("gradcheck-f-returns-nested", lambda: gradcheck(lambda x: [[x]], [1.0]), TypeError,
     r"^f must return a Value or a list or NumPy array of Values; output 0 is a list \[Value"),
    ("gradcheck-f-returns-a-bool", lambda: gradcheck(lambda x: [x, True], [1.0]), TypeError,
     r"^f must return a Value or a list or NumPy array of Values; output 1 is a bool True$"),
    ("gradcheck-f-returns-too-big", lambda: gradcheck(lambda x: [x, 10**400], [1.0]), ValueError,
     r"^f's output 1 must be a number that fits in a float, got int 1000"),
    ("gradcheck-f-returns-more-outputs-at-the-point", lambda: gradcheck(lambda x: [x] * (2 if x.data == 1 else 1),
                                                                        [1.0]), ValueError,
     r"^f must return as many outputs at every point: 2 at inputs, 1 at inputs\[0\] \+ eps$"),
    ("gradgradcheck-f-an-int", lambda: gradgradcheck(3, [1.0]), TypeError, r"^f must be callable, got int 3$"),
    ("gradgradcheck-f-takes-fewer-arguments", lambda: gradgradcheck(_square, [1.0, 2.0]), TypeError,
     r"^f must take 2 positional argument\(s\), one per input"),
    ("gradgradcheck-inputs-empty", lambda: gradgradcheck(_square, []), ValueError, r"^inputs must not be empty"),
    ("gradgradcheck-inputs-item-inf", lambda: gradgradcheck(_square, [-math.inf]), ValueError,
     r"^inputs\[0\] must be a finite number, got -inf$"),
    ("gradgradcheck-eps-zero", lambda: gradgradcheck(_square, [1.0], eps=0.0), ValueError,
     r"^eps must be a finite number > 0, got 0.0$"),
    ("gradgradcheck-atol-a-bool", lambda: gradgradcheck(_square, [1.0], atol=False), TypeError,
     r"^atol must be a real number, got bool False$"),
    ("gradgradcheck-rtol-negative", lambda: gradgradcheck(_square, [1.0], rtol=-0.1), ValueError,
     r"^rtol must be a finite number >= 0, got -0.1$"),
    ("gradgradcheck-raise_exception-none", lambda: gradgradcheck(_square, [1.0], raise_exception=None), TypeError,
     r"^raise_exception must be a bool \(True or False\), got NoneType None$"),
    ("gradgradcheck-f-returns-a-str", lambda: gradgradcheck(lambda x: "s", [1.0]), TypeError,
     r"^f must return a Value or a list or NumPy array of Values; the output is a str 's'$"),
    ("numerical_jacobian-f-a-str", lambda: numerical_jacobian("f", [1.0]), TypeError,
     r"^f must be callable, got str 'f'$"),
    ("numerical_jacobian-inputs-a-dict", lambda: numerical_jacobian(_square, {"x": 1.0}), TypeError,
     r"^inputs must be a number, a Value, or a sequence or NumPy array of them, got dict"),
    ("gradcheck-inputs-a-complex-number", lambda: gradcheck(_square, 1j), TypeError,
     r"^inputs must be a number, a Value, or a sequence or NumPy array of them, got complex 1j$"),
    ("gradcheck-inputs-an-array-with-nan", lambda: gradcheck(_square, np.array([np.nan])), ValueError,
     r"^inputs\[0\] must be a finite number, got nan$"),
    ("gradcheck-inputs-a-bare-nan", lambda: gradcheck(_square, math.nan), ValueError,
     r"^inputs\[0\] must be a finite number, got nan$"),
    ("gradcheck-inputs-an-array-of-str", lambda: gradcheck(_square, np.array(["a"])), TypeError,
     r"^inputs\[0\] must be a number or a Value, got str"),
    ("numerical_jacobian-inputs-item-none", lambda: numerical_jacobian(_square, [None]), TypeError,
     r"^inputs\[0\] must be a number or a Value, got NoneType None$"),
    ("numerical_jacobian-inputs-item-nan", lambda: numerical_jacobian(_square, [math.nan]), ValueError,
     r"^inputs\[0\] must be a finite number, got nan$"),
    ("numerical_jacobian-eps-negative", lambda: numerical_jacobian(_square, [1.0], eps=-1.0), ValueError,
     r"^eps must be a finite number > 0, got -1.0$"),
    ("numerical_jacobian-eps-a-bool", lambda: numerical_jacobian(_square, [1.0], eps=False), TypeError,
     r"^eps must be a real number, got bool False$"),
    ("numerical_jacobian-f-takes-fewer-arguments", lambda: numerical_jacobian(_square, [1.0, 2.0]), TypeError,
     r"^f must take 2 positional argument\(s\), one per input"),
    ("numerical_jacobian-f-returns-nothing", lambda: numerical_jacobian(lambda x: (), [1.0]), ValueError,
     r"^f must return a Value or a non-empty list of Values, got an empty tuple$"),
    ("numerical_jacobian-f-returns-as-many-outputs-everywhere",
     lambda: numerical_jacobian(lambda x, y: [x] * (2 if y.data > 2 else 1), [1.0, 2.0]), ValueError,
     r"^f must return as many outputs at every point: 1 at inputs\[0\] \+ eps, 2 at inputs\[1\] \+ eps$"),
    ("analytical_jacobian-f-none", lambda: analytical_jacobian(None, [1.0]), TypeError,
     r"^f must be callable, got NoneType None$"),
    ("analytical_jacobian-inputs-a-str", lambda: analytical_jacobian(_square, "12"), TypeError,
     r"^inputs must be a number, a Value, or a sequence or NumPy array of them, got str '12'$"),
    ("analytical_jacobian-inputs-empty", lambda: analytical_jacobian(_square, []), ValueError,
     r"^inputs must not be empty, got an empty sequence$"),
    ("analytical_jacobian-inputs-item-a-str", lambda: analytical_jacobian(_square, [1.0, "a"]), TypeError,
     r"^inputs\[1\] must be a number or a Value, got str 'a'$"),
    ("analytical_jacobian-f-takes-more-arguments", lambda: analytical_jacobian(lambda x, y: x, [1.0]), TypeError,
     r"^f must take 1 positional argument\(s\), one per input, got function .*missing a required argument: 'y'$"),
    ("analytical_jacobian-f-returns-nothing", lambda: analytical_jacobian(lambda x: [], [1.0]), ValueError,
     r"^f must return a Value or a non-empty list of Values, got an empty list$"),
]


def test_an_eps_below_the_inputs_float_resolution_is_named_and_no_rule_is_blamed():
    # at 1e12 a step of 1e-6 is lost to rounding: the central difference is 0, and x * x's rule is right
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: x * x, [1e12])
    message = str(info.value)
    assert "eps = 1e-06 is below the float resolution of inputs[0] = 1000000000000.0" in message
    assert "pass an eps of about 1e+06" in message and "derivative rule disagrees" not in message
    assert info.value.mismatch is None
    assert gradcheck(lambda x: x * x, [1e12], eps=1e6)  # with the step it names, the check passes
