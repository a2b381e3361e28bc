"""elu_lib: exact, fast, well-behaved ELU and its neighbouring activations.

Every activation and its derivative, e.g. ``elu_lib.elu`` and
``elu_lib.elu_grad``, comes from :mod:`elu_lib.activations`; the list of
them lives in :mod:`elu_lib.registry`.
"""

from elu_lib.activations import *  # noqa: F403  (every function)
from elu_lib.activations import SELU_ALPHA, SELU_SCALE
from elu_lib.registry import FUNCTION_NAMES

__all__ = ["SELU_ALPHA", "SELU_SCALE", *FUNCTION_NAMES]
