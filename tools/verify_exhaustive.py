r"""Check the ELU family on every float32 and every float16 input.

``elu``, ``elu_grad``, ``celu``, ``celu_grad`` (alpha = 1 and 1.5), ``selu``
and ``selu_grad`` are evaluated on all 2^32 float32 bit patterns and all 2^16
float16 ones, and each result ``y`` is judged against the exact value ``v``:

* **faithful**: ``y`` is one of the two floats of its dtype that bracket ``v``
  (``y == v`` if ``v`` is a float; the infinities count as floats, so a value
  beyond the largest finite float is bracketed by it and by the infinity);
* **correctly rounded**: ``y`` is ``v`` rounded to nearest, ties to even;
* NaN in gives NaN out; the sign of every result is the library's convention
  (``elu``/``celu``/``selu`` keep the sign of z, so -0.0 gives -0.0; every
  derivative is >= 0, +0.0 included); a derivative at z = +-0 takes the
  z <= 0 branch.

How each input is decided, cheapest first
-----------------------------------------
1. **Exactly known values.** For z > 0, ``elu``/``celu`` are z and their
   derivatives 1, floats of every dtype: ``y`` must be that float, bit for
   bit. ``selu_grad`` is the constant lambda for z > 0, and for
   z <= -256 (and -inf) every exact value lies in one short interval:
   ``c (e^t - 1)`` with t = z/d <= -170.6, so within c 2^-246 of -c, and
   the derivatives in [0, 2^-245]. One interval decision settles all of them
   (``y`` must be the one float that the whole interval rounds to).
2. **A float64 reference with an error bound.** Elsewhere
   r = c * expm1(z/d) or g * exp(z/d) (``s * z`` for selu and z > 0) in
   NumPy float64, computed here, not by the library. Its error is at most
   ``|r| B + A`` with B = 2^-40 and A = 2^-1070 (the argument is in
   :data:`BOUND_ARGUMENT`). If both ends of [r - |r|B - A, r + |r|B + A]
   round to ``y``, every value in the interval does (rounding is monotone):
   ``y`` is correctly rounded, hence faithful. Otherwise the interval is
   compared with ``y``'s neighbours and the midpoints between them (each a
   float64): it lies strictly inside (pred(y), succ(y)) (faithful) or outside
   [pred(y), succ(y)] (not), and strictly between the midpoints (nearest) or
   beyond one (not nearest).
3. **A series, exactly.** ``elu`` with alpha = 1.5 at tiny z < 0: 1.5 z is
   a float32 midpoint whenever z's significand is odd and 3 times it fits
   in 25 bits, and the exact value is 1.5 z + Q with
   1.5 z^2/2 (1 - |z|/3) <= Q <= 1.5 z^2/2, far closer to that midpoint
   than 2^-40 |r|. For |z| <= 2^-30 the side of each boundary m is the sign
   of (1.5 z - m) + Q, computed exactly (the subtraction is checked exact
   by TwoSum; rounding never changes the sign of a sum).
4. **mpmath** at 50 digits (``mpmath.workdps``; the global context is left
   alone), for what is left: a result is accepted only if the exact value is
   more than 10^-40 of itself away from every float and midpoint involved,
   else it is recomputed at 100 and then 200 digits. Faithfulness and the
   error in ULPs come from :func:`elu_lib.numerics.faithfully_rounded` and
   :func:`elu_lib.numerics.ulp_error` (exact integer arithmetic). Every
   mpmath value also checks the float64 reference against its bound: a
   violation stops the run.

The worst error is in ULPs of the exact value rounded to the result's dtype
(:func:`elu_lib.numerics.ulp_error`'s convention), measured against r (within
|r| 2^-40 of exact, i.e. to about 2^-16 ULP) or the mpmath value.

Usage
-----
``python tools/verify_exhaustive.py`` (``make verify``) checks everything on
2 processes, in chunks of 2^22 inputs and blocks of 2^14 (bounded memory),
and compares the results with ``records/exhaustive.json``: the exit status is
1 if any result is not faithful, or if a count of what the library computed
(:data:`COMPARED`) differs from the record. How the inputs were decided
(:data:`PLATFORM_COMPARED`) and the float64 stress depend on NumPy's float64
exp/expm1, so they are compared only on the platform that wrote the record,
and reported elsewhere. ``--write`` rewrites the record instead;
``--dtype float16`` checks float16 only (a second).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
import multiprocessing
import platform
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import mpmath
import numpy as np

from elu_lib import activations as A
from elu_lib import numerics
from elu_lib import symbolic as S

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "records" / "exhaustive.json"

#: Relative bound on the float64 reference's error.
B = 2.0**-40
#: Absolute term, for results in or below float64's subnormals: 16 subnormal ULPs.
A_ABS = 2.0**-1070
# rad = |r| B_USED + A is itself rounded, and so are r -+ rad: the factor
# 1 + 2^-8 (2^-48 |r|) absorbs those roundings (each < 2^-52 |r|).
_B_USED = B * (1.0 + 2.0**-8)
#: Below -SATURATED the exact values are within c 2^-246 of -c (or of 0).
SATURATED = 256.0
#: The series tier (3.) covers -2^-30 <= z < 0.
SERIES_REACH = 2.0**-30
DPS = 50
_NORMAL64 = 2.0**-1022
EXAMPLES = 8  # bit patterns kept per kind of failure
_DTYPES = {"float16": np.float16, "float32": np.float32}
_UINT = {np.float16: np.uint16, np.float32: np.uint32}
_BITS = {np.float16: 16, np.float32: 32}
_MANT = {np.float16: 10, np.float32: 23}

BOUND_ARGUMENT = """\
The float64 reference r is c expm1(t), g exp(t) or s z, where z is the
float16/32 input (exact in float64), t = z/d, and c, g, s are the float64
numbers nearest the exact constants. Its relative error is at most the sum
of: the constant's rounding, 2^-53 (0 for alpha = 1 and 1.5); the
argument's, 0 for d = 1, 2^-53 for expm1(z/d) (its condition number is
<= 1 for t <= 0), and 2^-53 for exp(z/d), computed as exp(t)(1 + t_lo)
with t_lo the exact remainder of z/d (Dekker's product), which leaves
t_lo^2 < 2^-86 and one rounding; the function's own error, <= 1 ULP =
2^-52: the glibc manual's table "Known Maximum Errors in Math Functions"
(sysdeps/x86_64/fpu/libm-test-ulps) gives exp and expm1 in double 1 ulp on
x86_64, and NumPy's AVX512F exp and SVML expm1, which NumPy uses instead on
CPUs that have them, are held to 1 ULP by NumPy's validation data
(numpy/_core/tests/data/umath-validation-set-exp.csv, -expm1.csv); and the
final product's rounding, 2^-53. The sum is below 2^-50.4: B = 2^-40 is 1300
times that, and 4096 times the 1 ULP that the documentation allows the
functions. Where the float64 result is subnormal or 0 (only float16 inputs
below -708 get there) the bound is absolute, 2^-1074 for the function and
2^-1075 for the product; A = 2^-1070 covers that 10 times over, and can move
no decision: float16/32's smallest subnormals are 2^-24 and 2^-149. The bound
is checked as well as argued: every run compares r with 50-digit mpmath on a
seeded sample of hard and random inputs (reference_sample) and on every input
that it decides with mpmath (the near-midpoint ones, where an error would
matter), and stops if r is ever outside it."""


# --------------------------------------------------------------------------
# What is checked


@dataclasses.dataclass(frozen=True)
class Config:
    """One function and parameter: value ``s z`` (z > 0), ``c expm1(z/d)``
    (z <= 0); derivative ``s``, ``g exp(z/d)`` with g = c/d."""

    function: str
    alpha: float | None = None

    @property
    def grad(self) -> bool:
        return self.function.endswith("_grad")

    @property
    def family(self) -> str:
        return self.function.removesuffix("_grad")

    @property
    def label(self) -> str:
        return (
            self.function
            if self.alpha is None
            else f"{self.function}(alpha={self.alpha:g})"
        )

    def __call__(self, x: np.ndarray) -> np.ndarray:
        f = getattr(A, self.function)
        return f(x) if self.alpha is None else f(x, alpha=self.alpha)

    def exact_constants(self) -> tuple:
        """(s, c, d) as mpmath numbers of the current precision."""
        if self.family == "selu":
            lam, a = mpmath.mpf(str(S.SELU_SCALE)), mpmath.mpf(str(S.SELU_ALPHA))
            return lam, lam * a, mpmath.mpf(1)
        alpha = mpmath.mpf(self.alpha)
        return mpmath.mpf(1), alpha, alpha if self.family == "celu" else mpmath.mpf(1)

    def constants64(self) -> tuple[float, float, float, float]:
        """(s, c, d, g) rounded to float64 from 40 digits."""
        return _constants64(self)

    def dyadic(self, z: float) -> bool:
        """Whether the exact value at z is a dyadic rational (so possibly a
        float or a midpoint, and computed exactly by mpmath). Everywhere
        else it is c (e^t - 1) or g e^t with t = z/d rational and nonzero,
        transcendental by Lindemann-Weierstrass, or selu's lambda z, whose
        denominator keeps a factor 5 (lambda's 32 digits end in 6): never a
        float nor a midpoint between two."""
        c_dyadic = self.family != "selu"  # alpha is a float; lambda alpha is not
        if z > 0:  # s z or s (s = 1 but for selu), and s inf = inf
            return c_dyadic or (not self.grad and math.isinf(z))
        if z == 0:  # c expm1(0) = 0, g e^0 = g
            return not self.grad or c_dyadic
        if z == -math.inf:  # -c, and 0
            return self.grad or c_dyadic
        return False

    def exact(self, z: float):
        """The exact value at float z, an mpmath number (current precision)."""
        s, c, d = self.exact_constants()
        x = mpmath.mpf(z)
        if x > 0:
            return s if self.grad else s * x
        if self.grad:
            return (c / d) * mpmath.exp(x / d)
        return c * mpmath.expm1(x / d)


@functools.cache
def _constants64(cfg: Config) -> tuple[float, float, float, float]:
    with mpmath.workdps(40):
        s, c, d = cfg.exact_constants()
        return float(s), float(c), float(d), float(c / d)


CONFIGS = (
    Config("elu", 1.0),
    Config("elu", 1.5),
    Config("elu_grad", 1.0),
    Config("elu_grad", 1.5),
    Config("celu", 1.0),
    Config("celu", 1.5),
    Config("celu_grad", 1.0),
    Config("celu_grad", 1.5),
    Config("selu"),
    Config("selu_grad"),
)


@dataclasses.dataclass
class Stats:
    """What one function/alpha/dtype scored; :meth:`merge` adds blocks."""

    inputs: int = 0
    nan_inputs: int = 0
    worst_ulp: float = 0.0
    worst_bits: int = -1
    not_correctly_rounded: int = 0
    not_faithful: int = 0
    exact_decided: int = 0
    float64_decided: int = 0
    series_decided: int = 0
    mpmath_decided: int = 0
    not_faithful_examples: list = dataclasses.field(default_factory=list)
    not_correctly_rounded_examples: list = dataclasses.field(default_factory=list)
    max_reference_error: float = 0.0  # relative, over mpmath-decided inputs

    def merge(self, other: Stats) -> None:
        for f in (
            "inputs nan_inputs not_correctly_rounded not_faithful exact_decided "
            "float64_decided series_decided mpmath_decided"
        ).split():
            setattr(self, f, getattr(self, f) + getattr(other, f))
        if (other.worst_ulp, -other.worst_bits) > (self.worst_ulp, -self.worst_bits):
            self.worst_ulp, self.worst_bits = other.worst_ulp, other.worst_bits
        for f in ("not_faithful_examples", "not_correctly_rounded_examples"):
            merged = sorted(set(getattr(self, f)) | set(getattr(other, f)))
            setattr(self, f, merged[:EXAMPLES])
        self.max_reference_error = max(
            self.max_reference_error, other.max_reference_error
        )

    def worst(self, ulp: np.ndarray, bits: np.ndarray) -> None:
        """Fold per-element errors ``ulp`` into the worst one (NaN, from an
        infinity that is the right answer, counts as 0)."""
        if ulp.size == 0:
            return
        top = float(np.fmax.reduce(ulp, initial=0.0))
        if top < self.worst_ulp:
            return
        at = ulp == top
        if not at.any():  # every error NaN: no result to blame
            return
        b = int(bits[at].min())
        if (top, -b) > (self.worst_ulp, -self.worst_bits):
            self.worst_ulp, self.worst_bits = top, b

    def fail(self, faithful: np.ndarray, nearest: np.ndarray, bits: np.ndarray):
        """Count the inputs whose results are not faithful / not nearest."""
        for ok, count, examples in (
            (faithful, "not_faithful", "not_faithful_examples"),
            (nearest, "not_correctly_rounded", "not_correctly_rounded_examples"),
        ):
            bad = bits[~ok]
            if bad.size:
                setattr(self, count, getattr(self, count) + int(bad.size))
                merged = sorted(
                    set(getattr(self, examples)) | set(bad[:EXAMPLES].tolist())
                )
                setattr(self, examples, merged[:EXAMPLES])


class ReferenceBoundError(AssertionError):
    """The float64 reference broke its stated error bound: nothing is decided."""


# --------------------------------------------------------------------------
# Floats around a result


def _step(y: np.ndarray, dtype, up: bool) -> np.ndarray:
    """The next float of ``dtype`` above (``up``) or below each y, as float64
    (numpy.nextafter's values, from the bit patterns: 20x faster)."""
    n = _BITS[dtype]
    b = y.view(_UINT[dtype]).astype(np.int64)
    mag = b & ((1 << (n - 1)) - 1)
    key = np.where(b >> (n - 1), -mag, mag)  # monotone in the value; +-0 -> 0
    inf = int(np.asarray(np.inf, dtype).view(_UINT[dtype]))
    key = np.clip(key + (1 if up else -1), -inf, inf)
    out = np.abs(key) | ((key < 0).astype(np.int64) << (n - 1))
    return out.astype(_UINT[dtype]).view(dtype).astype(np.float64)


def _overflow_edge(dtype) -> float:
    """The overflow threshold: values from here on round to infinity."""
    big = float(np.finfo(dtype).max)
    return big + (big - float(np.nextafter(dtype(big), dtype(0)))) / 2


def _neighbours(y: np.ndarray, dtype):
    """(pred, succ, mid_below, mid_above) of each float y, as float64; the
    overflow threshold stands for the midpoint between the largest float and
    the infinity."""
    y64 = y.astype(np.float64)
    pred, succ = _step(y, dtype, False), _step(y, dtype, True)
    big, edge = float(np.finfo(dtype).max), _overflow_edge(dtype)
    with np.errstate(invalid="ignore"):
        lo = np.select(
            [y64 == np.inf, y64 == -big, y64 == -np.inf],
            [edge, -edge, -np.inf],
            (pred + y64) / 2,
        )
        hi = np.select(
            [y64 == -np.inf, y64 == big, y64 == np.inf],
            [-edge, edge, np.inf],
            (y64 + succ) / 2,
        )
    return pred, succ, lo, hi


def _unit(near64: np.ndarray, dtype) -> np.ndarray:
    """numpy.spacing of each finite float of ``dtype`` (given as float64), from
    the float64 exponent bits: 2^e 2^-p, at least the smallest subnormal."""
    pow2 = (near64.view(np.int64) & 0x7FF0000000000000).view(np.float64)
    tiny = float(np.finfo(dtype).smallest_subnormal)
    return np.maximum(pow2 * 2.0 ** -_MANT[dtype], tiny)


# --------------------------------------------------------------------------
# The tiers


def _interval_decision(y, lo, hi, dtype):
    """Tier 2: faithful / nearest for exact values known to lie in [lo, hi].

    int8 arrays, 1 yes, 0 no, -1 undecided; also the nearest float where it
    is decided (for the ULP error's unit)."""
    pred, succ, mlo, mhi = _neighbours(y, dtype)
    faithful = np.full(y.shape, -1, np.int8)
    faithful[(hi < pred) | (lo > succ)] = 0
    faithful[(pred < lo) & (hi < succ)] = 1
    nearest = np.full(y.shape, -1, np.int8)
    nearest[(hi < mlo) | (lo > mhi)] = 0
    nearest[(mlo < lo) & (hi < mhi)] = 1
    y64 = y.astype(np.float64)
    near = np.where(nearest == 1, y64, np.where(lo > y64, succ, pred))
    return faithful, nearest, near


def _series_applies(cfg: Config, dtype) -> bool:
    """Tier 3 is for ``elu`` with an alpha whose product with z is exact."""
    if cfg.grad or cfg.family != "elu":
        return False
    man, _ = math.frexp(cfg.alpha)
    bits = 1
    while man != int(man):
        man, bits = man * 2, bits + 1
    return bits + _MANT[dtype] + 1 <= 53


def _series_decision(cfg: Config, x, y, dtype):
    """Tier 3, ``elu`` at -2^-30 <= z < 0: v = alpha expm1(z) = p + q with
    p = alpha z (exact in float64) and alpha z^2/2 (1 - |z|/3) <= q <=
    alpha z^2/2 (the series alternates)."""
    c64 = cfg.constants64()[1]
    x64 = x.astype(np.float64)
    p = c64 * x64
    q = c64 * (x64 * x64) * 0.5  # within 2^-51 of alpha z^2 / 2
    q_lo, q_hi = q * (1 - 2.0**-20), q * (1 + 2.0**-20)  # |z|/3 < 2^-31
    pred, succ, mlo, mhi = _neighbours(y, dtype)
    side = {}
    for name, m in (("pred", pred), ("succ", succ), ("mlo", mlo), ("mhi", mhi)):
        with np.errstate(invalid="ignore"):
            d = p - m
            bv = d - p  # TwoSum: d + err == p - m exactly
            err = (p - (d - bv)) + (-m - bv)
        exact = (err == 0) & np.isfinite(m)
        # A nonzero sum never rounds to 0 or across it (gradual underflow).
        side[name] = (exact & (d + q_lo > 0), exact & (d + q_hi < 0))
    faithful = np.full(y.shape, -1, np.int8)
    faithful[side["pred"][1] | side["succ"][0]] = 0
    faithful[side["pred"][0] & side["succ"][1]] = 1
    nearest = np.full(y.shape, -1, np.int8)
    nearest[side["mlo"][1] | side["mhi"][0]] = 0
    nearest[side["mlo"][0] & side["mhi"][1]] = 1
    y64 = y.astype(np.float64)
    near = np.where(nearest == 1, y64, np.where(side["mhi"][0], succ, pred))
    return faithful, nearest, near, p + q


def _exact_values(cfg: Config, xs: np.ndarray, dtype) -> list:
    """Tier 4: mpmath values at xs, 50 digits, or 100/200 where one is within
    10^-40 of itself of a float or midpoint that the decision compares it with."""
    out = []
    for z in xs.astype(np.float64).tolist():
        if cfg.dyadic(z):  # computed exactly
            with mpmath.workdps(DPS):
                out.append(cfg.exact(z))
            continue
        for dps in (DPS, 2 * DPS, 4 * DPS):
            with mpmath.workdps(dps):
                v = cfg.exact(z)
                below, above = numerics.bracketing_floats([v], dtype)
                ends = [float(below[0]), float(above[0])]
                points = [mpmath.mpf(e) for e in ends if math.isfinite(e)]
                if len(points) == 2:
                    points.append((points[0] + points[1]) / 2)
                elif ends[0] != ends[1]:  # beyond the largest float
                    points.append(mpmath.mpf(math.copysign(_overflow_edge(dtype), v)))
                margin = abs(v) * mpmath.mpf(10) ** (10 - dps)
                if all(abs(v - p) > margin for p in points):
                    break
        else:
            raise AssertionError(f"{cfg.label}: undecided at z = {z!r}, 200 digits")
        out.append(v)
    return out


def _nearest_mp(values: list, dtype) -> np.ndarray:
    """Each exact value rounded to nearest, ties to even, in dtype."""
    below, above = numerics.bracketing_floats(values, dtype)
    out = below.copy()
    edge = _overflow_edge(dtype)
    for i, v in enumerate(values):
        lo, hi = float(below[i]), float(above[i])
        if lo == hi:
            continue
        with mpmath.workprec(max(mpmath.mp.prec, v.context.prec) + 64):
            if math.isinf(hi):
                mid = mpmath.mpf(edge)
            elif math.isinf(lo):
                mid = -mpmath.mpf(edge)
            else:
                mid = (mpmath.mpf(lo) + mpmath.mpf(hi)) / 2
            even_up = int(above[i : i + 1].view(_UINT[dtype])[0]) % 2 == 0
            if v > mid or (v == mid and even_up):
                out[i] = above[i]
    return out


# --------------------------------------------------------------------------
# One block


class Block:
    """Inputs with bit patterns ``bits`` (consecutive for speed, any will do),
    and what every config shares about them: the float64 values, the NaNs,
    and the transcendental functions, each computed once."""

    def __init__(self, dtype, bits: np.ndarray):
        self.dtype, self.bits = dtype, bits
        self.x = bits.view(dtype)
        self.nan = np.isnan(self.x)
        self.n_nan = int(np.count_nonzero(self.nan))
        n = _BITS[dtype]
        mag = bits & ((1 << (n - 1)) - 1)  # |x| in bits: ordered like |x|
        self.mag = mag
        self.inf = int(np.asarray(np.inf, dtype).view(_UINT[dtype]))
        self.sat = int(np.asarray(SATURATED, dtype).view(_UINT[dtype]))
        self.mag_min, self.mag_max = int(mag.min()), int(mag.max())
        signs = bits >> (n - 1)
        self.sign = int(signs[0]) if (signs == signs[0]).all() else None
        self._x64 = None
        self._cache: dict = {}

    @property
    def x64(self) -> np.ndarray:
        if self._x64 is None:
            self._x64 = self.x.astype(np.float64)
        return self._x64

    def function(self, grad: bool, d: float) -> np.ndarray:
        """exp(z/d) or expm1(z/d) in float64, at every input of the block."""
        key = (grad, d)
        if key not in self._cache:
            self._cache[key] = _function64(self.x64, grad, d)
        return self._cache[key]


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    g = a * 134217729.0  # 2^27 + 1 (Dekker): a == hi + lo, 26 bits each
    hi = g - (g - a)
    return hi, a - hi


def _function64(x64: np.ndarray, grad: bool, d: float) -> np.ndarray:
    """exp(z/d) or expm1(z/d) from NumPy's float64 functions.

    For exp with d != 1 the argument is carried as t + t_lo (t_lo the exact
    remainder of z/d, by Dekker's product), and exp(t)(1 + t_lo) is used:
    rounding z/d alone would add |t| 2^-53 of relative error (2^-43 at
    t = -745). expm1's condition number is <= 1 for t <= 0, so there
    z/d's rounding adds at most 2^-53.
    """
    with np.errstate(all="ignore"):
        if d == 1.0:
            return np.exp(x64) if grad else np.expm1(x64)
        t = x64 / d
        if not grad:
            return np.expm1(t)
        (th, tl), (dh, dl) = _split(t), _split(np.float64(d))
        p = t * d
        perr = ((th * dh - p) + th * dl + tl * dh) + tl * dl  # t d == p + perr
        t_lo = ((x64 - p) - perr) / d  # x - p is exact (Sterbenz), so is the rest
        t_lo = np.where(np.isfinite(t_lo), t_lo, 0.0)
        return np.exp(t) * (1.0 + t_lo)


def _reference64(cfg: Config, x: np.ndarray, block: Block | None = None):
    """The float64 reference r at float16/32 inputs x (NaN at NaN); with
    ``block`` (whose inputs x are) the transcendental part is shared."""
    s, c, d, g = cfg.constants64()
    x64 = block.x64 if block is not None else x.astype(np.float64)
    sign = block.sign if block is not None else None
    with np.errstate(all="ignore"):
        neg = pos = None
        if sign != 0:  # some z <= 0 (or NaN)
            if block is not None:
                f = block.function(cfg.grad, d)
            else:
                f = _function64(x64, cfg.grad, d)
            neg = f * (g if cfg.grad else c)
        if sign != 1:  # some z >= 0 (or NaN)
            pos = np.where(np.isnan(x64), np.nan, s) if cfg.grad else x64 * s
        if neg is None:
            # z = +0 takes the z <= 0 branch: c expm1(0) = 0 = s*0; g e^0 = g
            return np.where(x64 == 0, g, pos) if cfg.grad else pos
        if pos is None:
            return neg
        return np.where(x64 > 0, pos, neg)


def _constant(lo: float, hi: float, dtype):
    """The one float of dtype that all of [lo, hi] rounds to, or None."""
    with np.errstate(over="ignore"):
        a, b = np.asarray(lo, dtype), np.asarray(hi, dtype)
    return a if a.view(_UINT[dtype]) == b.view(_UINT[dtype]) else None


def _ulp_of_constant(k, ref: float, dtype) -> float:
    return abs(float(k) - ref) / float(_unit(np.float64(k).reshape(1), dtype)[0])


def _known_regions(cfg: Config, block: Block):
    """Tier 1: (mask or None for "every non-NaN input", expected bit pattern(s),
    ULP error) where the exact value is known to round to one float without a
    per-element reference: z itself (values at +-0 and +inf, and at every
    z > 0 if s == 1), 1 (derivatives at z > 0 if s == 1), or a constant."""
    dtype, mag = block.dtype, block.mag
    s, c, d, g = cfg.constants64()
    u = _UINT[dtype]
    if d > 1.5 or g >= 2 or c >= 2:
        raise ValueError(
            f"{cfg.label}: the saturation argument needs d <= 1.5, c, g < 2"
        )
    regions = []
    has_zero, has_inf = block.mag_min == 0, block.mag_max >= block.inf
    if not cfg.grad:  # exact: z at +-0 and +inf, at every z > 0 if s == 1
        if s == 1.0 and block.sign == 0:
            regions.append((None, block.bits, 0.0))
        elif has_zero or (has_inf and block.sign != 1):
            zero_inf = (mag == 0) | ((mag == block.inf) & ~np.signbit(block.x))
            mask = zero_inf | (block.x > 0) if s == 1.0 else zero_inf
            regions.append((mask, block.bits, 0.0))
    elif block.sign != 1:  # derivatives at z > 0: s
        if s == 1.0:
            k, err = np.asarray(1.0, dtype), 0.0
        else:
            rad = abs(s) * _B_USED
            k = _constant(s - rad, s + rad, dtype)
            err = _ulp_of_constant(k, s, dtype) if k is not None else 0.0
        if k is not None:
            mask = None if block.sign == 0 and not has_zero else block.x > 0
            regions.append((mask, k.view(u), err))
    # z <= -256: values within c 2^-246 of -c, derivatives in [0, 2^-245].
    if block.sign != 0 and block.mag_max >= block.sat:
        if cfg.grad:
            k, ref = _constant(0.0, 2.0**-240, dtype), 0.0
        else:
            rad = c * _B_USED
            k, ref = _constant(-c - rad, -c + rad, dtype), -c
        if k is not None:
            if block.sign == 1 and block.mag_min >= block.sat:
                mask = None
            else:
                mask = (mag >= block.sat) & np.signbit(block.x)
            regions.append((mask, k.view(u), _ulp_of_constant(k, ref, dtype)))
    return regions


def check_block(cfg: Config, block: Block, pending: list | None = None) -> Stats:
    """Check ``cfg`` on every input of ``block``.

    Inputs left to mpmath are scored at once, or, with ``pending``, appended
    to it as (x, y, r, bits) for :func:`score_pending` to score in one batch.
    """
    dtype, bits, x = block.dtype, block.bits, block.x
    stats = Stats(inputs=int(bits.size), nan_inputs=block.n_nan)
    u = _UINT[dtype]
    y = cfg(x)
    if y.dtype != dtype:
        raise AssertionError(f"{cfg.label}: {dtype.__name__} in, {y.dtype} out")
    # NaN in, NaN out; the values keep z's sign, no derivative is negative.
    ysign = np.signbit(y)
    if cfg.grad:
        sign_ok = ~ysign if ysign.any() else True
    elif block.sign is not None:
        good = ysign if block.sign else ~ysign
        sign_ok = True if good.all() else good
    else:
        sign_ok = ysign == np.signbit(x)
    ynan = np.isnan(y)
    nan_ok = ynan == block.nan if (block.n_nan or ynan.any()) else True
    ok = np.logical_and(sign_ok | block.nan, nan_ok)
    todo = ~block.nan
    if not ok.all():
        stats.fail(ok, ok, bits)
        todo &= ok
    yb = y.view(u)
    for mask, expected, err in _known_regions(cfg, block):
        hit = yb == expected
        hit &= todo if mask is None else (todo & mask)
        n = int(np.count_nonzero(hit))
        if n:
            stats.exact_decided += n
            todo &= ~hit
            stats.worst(np.full(1, err), bits[np.argmax(hit)].reshape(1))
    n_todo = int(np.count_nonzero(todo))
    if n_todo == 0:
        return stats
    r = _reference64(cfg, x, block)
    mine = [] if pending is None else pending
    if n_todo == x.size:
        _judge(cfg, dtype, x, y, bits, r, stats, mine)
    else:
        idx = np.flatnonzero(todo)
        _judge(cfg, dtype, x[idx], y[idx], bits[idx], r[idx], stats, mine)
    if pending is None:
        score_pending(cfg, dtype, mine, stats)
    return stats


def _judge(cfg: Config, dtype, x, y, bits, r, stats: Stats, pending: list) -> None:
    """Tiers 2-3 on non-NaN inputs x with results y and reference r; what
    they leave undecided goes to ``pending``, for mpmath."""
    u = _UINT[dtype]
    with np.errstate(over="ignore", invalid="ignore"):
        # Tier 2, fast: both ends round to y. The ends are r (1 -+ B') with
        # no A: where |r| < 2^-1000, r -+ (|r| B + A) and r (1 -+ B') all lie
        # within 2^-999 of 0, and round to +-0 in float16/32 alike.
        yb = y.view(u)
        fast = (r * (1 + _B_USED)).astype(dtype).view(u) == yb
        fast &= (r * (1 - _B_USED)).astype(dtype).view(u) == yb
    n_fast = int(np.count_nonzero(fast))
    if n_fast:
        stats.float64_decided += n_fast
        y64 = y.astype(np.float64)
        with np.errstate(invalid="ignore"):  # inf - inf where y is an infinity
            ulp = np.abs(y64 - r)
            ulp /= _unit(y64, dtype)
        if n_fast < x.size:
            ulp[~fast] = 0.0
        stats.worst(ulp, bits)
        if n_fast == x.size:
            return
        rest = np.flatnonzero(~fast)
        x, y, bits, r = x[rest], y[rest], bits[rest], r[rest]
    left = np.ones(x.shape, bool)
    if _series_applies(cfg, dtype):  # tier 3 first where it applies: sharper
        tiny = (x < 0) & (x >= -SERIES_REACH)
        if tiny.any():
            idx = np.flatnonzero(tiny)
            f3, n3, near3, v3 = _series_decision(cfg, x[idx], y[idx], dtype)
            ok3 = (f3 >= 0) & (n3 >= 0)
            idx = idx[ok3]
            stats.series_decided += int(idx.size)
            _score(
                dtype, y[idx], v3[ok3], near3[ok3], f3[ok3], n3[ok3], bits[idx], stats
            )
            left[idx] = False
    if not left.all():
        idx = np.flatnonzero(left)
        x, y, bits, r = x[idx], y[idx], bits[idx], r[idx]
    if x.size == 0:
        return
    with np.errstate(over="ignore", invalid="ignore"):
        rad = np.abs(r) * _B_USED + A_ABS
        lo, hi = r - rad, r + rad
    faithful, nearest, near = _interval_decision(y, lo, hi, dtype)
    done = (faithful >= 0) & (nearest >= 0)
    if done.any():
        stats.float64_decided += int(np.count_nonzero(done))
        _score(
            dtype,
            y[done],
            r[done],
            near[done],
            faithful[done],
            nearest[done],
            bits[done],
            stats,
        )
    if not done.all():
        left = ~done
        pending.append((x[left], y[left], r[left], bits[left]))


def _score(dtype, y, v, near, faithful, nearest, bits, stats: Stats) -> None:
    """Count a decided batch; ULP error |y - v| in ULPs of the nearest float."""
    stats.fail(faithful == 1, nearest == 1, bits)
    with np.errstate(over="ignore", invalid="ignore"):
        y64 = y.astype(np.float64)
        ulp = np.abs(y64 - v) / _unit(np.abs(near), dtype)
        # The infinity, for a value past the overflow threshold, is exact.
        ulp = np.where(np.isinf(y64) & (nearest == 1), 0.0, ulp)
        ulp = np.where(np.isnan(ulp), np.inf, ulp)
    stats.worst(ulp, bits)


def score_pending(cfg: Config, dtype, pending: list, stats: Stats) -> None:
    """Tier 4: decide the inputs that tiers 1-3 left, with mpmath."""
    if pending:
        x, y, r, bits = (np.concatenate(a) for a in zip(*pending, strict=True))
        pending.clear()
        _score_mpmath(cfg, dtype, x, y, r, bits, stats)


def _score_mpmath(cfg: Config, dtype, x, y, r, bits, stats: Stats) -> None:
    values = _exact_values(cfg, x, dtype)
    stats.mpmath_decided += len(values)
    stats.max_reference_error = max(
        stats.max_reference_error, _reference_error(cfg, r, values, x)
    )
    faithful = numerics.faithfully_rounded(y, values)
    same = y == _nearest_mp(values, dtype)
    stats.fail(faithful, same, bits)
    stats.worst(numerics.ulp_error(y, values), bits)


def _reference_error(cfg: Config, r, values, x) -> float:
    """The largest relative error of r against exact values of at least
    2^-1022 (below, only the absolute bound means anything); raises
    ReferenceBoundError past |r| B + A anywhere."""
    worst = 0.0
    with mpmath.workdps(DPS):
        for ri, v, z in zip(r.tolist(), values, x.tolist(), strict=True):
            err = abs(mpmath.mpf(ri) - v)
            if err > abs(mpmath.mpf(ri)) * B + A_ABS:
                raise ReferenceBoundError(
                    f"{cfg.label} at z = {z!r}: the float64 reference {ri!r} is "
                    f"{mpmath.nstr(err, 5)} from the exact {mpmath.nstr(v, 20)}, "
                    "beyond |r| 2^-40 + 2^-1070"
                )
            if abs(v) >= _NORMAL64:
                worst = max(worst, float(err / abs(v)))
    return worst


# --------------------------------------------------------------------------
# Every input, in chunks, on several processes

SUB = 1 << 14  # inputs per block: its float64 temporaries stay in the L2 cache


def _run_chunk(task: tuple[str, int, int]) -> tuple[str, dict]:
    name, start, count = task
    dtype = _DTYPES[name]
    out = {cfg: Stats() for cfg in CONFIGS}
    pending: dict = {cfg: [] for cfg in CONFIGS}
    for lo in range(start, start + count, SUB):
        hi = min(lo + SUB, start + count)
        block = Block(dtype, np.arange(lo, hi, dtype=np.int64).astype(_UINT[dtype]))
        for cfg in CONFIGS:
            out[cfg].merge(check_block(cfg, block, pending[cfg]))
    for cfg in CONFIGS:
        score_pending(cfg, dtype, pending[cfg], out[cfg])
    return name, out


def chunks(name: str, chunk: int) -> list[tuple[str, int, int]]:
    """(dtype name, first bit pattern, count): every pattern once, each chunk
    of one sign (so at most half the patterns)."""
    total = 1 << _BITS[_DTYPES[name]]
    chunk = min(chunk, total // 2)
    return [(name, start, chunk) for start in range(0, total, chunk)]


def verify(
    names: Iterable[str] = ("float16", "float32"),
    *,
    processes: int = 2,
    chunk: int = 1 << 22,
    progress: bool = False,
) -> dict[tuple[str, str], Stats]:
    """Check every config on every input of each dtype; (label, dtype) -> Stats.

    Memory is bounded by the chunk (2^22 inputs: 16 MiB of float32) and the
    block temporaries, per process.
    """
    tasks = [t for name in names for t in chunks(name, chunk)]
    results = {(cfg.label, name): Stats() for name in names for cfg in CONFIGS}
    start = time.perf_counter()

    def fold(done: Iterator) -> None:
        for i, (name, out) in enumerate(done, 1):
            for cfg, stats in out.items():
                results[cfg.label, name].merge(stats)
            if progress and (i % 64 == 0 or i == len(tasks)):
                print(
                    f"  {i}/{len(tasks)} chunks, {time.perf_counter() - start:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )

    if processes == 1:
        fold(map(_run_chunk, tasks))
    else:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            fold(pool.imap_unordered(_run_chunk, tasks))
    return results


# --------------------------------------------------------------------------
# The bound on the float64 reference, checked on hard and random inputs


#: Where NumPy's expm1/exp switch algorithms or float32/float64 results underflow.
BREAKPOINTS = (-math.log(2) / 2, -math.log(2), -0.5, -0.25, -17.33, -37.4, -103.97)


def reference_sample(seed: int = 2024, n: int = 1000) -> np.ndarray:
    """float32 inputs where the float64 reference is most likely to err, and
    random ones: every binade of tiny z, the whole unsaturated range at
    random (by bit pattern and by value), z/1.5 near -170 (celu_grad's
    largest argument error), the expm1/exp algorithm breakpoints, and
    float16's range where exp(z) is subnormal or 0 in float64."""
    rng = np.random.default_rng(seed)
    top = int(np.float32(-SATURATED).view(np.uint32))
    binades = -np.arange(1, 150, max(1, 1000 // n))  # all of them for n >= 1000
    near = max(2, n // 50)
    parts = [
        -np.ldexp(1.0, binades),
        -np.ldexp(rng.uniform(1, 2, binades.size), binades),
        rng.integers(0x80000000, top, n).astype(np.uint32).view(np.float32),
        rng.uniform(-SATURATED, 0, n),
        rng.uniform(-SATURATED, -200, n // 4),
        rng.uniform(-1e-3, 0, n // 4),
        np.concatenate([c + rng.uniform(-1e-3, 1e-3, near) for c in BREAKPOINTS]),
        rng.uniform(-1125, -1055, n // 4),  # t = z/1.5 in [-750, -703]
        rng.uniform(-750, -703, n // 4),
        rng.uniform(1, 3.4e38, n // 4),
        [-65504.0, -256.0, -0.0],
    ]
    return np.concatenate([np.asarray(p, np.float64) for p in parts]).astype(np.float32)


def check_reference(seed: int = 2024, n: int = 1000) -> dict[str, float]:
    """Largest relative error of the float64 reference against 50-digit
    mpmath on :func:`reference_sample`, per config (raises if past the bound)."""
    x = reference_sample(seed, n)
    out = {}
    for cfg in CONFIGS:
        r = _reference64(cfg, x)
        with mpmath.workdps(DPS):
            values = [cfg.exact(z) for z in x.astype(np.float64).tolist()]
        out[cfg.label] = _reference_error(cfg, r, values, x)
    return out


# --------------------------------------------------------------------------
# float64 elu_grad with alpha != 1 around its kernel's thresholds

STRESS_ALPHAS = (1.5, 0.5, 1.9999999999, 3.7, 1e-3, 1e300)


def stress_points(alpha: float, seed: int = 2024, n: int = 4000) -> np.ndarray:
    """z around elu_grad's float64 thresholds for ``alpha``: where
    alpha e^z crosses 2^-1022 (exp's result turns subnormal) and 2^-1074
    (it underflows), the clamp at -2000, tiny |z|, where exp's argument
    z + log(alpha) crosses 0, and random z in [-745, 0]."""
    rng = np.random.default_rng(seed)
    la = math.log(alpha)
    centres = [-1022 * math.log(2) - la, -1074 * math.log(2) - la, -2000.0, -la]
    parts = [rng.uniform(c - 3, c + 3, n // 4) for c in centres]
    parts += [rng.uniform(-745 - la, 0, n // 4)]
    parts += [-np.logspace(-320, 0, n // 8), [-0.0, 0.0, -np.inf]]
    return np.concatenate([np.asarray(p, np.float64) for p in parts])


def float64_stress(seed: int = 2024, n: int = 4000) -> list[dict]:
    """Worst ULP error and unfaithful results of float64 elu_grad, per alpha."""
    out = []
    for alpha in STRESS_ALPHAS:
        cfg = Config("elu_grad", alpha)
        z = stress_points(alpha, seed, n)
        y = cfg(z)
        with mpmath.workdps(DPS):
            values = [cfg.exact(v) for v in z.tolist()]
        ulp = numerics.ulp_error(y, values)
        faithful = numerics.faithfully_rounded(y, values)
        bad = z[~faithful]
        worst = int(np.argmax(ulp))
        out.append(
            {
                "function": "elu_grad",
                "alpha": alpha,
                "dtype": "float64",
                "inputs": int(z.size),
                "worst_ulp": round(float(ulp[worst]), 4),
                "worst_ulp_input": float(z[worst]),
                "not_faithful": int(bad.size),
                "not_faithful_range": [float(bad.min()), float(bad.max())]
                if bad.size
                else None,
                "not_faithful_examples": sorted(bad.tolist())[:EXAMPLES],
                "above_1_ulp": int(np.count_nonzero(ulp > 1)),
            }
        )
    return out


# --------------------------------------------------------------------------
# The record

#: What the library computed: a fresh run must match the record in these.
COMPARED = (
    "inputs",
    "nan_inputs",
    "worst_ulp",
    "not_correctly_rounded",
    "not_faithful",
    "not_correctly_rounded_examples",
    "not_faithful_examples",
)
#: How the checker decided, which depends on NumPy's float64 exp/expm1 (SVML
#: or glibc, by CPU): compared only on the platform that wrote the record.
#: (Checked: on this machine with AVX512 dispatch off, NPY_DISABLE_CPU_FEATURES,
#: one celu(alpha=1.5) input moved from mpmath to float64; COMPARED held.)
PLATFORM_COMPARED = (
    "worst_ulp_input",
    "exact_decided",
    "float64_decided",
    "series_decided",
    "mpmath_decided",
)
ULP_DIGITS = 6  # worst_ulp is compared to 2e-6: r is within 2^-16 ULP of exact


def entries(results: dict[tuple[str, str], Stats]) -> list[dict]:
    """The record's rows: one per function, alpha and dtype, in CONFIGS order."""
    rows = []
    for name in ("float32", "float16"):
        for cfg in CONFIGS:
            st = results.get((cfg.label, name))
            if st is None:
                continue
            width = _BITS[_DTYPES[name]] // 4

            def hx(b: int, width=width) -> str:
                return f"0x{b:0{width}x}"

            rows.append(
                {
                    "function": cfg.function,
                    "alpha": cfg.alpha,
                    "dtype": name,
                    "inputs": st.inputs,
                    "nan_inputs": st.nan_inputs,
                    "worst_ulp": st.worst_ulp,
                    "worst_ulp_input": hx(st.worst_bits)
                    if st.worst_bits >= 0
                    else None,
                    "not_correctly_rounded": st.not_correctly_rounded,
                    "not_faithful": st.not_faithful,
                    "exact_decided": st.exact_decided,
                    "float64_decided": st.float64_decided,
                    "series_decided": st.series_decided,
                    "mpmath_decided": st.mpmath_decided,
                    "not_correctly_rounded_examples": [
                        hx(b) for b in st.not_correctly_rounded_examples
                    ],
                    "not_faithful_examples": [hx(b) for b in st.not_faithful_examples],
                    "max_reference_error": st.max_reference_error,
                }
            )
    return rows


def _key(row: dict) -> tuple:
    return row["function"], row["alpha"], row["dtype"]


def compare(
    fresh: list[dict], recorded: list[dict], fields: tuple = COMPARED
) -> list[str]:
    """What differs between fresh rows and the record's (empty if nothing).

    Every fresh row must be in the record with the same ``fields``
    (worst_ulp to 2 10^-6); the record may hold rows this run did not make."""
    old = {_key(r): r for r in recorded}
    problems = []
    for row in fresh:
        rec = old.get(_key(row))
        if rec is None:
            problems.append(f"{_key(row)}: not in the record")
            continue
        for f in fields:
            a, b = row[f], rec.get(f)
            same = (
                abs(a - b) <= 2 * 10.0**-ULP_DIGITS
                if f == "worst_ulp" and b is not None
                else a == b
            )
            if not same:
                problems.append(f"{_key(row)}: {f} is {a!r}, the record says {b!r}")
    return problems


def compare_stress(fresh: list[dict], recorded: list[dict] | None) -> list[str]:
    keys = ("alpha", "inputs", "worst_ulp", "not_faithful", "above_1_ulp")
    if [[s[k] for k in keys] for s in fresh] == [
        [s[k] for k in keys] for s in recorded or []
    ]:
        return []
    return ["float64_elu_grad_stress differs from the record"]


def read_record(path: Path = RECORD) -> dict:
    return json.loads(path.read_text())


def _platform() -> dict:
    from numpy._core._multiarray_umath import __cpu_features__ as features

    simd = [k for k in ("AVX512_SKX", "AVX512F", "AVX2", "FMA3") if features.get(k)]
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mpmath": mpmath.__version__,
        "machine": platform.machine(),
        "libc": " ".join(platform.libc_ver()),
        "simd": simd,
    }


def write_record(rows, stress, reference, path: Path = RECORD) -> None:
    """Write (or update: rows of dtypes not checked now are kept) the record."""
    old = read_record(path) if path.exists() else {}
    fresh = {_key(r) for r in rows}
    kept = [r for r in old.get("results", []) if _key(r) not in fresh]
    order = {(c.function, c.alpha): i for i, c in enumerate(CONFIGS)}
    results = sorted(
        kept + rows,
        key=lambda r: (r["dtype"] != "float32", order[r["function"], r["alpha"]]),
    )
    record = {
        "about": (
            "Every float32 and float16 input of elu_lib's ELU family, judged "
            "against the exact value; written by tools/verify_exhaustive.py "
            "--write, checked by every run of it (make verify) and, for "
            "float16, by tests/lib/test_exhaustive_float16.py."
        ),
        "criteria": {
            "faithful": "the result is one of the two floats of its dtype that "
            "bracket the exact value (equal to it if it is a float)",
            "correctly_rounded": "the result is the exact value rounded to "
            "nearest, ties to even",
            "worst_ulp": "|result - exact| in ULPs of the exact value rounded to "
            "the dtype (numpy.spacing), measured against the float64 reference "
            "(to 2^-16 ULP) or mpmath",
            "special": "NaN in gives NaN out; elu, celu, selu keep the sign of "
            "z (-0.0 gives -0.0); derivatives are >= 0 (+0.0 when they underflow) "
            "and take the z <= 0 branch at z = +-0",
            "decided": "exact_decided + float64_decided + series_decided + "
            "mpmath_decided + nan_inputs + (results with a wrong sign or NaN) "
            "= inputs",
        },
        "reference_bound": {
            "relative": "2^-40",
            "absolute": "2^-1070",
            "argument": BOUND_ARGUMENT,
            "spot_check_max_relative_error": reference,
        },
        "results": results,
        "float64_elu_grad_stress": stress
        if stress is not None
        else old.get("float64_elu_grad_stress"),
        "platform": _platform(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")


def _table(rows: list[dict]) -> str:
    head = (
        f"{'function':22} {'dtype':8} {'inputs':>11} {'worst ULP':>10} "
        f"{'not CR':>10} {'not faithful':>12} {'mpmath':>7}"
    )
    lines = [head]
    for r in rows:
        label = r["function"] + (
            "" if r["alpha"] is None else f"(alpha={r['alpha']:g})"
        )
        lines.append(
            f"{label:22} {r['dtype']:8} {r['inputs']:>11} {r['worst_ulp']:>10.7f} "
            f"{r['not_correctly_rounded']:>10} {r['not_faithful']:>12} "
            f"{r['mpmath_decided']:>7}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtype", choices=["float16", "float32", "all"], default="all")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--chunk-bits", type=int, default=22)
    parser.add_argument("--record", type=Path, default=RECORD)
    parser.add_argument("--write", action="store_true", help="rewrite the record")
    args = parser.parse_args(argv)
    names = ["float16", "float32"] if args.dtype == "all" else [args.dtype]
    start = time.perf_counter()
    reference = check_reference()
    print(
        f"float64 reference against mpmath: largest relative error "
        f"2^{math.log2(max(reference.values())):.1f} (bound 2^-40)"
    )
    results = verify(
        names, processes=args.processes, chunk=1 << args.chunk_bits, progress=True
    )
    elapsed = time.perf_counter() - start
    rows = entries(results)
    stress = float64_stress() if args.dtype == "all" else None
    print(_table(rows))
    if stress:
        for s in stress:
            print(
                f"float64 elu_grad(alpha={s['alpha']:g}) stress: {s['inputs']} "
                f"inputs, worst {s['worst_ulp']} ULP at z = {s['worst_ulp_input']!r}, "
                f"{s['not_faithful']} not faithful"
            )
    print(
        f"{sum(r['inputs'] for r in rows) // len(CONFIGS)} inputs x {len(CONFIGS)} "
        f"functions in {elapsed:.0f} s on {args.processes} processes"
    )
    unfaithful = [r for r in rows if r["not_faithful"]]
    status = 0
    for r in unfaithful:
        print(
            f"NOT FAITHFUL: {_key(r)}: {r['not_faithful']} inputs, e.g. "
            f"{r['not_faithful_examples']}",
            file=sys.stderr,
        )
        status = 1
    if args.write:
        write_record(rows, stress, reference, args.record)
        print(f"wrote {args.record}")
    else:
        record = read_record(args.record)
        problems = compare(rows, record["results"])
        notes = compare(rows, record["results"], PLATFORM_COMPARED)
        if stress is not None:
            notes += compare_stress(stress, record.get("float64_elu_grad_stress"))
        if record.get("platform") == _platform():
            problems, notes = problems + notes, []
        for p in notes:
            print(f"note (the record was written on {record.get('platform')}): {p}")
        for p in problems:
            print(f"DIFFERS FROM {args.record}: {p}", file=sys.stderr)
        if problems:
            print(
                "Rerun with --write if the change is intended, and commit the record.",
                file=sys.stderr,
            )
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
