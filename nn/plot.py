"""Plots with matplotlib (imported inside the functions, so ``import nn`` stays light)."""

from __future__ import annotations

import functools
import io
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd_engine.validation import as_bool, as_int, as_real, describe, is_real

from .data import as_array
from .train import History, predict

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_decision_boundary", "plot_history"]

#: The most grid points per side of a decision boundary (the model runs on resolution ** 2 points).
MAX_RESOLUTION = 1000


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _figure(ax: Axes | None, size: tuple[float, float] = (5.0, 4.0)) -> tuple[Figure, Axes]:
    """A new Figure (not tracked by pyplot) that shows itself in Jupyter, or the figure of ``ax``."""
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if ax is not None:
        if not isinstance(ax, Axes):
            raise TypeError(f"ax must be matplotlib Axes or None, got {describe(ax)}")
        return ax.figure, ax
    fig = Figure(figsize=size, layout="constrained")
    fig._repr_png_ = functools.partial(_png, fig)  # a notebook displays it without pyplot's inline backend
    return fig, fig.add_subplot()


def _classes(scores: np.ndarray, threshold: float) -> np.ndarray:
    if scores.ndim == 2 and scores.shape[1] == 1:  # one score per sample, in a list
        scores = scores[:, 0]
    return scores.argmax(axis=1) if scores.ndim == 2 else (scores > threshold).astype(int)


def plot_decision_boundary(model: Any, X: Any, y: Any, *, ax: Axes | None = None, resolution: int = 120,
                           threshold: float | None = None, title: str | None = None, xlabel: str = "feature 1",
                           ylabel: str = "feature 2") -> Figure:
    """The model's decision regions over the plane with the data on top; returns the Figure.

    The axes are labelled (``xlabel``, ``ylabel``) and a legend names each class's colour by
    its label in ``y``.

    The grid (``resolution ** 2`` points, 14,400 by default) goes through :func:`predict`'s
    default: a Module whose forward pass traces is evaluated as one compiled batch (a few
    milliseconds), any other model sample by sample.

    Args:
        model: a Module (or function) taking a sample of 2 features.
        X: shape (n, 2), finite, at least one sample. y: labels, one per sample (any two values
            for a binary problem).
        ax: draw into these axes instead of a new figure.
        resolution: grid points per side (2 to ``MAX_RESOLUTION``).
        threshold: where a single output switches class (a finite number); by default 0.5 for
            a model with a sigmoid output, else 0 (scores and logits).
        title: the axes' title (default: the accuracy on ``X, y``).
        xlabel, ylabel: the names of the two features (default "feature 1", "feature 2").

    Raises:
        TypeError: an argument of the wrong type (``model`` not callable, ``X`` not numbers, a
            label that is not a str ...).
        ValueError: ``X`` is not of shape (n, 2) or empty, ``y`` does not match it, ``resolution``
            or ``threshold`` out of range.
    """
    if not callable(model):
        raise TypeError(f"model must be a Module or a function of one sample, got {describe(model)}")
    X = as_array(X, "X", finite=True)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2) to draw a plane, got {X.shape}")
    if not len(X):
        raise ValueError("X must hold at least one sample to draw, got shape (0, 2)")
    labels_given = y
    try:
        y = np.asarray(y) if isinstance(y, (list, tuple, np.ndarray)) else None
    except ValueError:  # ragged nested lists
        y = None
    if y is None or y.ndim != 1:
        raise TypeError(f"y must be a list or 1-D array of labels, one per sample, got {describe(labels_given)}")
    if len(y) != len(X):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    resolution = as_int(resolution, "resolution", minimum=2, maximum=MAX_RESOLUTION)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {describe(title)}")
    for name, text in (("xlabel", xlabel), ("ylabel", ylabel)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a str, got {describe(text)}")
    if threshold is None:
        config = model.config() if hasattr(model, "config") else None
        threshold = 0.5 if config and config.get("output_activation") == "sigmoid" else 0.0
    threshold = as_real(threshold, "threshold", finite=True)
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0)) + 0.1
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = _classes(predict(model, np.c_[xx.ravel(), yy.ravel()]), threshold).reshape(xx.shape)
    labels = np.unique(y)
    y_index = np.searchsorted(labels, y) if len(labels) > 2 else (y == labels[-1]).astype(int)
    right = (_classes(predict(model, X), threshold) == y_index).mean()
    from matplotlib.lines import Line2D

    fig, ax = _figure(ax)
    k = max(len(labels), int(grid.max()) + 1)
    ax.contourf(xx, yy, grid, levels=np.arange(k + 1) - 0.5, cmap="Spectral", alpha=0.35)
    points = ax.scatter(X[:, 0], X[:, 1], c=y_index, cmap="Spectral", vmin=0, vmax=k - 1, s=22, edgecolors="k",
                        linewidths=0.5)
    handles = [Line2D([], [], linestyle="", marker="o", markersize=6, markeredgecolor="k", markeredgewidth=0.5,
                      markerfacecolor=points.cmap(points.norm(i)), label=str(label))
               for i, label in enumerate(labels.tolist())]
    ax.legend(handles=handles, title="class", loc="best", fontsize="small")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title if title is not None else f"decision boundary (accuracy {right:.1%})")
    return fig


