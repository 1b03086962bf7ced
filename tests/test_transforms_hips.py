"""Nested transforms against HIPS autograd, and the argument-position semantics they rest on.

A random *nest* is a function of 1-3 scalars built from a smooth expression and up
to three transforms (``grad``, ``value_and_grad``, ``jvp``, ``hessian``, ``hvp``),
each applied to a function that calls the next one. Every inner function closes over
the arguments of the functions around it (so an outer variable appears inside an
inner derivative, where perturbations can be confused), and is called at points
computed from them (the same Value in two positions, or a Value made from the outer
variable: the identity node of each position must keep the path). HIPS autograd
evaluates the same nest; the two must agree.

HIPS computes ``x ** y`` as ``exp(y * log(x))`` here: its own rule for ``**`` gives
wrong second derivatives where ``y == 0`` (see ``test_functional``), and the bases are
positive so the two are the same function.
"""

import math
from dataclasses import dataclass

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_engine as ae
from autograd_engine import Value, grad, hessian, hvp, jacobian, jvp, value_and_grad

# -- random smooth expressions ---------------------------------------------------------------------------
# A tree is ("var", i), ("const", c), (unary, tree) or (binary, tree, tree); it is evaluated over an
# environment: the function's own arguments, then the arguments of every function around it.

CONSTANTS = st.sampled_from([-1.5, -0.5, 0.0, 0.25, 1.0, 2.0])
POINTS = st.floats(-1.5, 1.5, allow_subnormal=False)


class Ours:
    """The engine's operations on Values and floats alike."""

    sin, tanh, exp = staticmethod(ae.sin), staticmethod(ae.tanh), staticmethod(ae.exp)

    @staticmethod
    def pow(a, b):
        return (1 + a * a) ** b


class Hips:
    """The same operations in HIPS autograd's NumPy."""

    sin, tanh, exp = staticmethod(anp.sin), staticmethod(anp.tanh), staticmethod(anp.exp)

    @staticmethod
    def pow(a, b):
        return anp.exp(b * anp.log(1 + a * a))


UNARY = ("sin", "tanh", "exp")
BINARY = ("add", "mul", "pow")


def trees(n_vars: int, depth: int) -> st.SearchStrategy:
    var = st.tuples(st.just("var"), st.integers(0, n_vars - 1))
    leaf = st.one_of(var, var, st.tuples(st.just("const"), CONSTANTS))
    if depth == 0:
        return leaf
    sub = trees(n_vars, depth - 1)
    return st.one_of(leaf, st.tuples(st.sampled_from(UNARY), sub), st.tuples(st.sampled_from(BINARY), sub, sub))


def points(n_vars: int) -> st.SearchStrategy:
    """Where an inner function is called: an outer variable itself (often), or a Value computed from one."""
    var = st.tuples(st.just("var"), st.integers(0, n_vars - 1))
    return st.one_of(var, var, st.tuples(st.sampled_from(UNARY), var), st.tuples(st.just("mul"), var, var))


def evaluate(tree, env, lib):
    kind = tree[0]
    if kind == "var":
        return env[tree[1]]
    if kind == "const":
        return tree[1]
    args = [evaluate(t, env, lib) for t in tree[1:]]
    if kind == "add":
        return args[0] + args[1]
    if kind == "mul":
        return args[0] * args[1]
    return getattr(lib, kind)(*args)


# -- random nests of transforms --------------------------------------------------------------------------

@dataclass(frozen=True)
class Expr:
    """The innermost function: an expression of its arguments and of every enclosing function's arguments."""

    arity: int
    tree: tuple


@dataclass(frozen=True)
class Transform:
    """``f(*xs) = <kind>(inner)(*points(xs))``, read out as a scalar (see :func:`ours` and :func:`hips`).

    ``index`` picks the argument of ``grad`` / ``value_and_grad``, the entry of the Hessian or of
    the Hessian-vector product; ``vector`` is the tangent of ``jvp`` or the vector of ``hvp``.
    """

    arity: int
    kind: str
    index: tuple
    vector: tuple
    points: tuple
    inner: "Expr | Transform"


ORDER = {"grad": 1, "value_and_grad": 1, "jvp": 1, "hessian": 2, "hvp": 2}
MAX_ORDER = 4  # the total order of differentiation of a nest, which bounds its graph


