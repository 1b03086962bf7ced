"""The backward step-through as one offline HTML file, and its display in a notebook.

The page shows the graph once, laid out once, and a list of small changes per step
(the gradients that step changed, whether they are complete, the contributions sent
along the edges, one sentence). Stepping replays the changes, so the picture never
jumps and the file grows with the graph, not with graph size times steps.

**How the graph is drawn.** With Graphviz's ``dot`` on the machine the SVG is rendered
at export time and embedded (a neuron's page is about 24 KB). Without ``dot`` the page
embeds the DOT source and a vendored JavaScript Graphviz, ``@hpcc-js/wasm-graphviz``
1.29.2 (Graphviz compiled to WebAssembly, one 815 KB ES module, Apache-2.0, see
``vendor/README.md``), which lays it out in the browser. It was chosen over
``@viz-js/viz`` (a 1.33 MB global build whose npm package ships no licence file) and
``d3-graphviz`` (which needs d3 and a WebAssembly Graphviz besides) for being the smallest
single file with its licence. Either way the file needs no network: nothing is fetched
at view time, so it can be e-mailed or put on a course page.

Nothing here is imported by ``import autograd_engine`` until it is used.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from typing import Any

from ..files import as_path, atomic_write, writable_target
from ..ops import parents_of
from ..validation import as_choice, describe
from ..value import Value
from .dot import GraphvizNotFoundError, build_graph, check_option_names, edge_id_of, format_number, has_dot
from .sweep import SweepState, say, sweep_states, who

__all__ = ["StepThrough", "save_html", "show_backward", "browser_bundle"]

#: The options of to_dot that the step-through passes on to the drawing.
_DRAWING_OPTIONS = ("rankdir", "max_nodes", "depth", "group_by", "highlight", "parameters")

_EXPORTS = re.compile(r"export\s*\{([^}]*)\};?\s*(//# sourceMappingURL=\S*)?\s*$")

_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 12px; color: #222; }
#ae-bar button { font-size: 14px; margin-right: 4px; }
#ae-count { font-weight: bold; margin: 0 10px; }
#ae-line { font-family: Menlo, Consolas, monospace; font-size: 14px; background: #f6f6f6; padding: 6px;
           min-height: 1.4em; }
#ae-graph { border: 1px solid #ccc; height: 70vh; min-height: 320px; cursor: grab; overflow: hidden; }
#ae-graph svg { width: 100%; height: 100%; }
#ae-legend { font-size: 12px; color: #555; margin: 4px 0; }
#ae-log { font-family: Menlo, Consolas, monospace; font-size: 12px; color: #555; max-height: 20vh; overflow: auto; }
.ae-dashed { border: 1px dashed #7f8c8d; padding: 0 4px; }
.ae-solid { border: 1px solid #222; padding: 0 4px; }
.ae-current { background: #fff1b8; border: 1px solid #9a7d0a; padding: 0 4px; }
"""

_LEGEND = ('<span class="ae-dashed">dashed border</span> grad still partial (a node that uses it has not sent '
           'its share) &nbsp; <span class="ae-solid">solid</span> grad complete &nbsp; '
           '<span class="ae-current">yellow</span> the node of this step &nbsp; edges: <b>∂</b> local derivative '
           '∂ output / ∂ input, <b>g·∂</b> the contribution sent. Keys: → next step, ← previous, Home, End; '
           'wheel to zoom, drag to pan.')


@functools.cache
def _renderer_script() -> str:
    """The vendored ES module as a classic script that defines ``aeGraphviz`` (so it can be inlined)."""
    from importlib import resources

    code = (resources.files(__package__) / "vendor" / "wasm-graphviz.js").read_text(encoding="utf-8")
    match = _EXPORTS.search(code)
    if match is None or "</script" in code.lower():
        raise RuntimeError("the vendored wasm-graphviz.js is not the expected module; re-create it with "
                           "scripts/vendor_js.py")
    names = ", ".join(f"{pair.split(' as ')[1].strip()}: {pair.split(' as ')[0].strip()}"
                      for pair in match.group(1).split(","))
    return f'var aeGraphviz = (function () {{ "use strict";\n{code[:match.start()]}\nreturn {{{names}}};\n}})();'


def _page_script() -> str:
    from importlib import resources

    return (resources.files(__package__) / "page.js").read_text(encoding="utf-8")


