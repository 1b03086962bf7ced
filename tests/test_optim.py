"""nn.optim: two steps of each optimizer against hand-computed updates; schedules; clipping."""

import math

import numpy as np
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


OPTIMIZER_CASES = [
    lambda ps: SGD(ps, lr=0.1),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda ps: RMSprop(ps, lr=0.01, momentum=0.5, weight_decay=0.1),
    lambda ps: RMSprop(ps, lr=0.01),
    lambda ps: Adam(ps, lr=0.01, weight_decay=0.02),
]


@pytest.mark.parametrize("make", OPTIMIZER_CASES)
def test_step_arrays_gives_the_same_floats_as_step_and_hands_its_state_back(make):
    # Six steps on Values against six on an array, switching to step() (and back) midway:
    # the state moves between lists and arrays, and every parameter is bitwise the same.
    rng = np.random.default_rng(7)
    w0, grads = rng.normal(size=5), rng.normal(size=(6, 5))
    ps = [Value(float(x)) for x in w0]
    qs = [Value(float(x)) for x in w0]
    by_value, mixed, w = make(ps), make(qs), w0.copy()
    for k, g in enumerate(grads):
        for p, gi in zip(ps, g):
            p.grad = float(gi)
        by_value.step()
        if k in (2, 3):
            for q, wi, gi in zip(qs, w, g):
                q.data, q.grad = float(wi), float(gi)
            mixed.step()
            w = np.array([q.data for q in qs])
        else:
            g_in = g.copy()
            mixed.step_arrays(w, g_in)
            assert np.array_equal(g_in, g)  # the gradient is not changed
        assert w.tolist() == [p.data for p in ps], k
    assert mixed.steps == by_value.steps == 6


def sgd(**kwargs):
    return SGD([Value(0.0)], **{"lr": 0.1, **kwargs})


def read_only():
    a = np.zeros(1)
    a.flags.writeable = False
    return a


