"""nn.save / nn.load: exact round trips, rebuilt architectures, every corrupt-file case."""

import json
import math
import os
import random
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from shipped_modules import BATCH3, CASES, SEQ4, assert_same, randomise

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


# -- every shipped module through the registry, user modules, and hardened loading ------------------------------


@pytest.mark.parametrize("case", CASES)
def test_every_shipped_module_round_trips_with_identical_outputs_and_gradients(tmp_path, case):
    make, x, batch = CASES[case]
    model = randomise(make(), seed=len(case))
    loaded = nn.load(nn.save(model, tmp_path / "m.json"))
    assert_same(model, loaded, x, batch)


def test_nested_containers_of_every_shipped_module_round_trip(tmp_path):
    model = Sequential(
        nn.Linear(3, 4, seed=0), nn.LayerNorm(4), nn.Activation("tanh"),
        Residual(Sequential(Residual(nn.RMSNorm(4)), nn.Linear(4, 4, bias=False, seed=1), BatchNorm(4))),
        Layer(4, 4, activation="leaky_relu", seed=2), Residual(MLP(4, [5, 4], seed=3)), nn.Neuron(4, seed=4))
    randomise(model, seed=9)
    loaded = nn.load(nn.save(model, tmp_path / "m.json"))
    assert_same(model, loaded, BATCH3, True)
    attention = Sequential(nn.Embedding(6, 4, seed=5), nn.Activation("linear"))
    randomise(attention, seed=2)
    assert_same(attention, nn.load(nn.save(attention, tmp_path / "e.json")), 4, False)
    transformer = Sequential(nn.SelfAttention(4, heads=2, seed=6))
    randomise(transformer, seed=3)
    assert_same(transformer, nn.load(nn.save(transformer, tmp_path / "t.json")), SEQ4, False)


class Affine(Module):
    """A user's module: registered, with config() and an exact config_size."""

    def __init__(self, n, shift=0.0):
        self.n, self.shift = n, shift
        self.w = [Value(1.0) for _ in range(n)]

    def forward(self, x):
        return [wi * xi + self.shift for wi, xi in zip(self.w, x)]

    def config(self):
        return {"type": "test_serialization.Affine", "n": self.n, "shift": self.shift}

    @classmethod
    def config_size(cls, config):
        return config["n"]


@pytest.fixture(autouse=True)
def affine_is_registered():
    """Affine is registered, as a user registers a module, for this file's tests only: the registry is global."""
    nn.register_module(Affine, name="test_serialization.Affine")
    yield
    del nn.MODULES["test_serialization.Affine"]


class Unregistered(Affine):
    def config(self):
        return {"type": "test_serialization.Unregistered", "n": self.n, "shift": self.shift}


def test_a_registered_user_module_round_trips_alone_and_nested(tmp_path):
    model = Affine(3, shift=0.25)
    randomise(model)
    assert_same(model, nn.load(nn.save(model, tmp_path / "a.json")), [1.0, -2.0, 0.5], False)
    nested = Sequential(nn.Linear(2, 3, seed=0), Residual(Affine(3)))
    randomise(nested, seed=1)
    assert_same(nested, nn.load(nn.save(nested, tmp_path / "n.json")), [0.3, -0.6], False)


def test_an_unregistered_module_gives_a_clear_error_and_loads_into_a_model(tmp_path):
    model = Sequential(nn.Linear(2, 3, seed=0), Unregistered(3))
    path = nn.save(model, tmp_path / "u.json")
    with pytest.raises(ValueError, match=r"unknown type 'test_serialization.Unregistered'.*@nn.register_module"):
        nn.load(path)
    target = Sequential(nn.Linear(2, 3, seed=1), Unregistered(3))
    assert nn.load(path, into=target).state_dict() == model.state_dict()


def test_a_subclass_of_a_shipped_module_is_saved_as_a_custom_architecture(tmp_path):
    class Doubled(nn.Linear):
        def forward(self, x):
            return [2 * v for v in super().forward(x)]

    path = nn.save(Doubled(2, 2, seed=0), tmp_path / "d.json")
    assert json.loads((tmp_path / "d.json").read_text())["architecture"] is None
    with pytest.raises(ValueError, match="custom architecture"):
        nn.load(path)


