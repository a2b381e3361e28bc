"""The course's assignments: otter assign builds them, grade.py grades them fairly.

The masters hold the solutions and hidden tests, so they are private: they
live in ``private/assignments/`` (or ``$ELU_MASTERS``), a folder the
repository ignores (README, "For instructors"). So do the submissions graded
here (``cases.py`` beside the masters), since honest work by other routes is
solution code too. In a clone without them these tests are skipped; the ones
about what the repository publishes (``test_privacy.py``) and about grading
itself (``test_grading.py``, on a public example master) still run.

One grade.py run per assignment grades its solutions, the untouched student
notebook and every case; the three runs go side by side.
"""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

from tests.assignments import _harness as H
from tests.book._paths import ROOT

NAMES = [m.stem for m in H.MASTERS]
pytestmark = pytest.mark.skipif(
    not H.MASTERS,
    reason=f"no private masters in {H.MASTERS_DIR} (README, For instructors)",
)


def load_cases() -> dict:
    path = H.MASTERS_DIR / "cases.py"
    if not path.is_file():
        return {}
    spec = importlib.util.spec_from_file_location("private_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


CASES = load_cases()


def write_case(case: dict, built: Path, name: str, dest: Path) -> Path:
    """The notebook ``case`` describes, written into ``dest``."""
    if "raw" in case:
        path = dest / case.get("file", "case.ipynb")
        path.write_bytes(case["raw"])
        return path
    base = case.get("base", "student")
    source = (
        built / ("autograder" if base == "solutions" else "student") / f"{name}.ipynb"
    )
    nb = nbformat.read(source, as_version=4)
    for start, code in case.get("answers", {}).items():
        cells = [
            c for c in nb.cells if c.cell_type == "code" and c.source.startswith(start)
        ]
        assert len(cells) == 1, f"{name}: {len(cells)} cells start {start!r}"
        cells[0].source = code
    if "replace" in case:
        old, new = case["replace"]
        hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert len(hits) == 1, f"{name}: {old!r} in {len(hits)} cells"
        hits[0].source = hits[0].source.replace(old, new)
    for code in case.get("append", []):
        nb.cells.append(nbformat.v4.new_code_cell(code))
    if "kernel" in case:
        nb.metadata["kernelspec"] = {
            "name": case["kernel"],
            "display_name": case["kernel"],
            "language": "python",
        }
    if case.get("fresh"):
        fresh = nbformat.v4.new_notebook()
        fresh.cells = [
            nbformat.v4.new_code_cell(c.source)
            for c in nb.cells
            if c.cell_type == "code"
            and "otter" not in c.source
            and "grader." not in c.source
        ]
        nb = fresh
    path = dest / case.get("file", "case.ipynb")
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """otter assign, then package.py's Gradescope zip (as make assignments;
    the solutions PDF, which takes Chromium and half a minute, is left out)."""
    built = H.build(H.MASTERS, tmp_path_factory.mktemp("assignments"))
    run = subprocess.run(
        [sys.executable, str(H.PACKAGE), "--no-pdf", *map(str, built.values())],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return built


@pytest.fixture(scope="module")
def graded(built, tmp_path_factory) -> dict[str, dict]:
    """Each assignment's submissions graded by grade.py (sandboxed where the
    sandbox can run, else with --unsafe: these submissions are honest)."""
    options = ["-j", "2", "--call-timeout", "1", "--cell-timeout", "30"]
    if H.sandbox_problem():
        options.append("--unsafe")
    runs, files = {}, {}
    for name, folder in built.items():
        subs = tmp_path_factory.mktemp(f"subs-{name}")
        H.fill(folder / "autograder" / f"{name}.ipynb", {}, subs / "solution.ipynb")
        H.fill(folder / "student" / f"{name}.ipynb", {}, subs / "student.ipynb")
        files[name] = {}
        for case_name, case in CASES.get(name, {}).items():
            dest = subs / case_name
            dest.mkdir()
            files[name][case_name] = write_case(case, folder, name, dest)
        results = tmp_path_factory.mktemp(f"results-{name}")
        runs[name] = (H.grade(folder, subs, results, *options), results)
    graded = {
        name: H.rows(process, results) for name, (process, results) in runs.items()
    }
    for name in graded:
        graded[name]["files"] = files[name]
    return graded


def case_row(graded: dict, name: str, case: str) -> dict:
    """The row of a case: its name is its folder, then its file's stem."""
    stem = graded[name]["files"][case].stem
    matches = [r for n, r in graded[name]["rows"].items() if n.startswith(f"{case}__")]
    assert len(matches) == 1, (case, stem, list(graded[name]["rows"]))
    return matches[0]


def test_masters_named_after_their_files_with_grading_rules():
    assert NAMES == ["01_elu_in_numpy", "02_derive_with_sympy", "03_backprop_by_hand"]
    for master in H.MASTERS:
        cells = nbformat.read(master, as_version=4).cells
        assert cells[0].cell_type == "raw"
        assert cells[0].source.startswith("# ASSIGNMENT CONFIG")
        assert yaml.safe_load(cells[0].source)["name"] == master.stem
        assert cells[1].cell_type == "raw"
        assert cells[1].source.startswith("# GRADING RULES")
        assert isinstance(yaml.safe_load(cells[1].source)["forbidden_imports"], list)


@pytest.mark.parametrize("name", NAMES)
def test_otter_assign_writes_student_notebook_and_autograder(built, name):
    assert [p.name for p in (built[name] / "student").iterdir()] == [f"{name}.ipynb"]
    (autograder,) = (built[name] / "autograder").glob(f"{name}-autograder_*.zip")
    assert autograder.stat().st_size > 0


@pytest.mark.parametrize("name", NAMES)
def test_gradescope_zip_installs_elu_lib_and_its_dependencies(built, name):
    """Gradescope builds the grading environment from environment.yml: it
    installs the elu_lib wheel in the zip, and with it SymPy and NumPy."""
    (path,) = (built[name] / "autograder").glob("*-autograder_*.zip")
    with zipfile.ZipFile(path) as zf:
        environment = yaml.safe_load(zf.read("environment.yml"))
        (wheel,) = [n for n in zf.namelist() if n.startswith("elu_lib-")]
        with zipfile.ZipFile(io.BytesIO(zf.read(wheel))) as whl:
            files = whl.namelist()
            (meta,) = [n for n in files if n.endswith(".dist-info/METADATA")]
            requires = whl.read(meta).decode()
    (pip,) = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    assert f"/autograder/source/{wheel}" in pip
    assert any(p.startswith("otter-grader") for p in pip)
    assert {"elu_lib/symbolic.py", "elu_lib/activations.py"} <= set(files)
    assert "Requires-Dist: sympy" in requires and "Requires-Dist: numpy" in requires


@pytest.mark.parametrize("name", NAMES)
def test_solution_scores_full_marks_without_messages(graded, name):
    row = graded[name]["rows"]["solution"]
    assert float(row["total"]) == float(row["possible"]) > 0, row
    assert row["messages"] == "" and row["integrity"] == "", row


@pytest.mark.parametrize("name", NAMES)
def test_untouched_student_notebook_scores_zero_on_every_question(graded, name):
    scores = H.questions(graded[name]["rows"]["student"])
    assert len(scores) >= 2 and set(scores.values()) == {0.0}, scores


@pytest.mark.parametrize(
    ("name", "case"), [(n, c) for n in CASES for c in CASES[n]] or [("none", "none")]
)
def test_each_case_scores_what_its_work_is_worth(graded, name, case):
    """Honest work by any route scores full marks; a mistake costs the points
    of what it gets wrong; odd notebooks are graded, with a readable message."""
    if name not in graded:
        pytest.skip(f"no master {name}")
    spec = CASES[name][case]
    row = case_row(graded, name, case)
    assert H.questions(row) == {q: float(s) for q, s in spec["scores"].items()}, row
    for message in spec.get("messages", []):
        assert message in row["messages"], row["messages"]
    assert row["integrity"] == "", row["integrity"]


@pytest.mark.parametrize("name", NAMES)
def test_every_failing_test_is_reported(graded, name):
    """Each lost point has a line: the untouched notebook fails every test."""
    details = H.details(graded[name]["dir"], "student")
    failing = [t for q in details["questions"].values() for t in q["tests"]]
    assert failing and not any(t["passed"] for t in failing)
    messages = graded[name]["rows"]["student"]["messages"]
    for test in failing:
        assert test["name"] in messages, test["name"]


@pytest.mark.parametrize("name", NAMES)
def test_committed_student_notebook_is_the_built_one(built, name):
    """assignments/<name>.ipynb, the notebook the repository publishes, is
    what otter assign makes of the private master (`make assignments`)."""
    committed = nbformat.read(ROOT / "assignments" / f"{name}.ipynb", as_version=4)
    fresh = nbformat.read(built[name] / "student" / f"{name}.ipynb", as_version=4)
    assert [(c.cell_type, c.source) for c in committed.cells] == [
        (c.cell_type, c.source) for c in fresh.cells
    ]
    assert committed.metadata.get("otter") == fresh.metadata.get("otter")


@pytest.mark.parametrize("name", NAMES)
def test_student_version_holds_no_solution_or_hidden_test(built, name):
    solution, hidden, hidden_names = H.master_secrets(H.MASTERS_DIR / f"{name}.ipynb")
    assert solution and hidden and hidden_names, "found nothing to keep secret"
    # The check can fire: the autograder's copy of the master holds them all.
    autograder_lines = {
        line.strip()
        for text in H.texts(built[name] / "autograder")
        for line in text.splitlines()
    }
    assert solution <= autograder_lines
    student = H.texts(built[name] / "student")
    lines = {line.strip() for text in student for line in text.splitlines()}
    assert not solution & lines, f"solution lines leaked: {solution & lines}"
    assert not hidden & lines, f"hidden-test lines leaked: {hidden & lines}"
    leaked = {n for n in hidden_names if any(n in text for text in student)}
    assert not leaked, f"hidden tests leaked: {leaked}"


def test_make_assignments_reads_the_masters_from_masters(tmp_path):
    # A dry run (-n) of every step (-B); not the flags of a `make test` around us.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS")}
    masters = os.path.relpath(H.MASTERS_DIR, ROOT)
    plan = subprocess.run(
        ["make", "-nB", "assignments", f"MASTERS={masters}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert plan.returncode == 0, plan.stderr
    for name in NAMES:
        assert (
            f"otter assign {masters}/{name}.ipynb _build/assignments/{name}"
            in plan.stdout
        )
        assert f"assignments/{name}.ipynb" in plan.stdout
