"""A generative adversarial network (Goodfellow et al. 2014): two players, one engine.

A generator ``G`` maps noise ``z`` to a sample; a discriminator ``D`` maps a sample to
a logit, "real" when positive. They take turns, each with its own optimizer:

* **D's step** lowers ``BCE(D(x_real), 1) + BCE(D(G(z)), 0)``. The fakes are made under
  ``no_grad()``: they enter D's graph as plain numbers, so no gradient reaches G.
* **G's step** lowers the non-saturating loss ``BCE(D(G(z)), 1)``. Backprop runs from the
  loss *through D* into G's parameters: D's parameters receive gradients too (they are on
  the path), but only G's optimizer steps, so D does not change. D's optimizer zeroes
  those stray gradients at the start of its next step.

Both players are ordinary modules (an ``nn.MLP`` each, say) that take one vector and
return one Value (D) or a list of Values (G; a Value for one-dimensional data).
:func:`sample_mixture` draws the toy data: a mixture of Gaussians in one or two dimensions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_engine import Value, enable_grad, no_grad
from autograd_engine.validation import as_bool, as_int, describe, numpy_rng

from .data import MAX_SAMPLES, Seed, as_array
from .losses import binary_cross_entropy
from .module import Module
from .optim import Adam, Optimizer, as_learning_rate

__all__ = ["sample_mixture", "sample_noise", "generate", "discriminator_loss", "generator_loss",
           "discriminator_step", "generator_step", "compiled_steps", "train_gan", "GANHistory"]

#: The most training steps of one call (a bound turns a typo into an error).
MAX_STEPS = 10**7


def sample_mixture(n: int, means: Any, stds: Any = 0.1, weights: Any = None, seed: Seed = 0) -> np.ndarray:
    """``n`` samples of a mixture of Gaussians (isotropic in 2-D), shape (n, dim).

    Args:
        n: how many samples (an int from 1 to ``MAX_SAMPLES``).
        means: the components' means: a list of numbers (1-D data) or of points (rows of ``dim`` numbers).
        stds: the standard deviation, one number or one per component (finite, > 0).
        weights: each component's probability (finite, >= 0, not all 0; normalised); None for equal.
        seed: an int, a ``numpy.random.Generator`` or None.

    Raises:
        TypeError, ValueError: a bad argument (the message names it).

    >>> sample_mixture(4, [-2.0, 2.0], 0.1, seed=0).shape
    (4, 1)
    """
    n = as_int(n, "n", minimum=1, maximum=MAX_SAMPLES)
    means = as_array(means, "means", ndim=(1, 2), finite=True)
    means = means[:, None] if means.ndim == 1 else means
    k = len(means)
    if not k or not means.shape[1]:
        raise ValueError(f"means must hold at least one component, got shape {means.shape}")
    stds = as_array(stds, "stds", ndim=(0, 1), finite=True)
    stds = np.full(k, float(stds)) if stds.ndim == 0 else stds
    if stds.shape != (k,) or (stds <= 0).any():
        raise ValueError(f"stds must be one number > 0 or one per component ({k}), got {stds.tolist()}")
    if weights is None:
        p = np.full(k, 1.0 / k)
    else:
        p = as_array(weights, "weights", ndim=1, finite=True)
        if p.shape != (k,) or (p < 0).any() or not p.sum() > 0:
            raise ValueError(f"weights must be {k} numbers >= 0, not all 0, got {p.tolist()}")
        p = p / p.sum()
    rng = numpy_rng(seed)
    component = rng.choice(k, size=n, p=p)
    return means[component] + stds[component, None] * rng.standard_normal((n, means.shape[1]))


def sample_noise(n: int, dim: int, seed: Seed = 0) -> np.ndarray:
    """``n`` standard normal noise vectors of ``dim`` numbers, shape (n, dim): the generator's input.

    >>> sample_noise(3, 2, seed=0).shape
    (3, 2)
    """
    n = as_int(n, "n", minimum=1, maximum=MAX_SAMPLES)
    dim = as_int(dim, "dim", minimum=1, maximum=MAX_SAMPLES)
    return numpy_rng(seed).standard_normal((n, dim))


def _player(module: Any, name: str) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{name} must be an nn Module, got {describe(module)}")
    return module


def _players(generator: Any, discriminator: Any) -> tuple[Module, Module]:
    """Two different modules with no parameter in common (a shared one would be stepped by both players)."""
    generator, discriminator = _player(generator, "generator"), _player(discriminator, "discriminator")
    if generator is discriminator:
        raise ValueError(f"discriminator must be a module other than generator, got the same "
                         f"{type(generator).__name__} twice")
    shared = {id(p) for p in generator.parameters()} & {id(p) for p in discriminator.parameters()}
    if shared:
        raise ValueError(f"discriminator must share no parameters with generator, got {len(shared)} shared")
    return generator, discriminator


def _width(x: np.ndarray, name: str, generator_width: int) -> None:
    if x.shape[1] != generator_width:
        raise ValueError(f"{name} must have one column per number the generator makes ({generator_width}), "
                         f"got {x.shape[1]}")


def _vector(out: Any) -> list[Value]:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _samples(x: Any, name: str) -> list[list[float]]:
    x = as_array(x, name, ndim=(1, 2), finite=True)
    x = x[:, None] if x.ndim == 1 else x
    if not len(x):
        raise ValueError(f"{name} must hold at least one sample, got shape {x.shape}")
    return x.tolist()


def generate(generator: Module, noise: Any) -> np.ndarray:
    """The generator's samples for a batch of noise vectors (rows), as numbers: shape (n, dim). No graph is kept.

    Raises:
        TypeError, ValueError: ``generator`` is not a Module, ``noise`` not a finite 1-D or 2-D array.

    >>> from nn import MLP
    >>> generate(MLP(2, [3], seed=0), sample_noise(5, 2)).shape
    (5, 3)
    """
    generator = _player(generator, "generator")
    with no_grad():
        return np.array([[v.data for v in _vector(generator(z))] for z in _samples(noise, "noise")])


def discriminator_loss(discriminator: Module, real: Any, fake: Any) -> Value:
    """``BCE(D(real), 1) + BCE(D(fake), 0)``, each the mean over its batch.

    ``real`` and ``fake`` are arrays of samples (numbers), so no gradient reaches whatever made them.

    Raises:
        TypeError, ValueError: a bad argument (the message names it).
    """
    discriminator = _player(discriminator, "discriminator")
    real, fake = _samples(real, "real"), _samples(fake, "fake")
    with enable_grad():
        return (binary_cross_entropy([discriminator(x) for x in real], [1.0] * len(real))
                + binary_cross_entropy([discriminator(x) for x in fake], [0.0] * len(fake)))


def generator_loss(generator: Module, discriminator: Module, noise: Any) -> Value:
    """The non-saturating generator loss ``BCE(D(G(z)), 1)``, the mean over the noise batch.

    The graph runs from the loss through D into G: ``backward()`` gives gradients to both
    players' parameters, and the caller steps only G's optimizer.

    Raises:
        TypeError, ValueError: a bad argument (the message names it).
    """
    generator = _player(generator, "generator")
    discriminator = _player(discriminator, "discriminator")
    noise = _samples(noise, "noise")
    with enable_grad():
        logits = [discriminator(_vector(generator(z))) for z in noise]
        return binary_cross_entropy(logits, [1.0] * len(logits))


def _optimizer(opt: Any, name: str, owner: Module) -> Optimizer:
    if not isinstance(opt, Optimizer):
        raise TypeError(f"{name} must be an nn Optimizer, got {describe(opt)}")
    if {id(p) for p in opt.params} != {id(p) for p in owner.parameters()}:
        raise ValueError(f"{name} must update exactly the parameters of its own player")
    return opt


def _descend(optimizer: Optimizer, loss: Callable[[], Value]) -> float:
    """One step of ``optimizer`` down ``loss()``: zero its gradients, build the loss, ``backward()``, step.

    Only ``optimizer``'s parameters move, whatever else the loss's graph reaches.
    """
    optimizer.zero_grad()
    value = loss()
    value.backward()
    optimizer.step()
    return value.data


def discriminator_step(generator: Module, discriminator: Module, d_optimizer: Optimizer, real: Any,
                       noise: Any) -> float:
    """One update of D: fakes made under ``no_grad()`` (numbers), D's loss, ``backward()``, D's step.

    Returns:
        D's loss before the update.

    Raises:
        TypeError, ValueError: a bad argument (``d_optimizer`` must hold exactly D's parameters).
    """
    generator, discriminator = _players(generator, discriminator)
    d_optimizer = _optimizer(d_optimizer, "d_optimizer", discriminator)
    fake = generate(generator, noise)
    return _descend(d_optimizer, lambda: discriminator_loss(discriminator, real, fake))


def generator_step(generator: Module, discriminator: Module, g_optimizer: Optimizer, noise: Any) -> float:
    """One update of G: its loss through D, ``backward()`` into both, and only G's optimizer steps.

    D's parameters keep their values; their ``.grad`` now holds this step's gradients, which
    :func:`discriminator_step` zeroes before using.

    Returns:
        G's loss before the update.

    Raises:
        TypeError, ValueError: a bad argument (``g_optimizer`` must hold exactly G's parameters).
    """
    generator, discriminator = _players(generator, discriminator)
    g_optimizer = _optimizer(g_optimizer, "g_optimizer", generator)
    return _descend(g_optimizer, lambda: generator_loss(generator, discriminator, noise))


def compiled_steps(generator: Module, discriminator: Module, d_optimizer: Optimizer, g_optimizer: Optimizer,
                   noise_dim: int) -> tuple[Callable[[Any, Any], float], Callable[[Any], float]]:
    """:func:`discriminator_step` and :func:`generator_step` on programs traced once, a whole batch per call.

    ``autograd_engine.trace`` records one sample's term of each loss with the players' parameters
    (their Value objects) as inputs, so a program's gradient comes back summed over the batch (the
    seed ``1/B`` makes it the mean's). G's program is differentiated with respect to G's parameters
    only (``wrt=(0,)``): D's parameters are inputs it reads, as in the scalar step, where they receive
    gradients but are not stepped. The fakes of D's step are a program's outputs, plain numbers. The
    gradients are written into the parameters' ``.grad`` and each optimizer steps as usual.

    Returns:
        ``(d_step(real, noise), g_step(noise))``, each returning its loss before the update; ``real``
        (B, dim) and ``noise`` (B, noise_dim) arrays.

    Raises:
        TypeError, ValueError: a bad argument (the message names it), or a discriminator that does
            not return one logit.

    >>> from nn import MLP, SGD
    >>> G, D = MLP(1, [4, 1], seed=0), MLP(1, [4, 1], seed=1)
    >>> d_step, g_step = compiled_steps(G, D, SGD(D.parameters(), lr=0.1), SGD(G.parameters(), lr=0.1), 1)
    >>> noise = sample_noise(8, 1)
    >>> before = generator_loss(G, D, noise).data
    >>> abs(g_step(noise) - before) < 1e-12
    True
    """
    from autograd_engine import softplus, trace

    generator, discriminator = _players(generator, discriminator)
    d_optimizer = _optimizer(d_optimizer, "d_optimizer", discriminator)
    g_optimizer = _optimizer(g_optimizer, "g_optimizer", generator)
    noise_dim = as_int(noise_dim, "noise_dim", minimum=1, maximum=MAX_SAMPLES)
    gp, dp = generator.parameters(), discriminator.parameters()

    def logit(x: list[Value]) -> Value:
        out = _vector(discriminator(x))
        if len(out) != 1:
            raise ValueError(f"discriminator must return one logit, got {len(out)} outputs")
        return out[0]

    def fake_term(wg: list[Value], wd: list[Value], z: list[Value]) -> Value:
        return softplus(-logit(_vector(generator(z))))  # BCE(D(G(z)), 1)

    def d_term(wd: list[Value], x: list[Value], t: Value) -> Value:
        z = logit(x)
        return softplus(z) - t * z  # BCE(D(x), t)

    g_program = trace(fake_term, gp, dp, [0.0] * noise_dim)
    fakes = trace(lambda wg, z: _vector(generator(z)), gp, [0.0] * noise_dim)
    d_program = trace(d_term, dp, [0.0] * len(fakes.output_names), 0.0)

    def weights(params: list[Value]) -> np.ndarray:
        return np.array([p.data for p in params])

    def descend(optimizer: Optimizer, params: list[Value], grad: np.ndarray) -> None:
        for p, g in zip(params, grad.tolist()):
            p.grad = g
        optimizer.step()

    def d_step(real: Any, noise: Any) -> float:
        real, noise = np.array(_samples(real, "real")), np.array(_samples(noise, "noise"))
        _width(real, "real", len(fakes.output_names))
        fake = np.stack(fakes(weights(gp), noise.T), axis=1)
        seed = np.r_[np.full(len(real), 1 / len(real)), np.full(len(fake), 1 / len(fake))]
        out, grads = d_program.value_and_grad(weights(dp), np.concatenate([real, fake]).T,
                                              np.r_[np.ones(len(real)), np.zeros(len(fake))], seed=seed, wrt=(0,))
        descend(d_optimizer, dp, grads[0])
        return float(out @ seed)

    def g_step(noise: Any) -> float:
        noise = np.array(_samples(noise, "noise"))
        seed = np.full(len(noise), 1 / len(noise))
        out, grads = g_program.value_and_grad(weights(gp), weights(dp), noise.T, seed=seed, wrt=(0,))
        descend(g_optimizer, gp, grads[0])
        return float(out @ seed)

    return d_step, g_step


@dataclass
class GANHistory:
    """What :func:`train_gan` recorded.

    Attributes:
        d_loss, g_loss: each step's discriminator and generator loss (before that step's update).
        snapshots: step -> the generator's samples for a fixed noise batch (an array (n, dim)); step 0
            is the untrained generator.
    """

    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)


def train_gan(generator: Module, discriminator: Module, data: Any, *, steps: int, batch_size: int = 32,
              noise_dim: int = 1, lr: float = 0.01, d_lr: float | None = None, betas: Sequence[float] = (0.5, 0.999),
              snapshot_every: int | None = None, snapshot_size: int = 500, seed: Seed = 0,
              compile: bool = False) -> GANHistory:
    """Alternate :func:`discriminator_step` and :func:`generator_step`, each player with its own Adam.

    Args:
        generator: maps ``noise_dim`` numbers to a sample (as many numbers as ``data`` has columns).
        discriminator: maps a sample to one logit.
        data: the real samples, an array (n, dim) (or 1-D for one-dimensional data); each step draws a
            mini-batch from it.
        steps: the number of rounds (one D step, then one G step), an int >= 1.
        batch_size: real samples (and noise vectors) per step.
        noise_dim: the generator's number of inputs.
        lr, d_lr: the generator's and the discriminator's learning rates (``d_lr`` None: ``lr``).
        betas: Adam's betas for both (GANs usually take 0.5 for the first).
        snapshot_every: every how many steps to record the generator's samples of a fixed noise batch
            of ``snapshot_size`` vectors (None: only before and after training).
        seed: the mini-batches and the noise (an int >= 0, a Generator or None).
        compile: run each step on programs traced once with ``autograd_engine.trace`` (see
            :func:`compiled_steps`): the same losses, gradients and updates, whole batches at a time.

    Returns:
        :class:`GANHistory`.

    Raises:
        TypeError, ValueError: a bad argument (the message names it).

    >>> from nn import MLP
    >>> G, D = MLP(1, [8, 1], activation="tanh", seed=0), MLP(1, [8, 1], activation="tanh", seed=1)
    >>> history = train_gan(G, D, sample_mixture(64, [-1.0, 1.0]), steps=3, batch_size=8)
    >>> len(history.d_loss), sorted(history.snapshots)
    (3, [0, 3])
    """
    generator, discriminator = _players(generator, discriminator)
    data = np.array(_samples(data, "data"))
    steps = as_int(steps, "steps", minimum=1, maximum=MAX_STEPS)
    batch_size = as_int(batch_size, "batch_size", minimum=1, maximum=MAX_SAMPLES)
    noise_dim = as_int(noise_dim, "noise_dim", minimum=1, maximum=MAX_SAMPLES)
    lr = as_learning_rate(lr)
    d_lr = lr if d_lr is None else as_learning_rate(d_lr, "d_lr")
    every = steps if snapshot_every is None else as_int(snapshot_every, "snapshot_every", minimum=1)
    snapshot_size = as_int(snapshot_size, "snapshot_size", minimum=1, maximum=MAX_SAMPLES)
    rng = numpy_rng(seed)
    g_opt = Adam(generator.parameters(), lr=lr, betas=betas)
    d_opt = Adam(discriminator.parameters(), lr=d_lr, betas=betas)
    if as_bool(compile, "compile"):
        d_step, g_step = compiled_steps(generator, discriminator, d_opt, g_opt, noise_dim)
    else:
        def d_step(real: np.ndarray, noise: np.ndarray) -> float:
            return discriminator_step(generator, discriminator, d_opt, real, noise)

        def g_step(noise: np.ndarray) -> float:
            return generator_step(generator, discriminator, g_opt, noise)
    fixed = rng.standard_normal((snapshot_size, noise_dim))
    history = GANHistory(snapshots={0: generate(generator, fixed)})
    _width(data, "data", history.snapshots[0].shape[1])
    for step in range(1, steps + 1):
        real = data[rng.integers(0, len(data), batch_size)]
        history.d_loss.append(d_step(real, rng.standard_normal((batch_size, noise_dim))))
        history.g_loss.append(g_step(rng.standard_normal((batch_size, noise_dim))))
        if step % every == 0 or step == steps:
            history.snapshots[step] = generate(generator, fixed)
    return history