@st.composite
def nests(draw, n_closure=0, depth_left=3, order_left=MAX_ORDER, top=True):
    arity = draw(st.integers(1, 3))
    n_env = arity + n_closure
    kinds = [k for k, order in ORDER.items() if order <= order_left]
    if not top and (depth_left == 0 or not kinds or draw(st.integers(0, 2)) == 0):
        return Expr(arity, draw(trees(n_env, 2)))
    kind = draw(st.sampled_from(kinds))
    inner = draw(nests(n_env, depth_left - 1, order_left - ORDER[kind], top=False))
    m = inner.arity
    index = tuple(draw(st.integers(0, m - 1)) for _ in range(2 if kind == "hessian" else 1))
    vector = tuple(draw(st.lists(CONSTANTS, min_size=m, max_size=m))) if kind in ("jvp", "hvp") else ()
    at = tuple(draw(st.lists(points(n_env), min_size=m, max_size=m)))
    return Transform(arity, kind, index, vector, at, inner)


def ours(nest, closure=()):
    """The nest as a function on this engine."""
    if isinstance(nest, Expr):
        return lambda *xs: evaluate(nest.tree, [*xs, *closure], Ours)

    def f(*xs):
        env = [*xs, *closure]
        inner = ours(nest.inner, tuple(env))
        at = [evaluate(p, env, Ours) for p in nest.points]
        kind, i = nest.kind, nest.index[0]
        if kind == "grad":
            return grad(inner, argnums=i)(*at)
        if kind == "value_and_grad":
            v, g = value_and_grad(inner, argnums=i)(*at)
            return 0.5 * v + g
        if kind == "jvp":
            v, t = jvp(inner, at, list(nest.vector))
            return 0.5 * v + t
        if kind == "hessian":
            return hessian(inner)(*at)[i, nest.index[1]]
        return hvp(inner)(at, list(nest.vector))[i]

    return f


def hips(nest, closure=()):
    """The same nest in HIPS autograd (Hessian entries and products as nested gradients)."""
    if isinstance(nest, Expr):
        return lambda *xs: evaluate(nest.tree, [*xs, *closure], Hips)

    def f(*xs):
        env = [*xs, *closure]
        inner = hips(nest.inner, tuple(env))
        at = [evaluate(p, env, Hips) for p in nest.points]
        kind, i, m = nest.kind, nest.index[0], len(at)
        if kind == "grad":
            return autograd.grad(inner, i)(*at)
        if kind == "value_and_grad":
            v, g = autograd.value_and_grad(inner, i)(*at)
            return 0.5 * v + g
        if kind == "jvp":
            v, t = autograd.make_jvp(inner, tuple(range(m)))(*at)(nest.vector)
            return 0.5 * v + t
        if kind == "hessian":
            return autograd.grad(autograd.grad(inner, i), nest.index[1])(*at)
        return autograd.grad(lambda *ys: sum(autograd.grad(inner, j)(*ys) * nest.vector[j] for j in range(m)), i)(*at)

    return f


@pytest.mark.filterwarnings("ignore:Output seems independent of input")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nest=nests(), data=st.data())
def test_random_nested_transforms_match_hips_autograd(nest, data):
    xs = data.draw(st.lists(POINTS, min_size=nest.arity, max_size=nest.arity))
    expected = float(hips(nest)(*xs))
    assert math.isfinite(expected)
    got = ours(nest)(*xs)
    assert isinstance(got, float)  # called with numbers, a transform returns numbers (or float arrays)
    assert got == pytest.approx(expected, rel=1e-8, abs=1e-8)
    as_values = ours(nest)(*[Value(x) for x in xs])  # with Values: the same number, as a Value
    assert isinstance(as_values, Value) and as_values.data == pytest.approx(expected, rel=1e-8, abs=1e-8)


def test_nest_reprs_are_readable_when_hypothesis_reports_one():
    nest = Transform(1, "grad", (0,), (), (("var", 0),), Expr(1, ("mul", ("var", 0), ("var", 1))))
    assert ours(nest)(3.0) == float(hips(nest)(3.0)) == 3.0  # d/dy (y * x) at y = x
    assert "Transform(arity=1, kind='grad'" in repr(nest)


# -- argument positions, not objects ---------------------------------------------------------------------

def test_grad_with_the_same_value_in_two_positions_gives_two_variables():
    x = Value(2.0)
    da, db = grad(lambda a, b: a * b, argnums=(0, 1))(x, x)
    assert (da.data, db.data) == (2.0, 2.0)  # not (4, 4): each position is its own variable
    assert grad(lambda a, b: a * b, argnums=(0, 1))(2.0, 2.0) == (2.0, 2.0)
    (da + db).backward()  # d/dx (b + a) at a = b = x: both results stay connected to x
    assert x.grad == 2.0


