"""elu_lib.activations: the behaviour a user sees.

dtypes and shapes, special values, conventions at 0, errors, warnings,
read-only input, aliasing, the block loop, properties of the maths, and the
derivatives against finite differences. Accuracy in ULPs is in
test_activations_accuracy.py.
"""

from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import elu_lib
from elu_lib import activations as A
from elu_lib import symbolic as S
from elu_lib.registry import ACTIVATIONS, FUNCTION_NAMES, NAMES

# Every public function, with its parameter (if any) at a few values; the
# names and parameters come from the registry, the values per parameter here.
VALUES = {"alpha": [0.5, 2.0, 1e-300, 1e300], "negative_slope": [0.0, -0.5, 3.0]}


def parameter(fname: str) -> str | None:
    """The one parameter of function ``fname``, or None."""
    params = list(ACTIVATIONS[fname.removesuffix("_grad")].params)
    assert len(params) <= 1, f"{fname}: the tests pass one parameter positionally"
    return params[0] if params else None


def with_values(fname: str, values: dict[str, list]) -> list:
    """None (the default), then the ``values`` of ``fname``'s parameter, if any."""
    param = parameter(fname)
    return [None, *values[param]] if param else [None]


ALPHA_NAMES = [f for f in FUNCTION_NAMES if parameter(f) == "alpha"]
SLOPE_NAMES = [f for f in FUNCTION_NAMES if parameter(f) == "negative_slope"]
LAM_ALPHA = float(S.SELU_SCALE * S.SELU_ALPHA)  # lambda * alpha, rounded once
DMAX = sys.float_info.max

PARAMS = {f: with_values(f, VALUES) for f in FUNCTION_NAMES}
CASES = [(name, p) for name in FUNCTION_NAMES for p in PARAMS[name]]
CASE_IDS = [f"{name}-{p}" for name, p in CASES]


def call(name: str, x, param=None):
    f = getattr(A, name)
    return f(x) if param is None else f(x, param)


SPECIALS = np.array([-np.inf, -DMAX, -800.0, -1.0, -1e-300, -5e-324, -0.0, 0.0])
SPECIALS = np.concatenate([SPECIALS, -SPECIALS[::-1], [np.nan]])


# --------------------------------------------------------------------------
# The public API


def test_package_reexports_the_selu_constants():
    # The functions: tests/lib/test_registry.py.
    for name in ["SELU_ALPHA", "SELU_SCALE"]:
        assert getattr(elu_lib, name) is getattr(A, name)
        assert name in elu_lib.__all__


def test_selu_constants_are_the_papers_digits_as_python_floats():
    assert type(A.SELU_ALPHA) is float and type(A.SELU_SCALE) is float
    assert A.SELU_ALPHA == float("1.6732632423543772848170429916717")
    assert A.SELU_SCALE == float("1.0507009873554804934193349852946")
    assert A.SELU_ALPHA == float(S.SELU_ALPHA)
    assert A.SELU_SCALE == float(S.SELU_SCALE)


def test_parameters_by_keyword_and_position():
    z = np.array([-1.0, 2.0])
    np.testing.assert_array_equal(A.elu(z, alpha=2.0), A.elu(z, 2.0))
    np.testing.assert_array_equal(
        A.leaky_relu_grad(z, negative_slope=0.2), A.leaky_relu_grad(z, 0.2)
    )
    np.testing.assert_array_equal(A.leaky_relu(z), [-0.01, 2.0])  # default 0.01


# --------------------------------------------------------------------------
# dtypes, scalars, shapes


