r"""Numerical helpers shared by the chapters, the tests and the benchmark.

One documented copy of each tool the book used to rewrite in every chapter:

* the common NumPy formulations of ELU, kept verbatim as what *not* to do,
  for comparison: :func:`elu_where_snippet` (with its derivative
  :func:`elu_where_snippet_grad`) and :func:`elu_maximum_snippet`;
* accuracy against an exact reference: :func:`ulp_error`,
  :func:`faithfully_rounded` and :func:`bracketing_floats`, with the exact
  values given as mpmath numbers or as a float64 pair from
  :func:`double_double`;
* :func:`record_warnings`, which records Python warnings and NumPy
  floating-point errors instead of printing them;
* :func:`time_per_element`, the median time per element of several
  candidates, timed round-robin in one run;
* :func:`gaussian_expectation`, :math:`\mathbb{E}[f(Z)]` for
  :math:`Z \sim \mathcal N(\mu, \sigma^2)` by quadrature. The exact value,
  with SymPy, is :func:`elu_lib.symbolic.gaussian_expectation`.

Importing this module imports NumPy and mpmath only (not SymPy).

Examples
--------
>>> import mpmath
>>> import numpy as np
>>> from elu_lib import numerics
>>> with mpmath.workdps(30):
...     exact = [mpmath.mpf(1) / 3]
>>> numerics.ulp_error(np.float32([1 / 3]), exact)
array([0.33333333])
>>> numerics.faithfully_rounded(np.float32([0.3333333, 0.33333328]), exact * 2)
array([ True, False])
"""

from __future__ import annotations

import functools
import gc
import math
import numbers
import statistics
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import mpmath
import numpy as np

from elu_lib._checks import integer, real

__all__ = [
    "elu_where_snippet",
    "elu_where_snippet_grad",
    "elu_expm1_naive",
    "elu_expm1_naive_grad",
    "elu_maximum_snippet",
    "double_double",
    "bracketing_floats",
    "ulp_error",
    "faithfully_rounded",
    "record_warnings",
    "Timings",
    "time_per_element",
    "gaussian_expectation",
]

# --------------------------------------------------------------------------
# What not to do: the formulations that circulate, verbatim. They do no
# argument checks on purpose: what they do with odd input is what the book
# shows.


def elu_where_snippet(z, alpha=1.0):
    r"""The common ``np.where`` snippet for ELU, kept as what not to do.

    .. math::

        \operatorname{ELU}(z) = \begin{cases} z & z > 0 \\
        \alpha\,(e^z - 1) & z \le 0 \end{cases}

    written as ``np.where(z > 0, z, alpha * (np.exp(z) - 1))``. It is the
    right function, computed badly: ``exp(z) - 1`` cancels near 0 (it
    returns 0 for :math:`-4.5 \times 10^{-17} < z < 0` or so, just under
    :math:`2^{-54}`, where NumPy's ``exp`` is not correctly rounded), and
    ``np.where`` evaluates ``exp`` on every element, so for large :math:`z`
    the discarded branch overflows and NumPy warns. Use :func:`elu_lib.elu`.

    Parameters
    ----------
    z : array_like
        Pre-activations.
    alpha : float, default 1.0
        The saturation value's magnitude.

    Returns
    -------
    numpy.ndarray
        ``np.where``'s result, in NumPy's dtype rules (a 0-d array for a
        scalar).

    Examples
    --------
    >>> float(elu_where_snippet(-1e-300))  # all precision lost
    0.0
    >>> with np.errstate(over="ignore"):  # exp(710) overflows, discarded
    ...     float(elu_where_snippet(710.0))
    710.0
    """
    return np.where(z > 0, z, alpha * (np.exp(z) - 1))


def elu_where_snippet_grad(z, alpha=1.0):
    r"""The derivative written the snippet's way, kept for comparison.

    .. math::

        \operatorname{ELU}'(z) = \begin{cases} 1 & z > 0 \\
        \alpha e^z & z \le 0 \end{cases}

    as ``np.where(z > 0, 1, alpha * np.exp(z))``. Its values are accurate
    (no cancellation), but ``exp`` still runs on every element and overflows
    in the discarded branch for large :math:`z`.

    Parameters
    ----------
    z : array_like
        Pre-activations.
    alpha : float, default 1.0
        The saturation value's magnitude.

    Returns
    -------
    numpy.ndarray
        ``np.where``'s result.

    Examples
    --------
    >>> elu_where_snippet_grad(np.array([-1.0, 0.0, 2.0]), alpha=2.0)
    array([0.73575888, 2.        , 1.        ])
    """
    return np.where(z > 0, 1, alpha * np.exp(z))


