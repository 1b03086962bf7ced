"""nn.plot: figures with the expected content (matplotlib, headless)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from nn import MLP, fit, make_moons, make_spirals, plot_decision_boundary, plot_history


def test_decision_boundary_figure():
    X, y = make_moons(40, seed=0)
    model = MLP(2, [8, 1], seed=0)
    fig = plot_decision_boundary(model, X, y, resolution=30)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title().startswith("decision boundary (accuracy ")
    assert len(ax.collections) >= 2  # the filled regions and the scatter of points
    offsets = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(np.asarray(offsets), X)


def test_multiclass_and_given_axes():
    X, y = make_spirals(30, 3, seed=0)
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_decision_boundary(MLP(2, [4, 3], seed=0), X, y, ax=ax, resolution=10, title="t") is fig
    assert ax.get_title() == "t"
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        plot_decision_boundary(MLP(3, [1], seed=0), np.zeros((4, 3)), np.zeros(4))


def test_history_figure():
    X, y = make_moons(20, seed=0)
    history = fit(MLP(2, [4, 1], seed=0), X, y, epochs=5, progress=False)
    fig = plot_history(history)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), history.loss)
    assert len(fig.axes) == 2  # the accuracy axis
    fig2 = plot_history(history.as_dict(), label="adam", log=True)
    assert fig2.axes[0].get_yscale() == "log" and fig2.axes[0].get_legend() is not None
    with pytest.raises(TypeError, match="history must be a History"):
        plot_history([1, 2])


def test_figures_show_themselves_in_notebooks():
    fig = plot_history({"loss": [3.0, 2.0, 1.0]})
    assert fig._repr_png_().startswith(b"\x89PNG")
