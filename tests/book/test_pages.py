"""The book's own pages keep up with its chapters and its configuration.

intro.md's chapter table, "How to use this book" (reading times, the
chapter-dependency map) and the link to the instructors' instructions are
written by hand; these tests fail when a chapter in _toc.yml is missing from
one of them, or when the repository URL in _config.yml changes and the link
does not.
"""

from __future__ import annotations

import importlib.util
import re

import nbformat
import yaml

from tests.book._paths import ROOT, toc_files

FOLDED = {"remove-input", "hide-input", "remove-cell"}

CHAPTER_FILES = [f for f in toc_files() if f.startswith("chapters/")]
NUMBERS = [f.split("/")[1][:2] for f in CHAPTER_FILES]
HOW_TO_USE = (ROOT / "how_to_use.md").read_text(encoding="utf-8")


def test_the_toc_has_chapters():
    assert CHAPTER_FILES, "_toc.yml lists no chapter"


def test_intro_links_every_chapter_in_the_toc():
    intro = (ROOT / "intro.md").read_text(encoding="utf-8")
    missing = [f for f in CHAPTER_FILES if f"]({f}.ipynb)" not in intro]
    assert not missing, f"intro.md's chapter table has no row for {missing}"


def reading_minutes(nb) -> float:
    """How to use this book's estimate: prose up to the exercises at 120 words
    a minute, plus half a minute per code cell in view."""
    cells = nb.cells
    end = next(
        (
            i
            for i, c in enumerate(cells)
            if c.cell_type == "markdown" and "## Exercises" in c.source
        ),
        len(cells),
    )
    prose = "\n".join(c.source for c in cells[:end] if c.cell_type == "markdown")
    prose = prose.split("## Exercises")[0]
    words = len(re.findall(r"[A-Za-z]+", re.sub(r"\$[^$]*\$", "x", prose)))
    in_view = [
        c
        for c in cells[:end]
        if c.cell_type == "code" and not set(c.metadata.get("tags", [])) & FOLDED
    ]
    return words / 120 + 0.5 * len(in_view)


def test_how_to_use_gives_a_reading_time_for_every_chapter():
    rows = re.findall(r"^\| (\d\d) .*\| (\d+) min \|$", HOW_TO_USE, re.M)
    assert [n for n, _ in rows] == NUMBERS, rows
    for (number, minutes), name in zip(rows, CHAPTER_FILES, strict=True):
        nb = nbformat.read(ROOT / f"{name}.ipynb", as_version=4)
        estimate = reading_minutes(nb)
        # Rounded to five minutes, with five more of slack as chapters change.
        assert abs(int(minutes) - estimate) <= 7.5, (
            f"how_to_use.md gives chapter {number} {minutes} min; "
            f"its length now says about {estimate:.0f}"
        )


def test_the_chapter_map_has_every_chapter():
    spec = importlib.util.spec_from_file_location(
        "make_chapter_map", ROOT / "images" / "make_chapter_map.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sorted(module.CHAPTERS) == NUMBERS
    for a, b in module.EDGES:
        assert a < b, f"the map's arrow {a} -> {b} points backwards"
    assert (ROOT / "images" / "chapter_map.svg").exists()


def test_instructors_link_follows_the_repository_url():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    url = config["repository"]["url"].rstrip("/") + "#for-instructors"
    assert f"]({url})" in HOW_TO_USE, f"how_to_use.md should link {url}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^## For instructors$", readme, re.M), (
        "README.md has no '## For instructors' section for the link to reach"
    )


def test_how_to_use_gives_each_assignment_its_points():
    """The points in the assignments table add up the questions' points, as
    each question states them ("**Question 1 (5 points).**")."""
    masters = sorted((ROOT / "assignments").glob("*.ipynb"))
    assert masters, "assignments/ holds no master notebook"
    for master in masters:
        nb = nbformat.read(master, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        stated = re.findall(r"\*\*Question \d+ \((\d+) points?\)", text)
        assert stated, f"{master.name}: no '**Question N (P points)**'"
        points = sum(int(p) for p in stated)
        row = re.search(rf"\(`{master.stem}`\) \|.*\| (\d+) \|", HOW_TO_USE)
        assert row, f"how_to_use.md lists no assignment {master.stem}"
        assert int(row.group(1)) == points, (master.stem, row.group(1), points)
