"""The autograd-engine console script: end to end in a subprocess, and every user mistake in-process.

The console script is ``nn.cli:main`` (``python -m nn``): ``demo`` and ``train`` from the network
package, ``graph`` from the engine (``python -m autograd_engine`` runs the grapher alone).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import nn
from autograd_engine import cli as engine_cli
from autograd_engine.cli import MAX_DEPTH, MAX_LENGTH, MAX_LITERAL, ExpressionError, parse_expression
from nn.cli import main

ROOT = Path(__file__).resolve().parent.parent
OP_LABEL = re.compile(r'^\to\d+ \[label=("(?:[^"\\]|\\.)*"|\S+)', re.M)


def run(*args, module="nn", cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


def fails(capsys, argv, message):
    """``argv`` is refused: status 2, one line on stderr naming the problem, and nothing started (no stdout)."""
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2, err
    assert out == ""  # no "training ..." line, no result
    assert message in err
    assert err.count("\n") == 1 and err.endswith("\n") and "Traceback" not in err
    return err


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody may write into (for root, whom permissions do not stop: a read-only file system)."""
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        yield str(folder)
        folder.chmod(0o755)
        return
    for candidate in ("/sys", "/proc/sys"):
        try:
            with tempfile.TemporaryFile(dir=candidate):
                pass
        except OSError:
            yield candidate
            return
    pytest.skip("no read-only folder to test with")


# -- the console script and its composition ---------------------------------------------------------------------

def test_console_script_is_the_composing_module():
    scripts = (ROOT / "pyproject.toml").read_text().split("[project.scripts]\n")[1].split("\n\n")[0]
    assert scripts == 'autograd-engine = "nn.cli:main"'
    commands = nn.cli.build_parser()._subparsers._group_actions[0].choices
    assert list(commands) == ["demo", "train", "graph"]
    assert list(engine_cli.build_parser()._subparsers._group_actions[0].choices) == ["graph"]


