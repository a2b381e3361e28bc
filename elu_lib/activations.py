r"""ELU and its neighbours in NumPy: each body is the formula, to copy.

Every activation ``f`` comes with its derivative ``f_grad`` (d/dz). The body
of each function below *is* its formula in plain NumPy (for an ndarray
``z``), the line to copy into your own code; where the plain formula falls
short of the library (accuracy far out, a warning), the docstring says so.
The library does not run that line as it stands: the :func:`_elementwise`
decorator runs an exact kernel from :mod:`elu_lib._kernels` instead, block
by block (:mod:`elu_lib._blocks`), and keeps the body as ``f.formula``. The
tests check that the two agree.
The maths itself is written down once, as SymPy expressions, in
:mod:`elu_lib.symbolic`.

Conventions shared by every function
------------------------------------
* **Input.** ``z`` is anything :func:`numpy.asarray` accepts: a scalar, a
  list, an array of any shape (0-d and empty included). ``z`` is never
  written to, and the result never shares memory with it.
* **dtype.** float16, float32 and float64 keep their dtype; bool and integer
  input gives float64. A scalar or 0-d array gives a NumPy scalar.
* **NaN** in gives NaN out. No input, finite or infinite, makes a function
  warn or trip ``np.errstate(all="raise")``.
* **Errors.** Complex, string, object, datetime and ``longdouble`` input
  raises :class:`TypeError`; so does a parameter that is not a real number.
  A parameter out of range raises :class:`ValueError`. Each message names
  the function and the argument.
* **At the kink** (z = 0) a derivative takes the z <= 0 branch, as PyTorch
  and :mod:`elu_lib.symbolic` do.
* **Signed zero.** ``elu``, ``celu``, ``selu`` and ``leaky_relu`` give -0.0
  for -0.0, and for a negative result too small for the dtype, as IEEE 754
  arithmetic and PyTorch do. ``relu`` gives +0.0 for every z <= 0, -0.0
  included, as IEEE 754-2019's maximum and JAX do (PyTorch gives -0.0).

Accuracy
--------
In ULPs of the result's dtype, against 50-digit mpmath, largest measured
(grids and random inputs in ``tests/lib/test_activations_accuracy.py``;
every float16 and float32 input of the ELU family, and a float64 stress set
around ``elu_grad``'s thresholds, in ``tools/verify_exhaustive.py``, whose
counts are in ``records/exhaustive.json``):

=====================================  =========  ==============
function                               float64    float16/32
=====================================  =========  ==============
``elu``, ``celu``, ``selu``            0.84       0.5 + 2^-29
``elu_grad``, ``celu_grad``,           1.26       0.5 + 2^-27
``selu_grad``
``sigmoid``, ``sigmoid_grad``,         0.72       0.5
``tanh_grad``
``tanh``                               1.19       0.5
``relu``, ``leaky_relu``, derivatives  0.5        0.5
=====================================  =========  ==============

Faithfully rounded (the result is one of the two floats that bracket the
exact value): ``elu``, ``celu``, ``selu``, ``sigmoid``, ``sigmoid_grad``
and ``tanh_grad`` in every dtype, and the whole ELU family on every float16
and float32 input. In float64, ``elu_grad`` with alpha != 1 is within 1.5
ULP, not faithful everywhere (a few inputs near z = -1022 ln 2 - ln alpha,
and some ordinary ones).

float16/32 are computed in float64 and rounded once; where that double
rounding meets a tie (``elu`` with alpha = 1.5 on tiny z), the result can miss
the nearest float by 2^-29 ULP. In float64, ELU and
CELU with ``alpha == 1`` take a fast path (NumPy's ``expm1``); any other
alpha, and SELU, use a double-double kernel, about 10x slower.
``python benchmarks/bench_elu.py`` times them against PyTorch.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from elu_lib import _kernels as K
from elu_lib._blocks import BLOCK, apply
from elu_lib._checks import real
from elu_lib.registry import FUNCTION_NAMES

__all__ = ["SELU_ALPHA", "SELU_SCALE", "BLOCK", *FUNCTION_NAMES]

# Klambauer et al. (2017), "Self-Normalizing Neural Networks", eq. (14).
_SELU_ALPHA_DIGITS = "1.6732632423543772848170429916717"
_SELU_SCALE_DIGITS = "1.0507009873554804934193349852946"
SELU_ALPHA: float = float(_SELU_ALPHA_DIGITS)
SELU_SCALE: float = float(_SELU_SCALE_DIGITS)
_SELU_COEF = (_SELU_SCALE_DIGITS, _SELU_ALPHA_DIGITS)  # lambda*alpha, unrounded

Result = np.ndarray | np.floating
_POSITIVE = functools.partial(real, low=0.0)


def _elementwise(kernels: Callable[..., tuple], **checks: Callable) -> Callable:
    """Turn a formula into a library function that runs ``kernels(**params)``.

    ``checks`` maps each parameter to its check (it names the function and
    the argument in its error). The formula stays reachable as ``.formula``.
    """

    def decorate(formula: Callable[..., np.ndarray]) -> Callable[..., Result]:
        name, signature = formula.__name__, inspect.signature(formula)

        @functools.wraps(formula)
        def function(*args, **kwargs) -> Result:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as e:  # e.g. an unknown keyword: say whose
                raise TypeError(f"{name}: {e}") from None
            bound.apply_defaults()
            params = {
                p: check(name, p, bound.arguments[p]) for p, check in checks.items()
            }
            return apply(name, bound.arguments["z"], *kernels(**params))

        function.formula = formula
        return function

    return decorate


# --------------------------------------------------------------------------
# The ELU family: one kernel, K.elu_family(coef, scale, divisor, grad), where
#   f(z) = scale * z for z > 0,  coef * expm1(z / divisor) for z <= 0,
# or, with grad, its derivative.


@_elementwise(lambda alpha: K.elu_family(alpha, 1.0, 1.0, False), alpha=_POSITIVE)
def elu(z: ArrayLike, alpha: float = 1.0) -> Result:
    r"""Exponential Linear Unit (Clevert, Unterthiner & Hochreiter, 2016).

    .. math::

        \mathrm{elu}(z) = \begin{cases}
            z, & z > 0 \\
            \alpha \left(e^{z} - 1\right), & z \le 0
        \end{cases}

    Args:
        z: pre-activations (see the module's conventions).
        alpha: the value approached as z -> -inf is ``-alpha``; > 0.

    Returns:
        ``elu(z)``: ``elu(+inf) = +inf``, ``elu(-inf) = -alpha``.

    Accuracy: faithfully rounded, for every alpha and dtype (measured
    figures: the module's table). The negative branch is ``expm1``, never
    ``exp(z) - 1``, which loses every digit near 0.

    See also: :func:`elu_grad`, :func:`celu`, :func:`selu`.

    >>> elu(np.array([-1.0, 0.0, 2.0]))
    array([-0.63212056,  0.        ,  2.        ])
    >>> float(elu(-np.inf, alpha=0.5))
    -0.5
    """
    return np.where(z > 0, z, alpha * np.expm1(np.where(z > 0, 0.0, z)))


@_elementwise(lambda alpha: K.elu_family(alpha, 1.0, 1.0, True), alpha=_POSITIVE)
def elu_grad(z: ArrayLike, alpha: float = 1.0) -> Result:
    r"""Derivative of :func:`elu`.

    .. math::

        \mathrm{elu}'(z) = \begin{cases}
            1, & z > 0 \\
            \alpha e^{z}, & z \le 0
        \end{cases}

    At z = 0 this is ``alpha``, the z <= 0 branch; TensorFlow's ``tf.nn.elu``
    (alpha = 1) returns 1 there. For z <= 0 it equals ``elu(z) + alpha``.

    Accuracy: within 1.5 ULP. alpha = 1 is NumPy's ``exp``; any other alpha
    is ``exp(z + log(alpha))`` with the argument kept exact.

    >>> elu_grad(np.array([-1.0, 0.0, 2.0]), alpha=2.0)
    array([0.73575888, 2.        , 1.        ])
    """
    return np.where(z > 0, 1.0, alpha * np.exp(np.where(z > 0, 0.0, z)))


@_elementwise(lambda alpha: K.elu_family(alpha, 1.0, alpha, False), alpha=_POSITIVE)
def celu(z: ArrayLike, alpha: float = 1.0) -> Result:
    r"""Continuously differentiable ELU (Barron, 2017).

    .. math::

        \mathrm{celu}(z) = \begin{cases}
            z, & z > 0 \\
            \alpha \left(e^{z/\alpha} - 1\right), & z \le 0
        \end{cases}

    Its derivative is 1 on both sides of 0 for every alpha; for alpha = 1 it
    is :func:`elu`. Args and returns as :func:`elu`.

    Accuracy: faithfully rounded; z/alpha is carried exactly as a
    double-double.

    >>> celu(np.array([-2.0, 0.0, 3.0]), alpha=2.0)
    array([-1.26424112,  0.        ,  3.        ])
    """
    return np.where(z > 0, z, alpha * np.expm1(np.where(z > 0, 0.0, z) / alpha))


@_elementwise(lambda alpha: K.elu_family(alpha, 1.0, alpha, True), alpha=_POSITIVE)
def celu_grad(z: ArrayLike, alpha: float = 1.0) -> Result:
    r"""Derivative of :func:`celu`.

    .. math::

        \mathrm{celu}'(z) = \begin{cases}
            1, & z > 0 \\
            e^{z/\alpha}, & z \le 0
        \end{cases}

    Both branches give 1 at z = 0. Accuracy: within 1.5 ULP. The formula
    below is not, far from 0: the rounding of z/alpha becomes a relative
    error of about |z/alpha| 2^-53 in the result (hundreds of ULPs at
    z/alpha = -500); the library carries z/alpha exactly.

    >>> celu_grad(np.array([-2.0, 0.0, 3.0]), alpha=2.0)
    array([0.36787944, 1.        , 1.        ])
    """
    return np.where(z > 0, 1.0, np.exp(np.where(z > 0, 0.0, z) / alpha))


@_elementwise(lambda: K.elu_family(_SELU_COEF, SELU_SCALE, 1.0, False))
def selu(z: ArrayLike) -> Result:
    r"""Scaled ELU (Klambauer, Unterthiner, Mayr & Hochreiter, 2017).

    .. math::

        \mathrm{selu}(z) = \lambda \begin{cases}
            z, & z > 0 \\
            \alpha \left(e^{z} - 1\right), & z \le 0
        \end{cases}

    with :data:`SELU_ALPHA` = 1.6732632423543772... and :data:`SELU_SCALE`
    (lambda) = 1.0507009873554804..., the paper's constants.

    Accuracy: faithfully rounded; lambda*alpha is carried from the paper's
    32 digits as a double-double, and z > 0 is one rounding of
    ``SELU_SCALE * z``.

    >>> selu(np.array([-1.0, 0.0, 1.0]))
    array([-1.11133074,  0.        ,  1.05070099])
    """
    return SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.where(z > 0, 0, z)))


@_elementwise(lambda: K.elu_family(_SELU_COEF, SELU_SCALE, 1.0, True))
def selu_grad(z: ArrayLike) -> Result:
    r"""Derivative of :func:`selu`.

    .. math::

        \mathrm{selu}'(z) = \lambda \begin{cases}
            1, & z > 0 \\
            \alpha e^{z}, & z \le 0
        \end{cases}

    At z = 0 this is lambda*alpha, the z <= 0 branch. Accuracy: within 1.5
    ULP.

    >>> selu_grad(np.array([-1.0, 0.0, 1.0]))
    array([0.6467686 , 1.75809934, 1.05070099])
    """
    return SELU_SCALE * np.where(z > 0, 1, SELU_ALPHA * np.exp(np.where(z > 0, 0, z)))


# --------------------------------------------------------------------------
# ReLU and Leaky ReLU: exact (one rounding, s*z, at most).


@_elementwise(lambda: K.leaky_family(0.0, False, relu=True))
def relu(z: ArrayLike) -> Result:
    r"""Rectified Linear Unit, :math:`\max(0, z)`. Exact; +0.0 for every
    z <= 0, -0.0 included.

    >>> relu(np.array([-1.5, 0.0, 2.5]))
    array([0. , 0. , 2.5])
    """
    return np.maximum(z, 0) + 0.0  # + 0.0: maximum(-0, 0) may give -0


@_elementwise(lambda: K.leaky_family(0.0, True, relu=True))
def relu_grad(z: ArrayLike) -> Result:
    r"""Derivative of :func:`relu`: 1 for z > 0, 0 for z <= 0 (ReLU has no
    derivative at 0; this is the z <= 0 branch, as in PyTorch, TensorFlow
    and JAX).

    >>> relu_grad(np.array([-1.5, 0.0, 2.5]))
    array([0., 0., 1.])
    """
    return np.heaviside(z, 0.0)


@_elementwise(lambda negative_slope: K.leaky_family(negative_slope, False),
              negative_slope=real)  # fmt: skip
def leaky_relu(z: ArrayLike, negative_slope: float = 0.01) -> Result:
    r"""Leaky ReLU (Maas, Hannun & Ng, 2013).

    .. math::

        \mathrm{leaky\_relu}(z) = \begin{cases}
            z, & z > 0 \\
            s z, & z \le 0
        \end{cases}

    Args:
        z: pre-activations.
        negative_slope: the slope s for z <= 0; any finite number, as in
            PyTorch. 0 gives ReLU up to the sign of zero (s z is -0 for
            z < 0); there the formula below gives NaN at z = -inf (0 * inf),
            the library -0.0.

    >>> leaky_relu(np.array([-2.0, 0.0, 3.0]), negative_slope=0.1)
    array([-0.2,  0. ,  3. ])
    """
    return np.where(z > 0, z, negative_slope * z)


@_elementwise(lambda negative_slope: K.leaky_family(negative_slope, True),
              negative_slope=real)  # fmt: skip
def leaky_relu_grad(z: ArrayLike, negative_slope: float = 0.01) -> Result:
    r"""Derivative of :func:`leaky_relu`: 1 for z > 0, ``negative_slope``
    for z <= 0 (as in PyTorch).

    >>> leaky_relu_grad(np.array([-2.0, 0.0, 3.0]), negative_slope=0.1)
    array([0.1, 0.1, 1. ])
    """
    t = np.heaviside(z, 0.0)  # 1 for z > 0, 0 for z <= 0, NaN for NaN
    return t + (1 - t) * negative_slope


# --------------------------------------------------------------------------
# Sigmoid and tanh


@_elementwise(lambda: K.logistic_family("sigmoid"))
def sigmoid(z: ArrayLike) -> Result:
    r"""Logistic sigmoid, :math:`\sigma(z) = 1 / (1 + e^{-z})`.

    Only e^-|z| <= 1 is ever computed, so nothing overflows (1 / (1 +
    np.exp(-z)) would, for z < -709), and for z < 0 the tail e^z / (1 + e^z)
    keeps full relative precision down to the smallest subnormal. Accuracy:
    faithfully rounded.

    >>> sigmoid(np.array([-800.0, -1.0, 0.0, 1.0, 800.0]))
    array([0.        , 0.26894142, 0.5       , 0.73105858, 1.        ])
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


@_elementwise(lambda: K.logistic_family("sigmoid_grad"))
def sigmoid_grad(z: ArrayLike) -> Result:
    r"""Derivative of :func:`sigmoid`.

    .. math::

        \sigma'(z) = \sigma(z)\left(1 - \sigma(z)\right)
        = \frac{e^{-|z|}}{\left(1 + e^{-|z|}\right)^2}

    Computed as sigma(-|z|) sigma(|z|) in double-double, so the tails keep
    full relative precision where sigma(1 - sigma) cancels to 0.
    Accuracy: faithfully rounded.

    >>> sigmoid_grad(np.array([-40.0, 0.0, 1.0]))
    array([4.24835426e-18, 2.50000000e-01, 1.96611933e-01])
    """
    return np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))) ** 2


@_elementwise(lambda: K.logistic_family("tanh"))
def tanh(z: ArrayLike) -> Result:
    r"""Hyperbolic tangent: NumPy's, within 1.5 ULP in float64.

    >>> tanh(np.array([-np.inf, 0.0, 0.5]))
    array([-1.        ,  0.        ,  0.46211716])
    """
    return np.tanh(z)


@_elementwise(lambda: K.logistic_family("tanh_grad"))
def tanh_grad(z: ArrayLike) -> Result:
    r"""Derivative of :func:`tanh`, :math:`1 - \tanh^2(z)`.

    Computed as 4 sigma'(2z) in double-double: 1 - tanh(z)^2 cancels to 0
    for |z| > 19, where the exact value is about 4 e^-2|z|. Accuracy:
    faithfully rounded.

    >>> tanh_grad(np.array([0.0, 1.0, 20.0]))
    array([1.00000000e+00, 4.19974342e-01, 1.69934170e-17])
    """
    return 1 - np.tanh(z) ** 2
