r"""Mean-field theory of a deep random network: the variance map, its fixed
point and the gradient gain :math:`\chi`.

The network is :math:`h^l = W^l f(h^{l-1}) + b^l` with independent weights
:math:`W^l_{ij} \sim \mathcal N(0, \sigma_w^2/n)` (``n`` the fan-in) and biases
:math:`b^l_i \sim \mathcal N(0, \sigma_b^2)`. As the width grows, each
pre-activation :math:`h^l_i` becomes a centred normal variable whose variance
:math:`q^l` follows the *variance map* (Poole et al., 2016)

.. math::

    q^{l} = \mathcal V(q^{l-1}) = \sigma_w^2\,
    \mathbb{E}_{z}\bigl[f(\sqrt{q^{l-1}}\,z)^2\bigr] + \sigma_b^2,
    \qquad z \sim \mathcal N(0, 1).

Backwards, the squared norm of the gradient with respect to the
pre-activations is multiplied, layer by layer, by

.. math::

    \chi(q) = \sigma_w^2\, \mathbb{E}_{z}\bigl[f'(\sqrt{q}\,z)^2\bigr]

(Schoenholz et al., 2017), *under the gradient-independence assumption*: the
weights used in the backward pass are treated as drawn independently of those
used in the forward pass. That ignores the correlation between the two (they
are the same matrix) and is exact only in the infinite-width limit; it also
ignores the finite width's fluctuations of :math:`q^l` from unit to unit.

Notation: :math:`\sigma_w^2` here, as in the papers, is ``n * Var(W_ij)``,
the argument ``weight_variance`` of every function. The book's notation
table keeps :math:`\sigma_w^2` for ``Var(W_ij)`` itself and writes this
product :math:`n\sigma_w^2` (chapter 7).

Every expectation here is a one-dimensional Gaussian integral, computed with
Gauss-Legendre quadrature split at :math:`z = 0` (where ELU with
:math:`\alpha \ne 1`, ReLU and Leaky ReLU have a kink), on pieces graded both
on the Gaussian's scale and on the activation's scale :math:`1/\sqrt q`, so
that the result is accurate to a few units in the last place of float64 for
:math:`q` from 1e-12 to 1e12. ``f`` may have a kink at 0 and nowhere else.

Functions
---------
* :func:`variance_map`, :math:`q \mapsto \mathcal V(q)`;
* :func:`fixed_point`, the :math:`q^*` the iteration of the map reaches;
* :func:`chi`, the gradient gain :math:`\chi(q)`;
* :func:`unit_gain_weight_variance`, the :math:`\sigma_w^2` with
  :math:`\chi(q) = 1` for an activation of :mod:`elu_lib.registry`;
* :func:`edge_of_chaos`, the :math:`(\sigma_w^2, \sigma_b^2)` with
  :math:`\chi(q^*) = 1` at a given fixed point :math:`q^*`.

References: Poole et al. (2016), *Exponential expressivity in deep neural
networks through transient chaos*; Schoenholz et al. (2017), *Deep information
propagation*; Hayou, Doucet & Rousseau (2019), *On the impact of the
activation function on deep neural networks training*.

Importing this module imports NumPy only.

Examples
--------
>>> import elu_lib
>>> from elu_lib import meanfield as mf
>>> round(mf.variance_map(elu_lib.relu, 3.0, weight_variance=2.0), 12)  # q' = q
3.0
>>> round(mf.chi(elu_lib.relu_grad, 1.0, weight_variance=2.0), 12)
1.0
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from elu_lib._checks import real
from elu_lib.registry import get as _get_spec

__all__ = [
    "variance_map",
    "fixed_point",
    "chi",
    "unit_gain_weight_variance",
    "edge_of_chaos",
]

# --------------------------------------------------------------------------
# Quadrature: E[g(sqrt(q) z)] = int_0^inf (g(sqrt(q) z) + g(-sqrt(q) z)) phi(z) dz.
# The half-line [0, 12] (phi(12) ~ 2e-32) is cut at z = 0, 0.5, 1, ..., 12 (the
# Gaussian's scale) and at t 2^k, k = -6..30, t = 1/sqrt(q) (the activation's
# scale: ELU's exp(2 sqrt(q) z) is a spike of width ~ t near 0 when q is
# large); each piece gets 16-point Gauss-Legendre. Breakpoints past 12 are
# clipped to 12 (empty pieces weigh nothing).
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)
_Z_MAX = 12.0
_UNIFORM = np.linspace(0.0, _Z_MAX, 25)
_GEOMETRIC = 2.0 ** np.arange(-6, 31)
_TINY = 5e-324  # the limit q -> 0+ takes g's one-sided values at 0


def _call(fname: str, pname: str, g: Callable, x: np.ndarray) -> np.ndarray:
    """``g(x)`` as a float64 array of x's shape, finite, or a clear error."""
    with np.errstate(all="ignore"):  # an overflow becomes the error below
        y = np.asarray(g(x), dtype=np.float64)
    if y.shape != x.shape:
        if y.ndim == 0:  # a constant function, e.g. a lambdified derivative
            y = np.broadcast_to(y, x.shape)
        else:
            raise ValueError(
                f"{fname}: {pname} must return an array of its input's shape "
                f"{x.shape}, got shape {y.shape}"
            )
    if not np.all(np.isfinite(y)):
        bad = x[~np.isfinite(y)].flat[0]
        raise ValueError(
            f"{fname}: {pname} must be finite on the quadrature nodes, "
            f"got {float(np.asarray(y)[~np.isfinite(y)].flat[0])} at {bad!r}"
        )
    return y


