"""elu_lib.activations against 50-digit references: errors in ULPs.

The reference for every activation is a module-level mpmath function at 50
digits, written with expm1/sech so that it keeps all its digits for tiny and
huge |z|. The references are themselves checked against the SymPy
expressions in :mod:`elu_lib.symbolic` (lambdified for mpmath at high
precision), so the numbers here are measured against the one written-down
statement of the maths.

Targets (the accuracy that elu_lib.activations documents): elu, celu, selu,
sigmoid, sigmoid_grad and tanh_grad are faithfully rounded -- each result is
one of the two floats that bracket the exact value, tested as exactly that
(elu_lib.numerics.faithfully_rounded), not as "error < 1 ULP", which differs
near a power of two; everything else is within 1.5 ULP; in float64, float32
and float16, for every alpha. Every function that elu_lib.registry lists has
a reference here.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from elu_lib import activations as A
from elu_lib import symbolic as S
from elu_lib.numerics import faithfully_rounded, ulp_error
from elu_lib.registry import ACTIVATIONS, FUNCTION_NAMES, NAMES

DTYPES = [np.float64, np.float32, np.float16]
ELU_LIMIT = 1.0  # faithful rounding: strictly below 1 ULP
LIMIT = 1.5
FAITHFUL = {"elu", "celu", "selu", "sigmoid", "sigmoid_grad", "tanh_grad"}

# --------------------------------------------------------------------------
# The 50-digit reference, in a private mpmath context (the global one is
# left alone).

MP = mpmath.MPContext()
MP.dps = 50
LAMBDA = MP.mpf(str(S.SELU_SCALE))  # the paper's 32 digits, from symbolic
SELU_A = MP.mpf(str(S.SELU_ALPHA))


def _ref_elu(x, a):
    return x if x > 0 else a * MP.expm1(x)


def _ref_elu_grad(x, a):
    return MP.one if x > 0 else a * MP.exp(x)


def _ref_celu(x, a):
    return x if x > 0 else a * MP.expm1(x / a)


def _ref_celu_grad(x, a):
    return MP.one if x > 0 else MP.exp(x / a)


def _ref_selu(x, a):
    return LAMBDA * _ref_elu(x, SELU_A)


def _ref_selu_grad(x, a):
    return LAMBDA * _ref_elu_grad(x, SELU_A)


def _ref_sigmoid(x, a):
    return 1 / (1 + MP.exp(-x))


def _ref_sigmoid_grad(x, a):
    w = MP.exp(-abs(x))  # e^-|z| / (1 + e^-|z|)^2: no cancellation
    return w / (1 + w) ** 2


def _ref_tanh(x, a):
    return MP.tanh(x)


def _ref_tanh_grad(x, a):
    return MP.sech(x) ** 2


def _ref_relu(x, a):
    return max(x, MP.zero)


def _ref_relu_grad(x, a):
    return MP.one if x > 0 else MP.zero


def _ref_leaky_relu(x, s):
    return x if x > 0 else s * x


def _ref_leaky_relu_grad(x, s):
    return MP.one if x > 0 else s


# One _ref_<name> per registry function; a missing one fails at import.
REFERENCES = {name: globals()[f"_ref_{name}"] for name in FUNCTION_NAMES}


def params_of(fname: str) -> list[str]:
    """The parameters that function ``fname`` takes, from the registry."""
    return list(ACTIVATIONS[fname.removesuffix("_grad")].params)


def bound(fname: str, **values: float) -> dict[str, float]:
    """``fname``'s parameters, set to the matching ``values``."""
    return {p: values[p] for p in params_of(fname)}


WITH_ALPHA = sorted(f for f in FUNCTION_NAMES if params_of(f) == ["alpha"])
WITH_SLOPE = sorted(f for f in FUNCTION_NAMES if params_of(f) == ["negative_slope"])
PARAMETERLESS = sorted(f for f in FUNCTION_NAMES if not params_of(f))


def test_every_function_is_measured():
    # A new function, or a parameter none of the groups covers, fails here.
    assert sorted(WITH_ALPHA + WITH_SLOPE + PARAMETERLESS) == sorted(FUNCTION_NAMES)


def reference(name: str, x: np.ndarray, param: float | None = None) -> list:
    """The exact (50-digit) value of activation ``name`` at each element of x."""
    f = REFERENCES[name]
    p = None if param is None else MP.mpf(param)
    return [f(MP.mpf(float(v)), p) for v in np.ravel(x)]


def max_ulp(name: str, x: np.ndarray, param: float | None = None) -> float:
    f = getattr(A, name)
    y = f(x) if param is None else f(x, param)
    assert y.dtype == x.dtype
    return float(ulp_error(y, reference(name, x, param)).max())


