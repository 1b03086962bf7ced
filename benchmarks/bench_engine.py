"""Core-engine benchmark: this engine vs micrograd 0.1.0 vs the yardstick, identical work, one run.

Run:  python benchmarks/bench_engine.py [--reps 5] [--chain 1000000]

Workloads (see workloads.py):
  1. micrograd's demo training step (moons, MLP 2-16-16-1 per-op graph, SVM loss + L2, full batch);
  2. a chain ``y = y*c + d`` built and differentiated (micrograd at a shorter length: its
     recursive sort needs a raised recursion limit and a big thread stack);
  3. one training step of a tiny character-level transformer (micrograd 0.1.0 has no exp/log).
Engines run interleaved, a full ``gc.collect()`` before each timed run so no engine pays for
another's garbage; figures are medians over ``--reps``. Memory per node uses tracemalloc.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import workloads as W
import yardstick
from micrograd.engine import Value as MicrogradValue

from autograd_engine import Value

ENGINES = {"autograd_engine": Value, "yardstick": yardstick.Value, "micrograd": MicrogradValue}


def timed(fn):
    gc.collect()
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def with_big_stack(fn, limit=10**6):
    """Run ``fn`` in a thread with a 512 MB stack and a raised recursion limit (micrograd's sort)."""
    out, old_limit, old_size = {}, sys.getrecursionlimit(), threading.stack_size()
    sys.setrecursionlimit(limit)
    threading.stack_size(512 * 2**20)
    try:
        th = threading.Thread(target=lambda: out.update(r=fn()))
        th.start()
        th.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)
    return out["r"]


def moons(V, steps=3, **backward_kwargs):
    X, y = W.moons_data()
    model = W.PerOpMLP(V, W.mlp_weights([2, 16, 16, 1]))
    return [W.moons_step(V, model, X, y, k, **backward_kwargs) for k in range(steps)]


def transformer(V):
    model = W.TinyTransformer(V)
    text = [(7 * i + 3) % 27 for i in range(13)]
    return W.transformer_step(V, model, text[:12], text[1:])


def chain_times(V, n):
    t0 = time.perf_counter()
    x, y = W.chain(V, n)
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, x.grad


def bytes_per_node(V, n=100_000):
    gc.collect()
    tracemalloc.start()
    graph = W.chain(V, n)  # kept alive while measuring
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del graph
    return size / (2 * n)  # each step makes two nodes (a product and a sum)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--chain", type=int, default=1_000_000)
    p.add_argument("--micrograd-chain", type=int, default=100_000)
    args = p.parse_args(argv)

    # correctness first: identical losses on workload 1
    losses = {name: moons(V, steps=2) for name, V in ENGINES.items()}
    ref = losses["micrograd"]
    for name, ls in losses.items():
        diff = max(abs(a - b) for a, b in zip(ls, ref))
        print(f"moons loss {name:16s} {ls[0]:.15f} -> {ls[1]:.15f}  max |diff| vs micrograd {diff:.1e}")
        assert diff < 1e-9, f"{name} loss differs from micrograd by {diff}"

    times: dict[str, dict[str, list[float]]] = {"moons": {}, "transformer": {}}
    for _ in range(args.reps):
        times["moons"].setdefault("create_graph", []).append(
            timed(lambda: moons(Value, create_graph=True))[0] / 3)
        for name, V in ENGINES.items():
            times["moons"].setdefault(name, []).append(timed(lambda V=V: moons(V))[0] / 3)
            if name != "micrograd":
                times["transformer"].setdefault(name, []).append(timed(lambda V=V: transformer(V))[0])

    med = {w: {n: statistics.median(t) for n, t in d.items()} for w, d in times.items()}
    print(f"\n1. moons step, median of {args.reps} runs of 3 steps")
    for name, t in med["moons"].items():
        if name != "create_graph":
            print(f"   {name:16s} {t * 1e3:8.1f} ms/step")
    print(f"   this engine with backward(create_graph=True): {med['moons']['create_graph'] * 1e3:.1f} ms/step, "
          f"{med['moons']['create_graph'] / med['moons']['autograd_engine']:.1f}x plain backward")
    print(f"   speed-up vs micrograd: {med['moons']['micrograd'] / med['moons']['autograd_engine']:.1f}x; "
          f"vs yardstick: {med['moons']['yardstick'] / med['moons']['autograd_engine']:.2f}x")

    print(f"\n3. tiny transformer step, median of {args.reps}")
    for name, t in med["transformer"].items():
        print(f"   {name:16s} {t * 1e3:8.1f} ms/step")
    print(f"   speed vs yardstick: "
          f"{med['transformer']['yardstick'] / med['transformer']['autograd_engine']:.2f}x")

    print("\n2. chain y = y*c + d")
    gc.collect()
    build, back, g = chain_times(Value, args.chain)
    print(f"   autograd_engine n={args.chain:>9,}: build {build:.2f} s, backward {back:.2f} s (dy/dx={g:.6f})")
    gc.collect()
    build, back, g = chain_times(yardstick.Value, args.chain)
    print(f"   yardstick       n={args.chain:>9,}: build {build:.2f} s, backward {back:.2f} s (dy/dx={g:.6f})")
    gc.collect()
    n = args.micrograd_chain
    build, back, g = with_big_stack(lambda: chain_times(MicrogradValue, n))
    print(f"   micrograd       n={n:>9,}: build {build:.2f} s, backward {back:.2f} s (dy/dx={g:.6f}; "
          f"needs recursion limit 1e6 and a 512 MB thread stack)")

    print("\nmemory per graph node (tracemalloc, chain of 100,000 steps)")
    for name, V in ENGINES.items():
        print(f"   {name:16s} {bytes_per_node(V):6.0f} bytes")


if __name__ == "__main__":
    main()
