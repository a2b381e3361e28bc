"""elu_lib.meanfield: the variance map, chi, the fixed point and the edge of chaos.

References are exact: ELU's closed forms (chapter 7's theorem, evaluated with
30-digit mpmath; checked here against mpmath's quadrature of the registry's
SymPy expression), hand-derived ones for ReLU, and mpmath's tanh-sinh
quadrature at 20 digits, split at the kink, for every activation of the
registry.
"""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import elu_lib
from elu_lib import meanfield as mf
from elu_lib import symbolic as S
from elu_lib.registry import ACTIVATIONS, NAMES

QS = [1e-12, 1e-8, 1e-3, 0.25, 1.0, 3.0, 50.0, 1e6, 1e12]  # the documented range
ALPHAS = [0.5, 1.0, 2.0]


def numpy_pair(name, **params):
    """The registry's activation and derivative with parameters bound."""
    spec = ACTIVATIONS[name]
    bound = {**spec.params, **params}
    return functools.partial(spec.f, **bound), functools.partial(spec.grad, **bound)


def mp_mean_square(expr, q, **params):
    """E[expr(sqrt(q) z)^2] by mpmath.quad at 20 digits, split at z = 0."""
    g = S.lambdify(expr, modules="mpmath", **params)
    with mpmath.workdps(20):
        r = mpmath.sqrt(mpmath.mpf(q))
        return mpmath.quad(
            lambda t: g(r * t) ** 2 * mpmath.npdf(t), [-mpmath.inf, 0, mpmath.inf]
        )


@functools.cache
def elu_moments(q, alpha):
    """ELU's exact (E[elu(sqrt(q) z)^2], E[elu'(sqrt(q) z)^2]) at 30 digits:
    q/2 + a^2 (e^{2q} Phi(-2 sqrt q) - 2 e^{q/2} Phi(-sqrt q) + 1/2) and
    1/2 + a^2 e^{2q} Phi(-2 sqrt q)."""
    with mpmath.workdps(30):
        q, a2 = mpmath.mpf(q), mpmath.mpf(alpha) ** 2
        r = mpmath.sqrt(q)
        tail = mpmath.exp(2 * q) * mpmath.ncdf(-2 * r)
        bracket = tail - 2 * mpmath.exp(q / 2) * mpmath.ncdf(-r) + 0.5
        return float(q / 2 + a2 * bracket), float(0.5 + a2 * tail)


# --------------------------------------------------------------------------
# Closed forms


@pytest.mark.parametrize("q", QS)
def test_relu_closed_forms(q):
    # E[relu(sqrt(q) z)^2] = q/2, E[relu'(...)^2] = 1/2.
    assert mf.variance_map(elu_lib.relu, q, 3.0, 0.25) == pytest.approx(
        3.0 * q / 2 + 0.25, rel=1e-14
    )
    assert mf.chi(elu_lib.relu_grad, q, 3.0) == pytest.approx(1.5, rel=1e-14)


def test_elu_closed_forms_are_the_registry_expressions_integrals():
    # The reference below is the formula; the registry's SymPy expression,
    # integrated by mpmath, gives the same numbers.
    for q, alpha in [(1e-3, 0.5), (3.0, 1.5), (50.0, 2.0)]:
        f2, g2 = elu_moments(q, alpha)
        assert f2 == pytest.approx(
            float(mp_mean_square(S.elu, q, alpha=alpha)), rel=1e-15
        )
        assert g2 == pytest.approx(
            float(mp_mean_square(S.elu_grad, q, alpha=alpha)), rel=1e-15
        )


@pytest.mark.parametrize("alpha", ALPHAS)
def test_elu_matches_closed_form(alpha):
    # Every q of QS in one vectorised call.
    f, df = numpy_pair("elu", alpha=alpha)
    want_f, want_df = np.array([elu_moments(q, alpha) for q in QS]).T
    # The module promises a few units in the last place; 1e-14 is 45 of them.
    np.testing.assert_allclose(mf.variance_map(f, QS, 1.0), want_f, rtol=1e-14)
    np.testing.assert_allclose(mf.chi(df, QS, 1.0), want_df, rtol=1e-14)
    # and each scalar call agrees with the vectorised one
    for q, want in zip(QS, want_df, strict=True):
        assert mf.chi(df, q, 1.0) == pytest.approx(want, rel=1e-13)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("q", [3.0])
def test_every_activation_matches_mpmath(name, q):
    params = dict(ACTIVATIONS[name].params)
    if "alpha" in params:
        params["alpha"] = 1.5  # alpha != 1: a kink at 0
    f, df = numpy_pair(name, **params)
    spec = ACTIVATIONS[name]
    want_f = float(mp_mean_square(spec.expr, q, **params))
    want_df = float(mp_mean_square(spec.expr_grad, q, **params))
    assert mf.variance_map(f, q, 1.0) == pytest.approx(want_f, rel=1e-13)
    assert mf.chi(df, q, 1.0) == pytest.approx(want_df, rel=1e-13)


