"""elu_lib.numerics: the helpers the chapters, the tests and the benchmark share.

Every test here can fail: each checks a number or a behaviour that a wrong
implementation would get wrong (a unit off by a factor of two at a binade
edge, a reference rounded through float64, a warning that slips through).
No test asserts anything about how long something takes.
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import elu_lib
from elu_lib import numerics as N
from elu_lib import symbolic as S
from elu_lib.registry import ACTIVATIONS

FLOATS = [np.float16, np.float32, np.float64]
ids = [t.__name__ for t in FLOATS]


def mp(x, prec=300):
    """x as an mpf held at 300 bits, without touching global precision."""
    with mpmath.workprec(prec):
        return mpmath.mpf(x)


def exact(expr_text: str):
    """A 60-digit mpf from an mpmath expression, e.g. "1/mpf(3)"."""
    with mpmath.workdps(60):
        return eval(expr_text, {"mpf": mpmath.mpf, "mpmath": mpmath})


# --------------------------------------------------------------------------
# The snippets: verbatim, so they show what the book says they show.


def test_where_snippet_cancels_and_warns_where_the_library_does_not():
    assert N.elu_where_snippet(-1e-300) == 0.0  # 100% error
    assert elu_lib.elu(-1e-300) == -1e-300
    with N.record_warnings() as caught:
        assert N.elu_where_snippet(np.float64(710.0)) == 710.0
        N.elu_where_snippet_grad(np.float32(89.0))
    assert [str(w.message) for w in caught] == ["overflow encountered in exp"] * 2


def test_where_snippet_and_its_derivative_are_elu_away_from_zero():
    z = np.linspace(-20, 20, 401)
    z = z[np.abs(z) > 0.05]
    for alpha in (0.5, 1.0, 2.0):
        np.testing.assert_allclose(
            N.elu_where_snippet(z, alpha), elu_lib.elu(z, alpha=alpha), rtol=1e-13
        )
        np.testing.assert_allclose(
            N.elu_where_snippet_grad(z, alpha),
            elu_lib.elu_grad(z, alpha=alpha),
            rtol=1e-13,
        )
    assert N.elu_where_snippet(np.float32([-1.0])).dtype == np.float32


def test_maximum_snippet_is_not_elu_exactly_where_the_book_says():
    # alpha = 1: right for z <= 0, wrong for every z > 0 (e^z - 1 > z there).
    z = np.linspace(-5, -0.1, 50)
    np.testing.assert_allclose(N.elu_maximum_snippet(z), elu_lib.elu(z), rtol=1e-12)
    assert N.elu_maximum_snippet(1.0) == pytest.approx(math.e - 1)
    # alpha = 2 is also wrong on an interval of negative z: there it returns z.
    assert N.elu_maximum_snippet(-0.5, 2.0) == -0.5 != elu_lib.elu(-0.5, alpha=2.0)


# --------------------------------------------------------------------------
# ULP error, brackets, faithful rounding.


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
def test_one_float_away_is_one_ulp(dtype):
    x = dtype(1.375)
    up, down = np.nextafter(x, dtype(2)), np.nextafter(x, dtype(0))
    ref = [mp(float(x))] * 3
    assert N.ulp_error(np.array([x, up, down]), ref).tolist() == [0.0, 1.0, 1.0]
    hi, lo = N.double_double(ref)
    assert N.ulp_error(np.array([x, up, down]), hi, lo=lo).tolist() == [0, 1, 1]


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
def test_error_is_measured_from_the_exact_value_not_its_rounding(dtype):
    # 1/3 is not a float: the nearest float is off by a fraction of a ULP,
    # and the float after it by 1 minus that fraction.
    third = exact("1/mpf(3)")
    near = np.array([1 / 3], dtype=dtype)
    unit = float(np.spacing(near[0]))
    off = abs(float(mp(float(near[0])) - third)) / unit
    assert 0 < off < 0.5
    far = np.nextafter(near, dtype(1) if mp(float(near[0])) < third else dtype(0))
    errors = N.ulp_error(np.concatenate([near, far]), [third, third])
    np.testing.assert_allclose(errors, [off, 1 - off], rtol=1e-12)


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
def test_below_one_ulp_is_not_faithful_near_a_power_of_two(dtype):
    # y just below 2 rounds up to 2.0, whose ULP is twice the gap below 2.
    bits = np.finfo(dtype).nmant + 1
    y = exact(f"2 - mpf(2)**-{bits + 8}")
    one_below = np.nextafter(dtype(2), dtype(0))
    two_below = np.nextafter(one_below, dtype(0))
    computed = np.array([2, one_below, two_below], dtype=dtype)
    errors = N.ulp_error(computed, [y] * 3)
    assert errors[2] < 1  # within 1 ULP of 2.0 ...
    assert N.faithfully_rounded(computed, [y] * 3).tolist() == [True, True, False]
    below, above = N.bracketing_floats([y], dtype)
    assert (below[0], above[0]) == (one_below, dtype(2))


def brute_bracket(y, dtype):
    """The bracketing floats by walking from float64(y), compared in mpmath."""
    with np.errstate(over="ignore"):  # stepping past the largest float gives inf
        x = dtype(float(y))
        while mp(float(x)) > y:
            x = np.nextafter(x, dtype(-np.inf))
        while mp(float(np.nextafter(x, dtype(np.inf)))) <= y:
            x = np.nextafter(x, dtype(np.inf))
        if mp(float(x)) == y:
            return x, x
        return x, np.nextafter(x, dtype(np.inf))


def awkward_values():
    """Exact values where the format's edges are: subnormals, ties, overflow."""
    rng = np.random.default_rng(7)
    values = [exact("mpf(0)"), exact("-1/mpf(3)"), exact("mpf(10)**400")]
    with mpmath.workprec(300):
        for t in FLOATS:
            info = np.finfo(t)
            tiny, big = float(info.smallest_subnormal), float(info.max)
            for base in (tiny, 3 * tiny, float(info.tiny), 1.0, big):
                gap = base - float(np.nextafter(t(base), t(0)))  # the gap below
                for k in (-1.5, -0.5, -1e-30, 0, 1e-30, 0.25, 0.5, 0.75):
                    v = mpmath.mpf(base) + k * mpmath.mpf(gap)
                    values += [v, -v]
        for e in rng.uniform(-330, 40, 60):
            values.append(mpmath.mpf(rng.uniform(1, 10)) * mpmath.mpf(10) ** int(e))
    return values


