"""Regenerate the figures under docs/: python docs/make_figures.py

The neuron drawings come from the engine; the notebook thumbnails are the first
picture of each committed notebook (run the notebooks first).
"""

import base64
import io
from pathlib import Path

import nbformat
from PIL import Image

from autograd_engine import Value, save_graph

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE.parent / "notebooks"


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


def thumbnails(width: int = 360) -> None:
    """docs/notebooks/NN.png or .svg: the first picture of each notebook, PNGs scaled to ``width``."""
    folder = HERE / "notebooks"
    folder.mkdir(exist_ok=True)
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "data" in o]
        first = next(o["data"] for o in outputs if "image/png" in o["data"] or "image/svg+xml" in o["data"])
        stem = folder / path.stem[:2]
        if "image/png" in first:
            image = Image.open(io.BytesIO(base64.b64decode(first["image/png"])))
            image.thumbnail((width, width))
            image.save(stem.with_suffix(".png"), optimize=True)
            print(stem.with_suffix(".png"))
        else:
            stem.with_suffix(".svg").write_text(first["image/svg+xml"])
            print(stem.with_suffix(".svg"))


if __name__ == "__main__":
    print(save_graph(neuron(), HERE / "neuron.svg"))
    print(save_graph(neuron(), HERE / "neuron_step3.svg", step=3))
    thumbnails()
