"""Draw the book's logo and favicon: the ELU curve in the house blue.

Run `python images/make_logo.py` after changing it; it rewrites
images/logo.svg and images/favicon.svg (both committed). Plain SVG text, no
plotting library, so the files are small and the same bytes every run.
"""

from __future__ import annotations

import math
from pathlib import Path

HERE = Path(__file__).resolve().parent
ELU_BLUE = "#0072B2"  # elu_lib.plotting.COLORS["elu"] (Okabe & Ito blue)
AXIS_GREY = "#6E6E6E"
TEXT_DARK = "#222222"
Z_MIN, Z_MAX, Y_MIN, Y_MAX = -3.0, 2.0, -1.0, 2.0


def elu(z: float) -> float:
    return z if z > 0 else math.expm1(z)


def curve(x0: float, y0: float, size: float, steps: int = 50) -> str:
    """The ELU (alpha = 1) as SVG polyline points, in a size x size box."""

    def to_box(z: float, y: float) -> tuple[float, float]:
        return (
            x0 + (z - Z_MIN) / (Z_MAX - Z_MIN) * size,
            y0 + (Y_MAX - y) / (Y_MAX - Y_MIN) * size,
        )

    points = []
    for i in range(steps + 1):
        z = Z_MIN + (Z_MAX - Z_MIN) * i / steps
        x, y = to_box(z, elu(z))
        points.append(f"{x:.1f},{y:.1f}")
    return " ".join(points)


def axes(x0: float, y0: float, size: float, width: float) -> str:
    # The origin sits at z = 0, y = 0 of the plotted box.
    ox = x0 + (0 - Z_MIN) / (Z_MAX - Z_MIN) * size
    oy = y0 + (Y_MAX - 0) / (Y_MAX - Y_MIN) * size
    style = f'stroke="{AXIS_GREY}" stroke-width="{width}" stroke-linecap="round"'
    return (
        f'<line x1="{x0:.1f}" y1="{oy:.1f}" x2="{x0 + size:.1f}" y2="{oy:.1f}" '
        f"{style}/>\n"
        f'  <line x1="{ox:.1f}" y1="{y0:.1f}" x2="{ox:.1f}" y2="{y0 + size:.1f}" '
        f"{style}/>"
    )


def icon(x0: float, y0: float, size: float, stroke: float) -> str:
    return (
        f"  {axes(x0, y0, size, stroke / 2.5)}\n"
        f'  <polyline points="{curve(x0, y0, size)}" fill="none" '
        f'stroke="{ELU_BLUE}" stroke-width="{stroke}" stroke-linecap="round" '
        f'stroke-linejoin="round"/>\n'
    )


def logo() -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 260 72" '
        'width="260" height="72" role="img" aria-labelledby="title">\n'
        '  <title id="title">The ELU book</title>\n'
        # Its own white card, so that the dark wordmark reads in dark mode too.
        '  <rect width="260" height="72" rx="10" fill="#FFFFFF"/>\n'
        + icon(6, 6, 60, 5)
        + '  <text x="80" y="47" font-family="DejaVu Sans, Helvetica, Arial, '
        'sans-serif" font-size="30">'
        f'<tspan font-weight="bold" fill="{ELU_BLUE}">ELU</tspan>'
        f'<tspan fill="{TEXT_DARK}"> book</tspan></text>\n'
        "</svg>\n"
    )


def favicon() -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" '
        'width="64" height="64">\n'
        '  <rect width="64" height="64" rx="12" fill="#FFFFFF"/>\n'
        + icon(6, 6, 52, 7)
        + "</svg>\n"
    )


if __name__ == "__main__":
    (HERE / "logo.svg").write_text(logo(), encoding="utf-8")
    (HERE / "favicon.svg").write_text(favicon(), encoding="utf-8")
