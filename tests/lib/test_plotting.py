"""elu_lib.plotting: one colour per activation, labelled axes, a legend."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb

from elu_lib import plotting
from elu_lib.registry import NAMES


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_every_activation_has_a_distinct_colour_and_a_label():
    # Each registry name's colour and label: tests/lib/test_registry.py.
    assert set(plotting.COLORS) == set(NAMES) == set(plotting.LABELS)
    colours = {to_rgb(c) for c in plotting.COLORS.values()}
    assert len(colours) == len(plotting.COLORS)


def test_palette_is_okabe_ito():
    okabe_ito = {
        "#000000", "#E69F00", "#56B4E9", "#009E73",
        "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
    }  # fmt: skip
    assert set(plotting.COLORS.values()) <= okabe_ito


def test_variants_keep_the_activation_colour_and_get_labels():
    z = np.linspace(-2, 2, 5)
    ax = plotting.plot_curves(
        z,
        {"elu a=1": z, "elu a=0.01": z / 2, "relu": np.maximum(z, 0)},
        labels={"elu a=0.01": r"ELU, $\alpha=0.01$"},
        styles={"elu a=0.01": "--"},
    )
    lines = ax.get_lines()[:3]
    assert [ln.get_color() for ln in lines] == [
        plotting.COLORS["elu"],
        plotting.COLORS["elu"],
        plotting.COLORS["relu"],
    ]
    assert lines[1].get_linestyle() == "--"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["ELU", r"ELU, $\alpha=0.01$", "ReLU"]
    assert ax.get_xlabel() == "$z$" and ax.get_ylabel() == "$f(z)$"


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="color_for: name must be one of"):
        plotting.color_for("swish")


def test_plot_activations_draws_the_library_functions_in_house_colours():
    z = np.linspace(-3, 3, 61)
    ax = plotting.plot_activations(["elu", "leaky_relu"], grad=True, z=z, alpha=2.0)
    elu_line, leaky_line = ax.get_lines()[:2]
    assert elu_line.get_color() == plotting.COLORS["elu"]
    assert leaky_line.get_color() == plotting.COLORS["leaky_relu"]
    # alpha reaches elu_grad only; leaky_relu_grad keeps its default slope.
    np.testing.assert_allclose(elu_line.get_ydata()[0], 2.0 * np.exp(-3.0))
    np.testing.assert_allclose(leaky_line.get_ydata()[0], 0.01)
    assert ax.get_ylabel() == "$f'(z)$"


def test_alpha_tag_picks_the_books_line_style():
    z = np.linspace(-3, 3, 7)
    ax = plotting.plot_curves(z, {"elu a=1.0": z, "elu a=0.5": z, "relu": z})
    styles = [line.get_linestyle() for line in ax.get_lines()[:3]]
    assert styles == ["-", "--", "-"]
    plotting.plt.close("all")


def test_unknown_alpha_has_no_style():
    with pytest.raises(ValueError, match="style_for_alpha: alpha must be one of"):
        plotting.style_for_alpha(0.7)


def test_axis_labels_are_not_smaller_than_tick_labels():
    plotting.apply_style()
    ax = plotting.plot_curves(np.zeros(2), {"elu": np.zeros(2)})
    tick = ax.get_xticklabels()[0].get_fontsize()
    assert ax.xaxis.label.get_fontsize() >= tick
    assert ax.yaxis.label.get_fontsize() >= tick
    plotting.plt.close("all")


def test_plot_activations_rejects_unknown_names_and_parameters():
    with pytest.raises(ValueError, match="activation must be one of"):
        plotting.plot_activations(["swish"])
    with pytest.raises(TypeError, match=r"takes \['aplha'\]"):
        plotting.plot_activations(["elu", "relu"], aplha=2.0)


def test_neighbours_have_colours_labels_and_styles_of_their_own():
    from elu_lib.symbolic import NEIGHBOUR_NAMES

    names = set(NEIGHBOUR_NAMES)
    assert names == set(plotting.NEIGHBOUR_COLORS) == set(plotting.NEIGHBOUR_LABELS)
    assert names == set(plotting.NEIGHBOUR_LINESTYLES)
    assert names.isdisjoint(plotting.COLORS)  # registry loops are unchanged
    assert set(plotting.NEIGHBOUR_COLORS.values()) <= set(plotting.PALETTE.values())
    styles = [str(s) for s in plotting.NEIGHBOUR_LINESTYLES.values()]
    assert len(set(styles)) == len(styles) and "-" not in styles
    # Told apart without colour from every registry activation (solid).
    pairs = [(c, "-") for c in plotting.COLORS.values()]
    pairs += [
        (plotting.NEIGHBOUR_COLORS[n], str(plotting.NEIGHBOUR_LINESTYLES[n]))
        for n in NEIGHBOUR_NAMES
    ]
    assert len(set(pairs)) == len(pairs)


def test_plot_curves_draws_a_neighbour_in_its_colour_style_and_label():
    z = np.linspace(-2, 2, 5)
    ax = plotting.plot_curves(z, {"elu": z, "gelu": z, "silu": z})
    elu, gelu, silu = ax.get_lines()[:3]
    assert gelu.get_color() == plotting.NEIGHBOUR_COLORS["gelu"]
    assert silu.get_color() == plotting.COLORS["sigmoid"]
    assert elu.get_linestyle() == "-" and gelu.get_linestyle() != "-"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["ELU", "GELU", "SiLU"]
    axes = plotting.small_multiples(z, {"mish": z, "prelu": z}, ylabel="f")
    assert [ax.get_title() for ax in list(axes)[:2]] == ["Mish", "PReLU"]


def test_label_for_and_color_for_name_the_neighbours_in_errors():
    assert plotting.label_for("softplus") == "Softplus"
    with pytest.raises(ValueError, match="color_for: name must be one of.*gelu"):
        plotting.label_for("swish")


def test_seed_band_spans_min_to_max_and_skips_nan():
    fig, ax = plt.subplots()
    runs = np.array([[0.0, 5.0, np.nan], [2.0, 1.0, 4.0], [1.0, 3.0, 6.0]])
    line = plotting.seed_band(ax, np.arange(3), runs, color="C1", centre="median")
    assert line.get_ydata().tolist() == [1.0, 3.0, 5.0]
    (band,) = ax.collections
    vertices = band.get_paths()[0].vertices
    assert vertices[:, 1].min() == 0.0 and vertices[:, 1].max() == 6.0
    assert plotting.seed_band(ax, np.arange(3), runs, color="C1", centre=None) is None
    with pytest.raises(ValueError, match="runs must have shape"):
        plotting.seed_band(ax, np.arange(4), runs, color="C1")
    plt.close(fig)