def test_a_user_module_of_unknown_size_is_counted_once_built(tmp_path):
    @nn.register_module(name="test_serialization.Sized")
    class Sized(Affine):
        def config(self):
            return {"type": "test_serialization.Sized", "n": self.n, "shift": self.shift}

        config_size = Module.config_size  # unknown: load builds it, then counts

    try:
        path = nn.save(Sequential(Sized(4)), tmp_path / "s.json")
        assert nn.load(path).num_parameters() == 4
        with pytest.raises(ValueError, match="more than max_parameters=3"):
            nn.load(path, max_parameters=3)
    finally:
        del nn.MODULES["test_serialization.Sized"]


def architecture_file(tmp_path, architecture, parameters=None):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"format": "autograd-engine model", "version": 1, "architecture": architecture,
                                "parameters": parameters or {}}))
    return path


def test_a_billion_parameter_file_is_refused_before_anything_is_built(tmp_path, monkeypatch):
    def no_building(*args, **kwargs):
        raise AssertionError("a module was built")

    monkeypatch.setattr(nn.serialization, "build_module", no_building)
    cases = [({"type": "MLP", "nin": 2, "nouts": [10**9]}, "describes 3000000000 parameters"),
             ({"type": "Sequential", "modules": [{"type": "Linear", "nin": 10**5, "nout": 10**5}]},
              "describes 10000100000 parameters"),
             ({"type": "Linear", "nin": 10**4000, "nout": 10**4000}, r"describes about 10\*\*8000 parameters")]
    for architecture, words in cases:
        with pytest.raises(ValueError, match=f"{words}, more than max_parameters=10000000; pass a larger"):
            nn.load(architecture_file(tmp_path, architecture))
    with pytest.raises(ValueError, match="describes an architecture of 3000000000 parameters but holds 0"):
        nn.load(architecture_file(tmp_path, cases[0][0]), max_parameters=10**10)


def test_max_parameters_bounds_the_architecture_and_can_be_raised(tmp_path):
    path = nn.save(MLP(2, [3, 1], seed=0), tmp_path / "m.json")  # 13 parameters
    with pytest.raises(ValueError, match="describes 13 parameters, more than max_parameters=12"):
        nn.load(path, max_parameters=12)
    assert nn.load(path, max_parameters=np.int64(13)).num_parameters() == 13
    target = MLP(2, [3, 1], seed=1)
    assert nn.load(path, into=target, max_parameters=0) is target  # into= is its own bound
    for bad, exc in [(-1, ValueError), (1.5, TypeError), (True, TypeError), (None, TypeError), ("10", TypeError)]:
        with pytest.raises(exc, match="max_parameters must be an int"):
            nn.load(path, max_parameters=bad)


def test_loading_leaves_the_global_random_generator_alone(tmp_path):
    path = nn.save(Sequential(MLP(2, [3, 1], seed=0), nn.SelfAttention(2, seed=1)), tmp_path / "m.json")
    random.seed(123)
    expected = random.random()
    random.seed(123)
    nn.load(path)
    assert random.random() == expected


HEADER = '{"format": "autograd-engine model", '
FITS = ('"parameters": {"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.w.1": 2.0, "layers.0.neurons.0.b": 3.0}'
        ', "architecture": {"type": "MLP", "nin": 2, "nouts": [1]}')  # fits MLP(2, [1])
