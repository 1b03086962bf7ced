"""The autograd-engine console script, end to end in a subprocess."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from autograd_engine.cli import ExpressionError, parse_expression


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "autograd_engine", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


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
    r = subprocess.run([sys.executable, "-m", "autograd_engine", "graph", "x*x", "--x=3", "--out",
                        str(tmp_path / "g.svg")], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "d/dx = 6" in r.stdout and "holds the DOT source" in r.stderr
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


@pytest.mark.parametrize("args, message", [
    (["graph", "__import__('os').system('true')"], "unknown function"),
    (["graph", "x.real", "--x", "1"], "is not allowed"),
    (["graph", "x +", "--x", "1"], "cannot parse"),
    (["graph", "x < 1", "--x", "1"], "is not allowed"),
    (["graph", "open(x)", "--x", "1"], "unknown function 'open'"),
    (["graph", "tanh(x, x)", "--x", "1"], "takes exactly one argument"),
    (["graph", "x * y", "--x", "1"], "variable 'y' has no value: pass --y NUMBER"),
    (["graph", "x", "--x", "one"], "--x needs a number, got 'one'"),
    (["graph", "x", "--x", "1", "--z", "2"], "--z is not a variable of the expression"),
    (["graph", "tanh + 1"], "'tanh' is a function"),
    (["train", "--hidden", "16,x"], "--hidden needs comma-separated layer widths"),
    (["train", "--load", "/nonexistent/model.json"], "cannot load /nonexistent/model.json"),
    (["train", "--hidden", "16,0"], "each layer width must be an int >= 1"),
    (["train", "--epochs", "0"], "epochs must be an int >= 1, got 0"),
    (["train", "--lr", "-1"], "lr must be a finite number > 0.0, got -1.0"),
    (["train", "--batch-size", "0"], "batch_size must be an integer >= 1, got 0"),
    (["train", "--samples", "1"], "--samples: n_samples must be an integer >= 2, got 1"),
    (["train", "--dataset", "xor", "--samples", "3"], "n_samples must be an integer >= 4, got 3"),
])
def test_user_mistakes_give_one_line_and_status_2(args, message, tmp_path):
    r = run(*args, "--out", str(tmp_path / "g.svg")) if args[0] == "graph" else run(*args, "--out", str(tmp_path))
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_train_save_then_load(tmp_path):
    model = tmp_path / "m.json"
    r = run("train", "--dataset", "xor", "--hidden", "8", "--activation", "tanh", "--lr", "0.05", "--epochs", "150",
            "--quiet", "--save", str(model), "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    assert "accuracy 100.0%" in r.stdout and json.loads(model.read_text())["architecture"]["nouts"] == [8, 1]
    assert (tmp_path / "a" / "decision_boundary.png").exists()
    r = run("train", "--dataset", "xor", "--load", str(model), "--out", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    assert "evaluating" in r.stdout and "accuracy 100.0%" in r.stdout


def test_train_spirals_uses_cross_entropy(tmp_path):
    r = run("train", "--dataset", "spirals", "--samples", "60", "--hidden", "12,12", "--lr", "0.05", "--epochs", "60",
            "--quiet", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "cross_entropy" in r.stdout
    accuracy = float(r.stdout.split("accuracy ")[1].split("%")[0])
    assert accuracy >= 80.0


@pytest.mark.parametrize("command", ["demo", "train", "graph"])
def test_help(command):
    r = run(command, "--help")
    assert r.returncode == 0 and "usage: autograd-engine " + command in r.stdout


def test_parse_expression_whitelist():
    assert parse_expression("-x**2 / (1 + exp(y))")[1] == ["x", "y"]
    for bad in ["lambda: 1", "[x]", "x if y else z", "'s'", "x.__class__", "f(x)", "True"]:
        with pytest.raises(ExpressionError):
            parse_expression(bad)
