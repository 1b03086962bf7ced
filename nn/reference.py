"""Backpropagation by hand: the textbook delta equations in NumPy, the baseline autodiff must match.

For a fully connected network with layers ``l = 1 .. L``, weights ``W_l`` of shape
(n_l, n_{l-1}), biases ``b_l``, pre-activations ``z_l = W_l a_{l-1} + b_l`` and
activations ``a_l = sigma_l(z_l)`` (``a_0`` is the input), backpropagation is::

    delta_L = dC/da_L * sigma_L'(z_L)                 (output error)
    delta_l = (W_{l+1}^T delta_{l+1}) * sigma_l'(z_l)   (hidden error)
    dC/dW_l = delta_l a_{l-1}^T                         dC/db_l = delta_l

summed over the samples of a mini-batch (the cost is already the batch mean).
Samples are the rows of ``X`` here, so the code multiplies on the right.

Costs, with ``n`` samples and ``k`` outputs:

* ``"mse"``: ``C = mean((a_L - y)^2)`` over samples and outputs (``nn.mse``), so
  ``dC/da_L = 2 (a_L - y) / (n k)``, with any output activation;
* ``"cross_entropy"`` with a ``"softmax"`` output: ``C = mean(-log a_L[class])``
  (``nn.cross_entropy`` on the logits ``z_L``); softmax and cross-entropy together give
  ``delta_L = (a_L - onehot(y)) / n``;
* ``"cross_entropy"`` with a ``"sigmoid"`` output and one unit: binary cross-entropy
  (``nn.binary_cross_entropy`` on ``z_L``), again ``delta_L = (a_L - y) / n``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_engine.validation import as_choice, as_int, as_real, describe, numpy_rng

from .data import Seed, as_array, as_layer_sizes
from .mlp import MLP
from .optim import as_learning_rate
from .train import MAX_EPOCHS

__all__ = ["Params", "forward", "backprop", "loss", "init_params", "params_from_model", "load_into_model",
           "train", "ACTIVATIONS"]

Params = list[tuple[np.ndarray, np.ndarray]]

#: The most weights ``init_params`` makes (a bound turns a typo in ``sizes`` into an error).
MAX_WEIGHTS = 10**7


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * z))  # the logistic function without overflow


#: name -> (sigma, sigma' as a function of z)
ACTIVATIONS = {
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "linear": (lambda z: z, np.ones_like),
}


@dataclass
class _Pass:
    zs: list[np.ndarray]
    activations: list[np.ndarray]


def _output(z: np.ndarray, output_activation: str) -> np.ndarray:
    if output_activation == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return ACTIVATIONS[output_activation][0](z)


def _check(params: Any, activation: Any, output_activation: Any, cost: Any = None) -> Params:
    """The checked parameters, as float arrays; every other argument checked too."""
    as_choice(activation, "activation", tuple(ACTIVATIONS))
    as_choice(output_activation, "output_activation", (*ACTIVATIONS, "softmax"))
    if cost is not None:
        as_choice(cost, "cost", ("mse", "cross_entropy"))
        if cost == "cross_entropy" and output_activation not in ("softmax", "sigmoid"):
            raise ValueError(f"cost 'cross_entropy' needs a softmax output (classes) or a sigmoid output (binary), "
                             f"got output_activation {output_activation!r}")
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"params must be a list of (W, b) pairs, got {describe(params)}")
    if not params:
        raise ValueError("params must hold at least one (W, b) layer, got an empty list")
    checked: Params = []
    for i, layer in enumerate(params):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise TypeError(f"params[{i}] must be a pair (W, b) of arrays, got {describe(layer)}")
        W, b = as_array(layer[0], f"params[{i}][0]", finite=True), as_array(layer[1], f"params[{i}][1]", finite=True)
        if W.ndim != 2 or b.shape != (W.shape[0],) or 0 in W.shape:
            raise ValueError(f"layer {i}: W must be (n_out, n_in) and b (n_out,), got {W.shape} and {b.shape}")
        if i and W.shape[1] != checked[-1][0].shape[0]:
            raise ValueError(f"layer {i} takes {W.shape[1]} inputs but layer {i - 1} gives {checked[-1][0].shape[0]}")
        checked.append((W, b))
    return checked


def _inputs(params: Params, X: Any) -> np.ndarray:
    X = as_array(X, "X", ndim=2, finite=True)
    if X.shape[1] != params[0][0].shape[1]:
        raise ValueError(f"X must have {params[0][0].shape[1]} features per sample (the first W's columns), "
                         f"got shape {X.shape}")
    return X


def _forward(params: Params, X: np.ndarray, activation: str, output_activation: str) -> _Pass:
    a = np.asarray(X, dtype=float)
    zs, acts = [], [a]
    for i, (W, b) in enumerate(params):
        z = a @ W.T + b
        last = i == len(params) - 1
        a = _output(z, output_activation) if last else ACTIVATIONS[activation][0](z)
        zs.append(z)
        acts.append(a)
    return _Pass(zs, acts)


def forward(params: Params, X: Any, activation: str = "sigmoid", output_activation: str = "sigmoid") -> np.ndarray:
    """The network's outputs ``a_L`` for every row of ``X`` (shape (n, n_L)).

    Raises:
        TypeError, ValueError: a bad argument (the message names it).
    """
    params = _check(params, activation, output_activation)
    return _forward(params, _inputs(params, X), activation, output_activation).activations[-1]


def _targets(Y: Any, a: np.ndarray, cost: str, output_activation: str) -> np.ndarray:
    n, k = a.shape
    if cost == "cross_entropy" and output_activation == "softmax":
        Y = as_array(Y, "Y", ndim=(1, 2), finite=True).reshape(-1)
        if len(Y) != n or (np.round(Y) != Y).any() or (Y < 0).any() or (k <= Y).any():
            raise ValueError(f"Y must hold {n} class indices from 0 to {k - 1} (one per sample), "
                             f"got {describe(Y)}")
        onehot = np.zeros_like(a)
        onehot[np.arange(n), Y.astype(int)] = 1.0
        return onehot
    Y = as_array(Y, "Y", finite=True)
    if Y.size != n * k or Y.ndim > 2:
        raise ValueError(f"Y must have shape ({n}, {k}): {k} target(s) per sample, got shape {Y.shape}")
    return Y.reshape(a.shape)


def loss(params: Params, X: Any, Y: Any, activation: str = "sigmoid", output_activation: str = "sigmoid",
         cost: str = "mse") -> float:
    """The cost ``C`` of the batch (see the module docstring for the definitions)."""
    params = _check(params, activation, output_activation, cost)
    p = _forward(params, _inputs(params, X), activation, output_activation)
    a = p.activations[-1]
    y = _targets(Y, a, cost, output_activation)
    if cost == "mse":
        return float(np.mean((a - y) ** 2))
    z = p.zs[-1]
    if output_activation == "softmax":
        m = z.max(axis=1, keepdims=True)
        log_probs = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        return float(-np.mean(np.sum(y * log_probs, axis=1)))
    return float(np.mean(np.logaddexp(0.0, z) - y * z))  # binary cross-entropy from the logit


def backprop(params: Params, X: Any, Y: Any, activation: str = "sigmoid", output_activation: str = "sigmoid",
             cost: str = "mse") -> tuple[list[np.ndarray], list[np.ndarray]]:
    """dC/dW_l and dC/db_l for every layer, by the delta equations.

    Args:
        params: ``[(W_1, b_1), ..., (W_L, b_L)]``, ``W_l`` of shape (n_l, n_{l-1}).
        X: inputs, shape (n, n_0). Y: targets, shape (n, n_L) (or class indices for softmax).
        activation: hidden layers' activation: "sigmoid", "tanh", "relu" or "linear".
        output_activation: the last layer's, or "softmax".
        cost: "mse" or "cross_entropy".

    Returns:
        ``(dW, db)``: lists of arrays shaped like the ``W_l`` and ``b_l``.

    >>> W = [(np.array([[0.5, -1.0]]), np.array([0.1]))]
    >>> dW, db = backprop(W, np.array([[1.0, 2.0]]), np.array([[1.0]]))
    >>> dW[0].shape, db[0].shape
    ((1, 2), (1,))

    Raises:
        TypeError, ValueError: a bad argument (the message names it).
    """
    params = _check(params, activation, output_activation, cost)
    p = _forward(params, _inputs(params, X), activation, output_activation)
    a_L, z_L = p.activations[-1], p.zs[-1]
    y = _targets(Y, a_L, cost, output_activation)
    n, k = a_L.shape
    if cost == "mse":
        delta = 2 * (a_L - y) / (n * k) * _prime(output_activation, z_L)  # delta_L = dC/da_L * sigma'(z_L)
    else:
        delta = (a_L - y) / n  # softmax or sigmoid with cross-entropy
    dW: list[np.ndarray] = [np.empty(0)] * len(params)
    db: list[np.ndarray] = [np.empty(0)] * len(params)
    for layer in range(len(params) - 1, -1, -1):
        dW[layer] = delta.T @ p.activations[layer]  # dC/dW_l = delta_l a_{l-1}^T, summed over samples
        db[layer] = delta.sum(axis=0)  # dC/db_l = delta_l
        if layer:
            W_next = params[layer][0]
            delta = (delta @ W_next) * ACTIVATIONS[activation][1](p.zs[layer - 1])  # (W^T delta) * sigma'(z)
    return dW, db


def _prime(name: str, z: np.ndarray) -> np.ndarray:
    if name == "softmax":
        raise ValueError("mse with a softmax output is not supported by the delta equations here; use cross_entropy")
    return ACTIVATIONS[name][1](z)


def init_params(sizes: Sequence[int], seed: Seed = 0, scale: float = 1.0) -> Params:
    """Uniform(-scale, scale) weights and zero biases for layer sizes ``[n_0, n_1, ..., n_L]``.

    Args:
        sizes: two or more ints >= 1 (at most ``MAX_WEIGHTS`` weights in all).
        seed: an int, a ``numpy.random.Generator``, or None (seeded from Python's ``random``).
        scale: a finite number >= 0.
    """
    sizes = as_layer_sizes(sizes, MAX_WEIGHTS, "nn.reference.MAX_WEIGHTS")
    scale = as_real(scale, "scale", finite=True, minimum=0)
    rng = numpy_rng(seed)
    return [(rng.uniform(-scale, scale, (n_out, n_in)), np.zeros(n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def _check_model(model: Any) -> MLP:
    if not isinstance(model, MLP):
        raise TypeError(f"model must be an nn.MLP, got {describe(model)}")
    return model


def params_from_model(model: MLP) -> Params:
    """The ``(W, b)`` arrays of an ``nn.MLP`` (row j of ``W_l`` is neuron j's weights)."""
    _check_model(model)
    return [(np.array([[w.data for w in n.w] for n in layer.neurons]), np.array([n.b.data for n in layer.neurons]))
            for layer in model.layers]


def load_into_model(model: MLP, params: Params) -> MLP:
    """Copy ``(W, b)`` arrays into an ``nn.MLP`` of the same shape; returns the model (unchanged on an error)."""
    _check_model(model)
    params = _check(params, "linear", "linear")
    if len(params) != len(model.layers):
        raise ValueError(f"params has {len(params)} layers, the model {len(model.layers)}")
    state = {}
    for i, ((W, b), layer) in enumerate(zip(params, model.layers)):
        if W.shape != (len(layer.neurons), len(layer.neurons[0].w)):
            raise ValueError(f"layer {i}: W is {W.shape}, the model's layer is "
                             f"{(len(layer.neurons), len(layer.neurons[0].w))}")
        for j in range(W.shape[0]):
            for k in range(W.shape[1]):
                state[f"layers.{i}.neurons.{j}.w.{k}"] = float(W[j, k])
            state[f"layers.{i}.neurons.{j}.b"] = float(b[j])
    model.load_state_dict(state)
    return model


def train(params: Params, X: Any, Y: Any, *, lr: float, epochs: int, activation: str = "sigmoid",
          output_activation: str = "sigmoid", cost: str = "mse") -> tuple[Params, list[float]]:
    """Full-batch gradient descent with :func:`backprop`; returns the new params and the cost before each step.

    ``lr`` is a finite number > 0 and ``epochs`` an int from 1 to ``nn.train.MAX_EPOCHS``, as in ``nn.fit``.
    """
    params = _check(params, activation, output_activation, cost)
    lr = as_learning_rate(lr)
    epochs = as_int(epochs, "epochs", minimum=1, maximum=MAX_EPOCHS)
    X = _inputs(params, X)
    _targets(Y, _forward(params, X, activation, output_activation).activations[-1], cost, output_activation)
    params = [(W.copy(), b.copy()) for W, b in params]
    curve = []
    for _ in range(epochs):
        curve.append(loss(params, X, Y, activation, output_activation, cost))
        dW, db = backprop(params, X, Y, activation, output_activation, cost)
        params = [(W - lr * gW, b - lr * gb) for (W, b), gW, gb in zip(params, dW, db)]
    return params, curve
