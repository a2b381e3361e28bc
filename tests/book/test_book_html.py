"""The built HTML book, as `make test` leaves it in _build/html.

`make test` runs `jupyter-book build -W -n --keep-going` first, so a build
warning has already failed the run; these tests look at what came out.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup

from tests.book._paths import HTML, ROOT, toc_files

BOOK_PAGES = [HTML / f"{f}.html" for f in toc_files()]
CHAPTER_PAGES = [p for p in BOOK_PAGES if p.parent.name == "chapters"]


@pytest.fixture(scope="module", autouse=True)
def built_book():
    if not (HTML / "index.html").exists():
        pytest.fail("no _build/html/index.html: run `make book` (or `make test`)")


@functools.cache
def soup(path: Path) -> BeautifulSoup:
    """The page, parsed once for all the tests that read it (none changes it)."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def local_target(page: Path, ref: str) -> Path | None:
    """The file a relative href/src points to, or None for external/anchors."""
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    return (page.parent / unquote(parts.path)).resolve()


@pytest.mark.parametrize("page", BOOK_PAGES, ids=lambda p: p.name)
def test_every_toc_page_was_built(page):
    assert page.exists(), f"{page.relative_to(HTML)} missing from the build"


@pytest.mark.parametrize("page", BOOK_PAGES, ids=lambda p: p.name)
def test_no_page_shows_an_error_or_traceback(page):
    doc = soup(page)
    assert not doc.select(".output.traceback, .output.error"), page.name
    assert not doc.select(".output.stderr"), f"{page.name} shows stderr output"
    text = doc.get_text()
    assert "Traceback (most recent call last)" not in text, page.name


@pytest.mark.parametrize("page", BOOK_PAGES, ids=lambda p: p.name)
def test_every_image_exists(page):
    doc = soup(page)
    for img in doc.find_all("img"):
        src = img.get("src", "")
        assert not src.startswith(("http:", "https:", "//")), (
            f"{page.name} loads an image from the network: {src}"
        )
        if src.startswith("data:"):
            continue
        target = local_target(page, src)
        assert target is not None and target.is_file(), f"{page.name}: {src}"


@pytest.mark.parametrize("page", BOOK_PAGES, ids=lambda p: p.name)
def test_figures_have_alt_text(page):
    doc = soup(page)
    for img in doc.select(".cell_output img, figure img"):
        assert img.get("alt", "").strip(), f"{page.name}: {img.get('src')}"


def test_chapter_pages_show_rendered_figures():
    assert CHAPTER_PAGES
    for page in CHAPTER_PAGES:
        assert soup(page).select("figure img"), f"{page.name} shows no figure"


@pytest.mark.parametrize("page", BOOK_PAGES, ids=lambda p: p.name)
def test_page_loads_nothing_from_the_network(page):
    """Scripts and stylesheets come from the book itself, so it works offline."""
    doc = soup(page)
    refs = [s.get("src") for s in doc.find_all("script") if s.get("src")]
    refs += [x.get("href") for x in doc.find_all("link", rel="stylesheet")]
    for ref in refs:
        assert not ref.startswith(("http:", "https:", "//")), f"{page.name}: {ref}"
        target = local_target(page, ref)
        assert target is not None and target.is_file(), f"{page.name}: {ref}"


def test_math_is_served_by_the_book():
    page = HTML / "chapters" / "01_what_elu_is.html"
    scripts = [s.get("src", "") for s in soup(page).find_all("script")]
    assert any("_static/mathjax/tex-chtml.js" in s for s in scripts), scripts


@pytest.mark.parametrize("page", BOOK_PAGES, ids=lambda p: p.name)
def test_page_shows_the_books_logo_and_favicon(page):
    doc = soup(page)
    icon = doc.find("link", rel="icon")
    assert icon and icon["href"].endswith("favicon.svg"), page.name
    logos = doc.select("img.logo__image")
    assert logos and all(img["src"].endswith("logo.svg") for img in logos)
    for ref in [icon["href"], logos[0]["src"]]:
        target = local_target(page, ref)
        assert target is not None and target.is_file(), f"{page.name}: {ref}"


def test_chapters_offer_download_binder_and_colab():
    """The launch links come from repository.url in _config.yml (README: Publishing)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    owner_repo = urlsplit(config["repository"]["url"]).path.strip("/")
    branch = config["repository"]["branch"]
    assert CHAPTER_PAGES
    for page in CHAPTER_PAGES:
        notebook = f"chapters/{page.stem}.ipynb"
        hrefs = [a["href"] for a in soup(page).find_all("a", href=True)]
        assert f"../_sources/{notebook}" in hrefs, f"{page.name}: no .ipynb download"
        assert (HTML / "_sources" / notebook).is_file(), notebook
        binder = f"https://mybinder.org/v2/gh/{owner_repo}/{branch}?urlpath="
        assert any(h.startswith(binder) and h.endswith(notebook) for h in hrefs), (
            f"{page.name}: no Binder link for {owner_repo}"
        )
        colab = (
            "https://colab.research.google.com/github/"
            f"{owner_repo}/blob/{branch}/{notebook}"
        )
        assert colab in hrefs, f"{page.name}: no Colab link"


def test_no_assignment_is_part_of_the_book():
    """The download button serves each page's source: no solutions in the book.

    Files outside _toc.yml are left out by only_build_toc_files (_config.yml).
    """
    assert not [f for f in toc_files() if f.startswith("assignments")]
    masters = [p.stem for p in (ROOT / "assignments").glob("*.ipynb")]
    assert masters
    built = [p.relative_to(HTML) for p in HTML.rglob("*") if p.is_file()]
    leaked = [
        p
        for p in built
        if "assignments" in p.parts or any(name in p.name for name in masters)
    ]
    assert not leaked, f"assignments in the built book: {leaked}"