def _mean_square(fname: str, pname: str, g: Callable, q: np.ndarray) -> np.ndarray:
    r""":math:`\mathbb E[g(\sqrt q z)^2]` for each element of the 1-d array ``q``."""
    out = np.empty(q.shape, dtype=np.float64)
    zero = q == 0
    if zero.any():
        edge = _call(fname, pname, g, np.array([_TINY, -_TINY]))
        out[zero] = (edge[0] ** 2 + edge[1] ** 2) / 2
    qp = q[~zero]
    if qp.size:
        t = 1.0 / np.sqrt(qp)
        # Drop the geometric breakpoints past _Z_MAX for every q of the batch.
        used = _GEOMETRIC[_GEOMETRIC * t.min() < _Z_MAX]
        breaks = np.concatenate(
            [
                np.broadcast_to(_UNIFORM, (qp.size, _UNIFORM.size)),
                np.minimum(t[:, None] * used, _Z_MAX),
            ],
            axis=1,
        )
        breaks.sort(axis=1)
        a, b = breaks[:, :-1, None], breaks[:, 1:, None]
        half, mid = (b - a) / 2, (b + a) / 2
        zs = mid + half * _GL_X  # (m, pieces, 16)
        w = half * _GL_W * np.exp(-0.5 * zs * zs) / math.sqrt(2 * math.pi)
        x = np.sqrt(qp)[:, None, None] * zs
        both = np.concatenate([x, -x], axis=-1)
        y = _call(fname, pname, g, both)
        y2 = y * y
        out[~zero] = np.sum(w * (y2[..., :16] + y2[..., 16:]), axis=(1, 2))
    return out


def _variances(fname: str, q: ArrayLike) -> np.ndarray:
    """``q`` as a float64 array of finite numbers >= 0, or a clear error."""
    if isinstance(q, bool | np.bool_):
        raise TypeError(f"{fname}: q must be real numbers, got bool")
    arr = np.asarray(q)
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{fname}: q must be real numbers (a float, int or array of them), "
            f"got dtype {arr.dtype}"
        )
    arr = arr.astype(np.float64)
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        raise ValueError(
            f"{fname}: q must be finite and >= 0, got {float(arr[bad].flat[0])!r}"
        )
    return arr


def _callable(fname: str, pname: str, f) -> Callable:
    if not callable(f):
        raise TypeError(f"{fname}: {pname} must be callable, got {type(f).__name__}")
    return f


def _shaped(values: np.ndarray, like: np.ndarray):
    """A float for a scalar ``q``, else an array of q's shape."""
    return float(values[0]) if like.ndim == 0 else values.reshape(like.shape)