def _json_for_script(data: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``<``, ``>`` or ``&`` appear literally."""
    import json

    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(title: str, data: dict[str, Any], svg: str | None, stepping: bool) -> str:
    import html

    bar = ('<div id="ae-bar"><button id="ae-first">« start</button><button id="ae-prev">◀ back</button>'
           '<button id="ae-next">step ▶</button><button id="ae-last">end »</button><span id="ae-count"></span>'
           '<button id="ae-zoom-in">+</button><button id="ae-zoom-out">&minus;</button><button id="ae-fit">fit</button>'
           '</div>')
    hidden = "" if stepping else ' style="display:none"'
    renderer = "" if svg is not None else f"<script>{_renderer_script()}</script>\n"
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            f"<div{hidden}>{bar}\n<p id=\"ae-line\"></p>\n<div id=\"ae-legend\">{_LEGEND}</div></div>\n"
            f'<div id="ae-graph">{svg or ""}</div>\n<ol id="ae-log" reversed{hidden}></ol>\n'
            f'<script type="application/json" id="ae-data">{_json_for_script(data)}</script>\n'
            f"{renderer}<script>{_page_script()}</script>\n</body>\n</html>\n")


def _check_step_options(function: str, options: dict[str, Any]) -> None:
    """Refuse ``step``/``show_grad`` (the page shows every step and gradient) and options it does not take."""
    for name in ("step", "show_grad"):
        if name in options:
            raise TypeError(f"the step-through shows every step and every gradient itself; it takes no "
                            f"{name} option, got {name}={options[name]!r}")
    check_option_names(function, options, ("renderer", "edge_labels", *_DRAWING_OPTIONS))


def _html_path(path: Any) -> str:
    """``path`` checked: a non-empty str or ``os.PathLike`` ending in ``.html`` or ``.htm``."""
    path = as_path(path)
    if os.path.splitext(path)[1].lower() not in (".html", ".htm"):
        raise ValueError(f"path must end in .html or .htm (the page is HTML), got {path!r}")
    return path


def _render_svg(graph: Any) -> str:
    text = graph.pipe(format="svg", encoding="utf-8")
    return text[text.index("<svg"):]


def _iframe(page: str, height: int = 620) -> str:
    import html

    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:{height}px;border:0" '
            f'sandbox="allow-scripts"></iframe>')


def browser_bundle(dot_source: str, text: str) -> dict[str, str]:
    """A notebook display of a drawing without ``dot``: HTML that lays ``dot_source`` out in the browser.

    Returns:
        ``{"text/html": an iframe holding a self-contained page, "text/plain": text}``.
    """
    page = _page("graph", {"dot": dot_source, "init": {}, "edges": [], "steps": [{"n": None, "t": "", "g": [],
                                                                                  "e": []}]}, None, False)
    return {"text/html": _iframe(page, 480), "text/plain": text}


class StepThrough:
    """Backward one node at a time, as a page: the object :func:`show_backward` returns.

    Built from the sweep of :func:`autograd_engine.backward_steps` (nothing's ``.grad`` is
    touched). Step 0 shows the forward values and all-zero gradients but the root's seed;
    each following step is one node of the sweep, the root and the leaves included; the last
    shows the complete gradients. Edges carry the local derivative and, once sent, the
    contribution. Graphs larger than ``max_nodes`` are cut by depth as in :func:`to_dot`;
    steps of nodes not drawn one by one (cut, or in a ``group_by`` box) are folded into the
    next drawn one, so the number of steps is at most the number of drawn nodes + 1. The
    sentences count the page's steps (``step 3 of 40``); on such a page each also names its
    step in the whole sweep (``(the sweep's step 3 of 508)``). The sweep runs once, and only
    the drawn steps are put in words.

    Args:
        root: the node to differentiate.
        renderer: "auto" (``dot`` when installed, else the browser), "dot" (an SVG rendered now)
            or "browser" (the page embeds the DOT source and the vendored JavaScript Graphviz).
        edge_labels: label edges with local derivatives and contributions (default True).
        **options: the drawing options of :func:`to_dot` (``rankdir``, ``max_nodes``, ``depth``,
            ``group_by``, ``highlight``, ``parameters``), not ``step`` or ``show_grad``.

    Attributes:
        sentences: one sentence per step (``sentences[0]`` for step 0).

    Raises:
        TypeError, ValueError: a bad argument (the message names it).
        GraphvizNotFoundError: ``renderer="dot"`` and ``dot`` is missing.

    >>> from autograd_engine import Value
    >>> x = Value(0.5, "x")
    >>> steps = StepThrough(x.tanh(), renderer="browser")
    >>> len(steps), steps.sentences[2][:50]
    (2, 'step 2 of 2: x is a leaf: it only accumulated what')
    """

    def __init__(self, root: Value, *, renderer: str = "auto", edge_labels: bool = True, **options: Any) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"root must be a Value, got {describe(root)}")
        _check_step_options("StepThrough", options)
        self.renderer = as_choice(renderer, "renderer", ("auto", "dot", "browser"))
        if self.renderer == "auto":
            self.renderer = "dot" if has_dot() else "browser"
        if self.renderer == "dot" and not has_dot():
            raise GraphvizNotFoundError("renderer='dot' needs Graphviz's `dot` program, which is not on PATH; "
                                        "use renderer='browser' (or 'auto'), or install Graphviz")
        self.root = root
        records, final = self._sweep()
        self._graph = build_graph(root, state=final, edge_labels=edge_labels, ids=True, step_caption=False,
                                  **options)
        self._data = self._steps(self._graph.node_ids, records)
        self.sentences = [s["t"] for s in self._data["steps"]]

    def _sweep(self) -> tuple[list[tuple[Any, ...]], SweepState]:
        """One pass of the sweep: for each step ``(step, [(node, grad, complete) changed], sent)``, and the end."""
        records = []
        for state in sweep_states(self.root):
            if state.node is not None:
                records.append((state.last, [(v, state.grads.get(v, 0.0), v in state.complete) for v in state.changed],
                                state.sent[state.node]))
        return records, state.copy()

    def _steps(self, ids: dict[Value, str], records: list[tuple[Any, ...]]) -> dict[str, Any]:
        """The page's data: the first state, and per drawn step its changes and sentence.

        Steps of nodes not drawn one by one (a graph cut by depth, nodes in group boxes) are folded into
        the next drawn one; the sentences number the page's steps, and on a cut graph each also names its place
        in the whole sweep.
        """
        # before the first step: the seed 1 on the root, the only complete gradient; every other node waits
        init = {i: [format_number(1.0 if v is self.root else 0.0), int(v is not self.root)] for v, i in ids.items()}
        drawn: list[tuple[Any, int, dict[str, list[Any]], dict[str, list[str]]]] = []
        folded, in_box, changes, sent = 0, 0, {}, {}
        for step, changed, contributions in records:
            for v, grad, complete in changed:
                if v in ids:
                    changes[ids[v]] = [ids[v], format_number(grad), int(not complete)]
            v = step.node
            if v not in ids:
                folded += 1
                in_box += v in self._graph.grouped
                continue
            for i, (p, d) in enumerate(zip(parents_of(v), contributions)):
                if p in ids:
                    sent[edge_id_of(ids[v], i)] = [edge_id_of(ids[v], i), f"g·∂ {format_number(d)}"]
            drawn.append((step, folded, changes, sent))
            folded, changes, sent = 0, {}, {}
        total = len(drawn) + (1 if folded else 0)
        sweep = len(records)
        steps: list[dict[str, Any]] = [{"n": None, "t": say(None, self.root, 0, total), "g": [], "e": []}]
        for number, (step, skipped, changes, sent) in enumerate(drawn, 1):
            text = say(step, self.root, number, total)
            if skipped or total != sweep:
                text += (f" (the sweep's step {step.index} of {sweep}" +
                         (f"; {skipped} steps of nodes not drawn came before it)" if skipped else ")"))
            steps.append({"n": ids[step.node], "t": text, "g": list(changes.values()), "e": list(sent.values())})
        if folded:
            why = "collapsed into group boxes" if in_box == folded else "the graph is cut by depth" if not in_box \
                else "cut by depth or collapsed into group boxes"
            steps.append({"n": None, "t": f"step {total} of {total}: the last {folded} steps of the sweep, of nodes "
                                          f"not drawn one by one ({why}): every gradient is now complete.",
                          "g": list(changes.values()), "e": list(sent.values())})
        return {"dot": None, "init": init, "edges": sorted({e for s in steps for e, _ in s["e"]}), "steps": steps}

    def __len__(self) -> int:
        """The number of steps after step 0 (the last one shows the complete gradients)."""
        return len(self.sentences) - 1

    def __repr__(self) -> str:
        return f"StepThrough({who(self.root)}: {len(self)} steps; .save_html(path) writes the page)"

    @functools.cached_property
    def _svg(self) -> str | None:
        """The drawing rendered by ``dot`` once (None with the browser renderer)."""
        return _render_svg(self._graph) if self.renderer == "dot" else None

    def html(self) -> str:
        """The page, one self-contained HTML document (UTF-8 text)."""
        data = dict(self._data, dot=None if self._svg is not None else self._graph.source)
        return _page(f"backward step-through: {who(self.root)}", data, self._svg, True)

    def save_html(self, path: str | os.PathLike[str]) -> str:
        """Write the page to ``path`` (atomically; a symbolic link is written through).

        Returns:
            The path written.

        Raises:
            TypeError, ValueError: ``path`` is not a non-empty str or ``os.PathLike`` ending in ``.html``
                or ``.htm``.
            FileNotFoundError, IsADirectoryError, PermissionError: the folder is missing, ``path`` is
                a folder, or the file or its folder is read-only (nothing is changed).
        """
        path = _html_path(path)
        writable_target(path, "save a step-through to")
        return atomic_write(path, self.html().encode("utf-8"), what="save a step-through to")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """In a notebook: the page in an iframe (kept in the saved notebook), and the final state as SVG."""
        bundle = {"text/html": _iframe(self.html()), "text/plain": repr(self)}
        if self._svg is not None:
            bundle["image/svg+xml"] = self._svg
        return bundle


def save_html(root: Value, path: str | os.PathLike[str], **options: Any) -> str:
    """Write the backward step-through of ``root`` to ``path`` as one offline HTML file.

    The page needs no network and no Python: open it in a browser, step with → and ← (or
    the buttons), zoom with the wheel, drag to pan. Share it by e-mail or on a course page.
    Takes the options of :class:`StepThrough`.

    Returns:
        The path written.

    Raises:
        TypeError, ValueError: a bad argument (the message names it), or ``path`` does not end in
            ``.html`` or ``.htm``.
        FileNotFoundError, IsADirectoryError, PermissionError: see :meth:`StepThrough.save_html`.

    >>> import os, tempfile
    >>> from autograd_engine import Value
    >>> out = save_html(Value(0.5, "x").tanh(), os.path.join(tempfile.mkdtemp(), "tanh.html"))
    >>> "<meta charset=\\"utf-8\\">" in open(out, encoding="utf-8").read()
    True
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {describe(root)}")
    _check_step_options("save_html", options)
    _html_path(path)
    return StepThrough(root, **options).save_html(path)


def _in_notebook() -> bool:
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def show_backward(root: Value, path: str | os.PathLike[str] | None = None, **options: Any) -> StepThrough:
    """Step through backward: in a notebook the page itself, elsewhere an HTML file to open.

    In Jupyter the returned :class:`StepThrough` displays as the step-through page (inside an
    iframe, so it keeps working when the notebook is saved, reopened without a kernel or
    converted with nbconvert). Outside a notebook the page is written to ``path`` (default: a
    new file in the temporary folder) and a line says where it is.

    Args:
        root: the node to differentiate.
        path: where to write the page (ending in ``.html`` or ``.htm``); outside a notebook a new file in
            the temporary folder when not given, in a notebook written only if given.
        **options: the options of :class:`StepThrough`.

    Returns:
        The :class:`StepThrough` (its ``save_html`` writes the page again anywhere).

    Raises:
        TypeError, ValueError: a bad argument (the message names it).
    """
    _check_step_options("show_backward", options)
    if path is not None:
        path = _html_path(path)
    steps = StepThrough(root, **options)
    if path is None and not _in_notebook():
        import tempfile

        fd, path = tempfile.mkstemp(prefix="backward-", suffix=".html")
        os.close(fd)
    if path is not None:
        steps.save_html(path)
        print(f"backward step-through of {who(root)} ({len(steps)} steps) written to {path}: "
              f"open it in a browser")
    return steps