BAD_FILES = [  # (content, words in the message); each fails with and without into=MLP(2, [1])
    (HEADER + '"version": 1.0, ' + FITS + "}", "format version that is not an integer: float 1.0"),
    (HEADER + '"version": true, ' + FITS + "}", "format version that is not an integer: bool True"),
    (HEADER + '"version": "1", ' + FITS + "}", "format version that is not an integer: str '1'"),
    (HEADER + '"version": ' + "9" * 4000 + ", " + FITS + "}", r"format version about 10\*\*"),
    (HEADER + '"version": ' + "9" * 5000 + ", " + FITS + "}", "not valid JSON"),
    (HEADER + '"version": 1, ' + FITS.replace("1.0", "1" + "0" * 400) + "}", "parameter 'layers.0.neurons.0.w.0' must "
     "be a number that fits in a float, got int 1000"),
    (HEADER + '"version": 1, ' + FITS.replace("2.0", "[2.0]") + "}", "must be a number, got list"),
    (HEADER + '"version": 1, ' + FITS.replace("3.0", '"3"') + "}", "must be a number, got str '3'"),
    (HEADER + '"version": 1, "parameters": ' + "[" * 100_000 + "]" * 100_000 + "}", "JSON nests too deeply"),
    (HEADER + '"version": 1, "parameters": {"a": ' + "[" * 50_000 + "]" * 50_000 + "}}", "nests too deeply"),
    (HEADER + '"version": 1, "parameters": {}, "architecture": ' + '{"type": "Residual", "module": ' * 120
     + '{"type": "Activation", "name": "relu"}' + "}" * 121, "architecture nested deeper than 100 levels"),
    (HEADER + '"version": 1, ' + FITS[:-10], r"not valid JSON \(truncated or corrupt\?\)"),
    (HEADER + '"version": 1, ' + FITS, "not valid JSON"),
    (b"\xff\xfe\x00garbage".decode("latin-1"), "not valid JSON"),
]


@pytest.mark.parametrize("content, words", BAD_FILES, ids=range(len(BAD_FILES)))
def test_every_bad_file_is_a_value_error_naming_it_and_into_is_untouched(tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="latin-1")
    model = MLP(2, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=re.escape(repr(str(path))) + ".*" + words):
        nn.load(path)
    with pytest.raises(ValueError, match=re.escape(repr(str(path)))):
        nn.load(path, into=model)
    assert model.state_dict() == before


@pytest.mark.parametrize("architecture, field, value, words", [
    ({"type": "MLP", "nin": 2, "nouts": [1]}, "fused", "no", "fused must be .*True or False.*got str 'no'"),
    ({"type": "Linear", "nin": 2, "nout": 1}, "bias", 1, "bias must be .*True or False.*got int 1"),
    ({"type": "SelfAttention", "dim": 2}, "causal", "false", "causal must be .*True or False"),
    ({"type": "Neuron", "nin": 2}, "nonlin", None, "nonlin must be .*True or False.*got NoneType None"),
    ({"type": "MLP", "nin": 2, "nouts": [1]}, "activation", ["relu"], "activation must be one of .*got list"),
    ({"type": "LayerNorm", "dim": 3}, "eps", 1e400, "eps must be a finite number > 0, got inf"),
    ({"type": "BatchNorm", "num_features": 3}, "momentum", 10**400, "momentum must be a number that fits in a float"),
    ({"type": "MLP", "nin": 2, "nouts": [1]}, "nin", 2.0, "nin must be an int, got float 2.0"),
    ({"type": "MLP", "nin": 2, "nouts": [1]}, "nouts", [1e400], "each layer width must be an int, got float inf"),
    ({"type": "MLP", "nin": 2, "nouts": [1]}, "init", "zeros", "init must be one of uniform, xavier, he"),
])
def test_bad_fields_in_the_architecture_are_value_errors(tmp_path, architecture, field, value, words):
    names = list(nn.module.build_module(architecture).state_dict())
    path = architecture_file(tmp_path, {**architecture, field: value}, dict.fromkeys(names, 0.5))
    with pytest.raises(ValueError, match="has an invalid architecture: architecture .*" + words):
        nn.load(path)


def test_save_writes_through_a_symbolic_link(tmp_path):
    (tmp_path / "models").mkdir()
    real = tmp_path / "models" / "real.json"
    nn.save(MLP(2, [1], seed=0), real)
    link = tmp_path / "link.json"
    link.symlink_to(os.path.join("models", "real.json"))  # relative, as links often are
    model = MLP(2, [1], seed=1)
    assert nn.save(model, link) == str(link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("models", "real.json")
    assert nn.load(real).state_dict() == model.state_dict() == nn.load(link).state_dict()
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "models" / "new.json")
    nn.save(model, dangling)
    assert dangling.is_symlink() and nn.load(tmp_path / "models" / "new.json").state_dict() == model.state_dict()
    assert sorted(os.listdir(tmp_path / "models")) == ["new.json", "real.json"]


