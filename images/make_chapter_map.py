"""Draw the chapter-dependency map of "How to use this book".

Run `.venv/bin/python images/make_chapter_map.py` after changing the chapters
or their order; it rewrites images/chapter_map.svg (committed). An arrow from
A to B means "read A before B". Boxes take the colour of their part of the
book, and the part's name is written beside them, so colour is never the only
clue. Offline and deterministic: the same bytes every run.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from elu_lib.plotting import PALETTE  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "chapter_map.svg"
BOX_W, BOX_H = 1.5, 0.7

# The parts of _toc.yml, each in one house colour.
PARTS = {
    "Foundations": PALETTE["blue"],
    "Numerics": PALETTE["vermillion"],
    "ELU among its neighbours": PALETTE["bluish green"],
    "Capstone": PALETTE["reddish purple"],
}
# number: (title, part, x, y), placed so that no arrow crosses a box.
CHAPTERS = {
    "01": ("What ELU is", "Foundations", 0.0, 3.0),
    "02": ("The derivative", "Foundations", 2.0, 3.0),
    "03": ("The ELU family", "Foundations", 4.0, 3.0),
    "04": ("Accuracy and\ncancellation", "Numerics", 0.0, 2.0),
    "05": ("One-liners,\ngradient checks,\nspecial values", "Numerics", 2.0, 2.0),
    "06": ("ELU and its\nneighbours", "ELU among its neighbours", 4.0, 1.0),
    "07": ("Gradients\nthrough depth", "ELU among its neighbours", 6.0, 1.0),
    "08": ("ELU in a\ntrained network", "ELU among its neighbours", 8.0, 1.0),
    "09": ("The common\ndescription:\nright and wrong", "Capstone", 8.0, 2.2),
}
# (before, after): read the first before the second.
EDGES = [
    ("01", "02"),
    ("02", "03"),
    ("02", "04"),
    ("04", "05"),
    ("03", "06"),
    ("06", "07"),
    ("07", "08"),
    ("03", "09"),
    ("05", "09"),
    ("08", "09"),
]


def edge_point(x: float, y: float, tx: float, ty: float) -> tuple[float, float]:
    """Where the line from a box's centre (x, y) towards (tx, ty) leaves it."""
    dx, dy = tx - x, ty - y
    pad = 0.04
    scale = min(
        (BOX_W / 2 + pad) / abs(dx) if dx else float("inf"),
        (BOX_H / 2 + pad) / abs(dy) if dy else float("inf"),
    )
    return x + dx * scale, y + dy * scale


def draw() -> plt.Figure:
    plt.rcParams.update({"svg.hashsalt": "elu-book", "font.size": 10})
    fig, ax = plt.subplots(figsize=(9.6, 3.9))
    fig.patch.set_facecolor("white")  # an opaque card, readable in dark mode
    ax.set_xlim(-2.3, 9.0)
    ax.set_ylim(0.55, 3.4)
    ax.set_axis_off()
    for part, colour in PARTS.items():
        ys = [y for _, p, _, y in CHAPTERS.values() if p == part]
        if part == "Capstone":
            continue  # labelled above its box (below)
        ax.text(
            -2.25,
            min(ys),
            part.replace(" among ", "\namong\n"),
            color=colour,
            fontsize=10,
            fontweight="bold",
            va="center",
            ha="left",
        )
    for number, (title, part, x, y) in CHAPTERS.items():
        colour = PARTS[part]
        ax.add_patch(
            FancyBboxPatch(
                (x - BOX_W / 2, y - BOX_H / 2),
                BOX_W,
                BOX_H,
                boxstyle="round,pad=0.02,rounding_size=0.08",
                facecolor="white",
                edgecolor=colour,
                linewidth=2.2,
                zorder=2,
            )
        )
        ax.text(
            x,
            y,
            f"{number}\n{title}",
            ha="center",
            va="center",
            fontsize=10,
            color="#222222",
            zorder=3,
            linespacing=1.15,
        )
    x9, y9 = CHAPTERS["09"][2:]
    ax.text(
        x9,
        y9 + BOX_H / 2 + 0.12,
        "Capstone",
        color=PARTS["Capstone"],
        fontsize=10,
        fontweight="bold",
        ha="center",
        va="bottom",
    )
    for a, b in EDGES:
        (xa, ya), (xb, yb) = CHAPTERS[a][2:], CHAPTERS[b][2:]
        ax.add_patch(
            FancyArrowPatch(
                edge_point(xa, ya, xb, yb),
                edge_point(xb, yb, xa, ya),
                arrowstyle="-|>",
                mutation_scale=14,
                color="#444444",
                linewidth=1.3,
                shrinkA=0,
                shrinkB=0,
                zorder=1,
            )
        )
    fig.tight_layout(pad=0.2)
    return fig


if __name__ == "__main__":
    figure = draw()
    figure.savefig(OUT, format="svg", metadata={"Date": None})
    print(f"wrote {OUT}")
