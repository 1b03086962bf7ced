"""Regenerate the figures under docs/: python docs/make_figures.py"""

from pathlib import Path

from autograd_engine import Value, save_graph

HERE = Path(__file__).resolve().parent


def neuron() -> Value:
    """tanh(x1*w1 + x2*w2 + b) with its gradients, the README's picture."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2, b = Value(-3.0, "w1"), Value(1.0, "w2"), Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    out = n.tanh()
    out.label = "out"
    out.backward()
    return out


if __name__ == "__main__":
    print(save_graph(neuron(), HERE / "neuron.svg"))
    print(save_graph(neuron(), HERE / "neuron_step3.svg", step=3))
