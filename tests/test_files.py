"""Writing files (autograd_engine/files.py): the paths users type, as every writer of the project sees them."""

import os
import re

import pytest

import nn
from autograd_engine import Value, save_graph, save_html
from autograd_engine.files import writable_target


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """A fresh current folder: relative paths (and an unexpanded ``~``) land in it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_missing_folder_named_with_a_tilde_says_tilde_is_not_expanded(in_tmp):
    with pytest.raises(FileNotFoundError) as info:
        writable_target("~/graph.html", "save a step-through to")
    assert str(info.value) == (f"cannot save a step-through to '~/graph.html': the folder '{in_tmp}/~' does not "
                               f"exist; `~` is not expanded here, as in open(): pass "
                               f"os.path.expanduser('~/graph.html')")
    with pytest.raises(FileNotFoundError, match=r"the folder '.*/~alice/notes' does not exist; `~` is not "
                                                r"expanded here, as in open\(\): pass os.path.expanduser\("
                                                r"'~alice/notes/g.dot'\)$"):
        writable_target("~alice/notes/g.dot")


@pytest.mark.parametrize("path", ["missing/graph.html", "a~b/graph.html", "./~/graph.html"])
def test_a_missing_folder_not_named_with_a_tilde_first_says_only_that_it_is_missing(in_tmp, path):
    with pytest.raises(FileNotFoundError) as info:
        writable_target(path)
    assert str(info.value).endswith("' does not exist") and "expanduser" not in str(info.value)


def test_save_html_save_graph_and_nn_save_to_a_tilde_path_say_so_and_write_nothing(in_tmp):
    x = Value(0.5, "x")
    hint = re.escape("; `~` is not expanded here, as in open(): pass os.path.expanduser(")
    with pytest.raises(FileNotFoundError, match=rf"^cannot save a step-through to '~/g.html': .*{hint}'~/g.html'\)$"):
        save_html(x.tanh(), "~/g.html")
    with pytest.raises(FileNotFoundError, match=rf"^cannot save a drawing to '~/g.svg': .*{hint}'~/g.svg'\)$"):
        save_graph(x.tanh(), "~/g.svg")
    with pytest.raises(FileNotFoundError, match=rf"^cannot save a model to '~/m.json': .*{hint}'~/m.json'\)$"):
        nn.save(nn.MLP(2, [1], seed=0), "~/m.json")
    assert os.listdir(in_tmp) == []


def test_a_folder_named_tilde_is_written_into_as_open_would(in_tmp):
    (in_tmp / "~").mkdir()
    assert save_graph(Value(2.0, "x") * 3, "~/g.dot") == "~/g.dot"
    assert (in_tmp / "~" / "g.dot").read_text().startswith("digraph")


def _writers(root):
    return [lambda path: save_html(root, path), lambda path: save_graph(root, path),
            lambda path: nn.save(nn.Linear(1, 1, seed=0), path)]


@pytest.mark.parametrize("writer", range(3))
def test_a_nul_character_in_the_path_is_a_value_error_naming_path(writer, in_tmp):
    x = Value(1.0)
    with pytest.raises(ValueError, match=r"^path must not contain a NUL character, got str "):
        _writers(x * x)[writer]("g\0.html" if writer == 0 else "g\0.dot" if writer == 1 else "m\0.json")
    assert os.listdir(in_tmp) == []


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc, a folder that takes no new files")
def test_a_folder_that_takes_no_new_files_is_named_not_the_temporary_file():
    x = Value(1.0)
    with pytest.raises(OSError) as info:
        save_html(x * x, "/proc/graph.html")
    message = str(info.value)
    assert message.startswith("cannot save a step-through to '/proc/graph.html': the folder '/proc' does not take "
                              "new files (")
    assert ".tmp-" not in message and "\n" not in message