@pytest.mark.parametrize("dtype", FLOATS, ids=ids)
def test_bracketing_floats_match_a_brute_force_walk(dtype):
    values = awkward_values()
    below, above = N.bracketing_floats(values, dtype)
    for y, b, a in zip(values, below, above, strict=True):
        want = brute_bracket(y, dtype)
        assert (b, a) == want, (y, dtype)
    # Each bracketing float is faithful; the next ones out are not.
    assert N.faithfully_rounded(below, values).all()
    assert N.faithfully_rounded(above, values).all()
    finite = np.isfinite(below) & np.isfinite(above) & (below != above)
    with np.errstate(over="ignore"):
        beyond = np.nextafter(above, dtype(np.inf))[finite]
    assert not N.faithfully_rounded(beyond, np.array(values)[finite]).any()


@pytest.mark.parametrize("dtype", [np.float16, np.float32], ids=ids[:2])
def test_the_float64_pair_decides_narrow_formats_like_mpmath(dtype):
    # Where the pair holds the value: within float64's range (beyond it the
    # pair stands for the infinity) and not so small that lo underflows.
    values = [v for v in awkward_values() if v == 0 or 2**-969 < abs(v) < 1e308]
    hi, lo = N.double_double(values)
    assert np.array_equal(
        np.array(N.bracketing_floats(hi, dtype, lo=lo)),
        np.array(N.bracketing_floats(values, dtype)),
        equal_nan=True,
    )
    computed = N.bracketing_floats(values, dtype)[0]
    pair = N.ulp_error(computed, hi, lo=lo)
    numbers = N.ulp_error(computed, values)
    np.testing.assert_allclose(pair, numbers, rtol=1e-12, atol=1e-12)


def test_ulp_error_conventions_at_the_edges():
    one = exact("mpf(1)")
    assert N.ulp_error([np.nan], [one])[0] == np.inf
    assert N.ulp_error([np.inf], [one])[0] == np.inf
    assert N.ulp_error([np.nan], [mpmath.nan])[0] == 0.0
    huge = exact("mpf(10)**400")  # rounds to +inf
    assert N.ulp_error([np.inf, 1e308], [huge, huge]).tolist() == [0.0, np.inf]
    assert N.ulp_error([np.inf], [mpmath.inf])[0] == 0.0
    tiny = exact("mpf(10)**-400")  # rounds to 0: the unit is the smallest subnormal
    assert N.ulp_error([0.0], [tiny])[0] < 1e-70
    assert N.ulp_error(np.float32([1e-45]), [mpmath.mpf(0)])[0] == 1.0
    top = np.finfo(np.float64).max  # no spacing above: the gap below is the unit
    below_top = np.nextafter(top, 0)
    assert N.ulp_error([below_top], [mp(top)])[0] == 1.0
    # e^(-10^308) is an ordinary mpf; the error of 0 against it is ~0.
    assert N.ulp_error([0.0], [mpmath.exp(-(mpmath.mpf(10) ** 308))])[0] < 1e-300
    # A value of the other sign is off by its own size.
    assert N.ulp_error([-1.0], [one])[0] == 2.0**53