def test_lambdified_sympy_expression_works_as_f():
    f = S.lambdify(S.elu, alpha=1.0)
    assert mf.variance_map(f, 2.0, 1.5, 0.1) == pytest.approx(
        mf.variance_map(elu_lib.elu, 2.0, 1.5, 0.1), rel=1e-14
    )
    # A constant derivative (lambdify of a number) is broadcast.
    one = S.lambdify(sp.Integer(1))
    np.testing.assert_allclose(mf.chi(one, [1.0, 2.0], 2.0), 2.0, rtol=1e-15)


def test_q_zero_is_the_limit():
    # E[g(sqrt(q) z)^2] -> (g(0-)^2 + g(0+)^2) / 2 as q -> 0+.
    _, df = numpy_pair("elu", alpha=2.0)
    assert mf.chi(df, 0.0, 1.0) == 2.5
    assert mf.chi(df, 1e-14, 1.0) == pytest.approx(2.5, rel=1e-6)
    assert mf.variance_map(elu_lib.sigmoid, 0.0, 2.0, 0.5) == 1.0  # 2/4 + 1/2
    assert mf.variance_map(elu_lib.elu, 0.0, 2.0) == 0.0


def test_vectorised_q_keeps_shape_and_matches_scalars():
    q = np.array([[0.0, 0.5], [2.0, 8.0]])
    v = mf.variance_map(elu_lib.tanh, q, 1.7, 0.2)
    c = mf.chi(elu_lib.tanh_grad, q, 1.7)
    assert v.shape == c.shape == (2, 2)
    for i in np.ndindex(q.shape):
        assert v[i] == pytest.approx(mf.variance_map(elu_lib.tanh, q[i], 1.7, 0.2))
        assert c[i] == pytest.approx(mf.chi(elu_lib.tanh_grad, q[i], 1.7))
    assert isinstance(mf.variance_map(elu_lib.tanh, 1, 1.0), float)
    assert mf.chi(elu_lib.tanh_grad, [], 1.0).shape == (0,)


# --------------------------------------------------------------------------
# Fixed point


@pytest.mark.parametrize("sw2, sb2", [(1.0, 0.5), (0.5, 1.0), (1.9, 0.01)])
def test_relu_fixed_point_closed_form(sw2, sb2):
    # q = sw2 q / 2 + sb2  =>  q* = sb2 / (1 - sw2 / 2)
    assert mf.fixed_point(elu_lib.relu, sw2, sb2) == pytest.approx(
        sb2 / (1 - sw2 / 2), rel=1e-13
    )


@pytest.mark.parametrize(
    "name, sw2, sb2, q0",
    [
        ("elu", 1.5, 0.0, 1.0),
        ("elu", 1.5, 0.0, 100.0),
        ("elu", 1.6, 0.1, 0.01),
        ("elu", 1.99, 0.0, 1.0),
        ("celu", 1.3, 0.05, 1.0),
        ("selu", 1.0, 0.0, 3.0),
        ("tanh", 2.0, 0.05, 1.0),
        ("sigmoid", 4.0, 0.0, 1.0),
        ("leaky_relu", 1.5, 0.3, 1.0),
    ],
)
def test_fixed_point_is_a_fixed_point_reached_by_iteration(name, sw2, sb2, q0):
    f, _ = numpy_pair(name)
    q = mf.fixed_point(f, sw2, sb2, q0)
    assert 0 < q < math.inf
    assert mf.variance_map(f, q, sw2, sb2) == pytest.approx(q, rel=1e-13)
    # It is the one the iteration from q0 reaches: V(q) - q keeps one sign
    # from q0 to q* (no fixed point in between), and the map moves towards q*.
    between = np.geomspace(q0, q, 402)[1:-1]
    gap = mf.variance_map(f, between, sw2, sb2) - between
    assert np.all(gap > 0) if q > q0 else np.all(gap < 0)
    it = q0
    for _ in range(20):
        new = mf.variance_map(f, it, sw2, sb2)
        assert abs(new - q) <= abs(it - q)
        it = new


def test_selu_fixed_point_is_one_with_lecun():
    # Klambauer et al.: SELU's constants make q = 1 a fixed point at sw2 = 1.
    assert mf.fixed_point(elu_lib.selu, 1.0) == pytest.approx(1.0, rel=1e-12)


def test_fixed_point_zero_infinite_and_neutral():
    assert mf.fixed_point(elu_lib.elu, 1.0) == 0.0
    assert mf.fixed_point(elu_lib.tanh, 0.9) == 0.0
    assert mf.fixed_point(elu_lib.relu, 2.5) == math.inf
    assert mf.fixed_point(elu_lib.elu, 2.0) == math.inf
    assert mf.fixed_point(elu_lib.relu, 2.0, q0=3.7) == 3.7  # every q is fixed


# --------------------------------------------------------------------------
# Unit gain and the edge of chaos