def plot_history(history: History | dict[str, list[Any]], *, ax: Axes | None = None, label: str | None = None,
                 log: bool = False) -> Figure:
    """Loss per epoch (and accuracy on a second axis, when recorded and no ``label`` is given); returns the Figure.

    The legend names the curves: ``label`` (default "loss") and, when drawn, "accuracy".

    Args:
        history: what ``fit`` (or ``nn.eqprop.train``) returned, or its ``as_dict()``.
        ax: draw into these axes (e.g. to compare several runs on one plot).
        label: legend label for this run's loss curve.
        log: logarithmic loss axis.

    Raises:
        TypeError: ``history`` is not a History or a dict of lists of numbers with "loss"; a
            ``label`` that is not a str, a ``log`` that is not a bool.
        ValueError: ``history['loss']`` is empty, or ``history['accuracy']`` (when given) has another length.
    """
    data = history.as_dict() if isinstance(history, History) else history
    if not isinstance(data, dict) or "loss" not in data:
        raise TypeError(f"history must be a History or a dict with 'loss', got {describe(history)}")
    for key in ("loss", "accuracy", "lr"):
        values = data.get(key, [])
        if not isinstance(values, (list, tuple, np.ndarray)) or \
                not all(is_real(v) or (v is None and key == "accuracy") for v in values):
            raise TypeError(f"history[{key!r}] must be a list of numbers, got {describe(values)}")
    if not len(data["loss"]):
        raise ValueError("history['loss'] must hold at least one epoch, got an empty list")
    if len(data.get("accuracy", [])) not in (0, len(data["loss"])):
        raise ValueError(f"history['accuracy'] must hold one entry per epoch ({len(data['loss'])}), "
                         f"got {len(data['accuracy'])}")
    if label is not None and not isinstance(label, str):
        raise TypeError(f"label must be a str or None, got {describe(label)}")
    log = as_bool(log, "log")
    fig, ax = _figure(ax)
    epochs = np.arange(1, len(data["loss"]) + 1)
    ax.plot(epochs, data["loss"], label=label or "loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("log")
    acc = [a for a in data.get("accuracy", []) if a is not None]
    handles = ax.get_lines()
    if acc and len(acc) == len(epochs) and label is None:
        twin = ax.twinx()
        handles += twin.plot(epochs, acc, color="tab:green", label="accuracy")
        twin.set_ylabel("accuracy")
        twin.set_ylim(0, 1.05)
    ax.legend(handles=handles, loc="best")
    return fig