#: (id, call, exception, words in the message): every constructor argument and schedule, one mistake each.
ERROR_CASES = [
    ("sgd-step_arrays-list", lambda: sgd().step_arrays([0.0], np.zeros(1)), TypeError,
     r"data must be a float64 NumPy array, got list"),
    ("sgd-step_arrays-int-grad", lambda: sgd().step_arrays(np.zeros(1), np.zeros(1, dtype=int)), TypeError,
     r"grad must be a float64 NumPy array, got"),
    ("sgd-step_arrays-shape", lambda: sgd().step_arrays(np.zeros(2), np.zeros(2)), ValueError,
     r"data must have the shape \(1,\) \(one entry per parameter\), got \(2,\)"),
    ("sgd-step_arrays-read-only", lambda: sgd().step_arrays(read_only(), np.zeros(1)), ValueError,
     r"data must be a writeable array \(it is updated in place\), got a read-only one"),
    ("sgd-lr-zero", lambda: SGD([Value(0.0)], lr=0), ValueError, r"lr must be a finite number > 0, got 0\.0"),
    ("sgd-lr-negative", lambda: sgd(lr=-1), ValueError, r"lr must be a finite number > 0, got -1\.0"),
    ("sgd-lr-nan", lambda: sgd(lr=float("nan")), ValueError, r"lr must be a finite number > 0, got nan"),
    ("sgd-lr-inf", lambda: sgd(lr=math.inf), ValueError, r"lr must be a finite number > 0, got inf"),
    ("sgd-lr-bool", lambda: sgd(lr=True), TypeError, r"lr must be a real number, got bool True"),
    ("sgd-lr-str", lambda: sgd(lr="0.1"), TypeError, r"lr must be a real number, got str '0\.1'"),
    ("sgd-lr-none", lambda: sgd(lr=None), TypeError, r"lr must be a real number, got NoneType None"),
    ("sgd-momentum-one", lambda: sgd(momentum=1.0), ValueError,
     r"momentum must be a finite number >= 0 and < 1, got 1\.0"),
    ("sgd-momentum-nan", lambda: sgd(momentum=float("nan")), ValueError, r"momentum must be .* < 1, got nan"),
    ("sgd-momentum-bool", lambda: sgd(momentum=False), TypeError, r"momentum must be a real number, got bool False"),
    ("sgd-weight-decay-negative", lambda: sgd(weight_decay=-0.1), ValueError,
     r"weight_decay must be a finite number >= 0"),
    ("sgd-params-empty", lambda: SGD([], lr=0.1), ValueError, "params is empty"),
    ("sgd-params-float", lambda: SGD([1.0], lr=0.1), TypeError, r"params\[0\] must be a Value, got float 1\.0"),
    ("sgd-params-value", lambda: SGD(Value(1.0), lr=0.1), TypeError, "params must be an iterable of Values"),
    ("sgd-params-none", lambda: SGD(None, lr=0.1), TypeError,
     r"params must be an iterable of Values .*got NoneType None"),
    ("sgd-params-str", lambda: SGD("ab", lr=0.1), TypeError, r"params must be an iterable of Values .*got str 'ab'"),
    ("adam-betas-one", lambda: Adam([Value(0.0)], betas=(0.9,)), ValueError, "betas must be a pair"),
    ("adam-betas-number", lambda: Adam([Value(0.0)], betas=0.9), TypeError, r"betas must be a pair .*got float 0\.9"),
    ("adam-beta2-one", lambda: Adam([Value(0.0)], betas=(0.9, 1.0)), ValueError,
     r"betas\[1\] must be .* < 1, got 1\.0"),
    ("adam-eps-zero", lambda: Adam([Value(0.0)], eps=0), ValueError, r"eps must be a finite number > 0, got 0\.0"),
    ("rmsprop-eps-zero", lambda: RMSprop([Value(0.0)], eps=0), ValueError, "eps must be a finite number > 0"),
    ("rmsprop-alpha-str", lambda: RMSprop([Value(0.0)], alpha="0.9"), TypeError,
     r"alpha must be a real number, got str"),
    ("lr-assigned-negative", lambda: setattr(sgd(), "lr", -0.5), ValueError,
     r"lr must be a finite number >= 0, got -0\.5"),
    ("lr-assigned-nan", lambda: setattr(sgd(), "lr", float("nan")), ValueError,
     r"lr must be a finite number >= 0, got nan"),
    ("steplr-optimizer-object", lambda: StepLR(object(), 2), TypeError, r"optimizer must be an Optimizer, got object"),
    ("steplr-step-size-zero", lambda: StepLR(sgd(), 0), ValueError, r"step_size must be an int >= 1, got 0"),
    ("steplr-step-size-float", lambda: StepLR(sgd(), 2.0), TypeError, r"step_size must be an int, got float 2\.0"),
    ("steplr-gamma-zero", lambda: StepLR(sgd(), 1, gamma=0), ValueError,
     r"gamma must be a finite number > 0, got 0\.0"),
    ("steplr-overflow", lambda: [s.step() for s in [StepLR(sgd(), 1, gamma=1e300)] for _ in range(3)], ValueError,
     r"StepLR: the learning rate left the finite numbers at epoch 2"),
    ("linearlr-total-steps-bool", lambda: LinearLR(sgd(), True), TypeError,
     r"total_steps must be an int, got bool True"),
    ("linearlr-end-factor-negative", lambda: LinearLR(sgd(), 2, end_factor=-1), ValueError,
     r"end_factor must be a finite number >= 0, got -1\.0"),
    ("cosinelr-total-steps-zero", lambda: CosineLR(sgd(), 0), ValueError, r"total_steps must be an int >= 1, got 0"),
    ("cosinelr-min-lr-inf", lambda: CosineLR(sgd(), 2, min_lr=math.inf), ValueError, r"min_lr must be a finite number"),
    ("clip-grad-norm-max-norm-zero", lambda: clip_grad_norm([Value(0.0)], 0), ValueError,
     r"max_norm must be a finite number > 0"),
    ("clip-grad-norm-max-norm-none", lambda: clip_grad_norm([Value(0.0)], None), TypeError,
     r"max_norm must be a real number, got NoneType"),
    ("clip-grad-norm-params-none", lambda: clip_grad_norm(None, 1.0), TypeError,
     "params must be an iterable of Values"),
]



def test_numpy_scalars_are_numbers():
    p = Value(1.0)
    opt = SGD([p], lr=np.float32(0.5), momentum=np.float64(0.0), weight_decay=np.int64(0))
    p.grad = 1.0
    opt.step()
    assert p.data == 0.5 and type(opt.lr) is float
    s = StepLR(opt, np.int64(1), gamma=np.float32(0.5))
    assert s.step() == 0.25
    assert Adam([Value(0.0)], betas=(np.float32(0.5), np.float64(0.9))).betas == (0.5, 0.9)


def test_a_value_listed_twice_is_updated_once():
    p = Value(1.0)
    opt = SGD([p, p], lr=0.1)
    p.grad = 1.0
    opt.step()
    assert opt.params == [p] and p.data == pytest.approx(0.9)


def test_schedules_may_anneal_the_rate_to_zero_and_start_from_zero():
    opt = SGD([Value(0.0)], lr=1.0)
    s = LinearLR(opt, total_steps=1, end_factor=0.0)
    assert s.step() == 0.0 and opt.lr == 0.0
    assert CosineLR(opt, total_steps=2).step() == 0.0  # a schedule on a rate of 0 (no division by it)


def test_optimizer_takes_a_module():
    from nn import MLP

    model = MLP(2, [2, 1], seed=0)
    assert SGD(model, lr=0.1).params == model.parameters()