def test_every_transform_gives_each_position_its_own_variable():
    x = Value(2.0)
    v, (da, db) = value_and_grad(lambda a, b: a * b, argnums=(0, 1))(x, x)
    assert (v.data, da.data, db.data) == (4.0, 2.0, 2.0)
    j = jacobian(lambda a, b: [a * b, a + b * b])(x, x)
    assert [[d.data for d in row] for row in j] == [[2.0, 2.0], [1.0, 4.0]]
    h = hessian(lambda a, b: a * a * b)(x, x)  # [[2b, 2a], [2a, 0]]
    assert [[d.data for d in row] for row in h] == [[4.0, 4.0], [4.0, 0.0]]
    assert [d.data for d in hvp(lambda a, b: a * a * b)([x, x], [1.0, 0.0])] == [4.0, 4.0]
    value, tangent = jvp(lambda a, b: a * b, [x, x], [1.0, 0.0])  # only a moves: d(a*b) = b
    assert (value.data, tangent.data) == (4.0, 2.0)
    assert jvp(lambda a, b: a * b, [x, x], [1.0, 1.0])[1].data == 4.0  # both move: b + a


def test_the_same_position_listed_twice_is_one_variable():
    assert grad(lambda a, b: a * a * b, argnums=(0, 0))(3.0, 2.0) == (12.0, 12.0)


def test_nested_grad_does_not_confuse_perturbations():
    assert grad(lambda x: grad(lambda y: x * y)(x))(2.0) == 1.0  # d/dx [d/dy x*y at y = x] = d/dx x
    d = grad(lambda x: grad(lambda y: x * y)(x))(Value(2.0))
    assert isinstance(d, Value) and d.data == 1.0
    # d/dx [d/dy x*y*y at y = x] = d/dx 2x*x = 4x
    assert grad(lambda x: grad(lambda y: x * y * y)(x))(3.0) == 12.0
    # jvp inside grad: d/dx [x * y * t at y = x, t = 1] = 1 ... times x: d/dx x*x = 2x
    assert grad(lambda x: jvp(lambda y: x * y, [x], [1.0])[1] * x)(3.0) == 6.0


def test_inner_argument_computed_from_the_outer_variable_keeps_the_path():
    # g(x) = d/dy y**3 at y = x*x = 3 x**4, so g'(x) = 12 x**3
    assert grad(lambda x: grad(lambda y: y**3)(x * x))(2.0) == 96.0
    x = Value(2.0)
    g = grad(lambda y: y**3)(x * x)
    assert g.data == 48.0
    g.backward()
    assert x.grad == 96.0
    # the inner point is the outer variable itself, through an identity node: d/dx 3 x**2 = 6x
    assert grad(lambda x: grad(lambda y: y**3)(x))(2.0) == 12.0
    # a Hessian inside a grad: d/dx H[0, 1] of a*b*x at (x, sin x) is d/dx x = 1
    assert grad(lambda x: hessian(lambda a, b: a * b * x)(x, x.sin())[0, 1])(0.5) == 1.0


def test_second_derivative_of_a_value_through_nested_grads():
    x = Value(1.5)
    d2 = grad(grad(lambda v: v**4))(x)
    assert d2.data == pytest.approx(12 * 1.5**2)
    d2.backward()
    assert x.grad == pytest.approx(24 * 1.5)


ERROR_CASES = [
    ("grad-argnums-bool", lambda: grad(lambda x: x, argnums=True)(1.0), TypeError,
     r"argnums must be an int or a non-empty tuple of ints, got bool True"),
    ("grad-argnums-beyond-the-arguments", lambda: grad(lambda a, b: a * b, argnums=(0, 2))(1.0, 1.0), ValueError,
     r"argnums refers to argument 2, but f was called with 2 argument\(s\)"),
    ("inner-grad-returns-str", lambda: grad(lambda x: grad(lambda y: "s")(x))(1.0), TypeError,
     r"f must return a single Value or number, got str 's'"),
    ("hessian-of-a-list", lambda: hessian(lambda a: [a, a])(1.0), TypeError,
     r"f must return a single Value or number, got list"),
    ("jvp-primal-bool", lambda: jvp(lambda a: a, [True], [1.0]), TypeError,
     r"primals must be numbers or Values; primals\[0\] is bool True"),
    ("hvp-xs-a-number", lambda: hvp(lambda a: a * a)(2.0, [1.0]), TypeError,
     r"xs must be a sequence of numbers or Values, got float 2.0"),
]



def test_hips_agrees_on_the_fixed_examples():
    """The oracle itself gives the position semantics above, so the random comparison is meaningful."""
    assert autograd.grad(lambda a, b: a * b, (0, 1))(2.0, 2.0) == (2.0, 2.0)
    assert autograd.grad(lambda x: autograd.grad(lambda y: x * y)(x))(2.0) == 1.0
    assert np.isclose(autograd.grad(lambda x: autograd.grad(lambda y: y**3)(x * x))(2.0), 96.0)