def limit(name: str) -> float:
    """The largest error allowed: < 1 ULP (faithful) or <= 1.5 ULP."""
    return np.nextafter(ELU_LIMIT, 0) if name in FAITHFUL else LIMIT


def assert_documented_accuracy(name: str, x: np.ndarray, param=None) -> None:
    """Faithfully rounded (bracketing floats) for FAITHFUL, else <= 1.5 ULP."""
    f = getattr(A, name)
    y = f(x) if param is None else f(x, param)
    assert y.dtype == x.dtype
    exact = reference(name, x, param)
    if name in FAITHFUL:
        bad = ~faithfully_rounded(y, exact)
        assert not bad.any(), f"{name} not faithfully rounded at {x[bad][:5]}"
    assert float(ulp_error(y, exact).max()) <= limit(name)


# --------------------------------------------------------------------------
# Fixed grids: log-spaced negatives from the subnormals to -745, zeros,
# positives, and the points where alpha * expm1(z) is hardest to round.

TINY64 = [-5e-324, -1e-322, -2.5e-310, -2.2250738585072014e-308]
GRID64 = np.concatenate(
    [
        TINY64,
        -np.logspace(-300, np.log10(745), 500),
        -np.linspace(0.001, 3, 300),
        [-0.0, 0.0],
        np.logspace(-300, 308, 60),
    ]
)
GRID32 = np.concatenate(
    [
        [-1e-45, -1e-40, -1.2e-38],
        -np.logspace(-37, np.log10(104), 500),
        -np.linspace(0.001, 3, 200),
        [-0.0, 0.0],
        np.logspace(-37, 38, 40),
    ]
).astype(np.float32)
GRID16 = np.unique(
    np.concatenate(
        [
            -np.logspace(-7.7, np.log10(65000), 400),
            -np.linspace(0.001, 3, 100),
            [-0.0, 0.0],
            np.logspace(-7, 4.8, 30),
        ]
    ).astype(np.float16)
)
GRIDS = {np.float64: GRID64, np.float32: GRID32, np.float16: GRID16}


def hard_points(alpha: float, count: int = 60) -> np.ndarray:
    """z where alpha * np.expm1(z) stretches expm1's rounding error most.

    If t = expm1(z) has significand m_t and alpha has significand m_a, with
    m_t * m_a < 2, then an error of d ULP in t becomes m_a * d ULP in
    alpha * t, before that product is rounded too. These z put t in the
    bottom 1/m_a of its binade, in random binades.
    """
    m_a = 2 * math.frexp(alpha)[0]
    rng = np.random.default_rng(2024)
    t = np.ldexp(rng.uniform(1.0, 2.0 / m_a, count), -rng.integers(1, 40, count))
    return np.log1p(-t)


ALPHAS = [1.0, 0.5, 1.5, 1.9999999999, 1.0000001, 3.7, 1e-3, 1e300]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("name", WITH_ALPHA)
def test_alpha_family_within_target_on_grid(name, alpha, dtype):
    x = GRIDS[dtype]
    if dtype is np.float64:
        x = np.concatenate([x, hard_points(alpha)])
    assert_documented_accuracy(name, x, alpha)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", PARAMETERLESS)
def test_parameterless_within_target_on_grid(name, dtype):
    x = GRIDS[dtype]
    if dtype is np.float64:  # both tails of sigmoid and tanh
        x = np.concatenate([x, -x, hard_points(A.SELU_SCALE * A.SELU_ALPHA)])
    assert_documented_accuracy(name, x)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_relu_and_leaky_relu_exact_or_one_rounding(dtype):
    x = GRIDS[dtype]
    assert max_ulp("relu", x) == 0.0
    assert max_ulp("relu_grad", x) == 0.0
    for slope in (0.01, 0.3, -0.5, 2.0):
        # one rounding, plus at most a tipped tie from the float64 rounding
        assert max_ulp("leaky_relu", x, slope) <= 0.5 + 1e-9
        assert max_ulp("leaky_relu_grad", x, slope) <= 0.5


def test_hard_points_defeat_the_naive_formula():
    # The grid above is not a formality: it catches alpha * np.expm1(z).
    alpha = 1.75
    x = hard_points(alpha, count=300)
    naive = alpha * np.expm1(x)
    exact = reference("elu", x, alpha)
    assert ulp_error(naive, exact).max() > 1.0
    assert not faithfully_rounded(naive, exact).all()


# --------------------------------------------------------------------------
# Property-based: random inputs over the whole float range, random alpha.