@pytest.mark.skipif(shutil.which("autograd-engine") is None, reason="the package's scripts are not installed")
def test_installed_console_script_runs_every_command(tmp_path):
    r = subprocess.run(["autograd-engine", "graph", "x*x", "--x", "3", "--out", str(tmp_path / "g.dot")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[:2] == ["x*x = 9", "  d/dx = 6"]
    r = subprocess.run(["autograd-engine", "train", "--hidden", "16,,16"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("autograd-engine train: error: --hidden")


def test_engine_alone_runs_the_grapher_and_explains_the_rest(tmp_path):
    r = run("graph", "x*x", "--x=3", "--out", str(tmp_path / "g.dot"), module="autograd_engine")
    assert r.returncode == 0, r.stderr
    assert "d/dx = 6" in r.stdout and (tmp_path / "g.dot").read_text().startswith("digraph")
    r = run("demo", module="autograd_engine")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == ("python -m autograd_engine: error: argument COMMAND: invalid choice: 'demo' "
                        "(choose from 'graph')\n")
    assert "python -m nn" in run("--help", module="autograd_engine").stdout


@pytest.mark.parametrize("command", ["demo", "train", "graph"])
def test_help(command):
    r = run(command, "--help")
    assert r.returncode == 0 and "usage: autograd-engine " + command in r.stdout


# -- successful runs ----------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_demo_trains_to_100_percent_and_writes_pictures(tmp_path):
    r = run("demo", "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "accuracy 100.0%" in r.stdout and "final loss " in r.stdout
    assert "training" in r.stderr  # the progress bar
    png = (tmp_path / "out" / "decision_boundary.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    svg = ET.parse(tmp_path / "out" / "graph.svg").getroot()
    assert sum(1 for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node") > 50


def test_graph_prints_gradients_and_renders(tmp_path):
    out = tmp_path / "g.svg"
    r = run("graph", "tanh(x*w + b)", "--x", "2", "--w", "-3", "--b", "6.8813735870195432", "--out", str(out))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "tanh(x*w + b) = 0.707107"
    assert lines[1:4] == ["  d/dx = -1.5", "  d/dw = 1", "  d/db = 0.5"]
    assert out.read_bytes().startswith(b"<?xml")


def test_graph_without_dot_writes_dot_source(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no dot on PATH
    r = subprocess.run([sys.executable, "-m", "nn", "graph", "x*x", "--x=3", "--out", str(tmp_path / "g.svg")],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "d/dx = 6" in r.stdout and "holds the DOT source" in r.stderr
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def graph_of(capsys, tmp_path, *argv):
    """Run ``graph`` in-process into a .dot file: (printed lines, op labels of the drawing)."""
    out = tmp_path / "g.dot"
    assert main(["graph", "--out", str(out), *argv]) == 0
    lines = capsys.readouterr().out.splitlines()
    ops = sorted(m.group(1).strip('"') for m in OP_LABEL.finditer(out.read_text()))
    return lines, ops


@pytest.mark.parametrize("argv, first_lines", [
    (["-x*2", "--x", "3"], ["-x*2 = -6", "  d/dx = -2"]),  # an expression may start with a minus
    (["--x", "3", "-x*2"], ["-x*2 = -6", "  d/dx = -2"]),  # in any order
    (["-h*2", "--h", "3"], ["-h*2 = -6", "  d/dh = -2"]),  # not read as -h (help)
    (["-(x)", "--x=-2.5"], ["-(x) = 2.5", "  d/dx = -1"]),
    (["--x", "-3e2", "--", "--x"], ["--x = -300", "  d/dx = 1"]),  # after --, even --x is the expression
    (["o*2", "--o", "4"], ["o*2 = 8", "  d/do = 2"]),  # --o is the variable o, not short for --out
])
def test_graph_reads_expressions_and_values_as_typed(capsys, tmp_path, argv, first_lines):
    lines, _ = graph_of(capsys, tmp_path, *argv)
    assert lines[:2] == first_lines


def test_graph_draws_a_constant_exponent_as_a_power_with_a_constant(capsys, tmp_path):
    lines, ops = graph_of(capsys, tmp_path, "x**2", "--x", "3")
    assert lines[:2] == ["x**2 = 9", "  d/dx = 6"] and ops == ["**2"]
    dot = (tmp_path / "g.dot").read_text()
    assert "data 3.0000" in dot and "data 9.0000" in dot
    assert "data 2.0000" not in dot  # the exponent is the op's constant, not a leaf Value of the graph
    assert graph_of(capsys, tmp_path, "x**(1/2)", "--x", "4")[1] == ["**0.5"]
    assert graph_of(capsys, tmp_path, "x**-1", "--x", "4")[1] == ["**-1"]
    lines, ops = graph_of(capsys, tmp_path, "x**y", "--x", "2", "--y", "3")
    assert lines[:3] == ["x**y = 8", "  d/dx = 12", "  d/dy = 5.54518"] and ops == ["pow"]


def test_graph_of_an_overflowing_constant_is_inf_not_a_crash(capsys, tmp_path):
    lines, ops = graph_of(capsys, tmp_path, "10**10000")
    assert lines[0] == "10**10000 = inf" and ops == ["**10000"]
    lines, ops = graph_of(capsys, tmp_path, "9**9**9")  # 9**387420489: no huge int is ever made
    assert lines[0] == "9**9**9 = inf" and ops == ["**387420489"]


def test_graph_reads_variable_names_as_python_does(capsys, tmp_path):
    lines, _ = graph_of(capsys, tmp_path, "\ufb01*2", "--\ufb01", "3")  # the ligature fi is the name fi
    assert lines[:2] == ["\ufb01*2 = 6", "  d/dfi = 2"]


def test_train_save_then_load(tmp_path):
    model = tmp_path / "m.json"
    r = run("train", "--dataset", "xor", "--hidden", "8", "--activation", "tanh", "--lr", "0.05", "--epochs", "150",
            "--quiet", "--save", str(model), "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    assert "accuracy 100.0%" in r.stdout and json.loads(model.read_text())["architecture"]["nouts"] == [8, 1]
    assert r.stdout.index(f"wrote {model}") < r.stdout.index("decision_boundary.png")  # the model is saved first
    assert (tmp_path / "a" / "decision_boundary.png").exists()
    r = run("train", "--dataset", "xor", "--load", str(model), "--out", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    assert "evaluating" in r.stdout and "accuracy 100.0%" in r.stdout
    r = run("train", "--dataset", "spirals", "--load", str(model), "--out", str(tmp_path / "c"))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().endswith("has 1 output; this data set has 3 classes and needs 3 outputs, one per class")


def test_train_spirals_uses_cross_entropy(tmp_path):
    r = run("train", "--dataset", "spirals", "--samples", "60", "--hidden", "12,12", "--lr", "0.05", "--epochs", "60",
            "--quiet", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "cross_entropy" in r.stdout
    accuracy = float(r.stdout.split("accuracy ")[1].split("%")[0])
    assert accuracy >= 80.0


# -- every user mistake: one line, status 2, before any work ----------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["__import__('os').system('true')"], "unknown function"),
    (["x.real", "--x", "1"], "is not allowed"),
    (["x +", "--x", "1"], "cannot parse"),
    (["x < 1", "--x", "1"], "is not allowed"),
    (["open(x)", "--x", "1"], "unknown function 'open'"),
    (["tanh(x, x)", "--x", "1"], "takes exactly one argument"),
    (["x * y", "--x", "1"], "variable 'y' has no value: pass --y NUMBER"),
    (["x", "--x", "one"], "--x needs a number, got 'one'"),
    (["x", "--x", "inf"], "--x needs a finite number, got 'inf'"),
    (["x", "--x"], "--x needs a number"),
    (["x", "--x", "1", "--z", "2"], "--z is not a variable of the expression (its variables: x)"),
    (["x", "--x", "1", "--x", "2"], "--x is given twice"),
    (["x", "--x", "1", "y"], "unexpected argument 'y'"),
    (["tanh + 1"], "'tanh' is a function"),
    (["out * 2", "--out", "g.svg"], "the variable name 'out' is taken by --out"),
    ([], "the expression to graph is missing"),
    (["9" * 5000], f"has 5,000 characters; number literals may have at most {MAX_LITERAL}"),
    (["x * " + "1" * (MAX_LITERAL + 1), "--x", "1"], f"number literals may have at most {MAX_LITERAL}"),
    (["1e999"], "the number 1e999 is too large for a float"),
    (["+".join(["x"] * 1200), "--x", "1"], f"the expression nests more than {MAX_DEPTH} levels deep"),
    (["-" * 5000 + "x", "--x", "1"], f"the expression nests more than {MAX_DEPTH} levels deep"),
    (["(" * 300 + "x" + ")" * 300, "--x", "1"], "cannot parse"),
    (["x" * (MAX_LENGTH + 1)], f"the expression has {MAX_LENGTH + 1:,} characters; at most {MAX_LENGTH:,}"),
    (["10**" + "9" * 100_000], "the expression has 100,004 characters; at most 10,000"),
    (["x ** " + "9" * 400, "--x", "2"], f"number literals may have at most {MAX_LITERAL}"),
    (["x\0", "--x", "1"], "cannot parse 'x\\x00'"),
    (["x", "--x", "1", "--out", "a.dot", "--out", "b.dot"], "--out is given twice"),
    (["x", "--x", "1", "--out", "\0.dot"], "--out needs a file or folder name without NUL characters, got '\\x00.dot'"),
    (["x", "--x", "1" * 5000], "--x needs a finite number, got '" + "1" * 200 + "'... (5,000 characters)"),
    (["x" * 5000], "variable '" + "x" * 200 + "'... (5,000 characters) has no value: pass --" + "x" * 200 + "..."),
    (["x", "--x", "1", "y" * 5000], "unexpected argument '" + "y" * 200 + "'... (5,000 characters)"),
])
def test_graph_mistakes(capsys, tmp_path, args, message):
    out = ["--out", str(tmp_path / "g.svg")] if "--out" not in args else []
    err = fails(capsys, ["graph", *args, *out], message)
    assert err.startswith("autograd-engine graph: error: ")
    assert not (tmp_path / "g.svg").exists()


def test_graph_output_mistakes(capsys, tmp_path, read_only_folder):
    fails(capsys, ["graph", "x", "--x", "1", "--out", str(tmp_path / "g.gif")],
          f"--out must end in .svg, .png, .pdf or .dot, got '{tmp_path / 'g.gif'}'")
    fails(capsys, ["graph", "x", "--x", "1", "--out", str(tmp_path / "missing" / "g.svg")],
          f"--out: the folder '{tmp_path / 'missing'}' does not exist")
    (tmp_path / "dir.svg").mkdir()
    fails(capsys, ["graph", "x", "--x", "1", "--out", str(tmp_path / "dir.svg")], "is a folder; give a file name")
    locked = tmp_path / "locked.svg"
    locked.write_text("keep me")
    locked.chmod(0o444)
    fails(capsys, ["graph", "x", "--x", "1", "--out", str(locked)], "is read-only")
    assert locked.read_text() == "keep me"
    fails(capsys, ["graph", "x", "--x", "1", "--out", os.path.join(read_only_folder, "g.svg")],
          "--out: cannot write into the folder")


@pytest.mark.parametrize("args, message", [
    (["--hidden", "16,,16"], "--hidden needs comma-separated layer widths like 16,16, got '16,,16'"),
    (["--hidden", "16,"], "--hidden needs comma-separated layer widths like 16,16, got '16,'"),
    (["--hidden", ",16"], "--hidden needs comma-separated layer widths"),
    (["--hidden", "16,x"], "--hidden needs comma-separated layer widths"),
    (["--hidden=-16"], "--hidden needs comma-separated layer widths"),
    (["--hidden", "1" * 5000], "--hidden needs comma-separated layer widths"),
    (["--hidden", "16,0"], "--hidden: each layer width must be an int >= 1, got 0 in '16,0'"),
    (["--hidden", "100000,100000"], "--hidden '100000,100000' makes 10,000,500,001 parameters; at most 1,000,000"),
    (["--epochs", "0"], "--epochs must be an int >= 1, got 0"),
    (["--epochs", "x"], "argument --epochs: invalid int value: 'x'"),
    (["--lr", "-1"], "--lr must be a finite number > 0, got -1.0"),
    (["--lr", "nan"], "--lr must be a finite number > 0, got nan"),
    (["--lr", "inf"], "--lr must be a finite number > 0, got inf"),
    (["--batch-size", "0"], "--batch-size must be an int >= 1, got 0"),
    (["--samples", "1"], "--samples: n_samples must be an int"),
    (["--samples", str(10**12)], "--samples must be at most 1,000,000, got 1,000,000,000,000"),
    (["--dataset", "xor", "--samples", "3"], "--samples: n_samples must be an int"),
    (["--seed", "-1"], "--seed must be an int >= 0, got -1"),
    (["--dataset", "iris"], "argument --dataset: invalid choice: 'iris'"),
    (["--load", "m.json", "--hidden", "8"], "--load evaluates a saved model as it is, so --hidden cannot be used"),
    (["--load", "m.json", "--lr", "0.1", "--epochs", "3", "--save", "n.json"],
     "so --lr, --epochs, --save cannot be used with it"),
    (["--load", "m.json", "--batch-size", "4", "--optimizer", "sgd", "--activation", "tanh", "--init", "he"],
     "so --activation, --init, --optimizer, --batch-size cannot be used with it"),
    (["--load", "/nonexistent/model.json"], "cannot load '/nonexistent/model.json': No such file or directory"),
    (["--save", "/nonexistent/m.json"], "--save: the folder '/nonexistent' does not exist"),
    (["--out", "/nonexistent/out"], "--out: cannot create '/nonexistent/out': the folder '/nonexistent' does not"),
    (["--unknown"], "unrecognized arguments: --unknown"),
    (["--save", "m\0.json"], "--save needs a file or folder name without NUL characters, got 'm\\x00.json'"),
    (["--out", "o\0"], "--out needs a file or folder name without NUL characters"),
    (["--load", "m\0.json"], "cannot load 'm\\x00.json'"),
    (["--hidden", "1," * 3000], "got '" + "1," * 100 + "'... (6,000 characters)"),
])
def test_train_mistakes_are_reported_before_training(capsys, tmp_path, args, message):
    argv = ["train", *args] + ([] if "--out" in args else ["--out", str(tmp_path / "out")])
    err = fails(capsys, argv, message)
    assert err.startswith("autograd-engine train: error: ") or err.startswith("autograd-engine: error: ")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_train_file_mistakes_are_reported_before_training(capsys, tmp_path, read_only_folder):
    (tmp_path / "a_file").write_text("")
    fails(capsys, ["train", "--out", str(tmp_path / "a_file")], "--out: '" + str(tmp_path / "a_file") + "' is a file")
    fails(capsys, ["train", "--out", read_only_folder], "--out: cannot write into the folder")
    fails(capsys, ["train", "--out", str(tmp_path), "--save", str(tmp_path)], f"--save: '{tmp_path}' is a folder")
    fails(capsys, ["train", "--out", str(tmp_path), "--save", os.path.join(read_only_folder, "m.json")],
          "--save: cannot write into the folder")
    locked = tmp_path / "m.json"
    locked.write_text("{}")
    locked.chmod(0o444)
    fails(capsys, ["train", "--out", str(tmp_path), "--save", str(locked)], "is read-only")
    picture = tmp_path / "out" / "decision_boundary.png"
    picture.parent.mkdir()
    picture.write_bytes(b"keep")
    picture.chmod(0o444)
    fails(capsys, ["train", "--out", str(tmp_path / "out")], "decision_boundary.png' is read-only")
    assert picture.read_bytes() == b"keep"
    (tmp_path / "model.json").write_text('{"format": "something else"}')
    fails(capsys, ["train", "--load", str(tmp_path / "model.json"), "--out", str(tmp_path / "o")],
          "is not an autograd-engine model file")
    fails(capsys, ["train", "--load", str(tmp_path), "--out", str(tmp_path / "o")], "cannot load")


def test_a_bad_save_path_is_reported_before_the_output_folder_is_made(capsys, tmp_path):
    fails(capsys, ["train", "--out", str(tmp_path / "out"), "--save", str(tmp_path / "missing" / "m.json")],
          "--save: the folder")
    assert not (tmp_path / "out").exists()


def test_a_message_with_a_line_break_is_still_one_line(capsys):
    parser = engine_cli.CommandParser(prog="prog")
    command = parser.add_subparsers(dest="command").add_parser("go")

    def go(args):
        raise engine_cli.UsageError("cannot read 'a\nb':\tbad\x00")

    command.set_defaults(run=go)
    assert engine_cli.run(parser, ["go"]) == 2
    assert capsys.readouterr().err == "prog go: error: cannot read 'a\\nb':\\tbad\\x00\n"


def test_demo_mistakes(capsys, tmp_path, read_only_folder):
    (tmp_path / "a_file").write_text("")
    fails(capsys, ["demo", "--out", str(tmp_path / "a_file")], "is a file, not a folder")
    fails(capsys, ["demo", "--out", str(tmp_path / "missing" / "out")], "the folder")
    fails(capsys, ["demo", "--out", read_only_folder], "--out: cannot write into the folder")
    fails(capsys, ["demo", "--seed", "-1", "--out", str(tmp_path / "d")], "--seed must be an int >= 0, got -1")
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("argv, line", [
    (["train", "--hidden", "16,,16"],
     "autograd-engine train: error: --hidden needs comma-separated layer widths like 16,16, got '16,,16'"),
    (["nonsense"], "autograd-engine: error: argument COMMAND: invalid choice: 'nonsense' "
                   "(choose from 'demo', 'train', 'graph')"),
    (["graph", "-x*2", "--out", "g.svg"], "autograd-engine graph: error: variable 'x' has no value: pass --x NUMBER"),
])
def test_a_mistake_is_one_line_end_to_end(tmp_path, argv, line):
    r = run(*argv, cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (2, "", line + "\n")


def test_parse_expression_whitelist():
    assert parse_expression("-x**2 / (1 + exp(y))")[1] == ["x", "y"]
    assert parse_expression("  x  ")[1] == ["x"]
    for bad in ["lambda: 1", "[x]", "x if y else z", "'s'", "x.__class__", "f(x)", "True", "1j", ""]:
        with pytest.raises(ExpressionError):
            parse_expression(bad)
    with pytest.raises(TypeError, match="text must be a str, got NoneType"):
        parse_expression(None)