def test_save_refuses_a_read_only_file_and_leaves_it(tmp_path):
    path = tmp_path / "m.json"
    nn.save(MLP(2, [1], seed=0), path)
    before = path.read_bytes()
    path.chmod(0o444)
    link = tmp_path / "link.json"
    link.symlink_to(path)
    try:
        for target in (path, link):
            with pytest.raises(PermissionError, match="the file is read-only"):
                nn.save(MLP(2, [1], seed=1), target)
        assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["link.json", "m.json"]
    finally:
        path.chmod(0o644)


def test_save_reports_a_missing_folder_a_folder_and_a_bad_path(tmp_path):
    model = MLP(2, [1], seed=0)
    with pytest.raises(FileNotFoundError, match=r"the folder .*missing.* does not exist"):
        nn.save(model, tmp_path / "missing" / "m.json")
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        nn.save(model, tmp_path)
    for bad in (None, 3, b"m.json"):
        with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike"):
            nn.save(model, bad)
        with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike"):
            nn.load(bad)
    with pytest.raises(ValueError, match="path must be a non-empty file name"):
        nn.save(model, "")
    assert os.listdir(tmp_path) == []


def test_save_writes_numpy_values_and_refuses_a_config_that_is_not_json(tmp_path):
    model = MLP(2, [1], seed=0)
    model.parameters()[0].data = np.float32(0.5)
    assert nn.load(nn.save(model, tmp_path / "m.json")).parameters()[0].data == 0.5
    with pytest.raises(ValueError, match="cannot save Affine: Object of type set is not JSON serializable"):
        nn.save(Affine(1, shift={1, 2}), tmp_path / "o.json")
    assert os.listdir(tmp_path) == ["m.json"]


def _in_a_folder(call):
    """A row's call, run with a fresh temporary folder (a Path) that is removed afterwards."""
    def run():
        with tempfile.TemporaryDirectory() as folder:
            return call(Path(folder))
    return run


def _model_file(folder, **changes):
    """A saved MLP(2, [3, 1]) in ``folder``, with top-level fields of the document replaced by ``changes``."""
    path = nn.save(MLP(2, [3, 1], seed=0), folder / "model.json")
    doc = json.loads(Path(path).read_text())
    (folder / "model.json").write_text(json.dumps({**doc, **changes}))
    return path


def _text_file(folder, text):
    (folder / "text.json").write_text(text)
    return folder / "text.json"


def _with_architecture(folder, **fields):
    path = _model_file(folder)
    doc = json.loads(Path(path).read_text())
    return _model_file(folder, architecture={**doc["architecture"], **fields})


