"""check_my_grads: right about a correct Value class, and exact about what is wrong in a broken one."""

import contextlib
import importlib
import math
import sys
import threading

import pytest

from autograd_engine import Value, check_my_grads
from autograd_engine.exercises import MAX_STEPS, GradReport


class Good:
    """A micrograd-style Value, written the way the exercise notebook asks for it."""

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    def __add__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = type(self)(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def topological_order(self):
        topo, visited, stack = [], set(), [(self, False)]
        while stack:  # iterative: deep graphs do not hit the recursion limit
            v, inputs_done = stack.pop()
            if inputs_done:
                topo.append(v)
            elif v not in visited:
                visited.add(v)
                stack.append((v, True))
                stack.extend((child, False) for child in v._prev)
        return topo

    def backward(self):
        topo = self.topological_order()
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


def _with_backward(name, rule):
    """A subclass of Good whose op ``name`` uses ``rule(self, other, out)`` as its backward."""

    def method(self, other=None):
        out = getattr(Good, name)(self) if other is None else getattr(Good, name)(self, other)
        other = other if other is None or isinstance(other, Good) else Good(other)
        out._backward = lambda: rule(self, other, out)
        return out

    return type(f"Wrong_{name.strip('_')}", (Good,), {name: method})


def _swapped(self, other, out):  # d/dx of x * y taken as x instead of y
    self.grad += self.data * out.grad
    other.grad += other.data * out.grad


def _no_upstream(self, other, out):
    self.grad += other.data
    other.grad += self.data


def _set_not_add(self, other, out):
    self.grad = other.data * out.grad
    other.grad = self.data * out.grad


def _tanh_of_input(self, other, out):  # 1 - x**2 where 1 - tanh(x)**2 is meant
    self.grad += (1 - self.data**2) * out.grad


WrongMul = _with_backward("__mul__", _swapped)
ForgetsUpstream = _with_backward("__mul__", _no_upstream)
SetsGrad = _with_backward("__mul__", _set_not_add)
WrongTanh = _with_backward("tanh", _tanh_of_input)


class NoVisitedSet(Good):
    """A topological sort that lists a node once per path to it."""

    def topological_order(self):
        topo = []

        def build(v):
            for child in v._prev:
                build(child)
            topo.append(v)

        build(self)
        return topo


class PreOrder(Good):
    """Lists a node before its inputs: reversed, the inputs' rules run before the node has sent them anything."""

    def topological_order(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                topo.append(v)
                for child in v._prev:
                    build(child)

        build(self)
        return topo


class NotReversed(Good):
    def backward(self):
        topo = self.topological_order()
        self.grad = 1.0
        for v in topo:
            v._backward()


class Stubs(Good):
    """The exercise notebook before the learner writes anything."""

    def __mul__(self, other):
        out = Good.__mul__(self, other)

        def _backward():
            raise NotImplementedError("mul's backward")

        out._backward = _backward
        return out

    def tanh(self):
        out = Good.tanh(self)

        def _backward():
            raise NotImplementedError("tanh's backward")

        out._backward = _backward
        return out

    def topological_order(self):
        raise NotImplementedError("the topological sort")


class OnlyAddMul(Good):
    tanh = None
    exp = None


def test_a_correct_class_is_right_everywhere():
    report = check_my_grads(Good)
    assert isinstance(report, GradReport) and report.ok and not report.failures
    statuses = {row.name: row.status for row in report.rows}
    assert statuses == {"add": "right", "mul": "right", "tanh": "right", "exp": "right", "relu": "missing",
                        "pow": "missing", "x * x": "right", "x + x + x": "right", "diamond": "right",
                        "neuron": "right", "chain": "right"}
    assert report["mul"].message == ("forward and gradients right at x=2, y=3 and at x=-1.5, y=0.5 (out.grad=2)")
    assert report.summary() == "Good: all 9 checks right; relu, pow not checked (missing, not required)"


def test_this_engines_value_is_right_everywhere():
    report = check_my_grads(Value)
    assert report.ok and all(row.status == "right" for row in report.rows)
    assert "through backward()" in report["mul"].message  # its nodes keep no _backward closure


def test_micrograds_value_is_right_where_it_has_the_op():
    micrograd_value = importlib.import_module("micrograd.engine").Value
    if micrograd_value is Value:  # another test swapped it for this engine's Value
        pytest.skip("micrograd.engine.Value is patched")
    report = check_my_grads(micrograd_value)
    statuses = {row.name: row.status for row in report.rows}
    assert statuses == {"add": "right", "mul": "right", "tanh": "missing", "exp": "missing", "relu": "right",
                        "pow": "right", "x * x": "right", "x + x + x": "right", "diamond": "right",
                        "neuron": "missing", "chain": "missing"}
    assert not report.ok and [row.name for row in report.failures] == ["tanh", "neuron", "chain"]
    assert report["tanh"].message == "Value has no method tanh (for x.tanh())"
    assert report["neuron"].message == "needs tanh"
    assert check_my_grads(micrograd_value, required=("add", "mul")).ok


def test_a_wrong_mul_rule_is_reported_with_the_expected_number():
    report = check_my_grads(WrongMul)
    assert report["mul"].status == "wrong"
    # out.grad = 2 arrives; d(x*y)/dx = y = 3, so 6 is expected; the rule sent x * out.grad = 4
    assert report["mul"].message == "d/dx wrong: got 4, expected 6 at x=2, y=3, out.grad=2"
    assert report["add"].status == report["tanh"].status == "right"
    assert report["diamond"].status == "wrong" and not report.ok


def test_a_rule_that_forgets_the_incoming_gradient_gets_a_hint():
    message = check_my_grads(ForgetsUpstream)["mul"].message
    assert message == "d/dx wrong: got 3, expected 6 at x=2, y=3, out.grad=2 (multiply by out.grad?)"


def test_a_wrong_tanh_rule_is_reported_with_the_expected_number():
    report = check_my_grads(WrongTanh)
    expected = 2 * (1 - math.tanh(0.5) ** 2)
    assert report["tanh"].status == "wrong"
    assert report["tanh"].message == f"d/dx wrong: got 1.5, expected {expected:g} at x=0.5, out.grad=2"
    assert report["neuron"].status == "wrong" and report["mul"].status == "right"


def test_gradients_set_instead_of_added_fail_where_a_node_is_used_twice():
    report = check_my_grads(SetsGrad)
    assert report["mul"].status == "right"  # the rule alone is right
    assert report["x * x"].message == ("d/dx wrong: got 3, expected 6 at x=3 "
                                       "(add into grad with +=, never set it with =)")


def test_a_sort_that_lists_a_shared_node_twice_double_counts():
    report = check_my_grads(NoVisitedSet)
    assert [r.name for r in report.rows if r.status == "wrong"] == ["diamond"]  # the only shared inner node
    # a = x * y is listed twice, so its backward runs twice: x gets y * a.grad = 3 * 14 twice, plus 6 from a + x
    assert report["diamond"].message == "d/dx wrong: got 90, expected 48 at x=2, y=3"


def test_a_sort_that_lists_a_node_before_its_inputs_loses_gradients():
    report = check_my_grads(PreOrder)
    assert [r.name for r in report.rows if r.status == "wrong"] == ["x + x + x", "diamond", "neuron", "chain"]
    assert report["x + x + x"].message == "d/dx wrong: got 1, expected 3 at x=3"  # no hint about +=: not the cause
    assert report["diamond"].message == "d/dx wrong: got 0, expected 48 at x=2, y=3"


def test_a_sweep_in_the_wrong_order_leaves_inputs_without_gradient():
    report = check_my_grads(NotReversed)
    assert report["x * x"].status == "right"  # one node: any order works
    # the leaves' rules run before the nodes above them have received any gradient
    assert report["neuron"].message.startswith("d/dx1 wrong: got 0, expected -1.5 at x1=2, x2=0, w1=-3, w2=1, b=6.88")


def test_unwritten_exercises_are_reported_as_not_written_yet():
    report = check_my_grads(Stubs)
    statuses = {row.name: row.status for row in report.rows}
    assert statuses["add"] == statuses["exp"] == "right"
    assert statuses["mul"] == statuses["tanh"] == statuses["x * x"] == statuses["neuron"] == "not written yet"
    assert report["mul"].message == "mul's _backward raised NotImplementedError(\"mul's backward\")"
    assert report["x * x"].message == "backward() raised NotImplementedError('the topological sort')"
    assert report.summary() == "Stubs: 2 of 9 checks right, 7 to fix; relu, pow not checked (missing, not required)"


def test_missing_ops_fail_only_when_required():
    assert not check_my_grads(OnlyAddMul).ok
    report = check_my_grads(OnlyAddMul, required=["add", "mul"])
    assert report.ok and report["tanh"].status == "missing" and report["chain"].message == "needs tanh"


class NoGrad(Good):
    def __init__(self, data, _children=(), _op=""):
        super().__init__(data, _children, _op)
        del self.grad


class GradBecomesNone(Good):
    def __add__(self, other):
        out = Good.__add__(self, other)

        def _backward():
            self.grad = other.grad = None

        out._backward = _backward
        return out


class MulGivesFloat(Good):
    def __mul__(self, other):
        return self.data * other.data


class RaisesInBackward(Good):
    def tanh(self):
        out = Good.tanh(self)
        out._backward = lambda: 1 / 0
        return out


class Endless(Good):
    def backward(self):
        while True:
            pass


class CatchesEverything(Good):
    """An endless loop that swallows every Exception cannot hide from the step budget."""

    def backward(self):
        while True:
            with contextlib.suppress(Exception):
                pass


class EndlessRecursion(Good):
    def topological_order(self):
        return EndlessRecursion.topological_order(self)


class NeedsTwoArguments(Good):
    def __init__(self, data, label):
        super().__init__(data)


class NoBackwardAttribute(Good):
    """Closures stored under another name: the op checks go through backward() instead."""

    def __init__(self, data, _children=(), _op=""):
        super().__init__(data, _children, _op)

    def __getattr__(self, name):
        if name == "_backward":
            raise AttributeError(name)
        return super().__getattribute__(name)

    def __setattr__(self, name, value):
        super().__setattr__("step" if name == "_backward" else name, value)

    def backward(self):
        topo = self.topological_order()
        self.grad = 1.0
        for v in reversed(topo):
            v.step()


def test_a_class_without_grad_is_told_so():
    report = check_my_grads(NoGrad)
    assert all(row.status == "error" for row in report.rows if row.status != "missing")
    assert report["add"].message == "NoGrad(2) has no attribute 'grad'"


def test_a_grad_that_is_not_a_number_is_wrong():
    assert check_my_grads(GradBecomesNone)["add"].message == "x.grad is NoneType None, expected a number"


def test_an_op_returning_a_float_is_wrong():
    assert check_my_grads(MulGivesFloat)["mul"].message == \
        "x * y at x=2, y=3 returned float 6.0, expected a MulGivesFloat"


def test_an_exception_inside_backward_is_reported():
    report = check_my_grads(RaisesInBackward)
    assert report["tanh"].message == "tanh's _backward raised ZeroDivisionError: division by zero"
    assert report["neuron"].status == "error" and report["mul"].status == "right"


@pytest.mark.parametrize("cls", [Endless, CatchesEverything])
def test_an_endless_backward_is_stopped_and_tracing_restored(cls):
    before = sys.gettrace()
    report = check_my_grads(cls)
    assert sys.gettrace() is before
    assert report["x * x"].message == f"backward() did not finish after {MAX_STEPS:,} steps (an endless loop?)"
    assert report["mul"].status == "right"  # the op checks call _backward only


def test_endless_recursion_is_reported():
    assert check_my_grads(EndlessRecursion)["diamond"].message.startswith(
        "backward() raised RecursionError")


def test_a_constructor_that_needs_more_arguments_is_reported():
    message = check_my_grads(NeedsTwoArguments)["add"].message
    assert message == "NeedsTwoArguments(2) raised TypeError: NeedsTwoArguments.__init__() missing 1 required " \
                      "positional argument: 'label'"


def test_a_class_without_backward_closures_is_checked_through_backward():
    report = check_my_grads(NoBackwardAttribute)
    assert report.ok
    assert report["mul"].message.endswith("(through backward(): no _backward on the result)")


def test_the_report_prints_and_shows_as_a_table():
    report = check_my_grads(WrongMul)
    text = str(report).splitlines()
    assert text[0] == report.summary() and len(text) == len(report.rows) + 1
    assert "XX mul" in text[2] and "expected 6" in text[2]
    html = report._repr_html_()
    assert html.count("<tr") == len(report.rows) + 1 and "expected 6 at x=2, y=3" in html
    with pytest.raises(KeyError, match="no check named 'div'"):
        report["div"]



class OneLineEndless(Good):
    """A loop on one line: no new line starts, so only a budget counted in instructions stops it."""

    def backward(self):
        while True: pass  # noqa: E701


class SwallowsTheStop(Good):
    """An endless loop inside a bare try/except: the stop is caught, and still reported."""

    def backward(self):
        try:
            while True:
                pass
        except BaseException:
            pass


class BackwardPropertyRaises(Good):
    @property
    def _backward(self):
        raise RuntimeError("no closure today")

    @_backward.setter
    def _backward(self, value):
        pass


class NoBackwardAtAll:
    """Forwards only: no _backward closures and no backward()."""

    def __init__(self, data):
        self.data = data
        self.grad = 0.0

    def __add__(self, other):
        return NoBackwardAtAll(self.data + other.data)

    def __mul__(self, other):
        return NoBackwardAtAll(self.data * other.data)


class SubclassOfValue(Value):
    """Inherits every op; the ops return this engine's Value, not the subclass."""


class Exits(Good):
    def backward(self):
        sys.exit(3)


class Interrupted(Good):
    def backward(self):
        raise KeyboardInterrupt


class UntracesItself(Good):
    """Turns tracing off inside its own backward (as a debugger or a profiler would): still checked."""

    def backward(self):
        sys.settrace(None)
        super().backward()


def test_a_one_line_endless_loop_is_stopped():
    report = check_my_grads(OneLineEndless, required=("add", "mul"))
    assert report["x * x"].message == f"backward() did not finish after {MAX_STEPS:,} steps (an endless loop?)"


def test_an_endless_loop_that_swallows_the_stop_is_still_reported():
    report = check_my_grads(SwallowsTheStop, required=("add", "mul"))
    assert report["x * x"].message == f"backward() did not finish after {MAX_STEPS:,} steps (an endless loop?)"
    assert report["mul"].status == "right"


def test_a_backward_closure_that_cannot_be_read_is_a_row():
    report = check_my_grads(BackwardPropertyRaises)
    assert report["mul"].message == "reading (x * y)._backward raised RuntimeError: no closure today"
    assert report["mul"].status == "error" and not report.ok


def test_a_class_without_any_backward_is_a_row():
    report = check_my_grads(NoBackwardAtAll, required=("add", "mul"))
    assert report["add"].message == "the result of x + y has no attribute 'backward'"
    assert report["x * x"].message == "the output has no attribute 'backward'"
    assert not report.ok


def test_a_subclass_of_this_engines_value_is_right_everywhere():
    report = check_my_grads(SubclassOfValue)
    assert report.ok and all(row.status == "right" for row in report.rows), str(report)


def test_a_subclass_of_micrograds_value_is_right_where_it_has_the_op():
    micrograd_value = importlib.import_module("micrograd.engine").Value
    report = check_my_grads(type("MyValue", (micrograd_value,), {}), required=("add", "mul", "relu", "pow"))
    assert report.ok, str(report)


@pytest.mark.parametrize(("cls", "stop"), [(Exits, SystemExit), (Interrupted, KeyboardInterrupt)])
def test_an_exit_or_an_interrupt_stops_the_check_and_restores_tracing(cls, stop):
    before = sys.gettrace()
    with pytest.raises(stop):
        check_my_grads(cls)
    assert sys.gettrace() is before


def test_a_class_that_turns_tracing_off_is_checked_and_tracing_restored():
    before = sys.gettrace()
    assert check_my_grads(UntracesItself).ok
    assert sys.gettrace() is before


def test_two_threads_check_at_once():
    results = {}

    def check(cls):
        results[cls] = (check_my_grads(cls), sys.gettrace())

    threads = [threading.Thread(target=check, args=(cls,)) for cls in (Endless, WrongMul, Good)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results[Good][0].ok and results[Good][1] is None
    assert results[WrongMul][0]["mul"].message == "d/dx wrong: got 4, expected 6 at x=2, y=3, out.grad=2"
    assert results[Endless][0]["x * x"].message.startswith("backward() did not finish after")
    assert results[Endless][0]["mul"].status == "right" and results[Endless][1] is None


ERROR_CASES = [
    ("check_my_grads-none", lambda: check_my_grads(None), TypeError,
     r"^value_class must be a class \(your Value\), got NoneType None$"),
    ("check_my_grads-a-str", lambda: check_my_grads("Value"), TypeError, r"^value_class must be a class .*got str"),
    ("check_my_grads-an-int", lambda: check_my_grads(42), TypeError, r"^value_class must be a class .*got int 42$"),
    ("check_my_grads-an-instance", lambda: check_my_grads(Good(2.0)), TypeError,
     r"^value_class must be a class \(your Value\), got Good .*; pass the class itself: check_my_grads\(Good\)$"),
    ("check_my_grads-an-engine-value", lambda: check_my_grads(Value(2.0)), TypeError,
     r"got Value .*; pass the class itself: check_my_grads\(Value\)$"),
    ("check_my_grads-a-function", lambda: check_my_grads(lambda x: x), TypeError, r"must be a class.*got function"),
    ("check_my_grads-required-a-str", lambda: check_my_grads(Good, required="mul"), TypeError,
     r"^required must be a list of op names such as \('add', 'mul'\), got str 'mul'$"),
    ("check_my_grads-required-none", lambda: check_my_grads(Good, required=None), TypeError,
     r"^required must be a list of op names .*got NoneType None$"),
    ("check_my_grads-required-unknown", lambda: check_my_grads(Good, required=["add", "div"]), ValueError,
     r"^required must be one of add, mul, tanh, exp, relu, pow, got str 'div'$"),
    ("check_my_grads-required-a-graph", lambda: check_my_grads(Good, required=["diamond"]), ValueError,
     r"^required must be one of add, mul, tanh, exp, relu, pow, got str 'diamond'$"),
    ("check_my_grads-required-a-number", lambda: check_my_grads(Good, required=[1]), TypeError,
     r"^required must be one of add, .*got int 1$"),
]
