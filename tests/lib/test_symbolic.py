"""elu_lib.symbolic: the one written statement of the math."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from elu_lib import symbolic as S


def test_every_activation_has_its_derivative_by_diff():
    assert set(S.DERIVATIVES) == set(S.EXPRESSIONS)
    for name, expr in S.EXPRESSIONS.items():
        assert S.DERIVATIVES[name] == sp.diff(expr, S.z), name
        assert getattr(S, f"{name}_grad") is S.DERIVATIVES[name]


def test_elu_is_a_piecewise_whose_second_branch_covers_zero():
    assert isinstance(S.elu, sp.Piecewise)
    assert S.elu.subs(S.z, 0) == 0
    assert S.elu_grad.subs(S.z, 0) == S.alpha  # PyTorch's convention
    assert S.relu_grad.subs(S.z, 0) == 0
    assert S.leaky_relu_grad.subs(S.z, 0) == S.negative_slope


def test_selu_constants_are_the_papers_to_30_digits():
    # SymPy Floats carry their own precision: no mpmath setting is involved.
    assert abs(S.SELU_ALPHA - sp.Float("1.67326324235437728481704299167")) < 1e-29
    assert abs(S.SELU_SCALE - sp.Float("1.05070098735548049341933498529")) < 1e-29


def test_branch_picks_the_piece_for_each_side():
    assert S.branch(S.elu, "-") == S.alpha * (sp.exp(S.z) - 1)
    assert S.branch(S.elu, "+") == S.z
    assert S.branch(S.sigmoid, "-") == S.sigmoid
    with pytest.raises(ValueError, match="side"):
        S.branch(S.elu, "left")


def test_one_sided_limits():
    assert S.one_sided_limit(S.elu, -sp.oo, "+") == -S.alpha
    assert S.one_sided_limit(S.elu, sp.oo, "-") == sp.oo
    assert S.one_sided_limit(S.elu_grad, 0, "-") == S.alpha
    assert S.one_sided_limit(S.elu_grad, 0, "+") == 1
    assert S.one_sided_limit(S.tanh, sp.oo, "-") == 1
    with pytest.raises(ValueError, match="point"):
        S.one_sided_limit(S.elu, 1, "+")


def test_lambdify_matches_mpmath_and_keeps_precision_near_zero():
    z = np.array([-800.0, -30.0, -1.0, -1e-12, -0.0, 0.0, 1e-12, 2.5, 800.0])
    f = S.lambdify(S.elu, alpha=1.5)
    g = S.lambdify(S.elu, alpha=1.5, modules="mpmath")
    with mpmath.workdps(30):
        expected = np.array([float(g(mpmath.mpf(x))) for x in z])
    np.testing.assert_allclose(f(z), expected, rtol=1e-15, atol=0)


def test_lambdify_broadcasts_constant_derivatives_and_never_warns():
    z = np.array([-1000.0, 0.0, 1000.0])
    with np.errstate(all="raise"):
        grad = S.lambdify(S.relu_grad)(z)
        sig = S.lambdify(S.sigmoid)(z)
    assert grad.shape == z.shape and list(grad) == [0.0, 0.0, 1.0]
    assert list(sig) == [0.0, 0.5, 1.0]


def test_lambdify_rejects_unknown_or_missing_parameters():
    with pytest.raises(ValueError, match="unknown parameter"):
        S.lambdify(S.elu, beta=1.0)
    with pytest.raises(ValueError, match="alpha"):
        S.lambdify(S.elu)


def test_mpmath_lambdify_keeps_precision_far_below_its_working_precision():
    f = S.lambdify(S.elu, alpha=1, modules="mpmath")
    with mpmath.workdps(50):
        assert f(mpmath.mpf("-1e-80")) == mpmath.mpf("-1e-80")


# ELU's modern neighbours: symbolic only (chapter 10), not in the registry.

MP_NEIGHBOURS = {
    "gelu": lambda x: x / 2 * (1 + mpmath.erf(x / mpmath.sqrt(2))),
    "gelu_tanh": lambda x: (
        x / 2 * (1 + mpmath.tanh(mpmath.sqrt(2 / mpmath.pi) * (x + 0.044715 * x**3)))
    ),
    "silu": lambda x: x / (1 + mpmath.exp(-x)),
    "mish": lambda x: x * mpmath.tanh(mpmath.log1p(mpmath.exp(x))),
    "softplus": lambda x: mpmath.log1p(mpmath.exp(x)),
    "prelu": lambda x: max(x, 0) + 0.25 * min(x, 0),
}
NEIGHBOUR_POINTS = [-20.0, -3.5, -1.0, -0.25, 0.0, 0.3, 1.0, 2.7, 20.0]


def test_neighbours_are_symbolic_only_with_derivatives_by_diff():
    assert set(S.NEIGHBOURS) == set(S.NEIGHBOUR_NAMES) == set(MP_NEIGHBOURS)
    assert set(S.NEIGHBOURS).isdisjoint(S.EXPRESSIONS)
    for name, expr in S.NEIGHBOURS.items():
        assert S.NEIGHBOUR_DERIVATIVES[name] == sp.diff(expr, S.z), name
        assert getattr(S, f"{name}_grad") is S.NEIGHBOUR_DERIVATIVES[name]
        assert getattr(S, name) is expr


@pytest.mark.parametrize("name", sorted(MP_NEIGHBOURS))
def test_neighbour_values_match_mpmath(name):
    f = S.lambdify(S.NEIGHBOURS[name], a=0.25) if name == "prelu" else None
    f = f or S.lambdify(S.NEIGHBOURS[name])
    with mpmath.workdps(40):
        expected = [float(MP_NEIGHBOURS[name](mpmath.mpf(x))) for x in NEIGHBOUR_POINTS]
    got = f(np.array(NEIGHBOUR_POINTS))
    # Naive float64 formulas: relative 1e-13, absolute 1e-15 where f ~ 0
    # (GELU at -20 is ~ 1e-88, which 1 + erf(...) rounds to 0).
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(MP_NEIGHBOURS))
def test_neighbour_derivatives_match_numerical_differentiation(name):
    params = {"a": 0.25} if name == "prelu" else {}
    grad = S.lambdify(S.NEIGHBOUR_DERIVATIVES[name], **params)
    points = [x for x in NEIGHBOUR_POINTS if x != 0.0]  # PReLU's kink
    with mpmath.workdps(40):
        expected = [
            float(mpmath.diff(MP_NEIGHBOURS[name], mpmath.mpf(x))) for x in points
        ]
    np.testing.assert_allclose(grad(np.array(points)), expected, rtol=1e-12, atol=1e-15)


def test_gelu_tanh_is_within_5e_4_of_gelu_and_not_equal():
    grid = np.linspace(-8, 8, 16001)
    gap = np.abs(S.lambdify(S.gelu)(grid) - S.lambdify(S.gelu_tanh)(grid))
    assert 4.5e-4 < gap.max() < 5e-4
    assert abs(abs(grid[gap.argmax()]) - 2.7) < 0.05


def test_prelu_takes_its_slope_a_and_the_left_slope_at_zero():
    assert S.prelu_grad.subs(S.z, 0) == S.prelu_slope
    f = S.lambdify(S.prelu, a=-0.5)
    assert list(f(np.array([-2.0, 0.0, 3.0]))) == [1.0, 0.0, 3.0]
    with pytest.raises(ValueError, match="'a'"):
        S.lambdify(S.prelu)


def test_lambdified_gelu_takes_arrays_of_any_shape():
    f = S.lambdify(S.gelu)
    assert f(np.zeros((2, 3))).shape == (2, 3)
    assert float(f(0.0)) == 0.0
