"""nn.optim: two steps of each optimizer against hand-computed updates; schedules; clipping."""

import math

import pytest

from autograd_engine import Value
from nn import SGD, Adam, CosineLR, LinearLR, RMSprop, StepLR, clip_grad_norm

GRADS = [0.5, -0.25]  # the gradient at step 1 and step 2


def run(opt_factory, x0=1.0):
    p = Value(x0)
    opt = opt_factory([p])
    out = []
    for g in GRADS:
        opt.zero_grad()
        assert p.grad == 0.0
        p.grad = g
        opt.step()
        out.append(p.data)
    return out


def test_sgd():
    assert run(lambda ps: SGD(ps, lr=0.1)) == pytest.approx([1 - 0.05, 1 - 0.05 + 0.025])


def test_sgd_momentum_and_weight_decay():
    # torch: g = grad + wd * p; b1 = g1; b2 = mu * b1 + g2; p -= lr * b
    p1 = 1.0 - 0.1 * (0.5 + 0.01 * 1.0)
    b1 = 0.5 + 0.01 * 1.0
    b2 = 0.9 * b1 + (-0.25 + 0.01 * p1)
    assert run(lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01)) == pytest.approx([p1, p1 - 0.1 * b2])


def test_rmsprop():
    s1 = 0.01 * 0.5**2
    p1 = 1.0 - 0.01 * 0.5 / (math.sqrt(s1) + 1e-8)
    s2 = 0.99 * s1 + 0.01 * 0.25**2
    p2 = p1 - 0.01 * -0.25 / (math.sqrt(s2) + 1e-8)
    assert run(lambda ps: RMSprop(ps)) == pytest.approx([p1, p2], rel=1e-12)


def test_adam():
    b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-8
    m1, v1 = 0.1 * 0.5, 0.001 * 0.25
    p1 = 1.0 - lr * (m1 / (1 - b1)) / (math.sqrt(v1 / (1 - b2)) + eps)
    m2, v2 = b1 * m1 + 0.1 * -0.25, b2 * v1 + 0.001 * 0.0625
    p2 = p1 - lr * (m2 / (1 - b1**2)) / (math.sqrt(v2 / (1 - b2**2)) + eps)
    assert run(lambda ps: Adam(ps)) == pytest.approx([p1, p2], rel=1e-12)


def test_schedules():
    s = StepLR(SGD([Value(0.0)], lr=1.0), step_size=2, gamma=0.5)
    assert [s.step() for _ in range(5)] == [1.0, 0.5, 0.5, 0.25, 0.25]
    s = LinearLR(SGD([Value(0.0)], lr=2.0), total_steps=4, start_factor=1.0, end_factor=0.5)
    assert [s.step() for _ in range(5)] == pytest.approx([1.75, 1.5, 1.25, 1.0, 1.0])
    s = CosineLR(SGD([Value(0.0)], lr=1.0), total_steps=4, min_lr=0.2)
    expected = [0.2 + 0.8 * (1 + math.cos(math.pi * t / 4)) / 2 for t in (1, 2, 3, 4, 4)]
    assert [s.step() for _ in range(5)] == pytest.approx(expected)


def test_clip_grad_norm():
    ps = [Value(0.0), Value(0.0)]
    ps[0].grad, ps[1].grad = 3.0, 4.0
    assert clip_grad_norm(ps, 10.0) == 5.0 and ps[0].grad == 3.0
    assert clip_grad_norm(ps, 1.0) == 5.0 and (ps[0].grad, ps[1].grad) == pytest.approx((0.6, 0.8))


@pytest.mark.parametrize("make, exc, pattern", [
    (lambda: SGD([Value(0.0)], lr=0), ValueError, "lr must be a finite number > 0.0, got 0"),
    (lambda: SGD([Value(0.0)], lr=0.1, momentum=1.0), ValueError, "momentum must be a finite number >= 0.0 and < 1"),
    (lambda: SGD([], lr=0.1), ValueError, "params is empty"),
    (lambda: SGD([1.0], lr=0.1), TypeError, r"params\[0\] must be a Value, got float"),
    (lambda: SGD(Value(1.0), lr=0.1), TypeError, "params must be an iterable of Values"),
    (lambda: Adam([Value(0.0)], betas=(0.9,)), ValueError, "betas must be a pair"),
    (lambda: RMSprop([Value(0.0)], eps=0), ValueError, "eps must be a finite number > 0"),
    (lambda: StepLR(object(), 2), TypeError, "optimizer must be an Optimizer"),
    (lambda: StepLR(SGD([Value(0.0)], lr=1), 0), ValueError, "step_size must be an int >= 1"),
    (lambda: clip_grad_norm([Value(0.0)], 0), ValueError, "max_norm must be a finite number > 0"),
])
def test_validation(make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()


def test_optimizer_takes_a_module():
    from nn import MLP

    model = MLP(2, [2, 1], seed=0)
    assert SGD(model, lr=0.1).params == model.parameters()
