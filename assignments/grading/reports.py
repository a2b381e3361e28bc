"""What grading writes: the grade book, each student's feedback, an LMS import.

* ``final_grades.csv``: one row per submission: its name and file, the student
  id, each question's score, total, possible, percent, ``sandbox`` (how it
  ran), ``integrity`` (what to review by hand) and ``messages`` (every failing
  test, every error in a cell, every broken rule, every time limit).
* ``<name>.json``: the same in full, with each test's result and the line of
  the test where it failed.
* ``feedback/<name>.md``: for the student: each question's score, each test in
  words, why the failing ones failed (a hidden test's source and expected
  values are left out), the errors in their cells.
* ``grades_lms.csv``: ``student_id``, ``score``, ``possible``: one row per
  student, for an LMS's CSV import; with ``--roster``, one per roster student
  (no submission scores 0).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

try:
    from .judge import short, student_message
except ImportError:
    from judge import short, student_message


def student_id(name: str, pattern: str | None) -> str:
    """The student id in a submission's name (its path in the submissions
    folder, ``/`` written ``__``): the first group of ``pattern`` if given and
    matching, else the first path component (``jdoe__hw1`` gives ``jdoe``),
    else the file name (``jdoe`` gives ``jdoe``)."""
    if pattern:
        found = re.search(pattern, name)
        if found:
            return found.group(1) if found.groups() else found.group(0)
    return name.split("__", 1)[0]


def total(summary: dict) -> float:
    return sum(q["score"] for q in summary["questions"].values())


def messages(summary: dict) -> list[str]:
    """Why points were lost, one line each: every failing test, then every
    error in the notebook, rule broken and time limit hit."""
    lines = list(summary["problems"])
    for qname, question in summary["questions"].items():
        for test in question["tests"]:
            if not test["passed"]:
                where = f" (line {test['line']})" if test.get("line") else ""
                text = (
                    f"{test['error']}: {test['message']}"
                    if test.get("message")
                    else test.get("error", "")
                )
                lines.append(f"{qname} {test['name']}{where}: {short(text)}")
    lines += [f"{e['label']}: {short(e['error'])}" for e in summary["cell_errors"]]
    return lines


def write_grades(path: Path, summaries: list[dict], points: dict[str, float]) -> None:
    possible = sum(points.values())
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "name",
                "file",
                "student_id",
                *points,
                "total",
                "possible",
                "percent",
                "sandbox",
                "integrity",
                "messages",
            ]
        )
        for s in summaries:
            scores = [
                _number(s["questions"].get(q, {}).get("score", 0)) for q in points
            ]
            earned = _number(sum(scores))
            writer.writerow(
                [
                    s["name"],
                    s["file"],
                    s["student_id"],
                    *scores,
                    earned,
                    _number(possible),
                    round(100 * earned / possible, 2) if possible else 0,
                    s["sandbox"],
                    " | ".join(s["integrity"]),
                    " | ".join(messages(s)),
                ]
            )


def write_lms(
    path: Path,
    summaries: list[dict],
    possible: float,
    roster: list[dict] | None,
) -> list[str]:
    """One row per student: the best-scoring submission of each id. With a
    roster, its rows in its order (no submission: 0); returns the ids that
    are not on it, for a warning."""
    best: dict[str, float] = {}
    for s in summaries:
        sid = s["student_id"]
        best[sid] = max(best.get(sid, 0.0), total(s))
    unknown = []
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if roster is None:
            writer.writerow(["student_id", "score", "possible"])
            for sid in sorted(best):
                writer.writerow([sid, _number(best[sid]), _number(possible)])
            return unknown
        extra = [k for k in roster[0] if k != "student_id"] if roster else []
        writer.writerow(["student_id", *extra, "score", "possible", "submitted"])
        listed = set()
        for row in roster:
            sid = row["student_id"]
            listed.add(sid)
            writer.writerow(
                [
                    sid,
                    *(row[k] for k in extra),
                    _number(best.get(sid, 0.0)),
                    _number(possible),
                    "yes" if sid in best else "no",
                ]
            )
        unknown = sorted(set(best) - listed)
    return unknown


def read_roster(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    if not rows or "student_id" not in rows[0]:
        raise ValueError(f"{path}: needs a header row with a student_id column")
    return rows


def feedback(summary: dict, assignment: str) -> str:
    """The student's report, in Markdown."""
    earned = total(summary)
    possible = sum(q["possible"] for q in summary["questions"].values())
    lines = [
        f"# {assignment}: feedback",
        "",
        f"Submission: `{summary['file_name']}`",
        "",
        f"**Score: {_number(earned)} / {_number(possible)}**",
        "",
    ]
    for qname, question in summary["questions"].items():
        lines += [
            f"## {qname}: {_number(question['score'])} / "
            f"{_number(question['possible'])}",
            "",
        ]
        for test in question["tests"]:
            what = test["description"] or test["name"].replace("_", " ")
            kind = "hidden test" if test["hidden"] else "public test"
            mark = "passed" if test["passed"] else "FAILED"
            lines.append(f"- {mark} ({kind}, {_number(test['points'])} pt): {what}")
            if not test["passed"]:
                lines.append(f"  - {student_message(test)}")
        lines.append("")
    if summary["cell_errors"] or summary["student_problems"]:
        lines += ["## Problems running your notebook", ""]
        lines += [f"- {p}" for p in summary["student_problems"]]
        lines += [
            f"- {e['label']}: {short(e['error'], 300)}" for e in summary["cell_errors"]
        ]
        lines.append("")
    lines += [
        "The autograder runs your notebook top to bottom in a fresh Python, "
        "then calls your functions on its own inputs. Restart and run all "
        "cells before you submit.",
        "",
    ]
    return "\n".join(lines)


def write_json(path: Path, summary: dict) -> None:
    path.write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")


def _number(x: float):
    x = float(x)
    return int(x) if x.is_integer() else round(x, 4)
