"""Time elu_lib.elu and elu_lib.elu_grad against the alternatives, side by side.

    python benchmarks/bench_elu.py                 # 1e4, 1e6, 1e7; float32, float64
    python benchmarks/bench_elu.py --quick         # 1e4 and 1e6, fewer repeats
    python benchmarks/bench_elu.py --sizes 1000000 --repeats 31 --alpha 1.5

For each size and dtype, every candidate runs once per round, and the rounds
repeat (round-robin), so that a noisy neighbour slows all candidates alike
(:func:`elu_lib.numerics.time_per_element`). Time is the thread's CPU time
by default (``--clock cpu``): on a shared machine it leaves out the time
another process holds the core, which wall time (``--clock wall``) does not.
The table reports the median time per element and two ratios:

* ``lib/torch``: elu_lib's time over PyTorch's on one thread (target <= 1.0
  in float64, <= 1.5 in float32, at 1e6 and 1e7);
* ``snip/lib``: the common NumPy snippet's time over elu_lib's (target >= 3
  at 1e6).

Candidates, all on the same standard-normal input (half of it negative):

* elu_lib.elu / elu_lib.elu_grad, with ``alpha``;
* the snippet ``np.where(z > 0, z, a*(np.exp(z)-1))``, and for the
  derivative ``np.where(z > 0, 1, a*np.exp(z))``
  (:func:`elu_lib.numerics.elu_where_snippet` and its ``_grad``);
* ``torch.nn.functional.elu`` and, for the derivative, the backward kernel
  ``torch.ops.aten.elu_backward(grad_output=ones, alpha, scale=1,
  input_scale=1, is_result=False, z)``, which is what autograd calls (without
  autograd's graph bookkeeping); ``torch.set_num_threads(1)``;
* ``np.copyto`` into a preallocated array: the memory floor, since any
  elementwise function must at least read its input and write its output.

Then it measures, with tracemalloc (NumPy reports its allocations to it),
the peak memory that ``elu(z)`` allocates, in units of the output's size.
"""

from __future__ import annotations

import argparse
import platform
import sys
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import elu_lib  # noqa: E402
from elu_lib import activations  # noqa: E402
from elu_lib.numerics import (  # noqa: E402
    elu_where_snippet,
    elu_where_snippet_grad,
    time_per_element,
)

try:
    import torch
except ImportError:  # the benchmark still runs, without the torch columns
    torch = None


def candidates(
    z: np.ndarray, alpha: float
) -> dict[str, dict[str, Callable[[], object]]]:
    """For "elu" and "elu_grad": name -> a zero-argument call to time."""
    a = alpha
    floor = np.empty_like(z)
    elu = {
        "lib": lambda: elu_lib.elu(z, alpha=a),
        "snippet": lambda: elu_where_snippet(z, a),
        "copy": lambda: np.copyto(floor, z),
    }
    grad = {
        "lib": lambda: elu_lib.elu_grad(z, alpha=a),
        "snippet": lambda: elu_where_snippet_grad(z, a),
        "copy": lambda: np.copyto(floor, z),
    }
    if torch is not None:
        t = torch.from_numpy(z)
        ones = torch.ones_like(t)
        elu["torch"] = lambda: torch.nn.functional.elu(t, alpha=a)
        grad["torch"] = lambda: torch.ops.aten.elu_backward(ones, a, 1.0, 1.0, False, t)
    return {"elu": elu, "elu_grad": grad}


def extra_memory(z: np.ndarray, alpha: float) -> tuple[int, int, int]:
    """Bytes allocated at peak by elu(z) beyond its output: (output bytes,
    extra on the first call in a new thread, extra on a later call)."""

    def peak_beyond_output(results: list[np.ndarray], in_new_thread: bool) -> int:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        call = lambda: results.append(elu_lib.elu(z, alpha=alpha))  # noqa: E731
        if in_new_thread:  # the thread's scratch blocks are allocated here
            worker = threading.Thread(target=call)
            worker.start()
            worker.join()
        else:
            call()
        return tracemalloc.get_traced_memory()[1] - base - results[-1].nbytes

    tracemalloc.start()
    try:
        first = peak_beyond_output([], in_new_thread=True)
        later = peak_beyond_output([], in_new_thread=False)
    finally:
        tracemalloc.stop()
    return z.nbytes, first, later


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=None)
    p.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    p.add_argument("--repeats", type=int, default=None, help="rounds (default 15)")
    p.add_argument("--alpha", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    p.add_argument("--quick", action="store_true", help="1e4 and 1e6, 5 rounds")
    args = p.parse_args(argv)
    if args.sizes is None:
        args.sizes = [10_000, 1_000_000] if args.quick else [10_000, 10**6, 10**7]
    if args.repeats is None:
        args.repeats = 5 if args.quick else 15
    return args


def fmt(x: float | None, width: int, suffix: str = "") -> str:
    """x with two decimals and a suffix, right-aligned; "n/a" for None."""
    return format("n/a" if x is None else f"{x:.2f}{suffix}", f">{width}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print(
        f"numpy {np.__version__}, python {platform.python_version()}, "
        f"{platform.machine()}, block {activations.BLOCK} elements"
    )
    if torch is None:
        print("torch not installed; pip install torch==2.13.0 (torch columns skipped)")
    else:
        torch.set_num_threads(1)
        print(
            f"torch {torch.__version__}, {torch.get_num_threads()} thread, "
            f"CPU capability {torch.backends.cpu.get_cpu_capability()}"
        )
    print(
        f"alpha = {args.alpha}, input standard normal (seed {args.seed}), "
        f"median of {args.repeats} interleaved rounds; {args.clock} time in ns "
        "per element"
    )
    print()
    header = (
        f"{'n':>9} {'dtype':>8} {'function':>9} {'elu_lib':>8} {'snippet':>8} "
        f"{'torch':>8} {'copy':>6} {'lib/torch':>9} {'snip/lib':>8}"
    )
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(args.seed)
    memory = []
    for n in args.sizes:
        for dtype in args.dtypes:
            z = rng.standard_normal(n).astype(dtype)
            for fname, calls in candidates(z, args.alpha).items():
                t = time_per_element(calls, n, repeats=args.repeats, clock=args.clock)
                torch_t = t.get("torch")
                vs_torch = t["lib"] / torch_t if torch_t else None
                print(
                    f"{n:>9.0e} {dtype:>8} {fname:>9} {t['lib']:>8.2f} "
                    f"{t['snippet']:>8.2f} {fmt(torch_t, 8)} {t['copy']:>6.2f} "
                    f"{fmt(vs_torch, 9, 'x')} {t['snippet'] / t['lib']:>7.1f}x"
                )
            memory.append((n, dtype, *extra_memory(z, args.alpha)))
    print()
    print("Peak memory allocated by elu(z) beyond its output (tracemalloc):")
    for n, dtype, out_bytes, first, later in memory:
        print(
            f"  n = {n:.0e} {dtype}: output {out_bytes / 2**20:.2f} MiB; "
            f"+ {first / 1024:.0f} KiB on a thread's first call (scratch "
            f"blocks, kept for reuse), + {later / 1024:.0f} KiB after"
        )


if __name__ == "__main__":
    main()
