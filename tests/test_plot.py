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


def test_decision_boundary_of_a_model_that_cannot_be_traced():
    # predict's default takes the compiled pass when the model traces and falls back to the scalar one
    from autograd_engine import Value
    from nn import Module, predict

    class Branchy(Module):  # a Python branch on a Value: not traceable
        def __init__(self):
            self.w = Value(1.0)

        def forward(self, x):
            return self.w * (0.25 - x[1]) if x[0] > 0.5 else self.w * (x[0] - x[1])

    X, y = make_moons(20, seed=1)
    model = Branchy()
    right = ((predict(model, X, compile=False) > 0) == (y == 1)).mean()
    title = plot_decision_boundary(model, X, y, resolution=12).axes[0].get_title()
    assert right == 0.75 and title == "decision boundary (accuracy 75.0%)"


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


def boundary(**kwargs):
    X, y = make_moons(10, seed=0)
    args = {"model": MLP(2, [2, 1], seed=0), "X": X, "y": y, "resolution": 5, **kwargs}
    return plot_decision_boundary(args.pop("model"), args.pop("X"), args.pop("y"), **args)


#: (id, call, exception, words in the message): both plot functions, one mistake each.
ERROR_CASES = [
    ("plot_history-accuracy-of-another-length", lambda: plot_history({"loss": [1.0, 0.5, 0.2], "accuracy": [0.5]}),
     ValueError, r"history\['accuracy'\] must hold one entry per epoch \(3\), got 1"),
    ("plot-decision-boundary-X-three-features",
     lambda: boundary(model=MLP(3, [1], seed=0), X=np.zeros((4, 3)), y=np.zeros(4)),
     ValueError, r"X must have shape \(n, 2\)"),
    ("plot-decision-boundary-X-none", lambda: boundary(X=None), TypeError,
     "X must be an array of real numbers, got NoneType None"),
    ("plot-decision-boundary-X-empty", lambda: boundary(X=np.zeros((0, 2)), y=[]), ValueError,
     "X must hold at least one sample"),
    ("plot-decision-boundary-X-nan", lambda: boundary(X=[[0.0, float("nan")]], y=[0]), ValueError,
     "X must hold finite numbers"),
    ("plot-decision-boundary-y-lengths", lambda: boundary(y=[0, 1]), ValueError,
     "X and y must have the same length, got 10 and 2"),
    ("plot-decision-boundary-y-none", lambda: boundary(y=None), TypeError, "y must be a list or 1-D array of labels"),
    ("plot-decision-boundary-model-none", lambda: boundary(model=None), TypeError,
     "model must be a Module or a function of one sample, got NoneType None"),
    ("plot-decision-boundary-resolution-one", lambda: boundary(resolution=1), ValueError,
     "resolution must be an int from 2 to 1000, got 1"),
    ("plot-decision-boundary-resolution-huge", lambda: boundary(resolution=10**6), ValueError,
     "resolution must be an int from 2"),
    ("plot-decision-boundary-resolution-float", lambda: boundary(resolution=30.0), TypeError,
     "resolution must be an int, got float"),
    ("plot-decision-boundary-threshold-nan", lambda: boundary(threshold=float("nan")), ValueError,
     "threshold must be a finite number, got nan"),
    ("plot-decision-boundary-threshold-str", lambda: boundary(threshold="0.5"), TypeError,
     "threshold must be a real number"),
    ("plot-decision-boundary-ax-str", lambda: boundary(ax="left"), TypeError,
     "ax must be matplotlib Axes or None, got str 'left'"),
    ("plot-decision-boundary-title-number", lambda: boundary(title=3), TypeError,
     "title must be a str or None, got int 3"),
    ("plot-decision-boundary-xlabel-number", lambda: boundary(xlabel=1), TypeError,
     "xlabel must be a str, got int 1"),
    ("plot-decision-boundary-ylabel-none", lambda: boundary(ylabel=None), TypeError,
     "ylabel must be a str, got NoneType None"),
    ("plot-history-list", lambda: plot_history([1, 2]), TypeError, "history must be a History"),
    ("plot-history-loss-strings", lambda: plot_history({"loss": ["a"]}), TypeError,
     r"history\['loss'\] must be a list of numbers"),
    ("plot-history-empty", lambda: plot_history({"loss": []}), ValueError,
     "history\\['loss'\\] must hold at least one epoch"),
    ("plot-history-log-str", lambda: plot_history({"loss": [1.0]}, log="yes"), TypeError,
     r"log must be a bool \(True or False\), got str 'yes'"),
    ("plot-history-label-number", lambda: plot_history({"loss": [1.0]}, label=1), TypeError,
     "label must be a str or None"),
]



def test_numpy_scalars_and_string_labels():
    X, _ = make_moons(10, seed=0)
    labels = np.array(["a", "b"] * 5)
    fig = plot_decision_boundary(MLP(2, [2, 1], seed=0), X, labels, resolution=np.int64(5),
                                 threshold=np.float32(0.0))
    assert fig.axes[0].get_title().startswith("decision boundary")
    fig = plot_history({"loss": [np.float32(1.0)], "accuracy": [None]}, log=np.bool_(True))
    assert fig.axes[0].get_yscale() == "log"


def test_every_figure_is_readable_without_the_text():
    # a boundary plot names its axes and its classes; a history plot has a legend with or without a label
    labels = np.array(["a", "b"] * 5)
    ax = boundary(y=labels).axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("feature 1", "feature 2")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    ax = boundary(xlabel="x₁", ylabel="x₂").axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x₁", "x₂")
    X3, y3 = make_spirals(30, 3, seed=0)
    ax = plot_decision_boundary(MLP(2, [4, 3], seed=0), X3, y3, resolution=6).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2"]
    fig = plot_history({"loss": [1.0, 0.5], "accuracy": [0.5, 0.75]})
    legend = fig.axes[0].get_legend()
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == ["loss", "accuracy"]
    legend = plot_history({"loss": [1.0, 0.5]}).axes[0].get_legend()
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == ["loss"]


def test_a_model_with_one_output_in_a_list_has_two_regions():
    from nn import Linear, Sequential

    X, y = make_moons(10, seed=0)
    model = Sequential(Linear(2, 1, seed=1))  # right on 3 of 10 by its sign; argmax would give 5 of 10
    regions = plot_decision_boundary(model, X, y, resolution=20).axes[0]
    # the score's sign splits the plane (argmax over one column would paint a single class)
    right = np.mean((model_scores(model, X) > 0) == (y == 1))
    assert regions.get_title() == f"decision boundary (accuracy {right:.1%})"
    assert right == 0.3


def model_scores(model, X):
    from nn import predict

    return predict(model, X)[:, 0]
