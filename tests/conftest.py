"""Shared fixtures and helpers, and the Hypothesis profile of this run.

Hypothesis profiles: ``ci`` replays the same examples on every run (``derandomize``,
no example database), so a CI failure reproduces exactly; ``dev`` searches at random,
so local runs keep finding new cases. ``HYPOTHESIS_PROFILE=ci|dev`` chooses one
explicitly; otherwise ``CI=true`` (what CI services set) selects ``ci`` and anything
else ``dev``. Neither profile has a deadline: tests assert values, not speed.

HIPS ``autograd`` is imported only by the helpers and tests that compare with it.
"""

import os
import random
from collections.abc import Mapping

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from autograd_engine import OPS

PROFILES = ("ci", "dev")
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, print_blob=True)


def hypothesis_profile(environ: Mapping[str, str]) -> str:
    """The Hypothesis profile for an environment: ``HYPOTHESIS_PROFILE`` if set, else ``ci`` when ``CI=true``.

    Raises:
        pytest.UsageError: ``HYPOTHESIS_PROFILE`` names no registered profile.

    >>> hypothesis_profile({"CI": "True"}), hypothesis_profile({"CI": "false"}), hypothesis_profile({})
    ('ci', 'dev', 'dev')
    >>> hypothesis_profile({"CI": "true", "HYPOTHESIS_PROFILE": "dev"})
    'dev'
    """
    chosen = environ.get("HYPOTHESIS_PROFILE", "").strip()
    if chosen:
        if chosen not in PROFILES:
            raise pytest.UsageError(f"HYPOTHESIS_PROFILE must be one of {', '.join(PROFILES)}, got {chosen!r}")
        return chosen
    return "ci" if environ.get("CI", "").strip().lower() in ("true", "1") else "dev"


PROFILE = hypothesis_profile(os.environ)
settings.load_profile(PROFILE)


def sample_args(op, rng: random.Random):
    """Arguments and param for ``op``, drawn from the domain it declares."""
    n = op.arity if op.kind.n_args is None else len(op.domain)
    intervals = [op.domain[0] if op.kind.n_args is None else op.domain[i] for i in range(n)]
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


@pytest.fixture
def fresh_registry():
    """Let a test register nn modules; they are removed afterwards."""
    import nn

    before = dict(nn.MODULES)
    yield nn.MODULES
    nn.MODULES.clear()
    nn.MODULES.update(before)


def a_logsumexp(a):
    """logsumexp in HIPS autograd's NumPy (autograd.scipy would need SciPy)."""
    import autograd.numpy as anp

    m = anp.max(a)
    return m + anp.log(anp.sum(anp.exp(a - m)))
