"""Every op of the table: forward and derivative against an independent reference, and gradcheck."""

import math
import random

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import a_logsumexp, sample_args

from autograd_engine import OPS, Op, Value, apply, gradcheck, gradgradcheck
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
}

BUILTIN = sorted(REFERENCE)


def test_every_op_has_a_reference_and_every_reference_an_op():
    assert sorted(OPS) == BUILTIN


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
        expected = autograd.grad(fn)(arr)
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

        assert check(f, args, **kwargs)


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
