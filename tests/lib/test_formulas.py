"""The formula in each public function's body is what the function computes.

A reader copies ``f.formula`` (the body of ``elu_lib.activations.f``); the
library runs an exact kernel instead. These tests hold the two together, on
ranges where the plain formula is itself accurate, so that neither can
drift from the other.
"""

from __future__ import annotations

import numpy as np
import pytest

from elu_lib import activations as A
from elu_lib.registry import ACTIVATIONS, FUNCTION_NAMES

# Parameter values to try, besides the default.
OTHER_PARAMS = {"alpha": [0.5, 2.0, 1e-3], "negative_slope": [0.0, -0.5, 3.0]}
CASES = [(fname, {}) for fname in FUNCTION_NAMES] + [
    (fname, {p: v})
    for fname in FUNCTION_NAMES
    for p in ACTIVATIONS[fname.removesuffix("_grad")].params
    for v in OTHER_PARAMS[p]
]

TINY = np.logspace(-300, -1, 300)
GRID = np.concatenate([np.linspace(-40, 40, 8001), TINY, -TINY, [0.0, -0.0]])


def grid_for(fname: str) -> np.ndarray:
    # 1 - tanh(z)**2 cancels as |z| grows; elsewhere the formula is accurate.
    return GRID[np.abs(GRID) <= 3] if fname == "tanh_grad" else GRID


# A few ULPs, except where the docstring says the plain formula loses more:
# exp(z / alpha) inherits the rounding of z / alpha (times |z / alpha|, up to
# 4e4 here), and 1 - tanh(z)**2 cancels.
RTOL = {"celu_grad": 1e-13, "tanh_grad": 1e-13}


@pytest.mark.parametrize(("fname", "params"), CASES, ids=str)
def test_formula_matches_function(fname, params):
    f = getattr(A, fname)
    z = grid_for(fname)
    with np.errstate(all="ignore"):  # the plain formula may overflow and warn
        expected = f.formula(z, **params)
    rtol = RTOL.get(fname, 1e-15)
    np.testing.assert_allclose(f(z, **params), expected, rtol=rtol, atol=0)


@pytest.mark.parametrize("fname", FUNCTION_NAMES)
def test_formula_keeps_nan_and_float32(fname):
    # What a reader copies behaves like the function on these two counts.
    z = np.array([np.nan, -1.0, 0.0, 2.0], dtype=np.float32)
    result = getattr(A, fname).formula(z)
    assert result.dtype == np.float32
    assert np.isnan(result[0]) and np.isfinite(result[1:]).all()


@pytest.mark.parametrize("fname", FUNCTION_NAMES)
def test_formula_is_the_documented_body(fname):
    # The formula is the undecorated function: same name, same signature.
    f = getattr(A, fname)
    assert f.formula.__name__ == fname
    assert f.__wrapped__ is f.formula


SIGNALLING_NAN = {
    np.float64: np.array([0x7FF0000000000001], dtype=np.uint64).view(np.float64),
    np.float32: np.array([0x7F800001], dtype=np.uint32).view(np.float32),
    np.float16: np.array([0x7C01], dtype=np.uint16).view(np.float16),
}


@pytest.mark.parametrize("dtype", list(SIGNALLING_NAN), ids=lambda d: d.__name__)
@pytest.mark.parametrize("fname", FUNCTION_NAMES)
def test_signalling_nan_is_quiet(fname, dtype):
    z = np.concatenate([SIGNALLING_NAN[dtype], np.array([-1.0, 1.0], dtype=dtype)])
    with np.errstate(all="raise"):
        result = getattr(A, fname)(z)
    assert result.dtype == dtype
    assert np.isnan(result[0]) and np.isfinite(result[1:]).all()