def test_faithfulness_at_zero_infinity_and_nan():
    tiny = float(np.finfo(np.float64).smallest_subnormal)
    y = exact("-mpf(10)**-330")  # between -smallest subnormal and -0
    got = N.faithfully_rounded([-0.0, 0.0, -tiny, -2 * tiny], [y] * 4)
    assert got.tolist() == [True, True, True, False]
    assert N.faithfully_rounded([np.inf, 1e308], [mpmath.inf] * 2).tolist() == [
        True,
        False,
    ]
    top = float(np.finfo(np.float64).max)
    assert N.faithfully_rounded([top, np.inf], [exact("mpf(10)**309")] * 2).all()
    assert N.faithfully_rounded([np.nan, 1.0], [mpmath.nan] * 2).tolist() == [
        True,
        False,
    ]


def test_results_do_not_depend_on_mpmath_precision():
    with mpmath.workdps(50):
        ref = [mpmath.expm1(mpmath.mpf(-1e-20)), mpmath.mpf(1) / 7]
    computed = np.array([-1e-20, 1 / 7])
    before = mpmath.mp.prec
    low = N.ulp_error(computed, ref)
    with mpmath.workdps(500):
        high = N.ulp_error(computed, ref)
    assert low.tolist() == high.tolist() and 0 < low[1] < 0.5
    assert mpmath.mp.prec == before
    # A private context's numbers (each context has its own mpf class).
    ctx = mpmath.MPContext()
    ctx.dps = 50
    assert N.ulp_error(computed, [ctx.expm1(-1e-20), ctx.mpf(1) / 7]).tolist() == (
        low.tolist()
    )
    hi, lo = N.double_double(ref)
    assert lo[1] != 0  # lo carries the digits beyond float64
    with mpmath.workprec(300):
        rest = ref[1] - mpmath.mpf(hi[1]) - mpmath.mpf(lo[1])
        assert abs(rest) < abs(ref[1]) * mpmath.mpf(2) ** -104


def test_accuracy_functions_reject_bad_input_by_name():
    with pytest.raises(TypeError, match="ulp_error: computed must be a float16"):
        N.ulp_error(np.array([1, 2]), [1, 2])
    with pytest.raises(TypeError, match="ulp_error: exact must hold real numbers"):
        N.ulp_error([1.0], [mpmath.mpc(1, 1)])
    with pytest.raises(TypeError, match="faithfully_rounded: exact must hold real"):
        N.faithfully_rounded([1.0], ["1.0"])
    with pytest.raises(ValueError, match="ulp_error: exact must have one element"):
        N.ulp_error([1.0, 2.0], [mpmath.mpf(1)])
    with pytest.raises(ValueError, match="exact and lo must have one element"):
        N.ulp_error([1.0], np.array([1.0]), lo=np.zeros(2))
    with pytest.raises(TypeError, match="with lo given, exact must be a float64"):
        N.ulp_error([1.0], [mpmath.mpf(1)], lo=[0.0])
    with pytest.raises(TypeError, match="bracketing_floats: dtype must be float16"):
        N.bracketing_floats([1.0], np.int32)


# --------------------------------------------------------------------------
# record_warnings.


def test_record_warnings_sees_overflow_and_other_warnings():
    with np.errstate(all="ignore"), N.record_warnings() as caught:
        np.exp(np.float64(710.0))
        warnings.warn("not NumPy's", UserWarning, stacklevel=1)
        np.float64(1.0) / np.float64(0.0)
        np.sqrt(np.float64(-1.0))
    assert [str(w.message) for w in caught] == [
        "overflow encountered in exp",
        "not NumPy's",
        "divide by zero encountered in scalar divide",
        "invalid value encountered in sqrt",
    ]


def test_record_warnings_underflow_only_when_asked_and_state_restored():
    state = np.geterr()
    with N.record_warnings() as quiet:
        np.exp(np.float64(-800.0))
    with N.record_warnings(underflow=True) as loud:
        np.exp(np.float64(-800.0))
    assert quiet == [] and [str(w.message) for w in loud] == [
        "underflow encountered in exp"
    ]
    assert np.geterr() == state
    with pytest.raises(TypeError, match="record_warnings: underflow must be a bool"):
        with N.record_warnings(underflow="yes"):
            pass


def test_the_library_is_silent_where_the_snippet_is_not():
    z = np.array([-np.inf, -1e30, -745.0, -0.0, 0.0, 710.0, 1e30, np.inf])
    with N.record_warnings(underflow=True) as caught:
        for spec in ACTIVATIONS.values():
            spec.f(z)
            spec.grad(z)
    assert caught == []
    with N.record_warnings() as caught:
        N.elu_where_snippet(z)
    assert caught


# --------------------------------------------------------------------------
# time_per_element: structure and interleaving, never how long.


