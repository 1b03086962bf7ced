"""The compiled path against the scalar one, micrograd 0.1.0 and PyTorch: one process, interleaved runs, medians.

Run:  python benchmarks/bench_compile.py [--quick] [--reps 5] [--profile]

The demo is micrograd's: moons (100 points), MLP 2-16-16-1, SVM max-margin (hinge) loss
+ 1e-4 L2, full batch, SGD with lr = 1 - 0.9 k / 100. Contenders, each training from the
same weights:

* ``fit(compile=True)``: the per-sample loss traced once, each epoch one batched forward
  and backward over the program and an SGD step on the parameter array; timed with NumPy's
  BLAS at its default threads and limited to one (``threadpoolctl``), the fair match for
  PyTorch's single thread;
* ``fit`` (scalar): the graph of Value nodes built and swept every epoch;
* micrograd 0.1.0's own loop (its demo notebook's, as in ``bench_nn.py``);
* an idiomatic PyTorch float64 loop of the same model (forward, loss, backward, step,
  accuracy), with ``torch.set_num_threads(1)`` and with the default threads.

An epoch's time is the difference between two runs of different lengths divided by the
difference in epochs, so tracing and set-up do not count; they are reported separately
(the shorter run's time less its epochs). Every figure is the median over ``--reps``
rounds, the contenders interleaved within each round. The scaling table trains an MLP
2-64-64-1 on 1,000 and 10,000 moons points (full batch) with the compiled fit and PyTorch.
``--profile`` prints where the compiled fit's epochs spend their time (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from bench_nn import micrograd_demo

import nn


def timed(fn, *args):
    gc.collect()
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def ours(X, y, sizes, epochs, compile):
    """``nn.fit`` of the demo (micrograd's weights: the same draws from the global random)."""
    random.seed(1337)
    model = nn.MLP(2, sizes)
    return nn.fit(model, X, y, loss="hinge", optimizer="sgd", lr=1.0, l2=1e-4, epochs=epochs, progress=False,
                  schedule=lambda opt: nn.LinearLR(opt, total_steps=100, end_factor=0.1), compile=compile)


def torch_loop(X, y, sizes, epochs, threads):
    """The demo as one writes it in PyTorch, float64: forward, loss, backward, step, accuracy."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layers, nin = [], 2
    for i, nout in enumerate(sizes):
        layers.append(torch.nn.Linear(nin, nout, dtype=torch.float64))
        if i < len(sizes) - 1:
            layers.append(torch.nn.ReLU())
        nin = nout
    model = torch.nn.Sequential(*layers)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(2.0 * y - 1.0, dtype=torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    params = list(model.parameters())
    history = []
    for k in range(epochs):
        opt.param_groups[0]["lr"] = 1.0 - 0.9 * min(k, 100) / 100
        scores = model(Xt).squeeze(1)
        loss = torch.relu(1 - yt * scores).mean() + 1e-4 * sum((p * p).sum() for p in params)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append((loss.item(), ((scores > 0) == (yt > 0)).double().mean().item()))
    return history


def one_blas_thread(run):
    """``run`` with NumPy's BLAS limited to one thread (as ``torch.set_num_threads(1)`` limits PyTorch)."""
    from threadpoolctl import threadpool_limits

    def limited(epochs):
        with threadpool_limits(1):
            return run(epochs)

    return limited


def epoch_and_setup(run, short, long, reps_times):
    """Append (epoch, setup) from one short and one long run of ``run(epochs)``."""
    t_short, t_long = timed(run, short), timed(run, long)
    epoch = (t_long - t_short) / (long - short)
    reps_times.append((epoch, t_short - short * epoch))


def medians(times):
    return statistics.median(e for e, _ in times), statistics.median(s for _, s in times)


def fmt(seconds):
    return f"{seconds * 1e6:10.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:10.2f} ms"


def profile_compiled(X, y, epochs):
    ours(X, y, [16, 16, 1], 2, True)  # traced and cached on another model: this profile counts a new trace
    prof = cProfile.Profile()
    prof.enable()
    ours(X, y, [16, 16, 1], epochs, True)
    prof.disable()
    print(f"\ncProfile of fit(compile=True), {epochs} epochs of the demo (trace included once):")
    pstats.Stats(prof).sort_stats("tottime").print_stats(14)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer rounds and epochs: under a minute")
    p.add_argument("--reps", type=int, default=None, help="rounds (default 5, --quick 2)")
    p.add_argument("--profile", action="store_true", help="cProfile the compiled fit's epochs")
    args = p.parse_args(argv)
    reps = args.reps or (2 if args.quick else 5)
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        import torch
    except ImportError:
        torch = None
    default_threads = torch.get_num_threads() if torch else 0
    X, y = nn.make_moons(100, noise=0.1, seed=0)
    print(f"load average at the start: {' '.join(f'{v:.1f}' for v in os.getloadavg())} "
          f"({os.cpu_count()} CPUs); torch {torch.__version__ if torch else 'not installed'}")

    check = 3 if args.quick else 20
    fast = ours(X, y, [16, 16, 1], check, True)
    slow = ours(X, y, [16, 16, 1], check, False)
    worst = max(abs(a - b) / abs(b) for a, b in zip(fast.loss, slow.loss))
    print(f"the demo, {check} epochs: compiled and scalar fit give the same History (losses within {worst:.1e} "
          f"relative, accuracies {'equal' if fast.accuracy == slow.accuracy else 'DIFFERENT'}); "
          f"final accuracy {fast.accuracy[-1]:.0%}")

    short, long = (20, 120) if args.quick else (50, 550)
    s_short, s_long = (1, 2) if args.quick else (2, 7)
    m_steps = 1 if args.quick else 2
    compiled_demo = lambda e: ours(X, y, [16, 16, 1], e, True)  # noqa: E731
    contenders = {
        "fit(compile=True)": (compiled_demo, short, long),
        "  1 BLAS thread": (one_blas_thread(compiled_demo), short, long),
        "fit (scalar)": (lambda e: ours(X, y, [16, 16, 1], e, False), s_short, s_long),
    }
    if torch:
        contenders["PyTorch, 1 thread"] = (lambda e: torch_loop(X, y, [16, 16, 1], e, 1), short, long)
        contenders[f"PyTorch, {default_threads} threads"] = (  # slow on a busy machine: fewer epochs when quick
            lambda e: torch_loop(X, y, [16, 16, 1], e, default_threads), *((5, 25) if args.quick else (short, long)))
    for name, (run, a, _) in contenders.items():  # warm-up: imports, caches, first traces
        if not name.startswith("fit (scalar)"):
            run(a)
    times = {name: [] for name in contenders}
    times["micrograd 0.1.0"] = []
    for _ in range(reps):
        for name, (run, a, b) in contenders.items():
            epoch_and_setup(run, a, b, times[name])
        if not args.quick or not times["micrograd 0.1.0"]:
            step = timed(micrograd_demo, m_steps, X, y) / m_steps  # its set-up is one MLP: negligible
            times["micrograd 0.1.0"].append((step, 0.0))
    med = {name: medians(t) for name, t in times.items()}
    print(f"ran: {reps} rounds; per round the compiled fit and PyTorch {short} and {long} epochs"
          f"{' (PyTorch on all threads 5 and 25)' if args.quick and torch else ''}, the scalar fit {s_short} and "
          f"{s_long}, micrograd {m_steps} step(s) {'in the first round only' if args.quick else 'every round'}")
    print(f"\nmicrograd's moons demo (100 samples, MLP 2-16-16-1, hinge + 1e-4 L2, SGD, full batch); "
          f"medians of {reps} interleaved rounds")
    print(f"   {'':24s} {'per epoch':>13s} {'set-up/trace':>13s}")
    for name, (epoch, setup) in med.items():
        shown = fmt(setup) if "compile" in name or "BLAS" in name else "             "
        print(f"   {name:24s} {fmt(epoch)}  {shown}")
    compiled = min(med["fit(compile=True)"][0], med["  1 BLAS thread"][0])
    print("\n   (compiled: the faster of its two BLAS settings)")
    print(f"   compiled fit vs micrograd 0.1.0:      {med['micrograd 0.1.0'][0] / compiled:10.0f}x faster "
          f"(target >= 2000x)")
    print(f"   compiled fit vs scalar fit:           {med['fit (scalar)'][0] / compiled:10.0f}x faster")
    if torch:
        one = med["PyTorch, 1 thread"][0]
        print(f"   compiled epoch / PyTorch 1 thread:    {compiled / one:10.2f}  (target <= 1.0)")
        print(f"   compiled epoch / PyTorch {default_threads} threads:   "
              f"{compiled / med[f'PyTorch, {default_threads} threads'][0]:10.2f}")

    print("\nscaling: MLP 2-64-64-1, full batch, per epoch (medians)")
    sizes = (1000,) if args.quick else (1000, 10000)
    for n in sizes:
        Xn, yn = nn.make_moons(n, noise=0.1, seed=0)
        a, b = (2, 12) if args.quick else (5, 35)
        compiled_n = lambda e, X=Xn, y=yn: ours(X, y, [64, 64, 1], e, True)  # noqa: E731
        runs = {"fit(compile=True)": compiled_n, "1 BLAS thread": one_blas_thread(compiled_n)}
        if torch:
            runs["PyTorch, 1 thread"] = lambda e, X=Xn, y=yn: torch_loop(X, y, [64, 64, 1], e, 1)
            runs[f"PyTorch, {default_threads} threads"] = lambda e, X=Xn, y=yn: torch_loop(X, y, [64, 64, 1], e,
                                                                                           default_threads)
        for run in runs.values():
            run(1)
        scaled = {name: [] for name in runs}
        for _ in range(reps):
            for name, run in runs.items():
                epoch_and_setup(run, a, b, scaled[name])
        row = {name: medians(t)[0] for name, t in scaled.items()}
        shown = "  ".join(f"{name} {fmt(t).strip()}" for name, t in row.items())
        best = min(row["fit(compile=True)"], row["1 BLAS thread"])
        ratio = f"  (compiled / PyTorch 1 thread: {best / row['PyTorch, 1 thread']:.2f})" if torch else ""
        print(f"   {n:6d} samples: {shown}{ratio}  ({reps} rounds of {a} and {b} epochs)")
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    if args.profile:
        profile_compiled(X, y, 200 if args.quick else 1000)
    print(f"whole run: {time.perf_counter() - started:.1f} s wall, {time.process_time() - cpu_started:.1f} s CPU "
          f"(all threads){' (--quick)' if args.quick else ''}")
    np.testing.assert_allclose(fast.loss, slow.loss, rtol=1e-9)


if __name__ == "__main__":
    main()
