"""elu_lib.pagechecks: a failing check fails the cell, and the box lists them."""

from __future__ import annotations

import numpy as np
import pytest

from elu_lib.pagechecks import PageChecks


def test_a_false_element_fails_with_the_claim():
    checks = PageChecks()
    with pytest.raises(AssertionError, match="all positive"):
        checks.that(np.array([1.0, -1.0]) > 0, "all positive")
    assert len(checks) == 0


def test_close_states_its_tolerance_and_counts_values():
    checks = PageChecks()
    checks.close(np.ones(3), np.ones(3) + 1e-12, "ones", rtol=1e-11)
    with pytest.raises(AssertionError, match="tight"):
        checks.close(np.ones(3), np.ones(3) + 1e-12, "tight", rtol=1e-14)
    box = checks.summary()._repr_markdown_()
    assert "hidden cells ran 1 checks" in box and "- ones (3 values)" in box
    assert box.startswith(":::{admonition} What this page checks")
    assert box.endswith(":::")


@pytest.mark.parametrize("claim", ["", "   ", None, 3])
def test_a_claim_must_say_something(claim):
    with pytest.raises(TypeError, match="claim must be a non-empty string"):
        PageChecks().that(True, claim)
