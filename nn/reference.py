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

from .module import MLP

__all__ = ["Params", "forward", "backprop", "loss", "init_params", "params_from_model", "load_into_model",
           "train", "ACTIVATIONS"]

Params = list[tuple[np.ndarray, np.ndarray]]


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


def _check(params: Params, activation: str, output_activation: str, cost: str | None = None) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    if output_activation not in (*ACTIVATIONS, "softmax"):
        raise ValueError(f"output_activation must be one of {', '.join(ACTIVATIONS)}, softmax; "
                         f"got {output_activation!r}")
    if cost is not None:
        if cost not in ("mse", "cross_entropy"):
            raise ValueError(f"cost must be 'mse' or 'cross_entropy', got {cost!r}")
        if cost == "cross_entropy" and output_activation not in ("softmax", "sigmoid"):
            raise ValueError("cross_entropy needs a softmax output (classes) or a sigmoid output (binary)")
    if not params:
        raise ValueError("params must hold at least one (W, b) layer")
    for i, (W, b) in enumerate(params):
        if W.ndim != 2 or b.shape != (W.shape[0],):
            raise ValueError(f"layer {i}: W must be (n_out, n_in) and b (n_out,), got {W.shape} and {b.shape}")
        if i and W.shape[1] != params[i - 1][0].shape[0]:
            raise ValueError(f"layer {i} takes {W.shape[1]} inputs but layer {i - 1} gives {params[i - 1][0].shape[0]}")


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
    """The network's outputs ``a_L`` for every row of ``X`` (shape (n, n_L))."""
    _check(params, activation, output_activation)
    return _forward(params, X, activation, output_activation).activations[-1]


def _targets(Y: Any, a: np.ndarray, cost: str, output_activation: str) -> np.ndarray:
    Y = np.asarray(Y)
    if cost == "cross_entropy" and output_activation == "softmax":
        onehot = np.zeros_like(a)
        onehot[np.arange(len(Y)), Y.astype(int)] = 1.0
        return onehot
    return Y.reshape(a.shape).astype(float)


def loss(params: Params, X: Any, Y: Any, activation: str = "sigmoid", output_activation: str = "sigmoid",
         cost: str = "mse") -> float:
    """The cost ``C`` of the batch (see the module docstring for the definitions)."""
    _check(params, activation, output_activation, cost)
    p = _forward(params, X, activation, output_activation)
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
    """
    _check(params, activation, output_activation, cost)
    p = _forward(params, X, activation, output_activation)
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


def init_params(sizes: Sequence[int], seed: int = 0, scale: float = 1.0) -> Params:
    """Uniform(-scale, scale) weights and zero biases for layer sizes ``[n_0, n_1, ..., n_L]``."""
    rng = np.random.default_rng(seed)
    return [(rng.uniform(-scale, scale, (n_out, n_in)), np.zeros(n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def params_from_model(model: MLP) -> Params:
    """The ``(W, b)`` arrays of an ``nn.MLP`` (row j of ``W_l`` is neuron j's weights)."""
    return [(np.array([[w.data for w in n.w] for n in layer.neurons]), np.array([n.b.data for n in layer.neurons]))
            for layer in model.layers]


def load_into_model(model: MLP, params: Params) -> MLP:
    """Copy ``(W, b)`` arrays into an ``nn.MLP`` of the same shape; returns the model."""
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
    """Full-batch gradient descent with :func:`backprop`; returns the new params and the cost before each step."""
    params = [(W.copy(), b.copy()) for W, b in params]
    curve = []
    for _ in range(epochs):
        curve.append(loss(params, X, Y, activation, output_activation, cost))
        dW, db = backprop(params, X, Y, activation, output_activation, cost)
        params = [(W - lr * gW, b - lr * gb) for (W, b), gW, gb in zip(params, dW, db)]
    return params, curve
