"""The exact kernels behind :mod:`elu_lib.activations`. Read that module first.

The public functions state their formula; this module evaluates it so that
the result is rounded once (or very nearly), which the plain formula is not:

* ``alpha * expm1(z)`` rounds twice, and the product stretches expm1's error
  by up to alpha's significand: 1.44 ULP measured for ELU with alpha != 1,
  2.3 for SELU.
* ``alpha * exp(z)`` has the same problem, and ``exp(z / alpha)`` turns the
  rounding of ``z / alpha`` into a relative error of ``|z / alpha| 2^-53``:
  136 ULP measured for CELU's derivative.
* ``sigmoid * (1 - sigmoid)`` cancels in the tails (2.5 ULP and worse).

The cure is double-double arithmetic (Dekker 1971): a number carried as an
unevaluated sum hi + lo of two doubles, so that products and sums can be
made exact, and only the final sum is rounded. NumPy has no fused
multiply-add, so exact products split each factor into two 26-bit halves.

Every ELU-family function is one kernel, :func:`elu_family`, parametrised
(like PyTorch's ``get_scalar_elu_elementwise_func``) by three numbers:

    f(z) = scale * z                      for z > 0
         = coef * expm1(z / divisor)      for z <= 0

ELU is (alpha, 1, 1), CELU (alpha, 1, alpha), SELU (lambda*alpha, lambda, 1).
PyTorch's ``input_scale`` is ``1 / divisor`` here: dividing by alpha is what
keeps CELU's argument exact, and a rounded 1/alpha would not.

float16 and float32 are computed in float64 and rounded once, by the
``narrow`` kernels: two roundings in float64 are far below their ULP, and
NumPy's own float32 ``exp``/``expm1`` err by up to 2.5 ULP.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from elu_lib._blocks import BLOCK, Kernel, scratch

# np.minimum(x, zeros) is about twice as fast as np.minimum(x, 0.0): NumPy
# has no SIMD loop for a broadcast scalar in minimum/maximum.
_ZEROS = np.zeros(BLOCK)
_NEGZEROS = np.full(BLOCK, -0.0)
_NEGTINY = np.full(BLOCK, -np.finfo(np.float64).smallest_subnormal)
_ONES = np.ones(BLOCK)
# The smallest subnormal of each dtype: see elu_family's min_lin.
_TINIES = {t: np.full(BLOCK, np.finfo(t).smallest_subnormal, dtype=t)
           for t in (np.float16, np.float32, np.float64)}  # fmt: skip
for _a in (_ZEROS, _NEGZEROS, _NEGTINY, _ONES, *_TINIES.values()):
    _a.flags.writeable = False

_SPLITTER = 134217729.0  # 2**27 + 1
_N = 128  # table points per unit of z
_X_MIN = -40.0  # below -40, e^z < 2**-57 and expm1(z) == -1 in float64
_K = 5121  # table points h = -k/128, k = 0..5120
_TINY = 2.0**-60  # below, c*expm1(x) rounds as c*x does (error x/2 < 2**-61)


# --------------------------------------------------------------------------
# Double-double primitives


def split(a):
    """``a == hi + lo`` exactly, each with at most 26 significant bits."""
    g = a * _SPLITTER
    hi = g - (g - a)
    return hi, a - hi


def two_prod(a, b):
    """``a * b == p + err`` exactly (for |a|, |b| < 2**996, no underflow)."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def fast_two_sum(a, b):
    """``a + b == s + err`` exactly, given |a| >= |b| (or a == 0)."""
    s = a + b
    return s, b - (s - a)


def dd(*factors) -> tuple[float, float]:
    """The product of ``factors`` (mpmath numbers or strings of digits),
    computed with 40 digits, as a double-double (hi, lo)."""
    import mpmath  # only for constants; never on the per-element path

    with mpmath.workdps(40):
        value = mpmath.fprod(mpmath.mpf(f) for f in factors)
        hi = float(value)
        return hi, float(value - hi)


