"""Argument checks for all of elu_lib: one message style, naming the argument.

Every message reads ``"<function>: <argument> must be <what>, got <value>"``,
so that a user sees which call and which argument went wrong.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike


def real_array(fname: str, z: ArrayLike) -> tuple[np.ndarray, np.dtype]:
    """``z`` as an array, and the result's dtype: float16/32/64 keep theirs,
    bool and int give float64. Anything else raises TypeError."""
    x = np.asarray(z)
    if x.dtype.kind in "biu":
        return x, np.dtype(np.float64)
    if x.dtype.kind == "f" and x.dtype.itemsize <= 8:
        return x, x.dtype.newbyteorder("=")  # big-endian in, native out
    raise TypeError(
        f"{fname}: z must hold real numbers (float16/32/64, int or bool), "
        f"got dtype {x.dtype}"
    )


def real(
    fname: str,
    pname: str,
    value,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    closed: bool = False,
) -> float:
    """``value`` as a Python float: finite and in (low, high), or in
    [low, high) if ``closed``. bool is not a number here."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{fname}: {pname} must be a real number, got {type(value).__name__}"
        )
    v = float(value)
    above = v >= low if closed else v > low
    if not (math.isfinite(v) and above and v < high):
        if high < math.inf:
            need = f"in {'[' if closed else '('}{low:g}, {high:g})"
        elif low > -math.inf:
            need = f"a finite number {'>=' if closed else '>'} {low:g}"
        else:
            need = "a finite number"
        raise ValueError(f"{fname}: {pname} must be {need}, got {v!r}")
    return v


def integer(fname: str, pname: str, value, minimum: int) -> int:
    """``value`` as an int >= ``minimum``; bool is not an integer here."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{fname}: {pname} must be an integer, got {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"{fname}: {pname} must be >= {minimum}, got {value}")
    return int(value)
