"""Pictures of the computation graph and of backward.

* :mod:`.dot`: DOT source (:func:`to_dot`), rendering with Graphviz's ``dot``
  (:func:`draw_dot`, :func:`save_graph`), the notebook display of a Value;
* :mod:`.sweep`: local derivatives, contributions and the sweep's state step by step,
  all from the one rule table;
* :mod:`.html`: the offline HTML step-through (:func:`save_html`, :func:`show_backward`,
  :class:`StepThrough`), drawn by ``dot`` at export time or, without ``dot``, by the
  vendored JavaScript Graphviz in ``vendor/`` (re-created by ``scripts/vendor_js.py``).

Only rendering to SVG/PNG/PDF files needs the ``dot`` program.
"""

from .dot import GraphvizNotFoundError, draw_dot, format_number, has_dot, mimebundle, save_graph, to_dot
from .html import StepThrough, save_html, show_backward
from .sweep import local_derivatives

__all__ = ["GraphvizNotFoundError", "to_dot", "draw_dot", "save_graph", "show_backward", "save_html", "StepThrough",
           "format_number", "has_dot", "mimebundle", "local_derivatives"]
