"""no_grad / enable_grad / detect_anomaly as decorators and context managers: threads, recursion, generators, tasks."""

import asyncio
import threading

import pytest

from autograd_engine import Value, detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad

N_THREADS = 8
ROUNDS = 5


def records(v: Value) -> bool:
    """Whether an operation on ``v`` was recorded (grad mode on) or made a leaf (off)."""
    return not (v * 2).is_leaf


def run_threads(target, n=N_THREADS):
    """Run ``target(i)`` in ``n`` threads; return the exceptions they raised."""
    errors = []

    def guarded(i):
        try:
            target(i)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


# -- decorators across threads --------------------------------------------------------------------------

@pytest.mark.parametrize("mode, outer, inside", [
    (no_grad, None, False),
    (enable_grad, no_grad, True),  # enable_grad inside each thread's own no_grad block
])
def test_eight_threads_in_one_decorated_function_at_once(mode, outer, inside):
    barrier = threading.Barrier(N_THREADS, timeout=60)
    seen = [[] for _ in range(N_THREADS)]
    x = Value(1.0)

    @mode()
    def body(i):
        barrier.wait()  # every thread is inside the decorated call now
        before = is_grad_enabled(), records(x)
        barrier.wait()  # and the others have all entered (and set their own contexts) meanwhile
        return before, (is_grad_enabled(), records(x))

    def thread(i):
        for _ in range(ROUNDS):
            if outer is None:
                result = body(i)
                after = is_grad_enabled()
            else:
                with outer():
                    result = body(i)
                    after = is_grad_enabled()
            seen[i].append((result, after, is_grad_enabled()))

    assert run_threads(thread) == []
    expected = (((inside, inside), (inside, inside)), outer is None, True)  # (inside twice, after, at the end)
    assert seen == [[expected] * ROUNDS] * N_THREADS
    assert is_grad_enabled()


def test_detect_anomaly_decorator_in_eight_threads_at_once():
    barrier = threading.Barrier(N_THREADS, timeout=60)
    seen = []

    @detect_anomaly()
    def body():
        barrier.wait()
        enabled = is_anomaly_enabled()
        barrier.wait()
        return enabled and is_anomaly_enabled() and is_grad_enabled()

    def thread(i):
        for _ in range(ROUNDS):
            seen.append((body(), is_anomaly_enabled()))

    assert run_threads(thread) == []
    assert seen == [(True, False)] * (N_THREADS * ROUNDS)
    assert not is_anomaly_enabled()


def test_one_context_manager_instance_shared_by_threads_and_nested():
    guard = no_grad()
    barrier = threading.Barrier(N_THREADS, timeout=60)
    seen = []

    def thread(i):
        for _ in range(ROUNDS):
            with guard:
                barrier.wait()
                with guard:
                    inner = is_grad_enabled()
                barrier.wait()
                middle = is_grad_enabled()
            seen.append((inner, middle, is_grad_enabled()))

    assert run_threads(thread) == []
    assert seen == [(False, False, True)] * (N_THREADS * ROUNDS)


# -- re-entrancy ----------------------------------------------------------------------------------------

def test_one_instance_nested_with_itself_and_as_decorator():
    guard = no_grad()

    @guard
    def f():
        with guard:
            inner = is_grad_enabled()
        return inner, is_grad_enabled()

    with guard:
        with guard:
            assert f() == (False, False)
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert f() == (False, False) and is_grad_enabled()


def test_recursive_decorated_functions_alternating_modes():
    trace = []

    @no_grad()
    def off(n):
        trace.append(("off", n, is_grad_enabled()))
        if n:
            on(n - 1)
        trace.append(("off after", n, is_grad_enabled()))

    @enable_grad()
    def on(n):
        trace.append(("on", n, is_grad_enabled()))
        if n:
            off(n - 1)
            with no_grad():
                trace.append(("no_grad inside on", n, is_grad_enabled()))
        trace.append(("on after", n, is_grad_enabled()))

    off(30)
    assert is_grad_enabled()
    for kind, _, enabled in trace:
        assert enabled == kind.startswith("on"), (kind, enabled)
    assert len(trace) == 31 * 2 + 15  # each level twice, and the no_grad block of each `on` that recursed