def test_time_per_element_interleaves_and_reports_per_element():
    order = []
    calls = {name: (lambda name=name: order.append(name)) for name in "abc"}
    t = N.time_per_element(calls, 250_000, repeats=3)
    assert list(t) == ["a", "b", "c"]
    # One warm-up call each, then rounds of a, b, c with 4 calls per sample.
    assert order[:3] == ["a", "b", "c"]
    assert order[3:] == [n for _ in range(3) for n in "abc" for _ in range(4)]
    assert all(v >= 0 and math.isfinite(v) for v in t.values())
    assert t.relative_to("a")["a"] == 1.0


def test_time_per_element_rejects_bad_input_by_name():
    ok = {"f": lambda: None}
    with pytest.raises(ValueError, match="candidates must not be empty"):
        N.time_per_element({}, 10)
    with pytest.raises(TypeError, match="candidates must map names"):
        N.time_per_element({"f": 3}, 10)
    with pytest.raises(TypeError, match="candidates must be a mapping"):
        N.time_per_element([lambda: None], 10)
    with pytest.raises(ValueError, match="n must be >= 1"):
        N.time_per_element(ok, 0)
    with pytest.raises(TypeError, match="repeats must be an integer"):
        N.time_per_element(ok, 10, repeats=2.5)
    with pytest.raises(ValueError, match="clock must be one of"):
        N.time_per_element(ok, 10, clock="gpu")
    with pytest.raises(KeyError, match="'g' was not timed"):
        N.Timings(f=1.0).relative_to("g")


# --------------------------------------------------------------------------
# Gaussian expectations, numeric and symbolic.


def test_relu_mean_under_the_standard_normal_is_one_over_sqrt_2pi():
    expected = 1 / math.sqrt(2 * math.pi)
    assert N.gaussian_expectation(elu_lib.relu) == pytest.approx(expected, rel=1e-15)
    with mpmath.workdps(40):
        want = 1 / mpmath.sqrt(2 * mpmath.pi)
    before = mpmath.mp.dps
    got = N.gaussian_expectation(lambda x: max(x, 0), dps=40)
    assert mpmath.mp.dps == before
    with mpmath.workdps(40):
        assert abs(got - want) < mpmath.mpf(10) ** -38


@pytest.mark.parametrize(("mu", "sigma"), [(0.0, 1.0), (1.5, 0.5), (-3.0, 4.0)])
def test_moments_of_a_shifted_scaled_normal(mu, sigma):
    assert N.gaussian_expectation(lambda x: x, mu, sigma) == pytest.approx(
        mu, abs=1e-14
    )
    second = N.gaussian_expectation(np.square, mu, sigma, breakpoints=())
    assert second == pytest.approx(mu**2 + sigma**2, rel=1e-14)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_numeric_expectation_agrees_with_the_symbolic_one(name):
    spec = ACTIVATIONS[name]
    params = {"alpha": 1.5} if "alpha" in spec.params else dict(spec.params)
    expr = spec.expr.subs({sp.Symbol(k, positive=True): v for k, v in params.items()})
    exact_mean = S.gaussian_expectation(expr)
    assert exact_mean.free_symbols == set()
    numeric = N.gaussian_expectation(lambda x: spec.f(x, **params))
    assert numeric == pytest.approx(float(exact_mean), rel=1e-13, abs=1e-15)


def test_symbolic_expectation_with_a_symbolic_mean():
    mu = sp.Symbol("mu", real=True)
    shifted = S.gaussian_expectation(S.relu, mu=mu)
    for m in (-2.0, 0.3, 1.7):
        numeric = N.gaussian_expectation(elu_lib.relu, m)
        assert float(shifted.subs(mu, m)) == pytest.approx(numeric, rel=1e-13)
    assert S.gaussian_expectation(S.z**2, mu=mu, sigma=3) == mu**2 + 9


def test_expectations_reject_bad_input_by_name():
    with pytest.raises(TypeError, match="f must be callable"):
        N.gaussian_expectation(3.0)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        N.gaussian_expectation(np.abs, sigma=0.0)
    with pytest.raises(TypeError, match="mu must be a real number"):
        N.gaussian_expectation(np.abs, mu="0")
    with pytest.raises(ValueError, match="f must return one value per node"):
        N.gaussian_expectation(lambda x: 1.0)
    with pytest.raises(ValueError, match="dps must be >= 1"):
        N.gaussian_expectation(np.abs, dps=0)
    with pytest.raises(ValueError, match="sigma must be positive"):
        S.gaussian_expectation(S.relu, sigma=sp.Symbol("s"))
    with pytest.raises(ValueError, match="must switch branch at z = 0"):
        S.gaussian_expectation(sp.Piecewise((S.z, S.z > 1), (0, True)))
