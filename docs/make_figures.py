"""Regenerate the figures under docs/: python docs/make_figures.py

The neuron drawings come from the engine; the notebook thumbnails are the first
picture of each committed notebook, one per notebook number (run the notebooks first).
Where a notebook's first picture shows its data rather than its lesson, the README
shows a figure cropped by hand from that notebook's outputs, in docs/images/, instead
(docs/images/step_through.png is made by scripts/step_through_picture.py).
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


def pictures(path: Path) -> list[dict]:
    """The image outputs of a notebook, in order, each as its output's ``data`` mapping."""
    nb = nbformat.read(path, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "data" in o]
    return [o["data"] for o in outputs if "image/png" in o["data"] or "image/svg+xml" in o["data"]]


def thumbnails(width: int = 360) -> None:
    """docs/notebooks/NN.png or .svg: one picture per notebook number, PNGs scaled to ``width``.

    The picture is the first one of the first notebook of that number (``12_build_your_own`` before
    ``12_build_your_own_solutions``: notebooks sharing a number share one row of the README's table).
    """
    folder = HERE / "notebooks"
    folder.mkdir(exist_ok=True)
    done: set[str] = set()
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        number = path.stem[:2]
        found = pictures(path)
        if number in done or not found:
            continue
        done.add(number)
        first, stem = found[0], folder / number
        for old in (stem.with_suffix(".png"), stem.with_suffix(".svg")):
            old.unlink(missing_ok=True)
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