@pytest.mark.parametrize("name", FUNCTION_NAMES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtype_is_kept(name, dtype):
    y = call(name, np.linspace(-3, 3, 7).astype(dtype))
    assert type(y) is np.ndarray and y.dtype == dtype


@pytest.mark.parametrize("name", FUNCTION_NAMES)
@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int64])
def test_bool_and_int_compute_in_float64(name, dtype):
    z = np.array([0, 1, 1], dtype=dtype)
    y = call(name, z)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, call(name, z.astype(np.float64)))


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_scalars_give_numpy_scalars(name):
    for value in (-1.5, 2, True):  # Python float, int, bool
        assert type(call(name, value)) is np.float64
    assert type(call(name, np.float32(-1.5))) is np.float32
    assert type(call(name, np.array(-1.5))) is np.float64  # 0-d array: ufunc rule
    assert call(name, -1.5) == call(name, np.array([-1.5]))[0]


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_lists_tuples_and_empty_arrays(name):
    expected = call(name, np.array([[-1.0, 0.5], [2.0, -3.0]]))
    np.testing.assert_array_equal(call(name, [[-1.0, 0.5], [2.0, -3.0]]), expected)
    np.testing.assert_array_equal(call(name, ((-1.0, 0.5), (2.0, -3.0))), expected)
    for shape in [(0,), (3, 0)]:
        for dtype in (np.float32, np.float64):
            y = call(name, np.empty(shape, dtype))
            assert y.shape == shape and y.dtype == dtype


@pytest.mark.parametrize(("name", "param"), CASES, ids=CASE_IDS)
def test_blocks_strides_and_orders_do_not_change_values(name, param):
    # Longer than 3 blocks, with a ragged end; each element on its own agrees.
    rng = np.random.default_rng(7)
    x = rng.standard_normal(3 * A.BLOCK + 7) * 5
    y = call(name, x, param)
    idx = rng.integers(0, x.size, 40)
    np.testing.assert_array_equal(y[idx], [call(name, v, param) for v in x[idx]])
    np.testing.assert_array_equal(call(name, x[::-3], param), y[::-3])
    m = x[:600].reshape(20, 30)
    np.testing.assert_array_equal(
        call(name, np.asfortranarray(m), param), y[:600].reshape(20, 30)
    )
    np.testing.assert_array_equal(call(name, m.T, param), y[:600].reshape(20, 30).T)


