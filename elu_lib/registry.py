"""The activations, each written down once: name, label, colour, parameters.

Every list of activations in the project is built from :data:`ACTIVATIONS`:
``__all__`` of :mod:`elu_lib.activations` and :mod:`elu_lib.symbolic`, the
house colours of :mod:`elu_lib.plotting`, the activations :mod:`elu_lib.nn`
can train with, the tests' parametrisations and the chapters' loops. Adding
an activation means one row here, one function (and its derivative) in
:mod:`elu_lib.activations` and one expression in :mod:`elu_lib.symbolic`.

Importing this module imports neither SymPy nor the numerical code: a
:class:`Spec` looks its function and expression up when asked.

Examples
--------
>>> from elu_lib.registry import ACTIVATIONS, get
>>> list(ACTIVATIONS)
['elu', 'celu', 'selu', 'relu', 'leaky_relu', 'sigmoid', 'tanh']
>>> spec = get("elu")
>>> spec.label, spec.params
('ELU', {'alpha': 1.0})
>>> float(spec.f(-1.0)), float(spec.grad(0.0, alpha=2.0))
(-0.6321205588285577, 2.0)
>>> spec.expr
Piecewise((z, z > 0), (alpha*(exp(z) - 1), True))
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Spec", "ACTIVATIONS", "NAMES", "FUNCTION_NAMES", "get"]


@dataclass(frozen=True)
class Spec:
    """One activation: what every part of the project needs to know about it.

    Attributes
    ----------
    name : str
        The Python name of the function, e.g. ``"leaky_relu"``; its
        derivative is ``name + "_grad"``.
    label : str
        How figures and tables name it, e.g. ``"Leaky ReLU"``.
    color : str
        Its house colour, a key of :data:`elu_lib.plotting.PALETTE`.
    params : mapping
        Its parameters and their defaults, e.g. ``{"alpha": 1.0}``.
    init : str
        The weight initialisation :mod:`elu_lib.nn` uses in front of it:
        ``"he"``, ``"glorot"`` or ``"lecun"``.
    """

    name: str
    label: str
    color: str
    params: Mapping[str, float] = field(default_factory=dict)
    init: str = "he"

    @property
    def f(self) -> Callable:
        """The function, from :mod:`elu_lib.activations`."""
        return getattr(importlib.import_module("elu_lib.activations"), self.name)

    @property
    def grad(self) -> Callable:
        """Its derivative, ``elu_lib.activations.<name>_grad``."""
        module = importlib.import_module("elu_lib.activations")
        return getattr(module, self.name + "_grad")

    @property
    def expr(self):
        """The SymPy expression, from :mod:`elu_lib.symbolic` (imports SymPy)."""
        return importlib.import_module("elu_lib.symbolic").EXPRESSIONS[self.name]

    @property
    def expr_grad(self):
        """Its derivative, from :func:`sympy.diff` in :mod:`elu_lib.symbolic`."""
        return importlib.import_module("elu_lib.symbolic").DERIVATIVES[self.name]


# Colours: Okabe & Ito (2008), assigned once for the whole book. Init: He et
# al. (2015) for the rectifier family, Glorot & Bengio (2010) for the
# saturating ones, LeCun's fan-in rule for SELU (Klambauer et al., 2017).
_ROWS = (
    Spec("elu", "ELU", "blue", {"alpha": 1.0}),
    Spec("celu", "CELU", "sky blue", {"alpha": 1.0}),
    Spec("selu", "SELU", "black", init="lecun"),
    Spec("relu", "ReLU", "vermillion"),
    Spec("leaky_relu", "Leaky ReLU", "orange", {"negative_slope": 0.01}),
    Spec("sigmoid", "Sigmoid", "bluish green", init="glorot"),
    Spec("tanh", "Tanh", "reddish purple", init="glorot"),
)

#: name -> :class:`Spec`, in the book's order.
ACTIVATIONS: Mapping[str, Spec] = MappingProxyType({row.name: row for row in _ROWS})
#: The activation names, in the book's order.
NAMES: tuple[str, ...] = tuple(ACTIVATIONS)
#: Every public numerical function: each activation, then its derivative.
FUNCTION_NAMES: tuple[str, ...] = tuple(
    fname for name in NAMES for fname in (name, name + "_grad")
)


def get(name: str) -> Spec:
    """The registry entry for ``name``.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not a known activation; the message lists them.

    Examples
    --------
    >>> get("swish")
    Traceback (most recent call last):
    ...
    ValueError: activation must be one of ['celu', 'elu', 'leaky_relu', 'relu', \
'selu', 'sigmoid', 'tanh'], got 'swish'
    """
    if not isinstance(name, str):
        raise TypeError(f"activation must be a string, got {type(name).__name__}")
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}"
        ) from None
