"""Every notebook in notebooks/ runs top to bottom, shows its pictures, and is committed clean and small."""

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXERCISES = NOTEBOOK_DIR / "12_build_your_own.ipynb"
SOLUTIONS = NOTEBOOK_DIR / "12_build_your_own_solutions.ipynb"
IMAGE_TYPES = ("image/png", "image/svg+xml")


def images(nb):
    return sum(1 for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
               if any(t in out.get("data", {}) for t in IMAGE_TYPES))


def test_the_notebooks_are_there():
    names = [p.name for p in NOTEBOOKS]
    for expected in ["01_values_and_graphs.ipynb", "02_backprop_by_hand.ipynb", "03_training_mlps.ipynb",
                     "04_vanishing_gradients.ipynb", "05_testing_gradients.ipynb", "06_equilibrium_propagation.ipynb",
                     "07_modern_architectures.ipynb", "08_convolution.ipynb", "09_recurrence.ipynb", "10_gan.ipynb",
                     "11_policy_gradient.ipynb", EXERCISES.name, SOLUTIONS.name]:
        assert expected in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_is_small_executed_and_error_free(path):
    assert path.stat().st_size < 1_000_000
    nb = nbformat.read(path, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells and all(c.execution_count is not None for c in code_cells), "commit the notebook executed"
    errors = [o for c in code_cells for o in c.outputs if o.output_type == "error"]
    assert not errors, f"stale error output: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    assert images(nb) > 0


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path):
    nb = nbformat.read(path, as_version=4)
    # the per-cell timeout only stops a hung kernel; it is far above any cell's running time
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    print(f"{path.name} ran in {time.perf_counter() - start:.1f} s")  # reported with -s; speed is not asserted
    assert images(nb) >= images(nbformat.read(path, as_version=4)) > 0  # every picture is still drawn


def tagged(nb, tag):
    return [c for c in nb.cells if tag in c.metadata.get("tags", [])]


def with_solutions(exercises, solutions):
    """The exercise notebook with each cell tagged "exercise" replaced by the solutions' cell of the same id."""
    answers = {c.id: c.source for c in tagged(solutions, "solution")}
    blanks = tagged(exercises, "exercise")
    assert len(blanks) == 3 and sorted(c.id for c in blanks) == sorted(answers), "exercises and solutions pair by id"
    for cell in blanks:
        cell.source = answers[cell.id]
    return exercises


def report_text(nb):
    """What the committed notebook's check_my_grads cell printed."""
    (cell,) = [c for c in nb.cells if c.get("id") == "check"]
    return "".join(cell.outputs[0]["data"]["text/plain"])


def test_notebook_12_exercises_are_stubs_and_the_solutions_are_written():
    exercises, solutions = nbformat.read(EXERCISES, as_version=4), nbformat.read(SOLUTIONS, as_version=4)
    for blank, answer in zip(tagged(exercises, "exercise"), tagged(solutions, "solution")):
        assert blank.source.startswith("# YOUR CODE") and "raise NotImplementedError" in blank.source
        assert answer.source.startswith("# YOUR CODE") and "NotImplementedError" not in answer.source
    assert [c.id for c in with_solutions(exercises, solutions).cells] == [c.id for c in exercises.cells]
    unfilled = report_text(nbformat.read(EXERCISES, as_version=4)).splitlines()
    assert unfilled[0].startswith("Value: 1 of 8 checks right, 7 to fix")
    assert [line.split()[:2] for line in unfilled[1:4]] == [["ok", "add"], ["..", "mul"], ["..", "tanh"]]
    assert report_text(solutions).startswith("Value: all 8 checks right")


@pytest.mark.notebook
def test_notebook_12_exercises_with_the_solutions_filled_in_pass_check_my_grads():
    nb = with_solutions(nbformat.read(EXERCISES, as_version=4), nbformat.read(SOLUTIONS, as_version=4))
    nb.cells.append(nbformat.v4.new_code_cell("assert report.ok, str(report)\nprint(report.summary())"))
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute()
    assert nb.cells[-1].outputs[0]["text"].startswith("Value: all 8 checks right")
    trained = [o["text"] for o in nb.cells[-3].outputs if o.get("name") == "stdout"]
    assert trained and trained[0].startswith("largest difference between the two losses: 0.0e+00")
