"""A scalar reverse-mode automatic-differentiation engine.

>>> from autograd_engine import Value
>>> x = Value(2.0, "x")
>>> y = x * x + x.exp()
>>> y.backward()
>>> round(x.grad, 6)
11.389056
"""

from .anomaly import enable_grad, is_grad_enabled, no_grad
from .backward import topological_order
from .gradcheck import GradcheckError, RuleMismatch, analytical_jacobian, gradcheck, numerical_jacobian
from .ops import OPS, Op, cos, exp, leaky_relu, log, relu, sigmoid, sin, softplus, sqrt, tanh
from .value import Value, apply, dot, logsumexp, softmax, vsum

__version__ = "0.1.0"

__all__ = [
    "Value", "vsum", "dot", "logsumexp", "softmax",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "sin", "cos",
    "no_grad", "enable_grad", "is_grad_enabled",
    "gradcheck", "GradcheckError", "RuleMismatch", "numerical_jacobian", "analytical_jacobian",
    "topological_order", "OPS", "Op", "apply",
]