def elu_expm1_naive(z, alpha=1.0):
    r"""``np.where(z > 0, z, alpha * np.expm1(z))``: the snippet with ``expm1``.

    It cures the cancellation of :func:`elu_where_snippet` (its values are
    accurate to a few ULPs), but still evaluates the exponential on every
    element, so it warns for large :math:`z`. Kept for comparison, as the
    chapters "Accuracy and cancellation" and "One-liners, gradient checks and
    special values" measure it. Parameters as :func:`elu_where_snippet`.

    Examples
    --------
    >>> float(elu_expm1_naive(-1e-300))  # no cancellation
    -1e-300
    """
    return np.where(z > 0, z, alpha * np.expm1(z))


def elu_expm1_naive_grad(z, alpha=1.0):
    r"""The derivative recovered from the forward output, ``ELU(z) + alpha``.

    ``np.where(z > 0, 1, alpha * np.expm1(z) + alpha)``: the shortcut a
    backward pass takes. For very negative :math:`z` the sum cancels, and the
    result keeps only an absolute accuracy of about ``alpha`` times machine
    epsilon. Kept for comparison. Parameters as :func:`elu_where_snippet`.

    Examples
    --------
    >>> float(elu_expm1_naive_grad(-40.0))  # exact: 4.2e-18
    0.0
    """
    return np.where(z > 0, 1, alpha * np.expm1(z) + alpha)


def elu_maximum_snippet(z, alpha=1.0):
    r"""``np.maximum(z, alpha * (np.exp(z) - 1))``: a common one-liner that is not ELU.

    .. math::

        \max\bigl(z,\ \alpha (e^z - 1)\bigr) \ne \operatorname{ELU}(z)
        \quad\text{for } z > z^*(\alpha)

    It is ELU only where the maximum picks the right branch. For
    :math:`\alpha \ge 1` it is wrong for every :math:`z > 0` (there
    :math:`e^z - 1 > z`), for :math:`\alpha < 1` above
    :math:`z^*(\alpha) = -\alpha - W_{-1}(-\alpha e^{-\alpha})`, and for
    :math:`\alpha > 1` also on an interval of negative :math:`z`
    (chapter 5, "One-liners, gradient checks and special values", derives
    it). The right max/min form is
    :math:`\max(0, z) + \min(0, \alpha(e^z - 1))`.

    Parameters
    ----------
    z : array_like
        Pre-activations.
    alpha : float, default 1.0
        The saturation value's magnitude.

    Returns
    -------
    numpy.ndarray
        ``np.maximum``'s result.

    Examples
    --------
    >>> round(float(elu_maximum_snippet(1.0)), 4)  # ELU(1) is 1
    1.7183
    """
    return np.maximum(z, alpha * (np.exp(z) - 1))


# --------------------------------------------------------------------------
# Accuracy against an exact reference.
#
# An exact value is held as the nearest double ``hi``, a float64 ``lo`` with
# hi + lo closer still, and the sign of exact - hi. From mpmath numbers all
# three come out of integer arithmetic on the numbers' binary expansions,
# whatever mpmath's working precision.

_FLOATS = (np.float16, np.float32, np.float64)


def _dyadic(x) -> tuple[int, int] | float:
    """``x`` as ``(man, exp)`` with x = man * 2**exp exactly; NaN/inf as a float."""
    # mpmath numbers, of any context (each context has its own mpf class),
    # and anything else that speaks mpmath's _mpf_ protocol.
    raw = getattr(x, "_mpf_", None)
    if raw is not None:
        sign, man, exp, bc = raw
        if man == 0 and bc != 0:  # inf, -inf or nan
            return float(mpmath.mpf(raw))
        return (-man if sign else man), exp
    if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Real):
        raise TypeError(
            "exact must hold real numbers (mpmath.mpf, float or int), "
            f"got {type(x).__name__}"
        )
    if isinstance(x, numbers.Integral):
        return int(x), 0
    x = float(x)
    if not math.isfinite(x):
        return x
    num, den = x.as_integer_ratio()
    return num, 1 - den.bit_length()


def _to_float(man: int, exp: int) -> float:
    """man * 2**exp rounded to the nearest double (ties to even), overflow to inf."""
    if man == 0:
        return 0.0
    top = abs(man).bit_length() + exp  # |x| < 2**top
    if top > 1025:
        return math.copysign(math.inf, man)
    if top < -1076:  # below half the smallest subnormal
        return math.copysign(0.0, man)
    try:
        # int / int is correctly rounded in CPython, subnormals included.
        return float(man << exp) if exp >= 0 else man / (1 << -exp)
    except OverflowError:
        return math.copysign(math.inf, man)


