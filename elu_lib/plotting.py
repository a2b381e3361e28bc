"""The book's house style for figures: one colour per activation, everywhere.

The palette is Okabe & Ito's colour-blind-safe set. Each activation keeps its
colour in every figure, so a reader who has learnt "ELU is blue" never has to
read the legend again. Variants of one activation (another alpha, the common
formulation's alpha = 0.01) keep the colour and change the line style.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import numpy as np
>>> from elu_lib import plotting
>>> z = np.linspace(-3, 3, 7)
>>> ax = plotting.plot_curves(z, {"elu": z, "relu": np.maximum(z, 0)})
>>> [line.get_color() for line in ax.get_lines()[:2]] == [
...     plotting.COLORS["elu"], plotting.COLORS["relu"]]
True
>>> plotting.plt.close("all")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from elu_lib.registry import ACTIVATIONS, get

__all__ = [
    "PALETTE",
    "COLORS",
    "LABELS",
    "LINESTYLES",
    "NEIGHBOUR_COLORS",
    "NEIGHBOUR_LABELS",
    "NEIGHBOUR_LINESTYLES",
    "label_for",
    "ALPHA_STYLES",
    "style_for_alpha",
    "apply_style",
    "color_for",
    "plot_curves",
    "small_multiples",
    "seed_band",
    "plot_activations",
]

#: Okabe & Ito (2008), by name. Yellow is left out: it is unreadable on white.
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "orange": "#E69F00",
    "bluish green": "#009E73",
    "reddish purple": "#CC79A7",
    "sky blue": "#56B4E9",
    "black": "#000000",
}
#: Each activation's colour and label, as the registry assigns them.
COLORS: dict[str, str] = {n: PALETTE[a.color] for n, a in ACTIVATIONS.items()}
LABELS: dict[str, str] = {n: a.label for n, a in ACTIVATIONS.items()}
#: ELU's modern neighbours (:data:`elu_lib.symbolic.NEIGHBOURS`), which are
#: not registry activations: their own colours, labels and line styles, kept
#: apart from :data:`COLORS` so that every registry-driven loop is unchanged.
#: Seven colours cannot give thirteen functions one each, so each neighbour
#: borrows the colour of its relative (GELU and its approximation ReLU's,
#: SiLU Sigmoid's, Mish Tanh's, PReLU Leaky ReLU's, softplus SELU's black)
#: and has a line style of its own, never solid: a neighbour and the
#: registry activation that lends it its colour differ by style, and so do
#: any two neighbours.
NEIGHBOUR_COLORS: dict[str, str] = {
    "gelu": PALETTE["vermillion"],
    "gelu_tanh": PALETTE["vermillion"],
    "silu": PALETTE["bluish green"],
    "mish": PALETTE["reddish purple"],
    "softplus": PALETTE["black"],
    "prelu": PALETTE["orange"],
}
NEIGHBOUR_LABELS: dict[str, str] = {
    "gelu": "GELU",
    "gelu_tanh": "GELU (tanh)",
    "silu": "SiLU",
    "mish": "Mish",
    "softplus": "Softplus",
    "prelu": "PReLU",
}
NEIGHBOUR_LINESTYLES: dict[str, str | tuple] = {
    "gelu": (0, (5, 2)),
    "gelu_tanh": (0, (1, 1.5)),
    "silu": (0, (6, 2, 1, 2)),
    "mish": (0, (6, 2, 1, 2, 1, 2)),
    "softplus": (0, (12, 3)),
    "prelu": (0, (3, 1, 1, 1, 1, 1, 1, 1)),
}
# For several variants of one activation in one figure, in this order.
LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":")
#: One line style per alpha, the same in every figure of the book: alpha = 1
#: (the default) is always solid, so curves stay apart without colour.
ALPHA_STYLES: dict[float, str | tuple] = {
    1.0: "-",
    0.5: "--",
    2.0: "-.",
    0.01: ":",
    1.5: (0, (6, 2, 1, 2, 1, 2)),
    3.0: (0, (1, 1)),
}

_STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": "large",
    # Axis labels (often math) at least as large as the tick labels.
    "axes.labelsize": "large",
    "xtick.labelsize": "medium",
    "ytick.labelsize": "medium",
    "legend.fontsize": "medium",
    # An opaque white card: readable in the theme's dark mode too.
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "mathtext.fontset": "cm",
    # Deterministic SVG/PNG bytes: no timestamps or random ids.
    "svg.hashsalt": "elu-book",
    "path.simplify": True,
}


def apply_style() -> None:
    """Set the house style for every figure that follows.

    Examples
    --------
    >>> apply_style()
    >>> mpl.rcParams["axes.grid"]
    True
    """
    mpl.rcParams.update(_STYLE)


def color_for(name: str) -> str:
    """The house colour of an activation, or of a neighbour.

    Parameters
    ----------
    name : str
        One of the keys of :data:`COLORS`, e.g. ``"elu"``, or of
        :data:`NEIGHBOUR_COLORS`, e.g. ``"gelu"``.

    Raises
    ------
    ValueError
        If ``name`` is neither.

    Examples
    --------
    >>> color_for("elu"), color_for("silu")
    ('#0072B2', '#009E73')
    """
    if name in COLORS:
        return COLORS[name]
    if name in NEIGHBOUR_COLORS:
        return NEIGHBOUR_COLORS[name]
    known = sorted(COLORS) + sorted(NEIGHBOUR_COLORS)
    raise ValueError(f"color_for: name must be one of {known}, got {name!r}")


def label_for(name: str) -> str:
    """How figures name an activation or a neighbour.

    Raises
    ------
    ValueError
        If ``name`` is neither.

    Examples
    --------
    >>> label_for("leaky_relu"), label_for("gelu_tanh")
    ('Leaky ReLU', 'GELU (tanh)')
    """
    color_for(name)  # an unknown name: the same clear error
    return LABELS.get(name) or NEIGHBOUR_LABELS[name]


def _default_style(key: str) -> str | tuple:
    # "elu a=0.5" -> that alpha's style; a neighbour -> its own; else solid
    name, _, tag = key.partition(" ")
    if tag.startswith("a="):
        return style_for_alpha(tag[2:])
    return NEIGHBOUR_LINESTYLES.get(name, "-")


def style_for_alpha(alpha: float) -> str | tuple:
    """The book's line style for an activation drawn with this ``alpha``.

    Raises
    ------
    ValueError
        If ``alpha`` has no style yet; add it to :data:`ALPHA_STYLES`.

    Examples
    --------
    >>> style_for_alpha(1.0), style_for_alpha(0.5)
    ('-', '--')
    """
    try:
        return ALPHA_STYLES[float(alpha)]
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            f"style_for_alpha: alpha must be one of {sorted(ALPHA_STYLES)}, "
            f"got {alpha!r}"
        ) from None


def plot_curves(
    z: np.ndarray,
    curves: Mapping[str, np.ndarray],
    *,
    ax: plt.Axes | None = None,
    labels: Mapping[str, str] | None = None,
    styles: Mapping[str, str] | None = None,
    xlabel: str = r"$z$",
    ylabel: str = r"$f(z)$",
    title: str | None = None,
) -> plt.Axes:
    """Plot several curves over ``z`` on one set of labelled axes.

    Parameters
    ----------
    z : array_like
        The shared abscissa.
    curves : mapping
        ``key -> values``. The key picks the colour: it is an activation name
        (``"elu"``) or an activation name, a space and a variant tag
        (``"elu a=0.5"``), which keeps the activation's colour; an ``a=``
        tag also picks the alpha's line style (:func:`style_for_alpha`).
        A neighbour's name (``"gelu"``) picks its colour and its line
        style (:data:`NEIGHBOUR_LINESTYLES`).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    labels, styles : mapping, optional
        Legend text and line style per key. Default: the activation's name
        and a solid line (a neighbour: its own style).
    xlabel, ylabel : str
        Axis labels, LaTeX allowed.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    apply_style()
    if ax is None:
        _, ax = plt.subplots()
    labels = labels or {}
    styles = styles or {}
    for key, values in curves.items():
        activation = key.partition(" ")[0]
        ax.plot(
            z,
            values,
            color=color_for(activation),
            linestyle=styles.get(key, _default_style(key)),
            label=labels.get(key, label_for(activation)),
        )
    ax.axhline(0, color="0.6", linewidth=0.8, zorder=0)
    ax.axvline(0, color="0.6", linewidth=0.8, zorder=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def small_multiples(
    x: np.ndarray,
    curves: Mapping[str, np.ndarray],
    *,
    ylabel: str,
    xlabel: str = r"$z$",
    titles: Mapping[str, str] | None = None,
    styles: Mapping[str, str] | None = None,
    zero_lines: bool = True,
):
    """One panel per curve, in its house colour and style, with the others in
    grey behind it: curves that coincide (ReLU under Leaky ReLU) stay visible.

    Keys pick colours and styles as in :func:`plot_curves`. Six curves fill a
    3 x 2 grid; fewer leave panels empty.

    Returns
    -------
    numpy flat iterator over the Axes, one per curve first.

    Examples
    --------
    >>> z = np.linspace(-2, 2, 5)
    >>> axes = small_multiples(z, {"elu": z, "relu": z}, ylabel="f")
    >>> [ax.get_title() for ax in list(axes)[:2]]
    ['ELU', 'ReLU']
    >>> plt.close("all")
    """
    apply_style()
    if len(curves) > 6:
        raise ValueError(f"small_multiples: at most 6 curves, got {len(curves)}")
    titles, styles = titles or {}, styles or {}
    fig, axes = plt.subplots(
        3, 2, sharex=True, sharey=True, figsize=(6.4, 7.2), layout="constrained"
    )
    for ax, (key, y) in zip(axes.flat, curves.items(), strict=False):
        for other, y_other in curves.items():
            if other != key:
                ax.plot(x, y_other, color="0.78", linewidth=1)
        activation = key.partition(" ")[0]
        style = styles.get(key, _default_style(key))
        ax.plot(x, y, color=color_for(activation), ls=style)
        ax.set_title(titles.get(key, label_for(activation)))
        if zero_lines:
            ax.axhline(0, color="0.6", linewidth=0.8, zorder=0)
            ax.axvline(0, color="0.6", linewidth=0.8, zorder=0)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    return axes.flat


def seed_band(
    ax: plt.Axes,
    x: np.ndarray,
    runs: np.ndarray,
    *,
    color: str,
    centre: str | None = "mean",
    alpha: float = 0.25,
    **line_kwargs,
):
    """The spread over seeds: a band from the minimum to the maximum of
    ``runs`` over its first axis (one row per seed), and a line at their mean
    or median. NaN (a run that stopped early) is left out of each statistic.

    Parameters
    ----------
    ax : matplotlib Axes
    x : array, shape (m,)
    runs : array, shape (seeds, m)
    color : str
        The band's and the line's colour (e.g. ``color_for("elu")``).
    centre : ``"mean"``, ``"median"`` or None
        The line drawn over the band; None draws the band alone.
    alpha : float
        The band's opacity, low enough that a band never hides a curve.
    **line_kwargs
        Passed to ``ax.plot`` for the line (label, linestyle, marker, ...).

    Returns
    -------
    The line (a ``Line2D``), or None when ``centre`` is None.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> runs = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    >>> line = seed_band(ax, np.arange(3), runs, color="C0", label="two seeds")
    >>> line.get_ydata().tolist()
    [2.0, 2.0, 2.0]
    >>> seed_band(ax, np.arange(3), runs, color="C0", centre="mode")
    Traceback (most recent call last):
    ...
    ValueError: seed_band: centre must be 'mean', 'median' or None, got 'mode'
    >>> plt.close("all")
    """
    centres = {"mean": np.nanmean, "median": np.nanmedian, None: None}
    if centre not in centres:
        raise ValueError(
            f"seed_band: centre must be 'mean', 'median' or None, got {centre!r}"
        )
    runs = np.asarray(runs, dtype=float)
    x = np.asarray(x)
    if runs.ndim != 2 or runs.shape[1] != x.shape[-1]:
        raise ValueError(
            f"seed_band: runs must have shape (seeds, {x.shape[-1]}), got {runs.shape}"
        )
    low, high = np.nanmin(runs, axis=0), np.nanmax(runs, axis=0)
    ax.fill_between(x, low, high, color=color, alpha=alpha, linewidth=0)
    if centre is None:
        return None
    (line,) = ax.plot(x, centres[centre](runs, axis=0), color=color, **line_kwargs)
    return line


def plot_activations(
    names: Sequence[str],
    *,
    grad: bool = False,
    z: np.ndarray | None = None,
    ax: plt.Axes | None = None,
    **params: float,
) -> plt.Axes:
    """Plot activations from :mod:`elu_lib.activations`, or their derivatives.

    Parameters
    ----------
    names : sequence of str
        Activation names, e.g. ``["elu", "relu"]``.
    grad : bool, default False
        Plot ``name_grad`` instead of ``name``.
    z : array_like, optional
        Default ``np.linspace(-5, 5, 1001)``.
    ax : matplotlib Axes, optional
    **params : float
        Passed to the functions that accept them (``alpha``,
        ``negative_slope``).

    Returns
    -------
    matplotlib Axes
    """
    z = np.linspace(-5, 5, 1001) if z is None else np.asarray(z)
    specs = [get(name) for name in names]  # an unknown name: ValueError
    unused = set(params) - {p for spec in specs for p in spec.params}
    if unused:
        raise TypeError(
            f"plot_activations: no activation among {list(names)} takes "
            f"{sorted(unused)}"
        )
    curves = {}
    for name, spec in zip(names, specs, strict=True):
        fn = spec.grad if grad else spec.f
        curves[name] = fn(z, **{k: v for k, v in params.items() if k in spec.params})
    ylabel = r"$f'(z)$" if grad else r"$f(z)$"
    return plot_curves(z, curves, ax=ax, ylabel=ylabel)
