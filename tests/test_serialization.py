"""nn.save / nn.load: exact round trips, rebuilt architectures, every corrupt-file case."""

import json
import math
import os

import pytest

import nn
from autograd_engine import Value
from nn import MLP, BatchNorm, Layer, Module, Residual, Sequential


def test_mlp_round_trip_is_exact(tmp_path):
    model = MLP(2, [5, 3, 1], activation="tanh", seed=3)
    path = nn.save(model, tmp_path / "m.json")
    loaded = nn.load(path)
    assert type(loaded) is MLP and loaded.config() == model.config()
    assert loaded.state_dict() == model.state_dict()  # floats round-trip exactly
    assert loaded([0.3, -0.7]).data == model([0.3, -0.7]).data
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["format"] == "autograd-engine model" and doc["version"] == 1
    assert doc["parameters"]["layers.0.neurons.0.w.0"] == model.parameters()[0].data


def test_sequential_with_batchnorm_and_residual_round_trip(tmp_path):
    model = Sequential(Layer(2, 3, activation="linear", seed=0), BatchNorm(3), nn.Activation("relu"),
                       Residual(Layer(3, 3, activation="tanh", seed=1)))
    model.forward_batch([[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]])  # moves the running statistics
    loaded = nn.load(nn.save(model, tmp_path / "s.json"))
    assert loaded.state_dict() == model.state_dict() and loaded.config() == model.config()


def test_nan_and_inf_survive(tmp_path):
    model = Layer(1, 2, seed=0)
    model.neurons[0].b.data = math.inf
    model.neurons[1].b.data = math.nan
    loaded = nn.load(nn.save(model, tmp_path / "x.json"))
    assert loaded.neurons[0].b.data == math.inf and math.isnan(loaded.neurons[1].b.data)
    json.loads((tmp_path / "x.json").read_text())  # still plain JSON


class Custom(Module):
    def __init__(self):
        self.scale = Value(2.0)
        self.shift = [Value(1.0), Value(-1.0)]

    def forward(self, x):
        return self.scale * x + self.shift[0]


def test_custom_architecture_loads_into_an_existing_model(tmp_path):
    model = Custom()
    model.scale.data = 5.0
    path = nn.save(model, tmp_path / "c.json")
    with pytest.raises(ValueError, match="custom architecture: pass the model to fill as into="):
        nn.load(path)
    target = Custom()
    assert nn.load(path, into=target) is target and target.scale.data == 5.0


@pytest.mark.parametrize("content, pattern", [
    (b"", "is empty"),
    (b"   \n", "is empty"),
    (b'{"format": "autograd-engine model", "version": 1, "parame', "not valid JSON"),
    (b"\x89PNG\x00\x01", "not valid JSON"),
    (b"[1, 2]", "not an autograd-engine model file"),
    (b'{"format": "something else"}', "not an autograd-engine model file"),
    (b'{"format": "autograd-engine model", "version": 2, "parameters": {}}', "format version 2"),
    (b'{"format": "autograd-engine model", "version": 1}', "no 'parameters' object"),
    (b'{"format": "autograd-engine model", "version": 1, "architecture": null, '
     b'"parameters": {"layers.0.neurons.0.w.0": "x"}}', "must be a number"),
    (b'{"format": "autograd-engine model", "version": 1, "architecture": {"type": "Conv"}, "parameters": {}}',
     "unknown type 'Conv'"),
    (b'{"format": "autograd-engine model", "version": 1, "architecture": {"type": "MLP", "nin": 2}, '
     b'"parameters": {}}', "lacks the field 'nouts'"),
])
def test_corrupt_files_raise_and_leave_the_model_alone(tmp_path, content, pattern):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=pattern):
        nn.load(path)
    with pytest.raises(ValueError):
        nn.load(path, into=model)
    assert model.state_dict() == before


def test_wrong_shape_is_reported_and_nothing_changes(tmp_path):
    path = nn.save(MLP(2, [3, 1], seed=0), tmp_path / "m.json")
    other = MLP(2, [4, 1], seed=1)
    before = other.state_dict()
    with pytest.raises(ValueError, match=r"\(17 entries expected, 13 given\): missing 4 entries: layers.0.neurons.3.b"):
        nn.load(path, into=other)
    assert other.state_dict() == before


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    nn.save(MLP(2, [2, 1], seed=0), path)
    before = path.read_bytes()

    def crash(fd):
        raise OSError("power cut")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="power cut"):
        nn.save(MLP(2, [2, 1], seed=1), path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.json"]


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="model must be a Module"):
        nn.save("model", tmp_path / "m.json")
    with pytest.raises(TypeError, match="into must be a Module"):
        nn.load(tmp_path / "m.json", into=3)
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "missing.json")