@functools.lru_cache(maxsize=64)
def log_dd(c_hi: float, c_lo: float = 0.0) -> tuple[float, float, float, float]:
    """(L_hi, L_lo, s, cap) with c = s * e^(L_hi + L_lo), e^L_hi finite, for
    :func:`scaled_exp`; s = 2 only where c is too close to overflow, and
    cap = c_hi / s bounds c e^t for t <= 0."""
    import mpmath

    with mpmath.workdps(40):
        c = mpmath.mpf(c_hi) + mpmath.mpf(c_lo)
        s = 2.0 if c_hi > 2.0**1023 else 1.0
        return (*dd(mpmath.log(c / s)), s, c_hi / s)


# --------------------------------------------------------------------------
# Tables of e^h and expm1(h) at h = -k/128, k = 0..5120, as double-doubles.


@functools.cache
def exp_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(E_hi, E_lo, A_hi, A_lo) with E = e^h and A = expm1(h), h = -k/128.

    Only 169 values come from mpmath (e^-a and e^(-b/128)); the rest are
    their exact products.
    """
    import mpmath

    with mpmath.workdps(40):
        whole = np.array([dd(mpmath.exp(-a)) for a in range(_K // _N + 1)])
        frac = np.array([dd(mpmath.exp(mpmath.mpf(-b) / _N)) for b in range(_N)])
    a, b = np.divmod(np.arange(_K), _N)
    (wh, wl), (fh, fl) = whole[a].T, frac[b].T
    p, perr = two_prod(wh, fh)
    E_hi, E_lo = fast_two_sum(p, perr + wh * fl + wl * fh)
    s, serr = fast_two_sum(-1.0, E_hi)  # E_hi - 1 and its rounding error
    A_hi, A_lo = fast_two_sum(s, serr + E_lo)
    return E_hi, E_lo, A_hi, A_lo


@functools.lru_cache(maxsize=64)
def expm1_tables(c_hi: float, c_lo: float):
    """Tables for c * expm1(x), c = c_hi + c_lo > 0, scaled to 1 <= c' < 2.

    Returns (scale, P_hi, P_lo, B_hi, B_lo) with c = scale * c',
    P = c' * expm1(h) and B = c' * e^h; B_hi has 26 bits, so that B_hi
    times a 26-bit number is exact.
    """
    scale = math.ldexp(1.0, math.frexp(c_hi)[1] - 1)
    ch, cl = c_hi / scale, c_lo / scale
    E_hi, E_lo, A_hi, A_lo = exp_table()
    p, perr = two_prod(ch, A_hi)
    P_hi, P_lo = fast_two_sum(p, perr + ch * A_lo + cl * A_hi)
    b, berr = two_prod(ch, E_hi)
    B_hi, B_mid = split(b)
    return scale, P_hi, P_lo, B_hi, B_mid + (berr + ch * E_lo + cl * E_hi)


# --------------------------------------------------------------------------
# Scaled expm1 and exp, rounded once


def scaled_expm1(x: np.ndarray, x_lo, c_hi: float, c_lo: float) -> np.ndarray:
    """``c * expm1(x + x_lo)`` for x <= 0, correctly rounded but for rare ties.

    With h = -k/128 the table point nearest x and r = x - h (|r| <= 1/256):

        c (e^x - 1) = c expm1(h) + c e^h expm1(r) = P + B (r + S(r)),

    S(r) = r^2/2 + ... + r^6/720. The big terms P_hi + B_hi*r_hi are added
    exactly, everything else is 2**-50 smaller, and the sum is rounded once.
    NaN comes out finite; the caller restores it.
    """
    scale, P_hi, P_lo, B_hi, B_lo = expm1_tables(c_hi, c_lo)
    # NaN -> a valid index: x is min(z, 0) here, a quiet NaN, which fmax
    # turns into -40.
    xk = np.fmin(np.fmax(x, _X_MIN), -_TINY)
    k = np.rint(xk * -_N)
    idx = k.astype(np.intp)
    r = xk + k / _N  # exact (Sterbenz)
    r_hi, r_lo = split(r)
    S = r * (1 / 720) + 1 / 120
    for coef in (1 / 24, 1 / 6, 0.5):
        S = S * r + coef
    S *= r * r
    ph, pl, bh, bl = P_hi[idx], P_lo[idx], B_hi[idx], B_lo[idx]
    s, e = fast_two_sum(ph, bh * r_hi)  # |P| >= |B r|, and bh * r_hi is exact
    y = s + (e + pl + bh * r_lo + bl * (r + S) + bh * (S + x_lo))
    y *= scale
    # Tiny |x|: the table path would split subnormals; c*x is correct here.
    xt = np.maximum(x, -_TINY)  # finite (or NaN), so that c_lo * xt is never 0*inf
    return np.where(x > -_TINY, c_hi * xt + c_lo * xt, y)


def scaled_exp(t: np.ndarray, t_lo, c_hi: float, c_lo: float = 0.0) -> np.ndarray:
    """``c * exp(t + t_lo)`` for -2000 <= t <= 0 (or NaN), to 1.2 ULP.

    Computed as exp(u)(1 + err), where u + err =
    t + t_lo + log(c) exactly: multiplying by c after exp would stretch
    exp's 0.71-ULP error by up to c's significand, and lose bits when e^t is
    subnormal but c e^t is not.
    """
    L_hi, L_lo, s_c, cap = log_dd(c_hi, c_lo)
    u = t + L_hi
    v = u - t  # TwoSum (Knuth): the rounding error of t + L_hi, exactly
    err = (t - (u - v)) + (L_hi - v) + (L_lo + t_lo)
    y = np.exp(u)
    y += y * err
    if s_c != 1.0:
        np.minimum(y, cap, out=y)  # c e^t <= c: rounding must not overflow
        y *= s_c
    return y


def div_dd(t: np.ndarray, a: float) -> tuple[np.ndarray, np.ndarray]:
    """``max(t / a, -800)`` as hi + lo: the quotient and its exact remainder.

    ``t`` must be >= -800 a when a < 1, so that t / 2**e below is finite.
    """
    e = math.frexp(a)[1] - 1  # a = a1 * 2**e with 1 <= a1 < 2 keeps splits finite
    a1 = math.ldexp(a, -e)
    ts = np.maximum(np.ldexp(t, -e), -800.0 * a1)  # e^-800 == 0: any t below will do
    hi = ts / a1
    p, perr = two_prod(hi, a1)
    return hi, ((ts - p) - perr) / a1  # ts - p is exact (Sterbenz)


# --------------------------------------------------------------------------
# The ELU family: (coef, scale, divisor)


@functools.lru_cache(maxsize=64)
def elu_family(
    coef: float | tuple[str, ...], scale: float, divisor: float, grad: bool
) -> tuple[Kernel, Kernel | None, Kernel | None]:
    """(kernel, narrow, finish) for :func:`elu_lib._blocks.apply`.

    The value is ``scale*z`` for z > 0 and ``coef*expm1(z/divisor)`` for
    z <= 0; with ``grad`` it is the derivative: ``scale``, and
    ``(coef/divisor)*exp(z/divisor)``. ``coef`` is a float, or a tuple of
    decimal strings whose product it is (SELU's lambda*alpha, carried as a
    double-double from the paper's digits). Only ``divisor == 1`` and
    ``coef == divisor`` (CELU) are needed, and supported.
    """
    c_hi, c_lo = dd(*coef) if isinstance(coef, tuple) else (coef, 0.0)

    def min_lin(x, out):
        """out = min(out, max(z, tiny)), in z's dtype; tiny is its smallest
        subnormal. For z > 0 that is z; for z <= 0 it is above expm1(z), with
        no tie at z = -0, where min(-0, +0) could return either zero."""
        tiny = _TINIES[x.dtype.type][: x.size]
        np.minimum(
            out,
            np.maximum(x, tiny, out=scratch(2, x.size).view(x.dtype)[: x.size]),
            out=out,
        )

    def unit(x, out):
        # elu(z) = min(expm1(z), z) for alpha = 1 and z > 0, and expm1(z) for
        # z <= 0, since expm1(z) > z for z != 0 and has z's sign; expm1(z >
        # 709) = inf (overflow ignored) is discarded. expm1 goes first: a
        # compute-bound pass hides the latency of streaming z in, a min/max
        # pass would not (25% faster overall). In float16/32 the min runs
        # after rounding (as `finish`): z is a number of that dtype, so min
        # commutes with the rounding.
        np.expm1(x, out=out)
        min_lin(x, out)

    def unit_grad(x, out):
        # elu'(z) = min(exp(z), 1) for alpha = 1; exp first, as in unit.
        np.exp(x, out=out)
        np.minimum(out, _ONES[: x.size], out=out)

    if c_hi == scale == divisor == 1.0 and c_lo == 0.0:
        if grad:
            return unit_grad, None, None
        return unit, lambda x, out: np.expm1(x, out=out), min_lin
    if divisor != 1.0 and c_hi != divisor:
        raise ValueError("elu_family: need divisor == 1 or coef == divisor")
    # Below `floor`, e^(z/divisor) < e^-800 == 0; clamping there keeps
    # z/divisor finite (floor is -inf for divisor > 2e305: nothing overflows).
    floor = -800.0 * divisor if divisor != 1.0 else -2000.0
    g_hi, g_lo = (1.0, 0.0) if divisor != 1.0 else (c_hi, c_lo)  # coef/divisor
    log_left = math.log(g_hi / scale)

    def negative(x, out, clamp=divisor != 1.0):
        """out = min(z, -0), clamped at floor if ``clamp`` (NaN passes).

        -0, not +0: min(-0, +0) may return either zero (NumPy's loops differ
        by dtype), and z = -0 must give -0."""
        np.minimum(x, _NEGZEROS[: x.size], out=out)
        if clamp:
            np.maximum(out, floor, out=out)

    def quotient(t):
        """t / divisor as a double-double (hi, lo)."""
        return div_dd(t, divisor) if divisor != 1.0 else (t, 0.0)

    def value(x, out):
        negative(x, out)
        y = scaled_expm1(*quotient(out), c_hi, c_lo)
        if divisor != 1.0:  # CELU: below divisor*2^-60, celu(z) rounds to z
            y = np.where(out > -divisor * _TINY, out, y)
        np.multiply(np.maximum(x, _ZEROS[: x.size], out=out), scale, out=out)
        out += y  # max(NaN, 0) restores NaN
        # Every member has z's sign; the sum made -0 (z = -0, or a negative
        # result that rounds to 0) into +0.
        np.copysign(out, x, out=out)

    def value_narrow(x, out):
        negative(x, out)
        if divisor == 1.0:
            np.expm1(out, out=out)
            out *= c_hi
        else:
            t = np.where(out > -divisor * _TINY, out, c_hi * np.expm1(out / divisor))
            np.copyto(out, t)
        # + scale * max(z, -tiny): -tiny, not 0, keeps -0 + -0 = -0 for z = -0
        # (copysign would cost 30%), and moves only float64 subnormals, which
        # round to -0 in float16/32 anyway.
        m = np.maximum(x, _NEGTINY[: x.size], out=scratch(2, x.size))
        if scale != 1.0:
            m *= scale
        out += m

    def derivative(x, out):
        negative(x, out, clamp=True)  # scaled_exp needs t >= -2000
        np.copyto(out, scaled_exp(*quotient(out), g_hi, g_lo))
        np.copyto(out, scale, where=x > 0)

    def derivative_narrow(x, out):
        # scale * e^(z/divisor + log_left*[z <= 0]): the branch chosen by
        # arithmetic (a masked copy is ~5x slower); rounding the argument
        # (2**-53 |z|) is far below a float32 ULP.
        negative(x, out)
        if divisor != 1.0:
            out /= divisor
        if log_left != 0.0:
            out += np.multiply(x <= 0, log_left, out=scratch(2, x.size))
        np.exp(out, out=out)
        if scale != 1.0:
            out *= scale

    return (
        (derivative, derivative_narrow, None) if grad else (value, value_narrow, None)
    )


# --------------------------------------------------------------------------
# Sigmoid and tanh


def exp_dd(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """e^u for u <= 0 as hi + lo, relative error ~2**-60 for u >= -40.

    e^u = e^h (1 + expm1(r)), h = -k/128 from the table, |r| <= 1/256; the
    rounding of expm1(r) is 2**-8 smaller than e^u's last bit. Below -40
    (and for NaN) it is NumPy's exp: there 1 + e^u == 1 anyway.
    """
    E_hi, E_lo, _, _ = exp_table()
    # NaN -> -40, so that the index is valid; a comparison, since u = -|z|
    # may be a signalling NaN (abs and negation keep it), and np.fmax does not
    # map one to -40 on every path.
    uk = np.where(u >= _X_MIN, u, _X_MIN)
    k = np.rint(uk * -_N)
    idx = k.astype(np.intp)
    q = np.expm1(uk + k / _N)
    eh = E_hi[idx]
    hi, lo = fast_two_sum(eh, eh * q + E_lo[idx] * (1.0 + q))
    inside = u >= _X_MIN  # False for NaN
    return np.where(inside, hi, np.exp(u)), np.where(inside, lo, 0.0)


def sigmoid_pair(z: np.ndarray):
    """(sigma(-|z|), sigma(|z|)) as double-doubles, for the three kernels below.

    sigma(u) = w / (1 + w), w = e^u, for u = -|z| <= 0, with one correction
    step from the exact remainder w - b*s; sigma(|z|) = 1 - sigma(-|z|).
    """
    w_hi, w_lo = exp_dd(-np.abs(z))
    s_hi, s_lo = fast_two_sum(1.0, w_hi)
    s_lo += w_lo
    b = w_hi / s_hi
    p, perr = two_prod(b, s_hi)
    b_lo = (((w_hi - p) - perr) + w_lo - b * s_lo) / s_hi
    d, err = fast_two_sum(1.0, -b)
    return (b, b_lo), (d, err - b_lo)


# A float64 formula within a few float64 ULPs of the exact value rounds to
# float32 or float16 as the double-double value does, unless a rounding
# boundary of either format lies within NARROW_BAND (relative) of it: 2^-46 is
# 100 times the formula's error and 2^-22 of a float32 ULP.
NARROW_BAND = 2.0**-46


def narrowed(fast: Kernel, exact: Kernel) -> dict:
    """Float16 and float32 kernels, by dtype: ``fast``'s float64 value where
    it rounds as ``exact``'s does (its whole band rounds to one float of the
    format), ``exact`` elsewhere (near a boundary, and at NaN). Bit for bit
    ``exact`` rounded once (but for NaN's sign), at a fraction of the
    double-double cost."""

    def kernel(fmt):
        def run(x, out):
            fast(x, out)
            low = (out * (1.0 - NARROW_BAND)).astype(fmt)
            unsure = low != (out * (1.0 + NARROW_BAND)).astype(fmt)
            if unsure.any():
                where = np.flatnonzero(unsure)
                exact_out = np.empty(where.size)
                exact(x[where], exact_out)
                out[where] = exact_out

        return run

    return {fmt: kernel(fmt) for fmt in (np.float16, np.float32)}


@functools.cache
def logistic_family(fname: str) -> tuple[Kernel, dict | None, None]:
    """(kernel, narrow, None) for "sigmoid", "sigmoid_grad", "tanh" or
    "tanh_grad": sigma and its derivative in double-double, rounded once;
    tanh is NumPy's (1.19 ULP measured), and tanh' = 4 sigma'(2z). For
    float16/32, sigma and sigma' come from the plain float64 formulas where
    those round the same (:func:`narrowed`)."""

    def sigmoid(x, out):
        (b_hi, b_lo), (d_hi, d_lo) = sigmoid_pair(x)
        np.copyto(out, np.where(x >= 0, d_hi + d_lo, b_hi + b_lo))

    def sigmoid_grad(x, out):
        (b_hi, b_lo), (d_hi, d_lo) = sigmoid_pair(x)
        p, perr = two_prod(b_hi, d_hi)  # sigma(-|z|) * sigma(|z|), exactly
        np.add(p, perr + b_hi * d_lo + b_lo * d_hi, out=out)

    def tanh(x, out):
        np.tanh(x, out=out)

    def tanh_grad(x, out):
        # |z| is capped so that 2|z| cannot overflow.
        u = np.minimum(np.abs(x), 1000.0) * 2.0
        sigmoid_grad(u, out)
        out *= 4.0
        # Where sigma'(u) ~ e^-u is subnormal, times 4 would show its lost bits.
        np.copyto(out, scaled_exp(-u, 0.0, 4.0), where=u > 700.0)

    def sigmoid_float64(x, out):
        e = np.exp(-np.abs(x))  # <= 1: no overflow
        np.copyto(out, np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))

    def sigmoid_grad_float64(x, out):
        e = np.exp(-np.abs(x))
        np.divide(e, (1.0 + e) ** 2, out=out)

    kernels = {f.__name__: f for f in (sigmoid, sigmoid_grad, tanh, tanh_grad)}
    narrow = {
        "sigmoid": narrowed(sigmoid_float64, sigmoid),
        "sigmoid_grad": narrowed(sigmoid_grad_float64, sigmoid_grad),
    }
    return kernels[fname], narrow.get(fname), None


# --------------------------------------------------------------------------
# ReLU and Leaky ReLU: exact, one rounding (s*z) at most


@functools.lru_cache(maxsize=64)
def leaky_family(slope: float, grad: bool, relu: bool = False):
    """(kernel, None, None): Leaky ReLU with ``slope``, or its derivative (1
    for z > 0, slope for z <= 0, NaN for NaN); ``relu`` is ReLU's value
    (slope 0, and +0 for z <= 0)."""

    def value(x, out):
        if relu:
            # max(z, 0) + 0: maximum(-0, +0) may return either zero (NumPy's
            # loops differ by dtype); adding +0 makes it +0, as IEEE 754-2019
            # maximum and JAX have it. NaN propagates.
            np.maximum(x, _ZEROS[: x.size], out=out)
            out += 0.0
            return
        # s*z for z <= 0, with the product's IEEE sign (-0 for z = -0 and
        # s >= 0); for s = 0, copysign(0, z) is that product without the
        # NaN of 0 * -inf. Then max(s*z, z) for s <= 1, min for s > 1, picks
        # z for z > 0 (NaN propagates); a tie is two equal, same-signed values.
        if slope == 0.0:
            np.copysign(_ZEROS[: x.size], x, out=out)
        else:
            np.multiply(x, slope, out=out)
        if slope < 0.0:  # s*z and z differ in sign: select, slowly
            np.copyto(out, x, where=~(x <= 0))
        else:
            (np.maximum if slope <= 1.0 else np.minimum)(out, x, out=out)

    def derivative(x, out):
        # t = max(sign(z), 0) is 1 for z > 0, 0 for z <= 0, NaN for NaN;
        # then t + (1 - t) * s, exact for t in {0, 1}. (np.heaviside and
        # np.where are 5x slower: they have no SIMD loop.)
        np.sign(x, out=out)
        np.maximum(out, _ZEROS[: x.size], out=out)
        if slope != 0.0:
            t = np.subtract(1.0, out, out=scratch(2, x.size))
            t *= slope
            out += t

    return (derivative if grad else value), None, None
