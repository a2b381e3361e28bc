"""assignments/grade.py against hostile submissions: each scores only what it solved.

The submissions answer ``tests/assignments/example/00_example.ipynb``, a small
master whose solutions are public on purpose, so this runs in a fresh clone
(the course's masters are private). Each hostile one is a row of the attack
table in README ("For instructors"), written with the real paths of what it
goes after: the solutions notebook, the autograder, the results folder,
another student's notebook. One run of grade.py grades them all; the tests
below read its results.

The sandbox needs root and bubblewrap; without them these tests are skipped
(``ELU_REQUIRE_SANDBOX=1`` makes that a failure, as in CI).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time

import pytest

from tests.assignments import _harness as H

SOLVE_RELU = (
    "def relu(z):\n"
    "    z = np.asarray(z)\n"
    "    return np.where(z > 0, z, np.zeros_like(z))\n"
)
SOLVE_DERIVATIVE = (
    "def derivative(f, z, eps=1e-6):\n"
    "    z = np.asarray(z, dtype=float)\n"
    "    return (f(z + eps) - f(z - eps)) / (2 * eps)\n"
)
FULL = {"q1_relu": 2.0, "q2_slope": 2.0, "q3_derivative": 2.0}
NONE = dict.fromkeys(FULL, 0.0)

# name: (cells replacing the student's answers, cells added at the top,
#        the scores it must get, what its integrity column must mention)
HOSTILE = {
    "patch_np_testing": (
        {},
        [
            "np.testing.assert_allclose = lambda *a, **k: None\n"
            "np.testing.assert_array_equal = lambda *a, **k: None"
        ],
        NONE,
        ["changed numpy.testing.assert_allclose"],
    ),
    "patch_otter": (
        {},
        [
            "import otter\notter.Notebook = None",
            "import otter.test_files.abstract_test as t\n"
            "t.TestFile.grade = property(lambda self: 1.0)",
        ],
        NONE,
        ["changed otter.Notebook", "imported otter.test_files"],
    ),
    "wrap_import": (
        {},
        [
            "import builtins, types\n"
            "real_import = builtins.__import__\n"
            "def fake_import(name, *args, **kwargs):\n"
            "    module = real_import(name, *args, **kwargs)\n"
            "    if name == 'numpy':\n"
            "        fake = types.SimpleNamespace(**vars(module))\n"
            "        fake.testing = types.SimpleNamespace(\n"
            "            assert_allclose=lambda *a, **k: None,\n"
            "            assert_array_equal=lambda *a, **k: None)\n"
            "        return fake\n"
            "    return module\n"
            "builtins.__import__ = fake_import"
        ],
        NONE,
        ["changed builtins.__import__"],
    ),
    "ndarray_subclass": (
        {
            "def relu(": "class AlwaysEqual(np.ndarray):\n"
            "    def __eq__(self, other):\n"
            "        return np.ones(self.shape, dtype=bool)\n"
            "    __ne__ = lambda self, other: np.zeros(self.shape, dtype=bool)\n\n"
            "def relu(z):\n"
            "    z = np.asarray(z)\n"
            "    return np.zeros(z.shape, z.dtype).view(AlwaysEqual)\n"
        },
        [],
        NONE,
        ["ndarray subclass (AlwaysEqual)"],
    ),
    "forged_results": (
        {},
        [
            "import pickle\n"
            "forged = dict(q1_relu=2, q2_slope=2, q3_derivative=2)\n"
            "for path in ['results.pkl', '/autograder/results/results.json',\n"
            "             '{results}/forged.pkl', '/grade/out/q1_relu_1.json']:\n"
            "    try:\n"
            "        with open(path, 'wb') as f:\n"
            "            pickle.dump(forged, f)\n"
            "    except OSError:\n"
            "        pass"
        ],
        NONE,
        [
            "tried to write {results}/forged.pkl",
            "wrote or changed /autograder/results/results.json",
            "wrote or changed /grade/out/q1_relu_1.json",
        ],
    ),
    "read_secrets": (
        {},
        [
            "import os\n"
            "stolen = []\n"
            "paths = ['{solutions}', '{zip}', '{other}', '{masters}', '{results}']\n"
            "for path in paths:\n"
            "    try:\n"
            "        if os.path.isdir(path):\n"
            "            stolen.append(str(os.listdir(path)))\n"
            "        else:\n"
            "            data = open(path, 'rb').read()\n"
            "            stolen.append(data.decode(errors='replace'))\n"
            "    except OSError as error:\n"
            "        stolen.append(type(error).__name__)\n"
            "print(stolen)\n"
            "raise RuntimeError('STOLEN ' + ' '.join(stolen))"
        ],
        NONE,
        ["read {solutions}", "read {zip}", "read {other}", "read {masters}"],
    ),
    "rewrite_grades": (
        {},
        [
            "import subprocess, sys\n"
            "later = ('import time\\n'\n"
            "         'for _ in range(300):\\n'\n"
            "         '    time.sleep(0.1)\\n'\n"
            "         '    try:\\n'\n"
            "         '        grades = \"{results}/final_grades.csv\"\\n'\n"
            '         \'        open(grades, "w").write("x")\\n\'\n'
            "         '    except OSError:\\n'\n"
            "         '        pass\\n')\n"
            "subprocess.Popen([sys.executable, '-c', later], start_new_session=True)\n"
            "try:\n"
            "    open('{results}/final_grades.csv', 'w').write('hacked')\n"
            "except OSError:\n"
            "    pass"
        ],
        NONE,
        ["started a process", "write {results}/final_grades.csv"],
    ),
    "sigterm_grader": (
        {},
        [
            "import os, signal\n"
            "for pid in [os.getppid(), 1, -1]:\n"
            "    try:\n"
            "        os.kill(pid, signal.SIGTERM)\n"
            "    except OSError:\n"
            "        pass\n"
            "for entry in os.listdir('/proc'):\n"
            "    try:\n"
            "        if b'grade.py' in open(f'/proc/{{entry}}/cmdline', 'rb').read():\n"
            "            os.kill(int(entry), signal.SIGKILL)\n"
            "    except (OSError, ValueError):\n"
            "        pass"
        ],
        NONE,
        ["sent signal 15"],
    ),
    "modify_other": (
        {},
        [
            "for path in ['{other}']:\n"
            "    try:\n"
            "        open(path, 'w').write('{{}}')\n"
            "    except OSError:\n"
            "        pass"
        ],
        NONE,
        ["tried to write {other}"],
    ),
    "allocate_4gib": (
        {"def relu(": SOLVE_RELU},
        ["big = np.ones(2**29)  # 4 GiB"],
        {**NONE, "q1_relu": 2.0},
        [],
    ),
    "background_process": (
        {},
        [
            "import os, subprocess, time\n"
            "subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    while True:\n"
            "        time.sleep(0.1)"
        ],
        NONE,
        ["started a process"],
    ),
    "ignore_alarm_loop": (
        {"def relu(": SOLVE_RELU},
        [
            "import signal\n"
            "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
            "while True:\n"
            "    pass"
        ],
        {**NONE, "q1_relu": 2.0},
        ["did not stop when its time ran out"],
    ),
    "c_loop": (
        {
            "def relu(": SOLVE_RELU,
            "def derivative(": "import itertools\n\n"
            "def derivative(f, z, eps=1e-6):\n"
            "    return sum(itertools.repeat(0))  # loops in C: no signal gets in\n",
        },
        [],
        {**NONE, "q1_relu": 2.0},
        ["did not stop when its time ran out"],
    ),
    "always_equal_sympy": (
        {
            "z = sp.Symbol": "class AlwaysEqual(sp.Expr):\n"
            "    is_number = True\n"
            "    def __eq__(self, other):\n"
            "        return True\n"
            "    __hash__ = sp.Expr.__hash__\n\n"
            "slope = AlwaysEqual()\n"
        },
        [],
        NONE,
        ["class AlwaysEqual (a subclass of SymPy's Expr) was replaced by a stand-in"],
    ),
    "os_exit_in_test": (
        {
            "def relu(": "import os\n\ndef relu(z):\n    os._exit(0)\n",
            "def derivative(": SOLVE_DERIVATIVE,
        },
        [],
        {**NONE, "q3_derivative": 2.0},
        ["exited the kernel or crashed"],
    ),
    "base_exception_in_test": (
        {
            "def relu(": "class Escape(BaseException):\n    pass\n\n"
            "def relu(z):\n    raise Escape('out of the test')\n",
            "def derivative(": SOLVE_DERIVATIVE,
        },
        [],
        {**NONE, "q3_derivative": 2.0},
        [],
    ),
    "exit_in_a_cell": (
        {"def derivative(": SOLVE_DERIVATIVE},
        ["import sys\nsys.exit(0)", "exit()"],
        {**NONE, "q3_derivative": 2.0},
        ["raised SystemExit", "called exit()"],
    ),
}
# Honest ones beside them: the solutions (also the "other student" attacked),
# the untouched student notebook, and an import the rules forbid.
HONEST = {
    "other_student": FULL,
    "untouched": NONE,
    "imports_torch": {**NONE, "q2_slope": 0.0},
}


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> dict:
    """The example built, and every submission graded by one grade.py run."""
    if problem := H.sandbox_problem():
        if os.environ.get("ELU_REQUIRE_SANDBOX"):
            pytest.fail(problem)
        pytest.skip(problem)
    built = H.build([H.EXAMPLE], tmp_path_factory.mktemp("built"))["00_example"]
    subs = tmp_path_factory.mktemp("submissions")
    results = tmp_path_factory.mktemp("results")
    student = built / "student" / "00_example.ipynb"
    solutions = built / "autograder" / "00_example.ipynb"
    (zipfile,) = (built / "autograder").glob("*.zip")
    other = subs / "other_student.ipynb"
    paths = {
        "solutions": solutions,
        "zip": zipfile,
        "results": results,
        "other": other,
        "masters": H.EXAMPLE.parent,
    }
    H.fill(solutions, {}, other)
    H.fill(student, {}, subs / "untouched.ipynb")
    H.fill(
        student,
        {
            "def relu(": "import torch\n\ndef relu(z):\n    return torch.relu(z)\n",
            "def derivative(": SOLVE_DERIVATIVE,
        },
        subs / "imports_torch.ipynb",
    )
    for name, (answers, cells, _, _) in HOSTILE.items():
        answers = {k: v.format(**paths) for k, v in answers.items()}
        cells = [c.format(**paths) for c in cells]
        H.fill(student, answers, subs / f"{name}.ipynb", append=cells)
    roster = results.parent / "roster.csv"
    roster.write_text("student_id,name\nother_student,A. Other\nabsent,N. Body\n")
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    start = time.monotonic()
    process = H.grade(
        built,
        subs,
        results,
        # Three at once: two of them wait out a loop that cannot be stopped.
        "-j",
        "3",
        # Short limits, so those loops cost little (a busy machine may slow an
        # honest cell, import sympy, to a second or two).
        "--cell-timeout",
        "3",
        "--call-timeout",
        "1",
        "--memory",
        "1024",
        "--timeout",
        "120",
        "--roster",
        str(roster),
    )
    graded = H.rows(process, results)
    graded.update(
        seconds=time.monotonic() - start,
        paths=paths,
        other_before=before,
        solutions=solutions,
    )
    return graded


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_submission_scores_only_what_it_solved(example, name):
    row = example["rows"][name]
    assert H.questions(row) == HOSTILE[name][2], row


@pytest.mark.parametrize("name", sorted(n for n in HOSTILE if HOSTILE[n][3]))
def test_hostile_submission_is_flagged_for_review(example, name):
    row = example["rows"][name]
    for expected in HOSTILE[name][3]:
        expected = expected.format(**example["paths"])
        assert expected in row["integrity"], row["integrity"]


@pytest.mark.parametrize("name", sorted(HONEST))
def test_honest_submissions_beside_them_score_fairly(example, name):
    row = example["rows"][name]
    assert H.questions(row)["q1_relu"] == HONEST[name]["q1_relu"], row
    if name == "other_student":
        assert H.questions(row) == FULL and row["messages"] == "", row
        assert row["integrity"] == "", row


def test_every_row_says_it_was_sandboxed(example):
    assert len(example["rows"]) == len(HOSTILE) + len(HONEST)
    for row in example["rows"].values():
        assert row["sandbox"].startswith("bwrap, user grader-sandbox"), row


def test_no_solution_or_hidden_test_reaches_any_output(example):
    """read_secrets printed what it read and raised it in an error: nothing of
    the solutions or hidden tests is in the grades, the details or the feedback."""
    solution, hidden, names = H.master_secrets(H.EXAMPLE)
    assert solution and hidden and names
    lines = {
        line.strip()
        for text in H.texts(example["dir"])
        for line in text.replace("\\n", "\n").splitlines()
    }
    assert not (solution | hidden) & lines
    row = example["rows"]["read_secrets"]
    assert "STOLEN" in row["messages"] and "FileNotFoundError" in row["messages"]


def test_other_students_work_and_the_grades_are_untouched(example):
    other = example["paths"]["other"]
    assert hashlib.sha256(other.read_bytes()).hexdigest() == example["other_before"]
    assert H.questions(example["rows"]["other_student"]) == FULL
    csv_text = (example["dir"] / "final_grades.csv").read_text()
    assert "hacked" not in csv_text and not (example["dir"] / "forged.pkl").exists()


def test_nothing_outlives_grading(example):
    """The background process, the fork that left its session and the
    process that meant to rewrite the grades later are all gone."""
    left = subprocess.run(
        ["pgrep", "-u", H.SANDBOX_USER], capture_output=True, text=True
    )
    assert left.stdout == "", left.stdout


def test_limits_and_loops_cost_only_the_code_that_hit_them(example):
    rows = example["rows"]
    assert "MemoryError" in rows["allocate_4gib"]["messages"]
    loop = rows["ignore_alarm_loop"]["messages"]
    assert "could not be interrupted; it was skipped" in loop, loop
    c_loop = rows["c_loop"]["messages"]
    assert "during the grader's calls for q3_derivative" in c_loop, c_loop


def test_a_forbidden_import_is_blocked_and_named(example):
    row = example["rows"]["imports_torch"]
    assert "imported torch, which this assignment does not allow" in row["messages"]
    assert H.questions(row) == {**NONE, "q3_derivative": 2.0}


def test_feedback_names_each_failure_without_hidden_source(example):
    feedback = (example["dir"] / "feedback" / "untouched.md").read_text()
    assert "FAILED (hidden test, 1 pt): relu keeps float32 as float32" in feedback
    assert "np.testing.assert_allclose(out, np.maximum(z, 0))" not in feedback
    lms = (example["dir"] / "grades_lms.csv").read_text().splitlines()
    assert lms == [
        "student_id,name,score,possible,submitted",
        "other_student,A. Other,6,6,yes",
        "absent,N. Body,0,6,no",
    ]
    assert "not on the roster: allocate_4gib, always_equal_sympy" in example["output"]


def test_refuses_without_root_unless_unsafe(example, tmp_path):
    """As an ordinary user grade.py refuses; with --unsafe it grades and says
    so in every row."""
    run = subprocess.run(
        [
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            sys.executable,
            str(H.GRADE),
            "-a",
            str(example["solutions"].parent),
            "-o",
            str(tmp_path / "r"),
            str(example["paths"]["other"]),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0 and "needs root" in run.stderr, run.stderr
    unsafe = H.rows(
        H.grade(
            example["solutions"].parent.parent,
            example["paths"]["other"],
            tmp_path / "unsafe",
            "--unsafe",
        ),
        tmp_path / "unsafe",
    )
    (row,) = unsafe["rows"].values()
    assert row["sandbox"].startswith("UNSAFE: not sandboxed"), row
    assert H.questions(row) == FULL


def test_grading_time(example):
    """Not a benchmark: a bound that catches a sandbox gone slow."""
    assert example["seconds"] < 90, example["seconds"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