def variance_map(
    f: Callable, q: ArrayLike, weight_variance: float, bias_variance: float = 0.0
):
    r"""One layer's map of the pre-activation variance,
    :math:`q' = \sigma_w^2\,\mathbb E_z[f(\sqrt q\,z)^2] + \sigma_b^2`.

    Parameters
    ----------
    f : callable
        The activation, vectorised over float64 arrays of any shape, e.g.
        ``elu_lib.elu`` or ``functools.partial(elu_lib.elu, alpha=2.0)`` or
        ``elu_lib.symbolic.lambdify(expr, alpha=1.0)``. It may have a kink at
        0 and nowhere else.
    q : float or array_like
        Pre-activation variance(s) :math:`q \ge 0`; the result has its shape.
        At :math:`q = 0` the result is the limit :math:`q \to 0^+`, which uses
        the mean of ``f``'s one-sided values at 0.
    weight_variance : float
        :math:`\sigma_w^2 > 0`, i.e. ``n * Var(W_ij)`` for fan-in ``n``.
    bias_variance : float, default 0.0
        :math:`\sigma_b^2 \ge 0`.

    Returns
    -------
    float or numpy.ndarray
        :math:`q'`: a float for a scalar ``q``, else an array of q's shape.

    Raises
    ------
    TypeError
        If ``f`` is not callable or an argument is not a real number.
    ValueError
        If ``q`` is negative or not finite, ``weight_variance`` is not
        finite and > 0, ``bias_variance`` not finite and >= 0, or ``f``
        returns non-finite values or the wrong shape.

    Examples
    --------
    ReLU halves the second moment, :math:`\mathbb E[\mathrm{relu}(\sqrt q z)^2]
    = q/2`; ELU with :math:`\alpha = 1` keeps more of it:

    >>> import numpy as np
    >>> import elu_lib
    >>> variance_map(elu_lib.relu, np.array([0.5, 1.0, 4.0]), 1.0)
    array([0.25, 0.5 , 2.  ])
    >>> round(variance_map(elu_lib.elu, 1.0, weight_variance=1.0), 12)
    0.644945417493
    >>> variance_map(elu_lib.elu, -1.0, 1.0)
    Traceback (most recent call last):
    ...
    ValueError: variance_map: q must be finite and >= 0, got -1.0
    """
    fname = "variance_map"
    _callable(fname, "f", f)
    qa = _variances(fname, q)
    sw2 = real(fname, "weight_variance", weight_variance, low=0.0)
    sb2 = real(fname, "bias_variance", bias_variance, low=0.0, closed=True)
    values = sw2 * _mean_square(fname, "f", f, qa.reshape(-1)) + sb2
    return _shaped(values, qa)


def chi(f_grad: Callable, q: ArrayLike, weight_variance: float):
    r"""The gradient gain :math:`\chi(q) = \sigma_w^2\,\mathbb E_z[f'(\sqrt q\,z)^2]`.

    Backpropagating through one layer whose pre-activations have variance
    :math:`q` multiplies the expected squared norm of the gradient (with
    respect to the pre-activations) by :math:`\chi(q)`, *under the
    gradient-independence assumption* of Schoenholz et al. (2017): the
    backward pass's :math:`W^T` is treated as independent of the forward
    pass's :math:`W`. Through :math:`L` layers at a fixed point :math:`q^*`
    the factor is :math:`\chi(q^*)^L`: gradients vanish for :math:`\chi < 1`
    and explode for :math:`\chi > 1`.

    Parameters
    ----------
    f_grad : callable
        The activation's derivative, vectorised over float64 arrays, e.g.
        ``elu_lib.elu_grad``; a kink of ``f`` at 0 (a jump of ``f_grad``) is
        allowed.
    q : float or array_like
        Pre-activation variance(s) :math:`q \ge 0`. At :math:`q = 0` the
        result is the limit :math:`q \to 0^+`:
        :math:`\sigma_w^2 (f'(0^-)^2 + f'(0^+)^2)/2`.
    weight_variance : float
        :math:`\sigma_w^2 > 0`.

    Returns
    -------
    float or numpy.ndarray
        :math:`\chi(q)`: a float for a scalar ``q``, else an array of q's shape.

    Raises
    ------
    TypeError, ValueError
        As :func:`variance_map`.

    Examples
    --------
    ReLU's derivative is 0 or 1 with probability 1/2 each, so
    :math:`\chi = \sigma_w^2/2` at every :math:`q`; He initialisation
    (:math:`\sigma_w^2 = 2`) makes it 1:

    >>> import elu_lib
    >>> chi(elu_lib.relu_grad, [0.1, 1.0, 10.0], weight_variance=2.0)
    array([1., 1., 1.])
    >>> round(chi(elu_lib.elu_grad, 1.0, weight_variance=1.0), 12)
    0.668102001223
    >>> chi(elu_lib.elu_grad, 0.0, weight_variance=1.0)  # (alpha^2 + 1) / 2
    1.0
    """
    fname = "chi"
    _callable(fname, "f_grad", f_grad)
    qa = _variances(fname, q)
    sw2 = real(fname, "weight_variance", weight_variance, low=0.0)
    values = sw2 * _mean_square(fname, "f_grad", f_grad, qa.reshape(-1))
    return _shaped(values, qa)