FINITE64 = st.floats(allow_nan=False, allow_infinity=False, width=64)
FINITE32 = st.floats(allow_nan=False, allow_infinity=False, width=32)
NEGATIVE64 = st.floats(min_value=-800.0, max_value=0.0, width=64)
ALPHA = st.one_of(
    st.floats(min_value=1e-6, max_value=1e6),
    st.floats(min_value=1.999, max_value=2.0, exclude_max=True),
    st.sampled_from([1.0, A.SELU_ALPHA]),
)


def arrays(elements, dtype=np.float64):
    return hnp.arrays(dtype, st.integers(1, 24), elements=elements)


@settings(max_examples=40, deadline=None)
@given(x=arrays(st.one_of(FINITE64, NEGATIVE64)), alpha=ALPHA)
def test_elu_faithful_float64_any_alpha(x, alpha):
    assert_documented_accuracy("elu", x, alpha)


@settings(max_examples=25, deadline=None)
@given(x=arrays(FINITE32, np.float32), alpha=ALPHA)
def test_elu_faithful_float32_any_alpha(x, alpha):
    assert_documented_accuracy("elu", x, alpha)


@settings(max_examples=25, deadline=None)
@given(
    x=arrays(st.one_of(FINITE64, NEGATIVE64)),
    alpha=ALPHA,
    name=st.sampled_from([f for f in WITH_ALPHA if f != "elu"]),  # elu: above
)
def test_alpha_family_float64_any_alpha(x, alpha, name):
    assert_documented_accuracy(name, x, alpha)


@settings(max_examples=25, deadline=None)
@given(
    x=arrays(st.one_of(FINITE64, st.floats(-800, 800))),
    name=st.sampled_from(PARAMETERLESS),
)
def test_parameterless_float64_random(x, name):
    assert_documented_accuracy(name, x)


# --------------------------------------------------------------------------
# The references are the SymPy expressions of elu_lib.symbolic.

SYMBOLIC = {name: S.EXPRESSIONS[name] for name in NAMES}
SYMBOLIC.update({f"{name}_grad": S.DERIVATIVES[name] for name in NAMES})
CHECK_POINTS = [-700.0, -30.0, -2.5, -1.0, -1e-3, -1e-12, 0.0, 1e-12, 0.7, 3.0, 40.0]


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_reference_is_the_symbolic_expression(name):
    param = bound(name, alpha=1.7, negative_slope=0.3)
    f = S.lambdify(SYMBOLIC[name], modules="mpmath", **param)
    p = next(iter(param.values()), None)
    # lambdify rounds parameters to 30 digits, and SELU's constants have 32.
    with mpmath.workdps(200):  # exp(z) - 1 and 1 - tanh^2 need the digits
        for x in CHECK_POINTS:
            sym = f(mpmath.mpf(x))
            ref = reference(name, np.array([x]), p)[0]
            assert abs(sym - ref) <= abs(ref) * mpmath.mpf(10) ** -28 + 1e-300


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_float64_matches_numpy_lambdified_expression(name):
    # Where the naive float64 expression is well conditioned it agrees.
    param = bound(name, alpha=0.8, negative_slope=0.3)
    top = 1.0 if name == "tanh_grad" else 30.0  # 1 - tanh^2 cancels beyond
    x = np.concatenate([-np.linspace(0.01, top, 200), np.linspace(0.01, top, 200)])
    expected = S.lambdify(SYMBOLIC[name], **param)(x)
    got = getattr(A, name)(x, *param.values())
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-300)


# Each activation at its defaults, and a few other parameter values.
DIFF_CASES = [(name, dict(spec.params)) for name, spec in ACTIVATIONS.items()]
DIFF_CASES += [("elu", {"alpha": 1.7}), ("celu", {"alpha": 0.6})]
DIFF_CASES += [("leaky_relu", {"negative_slope": 0.2})]


@pytest.mark.parametrize(("name", "param"), DIFF_CASES, ids=str)
def test_derivatives_are_sympy_diff_of_the_expressions(name, param):
    # elu_lib's f_grad against sympy.diff(f), at the kink z = 0 too, where
    # the Piecewise's z <= 0 branch is the convention both follow.
    expected = S.lambdify(S.DERIVATIVES[name], **param)
    x = np.array([-20.0, -5.0, -0.5, -1e-9, 0.0, 1e-9, 0.5, 5.0, 20.0])
    got = getattr(A, f"{name}_grad")(x, *param.values())
    # The lambdified tanh' = 1 - tanh^2 carries an absolute error of ~1e-16.
    atol = 4e-16 if name == "tanh" else 1e-300
    np.testing.assert_allclose(got, expected(x), rtol=1e-14, atol=atol)
