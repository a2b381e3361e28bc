"""The PDF book that `make pdf` leaves in _build/latex/, read with poppler-utils.

Building the PDF takes a minute and more, which `make test` cannot spend, so
this module checks the PDF that `make pdf` built, provided it is newer than
every source of the book; CI runs `make pdf` before `make test`. It skips,
saying why, when XeLaTeX or poppler-utils is missing or the PDF is missing or
older than a source. ELU_REQUIRE_PDF=1 (set by .ci/run) turns each of those
skips into a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

from tests.book._paths import HTML, ROOT, toc_files

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
PDF_NAME = Path(CONFIG["latex"]["latex_documents"]["targetname"]).stem + ".pdf"
PDF = ROOT / "_build" / "latex" / PDF_NAME
REQUIRED = os.environ.get("ELU_REQUIRE_PDF") == "1"
TOOLS = ["xelatex", "latexmk", "pdftotext", "pdfimages", "pdffonts", "pdfinfo"]


def source_of(entry: str) -> Path:
    return next(
        path
        for path in (ROOT / f"{entry}.md", ROOT / f"{entry}.ipynb")
        if path.exists()
    )


def book_sources() -> list[Path]:
    """Every file whose change changes the PDF."""
    files = [source_of(entry) for entry in toc_files()]
    files += [ROOT / name for name in ("_config.yml", "_toc.yml", "references.bib")]
    for folder in ("images", "_ext", "_latex"):
        # Not Python's bytecode caches, which importing a script (re)writes.
        files += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        ]
    return files


def skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (ELU_REQUIRE_PDF=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module", autouse=True)
def fresh_pdf() -> Path:
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing:
        skip_or_fail(
            f"PDF test skipped: {', '.join(missing)} not installed"
            " (TeX Live and poppler-utils: README.md, 'The PDF')"
        )
    if not PDF.is_file():
        skip_or_fail(f"PDF test skipped: no {PDF.relative_to(ROOT)}; run `make pdf`")
    newer = [p for p in book_sources() if p.stat().st_mtime > PDF.stat().st_mtime]
    if newer:
        names = ", ".join(str(p.relative_to(ROOT)) for p in newer[:3])
        skip_or_fail(
            f"PDF test skipped: {PDF.relative_to(ROOT)} is older than {names}"
            f"{' and more' if len(newer) > 3 else ''}; run `make pdf`"
        )
    return PDF


def run(*command: str) -> str:
    return subprocess.run([*command], check=True, capture_output=True, text=True).stdout


@cache
def pdf_text() -> str:
    """The PDF's text, whitespace collapsed, quotes made plain."""
    text = run("pdftotext", "-enc", "UTF-8", os.fspath(PDF), "-")
    text = text.translate(str.maketrans("\u2018\u2019\u201c\u201d", "''\"\""))
    return re.sub(r"\s+", " ", text)


def title_of(entry: str) -> str:
    """A page's title: the first level-one heading of its source."""
    path = source_of(entry)
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        lines = [
            line
            for cell in cells
            if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines()
        ]
    else:
        lines = path.read_text().splitlines()
    return next(line[2:].strip() for line in lines if line.startswith("# "))


def test_page_count_and_size_are_reported():
    pages = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", os.fspath(PDF)))[1])
    print(f"{PDF.name}: {pages} pages, {PDF.stat().st_size / 1e6:.1f} MB")
    # Thirteen pages in the table of contents, each at least a page long.
    assert pages >= len(toc_files())


@pytest.mark.parametrize("entry", toc_files())
def test_every_page_title_is_in_the_pdf(entry):
    title = re.sub(r"\s+", " ", title_of(entry).replace("`", ""))
    assert title.lower() in pdf_text().lower(), f"{title!r} ({entry}) not in the PDF"


def test_no_unresolved_reference_raw_markup_or_traceback():
    text = pdf_text()
    for marker in ["??", "\\begin", "$$", "{eq}", "Traceback"]:
        where = text.find(marker)
        assert where < 0, (
            f"{marker!r} in the PDF: ...{text[where - 80 : where + 80]}..."
        )


@cache
def html_pages() -> dict[str, str]:
    """The HTML book's pages, by _toc.yml entry (read as text: parsing is slow)."""
    if not (HTML / "index.html").exists():
        pytest.fail(f"no {HTML}/index.html: run `make test` (or `make book`)")
    return {entry: (HTML / f"{entry}.html").read_text() for entry in toc_files()}


def test_every_figure_of_the_html_book_is_in_the_pdf():
    pages = html_pages().values()
    figures = sum(p.count('<span class="caption-number">Fig. ') for p in pages)
    # The book's own raster images (not the theme's, such as the Colab logo).
    raster = re.compile(r'<img [^>]*src="[^"]*_images/[^"]+\.(?:png|jpe?g)"', re.I)
    rasters = sum(len(raster.findall(page)) for page in pages)
    # pdfimages -list: one row per image, "smask" rows are transparency masks.
    rows = run("pdfimages", "-list", os.fspath(PDF)).splitlines()[2:]
    images = sum(1 for row in rows if row.split()[2] == "image")
    assert images >= rasters, f"{images} images in the PDF, {rasters} in the HTML"
    # Numbered captions ("Fig. 3.1: ..."), vector figures (the chapter map) too;
    # chapter 0's (How to use this book) are numbered without the chapter.
    captions = set(re.findall(r"Fig\. (\d+(?:\.\d+)?):", pdf_text()))
    assert len(captions) >= figures, (
        f"{len(captions)} figure captions in the PDF, {figures} in the HTML"
    )


def test_every_font_is_embedded():
    rows = run("pdffonts", os.fspath(PDF)).splitlines()[2:]
    assert rows, "pdffonts lists no font"
    # Each row ends "emb sub uni object-number generation"; names may be long.
    not_embedded = [row.split()[0] for row in rows if row.split()[-5] != "yes"]
    assert not not_embedded, f"fonts not embedded: {not_embedded}"


def test_the_html_book_offers_the_pdf():
    """Each page's download menu has "Book (PDF)", a copy of the PDF, offline."""
    link = re.compile(r'<a href="([^"]+)"(?:(?!</a>).)*Book \(PDF\)', re.DOTALL)
    for entry, page in html_pages().items():
        found = link.search(page)
        assert found, f"{entry}.html: no 'Book (PDF)' link"
        target = (HTML / entry).parent / found[1]
        assert target.is_file(), f"{entry}.html: {found[1]} missing"
        assert target.read_bytes() == PDF.read_bytes(), f"{target} is not {PDF}"
