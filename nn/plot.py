"""Plots with matplotlib (imported inside the functions, so ``import nn`` stays light)."""

from __future__ import annotations

import functools
import io
from typing import TYPE_CHECKING, Any

import numpy as np

from .train import History, predict

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_decision_boundary", "plot_history"]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _figure(ax: Axes | None, size: tuple[float, float] = (5.0, 4.0)) -> tuple[Figure, Axes]:
    """A new Figure (not tracked by pyplot) that shows itself in Jupyter, or the figure of ``ax``."""
    from matplotlib.figure import Figure

    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=size, layout="constrained")
    fig._repr_png_ = functools.partial(_png, fig)  # a notebook displays it without pyplot's inline backend
    return fig, fig.add_subplot()


def _classes(scores: np.ndarray, threshold: float) -> np.ndarray:
    return scores.argmax(axis=1) if scores.ndim == 2 else (scores > threshold).astype(int)


def plot_decision_boundary(model: Any, X: Any, y: Any, *, ax: Axes | None = None, resolution: int = 120,
                           threshold: float | None = None, title: str | None = None) -> Figure:
    """The model's decision regions over the plane with the data on top; returns the Figure.

    Args:
        model: a Module (or function) taking a sample of 2 features.
        X: shape (n, 2). y: integer labels (any two values for a binary problem).
        ax: draw into these axes instead of a new figure.
        resolution: grid points per side.
        threshold: where a single output switches class; by default 0.5 for a model with a
            sigmoid output, else 0 (scores and logits).
        title: the axes' title (default: the accuracy on ``X, y``).

    Raises:
        ValueError: ``X`` is not of shape (n, 2).
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2) to draw a plane, got {X.shape}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    if threshold is None:
        config = model.config() if hasattr(model, "config") else None
        threshold = 0.5 if config and config.get("output_activation") == "sigmoid" else 0.0
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0)) + 0.1
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = _classes(predict(model, np.c_[xx.ravel(), yy.ravel()]), threshold).reshape(xx.shape)
    labels = np.unique(y)
    y_index = np.searchsorted(labels, y) if len(labels) > 2 else (y == labels[-1]).astype(int)
    right = (_classes(predict(model, X), threshold) == y_index).mean()
    fig, ax = _figure(ax)
    k = max(len(labels), int(grid.max()) + 1)
    ax.contourf(xx, yy, grid, levels=np.arange(k + 1) - 0.5, cmap="Spectral", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y_index, cmap="Spectral", vmin=0, vmax=k - 1, s=22, edgecolors="k",
               linewidths=0.5)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_title(title if title is not None else f"decision boundary (accuracy {right:.1%})")
    return fig


def plot_history(history: History | dict[str, list[Any]], *, ax: Axes | None = None, label: str | None = None,
                 log: bool = False) -> Figure:
    """Loss per epoch (and accuracy on a second axis, when recorded); returns the Figure.

    Args:
        history: what ``fit`` returned (or its ``as_dict()``).
        ax: draw into these axes (e.g. to compare several runs on one plot).
        label: legend label for this run's loss curve.
        log: logarithmic loss axis.
    """
    data = history.as_dict() if isinstance(history, History) else history
    if not isinstance(data, dict) or "loss" not in data:
        raise TypeError(f"history must be a History or a dict with 'loss', got {type(history).__name__}")
    fig, ax = _figure(ax)
    epochs = np.arange(1, len(data["loss"]) + 1)
    ax.plot(epochs, data["loss"], label=label or "loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("log")
    acc = [a for a in data.get("accuracy", []) if a is not None]
    if acc and len(acc) == len(epochs) and label is None:
        twin = ax.twinx()
        twin.plot(epochs, acc, color="tab:green", label="accuracy")
        twin.set_ylabel("accuracy")
        twin.set_ylim(0, 1.05)
    if label is not None:
        ax.legend()
    return fig
