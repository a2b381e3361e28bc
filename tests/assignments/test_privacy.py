"""Nothing the project publishes holds an assignment's solutions or hidden tests.

Published: the public export of the repository (``make public``: every
tracked file outside ``private/``; README's "Publishing"), the built book,
and the student notebooks (``assignments/<name>.ipynb``). The masters, and
the submissions the tests grade, are tracked in ``private/`` of this, the
maintainers' repository, so that the project keeps them; the export leaves
that folder out (README, "For instructors").

The check is structural (no exported notebook is an otter master, the
student notebooks carry public tests only) and, with the masters present,
line by line: no hidden test's name, and no line of a solution or hidden test
long enough to be distinctive (32 characters, not an import), appears in
anything published.
"""

from __future__ import annotations

import html
import json
import re
import subprocess

import nbformat
import pytest

from tests.assignments import _harness as H
from tests.book._paths import HTML, ROOT

EXAMPLE_DIR = "tests/assignments/example/"  # public on purpose
MASTER_MARKERS = re.compile(
    r"^#\s*(ASSIGNMENT CONFIG|BEGIN (QUESTION|SOLUTION|TESTS)|HIDDEN\b)", re.M
)


PRIVATE = "private/"  # tracked here, never exported (make public)


def exported() -> list[str]:
    """The files ``make public`` exports: tracked, outside private/."""
    run = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [f for f in run.stdout.split("\0") if f and not f.startswith(PRIVATE)]


def test_submissions_and_results_are_not_tracked():
    paths = ["submissions/jdoe.ipynb", "results/x.csv"]
    run = subprocess.run(
        ["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True
    )
    assert run.stdout.split() == paths


def test_make_public_exports_nothing_under_private(tmp_path):
    subprocess.run(
        ["make", "--no-print-directory", "public", f"DEST={tmp_path}/out"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    files = {
        str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*")
    }
    assert "README.md" in files and "assignments/01_elu_in_numpy.ipynb" in files
    assert not [f for f in files if f.startswith(PRIVATE.rstrip("/"))]
    assert not (tmp_path / "out" / ".git").exists()  # no history either


def test_no_tracked_notebook_is_an_otter_master():
    masters = []
    for name in exported():
        if not name.endswith(".ipynb") or name.startswith(EXAMPLE_DIR):
            continue
        for cell in nbformat.read(ROOT / name, as_version=4).cells:
            source = cell.source.lstrip()
            if cell.cell_type == "raw" and MASTER_MARKERS.match(source):
                masters.append(name)
            elif cell.cell_type == "code" and (
                "# BEGIN SOLUTION" in source
                or source.startswith("# HIDDEN")
                or re.search(r"# SOLUTION\s*$", source, re.M)
            ):
                masters.append(name)
    assert not masters, f"otter masters (solutions, hidden tests) tracked: {masters}"


def test_student_notebooks_carry_public_tests_only():
    notebooks = sorted((ROOT / "assignments").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        tests = nb.metadata["otter"]["tests"]
        assert tests, path.name
        for source in tests.values():
            assert "hidden=True" not in source, f"{path.name}: a hidden test"
            assert "hidden=False" in source


def published() -> dict[str, list[str]]:
    """The stripped lines of every published text: exported files, student
    notebooks (their JSON strings) and the built book's pages (their text)."""
    texts: dict[str, list[str]] = {}
    for name in exported():
        if name.startswith(EXAMPLE_DIR):
            continue
        path = ROOT / name
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
        if name.endswith(".ipynb"):
            text = "\n".join(H.texts_of(json.loads(text)))
        texts[name] = text.splitlines()
    if HTML.is_dir():
        for page in HTML.rglob("*"):
            if page.suffix == ".html":
                # The text without tags: a highlighted code line is one line.
                text = re.sub(r"<[^>]*>", "", page.read_text(errors="replace"))
                texts[str(page)] = html.unescape(text).splitlines()
            elif page.suffix in (".ipynb", ".md", ".py", ".txt") and page.is_file():
                texts[str(page)] = page.read_text(errors="replace").splitlines()
    return {k: [line.strip() for line in v] for k, v in texts.items()}


def distinctive(line: str) -> bool:
    return len(line) >= 32 and not line.startswith(("import ", "from ", "#"))


def leaks(corpus: dict[str, list[str]]) -> list[str]:
    """Where a hidden test's name or a distinctive solution or hidden-test line
    of a private master appears in ``corpus`` (name: stripped lines)."""
    found = []
    for master in H.MASTERS:
        solution, hidden, names = H.master_secrets(master)
        secrets = {line for line in solution | hidden if distinctive(line)}
        assert secrets and names, f"{master.name}: nothing to keep secret?"
        for where, lines in corpus.items():
            hits = secrets.intersection(lines)
            hits |= {n for n in names if any(n in line for line in lines)}
            found += [f"{where}: {hit}" for hit in sorted(hits)]
    return found


@pytest.mark.skipif(not H.MASTERS, reason=f"no private masters in {H.MASTERS_DIR}")
def test_nothing_published_holds_a_solution_or_hidden_test():
    corpus = published()
    assert any(k.endswith("01_elu_in_numpy.ipynb") for k in corpus)
    if not HTML.is_dir():
        pytest.fail(f"no built book at {HTML} (make test builds it first)")
    assert not leaks(corpus), "published: " + "; ".join(leaks(corpus))


@pytest.mark.skipif(not H.MASTERS, reason=f"no private masters in {H.MASTERS_DIR}")
def test_the_check_finds_a_pasted_solution_line():
    solution, _, names = H.master_secrets(H.MASTERS[0])
    line = next(s for s in sorted(solution) if distinctive(s))
    assert leaks({"README.md": ["Our answer:", line]}) == [f"README.md: {line}"]
    assert leaks({"notes.md": [f"see {sorted(names)[0]}()"]})