def test_threads_do_not_share_scratch():
    # Each thread has its own scratch blocks; NumPy releases the GIL, so
    # threads really do run the block loops at the same time.
    rng = np.random.default_rng(11)
    inputs = [rng.standard_normal(16 * A.BLOCK).astype(np.float32) for _ in range(4)]
    expected = [A.elu(x) for x in inputs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(4):
            results = list(pool.map(A.elu, inputs))
            for got, want in zip(results, expected, strict=True):
                np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(("name", "param"), CASES, ids=CASE_IDS)
def test_float32_and_float16_are_float64_rounded_once(name, param):
    # The narrow dtypes are computed in float64 and rounded once.
    x = np.concatenate([np.linspace(-20, 20, 401), -np.logspace(-30, 2, 300)])
    for dtype in (np.float32, np.float16):
        with np.errstate(over="ignore", under="ignore"):
            xn = x.astype(dtype)
            expected = call(name, xn.astype(np.float64), param).astype(dtype)
        np.testing.assert_array_equal(call(name, xn, param), expected)


# --------------------------------------------------------------------------
# Special values and the conventions at z = 0

INF = np.inf
# name -> (param, f(-inf), f(+inf), f(-0.0), f(+0.0))
EDGE = {
    "elu": (2.0, -2.0, INF, 0.0, 0.0),
    "elu_grad": (2.0, 0.0, 1.0, 2.0, 2.0),
    "celu": (2.0, -2.0, INF, 0.0, 0.0),
    "celu_grad": (2.0, 0.0, 1.0, 1.0, 1.0),
    "selu": (None, -LAM_ALPHA, INF, 0.0, 0.0),
    "selu_grad": (None, 0.0, A.SELU_SCALE, LAM_ALPHA, LAM_ALPHA),
    "relu": (None, 0.0, INF, 0.0, 0.0),
    "relu_grad": (None, 0.0, 1.0, 0.0, 0.0),
    "leaky_relu": (0.1, -INF, INF, 0.0, 0.0),
    "leaky_relu_grad": (0.1, 0.1, 1.0, 0.1, 0.1),
    "sigmoid": (None, 0.0, 1.0, 0.5, 0.5),
    "sigmoid_grad": (None, 0.0, 0.0, 0.25, 0.25),
    "tanh": (None, -1.0, 1.0, 0.0, 0.0),
    "tanh_grad": (None, 0.0, 0.0, 1.0, 1.0),
}


@pytest.mark.parametrize("name", FUNCTION_NAMES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_infinities_and_signed_zeros(name, dtype):
    param, *expected = EDGE[name]
    z = np.array([-np.inf, np.inf, -0.0, 0.0], dtype=dtype)
    with np.errstate(over="ignore"):
        want = np.array(expected, dtype=dtype)
    np.testing.assert_array_equal(call(name, z, param), want)


def test_grad_at_zero_follows_the_documented_branch():
    # The z <= 0 branch, as PyTorch; sympy.diff of the Piecewise agrees.
    for a in (0.5, 1.0, 3.0):
        assert A.elu_grad(0.0, a) == a == float(S.elu_grad.subs({S.z: 0, S.alpha: a}))
        assert A.celu_grad(0.0, a) == 1.0
    assert A.relu_grad(0.0) == 0.0 == float(S.relu_grad.subs(S.z, 0))
    assert A.leaky_relu_grad(0.0, 0.3) == 0.3
    assert A.selu_grad(0.0) == pytest.approx(LAM_ALPHA, rel=2**-52)


@pytest.mark.parametrize(("name", "param"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_nan_in_nan_out_same_positions(name, param, dtype):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(50) * 10).astype(dtype)
    x[[0, 7, 8, 49]] = np.nan
    y = call(name, x, param)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(x))


def test_sigmoid_is_stable_in_both_tails():
    assert A.sigmoid(-800.0) == 0.0 and A.sigmoid(800.0) == 1.0
    assert A.sigmoid(-700.0) == pytest.approx(np.exp(-700.0), rel=1e-15)
    assert A.sigmoid(37.0) == np.nextafter(1.0, 0.0)  # 1 - 8.5e-17, rounded
    assert A.sigmoid(40.0) == 1.0
    assert A.sigmoid_grad(-700.0) == pytest.approx(np.exp(-700.0), rel=1e-15)
    assert A.tanh_grad(300.0) == pytest.approx(4 * np.exp(-600.0), rel=1e-15)
    assert A.sigmoid(np.float32(-100)) == np.float32(np.exp(-100.0))


def test_results_beyond_the_dtype_range_are_infinite_silently():
    assert A.selu(DMAX) == np.inf
    assert A.elu(np.float32(-1.0), alpha=1e300) == -np.inf
    assert A.leaky_relu(-DMAX, -2.0) == np.inf


# --------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("name", FUNCTION_NAMES)
@pytest.mark.parametrize(
    ("bad", "dtype"),
    [
        (np.array([1 + 2j]), "complex128"),
        (np.array([1, 2], dtype=np.complex64), "complex64"),
        ("1.0", "<U3"),
        (["a", "b"], "<U1"),
        (np.array([1.0, None]), "object"),
        (None, "object"),
        (np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime64[D]"),
        (np.array([1.0], dtype=np.longdouble), str(np.dtype(np.longdouble))),
    ],
    ids=[
        "complex128",
        "complex64",
        "str",
        "list-of-str",
        "object",
        "None",
        "date",
        "longdouble",
    ],
)
def test_non_real_input_raises_type_error_naming_function_and_dtype(name, bad, dtype):
    with pytest.raises(TypeError, match=rf"^{name}: .*dtype {re.escape(dtype)}$"):
        call(name, bad)


@pytest.mark.parametrize("name", ALPHA_NAMES)
def test_alpha_must_be_finite_and_positive(name):
    for bad, shown in [
        (-1.0, "-1.0"),
        (0, "0.0"),
        (-0.0, "-0.0"),
        (np.inf, "inf"),
        (np.nan, "nan"),
        (np.float32(-2), "-2.0"),
    ]:
        with pytest.raises(
            ValueError,
            match=rf"^{name}: alpha must be a finite number > 0, got {shown}$",
        ):
            call(name, [1.0], bad)
    for bad in ["1.0", None, True, 1j, np.array([1.0, 2.0])]:
        with pytest.raises(TypeError, match=rf"^{name}: alpha must be a real number"):
            getattr(A, name)([1.0], alpha=bad)
    assert call(name, [1.0], 3) == call(name, [1.0], 3.0)  # ints are fine


def test_elu_alpha_message_is_exact():
    with pytest.raises(ValueError) as info:
        A.elu([0.0], alpha=-1.0)
    assert str(info.value) == "elu: alpha must be a finite number > 0, got -1.0"


@pytest.mark.parametrize("name", SLOPE_NAMES)
def test_negative_slope_is_any_finite_real(name):
    for bad in (np.inf, -np.inf, np.nan):
        with pytest.raises(
            ValueError, match=rf"^{name}: negative_slope must be a finite number, got"
        ):
            call(name, [1.0], bad)
    with pytest.raises(
        TypeError, match=rf"^{name}: negative_slope must be a real number"
    ):
        call(name, [1.0], "0.1")
    assert call(name, -2.0, -0.5) == (1.0 if name == "leaky_relu" else -0.5)
    assert call(name, -2.0, 3.0) == (-6.0 if name == "leaky_relu" else 3.0)


# --------------------------------------------------------------------------
# Quiet: no warning, no floating-point exception, for any input


@pytest.mark.parametrize("name", FUNCTION_NAMES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_no_floating_point_exception_for_any_input(name, dtype):
    # pytest turns warnings into errors; "raise" catches what NumPy would
    # only count. Extreme parameters included.
    with np.errstate(over="ignore", under="ignore"):
        z = SPECIALS.astype(dtype)
    extreme = {
        "alpha": [5e-324, 1e-300, 0.7, 1e300, DMAX],
        "negative_slope": [0.0, -DMAX, DMAX, -1.0],
    }
    params = with_values(name, extreme)
    with np.errstate(all="raise"):
        for p in params:
            call(name, z, p)
            call(name, z[5], p)


# --------------------------------------------------------------------------
# Input is never written to, output never aliases it


@pytest.mark.parametrize(("name", "param"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_read_only_input_untouched_and_not_aliased(name, param, dtype):
    x = np.concatenate([SPECIALS, np.linspace(-5, 5, 41)])
    with np.errstate(over="ignore", under="ignore"):
        x = x.astype(dtype)
    before = x.copy()
    x.flags.writeable = False
    y = call(name, x, param)
    np.testing.assert_array_equal(x, before)  # NaN == NaN here
    assert not np.shares_memory(y, x)
    assert y.flags.writeable
    writable = before.copy()
    call(name, writable, param)
    np.testing.assert_array_equal(writable, before)


# --------------------------------------------------------------------------
# Properties of the maths

SORTED = hnp.arrays(
    np.float64,
    st.integers(2, 40),
    elements=st.floats(-1e3, 1e3, allow_subnormal=True),
).map(np.sort)


@settings(max_examples=30, deadline=None)
@given(z=SORTED, alpha=st.floats(1e-3, 1e3), slope=st.floats(0, 10))
def test_monotone_nondecreasing(z, alpha, slope):
    values = {"alpha": alpha, "negative_slope": slope}
    for name, spec in ACTIVATIONS.items():
        y = spec.f(z, **{p: values[p] for p in spec.params})
        assert np.all(np.diff(y) >= 0), name


def test_monotone_on_a_dense_grid():
    z = np.concatenate([-np.logspace(2.9, -300, 5000), np.linspace(-3, 3, 5001)])
    z = np.sort(z)
    values = {"alpha": [0.3, 1.0, 1.7], "negative_slope": [0.0, 0.01, 0.2]}
    for name in NAMES:
        for p in with_values(name, values):
            assert np.all(np.diff(call(name, z, p)) >= 0), (name, p)


@settings(max_examples=30, deadline=None)
@given(
    z=hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-1e308, 0.0)),
    alpha=st.floats(1e-3, 1e3),
)
def test_elu_bounded_below_by_minus_alpha(z, alpha):
    assert np.all(A.elu(z, alpha) >= -alpha)
    assert np.all(A.celu(z, alpha) >= -alpha)
    assert np.all(A.selu(z) >= -LAM_ALPHA)
    away = z[z > -30]  # e^z still shows in the last bit
    assert np.all(A.elu(away, alpha) > -alpha)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_continuous_at_zero(alpha):
    for h in (1e-3, 1e-9, 1e-300, 5e-324):
        for f in (A.elu, A.celu):
            left, right = f(-h, alpha), f(h, alpha)
            assert abs(right - left) <= 2.0 * max(alpha, 1.0) * h
        # celu' is continuous too: 1 - e^(-h/alpha) <= h/alpha
        assert 0 <= A.celu_grad(h, alpha) - A.celu_grad(-h, alpha) <= h / alpha + 2**-53


@settings(max_examples=30, deadline=None)
@given(
    z=hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-50.0, 0.0)),
    alpha=st.floats(1e-2, 1e2),
)
def test_derivative_is_value_plus_alpha_on_the_left(z, alpha):
    # For z <= 0: elu' = elu + alpha, celu' = (celu + alpha)/alpha, and
    # selu' = selu + lambda*alpha. The only error allowed is the rounding of
    # the sum, of alpha * celu', and of the operands: a few ulp of alpha.
    tol = 6 * np.spacing(alpha)
    np.testing.assert_allclose(
        A.elu_grad(z, alpha), A.elu(z, alpha) + alpha, rtol=0, atol=tol
    )
    np.testing.assert_allclose(
        alpha * A.celu_grad(z, alpha), A.celu(z, alpha) + alpha, rtol=0, atol=tol
    )
    np.testing.assert_allclose(
        A.selu_grad(z), A.selu(z) + LAM_ALPHA, rtol=0, atol=4 * np.spacing(LAM_ALPHA)
    )


@settings(max_examples=30, deadline=None)
@given(z=hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-30.0, 30.0)))
def test_sigmoid_and_tanh_identities(z):
    np.testing.assert_allclose(A.sigmoid(z) + A.sigmoid(-z), 1.0, rtol=0, atol=2**-52)
    s = A.sigmoid(z)
    np.testing.assert_allclose(A.sigmoid_grad(z), s * A.sigmoid(-z), rtol=4e-16)
    np.testing.assert_allclose(A.tanh_grad(z), A.sigmoid_grad(2 * z) * 4, rtol=4e-16)
    near = z[np.abs(z) < 0.5]  # 1 - tanh^2 only cancels a little here
    np.testing.assert_allclose(A.tanh_grad(near), 1 - A.tanh(near) ** 2, rtol=1e-15)
    np.testing.assert_allclose(A.tanh(z), 2 * A.sigmoid(2 * z) - 1, rtol=0, atol=4e-16)


# --------------------------------------------------------------------------
# Derivatives against central finite differences, away from the kink

# Each activation at its defaults, and a few other parameter values.
PAIRS = [(name, None) for name in NAMES]
PAIRS += [("elu", 1.7), ("celu", 0.6), ("leaky_relu", 0.2)]


@pytest.mark.parametrize(("name", "param"), PAIRS)
def test_grad_matches_central_differences(name, param):
    z = np.concatenate([-np.linspace(8, 0.05, 200), np.linspace(0.05, 8, 200)])
    h = 1e-6
    numeric = (call(name, z + h, param) - call(name, z - h, param)) / (2 * h)
    np.testing.assert_allclose(
        call(f"{name}_grad", z, param), numeric, rtol=1e-7, atol=1e-9
    )
