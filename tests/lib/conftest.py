"""Setup for the library's tests, which import only elu_lib's runtime dependencies.

Nothing from the book's stack (nbformat, PyYAML, Jupyter Book...) may be
imported here or in any test beside this file: `make test-lib` runs them in an
environment without it.
"""

from __future__ import annotations

import matplotlib
import mpmath
import pytest

# Figures are drawn off screen, identically with or without a display.
matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def mpmath_precision_is_left_alone():
    """Fail a test that leaves mpmath's global precision changed.

    A test (or an elu_lib function) that sets ``mpmath.mp.dps`` changes every
    later mpmath result in the process: use ``mpmath.workdps`` instead.
    """
    before = mpmath.mp.prec
    yield
    after, mpmath.mp.prec = mpmath.mp.prec, before
    assert after == before, f"mpmath.mp.prec changed from {before} to {after}"
