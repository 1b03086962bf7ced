"""The arrows run one way: ``nn -> autograd_engine``, never back.

Every module of ``autograd_engine`` is found on disk (no list of file names to keep up to date)
and its imports are read with ``ast``: absolute and relative, at the top or inside functions,
and ``importlib.import_module("nn")`` / ``__import__("nn")`` with a literal name.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import autograd_engine

PACKAGE = Path(autograd_engine.__file__).resolve().parent
FORBIDDEN = "nn"


def modules(root=PACKAGE):
    """(dotted module name, path) of every ``.py`` file under the package ``root``."""
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        yield ".".join(parts), path


def imported_names(source, module):
    """Every absolute module name that ``source`` (the module ``module``) imports, with its line."""
    package = module.split(".")[:-1]  # a plain module's parent; for __init__, its own package
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = package[:max(0, len(package) - (node.level - 1))] if node.level else []
            target = [*base, *node.module.split(".")] if node.module else base
            yield ".".join(target), node.lineno
            for alias in node.names:  # from . import nn / from .. import nn
                yield ".".join([*target, alias.name]), node.lineno
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ("__import__", "import_module") and isinstance(node.args[0].value, str):
                yield node.args[0].value, node.lineno


def imports_forbidden(name):
    return name == FORBIDDEN or name.startswith(FORBIDDEN + ".")


def violations(source, module):
    return [(name, line) for name, line in imported_names(source, module) if imports_forbidden(name)]


def test_the_walk_finds_every_module_of_the_engine():
    found = dict(modules())
    assert len(found) >= 10
    for expected in ("autograd_engine.__init__", "autograd_engine.viz.__init__", "autograd_engine.viz.dot",
                     "autograd_engine.cli", "autograd_engine.__main__", "autograd_engine.ops"):
        assert expected in found
    assert all(path.is_relative_to(PACKAGE) for path in found.values())


@pytest.mark.parametrize("module, path", list(modules()), ids=lambda x: x if isinstance(x, str) else "")
def test_no_engine_module_imports_nn(module, path):
    assert violations(path.read_text(encoding="utf-8"), module) == []


@pytest.mark.parametrize("source", [
    "import nn",
    "import nn.cli",
    "import numpy, nn.module as m",
    "from nn import MLP",
    "from nn.cli import main",
    "from .. import nn",
    "from ..nn import MLP",
    "from ..nn.cli import main",
    "def f():\n    import nn\n",
    "class C:\n    def m(self):\n        from nn.data import make_moons\n",
    "try:\n    import nn\nexcept ImportError:\n    pass\n",
    "if TYPE_CHECKING:\n    from nn import Module\n",
    "import importlib\nimportlib.import_module('nn.cli')",
    "__import__('nn')",
])
def test_the_check_sees_every_form_of_import(source):
    assert violations(source, "autograd_engine.viz")


@pytest.mark.parametrize("source, module", [
    ("from ... import nn", "autograd_engine.viz.render"),  # a module of a subpackage
    ("from ...nn import MLP", "autograd_engine.viz.render"),
    ("from ... import nn", "autograd_engine.viz.__init__"),  # in __init__, "." is the package itself
    ("from .. import nn", "autograd_engine.__init__"),  # beyond the top: still named
])
def test_relative_imports_are_resolved_from_the_module_s_package(source, module):
    assert violations(source, module)


@pytest.mark.parametrize("source", [
    "import numpy as nn",
    "import nnx",
    "from nnx import y",
    "from . import nn",  # autograd_engine.nn would be the engine's own module
    "from .nn import x",
    "from .validation import describe",
    "nn = 3",
    "import_module(name)",
])
def test_the_check_lets_other_imports_pass(source):
    assert violations(source, "autograd_engine.viz") == []


def test_importing_every_engine_module_does_not_load_nn():
    names = [m.removesuffix(".__init__") for m, _ in modules() if not m.endswith("__main__")]
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n"
            "    importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m == 'nn' or m.startswith('nn.')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stdout, r.stderr) == (0, "[]\n", "")


def test_importing_the_engine_loads_neither_the_compiler_nor_the_exercises_until_used():
    # trace, Program and check_my_grads load on first use, so `import autograd_engine` stays fast
    code = ("import sys, autograd_engine as ae; "
            "lazy = ('autograd_engine.compile', 'autograd_engine.exercises', 'numpy'); "
            "before = [m for m in lazy if m in sys.modules]; "
            "from autograd_engine import trace, check_my_grads; "
            "print(before, ae.trace is trace, ae.Program.__module__, 'trace' in dir(ae))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[]", "True", "autograd_engine.compile", "True"]
