"""The graded assignments: otter assign builds them, otter run grades them.

Each master in ``assignments/`` is built once with ``otter assign`` into a
temporary folder. Then, per assignment, one run of ``assignments/grade.py``
(which drives ``otter run``) grades a folder of submissions: the solution, the
untouched student notebook and, for assignment 1, a plausible wrong answer
and a submission with a missing import, a raising cell and an endless loop.
The three gradings run at once. Everything here is module-level and
module-scoped, so pytest-xdist (``--dist loadscope``) keeps it on one worker and
builds and grades only once.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from tests.book._paths import ROOT

MASTERS = sorted((ROOT / "assignments").glob("*.ipynb"))
NAMES = [p.stem for p in MASTERS]
GRADE = ROOT / "assignments" / "grade.py"
ELU_NUMPY = "01_elu_in_numpy"

# The common snippet: right to the eye and on the public tests, but exp(z) - 1
# loses every digit near 0 and np.exp overflows (with a warning) for large z.
WRONG = {
    "def elu(": (
        "def elu(z, alpha=1.0):\n"
        "    return np.where(z > 0, z, alpha * (np.exp(z) - 1))\n"
    ),
    "def elu_grad(": (
        "def elu_grad(z, alpha=1.0):\n"
        "    return np.where(z > 0, 1.0, alpha * np.exp(z))\n"
    ),
}
# Bad input: a missing import, a cell that raises (after defining a correct
# elu), and an elu_grad that never returns.
BAD = {
    "import numpy": "import numpy as np\nfrom elu_helpers import safe_exp\n",
    "def elu(": (
        "def elu(z, alpha=1.0):\n"
        "    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))\n\n\n"
        "assert elu(np.array([-1.0]))[0] == -0.63, 'my own check, rounded too early'\n"
    ),
    "def elu_grad(": "def elu_grad(z, alpha=1.0):\n    while True:\n        pass\n",
}
# Seconds a cell (or test) may run. Assignment 1's cells take milliseconds,
# so a short limit keeps the endless loop cheap; it is stopped once per test.
CELL_TIMEOUT = {ELU_NUMPY: 2}


def fill(student: Path, answers: dict[str, str], dest: Path) -> None:
    """Write ``dest``: the student notebook with answer cells replaced."""
    nb = nbformat.read(student, as_version=4)
    for start, source in answers.items():
        cells = [
            c for c in nb.cells if c.cell_type == "code" and c.source.startswith(start)
        ]
        assert len(cells) == 1, (
            f"{student.name}: {len(cells)} cells start with {start!r}"
        )
        cells[0].source = source
    nbformat.write(nb, dest)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """``otter assign`` on every master (one process), as ``make assignments`` does.

    The solutions are graded below, so otter assign need not run them too.
    """
    out = tmp_path_factory.mktemp("assignments")
    pairs = [str(a) for m in MASTERS for a in (m, out / m.stem)]
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
    return {m.stem: out / m.stem for m in MASTERS}


@pytest.fixture(scope="module")
def graded(built, tmp_path_factory) -> dict[str, dict]:
    """Each assignment's submissions graded by grade.py: CSV rows and JSON dir."""
    subs = tmp_path_factory.mktemp("submissions")
    results = tmp_path_factory.mktemp("results")
    runs = {}
    for name, folder in built.items():
        (subs / name).mkdir()
        student = folder / "student" / f"{name}.ipynb"
        # The autograder notebook is the master with its solutions in place.
        fill(
            folder / "autograder" / f"{name}.ipynb", {}, subs / name / "solution.ipynb"
        )
        fill(student, {}, subs / name / "student.ipynb")
        if name == ELU_NUMPY:
            fill(student, WRONG, subs / name / "wrong.ipynb")
            fill(student, BAD, subs / name / "bad.ipynb")
        command = [sys.executable, str(GRADE), "-a", str(folder), "-j", "2"]
        command += ["-o", str(results / name), "--timeout", "240"]
        command += ["--cell-timeout", str(CELL_TIMEOUT.get(name, 60)), str(subs / name)]
        runs[name] = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    graded = {}
    for name, process in runs.items():
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, output
        with open(results / name / "final_grades.csv", newline="") as f:
            rows = {row["name"]: row for row in csv.DictReader(f)}
        graded[name] = {"rows": rows, "dir": results / name, "output": output}
    return graded