@pytest.mark.parametrize("q", [0.0, 1.0, 9.0])
def test_unit_gain_relu_is_he(q):
    assert mf.unit_gain_weight_variance("relu", q) == pytest.approx(2.0, rel=1e-14)


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("q", [0.3, 1.0, 4.0])
def test_unit_gain_elu_closed_form(q, alpha):
    sw2 = mf.unit_gain_weight_variance("elu", q, alpha=alpha)
    assert sw2 == pytest.approx(1 / elu_moments(q, alpha)[1], rel=1e-13)
    _, df = numpy_pair("elu", alpha=alpha)
    assert mf.chi(df, q, sw2) == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_unit_gain_makes_chi_one_for_every_activation(name):
    _, df = numpy_pair(name)
    sw2 = mf.unit_gain_weight_variance(name, 2.0)
    assert mf.chi(df, 2.0, sw2) == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize("name", ["elu", "celu", "selu", "tanh", "leaky_relu"])
def test_edge_of_chaos_points(name):
    f, df = numpy_pair(name)
    q = np.array([0.1, 1.0, 5.0])
    sw2, sb2 = mf.edge_of_chaos(f, df, q)
    assert np.all(sb2 >= 0)
    np.testing.assert_allclose(mf.chi(df, q, 1.0) * sw2, 1.0, rtol=1e-14)
    for i in range(q.size):
        assert mf.variance_map(f, q[i], sw2[i], sb2[i]) == pytest.approx(q[i])
    # For ELU the map from q0 = 1 does reach these fixed points.
    if name == "elu":
        for i in range(q.size):
            assert mf.fixed_point(f, sw2[i], sb2[i]) == pytest.approx(q[i], rel=1e-9)


def test_edge_of_chaos_special_cases():
    assert mf.edge_of_chaos(elu_lib.elu, elu_lib.elu_grad, 0.0) == (1.0, 0.0)
    sw2, sb2 = mf.edge_of_chaos(elu_lib.relu, elu_lib.relu_grad, [0.5, 2.0])
    np.testing.assert_allclose(sw2, 2.0, rtol=1e-15)
    assert sb2.tolist() == [0.0, 0.0]
    # Sigmoid's f(0) = 1/2 makes q = 1 unreachable with a real bias.
    sw2, sb2 = mf.edge_of_chaos(elu_lib.sigmoid, elu_lib.sigmoid_grad, 1.0)
    assert math.isnan(sw2) and math.isnan(sb2)


# --------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: mf.variance_map(elu_lib.elu, -1.0, 1.0), ValueError, "q must be"),
        (lambda: mf.variance_map(elu_lib.elu, [1, np.nan], 1.0), ValueError, "q"),
        (lambda: mf.variance_map(elu_lib.elu, "1", 1.0), TypeError, "q must be"),
        (lambda: mf.variance_map(elu_lib.elu, True, 1.0), TypeError, "q must be"),
        (lambda: mf.variance_map(elu_lib.elu, 1.0, 0.0), ValueError, "weight_var"),
        (lambda: mf.variance_map(elu_lib.elu, 1.0, "2"), TypeError, "weight_var"),
        (lambda: mf.variance_map(elu_lib.elu, 1.0, 1.0, -0.1), ValueError, "bias_var"),
        (lambda: mf.variance_map(3.0, 1.0, 1.0), TypeError, "f must be callable"),
        (lambda: mf.variance_map(lambda x: x[..., :1], 1.0, 1.0), ValueError, "shape"),
        (lambda: mf.variance_map(np.exp, 1e6, 1.0), ValueError, "finite"),
        (lambda: mf.chi(None, 1.0, 1.0), TypeError, "f_grad must be callable"),
        (lambda: mf.chi(elu_lib.elu_grad, 1.0, math.inf), ValueError, "weight_var"),
        (lambda: mf.fixed_point(elu_lib.elu, 1.5, q0=0.0), ValueError, "q0"),
        (lambda: mf.fixed_point(elu_lib.elu, -1.5), ValueError, "weight_var"),
        (
            lambda: mf.unit_gain_weight_variance("swish"),
            ValueError,
            "unit_gain_weight_variance: activation must be one of",
        ),
        (lambda: mf.unit_gain_weight_variance(1), TypeError, "name must be"),
        (lambda: mf.unit_gain_weight_variance("elu", beta=1), TypeError, "beta"),
        (lambda: mf.unit_gain_weight_variance("relu", alpha=1), TypeError, "alpha"),
        (lambda: mf.unit_gain_weight_variance("elu", -1.0), ValueError, "q must"),
        (lambda: mf.unit_gain_weight_variance("elu", alpha=-1), ValueError, "alpha"),
        (lambda: mf.edge_of_chaos(elu_lib.elu, 2, 1.0), TypeError, "f_grad"),
        (lambda: mf.edge_of_chaos(elu_lib.elu, elu_lib.elu_grad, -1), ValueError, "q"),
    ],
)
def test_bad_input_names_function_and_argument(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    fname = str(info.value).split(":")[0]
    assert fname in mf.__all__
