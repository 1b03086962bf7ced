"""The ``autograd-engine`` console script (also ``python -m autograd_engine``). Thin: parses, calls the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _neuron(args: argparse.Namespace) -> int:
    from . import Value, gradcheck

    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2, b = Value(-3.0, "w1"), Value(1.0, "w2"), Value(6.8813735870195432, "b")
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.label = "out"
    out.backward()
    print(f"out = tanh(x1*w1 + x2*w2 + b) = {out.data:.6f}")
    for v in (x1, x2, w1, w2, b):
        print(f"  d out / d {v.label:2s} = {v.grad:+.6f}")
    ok = gradcheck(lambda x1, x2, w1, w2, b: (x1 * w1 + x2 * w2 + b).tanh(), [2.0, 0.0, -3.0, 1.0, 6.8813735870195432])
    print(f"gradcheck against central differences: {'passed' if ok else 'FAILED'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograd-engine", description="A scalar reverse-mode autodiff engine.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser("demo", help="differentiate a neuron and check it against finite differences")
    demo.set_defaults(run=_neuron)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
