"""The block loop every activation runs through, and its scratch buffers.

Work is done in blocks of :data:`BLOCK` elements, each passing through a few
ufuncs with ``out=`` while it is still in the L2 cache, the compute-bound
ufunc first so that it, not a cheap min/max, streams the input in.

Extra memory, beyond the output: three scratch blocks per thread (3 x 256
KiB, allocated on the thread's first call and then reused); the
double-double kernels add a few block-sized temporaries (at most about
4 MiB, whatever the size of ``z``). One case is not bounded: an N-d ``z``
that is not contiguous is first copied whole by ``reshape(-1)``
(``np.ascontiguousarray`` it yourself, or pass 1-d slices, to avoid that).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from elu_lib._checks import real_array

#: Elements per block: 256 KiB of float64, so that a block and its result
#: stay in the L2 cache while they pass through the few ufuncs of an
#: activation, and the per-call overhead of a ufunc (~1 us) stays small.
BLOCK = 32768

Kernel = Callable[[np.ndarray, np.ndarray], None]
_THREAD = threading.local()


def scratch(i: int, n: int) -> np.ndarray:
    """The first n elements of this thread's float64 scratch block i (0-2).

    The blocks are allocated once per thread and reused by every call: fresh
    memory costs a page fault per 4 KiB on first touch, which on a virtual
    machine can cost as much as the arithmetic.
    """
    if not hasattr(_THREAD, "blocks"):
        _THREAD.blocks = [np.empty(BLOCK) for _ in range(3)]
    return _THREAD.blocks[i][:n]


def apply(
    fname: str,
    z: ArrayLike,
    kernel: Kernel,
    narrow: Kernel | dict | None = None,
    finish: Kernel | None = None,
):
    """Run ``kernel(x, out)`` block by block on contiguous float64 data.

    Contiguous float64 input is passed through as views. Anything else is
    copied a block at a time into scratch block 0: float16/32 are widened
    (and run through ``narrow``, default ``kernel``, or ``narrow[dtype.type]``
    when it holds one kernel per format; its float64 result is rounded once
    into the output), bool and int converted, strided input
    made contiguous, because NumPy's SIMD loops (and their rounding) only
    serve contiguous data. A kernel reads ``x`` and writes ``out``, never
    ``x``; it may use scratch block 2.

    ``finish(x, out)`` then runs on each float16/32 input and output block,
    in their dtype: a last min/max that commutes with the rounding is half
    the memory traffic there (``narrow`` leaves it out).
    """
    x, dtype = real_array(fname, z)
    out = np.empty(x.shape, dtype=dtype)
    src, dst = x.reshape(-1), out.reshape(-1)  # src: a copy only if x is N-d strided
    n = src.size
    wide = dtype == np.float64
    # A result below the smallest subnormal is correctly 0, and one beyond
    # the largest float (selu(1e308), or a float64 result rounded to float16)
    # is correctly +-inf: neither is worth a warning. "invalid" is raised
    # only by a signalling NaN in z, and NaN in gives NaN out, quietly.
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        if src.dtype == np.float64 and src.flags.c_contiguous:
            for i in range(0, n, BLOCK):
                kernel(src[i : i + BLOCK], dst[i : i + BLOCK])
            return out[()] if out.ndim == 0 else out
        run = kernel if wide else (narrow or kernel)
        if isinstance(run, dict):  # one narrow kernel per format
            run = run[dtype.type]
        for i in range(0, n, BLOCK):
            block = src[i : i + BLOCK]
            xin = scratch(0, block.size)
            np.copyto(xin, block)
            res = dst[i : i + block.size] if wide else scratch(1, block.size)
            run(xin, res)
            if not wide:
                np.copyto(dst[i : i + block.size], res, casting="same_kind")
                if finish is not None:
                    finish(block, dst[i : i + block.size])
    return out[()] if out.ndim == 0 else out
