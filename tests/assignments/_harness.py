"""Build otter assignments, write submissions, grade them with assignments/grade.py.

Shared by the tests in this folder. Building runs ``otter assign`` in one
Python process for all masters (its command line takes seconds to start);
grading runs the real ``assignments/grade.py``, several folders at once.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from tests.book._paths import ROOT

GRADE = ROOT / "assignments" / "grade.py"
PACKAGE = ROOT / "assignments" / "package.py"
EXAMPLE = ROOT / "tests" / "assignments" / "example" / "00_example.ipynb"
# The private masters (README, "For instructors"): ELU_MASTERS or private/assignments.
MASTERS_DIR = Path(os.environ.get("ELU_MASTERS", ROOT / "private" / "assignments"))
MASTERS = sorted(MASTERS_DIR.glob("*.ipynb"))
SANDBOX_USER = "grader-sandbox"


def sandbox_problem() -> str | None:
    """Why grade.py's sandbox cannot run here (not root, no bubblewrap), or None."""
    if os.geteuid() != 0:
        return "grade.py's sandbox needs root"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    return None


def build(masters: list[Path], out: Path) -> dict[str, Path]:
    """``otter assign`` on every master, in one process; no test run (the
    gradings below run the solutions)."""
    pairs = [str(a) for m in masters for a in (m, out / m.stem)]
    script = (
        "import sys\nfrom otter.assign import main\n"
        "for m, r in zip(sys.argv[1::2], sys.argv[2::2]):\n"
        "    main(m, r, no_run_tests=True)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, *pairs],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return {m.stem: out / m.stem for m in masters}


def fill(notebook: Path, answers: dict[str, str], dest: Path, *, append=()) -> None:
    """Write ``dest``: ``notebook`` with each code cell starting with a key of
    ``answers`` replaced by its value, and the cells in ``append`` added after
    the first code cell that is not otter's."""
    nb = nbformat.read(notebook, as_version=4)
    for start, source in answers.items():
        cells = [
            c for c in nb.cells if c.cell_type == "code" and c.source.startswith(start)
        ]
        assert len(cells) == 1, f"{notebook.name}: {len(cells)} cells start {start!r}"
        cells[0].source = source
    if append:
        first = next(
            i
            for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and "otter" not in c.source
        )
        for offset, source in enumerate(append, 1):
            cell = nbformat.v4.new_code_cell(source)
            if nb.nbformat_minor < 5:
                del cell["id"]
            nb.cells.insert(first + offset, cell)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)


def grade(
    folder: Path, submissions: Path, results: Path, *options: str
) -> subprocess.Popen:
    """Start ``grade.py`` on a folder of submissions (wait with :func:`rows`)."""
    command = [sys.executable, str(GRADE), "-a", str(folder), "-o", str(results)]
    command += [*options, str(submissions)]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def rows(process: subprocess.Popen, results: Path, timeout: float = 600) -> dict:
    """Wait for ``grade.py``; its ``final_grades.csv`` rows by name, and its output."""
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    with open(results / "final_grades.csv", newline="", encoding="utf-8") as f:
        found = {row["name"]: row for row in csv.DictReader(f)}
    return {"rows": found, "output": output, "dir": results}


NOT_QUESTIONS = {
    "name",
    "file",
    "student_id",
    "total",
    "possible",
    "percent",
    "sandbox",
    "integrity",
    "messages",
}


def questions(row: dict) -> dict[str, float]:
    """The per-question scores of a final_grades.csv row."""
    return {k: float(v) for k, v in row.items() if k not in NOT_QUESTIONS}


def details(results: Path, name: str) -> dict:
    return json.loads((results / f"{name}.json").read_text(encoding="utf-8"))


def master_secrets(path: Path) -> tuple[set[str], set[str], set[str]]:
    """Lines only in a master's solutions, lines only in its hidden tests, and
    the hidden tests' function names.

    otter assign format v1: raw cells ``# BEGIN/END SOLUTION`` and ``# BEGIN/END
    TESTS`` delimit blocks; in a solution cell, the lines between the comments
    ``# BEGIN SOLUTION`` and ``# END SOLUTION`` and lines ending in ``# SOLUTION``
    are the answer; a test cell whose first line is ``# HIDDEN`` is hidden. Lines
    that also occur in the public part (``import numpy as np``) are no secret.
    """
    public, solution, hidden, hidden_names = set(), set(), set(), set()
    block = None
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "raw":
            marker = re.match(r"#\s*(BEGIN|END)\s+(SOLUTION|TESTS)\b", cell.source)
            if marker:
                block = marker.group(2) if marker.group(1) == "BEGIN" else None
            continue
        lines = [line.strip() for line in cell.source.splitlines()]
        if block == "TESTS" and re.match(r"#\s*HIDDEN\b", cell.source):
            hidden.update(lines[1:])
            hidden_names.update(re.findall(r"^def (\w+)", cell.source, re.M))
        elif block == "SOLUTION":
            inside = False
            for line in lines:
                if line.startswith(("# BEGIN SOLUTION", "# END SOLUTION")):
                    inside = line.startswith("# BEGIN")
                elif inside or line.endswith("# SOLUTION"):
                    solution.add(line)
                else:
                    public.add(line)
        else:
            public.update(lines)
    return solution - public - {""}, hidden - public - {""}, hidden_names


def texts_of(value) -> list[str]:
    """Every string in a JSON value (a notebook's sources, outputs, metadata)."""
    found = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def texts(folder: Path) -> list[str]:
    """Every string in every file under ``folder`` (notebooks: their JSON strings)."""
    found = []
    for path in folder.rglob("*"):
        if path.suffix == ".ipynb":
            found += texts_of(json.loads(path.read_text(encoding="utf-8")))
        elif path.is_file():
            found.append(path.read_text(encoding="utf-8", errors="replace"))
    return found
