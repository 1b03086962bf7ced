"""A scalar reverse-mode automatic-differentiation engine.

>>> from autograd_engine import Value
>>> x = Value(2.0, "x")
>>> y = x * x + x.exp()
>>> y.backward()
>>> round(x.grad, 6)
11.389056
"""

from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from .backward import BackwardStep, backward_steps, gradients, topological_order
from .custom import Primitive, primitive
from .functional import grad, hessian, hvp, jacobian, jvp, value_and_grad
from .gradcheck import (
    GradcheckError,
    RuleMismatch,
    analytical_jacobian,
    check_grads,
    gradcheck,
    gradgradcheck,
    numerical_jacobian,
)
from .hooks import RemovableHandle
from .modes import enable_grad, is_grad_enabled, no_grad
from .ops import (
    OPS,
    Op,
    cos,
    exp,
    leaky_relu,
    log,
    maximum,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    stop_gradient,
    tanh,
)
from .value import TracerError, Value, apply, dot, logsumexp, softmax, vsum
from .viz import GraphvizNotFoundError, StepThrough, draw_dot, save_graph, save_html, show_backward, to_dot

__version__ = "0.1.0"

#: Public names whose modules load on first use, so that ``import autograd_engine`` stays fast.
_LAZY = {"trace": ".compile", "Program": ".compile", "check_my_grads": ".exercises"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "Value", "vsum", "dot", "logsumexp", "softmax",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "sin", "cos",
    "maximum", "stop_gradient",
    "grad", "value_and_grad", "jacobian", "hessian", "hvp", "jvp", "gradients", "backward_steps", "BackwardStep",
    "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "is_anomaly_enabled", "AnomalyError",
    "gradcheck", "gradgradcheck", "GradcheckError", "RuleMismatch", "numerical_jacobian", "analytical_jacobian",
    "check_grads", "check_my_grads",
    "primitive", "Primitive", "RemovableHandle",
    "to_dot", "draw_dot", "save_graph", "show_backward", "save_html", "StepThrough", "GraphvizNotFoundError",
    "topological_order", "OPS", "Op", "apply",
    "trace", "Program", "TracerError",
]