def questions(row: dict) -> dict[str, float]:
    """The per-question scores of a final_grades.csv row."""
    skip = {"name", "file", "total", "possible", "percent", "messages"}
    return {k: float(v) for k, v in row.items() if k not in skip}


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


def texts(folder: Path) -> list[str]:
    """Every string in every file under ``folder`` (notebooks: their JSON strings)."""
    found = []

    def walk(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for path in folder.rglob("*"):
        if path.suffix == ".ipynb":
            walk(json.loads(path.read_text(encoding="utf-8")))
        elif path.is_file():
            found.append(path.read_text(encoding="utf-8", errors="replace"))
    return found


def test_three_masters_named_after_their_files():
    assert NAMES == [ELU_NUMPY, "02_derive_with_sympy", "03_backprop_by_hand"]
    for master in MASTERS:
        config = nbformat.read(master, as_version=4).cells[0]
        assert config.cell_type == "raw" and config.source.startswith(
            "# ASSIGNMENT CONFIG"
        )
        assert yaml.safe_load(config.source)["name"] == master.stem


@pytest.mark.parametrize("name", NAMES)
def test_otter_assign_writes_student_notebook_and_autograder(built, name):
    assert [p.name for p in (built[name] / "student").iterdir()] == [f"{name}.ipynb"]
    (autograder,) = (built[name] / "autograder").glob(f"{name}-autograder_*.zip")
    assert autograder.stat().st_size > 0


@pytest.mark.parametrize("name", NAMES)
def test_solution_scores_full_marks_without_errors(graded, name):
    row = graded[name]["rows"]["solution"]
    assert float(row["total"]) == float(row["possible"]) > 0, row
    assert row["messages"] == "", row


@pytest.mark.parametrize("name", NAMES)
def test_untouched_student_notebook_scores_zero_on_every_question(graded, name):
    row = graded[name]["rows"]["student"]
    scores = questions(row)
    assert len(scores) >= 2 and set(scores.values()) == {0.0}, row
    assert float(row["possible"]) > 0


def test_exp_minus_one_passes_public_tests_and_fails_hidden_precision(graded):
    row = graded[ELU_NUMPY]["rows"]["wrong"]
    assert 0 < float(row["total"]) < float(row["possible"]), row
    results = json.loads((graded[ELU_NUMPY]["dir"] / "wrong.json").read_text())
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["Public Tests"]["status"] == "passed", tests["Public Tests"]
    assert "lost precision near 0" in tests["q1_elu"]["output"]
    assert tests["q1_elu"]["score"] < tests["q1_elu"]["max_score"]


def test_bad_input_gets_a_score_and_readable_messages(graded):
    """Missing import and raising cell: reported, elu still graded. Endless
    loop: each test stopped after the cell limit, elu_grad scores 0."""
    row = graded[ELU_NUMPY]["rows"]["bad"]
    assert questions(row) == {"q1_elu": 5.0, "q2_elu_grad": 0.0}, row
    assert "ModuleNotFoundError: No module named 'elu_helpers'" in row["messages"]
    assert "AssertionError: my own check, rounded too early" in row["messages"]
    assert "q2_elu_grad test 1: TimeoutError: stopped after 2 s" in row["messages"]


@pytest.mark.parametrize("name", NAMES)
def test_student_version_holds_no_solution_or_hidden_test(built, name):
    solution, hidden, hidden_names = master_secrets(
        ROOT / "assignments" / f"{name}.ipynb"
    )
    assert solution and hidden and hidden_names, "found nothing to keep secret"
    # The check can fire: the autograder's copy of the master holds them all.
    autograder_lines = {
        line.strip()
        for text in texts(built[name] / "autograder")
        for line in text.splitlines()
    }
    assert solution <= autograder_lines
    student = texts(built[name] / "student")
    lines = {line.strip() for text in student for line in text.splitlines()}
    assert not solution & lines, f"solution lines leaked: {solution & lines}"
    assert not hidden & lines, f"hidden-test lines leaked: {hidden & lines}"
    leaked = {n for n in hidden_names if any(n in text for text in student)}
    assert not leaked, f"hidden tests leaked: {leaked}"


def test_make_assignments_runs_otter_assign_on_each_master():
    # A dry run (-n) of every step (-B); not the flags of a `make test` around us.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS")}
    plan = subprocess.run(
        ["make", "-nB", "assignments"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert plan.returncode == 0, plan.stderr
    for name in NAMES:
        assert (
            f"otter assign assignments/{name}.ipynb _build/assignments/{name}"
            in plan.stdout
        )
