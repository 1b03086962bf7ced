"""The moons demo, micrograd 0.1.0's nn.MLP vs this package's default (fused) MLP, same weights, one run.

Run:  python benchmarks/bench_nn.py [--reps 3] [--steps 5] [--full]

Both train micrograd's demo: moons (100 points), MLP 2-16-16-1, SVM max-margin loss
+ 1e-4 L2, full batch, SGD with lr = 1 - 0.9 k / 100. micrograd runs its demo
notebook's loop; this package runs ``nn.fit``. Per-step times are medians of
interleaved runs (a full ``gc.collect()`` before each); ``--full`` also times the
whole 100-step demo once for each.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import micrograd.nn as mnn
from micrograd.engine import Value as MValue

import nn


def data():
    X, y = nn.make_moons(100, noise=0.1, seed=0)
    return X, y


def micrograd_demo(steps, X, y):
    """micrograd's demo.ipynb training loop, verbatim but for the data and step count."""
    random.seed(1337)
    model = mnn.MLP(2, [16, 16, 1])
    ys = (2 * y - 1).tolist()
    losses = []
    for k in range(steps):
        inputs = [list(map(MValue, xrow)) for xrow in X.tolist()]
        scores = list(map(model, inputs))
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(ys, scores)) * (1.0 / len(scores))
        total_loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        losses.append(total_loss.data)
    accuracy = sum((yi > 0) == (model(list(map(MValue, x))).data > 0) for x, yi in zip(X.tolist(), ys)) / len(ys)
    return losses, accuracy


def our_demo(steps, X, y):
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])  # the same draws from the global random as micrograd's
    history = nn.fit(model, X, y, loss="hinge", optimizer="sgd", lr=1.0, l2=1e-4, epochs=steps, progress=False,
                     schedule=lambda opt: nn.LinearLR(opt, total_steps=100, end_factor=0.1))
    return history.loss, nn.accuracy(list(nn.predict(model, X)), 2 * y - 1, "hinge")


def timed(fn, *args):
    gc.collect()
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--full", action="store_true", help="also time the full 100-step demo once each")
    args = p.parse_args(argv)
    X, y = data()

    ref, _ = micrograd_demo(3, X, y)
    ours, _ = our_demo(3, X, y)
    diff = max(abs(a - b) for a, b in zip(ref, ours))
    print(f"first 3 losses: micrograd {ref}\n                ours      {ours}\n  max |diff| {diff:.1e}")
    assert diff < 1e-9

    times = {"micrograd": [], "autograd_engine": []}
    for _ in range(args.reps):
        times["micrograd"].append(timed(micrograd_demo, args.steps, X, y)[0] / args.steps)
        times["autograd_engine"].append(timed(our_demo, args.steps, X, y)[0] / args.steps)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nper step, median of {args.reps} interleaved runs of {args.steps} steps:")
    for k, v in med.items():
        print(f"   {k:16s} {v * 1e3:8.1f} ms")
    print(f"   speed-up: {med['micrograd'] / med['autograd_engine']:.1f}x")

    if args.full:
        t_ours, (loss_o, acc_o) = timed(our_demo, 100, X, y)
        t_mg, (loss_m, acc_m) = timed(micrograd_demo, 100, X, y)
        print("\nfull 100-step demo:")
        print(f"   micrograd        {t_mg:7.1f} s  final loss {loss_m[-1]:.6f}, accuracy {acc_m:.0%}")
        print(f"   autograd_engine  {t_ours:7.1f} s  final loss {loss_o[-1]:.6f}, accuracy {acc_o:.0%}")
        print(f"   speed-up: {t_mg / t_ours:.1f}x")


if __name__ == "__main__":
    main()
