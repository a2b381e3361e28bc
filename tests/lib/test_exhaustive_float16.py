"""Every float16 input of the ELU family, judged against the exact value.

This is the float16 part of ``tools/verify_exhaustive.py`` (``make verify``
checks all 2^32 float32 inputs too): ``elu``, ``elu_grad``, ``celu``,
``celu_grad`` with alpha = 1 and 1.5, ``selu`` and ``selu_grad``, on all 65,536
float16 bit patterns, each result judged faithful (one of the two floats that
bracket the exact value) and correctly rounded. Its counts must equal those
in ``records/exhaustive.json``, which the book shows. The other tests show
that the checker catches what it is there to catch.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest

from elu_lib import numerics

ROOT = Path(__file__).resolve().parents[2]


def _load_verifier():
    path = ROOT / "tools" / "verify_exhaustive.py"
    spec = importlib.util.spec_from_file_location("verify_exhaustive", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


V = _load_verifier()
ALL16 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
NEGATIVE16 = ALL16[1 << 15 :]


@pytest.fixture(scope="module")
def float16_rows() -> list[dict]:
    return V.entries(V.verify(["float16"], processes=1))


def test_every_float16_result_is_faithful(float16_rows):
    assert [(r["function"], r["alpha"]) for r in float16_rows] == [
        (c.function, c.alpha) for c in V.CONFIGS
    ]
    for row in float16_rows:
        assert row["inputs"] == 1 << 16, row
        assert row["not_faithful"] == 0, row
        decided = sum(
            row[k]
            for k in (
                "exact_decided",
                "float64_decided",
                "series_decided",
                "mpmath_decided",
            )
        )
        assert decided + row["nan_inputs"] == row["inputs"], row


def test_float16_counts_match_the_record(float16_rows):
    assert V.compare(float16_rows, V.read_record()["results"]) == []


def test_record_covers_every_input_and_every_result_is_faithful():
    rows = V.read_record()["results"]
    expected = {
        (c.function, c.alpha, d) for c in V.CONFIGS for d in ("float16", "float32")
    }
    assert {(r["function"], r["alpha"], r["dtype"]) for r in rows} == expected
    for row in rows:
        assert row["inputs"] == 1 << (32 if row["dtype"] == "float32" else 16)
        assert row["not_faithful"] == 0, row
        assert row["worst_ulp"] < 1.0, row


def test_reference_is_within_its_bound_on_hard_inputs():
    errors = V.check_reference(n=100)  # raises ReferenceBoundError past the bound
    assert set(errors) == {c.label for c in V.CONFIGS}
    assert max(errors.values()) < 2.0**-50  # the bound, 2^-40, is 1000x this


def test_tiers_agree_with_mpmath_on_every_decision():
    # Inputs for every tier: random float32 ones, tiny ones (the series tier),
    # ones near 0 and -256, the specials, and z = -k 2^-25 and -3k 2^-26
    # (k odd), where e^z and e^(z/1.5) lie within 2^-40 of a float32
    # midpoint (mpmath). mpmath then decides them all again, one by one.
    rng = np.random.default_rng(7)
    k = np.arange(1, 40, 2)
    bits = np.concatenate(
        [
            rng.integers(0, 1 << 32, 150, dtype=np.int64),
            0x80000000 + rng.integers(1, 0x0C000000, 50),  # |z| < 2^-103
            np.arange(0xC37FFFF0, 0xC3800010),  # around -256
            [0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x3F800000],
            np.float32(np.concatenate([-k * 2.0**-25, -3 * k * 2.0**-26])).view(
                np.uint32
            ),
        ]
    ).astype(np.uint32)
    x = bits.view(np.float32)
    finite = ~np.isnan(x)
    tiers = {"series_decided": 0, "mpmath_decided": 0}
    for cfg in V.CONFIGS:
        stats = V.check_block(cfg, V.Block(np.float32, bits))
        for tier in tiers:
            tiers[tier] += getattr(stats, tier)
        y = cfg(x)[finite]
        with mpmath.workdps(50):
            exact = [cfg.exact(z) for z in x[finite].astype(np.float64).tolist()]
        faithful = numerics.faithfully_rounded(y, exact)
        nearest = y == V._nearest_mp(exact, np.float32)
        assert stats.not_faithful == np.count_nonzero(~faithful), cfg.label
        assert stats.not_correctly_rounded == np.count_nonzero(~nearest), cfg.label
        worst = float(numerics.ulp_error(y, exact).max())
        assert stats.worst_ulp == pytest.approx(worst, abs=2.0**-16), cfg.label
    assert tiers["series_decided"] > 0 and tiers["mpmath_decided"] > 0, tiers


class _Altered(V.Config):
    """The library's function with its results changed by ``alter``."""

    def __init__(self, function, alpha, alter):
        super().__init__(function, alpha)
        object.__setattr__(self, "alter", alter)

    def __call__(self, x):
        return self.alter(x, super().__call__(x))


def _check16(cfg) -> V.Stats:
    return V.check_block(cfg, V.Block(np.float16, ALL16))


def test_a_result_two_floats_away_is_not_faithful():
    def two_up(x, y):
        out = y.copy()
        hit = (x < -1) & (x > -2)
        up = np.nextafter(y[hit], np.float16(np.inf))
        out[hit] = np.nextafter(up, np.float16(np.inf))
        return out

    x = ALL16.view(np.float16)
    moved = int(np.count_nonzero((x < -1) & (x > -2)))
    stats = _check16(_Altered("elu", 1.5, two_up))
    assert stats.not_faithful == stats.not_correctly_rounded == moved
    assert stats.worst_ulp > 1.0


def test_the_other_bracketing_float_is_faithful_but_not_correctly_rounded():
    def other_side(x, y):
        # Away from the nearest float, towards the exact value: the other
        # float that brackets it (the float64 value shows the side).
        r = V._reference64(V.Config("elu_grad", 1.5), x)
        with np.errstate(invalid="ignore"):
            side = np.where(r > y, np.float16(np.inf), np.float16(-np.inf))
        out = y.copy()
        hit = (x < -0.5) & (x > -8)
        out[hit] = np.nextafter(y[hit], side[hit])
        return out

    x = ALL16.view(np.float16)
    moved = int(np.count_nonzero((x < -0.5) & (x > -8)))
    stats = _check16(_Altered("elu_grad", 1.5, other_side))
    assert stats.not_faithful == 0
    assert stats.not_correctly_rounded == moved
    assert 0.5 < stats.worst_ulp < 1.0


def test_a_wrong_signed_zero_and_a_lost_nan_are_caught():
    def unsigned_zero(x, y):
        return np.where(y == 0, np.float16(0.0), y)  # -0.0 becomes +0.0

    def nan_to_zero(x, y):
        return np.nan_to_num(y, nan=0.0)

    assert _check16(_Altered("selu", None, unsigned_zero)).not_faithful == 1
    stats = _check16(_Altered("celu_grad", 1.5, nan_to_zero))
    assert stats.not_faithful == stats.nan_inputs == 2046


def test_the_naive_formula_in_float16_is_caught():
    def naive(x, y):
        with np.errstate(all="ignore"):
            return np.where(x > 0, x, np.float16(1.5) * (np.exp(x) - np.float16(1)))

    stats = V.check_block(_Altered("elu", 1.5, naive), V.Block(np.float16, NEGATIVE16))
    assert stats.not_faithful > 1000  # exp(z) - 1 cancels near 0
    assert stats.worst_ulp > 100
