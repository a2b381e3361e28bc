"""Draw the chapter-dependency map of "How to use this book".

Run `.venv/bin/python images/make_chapter_map.py` after changing the chapters
or their order; it rewrites images/chapter_map.svg (committed). An arrow from
A to B means "read A before B". Each box takes the colour of its part of the
book, and a key names the parts, so that colour is never the only clue (the
numbers and titles say it too). Offline and deterministic: the same bytes
every run.
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
# Small enough in inches that 10 pt text is about 12 px at the book's
# 1280 px layout, where the figure is scaled to the text column.
FIGSIZE = (7.2, 4.9)
FONT = 10
BOX_W, BOX_H = 1.6, 0.82
COL, ROW = 1.95, 1.12  # grid spacing

# The parts of _toc.yml, each in one house colour.
PARTS = {
    "Foundations": PALETTE["blue"],
    "Numerics": PALETTE["vermillion"],
    "ELU among its neighbours": PALETTE["bluish green"],
    "ELU in deep networks": PALETTE["orange"],
    "ELU today": PALETTE["sky blue"],
    "Capstone": PALETTE["reddish purple"],
}
# number: (title, part, column, row), placed so that no arrow crosses a box.
NETS = "ELU in deep networks"
CHAPTERS = {
    "01": ("What ELU is", "Foundations", 0, 0),
    "02": ("The derivative", "Foundations", 1, 0),
    "03": ("The ELU family", "Foundations", 2, 0),
    "04": ("Accuracy and\ncancellation", "Numerics", 0, 1),
    "05": ("One-liners,\ngradient checks,\nspecial values", "Numerics", 1, 1),
    "06": ("ELU and its\nneighbours", "ELU among its neighbours", 3, 0),
    "07": ("Gradients\nthrough depth", NETS, 3, 1),
    "08": ("SELU and self-\nnormalisation", NETS, 2, 1),
    "09": ("ELU in a\ntrained network", NETS, 2, 2),
    "10": ("ELU's modern\nneighbours", "ELU today", 3, 2),
    "11": ("ELU in the\nframeworks", "ELU today", 1, 2),
    "12": ("Capstone: the\ncommon description", "Capstone", 1, 3),
}
# (before, after): read the first before the second.
EDGES = [
    ("01", "02"),
    ("02", "03"),
    ("02", "04"),
    ("04", "05"),
    ("03", "06"),
    ("06", "07"),
    ("03", "08"),
    ("07", "08"),
    ("08", "09"),
    ("07", "10"),
    ("05", "11"),
    ("09", "12"),
    ("11", "12"),
]
ROWS = 1 + max(row for *_, row in CHAPTERS.values())


def centre(number: str) -> tuple[float, float]:
    _, _, col, row = CHAPTERS[number]
    return col * COL, -row * ROW


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
    plt.rcParams.update({"svg.hashsalt": "elu-book", "font.size": FONT})
    fig, ax = plt.subplots(figsize=FIGSIZE)
    fig.patch.set_facecolor("white")  # an opaque card, readable in dark mode
    ax.set_xlim(-BOX_W / 2 - 0.15, 3 * COL + BOX_W / 2 + 0.15)
    ax.set_ylim(-(ROWS - 1) * ROW - BOX_H / 2 - 0.12, BOX_H / 2 + 0.12)
    ax.set_axis_off()
    for number, (title, part, _, _) in CHAPTERS.items():
        x, y = centre(number)
        ax.add_patch(
            FancyBboxPatch(
                (x - BOX_W / 2, y - BOX_H / 2),
                BOX_W,
                BOX_H,
                boxstyle="round,pad=0,rounding_size=0.08",
                facecolor="white",
                edgecolor=PARTS[part],
                linewidth=2.2,
                zorder=2,
            )
        )
        ax.text(x, y, f"{number}\n{title}", ha="center", va="center", zorder=3)
    for a, b in EDGES:
        (xa, ya), (xb, yb) = centre(a), centre(b)
        ax.add_patch(
            FancyArrowPatch(
                edge_point(xa, ya, xb, yb),
                edge_point(xb, yb, xa, ya),
                arrowstyle="-|>",
                mutation_scale=13,
                color="#444444",
                linewidth=1.2,
                shrinkA=0,
                shrinkB=0,
                zorder=1,
            )
        )
    # The key, in two columns in the empty cells at the bottom right; long
    # names on two lines.
    for i, (part, colour) in enumerate(PARTS.items()):
        if i % 3 == 0:
            x0, y = (2 + i // 3) * COL - BOX_W / 2, -(ROWS - 1) * ROW + BOX_H / 2
        name = part.replace(" its ", " its\n").replace(" deep ", " deep\n")
        half = 0.075 * (name.count("\n") + 1)
        y -= half + 0.05
        ax.add_patch(
            FancyBboxPatch(
                (x0, y - 0.07),
                0.22,
                0.14,
                boxstyle="round,pad=0,rounding_size=0.03",
                facecolor="white",
                edgecolor=colour,
                linewidth=2.2,
            )
        )
        ax.text(x0 + 0.32, y, name, va="center", fontsize=FONT - 1)
        y -= half + 0.05
    fig.subplots_adjust(0, 0, 1, 1)
    return fig


if __name__ == "__main__":
    figure = draw()
    figure.savefig(OUT, format="svg", metadata={"Date": None})
    print(f"wrote {OUT}")
