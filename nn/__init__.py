"""Neural networks built from ``autograd_engine.Value`` nodes: a drop-in for micrograd's ``nn``, and more.

>>> from nn import MLP, fit, make_moons
>>> X, y = make_moons(100, noise=0.1)
>>> model = MLP(2, [16, 16, 1], seed=1337)
>>> history = fit(model, X, y, loss="hinge", optimizer="sgd", lr=0.5, epochs=30, progress=False)
>>> history.accuracy[-1] > 0.8
True
"""

from .compiled import to_torch
from .containers import Residual, Sequential
from .conv import Conv2d, Flatten, MaxPool2d, Unflatten
from .data import (
    DATASETS,
    batches,
    load_digits,
    make_adding,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
)
from .gan import discriminator_step, generator_step, sample_mixture, train_gan
from .layers import Embedding, Linear, SelfAttention
from .losses import LOSSES, binary_cross_entropy, cross_entropy, hinge, mse
from .mlp import ACTIVATIONS, INITS, MLP, Activation, Layer, Neuron
from .module import MODULES, Module, register_module
from .norm import BatchNorm, LayerNorm, RMSNorm
from .optim import OPTIMIZERS, SGD, Adam, CosineLR, LinearLR, Optimizer, RMSprop, StepLR, clip_grad_norm
from .plot import plot_decision_boundary, plot_history
from .recurrent import CELLS, RNN, GRUCell, LSTMCell, RNNCell
from .rl import bandit_gradient, evaluate_policy, reinforce, run_episode, score_function_samples
from .serialization import load, save
from .train import History, accuracy, fit, predict

__all__ = [
    "Module", "MODULES", "register_module",
    "Neuron", "Layer", "MLP", "Activation", "ACTIVATIONS", "INITS", "Sequential", "Residual",
    "BatchNorm", "LayerNorm", "RMSNorm",
    "Linear", "Embedding", "SelfAttention",
    "Conv2d", "MaxPool2d", "Flatten", "Unflatten", "RNNCell", "GRUCell", "LSTMCell", "RNN",
    "CELLS",
    "mse", "binary_cross_entropy", "cross_entropy", "hinge", "LOSSES",
    "Optimizer", "SGD", "RMSprop", "Adam", "StepLR", "LinearLR", "CosineLR", "clip_grad_norm", "OPTIMIZERS",
    "make_xor", "make_moons", "make_circles", "make_spirals", "make_blobs", "make_adding", "load_digits", "batches",
    "DATASETS",
    "fit", "predict", "accuracy", "History", "plot_decision_boundary", "plot_history", "to_torch",
    "save", "load",
    "sample_mixture", "train_gan", "discriminator_step", "generator_step",
    "reinforce", "run_episode", "evaluate_policy", "score_function_samples", "bandit_gradient",
]