def fixed_point(
    f: Callable, weight_variance: float, bias_variance: float = 0.0, q0: float = 1.0
) -> float:
    r"""The variance :math:`q^*` that iterating :func:`variance_map` from
    :math:`q_0` converges to.

    With :math:`\mathcal V(q) = \sigma_w^2\,\mathbb E[f(\sqrt q z)^2] +
    \sigma_b^2` nondecreasing in :math:`q` (true for every activation of the
    registry: :math:`f(z)^2 + f(-z)^2` grows with :math:`|z|`), the iterates
    :math:`q_0, \mathcal V(q_0), \mathcal V(\mathcal V(q_0)), \dots` are
    monotone and converge to the nearest root of :math:`\mathcal V(q) = q` in
    the direction they move, or grow without bound. This function finds that
    root directly instead of iterating (which can take thousands of steps near
    the edge of chaos): it scans a geometric grid of :math:`q` (ratio
    :math:`10^{0.05}`, over 15 decades from :math:`q_0`) for the first sign
    change of :math:`\mathcal V(q) - q` and bisects it to float64 precision.

    * It returns ``0.0`` when the iterates decrease to 0 (e.g. ELU, ReLU or
      Tanh with :math:`\sigma_b = 0` and :math:`\sigma_w^2` small enough:
      the signal dies out); a fixed point below :math:`10^{-15} q_0` is also
      reported as 0.
    * It returns ``math.inf`` when the iterates grow past
      :math:`10^{15} q_0` (e.g. ReLU with :math:`\sigma_w^2 > 2`: the
      variance diverges, geometrically).
    * It returns ``q0`` itself when :math:`\mathcal V(q_0) = q_0` to rounding
      (ReLU with :math:`\sigma_w^2 = 2`, :math:`\sigma_b = 0`: every
      :math:`q` is a fixed point).

    Parameters
    ----------
    f : callable
        The activation, as for :func:`variance_map`.
    weight_variance : float
        :math:`\sigma_w^2 > 0`.
    bias_variance : float, default 0.0
        :math:`\sigma_b^2 \ge 0`.
    q0 : float, default 1.0
        The starting variance, finite and > 0.

    Returns
    -------
    float
        :math:`q^*` (a float, possibly 0.0 or ``math.inf``).

    Raises
    ------
    TypeError, ValueError
        As :func:`variance_map`, and for ``q0`` not finite and > 0.

    Examples
    --------
    >>> import math
    >>> import elu_lib
    >>> fixed_point(elu_lib.relu, 1.0, bias_variance=0.5)  # q = q/2 + 1/2
    1.0
    >>> fixed_point(elu_lib.elu, 1.0)  # sigma_w^2 = 1, no bias: dies out
    0.0
    >>> fixed_point(elu_lib.relu, 2.5)
    inf
    >>> q = fixed_point(elu_lib.tanh, 2.0, bias_variance=0.05)
    >>> round(q, 10), math.isclose(variance_map(elu_lib.tanh, q, 2.0, 0.05), q)
    (0.7217618727, True)
    """
    fname = "fixed_point"
    _callable(fname, "f", f)
    sw2 = real(fname, "weight_variance", weight_variance, low=0.0)
    sb2 = real(fname, "bias_variance", bias_variance, low=0.0, closed=True)
    start = real(fname, "q0", q0, low=0.0)

    def gap(q: np.ndarray) -> np.ndarray:
        return sw2 * _mean_square(fname, "f", f, q) + sb2 - q

    g0 = gap(np.array([start]))[0]
    if abs(g0) <= 8 * np.finfo(float).eps * start:
        return start
    up = g0 > 0
    grid = start * np.logspace(0.0, 15.0 if up else -15.0, 301)
    g = gap(grid)
    crossed = np.flatnonzero(g <= 0 if up else g >= 0)
    if crossed.size == 0:
        if up:
            return math.inf
        if gap(np.array([0.0]))[0] <= 0:  # V(0) = 0: the variance dies out
            return 0.0
        lo, hi = 0.0, grid[-1]
    else:
        i = crossed[0]
        lo, hi = sorted((grid[i - 1], grid[i]))
    # Refine: 32 points inside the bracket per round, all in one call.
    for _ in range(40):
        pts = np.linspace(lo, hi, 34)[1:-1]
        g = gap(pts)
        if up:  # V(q) - q > 0 below the root
            inside = np.flatnonzero(g <= 0)
            j = inside[0] if inside.size else pts.size
        else:  # V(q) - q < 0 above the root
            inside = np.flatnonzero(g >= 0)
            j = inside[-1] + 1 if inside.size else 0
        edges = np.concatenate([[lo], pts, [hi]])
        lo, hi = edges[j], edges[j + 1]
        if hi - lo <= 2 * np.finfo(float).eps * hi:
            break
    return float(0.5 * (lo + hi))