def test_recursive_function_decorated_with_itself_restores_each_level():
    depth_modes = []

    @no_grad()
    def f(n):
        depth_modes.append(is_grad_enabled())
        if n:
            with enable_grad():
                depth_modes.append(is_grad_enabled())
                f(n - 1)
                depth_modes.append(is_grad_enabled())
        depth_modes.append(is_grad_enabled())

    f(20)
    assert depth_modes.count(True) == 40 and depth_modes.count(False) == 42
    assert is_grad_enabled()


def test_exception_leaves_the_mode_as_it_was():
    @no_grad()
    def fails():
        raise KeyError("user's own error")

    with pytest.raises(KeyError):
        fails()
    assert is_grad_enabled()
    with no_grad():
        with pytest.raises(KeyError):
            enable_grad()(fails.__wrapped__)()
        assert not is_grad_enabled()


# -- methods --------------------------------------------------------------------------------------------

class Model:
    def __init__(self):
        self.w = Value(2.0)

    @no_grad()
    def predict(self, x):
        """Evaluate without recording."""
        return self.w * x, is_grad_enabled()

    @enable_grad()
    def train_step(self, x):
        return self.w * x


def test_decorated_methods():
    m = Model()
    y, enabled = m.predict(3.0)
    assert y.data == 6.0 and y.is_leaf and not enabled and is_grad_enabled()
    with no_grad():
        z = m.train_step(3.0)
    z.backward()
    assert m.w.grad == 3.0
    assert Model.predict.__name__ == "predict" and Model.predict.__doc__ == "Evaluate without recording."


# -- generators -----------------------------------------------------------------------------------------

def test_generator_body_runs_in_the_mode_and_the_caller_keeps_its_own():
    body = []

    @no_grad()
    def gen(x):
        body.append(("start", is_grad_enabled()))
        received = yield x * 2
        body.append(("after first yield", is_grad_enabled(), received))
        yield x * 3
        body.append(("end", is_grad_enabled()))
        return "done"

    g = gen(Value(1.0))
    assert body == [] and is_grad_enabled()  # nothing runs until the first next()
    first = next(g)
    assert first.is_leaf and is_grad_enabled()  # made inside: a leaf; the caller records again
    assert records(Value(1.0))
    second = g.send("hello")
    assert second.is_leaf and is_grad_enabled()
    with pytest.raises(StopIteration) as stop:
        next(g)
    assert stop.value.value == "done"
    assert body == [("start", False), ("after first yield", False, "hello"), ("end", False)]
    assert is_grad_enabled()


def test_enable_grad_generator_resumed_from_a_no_grad_caller():
    @enable_grad()
    def gen():
        while True:
            yield is_grad_enabled()

    with no_grad():
        g = gen()
        assert [next(g) for _ in range(3)] == [True] * 3
        assert not is_grad_enabled()
        g.close()
        assert not is_grad_enabled()


def test_generator_close_runs_cleanup_in_the_mode_and_restores_the_caller():
    cleanup = []

    @no_grad()
    def gen():
        try:
            yield 1
            yield 2
        finally:
            cleanup.append(is_grad_enabled())

    g = gen()
    next(g)
    g.close()
    assert cleanup == [False] and is_grad_enabled()
    unstarted = gen()
    unstarted.close()  # never started: nothing runs
    assert cleanup == [False] and is_grad_enabled()


def test_generator_exceptions_thrown_in_and_raised_inside():
    @no_grad()
    def gen():
        try:
            yield "first"
        except ValueError as exc:
            yield ("caught", str(exc), is_grad_enabled())
        raise KeyError("from inside")

    g = gen()
    next(g)
    assert g.throw(ValueError("thrown")) == ("caught", "thrown", False)
    assert is_grad_enabled()
    with pytest.raises(KeyError, match="from inside"):
        next(g)
    assert is_grad_enabled()

    g = gen()
    next(g)
    with pytest.raises(TypeError, match="not caught"):
        g.throw(TypeError("not caught"))
    assert is_grad_enabled()