ERROR_CASES = [
    ("save-model-none", _in_a_folder(lambda d: nn.save(None, d / "m.json")), TypeError,
     r"^model must be a Module, got NoneType"),
    ("save-model-a-class", _in_a_folder(lambda d: nn.save(MLP, d / "m.json")), TypeError,
     r"^model must be a Module, got type"),
    ("save-path-none", lambda: nn.save(MLP(2, [1], seed=0), None), TypeError,
     r"^path must be a str or os\.PathLike, got NoneType None$"),
    ("save-path-an-int", lambda: nn.save(MLP(2, [1], seed=0), 3), TypeError,
     r"^path must be a str or os\.PathLike, got int 3$"),
    ("save-path-bytes", lambda: nn.save(MLP(2, [1], seed=0), b"m.json"), TypeError,
     r"^path must be a str or os\.PathLike, got bytes b'm.json'$"),
    ("save-path-empty", lambda: nn.save(MLP(2, [1], seed=0), ""), ValueError,
     r"^path must be a non-empty file name, got str ''$"),
    ("save-into-a-folder", _in_a_folder(lambda d: nn.save(MLP(2, [1], seed=0), d)), IsADirectoryError,
     r"^cannot save a model to '.*': it is a folder; give a file name$"),
    ("save-into-a-missing-folder", _in_a_folder(lambda d: nn.save(MLP(2, [1], seed=0), d / "no" / "m.json")),
     FileNotFoundError, r"^cannot save a model to '.*m.json': the folder '.*no' does not exist$"),
    ("load-path-none", lambda: nn.load(None), TypeError, r"^path must be a str or os\.PathLike, got NoneType None$"),
    ("load-path-a-float", lambda: nn.load(1.5), TypeError, r"^path must be a str or os\.PathLike, got float 1.5$"),
    ("load-a-missing-file", _in_a_folder(lambda d: nn.load(d / "missing.json")), FileNotFoundError,
     r"No such file or directory: '.*missing.json'"),
    ("load-an-empty-file", _in_a_folder(lambda d: nn.load(_text_file(d, ""))), ValueError, r"^'.*text.json' is empty$"),
    ("load-a-file-that-is-not-json", _in_a_folder(lambda d: nn.load(_text_file(d, "{oops"))), ValueError,
     r"^'.*text.json' is not valid JSON \(truncated or corrupt\?\): "),
    ("load-version-a-str", _in_a_folder(lambda d: nn.load(_model_file(d, version="1"))), ValueError,
     r"^'.*model.json' has a format version that is not an integer: str '1'$"),
    ("load-version-a-bool", _in_a_folder(lambda d: nn.load(_model_file(d, version=True))), ValueError,
     r"^'.*model.json' has a format version that is not an integer: bool True$"),
    ("load-version-from-the-future", _in_a_folder(lambda d: nn.load(_model_file(d, version=2))), ValueError,
     r"^'.*model.json' has format version 2; this version reads version 1$"),
    ("load-a-parameter-a-str", _in_a_folder(lambda d: nn.load(_model_file(d, parameters={
        **nn.MLP(2, [3, 1], seed=0).state_dict(), "layers.0.neurons.0.b": "x"}))), ValueError,
     r"^'.*model.json' parameter 'layers.0.neurons.0.b' must be a number, got str 'x'$"),
    ("load-a-flag-a-str", _in_a_folder(lambda d: nn.load(_with_architecture(d, fused="no"))), ValueError,
     r"^'.*model.json' has an invalid architecture: architecture \(MLP\) is invalid: fused must be a bool "
     r"\(True or False\), got str 'no'$"),
    ("load-a-width-too-big", _in_a_folder(lambda d: nn.load(_with_architecture(d, nouts=[10**9]))), ValueError,
     r"^'.*model.json' describes 3000000000 parameters, more than max_parameters=10000000; pass a larger "),
    ("load-into-an-int", _in_a_folder(lambda d: nn.load(_model_file(d), into=3)), TypeError,
     r"^into must be a Module, got int"),
    ("load-into-a-model-of-another-shape", _in_a_folder(lambda d: nn.load(_model_file(d), into=MLP(2, [4, 1]))),
     ValueError, r"^'.*model.json' does not fit the model: state does not fit MLP \(17 entries expected, 13 given\)"),
    ("load-max_parameters-negative", _in_a_folder(lambda d: nn.load(_model_file(d), max_parameters=-1)), ValueError,
     r"^max_parameters must be an int >= 0, got -1$"),
    ("load-max_parameters-a-bool", _in_a_folder(lambda d: nn.load(_model_file(d), max_parameters=True)), TypeError,
     r"^max_parameters must be an int, got bool True$"),
    ("load-max_parameters-a-float", _in_a_folder(lambda d: nn.load(_model_file(d), max_parameters=1e9)), TypeError,
     r"^max_parameters must be an int, got float 1000000000.0$"),
    ("load-max_parameters-too-small", _in_a_folder(lambda d: nn.load(_model_file(d), max_parameters=12)), ValueError,
     r"^'.*model.json' describes 13 parameters, more than max_parameters=12; pass a larger max_parameters= "),
]
