"""Grade student submissions with an otter autograder, locally, with time limits.

``otter run`` grades one notebook without Docker, but it has no time limit (a
submission that loops forever hangs it) and no way to grade a folder. This
script is a thin wrapper around it (``otter.run.main``, the function behind
``otter run``):

* each cell of a submission, and each test, may run ``--cell-timeout`` seconds;
  then a ``TimeoutError`` stops it and the rest of the notebook is still graded,
  so an endless loop costs the questions it breaks, not the whole submission;
* each submission may take ``--timeout`` seconds in all; then its grading
  process is killed and it scores 0, with a message saying so;
* an error in a cell, a missing import, or a crash of the grader gives a score
  and a message, never an aborted run.

Usage (from the repository root, in the project's environment)::

    .venv/bin/python assignments/grade.py \\
        -a _build/assignments/01_elu_in_numpy -o results/ submissions/

``-a`` takes the autograder zip or the folder ``make assignments`` wrote;
submissions are ``.ipynb`` files, or folders searched (recursively) for them.
It writes, into the output folder, ``final_grades.csv`` (one row per
submission: its name, the score of each question, total, possible, percent, and
messages saying why points were lost), and per submission ``<name>.json``
(otter's results, with every test's output) and ``<name>.log`` (otter's log).
The name is the submission's path inside the folder given, ``/`` written
``__``. POSIX only (it forks, and times cells with ``SIGALRM``).
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

# Prepended to every submission: arms an alarm before each cell and disarms it
# after. The handler re-arms itself so that, inside one cell, each test that
# hangs is stopped in turn (otter counts a test that raises as failed).
GUARD_CELL = """\
# Added by assignments/grade.py: a time limit for every cell.
import signal as _grade_signal

def _grade_timeout(signum, frame):
    _grade_signal.alarm({seconds})
    raise TimeoutError("stopped after {seconds} s: does this code loop forever?")

if hasattr(_grade_signal, "SIGALRM"):
    _grade_signal.signal(_grade_signal.SIGALRM, _grade_timeout)
    get_ipython().events.register(
        "pre_run_cell", lambda info: _grade_signal.alarm({seconds})
    )
    get_ipython().events.register(
        "post_run_cell", lambda result: _grade_signal.alarm(0)
    )
"""


def find_autograder(path: Path) -> Path:
    """The autograder zip at ``path``, or the newest one under ``path``."""
    if path.is_file():
        return path
    zips = sorted(path.glob("**/*-autograder_*.zip"), key=lambda p: p.stat().st_mtime)
    if not zips:
        sys.exit(f"grade.py: no autograder zip in {path}; run `make assignments`")
    return zips[-1]


def find_submissions(paths: list[Path]) -> list[Path]:
    """Every ``.ipynb`` named or found in the given folders, checkpoints excluded."""
    found = []
    for path in paths:
        if path.is_dir():
            found += [
                p
                for p in sorted(path.rglob("*.ipynb"))
                if ".ipynb_checkpoints" not in p.parts
            ]
        elif path.suffix == ".ipynb":
            found.append(path)
        else:
            sys.exit(f"grade.py: {path} is neither a notebook nor a folder")
    return found


def result_names(submissions: list[Path], roots: list[Path]) -> list[str]:
    """A unique file name for each submission's results: its path inside the
    folder it was found in (``alice/hw1.ipynb`` gives ``alice__hw1``)."""
    names: list[str] = []
    for submission in submissions:
        name = submission.stem
        for root in roots:
            if root.is_dir() and submission.is_relative_to(root):
                name = "__".join(submission.relative_to(root).with_suffix("").parts)
                break
        unique, n = name, 1
        while unique in names:
            n += 1
            unique = f"{name}-{n}"
        names.append(unique)
    return names


def one_line(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def failure_summary(message: str) -> str:
    """The exception part of an otter test-case failure message."""
    lines = message.splitlines()
    # "❌ Test case failed" / "Error at line N in test q:" / "  <line>" / exception
    if len(lines) > 3 and lines[1].startswith("Error at line"):
        return one_line(" ".join(lines[3:]))
    return one_line(message)


def summarise(results) -> dict:
    """Scores per question, and why points were lost, from otter's results."""
    scores, messages = {}, []
    for name, test_file in results.results.items():
        scores[name] = test_file.score
        for number, tc_result in enumerate(test_file.test_case_results, 1):
            if not tc_result.passed:
                why = failure_summary(tc_result.message)
                messages.append(f"{name} test {number}: {why}")
                break  # the first failure says enough; the JSON has them all
    for cell in (results.notebook or {}).get("cells", []):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                start = one_line(cell["source"].split("\n", 1)[0], 40)
                messages.append(
                    f"cell `{start}`: "
                    + one_line(f"{output['ename']}: {output['evalue']}")
                )
    return {"scores": scores, "messages": messages}


def expected_name(nb, default: str) -> str:
    """The file name in the notebook's ``otter.Notebook("...")`` init cell."""
    for cell in nb.cells:
        found = re.search(
            r"otter\.Notebook\(\s*[\"']([^\"'/]+\.ipynb)[\"']", cell.source
        )
        if cell.cell_type == "code" and found:
            return found.group(1)
    return default


