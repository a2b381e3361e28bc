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
