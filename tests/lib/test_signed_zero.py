"""Signed zeros as IEEE 754 and PyTorch have them.

ELU, CELU, SELU and Leaky ReLU (slope >= 0) keep the sign of z: -0.0 gives
-0.0, and so does a tiny negative z whose result rounds to zero, in every
dtype and for every alpha. ReLU returns +0.0 for every z <= 0, -0.0
included, as IEEE 754-2019's maximum(-0, +0) and JAX do (PyTorch returns
-0.0); its docstring says so.
"""

from __future__ import annotations

import numpy as np
import pytest

from elu_lib import activations as A

DTYPES = [np.float16, np.float32, np.float64]
SIGNED = [
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("elu", {"alpha": 2.0}),
    ("elu", {"alpha": 1e-300}),
    ("celu", {}),
    ("celu", {"alpha": 0.5}),
    ("celu", {"alpha": 3.0}),
    ("selu", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.0}),
    ("leaky_relu", {"negative_slope": 2.0}),
]


def specials(dtype) -> np.ndarray:
    info = np.finfo(dtype)
    tiny = [info.smallest_subnormal, 2 * info.smallest_subnormal, info.tiny]
    z = [0.0, 1.0, 1e-3, float(info.max), np.inf, *tiny]
    return np.array([*z, *(-v for v in z)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize(("fname", "params"), SIGNED, ids=str)
def test_result_has_the_sign_of_z(fname, params, dtype):
    z = specials(dtype)
    result = getattr(A, fname)(z, **params)
    np.testing.assert_array_equal(np.signbit(result), np.signbit(z))


@pytest.mark.parametrize(
    ("fname", "z", "params"),
    [
        ("elu", -5e-324, {"alpha": 0.5}),  # alpha * z = 2.5e-324 rounds to -0
        ("leaky_relu", -5e-324, {"negative_slope": 0.25}),
        ("elu", -1e-300, {"alpha": 1e-30}),
    ],
)
def test_tiny_negative_result_rounds_to_minus_zero(fname, z, params):
    result = getattr(A, fname)(np.float64(z), **params)
    assert result == 0 and np.signbit(result)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_relu_of_minus_zero_is_plus_zero(dtype):
    z = np.array([-0.0, -1.0, -np.inf, 0.0], dtype=dtype)
    result = A.relu(z)
    assert (result == 0).all() and not np.signbit(result).any()


def test_negative_slope_flips_the_sign_as_a_product_does():
    z = np.array([-0.0, 0.0, -2.0])
    result = A.leaky_relu(z, negative_slope=-0.5)  # s*z for z <= 0, +0 included
    np.testing.assert_array_equal(np.signbit(result), [False, True, False])
    assert result[2] == 1.0


@pytest.mark.parametrize("slope", [0.0, 0.01])
def test_leaky_relu_at_minus_infinity(slope):
    # s * (-inf): -inf for s > 0, and the limit -0 (not 0 * inf = NaN) for s = 0.
    result = A.leaky_relu(np.array([-np.inf]), negative_slope=slope)
    assert result[0] == (-np.inf if slope else 0.0) and np.signbit(result[0])
