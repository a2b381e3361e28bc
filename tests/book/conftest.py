"""Fixtures for the book's tests: each chapter notebook, read once per test."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.book._paths import CHAPTERS


@pytest.fixture(params=CHAPTERS, ids=[p.name for p in CHAPTERS])
def notebook(request) -> tuple[Path, nbformat.NotebookNode]:
    path = request.param
    return path, nbformat.read(path, as_version=4)
