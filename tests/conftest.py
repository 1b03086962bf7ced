import random

import autograd.numpy as anp
import numpy as np
import pytest

from autograd_engine import OPS


def sample_args(op, rng: random.Random):
    """Arguments and param for ``op``, drawn from the domain it declares."""
    n = op.arity if op.kind == 4 else len(op.domain)
    intervals = [op.domain[0] if op.kind == 4 else op.domain[i] for i in range(n)]
    args = [rng.uniform(*rng.choice(list(iv))) for iv in intervals]
    param = rng.choice(op.params) if op.params else None
    return args, param


@pytest.fixture
def rng():
    return random.Random(1234)


@pytest.fixture
def nprng():
    return np.random.default_rng(1234)


@pytest.fixture
def fresh_ops():
    """Let a test register ops; they are removed afterwards."""
    before = dict(OPS)
    yield OPS
    OPS.clear()
    OPS.update(before)


def a_logsumexp(a):
    """logsumexp in HIPS autograd's NumPy (autograd.scipy would need SciPy)."""
    m = anp.max(a)
    return m + anp.log(anp.sum(anp.exp(a - m)))
