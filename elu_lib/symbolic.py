r"""The math, written down once: each activation as a SymPy expression.

Every chapter derives its results from these expressions, and the NumPy code in
:mod:`elu_lib.activations` is measured against them. Derivatives are taken with
:func:`sympy.diff`, never typed in by hand.

Symbols
-------
``z`` is the real pre-activation, ``alpha`` the (positive) ELU/CELU parameter
and ``negative_slope`` the (positive) Leaky ReLU slope.

Conventions at the kink
-----------------------
ELU, ReLU and Leaky ReLU are written as :class:`sympy.Piecewise` whose second
branch covers ``z <= 0``. ``sympy.diff`` differentiates branch by branch, so the
derivative at ``z = 0`` is the left branch's value: ``alpha`` for ELU, ``0`` for
ReLU and ``negative_slope`` for Leaky ReLU, as PyTorch returns.

Examples
--------
>>> from elu_lib import symbolic as S
>>> S.elu_grad
Piecewise((1, z > 0), (alpha*exp(z), True))
>>> S.elu_grad.subs({S.z: 0})
alpha
>>> f = S.lambdify(S.elu, alpha=1.0)
>>> float(f(-1.0))
-0.6321205588285577

ELU's modern neighbours
-----------------------
GELU (exact, with ``erf``, and its ``tanh`` approximation), SiLU, Mish,
softplus and PReLU are here too, with their derivatives by ``diff``, but
only here: they are not in :mod:`elu_lib.registry` nor in
:mod:`elu_lib.activations`, whose accuracy standards they have not been
held to. Evaluate them with :func:`lambdify` (PReLU's slope is ``a``). The
lambdified forms are exact formulas evaluated naively in float64: fine on
moderate ``z`` (say ``|z| < 30``), not a library function (``softplus``
overflows to ``inf`` for ``z > 709``).

>>> S.silu_grad
z*exp(-z)/(1 + exp(-z))**2 + 1/(1 + exp(-z))
>>> S.prelu_grad.subs({S.z: -1})
a
>>> round(float(S.lambdify(S.gelu)(1.0)), 6)
0.841345
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import sympy as sp
from sympy.codegen.rewriting import optimize, optims_c99

from elu_lib.registry import FUNCTION_NAMES, NAMES

__all__ = [
    "z",
    "alpha",
    "negative_slope",
    "SELU_ALPHA",
    "SELU_SCALE",
    *FUNCTION_NAMES,
    "EXPRESSIONS",
    "DERIVATIVES",
    "prelu_slope",
    "NEIGHBOUR_NAMES",
    "gelu",
    "gelu_grad",
    "gelu_tanh",
    "gelu_tanh_grad",
    "silu",
    "silu_grad",
    "mish",
    "mish_grad",
    "softplus",
    "softplus_grad",
    "prelu",
    "prelu_grad",
    "NEIGHBOURS",
    "NEIGHBOUR_DERIVATIVES",
    "branch",
    "one_sided_limit",
    "lambdify",
    "gaussian_expectation",
]

z = sp.Symbol("z", real=True)
alpha = sp.Symbol("alpha", positive=True)
negative_slope = sp.Symbol("negative_slope", positive=True)

# Klambauer et al. (2017), to 32 significant digits.
SELU_ALPHA = sp.Float("1.6732632423543772848170429916717", 32)
SELU_SCALE = sp.Float("1.0507009873554804934193349852946", 32)

elu = sp.Piecewise((z, z > 0), (alpha * (sp.exp(z) - 1), True))
# CELU (Barron, 2017) is max(0, z) + min(0, alpha*(exp(z/alpha) - 1)); for
# alpha > 0 that equals this Piecewise (proved in chapter 3, The ELU family).
celu = sp.Piecewise((z, z > 0), (alpha * (sp.exp(z / alpha) - 1), True))
selu = SELU_SCALE * elu.subs(alpha, SELU_ALPHA)
relu = sp.Piecewise((z, z > 0), (0, True))
leaky_relu = sp.Piecewise((z, z > 0), (negative_slope * z, True))
sigmoid = 1 / (1 + sp.exp(-z))
tanh = sp.tanh(z)

EXPRESSIONS: dict[str, sp.Expr] = {name: globals()[name] for name in NAMES}
DERIVATIVES: dict[str, sp.Expr] = {
    name: sp.diff(expr, z) for name, expr in EXPRESSIONS.items()
}
# elu_grad, celu_grad, ...: module attributes, like the expressions above.
globals().update({name + "_grad": d for name, d in DERIVATIVES.items()})

# ELU's modern neighbours (chapter 10, ELU's modern neighbours). They live
# here only, as the statement of their math: they are not in the registry
# nor in elu_lib.activations, whose accuracy standards they have not been
# held to. Chapters evaluate them through lambdify.

#: PReLU's slope on the left, learnt per channel (He et al., 2015).
prelu_slope = sp.Symbol("a", real=True)

#: GELU (Hendrycks & Gimpel, 2016): z times the standard normal CDF.
gelu = z / 2 * (1 + sp.erf(z / sp.sqrt(2)))
#: GELU's tanh approximation, with the paper's constant 0.044715.
gelu_tanh = (
    z / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (z + sp.Rational(44715, 10**6) * z**3)))
)
#: SiLU (Elfwing et al., 2018), Swish with beta = 1: z times the sigmoid.
silu = z / (1 + sp.exp(-z))
#: Softplus (Dugas et al., 2001): log(1 + e^z).
softplus = sp.log(1 + sp.exp(z))
#: Mish (Misra, 2020): z tanh(softplus(z)).
mish = z * sp.tanh(softplus)
#: PReLU: max(0, z) + a min(0, z), written like Leaky ReLU.
prelu = sp.Piecewise((z, z > 0), (prelu_slope * z, True))

#: The neighbours' names, in the order chapter 10 shows them.
NEIGHBOUR_NAMES: tuple[str, ...] = (
    "gelu",
    "gelu_tanh",
    "silu",
    "mish",
    "softplus",
    "prelu",
)
gelu_grad = sp.diff(gelu, z)
gelu_tanh_grad = sp.diff(gelu_tanh, z)
silu_grad = sp.diff(silu, z)
mish_grad = sp.diff(mish, z)
softplus_grad = sp.diff(softplus, z)
prelu_grad = sp.diff(prelu, z)
NEIGHBOURS: dict[str, sp.Expr] = {name: globals()[name] for name in NEIGHBOUR_NAMES}
NEIGHBOUR_DERIVATIVES: dict[str, sp.Expr] = {
    name: globals()[name + "_grad"] for name in NEIGHBOUR_NAMES
}

_PARAMETERS = {
    "alpha": alpha,
    "negative_slope": negative_slope,
    "a": prelu_slope,
}
_t = sp.Symbol("t", positive=True)
# NumPy has no erf (GELU needs it): the C library's, element by element.
_NUMPY_ERF = {
    "erf": np.vectorize(math.erf, otypes=[float]),
    "erfc": np.vectorize(math.erfc, otypes=[float]),
}


def branch(expr: sp.Expr, side: str) -> sp.Expr:
    """The piece of ``expr`` in force for ``z > 0`` (``side="+"``) or ``z < 0``.

    SymPy's ``limit`` cannot look inside a Piecewise at infinity, so one-sided
    questions are asked of the branch instead. Substituting ``z = +t`` or
    ``z = -t`` with ``t`` positive lets SymPy decide every condition, then ``t``
    is turned back into ``z``.

    Examples
    --------
    >>> branch(elu, "-")
    alpha*(exp(z) - 1)
    >>> branch(relu, "+")
    z
    """
    if side not in ("+", "-"):
        raise ValueError(f"branch: side must be '+' or '-', got {side!r}")
    sign = 1 if side == "+" else -1
    return expr.subs(z, sign * _t).subs(_t, sign * z)


def one_sided_limit(expr: sp.Expr, point, side: str) -> sp.Expr:
    """``lim expr`` as ``z`` tends to ``point`` from ``side`` (``"+"``/``"-"``).

    ``point`` is 0, where the side also picks the branch, or ``sympy.oo`` /
    ``-sympy.oo``, where the side is implied. ``sympy.limit`` turns Floats into
    Rationals, so a limit of ``selu`` comes back as an exact fraction of its
    32-digit constants.

    Examples
    --------
    >>> one_sided_limit(elu, -sp.oo, "+")
    -alpha
    >>> one_sided_limit(elu_grad, 0, "-"), one_sided_limit(elu_grad, 0, "+")
    (alpha, 1)
    """
    if point in (sp.oo, -sp.oo):
        piece = branch(expr, "+" if point == sp.oo else "-")
        return sp.limit(piece, z, point)
    if point != 0:
        raise ValueError(f"one_sided_limit: point must be 0 or +-oo, got {point}")
    return sp.limit(branch(expr, side), z, point, side)


def lambdify(
    expr: sp.Expr, *, modules: str = "numpy", **params: float
) -> Callable[..., np.ndarray]:
    """Turn an expression of ``z`` into a callable, after substituting parameters.

    Parameters
    ----------
    expr : sympy.Expr
        An expression in ``z`` and possibly ``alpha``, ``negative_slope``
        and PReLU's ``a``.
    modules : str, default "numpy"
        ``"numpy"`` for a vectorised float64 callable, ``"mpmath"`` for an
        arbitrary-precision one (call it inside ``mpmath.workdps(n)``).
    **params : float
        Values for ``alpha``, ``negative_slope`` and/or ``a``.

    Returns
    -------
    callable
        ``f(z)``. The expression is first rewritten with SymPy's C99
        optimisations, so ``exp(z) - 1`` becomes ``expm1(z)`` and does not lose
        precision near 0 in either backend. The NumPy version evaluates every
        Piecewise branch (that is how ``np.select`` works), so it runs under
        ``np.errstate(all="ignore")`` to keep the discarded branch's overflow
        from warning.

    Raises
    ------
    ValueError
        If a parameter is unknown or the expression keeps a free symbol other
        than ``z``.

    Examples
    --------
    >>> f = lambdify(leaky_relu_grad, negative_slope=0.01)
    >>> f(np.array([-2.0, 0.0, 3.0]))
    array([0.01, 0.01, 1.  ])
    >>> float(lambdify(elu, alpha=1.0)(-1e-20))  # expm1, not exp(z) - 1
    -1e-20
    """
    unknown = set(params) - set(_PARAMETERS)
    if unknown:
        raise ValueError(f"lambdify: unknown parameter(s) {sorted(unknown)}")
    bound = expr.subs({_PARAMETERS[k]: sp.Float(v, 30) for k, v in params.items()})
    free = bound.free_symbols - {z}
    if free:
        raise ValueError(
            f"lambdify: give a value for {sorted(map(str, free))}; "
            "e.g. lambdify(expr, alpha=1.0)"
        )
    # exp(z) - 1 -> expm1(z): at any precision the literal form cancels to 0
    # for |z| below the working precision.
    backend = [_NUMPY_ERF, "numpy"] if modules == "numpy" else modules
    raw = sp.lambdify(z, optimize(bound, optims_c99), modules=backend)
    if modules != "numpy":
        return raw

    def numeric(x):
        with np.errstate(all="ignore"):
            # Broadcast constants (e.g. a derivative that is 1) to x's shape.
            return raw(np.asarray(x, dtype=np.float64)) + np.zeros(np.shape(x))

    return numeric


def gaussian_expectation(expr: sp.Expr, mu=0, sigma=1) -> sp.Expr:
    r"""The exact mean of ``expr`` at a normal ``z``: :math:`\mathbb{E}[f(Z)]`.

    .. math::

        \mathbb{E}[f(Z)] = \int_{-\infty}^{\infty} f(z)\,
        \frac{e^{-(z - \mu)^2 / (2\sigma^2)}}{\sigma\sqrt{2\pi}}\,dz,
        \qquad Z \sim \mathcal N(\mu, \sigma^2).

    A ``Piecewise`` (every one here switches branch at ``z = 0``) is
    integrated branch by branch, the result rewritten with ``erfc`` and
    simplified. Other expressions are integrated whole, except that when
    ``mu`` is 0 and ``f(z) - f(0)`` is odd, the mean is ``f(0)`` (the
    density is even): that is how Sigmoid and Tanh, which SymPy cannot
    integrate against a Gaussian, get their exact means. The numerical
    counterpart is :func:`elu_lib.numerics.gaussian_expectation`.

    Parameters
    ----------
    expr : sympy.Expr
        An expression in ``z``; parameters such as ``alpha`` may stay
        symbols.
    mu : real, default 0
        The mean of ``z``: a number or a real symbol.
    sigma : positive, default 1
        Its standard deviation: a number or a positive symbol.

    Returns
    -------
    sympy.Expr
        The expectation, in closed form.

    Raises
    ------
    TypeError
        If ``expr`` is not a SymPy expression.
    ValueError
        If ``mu`` is not known to be real or ``sigma`` to be positive, a
        ``Piecewise`` does not switch branch at 0, or SymPy cannot do the
        integral (it may take a few seconds to give up).

    Examples
    --------
    >>> gaussian_expectation(relu)
    sqrt(2)/(2*sqrt(pi))
    >>> gaussian_expectation(elu)
    -alpha/2 + alpha*exp(1/2)*erfc(sqrt(2)/2)/2 + sqrt(2)/(2*sqrt(pi))
    >>> gaussian_expectation(sigmoid)
    1/2
    >>> gaussian_expectation(z**2, mu=sp.Symbol("mu", real=True))
    mu**2 + 1
    """
    if not isinstance(expr, sp.Basic):
        raise TypeError(
            "gaussian_expectation: expr must be a SymPy expression, "
            f"got {type(expr).__name__}"
        )
    mu, sigma = sp.sympify(mu), sp.sympify(sigma)
    if mu.is_real is not True:
        raise ValueError(f"gaussian_expectation: mu must be real, got {mu}")
    if sigma.is_positive is not True:
        raise ValueError(f"gaussian_expectation: sigma must be positive, got {sigma}")
    density = sp.exp(-((z - mu) ** 2) / (2 * sigma**2)) / (sigma * sp.sqrt(2 * sp.pi))
    if expr.has(sp.Piecewise):
        pieces = [(branch(expr, "+"), 0, sp.oo), (branch(expr, "-"), -sp.oo, 0)]
        if any(piece.has(sp.Piecewise) for piece, _, _ in pieces):
            raise ValueError(
                f"gaussian_expectation: expr must switch branch at z = 0, got {expr}"
            )
    else:
        at_0 = expr.subs(z, 0)
        if mu == 0 and sp.simplify(expr.subs(z, -z) + expr - 2 * at_0) == 0:
            return at_0
        pieces = [(expr, -sp.oo, sp.oo)]
    total = sum(sp.integrate(piece * density, (z, a, b)) for piece, a, b in pieces)
    if total.has(sp.Integral):
        raise ValueError(f"gaussian_expectation: SymPy cannot integrate {expr}")
    total = sp.simplify(sp.powsimp(total.rewrite(sp.erfc), combine="exp"))
    # exp(mu + 1/2), not exp(mu)*exp(1/2): one exponential per term.
    return total.replace(sp.exp, lambda arg: sp.exp(sp.expand(arg)))