def grade_one(submission, autograder, out_json, out_summary, out_log, cell_timeout):
    """Grade one submission; runs in a forked child that may be killed."""
    import nbformat
    from otter.run import main as otter_run

    log = open(out_log, "w", encoding="utf-8")
    # Everything otter and the kernel print goes to the log, not the terminal.
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log
    work = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        nb = nbformat.read(submission, as_version=4)
        guard = nbformat.v4.new_code_cell(GUARD_CELL.format(seconds=cell_timeout))
        if nb.nbformat_minor < 5:  # cell ids came with nbformat 4.5
            del guard["id"]
        nb.cells.insert(0, guard)
        # The notebook's otter init cell reads itself back under the master's
        # file name; a renamed submission (jdoe.ipynb) would fail that cell.
        guarded = work / expected_name(nb, Path(submission).name)
        nbformat.write(nb, guarded)
        results = otter_run(
            str(guarded), autograder=str(autograder), output_dir=str(work), no_logo=True
        )
        summary = summarise(results)
        shutil.copy(work / "results.json", out_json)
    except BaseException as error:  # noqa: BLE001 - any failure becomes a message
        why = one_line(f"{type(error).__name__}: {error}")
        summary = {"scores": {}, "messages": [f"grading failed: {why}"]}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(out_summary).write_text(json.dumps(summary), encoding="utf-8")
    log.flush()


def grade_all(
    submissions, roots, autograder, points, out_dir, jobs, cell_timeout, timeout
):
    """Grade every submission, ``jobs`` at a time; return one summary each."""
    # Fork: each child starts with otter already imported (about 3 s saved each).
    import otter.run  # noqa: F401

    context = multiprocessing.get_context("fork")
    pending = list(zip(submissions, result_names(submissions, roots), strict=True))
    running: dict = {}
    summaries: dict[Path, dict] = {}
    while pending or running:
        while pending and len(running) < jobs:
            submission, name = pending.pop(0)
            paths = {s: out_dir / f"{name}.{s}" for s in ("json", "summary", "log")}
            paths["json"].unlink(missing_ok=True)
            process = context.Process(
                target=grade_one,
                args=(
                    submission,
                    autograder,
                    paths["json"],
                    paths["summary"],
                    paths["log"],
                    cell_timeout,
                ),
            )
            process.start()
            running[process] = (submission, name, paths, time.monotonic() + timeout)
        time.sleep(0.1)
        for process, (submission, name, paths, deadline) in list(running.items()):
            if process.is_alive() and time.monotonic() < deadline:
                continue
            if process.is_alive():
                # The kernel is the child's child; ipykernel exits when its
                # parent dies (JPY_PARENT_PID), so killing the child suffices.
                process.kill()
                process.join()
                summary = {
                    "scores": {},
                    "messages": [f"grading stopped after {timeout} s: scored 0"],
                }
            else:
                process.join()
                try:
                    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    summary = {
                        "scores": {},
                        "messages": [f"grading crashed (exit code {process.exitcode})"],
                    }
            paths["summary"].unlink(missing_ok=True)
            summary["name"], summary["file"] = name, str(submission)
            summaries[submission] = summary
            del running[process]
            print(f"graded {submission}: {score_line(summary, points)}", flush=True)
    return [summaries[s] for s in submissions]


def questions_of(autograder: Path) -> dict[str, float]:
    """Each question's points, from the test files in the autograder zip."""
    points = {}
    with zipfile.ZipFile(autograder) as zf:
        for name in sorted(zf.namelist()):
            if re.fullmatch(r"tests/[^/]+\.py", name):
                found = re.search(r"^points = (\S+)$", zf.read(name).decode(), re.M)
                points[Path(name).stem] = float(found.group(1)) if found else 0.0
    return points


def score_line(summary: dict, points: dict[str, float]) -> str:
    text = f"{sum(summary['scores'].values()):g}/{sum(points.values()):g}"
    if summary["messages"]:
        text += " (" + "; ".join(summary["messages"]) + ")"
    return text


def write_csv(path: Path, summaries: list[dict], points: dict[str, float]) -> None:
    """One row per submission; one that could not be graded scores 0 of all."""
    possible = sum(points.values())
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["name", "file", *points, "total", "possible", "percent", "messages"]
        )
        for s in summaries:
            scores = [s["scores"].get(q, 0) for q in points]
            total = sum(scores)
            percent = round(100 * total / possible, 2) if possible else 0
            writer.writerow(
                [
                    s["name"],
                    s["file"],
                    *scores,
                    total,
                    possible,
                    percent,
                    " | ".join(s["messages"]),
                ]
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Grade notebooks with an otter autograder, with time limits.",
        epilog="Writes final_grades.csv, <name>.json and <name>.log into --output.",
    )
    parser.add_argument(
        "-a",
        "--autograder",
        type=Path,
        required=True,
        help="autograder zip, or a folder holding one (_build/assignments/<name>)",
    )
    parser.add_argument("-o", "--output", type=Path, default=Path("results"))
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--cell-timeout", type=int, default=60, help="seconds per cell (default 60)"
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=600,
        help="seconds per submission in all (default 600)",
    )
    parser.add_argument("submissions", type=Path, nargs="+")
    args = parser.parse_args(argv)

    autograder = find_autograder(args.autograder)
    submissions = find_submissions(args.submissions)
    if not submissions:
        sys.exit("grade.py: no .ipynb submissions found")
    points = questions_of(autograder)
    args.output.mkdir(parents=True, exist_ok=True)
    summaries = grade_all(
        submissions,
        args.submissions,
        autograder,
        points,
        args.output,
        max(1, args.jobs),
        args.cell_timeout,
        args.timeout,
    )
    csv_path = args.output / "final_grades.csv"
    write_csv(csv_path, summaries, points)
    print(f"Scores: {csv_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
