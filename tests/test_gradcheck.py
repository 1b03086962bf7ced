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
    gradcheck,
    numerical_jacobian,
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
    assert re.match(r"gradcheck failed for output 1, input 0: analytic [-\d.e]+ vs numeric [-\d.e]+ "
                    r"\(error [\d.e-]+ > tolerance [\d.e-]+\)", message)
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
    ({"inputs": 1.0}, TypeError, "inputs must be a sequence of numbers or Values, got float"),
    ({"inputs": []}, ValueError, "inputs must not be empty"),
    ({"inputs": [1.0, "a"]}, TypeError, r"inputs\[1\] must be a number or a Value, got str"),
    ({"eps": 0}, ValueError, "eps must be > 0"),
    ({"eps": -1e-6}, ValueError, "eps must be a finite number >= 0, got -1e-06"),
    ({"atol": math.nan}, ValueError, "atol must be a finite number >= 0"),
    ({"rtol": "1"}, TypeError, "rtol must be a real number, got str '1'"),
    ({"raise_exception": 1}, TypeError, "raise_exception must be a bool"),
    ({"f": lambda x: "y"}, TypeError, "f must return a Value or a list of Values; the output is a str"),
    ({"f": lambda x: [x, None]}, TypeError, "output 1 is a NoneType"),
])
def test_bad_arguments(kwargs, exc, pattern):
    args = {"f": lambda x: x * x, "inputs": [1.0], **kwargs}
    with pytest.raises(exc, match=pattern):
        gradcheck(args.pop("f"), args.pop("inputs"), **args)