_GUARD = 128  # bits: a term this far below the other only counts by its sign


def _difference(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """a - b for two (man, exp) pairs: exact, or within 2**-127 of it.

    A term more than 128 bits below the other is replaced by a one-bit
    "sticky" term of the same sign, still far below: the difference keeps its
    sign and moves by less than 2**-127 of itself, and no integer is shifted
    by the difference of exponents (which can be 10**308 bits: e**-(10**308)
    is an ordinary mpf).
    """
    (ma, ea), (mb, eb) = a, b
    if mb == 0 or ma == 0:
        return (ma, ea) if mb == 0 else (-mb, eb)
    top_a, top_b = abs(ma).bit_length() + ea, abs(mb).bit_length() + eb
    if top_b < top_a - _GUARD:
        shift = max(0, _GUARD + 2 - abs(ma).bit_length())
        ma, ea = ma << shift, ea - shift
        mb, eb = (1 if mb > 0 else -1), ea - 1
    elif top_a < top_b - _GUARD:
        shift = max(0, _GUARD + 2 - abs(mb).bit_length())
        mb, eb = mb << shift, eb - shift
        ma, ea = (1 if ma > 0 else -1), eb - 1
    low = min(ea, eb)
    return (ma << (ea - low)) - (mb << (eb - low)), low


def _reference(fname: str, exact, lo, size: int):
    """(hi, lo, sign, parts) for an exact reference, flat.

    ``parts`` is the list of (man, exp) pairs (None for NaN/inf) when the
    reference came as numbers, else None.
    """
    if lo is not None:
        hi = np.asarray(exact)
        lo = np.asarray(lo)
        for name, a in (("exact", hi), ("lo", lo)):
            if a.dtype.kind not in "fiu" or a.dtype.itemsize > 8:
                raise TypeError(
                    f"{fname}: with lo given, {name} must be a float64 array, "
                    f"got dtype {a.dtype}"
                )
        hi = hi.astype(np.float64).ravel()
        lo = lo.astype(np.float64).ravel()
        if hi.size != size or lo.size != size:
            raise ValueError(
                f"{fname}: exact and lo must have one element per computed "
                f"value ({size}), got {hi.size} and {lo.size}"
            )
        lo = np.where(np.isfinite(hi) & np.isfinite(lo), lo, 0.0)
        return hi, lo, np.sign(lo), None
    values = np.asarray(exact, dtype=object).ravel()
    if values.size != size:
        raise ValueError(
            f"{fname}: exact must have one element per computed value "
            f"({size}), got {values.size}"
        )
    hi, lo, sign = np.empty(size), np.zeros(size), np.zeros(size)
    parts: list[tuple[int, int] | None] = []
    for i, v in enumerate(values):
        try:
            x = _dyadic(v)
        except TypeError as err:
            raise TypeError(f"{fname}: {err}") from None
        if isinstance(x, float):  # NaN or an infinity
            hi[i] = x
            parts.append(None)
            continue
        h = _to_float(*x)
        hi[i] = h
        if math.isinf(h):  # finite, beyond float64's range
            sign[i] = -math.copysign(1.0, h)
        else:
            rest = _difference(x, _dyadic(h))
            lo[i] = _to_float(*rest)
            sign[i] = (rest[0] > 0) - (rest[0] < 0)
        parts.append(x)
    return hi, lo, sign, parts


def _computed(fname: str, computed) -> np.ndarray:
    c = np.asarray(computed)
    if c.dtype.type not in _FLOATS:
        raise TypeError(
            f"{fname}: computed must be a float16, float32 or float64 array, "
            f"got dtype {c.dtype}"
        )
    return c


def _dtype(fname: str, dtype) -> type:
    try:
        t = np.dtype(dtype).type
    except TypeError:
        t = None
    if t not in _FLOATS:
        raise TypeError(
            f"{fname}: dtype must be float16, float32 or float64, got {dtype!r}"
        )
    return t


def _bracket(hi, sign, dtype):
    """The dtype floats just below and just above each hi + (tiny) * sign."""
    # Overflow to inf (in the cast, or past the largest float) is the answer.
    with np.errstate(over="ignore"):
        r = hi.astype(dtype)
        up = np.nextafter(r, dtype(np.inf))
        down = np.nextafter(r, dtype(-np.inf))
    r64 = r.astype(np.float64)
    # hi is exact where sign == 0; else the exact value is just past hi.
    above_r = np.where(r64 == hi, sign > 0, r64 < hi)
    below_r = np.where(r64 == hi, sign < 0, r64 > hi)
    below = np.where(below_r, down, r)
    above = np.where(above_r, up, r)
    return below, above


def double_double(exact) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact values as float64 pairs: ``hi`` the nearest double, ``lo`` the rest.

    .. math::

        \mathrm{hi} = \operatorname{fl}(y), \qquad
        \mathrm{lo} = \operatorname{fl}(y - \mathrm{hi}),

    so that ``hi + lo`` holds :math:`y` to about 106 bits. The pair is what
    :func:`ulp_error` and :func:`faithfully_rounded` take, with ``lo=``, to
    measure many values in vectorised NumPy.

    Parameters
    ----------
    exact : array_like of mpmath.mpf, float or int
        The exact values, computed at a precision well beyond float64's
        (e.g. under ``mpmath.workdps(50)``). They are split with integer
        arithmetic, so the split does not depend on ``mpmath.mp.dps``.

    Returns
    -------
    hi, lo : numpy.ndarray
        float64 arrays of ``exact``'s shape. Where :math:`y` is beyond
        float64's range, ``hi`` is the infinity and ``lo`` is 0 (the pair then
        stands for the infinity). Where :math:`|y - \mathrm{hi}|` is below
        float64's smallest subnormal, ``lo`` underflows: results within
        :math:`2^{-969}` of 0 should be measured from the mpmath numbers.

    Raises
    ------
    TypeError
        If ``exact`` holds anything but real numbers.

    Examples
    --------
    >>> import mpmath
    >>> with mpmath.workdps(40):
    ...     hi, lo = double_double([mpmath.mpf(1) / 3])
    >>> float(hi[0]), float(lo[0])
    (0.3333333333333333, 1.850371707708594e-17)
    """
    shape = np.shape(np.asarray(exact, dtype=object))
    size = math.prod(shape)
    hi, lo, _, _ = _reference("double_double", exact, None, size)
    return hi.reshape(shape), lo.reshape(shape)


def bracketing_floats(exact, dtype, *, lo=None) -> tuple[np.ndarray, np.ndarray]:
    r"""The two floats of ``dtype`` that bracket each exact value.

    .. math::

        \mathrm{below} = \max\{x \in F : x \le y\}, \qquad
        \mathrm{above} = \min\{x \in F : x \ge y\},

    where :math:`F` is the set of ``dtype``'s floats, infinities included.
    Where :math:`y` is a float, both are :math:`y`. A result is *faithfully
    rounded* when it is one of the two.

    Parameters
    ----------
    exact : array_like
        The exact values: mpmath numbers (or floats/ints), or, with ``lo``,
        the ``hi`` part of a float64 pair from :func:`double_double`.
    dtype : float16, float32 or float64
        The format.
    lo : array_like of float64, optional
        The ``lo`` part of the pair.

    Returns
    -------
    below, above : numpy.ndarray
        Arrays of ``dtype`` and ``exact``'s shape. NaN where ``exact`` is NaN.
        An exact 0 gives (0, 0): the sign of a zero is not judged here.

    Raises
    ------
    TypeError
        If ``dtype`` is not a NumPy float format, or ``exact``/``lo`` hold
        something other than real numbers.
    ValueError
        If ``exact`` and ``lo`` differ in size.

    Examples
    --------
    >>> import mpmath
    >>> below, above = bracketing_floats([mpmath.mpf(1) / 3], np.float16)
    >>> float(below[0]), float(above[0])
    (0.333251953125, 0.33349609375)
    """
    t = _dtype("bracketing_floats", dtype)
    shape = np.shape(np.asarray(exact, dtype=object))
    hi, _, sign, _ = _reference("bracketing_floats", exact, lo, math.prod(shape))
    below, above = _bracket(hi, sign, t)
    return below.reshape(shape), above.reshape(shape)


def faithfully_rounded(computed, exact, *, lo=None) -> np.ndarray:
    r"""Whether each computed value is one of the two floats bracketing the exact one.

    .. math::

        \hat y \in \{\mathrm{below}(y),\ \mathrm{above}(y)\}

    (see :func:`bracketing_floats`), in ``computed``'s format. This is *not*
    the same as an error below 1 ULP (:func:`ulp_error`): just below a
    power of two the exact value rounds up to :math:`2^k`, whose ULP is
    twice the gap below it, so a result two floats away can score less than
    1 ULP.

    Parameters
    ----------
    computed : array_like of float16, float32 or float64
        The results to judge; their dtype is the format.
    exact : array_like
        The exact values, one per computed value: mpmath numbers (or
        floats/ints), or, with ``lo``, the ``hi`` part of a float64 pair.
    lo : array_like of float64, optional
        The ``lo`` part of the pair from :func:`double_double`.

    Returns
    -------
    numpy.ndarray of bool
        ``computed``'s shape. NaN is faithful only for a NaN exact value; an
        infinity only for an exact value beyond the largest finite float (or
        that infinity itself). Signed zeros compare equal.

    Raises
    ------
    TypeError
        If ``computed`` is not a float16/32/64 array, or ``exact``/``lo`` hold
        something other than real numbers.
    ValueError
        If ``exact`` (or ``lo``) does not have one element per computed value.

    Examples
    --------
    >>> import mpmath
    >>> with mpmath.workprec(100):
    ...     y = 2 - mpmath.mpf(2) ** -60  # rounds up to 2.0 in float64
    >>> two_below = np.nextafter(np.nextafter(2.0, 0), 0)
    >>> float(ulp_error([two_below], [y])[0]) < 1  # within 1 ULP of 2.0...
    True
    >>> bool(faithfully_rounded([two_below], [y])[0])  # ...but not faithful
    False
    """
    c = _computed("faithfully_rounded", computed)
    hi, _, sign, _ = _reference("faithfully_rounded", exact, lo, c.size)
    below, above = _bracket(hi, sign, c.dtype.type)
    flat = c.ravel()
    ok = (flat == below) | (flat == above) | (np.isnan(flat) & np.isnan(hi))
    return ok.reshape(c.shape)


def _nearest(hi, sign, dtype):
    """The exact value rounded to nearest (ties to even) in dtype."""
    if dtype is np.float64:
        return hi.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        r = hi.astype(dtype)
        r64 = r.astype(np.float64)
        other = np.where(r64 < hi, np.nextafter(r, dtype(np.inf)), r)
        other = np.where(r64 > hi, np.nextafter(r, dtype(-np.inf)), other)
        o64 = other.astype(np.float64)
        # Only at an exact tie between two floats does the rest of the exact
        # value (its sign) decide against hi's own rounding.
        tie = (r64 != hi) & (np.abs(hi - r64) == np.abs(o64 - hi))
        toward_other = np.sign(o64 - hi) == sign
    return np.where(tie & (sign != 0) & toward_other, other, r)


def ulp_error(computed, exact, *, lo=None) -> np.ndarray:
    r"""The error of each computed value in ULPs of the exact value's format.

    .. math::

        \frac{|\hat y - y|}{\operatorname{ulp}(\operatorname{fl}(y))}

    where :math:`\operatorname{fl}(y)` is the exact value rounded to nearest
    in ``computed``'s format and :math:`\operatorname{ulp}` is
    :func:`numpy.spacing`, the gap to the next float away from 0. An error
    below 0.5 means correctly rounded; a faithful result
    (:func:`faithfully_rounded`) is below 1, but below 1 does not imply
    faithful near a power of two.

    Conventions:

    * for an exact 0, or a value that rounds to 0, the unit is the smallest
      subnormal; at the largest finite float, the gap below it;
    * an exact value that rounds beyond the format's range scores 0 if the
      computed value is the infinity of the same sign, and ``inf`` otherwise;
    * a NaN or infinite result where the exact value is a finite number
      scores ``inf``; NaN for a NaN exact value scores 0.

    Parameters
    ----------
    computed : array_like of float16, float32 or float64
        The results to measure; their dtype is the format.
    exact : array_like
        The exact values, one per computed value: mpmath numbers (or
        floats/ints), measured exactly with integer arithmetic; or, with
        ``lo``, the ``hi`` part of a float64 pair, measured in vectorised
        float64 arithmetic (to about :math:`2^{-50}` ULP).
    lo : array_like of float64, optional
        The ``lo`` part of the pair from :func:`double_double`.

    Returns
    -------
    numpy.ndarray of float64
        The errors, in ``computed``'s shape.

    Raises
    ------
    TypeError
        If ``computed`` is not a float16/32/64 array, or ``exact``/``lo`` hold
        something other than real numbers.
    ValueError
        If ``exact`` (or ``lo``) does not have one element per computed value.

    Examples
    --------
    >>> import mpmath
    >>> one_up = np.nextafter(1.0, 2.0)
    >>> ulp_error([1.0, one_up], [mpmath.mpf(1), mpmath.mpf(1)]).tolist()
    [0.0, 1.0]
    >>> with mpmath.workdps(40):
    ...     hi, lo = double_double([mpmath.exp(1)])
    >>> ulp_error(np.float32([2.7182817]), hi, lo=lo)  # float32's e
    array([0.34623309])
    """
    c = _computed("ulp_error", computed)
    t = c.dtype.type
    flat = c.ravel().astype(np.float64)
    hi, lo, sign, parts = _reference("ulp_error", exact, lo, c.size)
    rounded = _nearest(hi, sign, t)
    top = np.abs(rounded) == np.finfo(t).max
    with np.errstate(over="ignore", invalid="ignore"):  # spacing(inf) is NaN
        unit = np.spacing(np.abs(rounded)).astype(np.float64)
    below_top = np.nextafter(np.finfo(t).max, t(0))
    unit[top] = float(np.finfo(t).max) - float(below_top)
    errors = np.full(c.size, np.inf)
    exact_nan = np.isnan(hi)
    off_range = np.isinf(rounded)
    errors[exact_nan & np.isnan(flat)] = 0.0
    errors[off_range & (flat == rounded)] = 0.0
    ok = ~exact_nan & ~off_range & np.isfinite(flat)
    if parts is None:
        errors[ok] = np.abs((flat[ok] - hi[ok]) - lo[ok]) / unit[ok]
        return errors.reshape(c.shape)
    for i in np.flatnonzero(ok):
        man, exp = _difference(_dyadic(float(flat[i])), parts[i])
        _, unit_exp = math.frexp(unit[i])  # unit = 2**(unit_exp - 1)
        errors[i] = abs(_to_float(man, exp - unit_exp + 1))
    return errors.reshape(c.shape)


# --------------------------------------------------------------------------
# Warnings and floating-point errors.


@contextmanager
def record_warnings(*, underflow: bool = False) -> Iterator[list]:
    """Record, instead of printing, the warnings raised inside the block.

    NumPy's floating-point errors (overflow, invalid operation, division by
    zero, and underflow if asked) are turned into warnings for the block,
    whatever ``np.seterr``/``np.errstate`` said outside, and every warning,
    NumPy's or any other, is recorded, even one that was already shown once.
    The caller's warning filters and error state are restored on exit.

    Parameters
    ----------
    underflow : bool, default False
        Also record underflow, which NumPy ignores by default (it is the
        normal fate of, say, ``exp(-800)``).

    Yields
    ------
    list of warnings.WarningMessage
        Filled as the block runs: ``bool(caught)`` says whether anything
        warned, ``str(w.message)`` what.

    Raises
    ------
    TypeError
        If ``underflow`` is not a bool.

    Notes
    -----
    Like :class:`warnings.catch_warnings`, which it uses, it is not
    thread-safe: use it from one thread at a time.

    Examples
    --------
    >>> with record_warnings() as caught:
    ...     _ = np.exp(np.float64(710.0))
    >>> [str(w.message) for w in caught]
    ['overflow encountered in exp']
    >>> with record_warnings() as caught:
    ...     _ = np.exp(np.float64(-800.0))
    >>> caught
    []
    """
    if not isinstance(underflow, bool):
        raise TypeError(
            f"record_warnings: underflow must be a bool, got {type(underflow).__name__}"
        )
    under = "warn" if underflow else "ignore"
    with (
        warnings.catch_warnings(record=True) as caught,
        np.errstate(over="warn", invalid="warn", divide="warn", under=under),
    ):
        warnings.simplefilter("always")
        yield caught


# --------------------------------------------------------------------------
# Timing.

_CLOCKS = {"cpu": time.thread_time_ns, "wall": time.perf_counter_ns}


class Timings(dict):
    """Median nanoseconds per element, by candidate name (a plain ``dict``).

    Examples
    --------
    >>> t = Timings(relu=0.5, elu=2.0)
    >>> t.relative_to("relu")
    {'relu': 1.0, 'elu': 4.0}
    """

    def relative_to(self, baseline: str) -> dict[str, float]:
        """Each candidate's time over ``baseline``'s.

        Raises
        ------
        KeyError
            If ``baseline`` was not timed.
        """
        if baseline not in self:
            raise KeyError(f"relative_to: {baseline!r} was not timed; got {list(self)}")
        return {name: t / self[baseline] for name, t in self.items()}


def time_per_element(
    candidates: Mapping[str, Callable[[], object]],
    n: int,
    *,
    repeats: int = 15,
    clock: str = "cpu",
    min_elements: int = 1_000_000,
) -> Timings:
    r"""Median time per element of each candidate, the candidates interleaved.

    .. math::

        t_c = \operatorname{median}_{r = 1..R}
        \frac{T_{c,r}}{k\,n}

    where :math:`T_{c,r}` is the time of :math:`k` back-to-back calls of
    candidate :math:`c` in round :math:`r`. Every round runs every candidate
    once, in order (round-robin), so a noisy neighbour or a change of clock
    speed slows all of them alike and the ratios between them stay
    meaningful. Each candidate is called once to warm up first, and the
    garbage collector is off while timing.

    Parameters
    ----------
    candidates : mapping of str to callable
        Name to a zero-argument call, e.g. ``{"elu": lambda: elu(x)}``.
    n : int
        Elements processed per call (``x.size``).
    repeats : int, default 15
        Rounds; the median is over these.
    clock : {"cpu", "wall"}, default "cpu"
        ``"cpu"`` is this thread's CPU time (:func:`time.thread_time_ns`):
        on a shared machine it leaves out time when another process holds
        the core, but it also misses work done in other threads.
        ``"wall"`` is :func:`time.perf_counter_ns`.
    min_elements : int, default 1_000_000
        Each sample repeats the call :math:`k = \max(1, \lfloor
        \text{min\_elements} / n \rfloor)` times, so that it lasts well above
        the clock's resolution.

    Returns
    -------
    Timings
        Name to median nanoseconds per element, in ``candidates``' order;
        ``.relative_to(name)`` gives the ratios to one of them.

    Raises
    ------
    TypeError
        If ``candidates`` is not a mapping of names to callables, or an
        integer argument is not an int.
    ValueError
        If ``candidates`` is empty, ``n``, ``repeats`` or ``min_elements`` is
        not positive, or ``clock`` is unknown.

    Examples
    --------
    >>> x = np.linspace(-3, 3, 10_000)
    >>> t = time_per_element(
    ...     {"copy": lambda: x.copy(), "exp": lambda: np.exp(x)}, x.size, repeats=3
    ... )
    >>> list(t), all(v > 0 for v in t.values())
    (['copy', 'exp'], True)
    """
    fname = "time_per_element"
    if not isinstance(candidates, Mapping):
        raise TypeError(
            f"{fname}: candidates must be a mapping of names to callables, "
            f"got {type(candidates).__name__}"
        )
    if not candidates:
        raise ValueError(f"{fname}: candidates must not be empty")
    for name, call in candidates.items():
        if not isinstance(name, str) or not callable(call):
            raise TypeError(
                f"{fname}: candidates must map names (str) to callables, "
                f"got {name!r}: {type(call).__name__}"
            )
    for pname, value in (
        ("n", n),
        ("repeats", repeats),
        ("min_elements", min_elements),
    ):
        integer(fname, pname, value, 1)
    if clock not in _CLOCKS:
        raise ValueError(
            f"{fname}: clock must be one of {sorted(_CLOCKS)}, got {clock!r}"
        )
    now = _CLOCKS[clock]
    inner = max(1, min_elements // n)
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for call in candidates.values():  # warm up: tables, caches, allocator
        call()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            for name, call in candidates.items():
                start = now()
                for _ in range(inner):
                    call()
                samples[name].append((now() - start) / (inner * n))
    finally:
        if was_enabled:
            gc.enable()
    return Timings((name, statistics.median(s)) for name, s in samples.items())


# --------------------------------------------------------------------------
# Gaussian expectations.

# The integral runs over mu +- _REACH sigma: the density there is below
# 1e-313, so a function of at most polynomial growth loses nothing.
_REACH = 38.0
_NODES = 24  # Gauss-Legendre nodes per piece of one standard deviation


@functools.cache
def _gauss_legendre() -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(_NODES)


def _real(fname: str, pname: str, value, *, positive: bool = False):
    """elu_lib's one argument check; an mpmath number is kept as it is, so
    that its precision reaches the quadrature."""
    low = 0.0 if positive else -math.inf
    if isinstance(value, mpmath.mpf):
        real(fname, pname, float(value), low=low)
        return value
    return real(fname, pname, value, low=low)


def gaussian_expectation(
    f: Callable,
    mu=0.0,
    sigma=1.0,
    *,
    breakpoints: Sequence = (0.0,),
    dps: int | None = None,
):
    r"""The mean of ``f(Z)`` for a normal ``Z``, by quadrature.

    .. math::

        \mathbb{E}[f(Z)] = \int_{-\infty}^{\infty} f(z)\,
        \frac{e^{-(z - \mu)^2 / (2\sigma^2)}}{\sigma\sqrt{2\pi}}\,dz,
        \qquad Z \sim \mathcal N(\mu, \sigma^2).

    The integral is split at :math:`\mu` and at ``breakpoints``, where ``f``
    may have a kink (every activation here has its kink at 0), so that each
    piece is smooth.

    * ``dps=None`` (float64): ``f`` is called once, with a float64 array of
      nodes, and each piece of at most one standard deviation gets 24-point
      Gauss-Legendre quadrature, over :math:`\mu \pm 38\sigma`. For
      piecewise-analytic ``f`` of at most polynomial growth, such as
      every activation here, the result is accurate to a few units in the
      last place of float64.
    * ``dps`` an int: ``f`` is called with one ``mpmath.mpf`` at a time and
      the integral is :func:`mpmath.quad` (tanh-sinh) over the whole line,
      at ``dps`` significant digits, inside :func:`mpmath.workdps` (the
      global precision is left alone).

    Parameters
    ----------
    f : callable
        The function: vectorised over float64 arrays (``dps=None``) or
        taking one mpmath number (``dps`` given).
    mu : real, default 0.0
        The mean of :math:`Z`.
    sigma : real, default 1.0
        Its standard deviation, > 0.
    breakpoints : sequence of real, default (0.0,)
        Where ``f`` is not smooth.
    dps : int, optional
        Significant digits for mpmath; None for float64.

    Returns
    -------
    float or mpmath.mpf
        :math:`\mathbb{E}[f(Z)]`: a float for ``dps=None``, else an mpf.

    Raises
    ------
    TypeError
        If ``f`` is not callable, ``mu``/``sigma``/a breakpoint is not a real
        number, or ``dps`` is not an int.
    ValueError
        If ``mu`` or a breakpoint is not finite, ``sigma`` is not finite and
        positive, ``dps`` is not positive, or ``f`` returns an array of the
        wrong shape.

    Examples
    --------
    >>> from elu_lib import relu
    >>> round(gaussian_expectation(relu) * math.sqrt(2 * math.pi), 14)  # 1/sqrt(2pi)
    1.0
    >>> import mpmath
    >>> mpmath.nstr(gaussian_expectation(lambda x: x * x, mu=1, dps=30), 30)
    '2.0'
    """
    fname = "gaussian_expectation"
    if not callable(f):
        raise TypeError(f"{fname}: f must be callable, got {type(f).__name__}")
    _real(fname, "mu", mu)
    _real(fname, "sigma", sigma, positive=True)
    if isinstance(breakpoints, str) or not isinstance(
        breakpoints, Sequence | np.ndarray
    ):
        raise TypeError(
            f"{fname}: breakpoints must be a sequence of real numbers, "
            f"got {type(breakpoints).__name__}"
        )
    for b in breakpoints:
        _real(fname, "breakpoints", b)
    if dps is not None:
        integer(fname, "dps", dps, 1)
        with mpmath.workdps(dps):
            m, s = mpmath.mpf(mu), mpmath.mpf(sigma)
            cuts = sorted({m, *(mpmath.mpf(b) for b in breakpoints)})
            return mpmath.quad(
                lambda x: f(x) * mpmath.npdf(x, m, s),
                [-mpmath.inf, *cuts, mpmath.inf],
            )
    m, s = float(mu), float(sigma)
    # In standard units t = (z - mu) / sigma: cut at 0, the breakpoints and
    # the ends, then into pieces of at most one standard deviation.
    inner = {(float(b) - m) / s for b in breakpoints}
    cuts = sorted({-_REACH, 0.0, _REACH} | {t for t in inner if abs(t) < _REACH})
    edges = [cuts[0]]
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        pieces = math.ceil(b - a)
        edges.extend(np.linspace(a, b, pieces + 1)[1:].tolist())
    edges_arr = np.array(edges)
    half = np.diff(edges_arr)[:, None] / 2
    mid = (edges_arr[:-1, None] + edges_arr[1:, None]) / 2
    nodes, weights = _gauss_legendre()
    t = mid + half * nodes
    values = np.asarray(f(m + s * t), dtype=np.float64)
    if values.shape != t.shape:
        raise ValueError(
            f"{fname}: f must return one value per node, shape {t.shape}, "
            f"got {values.shape}"
        )
    density = np.exp(-(t * t) / 2) / math.sqrt(2 * math.pi)
    return float(np.sum(half * weights * density * values))