def _activation(fname: str, name: str, params: dict):
    """The registry entry's function and derivative with ``params`` bound."""
    spec = _get_spec(name)
    unknown = sorted(set(params) - set(spec.params))
    if unknown:
        raise TypeError(f"{fname}: {name} takes {sorted(spec.params)}, got {unknown}")
    bound = {**spec.params, **params}
    try:  # the activation checks its parameters: say whose call it was
        spec.grad(0.0, **bound)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{fname}: {e}") from None
    return (
        lambda x: spec.f(x, **bound),
        lambda x: spec.grad(x, **bound),
    )


def unit_gain_weight_variance(name: str, q: float = 1.0, **params: float) -> float:
    r"""The weight variance :math:`\sigma_w^2 = n\,\mathrm{Var}(W_{ij})` that
    makes the gradient gain :math:`\chi(q) = 1`:
    :math:`1 / \mathbb E_z[f'(\sqrt q\,z)^2]`.

    What it preserves: with this :math:`\sigma_w^2`, backpropagating through
    one layer whose pre-activations have variance :math:`q` leaves the
    expected squared norm of the gradient unchanged, under the
    gradient-independence assumption (see :func:`chi`). It preserves it
    through depth only as long as the pre-activation variance stays at
    :math:`q`: it does not make :math:`q` a fixed point of the variance map
    (for ELU with :math:`\alpha = 1`, :math:`q = 1` and no bias, the next
    layer's variance is about 0.965, and the fixed point this
    :math:`\sigma_w^2` leads to, :math:`q^* \approx 0.73`, has
    :math:`\chi(q^*) \approx 1.03`). With a bias of variance
    ``edge_of_chaos(f, f_grad, q)[1]`` it does: that point is on the edge of
    chaos. For ReLU it is He's 2 at every :math:`q`; for SELU at
    :math:`q = 1` it is 0.933 (LeCun's is 1).

    Parameters
    ----------
    name : str
        An activation of :data:`elu_lib.registry.ACTIVATIONS`, e.g. ``"elu"``.
    q : float, default 1.0
        The pre-activation variance, finite and >= 0.
    **params : float
        The activation's parameters (e.g. ``alpha=1.5``); the registry's
        defaults otherwise.

    Returns
    -------
    float
        :math:`\sigma_w^2`; draw :math:`W_{ij} \sim \mathcal N(0,
        \sigma_w^2/n)`.

    Raises
    ------
    TypeError
        If ``name`` is not a string, a parameter is not one of the
        activation's, or ``q`` is not a real number.
    ValueError
        If ``name`` is unknown or ``q``/a parameter is out of range.

    Examples
    --------
    >>> round(unit_gain_weight_variance("relu"), 12)
    2.0
    >>> round(unit_gain_weight_variance("elu"), 6)
    1.496777
    >>> round(unit_gain_weight_variance("elu", alpha=2.0), 6)
    0.852945
    >>> round(unit_gain_weight_variance("selu"), 3)
    0.933
    >>> import elu_lib
    >>> sw2 = unit_gain_weight_variance("elu")
    >>> q_star = fixed_point(elu_lib.elu, sw2)
    >>> round(q_star, 2), round(chi(elu_lib.elu_grad, q_star, sw2), 2)
    (0.73, 1.03)
    >>> unit_gain_weight_variance("elu", beta=1.0)
    Traceback (most recent call last):
    ...
    TypeError: unit_gain_weight_variance: elu takes ['alpha'], got ['beta']
    """
    fname = "unit_gain_weight_variance"
    if not isinstance(name, str):
        raise TypeError(f"{fname}: name must be a string, got {type(name).__name__}")
    try:
        _, grad = _activation(fname, name, params)
    except ValueError as e:  # an unknown name: say whose
        raise ValueError(f"{fname}: {e}") from None
    qv = real(fname, "q", q, low=0.0, closed=True)
    return float(1.0 / _mean_square(fname, name + "_grad", grad, np.array([qv]))[0])


