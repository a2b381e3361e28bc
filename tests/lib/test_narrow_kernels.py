"""float16/32 Sigmoid and its derivative: a plain float64 formula where it
rounds as the double-double value does, the double-double kernel elsewhere
(elu_lib._kernels.narrowed). The result must be, bit for bit, the float64
function's result rounded once to the narrow format (NaN's sign aside)."""

from __future__ import annotations

import numpy as np
import pytest

from elu_lib import _kernels, activations

FORMATS = {np.float16: np.uint16, np.float32: np.uint32}
FUNCTIONS = [activations.sigmoid, activations.sigmoid_grad]


def inputs(dtype) -> np.ndarray:
    if dtype == np.float16:  # every float16
        return np.arange(2**16, dtype=np.uint16).view(np.float16)
    rng = np.random.default_rng(11)
    wide = rng.standard_normal(400_000) * 10.0 ** rng.uniform(-8, 2.2, 400_000)
    special = [0.0, -0.0, 1e-45, -1e-45, 88.7, -88.7, -103.9, -104.0]
    special += [1e30, -1e30, np.inf, -np.inf, np.nan]
    return np.concatenate([wide, special]).astype(dtype)


def assert_rounded_from_float64(f, z):
    narrow = f(z)
    wide = f(z.astype(np.float64)).astype(z.dtype)
    bits = FORMATS[z.dtype.type]
    same = narrow.view(bits) == wide.view(bits)
    assert np.array_equal(np.isnan(narrow), np.isnan(wide))
    assert (same | np.isnan(narrow)).all(), z[~same & ~np.isnan(narrow)][:5]


@pytest.mark.parametrize("dtype", list(FORMATS))
@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_narrow_results_are_the_float64_results_rounded(f, dtype):
    assert_rounded_from_float64(f, inputs(dtype))


@pytest.mark.parametrize("dtype", list(FORMATS))
@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_the_double_double_fallback_gives_the_same_bits(f, dtype, monkeypatch):
    # A band 2^24 times wider sends most inputs to the double-double kernel:
    # the fallback path alone must give the same results.
    monkeypatch.setattr(_kernels, "NARROW_BAND", 2.0**-22)
    assert_rounded_from_float64(f, inputs(dtype))


def test_a_fast_value_near_a_rounding_boundary_is_not_trusted():
    # A float64 value on a float32 midpoint could round either way: there
    # the exact kernel decides.
    mid = float(np.float32(0.75)) + float(np.spacing(np.float32(0.75))) / 2

    def fast(x, out):
        out[:] = [mid, 0.25, np.nan]

    def exact(x, out):
        out[:] = -1.0

    run = _kernels.narrowed(fast, exact)[np.float32]
    out = np.empty(3)
    run(np.zeros(3), out)
    assert out.tolist()[:2] == [-1.0, 0.25] and out[2] == -1.0
