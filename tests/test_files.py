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