def test_generator_with_yield_from_and_in_threads():
    @no_grad()
    def inner():
        yield is_grad_enabled()
        return "inner done"

    def outer():
        result = yield from inner()
        yield (result, is_grad_enabled())

    assert list(outer()) == [False, ("inner done", True)]

    barrier = threading.Barrier(N_THREADS, timeout=60)
    seen = []

    @no_grad()
    def gen():
        for _ in range(ROUNDS):
            yield is_grad_enabled()

    def thread(i):
        g = gen()
        for enabled in g:
            barrier.wait()  # all threads are between two resumptions of their own generator
            seen.append((enabled, is_grad_enabled()))

    assert run_threads(thread) == []
    assert seen == [(False, True)] * (N_THREADS * ROUNDS)


# -- asyncio tasks (each has its own context) -----------------------------------------------------------

def test_a_task_suspended_inside_no_grad_does_not_disable_another_task():
    log = []

    async def inside(entered, release):
        with no_grad():
            entered.set()
            await release.wait()
            log.append(("inside", is_grad_enabled()))
        log.append(("inside after", is_grad_enabled()))

    async def other(entered, release):
        await entered.wait()
        log.append(("other", is_grad_enabled()))
        release.set()

    async def main():
        entered, release = asyncio.Event(), asyncio.Event()
        await asyncio.gather(inside(entered, release), other(entered, release))
        with no_grad():
            started_inside = asyncio.create_task(mode_in_a_task())
        started_outside = asyncio.create_task(mode_in_a_task())
        return await started_inside, await started_outside

    async def mode_in_a_task():
        return is_grad_enabled()

    assert asyncio.run(main()) == (False, True)  # a task copies the mode of the code that created it
    assert log == [("other", True), ("inside", False), ("inside after", True)]
    assert is_grad_enabled()


def test_one_instance_shared_by_interleaved_tasks():
    guard = no_grad()
    log = []

    async def first(entered, release):
        with guard:
            entered.set()
            await release.wait()  # the other task enters and leaves the same instance meanwhile
            log.append(("first inside", is_grad_enabled()))
        log.append(("first after", is_grad_enabled()))

    async def second(entered, release):
        await entered.wait()
        with guard:
            release.set()
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            log.append(("second inside", is_grad_enabled()))
        log.append(("second after", is_grad_enabled()))

    async def main():
        entered, release = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(first(entered, release), second(entered, release), return_exceptions=True)

    assert asyncio.run(main()) == [None, None]
    assert sorted(log) == [("first after", True), ("first inside", False), ("second after", True),
                           ("second inside", False)]
    assert is_grad_enabled()


def test_decorating_a_coroutine_function_applies_while_it_runs():
    @no_grad()
    async def inside():
        await asyncio.sleep(0)
        y = Value(2.0) * 3
        return is_grad_enabled(), y.is_leaf

    async def main():
        result = await inside()
        return result, is_grad_enabled()

    assert asyncio.run(main()) == ((False, True), True)
    assert is_grad_enabled()


def test_bare_decorators_work_like_called_ones():
    @no_grad
    def off():
        return is_grad_enabled()

    @detect_anomaly
    def watched():
        return is_anomaly_enabled()

    with no_grad():
        @enable_grad
        def on():
            return is_grad_enabled()

        assert on() is True and not is_grad_enabled()
    assert off() is False and watched() is True
    assert is_grad_enabled() and not is_anomaly_enabled()


def test_exit_without_enter_is_a_runtime_error_and_changes_nothing():
    with pytest.raises(RuntimeError, match=r"^no_grad\(\) exited without being entered in this thread or task$"):
        no_grad().__exit__(None, None, None)
    assert is_grad_enabled()


async def _async_gen():
    yield 1


ERROR_CASES = [
    ("no_grad-decorates-an-async-generator", lambda: no_grad()(_async_gen), TypeError,
     r"no_grad\(\) cannot decorate an async generator function"),
    ("no_grad-decorates-an-int", lambda: no_grad()(3), TypeError, r"no_grad\(\) decorates a function, got int 3"),
    ("enable_grad-decorates-none", lambda: enable_grad()(None), TypeError,
     r"enable_grad\(\) decorates a function, got NoneType"),
    ("detect_anomaly-decorates-a-str", lambda: detect_anomaly()("f"), TypeError,
     r"detect_anomaly\(\) decorates a function, got str"),
]


@pytest.mark.parametrize("call, exc, pattern", [case[1:] for case in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_error_cases(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
    assert is_grad_enabled() and not is_anomaly_enabled()
