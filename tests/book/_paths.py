"""Where the book's sources and its build are, for the book and assignment tests.

A plain module, not a conftest: test modules import it by name
(``from tests.book._paths import ROOT``), and it needs PyYAML, which only the
book's environment has.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
# The built book; ELU_BOOK_HTML points elsewhere (e.g. a --path-output build).
HTML = ROOT / os.environ.get("ELU_BOOK_HTML", "_build/html")


def toc_files() -> list[str]:
    """Every file named in _toc.yml, without extension, in book order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files