def edge_of_chaos(f: Callable, f_grad: Callable, q: ArrayLike):
    r"""The point :math:`(\sigma_w^2, \sigma_b^2)` on the edge of chaos whose
    fixed point is :math:`q^* = q`.

    The edge of chaos is where :math:`\chi(q^*) = 1` at the fixed point
    :math:`q^* = \mathcal V(q^*)`: between the ordered phase
    (:math:`\chi(q^*) < 1`, gradients vanish geometrically with depth) and
    the chaotic phase (:math:`\chi(q^*) > 1`, they explode). Read as
    equations for the weights given :math:`q^*`, the two conditions are
    explicit:

    .. math::

        \sigma_w^2 = \frac{1}{\mathbb E_z[f'(\sqrt{q^*} z)^2]}, \qquad
        \sigma_b^2 = q^* - \sigma_w^2\, \mathbb E_z[f(\sqrt{q^*} z)^2].

    Sweeping :math:`q^*` traces the curve in the
    :math:`(\sigma_w^2, \sigma_b^2)` plane. Where the second formula is
    negative, no network with a real bias has that fixed point on the edge,
    and both results are ``nan``. Whether the iteration of the map actually
    reaches this :math:`q^*` (it is a fixed point; is it the attracting one?)
    is a separate question: check with :func:`fixed_point`.

    Parameters
    ----------
    f, f_grad : callable
        The activation and its derivative, as for :func:`variance_map` and
        :func:`chi`.
    q : float or array_like
        Fixed-point variance(s) :math:`q^* \ge 0`.

    Returns
    -------
    (float, float) or (numpy.ndarray, numpy.ndarray)
        :math:`(\sigma_w^2, \sigma_b^2)`, each of q's shape.

    Raises
    ------
    TypeError, ValueError
        As :func:`variance_map`.

    Examples
    --------
    ELU (:math:`\alpha = 1`): the edge starts at :math:`(1, 0)` as
    :math:`q^* \to 0` and needs a bias for every :math:`q^* > 0`:

    >>> import elu_lib
    >>> edge_of_chaos(elu_lib.elu, elu_lib.elu_grad, 0.0)
    (1.0, 0.0)
    >>> sw2, sb2 = edge_of_chaos(elu_lib.elu, elu_lib.elu_grad, 1.0)
    >>> round(sw2, 6), round(sb2, 6)
    (1.496777, 0.03466)
    >>> round(fixed_point(elu_lib.elu, sw2, sb2), 9)  # the map reaches q* = 1
    1.0
    """
    fname = "edge_of_chaos"
    _callable(fname, "f", f)
    _callable(fname, "f_grad", f_grad)
    qa = _variances(fname, q)
    flat = qa.reshape(-1)
    sw2 = 1.0 / _mean_square(fname, "f_grad", f_grad, flat)
    sb2 = flat - sw2 * _mean_square(fname, "f", f, flat)
    # At q* = 0 the formula is exact 0 - 0; elsewhere rounding may leave
    # -1e-17 where the bias variance is 0 (ReLU): clip rounding, not more.
    sb2 = np.where(np.abs(sb2) <= 64 * np.finfo(float).eps * flat, 0.0, sb2)
    bad = sb2 < 0
    sw2, sb2 = np.where(bad, np.nan, sw2), np.where(bad, np.nan, sb2)
    if qa.ndim == 0:
        return float(sw2[0]), float(sb2[0])
    return sw2.reshape(qa.shape), sb2.reshape(qa.shape)
