"""Random expression DAGs for property tests: one program, run on this engine or on HIPS autograd.

HIPS autograd is imported on the first use of its side of the table, so tests that run
programs only on this engine do not need it.
"""

import importlib
from types import ModuleType
from typing import Any

from conftest import a_logsumexp
from hypothesis import strategies as st

import autograd_engine as ae


class LazyModule:
    """A module imported on first attribute access: ``LazyModule("autograd.numpy").exp``."""

    def __init__(self, name: str):
        self.name = name
        self.module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self.module is None:
            self.module = importlib.import_module(self.name)
        return getattr(self.module, attr)


anp = LazyModule("autograd.numpy")


def neuron() -> ae.Value:
    """The README's neuron, ``o = tanh(x1*w1 + x2*w2 + b)`` with ``n`` and ``o`` labelled, before backward."""
    x1, x2 = ae.Value(2.0, "x1"), ae.Value(0.0, "x2")
    w1, w2, b = ae.Value(-3.0, "w1"), ae.Value(1.0, "w2"), ae.Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o

# name -> (arity, this engine, HIPS autograd). Every op keeps values bounded so deep graphs stay finite.
RANDOM_OPS = {
    "add": (2, lambda a, b: a + b, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (1 + b * b), lambda a, b: a / (1 + b * b)),
    "pow": (2, lambda a, b: (a * a + 1) ** b.tanh(), lambda a, b: (a * a + 1) ** anp.tanh(b)),
    "tanh": (1, lambda a: a.tanh(), lambda a: anp.tanh(a)),
    "sin": (1, lambda a: a.sin(), lambda a: anp.sin(a)),
    "cos": (1, lambda a: a.cos(), lambda a: anp.cos(a)),
    "sigmoid": (1, lambda a: a.sigmoid(), lambda a: 1 / (1 + anp.exp(-a))),
    "exp_tanh": (1, lambda a: a.tanh().exp(), lambda a: anp.exp(anp.tanh(a))),
    "log": (1, lambda a: (a * a + 1).log(), lambda a: anp.log(a * a + 1)),
    "sqrt": (1, lambda a: (a * a + 1).sqrt(), lambda a: anp.sqrt(a * a + 1)),
    "softplus": (1, lambda a: a.softplus(), lambda a: anp.logaddexp(0.0, a)),
    "square": (1, lambda a: a**2, lambda a: a**2),
    "recip": (1, lambda a: (a * a + 1) ** -1.5, lambda a: (a * a + 1) ** -1.5),
    "vsum": (3, lambda a, b, c: ae.vsum([a, b, c]), lambda a, b, c: a + b + c),
    "dot": (4, lambda a, b, c, d: ae.dot([a, b], [c, d]), lambda a, b, c, d: a * c + b * d),
    "lse": (3, lambda a, b, c: ae.logsumexp([a, b, c]), lambda a, b, c: a_logsumexp(anp.array([a, b, c]))),
    "softmax0": (2, lambda a, b: ae.softmax([a, b])[0], lambda a, b: anp.exp(a) / (anp.exp(a) + anp.exp(b))),
    "scale": (1, lambda a: 0.5 * a - 1, lambda a: 0.5 * a - 1),
}


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(1, 4))
    inputs = draw(st.lists(st.floats(-2, 2), min_size=n_inputs, max_size=n_inputs))
    steps = []
    for k in range(draw(st.integers(1, 14))):
        name = draw(st.sampled_from(sorted(RANDOM_OPS)))
        arity = RANDOM_OPS[name][0]
        # arguments index any earlier node: inputs and results are shared freely, repeats allowed
        args = draw(st.lists(st.integers(0, n_inputs + k - 1), min_size=arity, max_size=arity))
        steps.append((name, args))
    return inputs, steps


def run(program_steps, xs, engine):
    nodes = list(xs)
    for name, args in program_steps:
        fn = RANDOM_OPS[name][1 if engine == "ours" else 2]
        nodes.append(fn(*[nodes[i] for i in args]))
    return nodes[-1] + 0.1 * nodes[-2]  # two outputs mixed, so more paths matter


