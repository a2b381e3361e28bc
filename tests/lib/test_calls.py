"""How the public functions are called: errors name the function, and the
byte order of the input does not change the result."""

from __future__ import annotations

import numpy as np
import pytest

from elu_lib import activations as A
from elu_lib.registry import FUNCTION_NAMES


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: A.elu([1.0], beta=2), r"^elu: got an unexpected keyword"),
        (lambda: A.elu(), r"^elu: missing a required argument: 'z'"),
        (lambda: A.selu([1.0], 2), r"^selu: too many positional arguments"),
    ],
)
def test_a_malformed_call_names_the_function(call, message):
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize("fname", FUNCTION_NAMES)
def test_big_endian_input_gives_the_native_result(fname):
    rng = np.random.default_rng(7)
    z = np.concatenate([rng.standard_normal(1000) * 50, [-0.0, np.inf, np.nan]])
    f = getattr(A, fname)
    params = {"alpha": 0.3} if fname.startswith(("elu", "celu")) else {}
    native = f(z, **params)
    swapped = f(z.astype(">f8"), **params)
    assert swapped.dtype == np.float64 and swapped.dtype.isnative
    np.testing.assert_array_equal(swapped.view(np.uint64), native.view(np.uint64))
