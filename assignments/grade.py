"""Grade student notebooks: each in a sandbox, scored by a process it cannot touch.

Usage, from the repository root, as root (see README, "For instructors")::

    sudo .venv/bin/python assignments/grade.py \\
        -a _build/assignments/01_elu_in_numpy -o results/ submissions/

``-a`` is the folder ``make assignments`` wrote (the otter autograder zip and
the solutions notebook beside it). Submissions are ``.ipynb`` files, or
folders searched recursively for them; each is read once, before any is run.

For each submission:

1. **Sandbox** (:mod:`grading.sandbox`). The notebook runs in bubblewrap
   namespaces as an unprivileged user, with no network, limits on CPU time,
   memory, processes and file size, and a file system that holds only itself
   and the Python it needs. Its code cells run top to bottom in ``python3``
   (:mod:`grading.runner`); then its functions are called on the tests'
   inputs and their outputs saved as data (:mod:`grading.wire`).
2. **Judge** (:mod:`grading.judge`). The assignment's otter tests, public and
   hidden, run in this trusted process (a fork of it), on those outputs. No
   code from a submission runs here.

A cell may run ``--cell-timeout`` seconds, a call of the notebook's function
by a test ``--call-timeout`` (a ``TimeoutError`` stops it). A cell or call
that cannot be stopped, or that ends the process (``os._exit``), is skipped
and the notebook graded again without it, at most three times; a submission
may take ``--timeout`` seconds in all.

Output folder: ``final_grades.csv``, ``grades_lms.csv``, ``<name>.json`` and
``feedback/<name>.md`` (see :mod:`grading.reports`). Without root, grade.py
refuses to run submissions unless ``--unsafe`` is given, and then says so in
every row.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from grading import judge as J
from grading import reports, sandbox

HERE = Path(__file__).resolve().parent
MAX_NOTEBOOK = 64 * 2**20
MAX_ATTEMPTS = 3
RULES_MARK = "# GRADING RULES"
UNSAFE = (
    "UNSAFE: not sandboxed (--unsafe); the notebook ran as {user}, "
    "with your files and the network"
)


# -- the assignment --------------------------------------------------------------
@dataclasses.dataclass
class Assignment:
    name: str
    zip: Path
    solutions: Path
    questions: list
    rules: dict

    @property
    def points(self) -> dict[str, float]:
        return {q.name: q.possible for q in self.questions}


def find_assignment(path: Path) -> Assignment:
    """The autograder zip and solutions notebook at ``path`` (the folder
    ``make assignments`` wrote, or its ``autograder`` subfolder)."""
    folder = path / "autograder" if (path / "autograder").is_dir() else path
    if path.is_file():
        folder = path.parent
    zips = sorted(folder.glob("*-autograder_*.zip"), key=lambda p: p.stat().st_mtime)
    if path.is_file() and path.suffix == ".zip":
        zips = [path]
    if not zips:
        sys.exit(f"grade.py: no autograder zip in {folder}; run `make assignments`")
    name = zips[-1].name.split("-autograder_")[0]
    solutions = folder / f"{name}.ipynb"
    if not solutions.is_file():
        sys.exit(f"grade.py: no solutions notebook {solutions} beside the zip")
    questions = J.load_questions(zips[-1])
    return Assignment(name, zips[-1], solutions, questions, read_rules(solutions))


def read_rules(solutions: Path) -> dict:
    """The master's ``# GRADING RULES`` raw cell: ``forbidden_imports`` (top-level
    modules the notebook may not import; the sandbox blocks them) and
    ``packages`` (packages outside the virtualenv to make readable, e.g. an
    editable ``elu_lib``)."""
    nb = json.loads(solutions.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        source = (
            "".join(cell["source"])
            if isinstance(cell["source"], list)
            else cell["source"]
        )
        if cell["cell_type"] == "raw" and source.lstrip().startswith(RULES_MARK):
            rules = yaml.safe_load(source) or {}
            return {
                "forbidden_imports": list(rules.get("forbidden_imports", [])),
                "packages": list(rules.get("packages", [])),
            }
    return {"forbidden_imports": [], "packages": []}


# -- submissions ------------------------------------------------------------------
def find_submissions(paths: list[Path]) -> list[tuple[Path, str]]:
    """Every ``.ipynb`` named or found, with a unique result name: its path in
    the folder given, ``/`` written ``__`` (``alice/hw1.ipynb``: ``alice__hw1``)."""
    found: list[tuple[Path, str]] = []
    names: set[str] = set()
    for root in paths:
        if root.is_dir():
            files = [
                p
                for p in sorted(root.rglob("*.ipynb"))
                if ".ipynb_checkpoints" not in p.parts and p.is_file()
            ]
        elif root.suffix == ".ipynb" and root.is_file():
            files = [root]
        else:
            sys.exit(f"grade.py: {root} is neither a notebook nor a folder")
        for path in files:
            if path.is_symlink():  # e.g. from an unpacked zip: read nothing through it
                print(f"grade.py: skipped {path}: a symbolic link")
                continue
            rel = path.relative_to(root) if root.is_dir() else Path(path.name)
            name = J.os_safe_name("__".join(rel.with_suffix("").parts))
            unique, n = name, 1
            while unique in names:
                n += 1
                unique = f"{name}-{n}"
            names.add(unique)
            found.append((path, unique))
    return found


@dataclasses.dataclass
class Job:
    source: Path
    name: str
    staged: Path
    box: Path
    sha256: str = ""
    attempt: int = 0
    skip_cells: set = dataclasses.field(default_factory=set)
    stopped: dict = dataclasses.field(default_factory=dict)
    hung_functions: set = dataclasses.field(default_factory=set)
    problems: list = dataclasses.field(default_factory=list)  # for the instructor
    student_problems: list = dataclasses.field(default_factory=list)
    integrity: list = dataclasses.field(default_factory=list)
    events: list = dataclasses.field(default_factory=list)
    buffer: bytes = b""
    process: subprocess.Popen | None = None
    events_fd: int = -1
    info_fd: int = -1
    log: Path | None = None
    started: float = 0.0
    attempt_started: float = 0.0
    last_event: float = 0.0
    stage: str = "waiting"
    judge_pid: int = 0
    judge_deadline: float = 0.0
    seconds: float = 0.0
    sandbox_seconds: float = 0.0
    cell_errors: list = dataclasses.field(default_factory=list)
    result: dict = dataclasses.field(default_factory=dict)
    summary: dict = dataclasses.field(default_factory=dict)


class Grader:
    def __init__(self, args, assignment: Assignment, workspace: Path):
        self.args, self.assignment, self.workspace = args, assignment, workspace
        self.unsafe = args.unsafe
        self.limits = sandbox.Limits(
            cpu_seconds=args.timeout,
            memory_bytes=args.memory * 2**20,
            processes=args.processes,
        )
        self.inputs = workspace / "inputs"
        self.inputs.mkdir()
        forbidden = set(assignment.rules["forbidden_imports"])
        packages = ["elu_lib", *assignment.rules["packages"]]
        self.python_dirs = sandbox.python_paths(packages, forbidden)
        reference = J.reference_namespace(assignment.solutions)
        self.plan = J.make_plan(assignment.questions, reference, str(self.inputs))
        for path in [self.inputs, *self.inputs.iterdir()]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        if self.unsafe:
            self.uid, self.gid = os.getuid(), os.getgid()
        else:
            self.uid, self.gid, note = sandbox.ensure_user(args.sandbox_user)
            if note:
                print(f"grade.py: {note}", flush=True)

    # -- one attempt in the sandbox -----------------------------------------------
    def start(self, job: Job) -> None:
        job.attempt += 1
        job.stage, job.events, job.buffer = "sandbox", [], b""
        now = time.monotonic()
        if job.attempt == 1:
            job.started = now
        job.attempt_started = job.last_event = now
        shutil.rmtree(job.box, ignore_errors=True)
        for sub in ("plan", "home", "out"):
            (job.box / sub).mkdir(parents=True)
        shutil.copyfile(job.staged, job.box / "plan" / "submission.ipynb")
        os.chmod(job.box / "plan", 0o755)
        os.chmod(job.box / "plan" / "submission.ipynb", 0o644)
        for sub in ("home", "out"):
            os.chown(job.box / sub, self.uid, self.gid)
            os.chmod(job.box / sub, 0o700)
        events_r, events_w = os.pipe()
        info_r, info_w = os.pipe()
        if self.unsafe:
            paths = {
                "notebook": str(job.box / "plan" / "submission.ipynb"),
                "inputs": str(self.inputs),
                "out": str(job.box / "out"),
                "home": str(job.box / "home"),
                "read_ok": [str(job.box), str(self.inputs), str(HERE / "grading")],
            }
        else:
            paths = {
                "notebook": f"{sandbox.PLAN}/submission.ipynb",
                "inputs": sandbox.INPUTS,
                "out": sandbox.OUT,
                "home": sandbox.HOME,
                "read_ok": [sandbox.GRADE],
            }
        plan = {
            **paths,
            "read_ok": [
                *paths["read_ok"],
                *self.python_dirs,
                "/usr",
                "/etc",
                "/proc",
                "/sys",
                "/dev",
            ],
            "libraries": [*self.python_dirs, "/usr"],
            "write_ok": [paths["home"]],
            "scratch": ["/tmp", "/dev/shm"],
            "events_fd": events_w,
            "cell_timeout": self.args.cell_timeout,
            "call_timeout": self.args.call_timeout,
            "forbidden_imports": self.assignment.rules["forbidden_imports"],
            "skip_cells": sorted(job.skip_cells),
            "skip_tests": sorted(job.stopped),
            "skip_functions": sorted(job.hung_functions),
            "tests": self.plan,
        }
        (job.box / "plan" / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        os.chmod(job.box / "plan" / "plan.json", 0o644)
        job.log = job.box / "sandbox.log"
        log = open(job.log, "wb")
        if self.unsafe:
            home = str(job.box / "home")
            command = [
                *self.limits.prlimit(),
                *sandbox.runner_command(
                    lib=str(HERE), plan=str(job.box / "plan" / "plan.json")
                ),
            ]
            env = sandbox.environment(home)
            cwd = home
        else:
            command = sandbox.bwrap_command(
                box=job.box,
                inputs=self.inputs,
                lib=HERE / "grading",
                uid=self.uid,
                gid=self.gid,
                limits=self.limits,
                python_dirs=self.python_dirs,
                info_fd=info_w,
            )
            env, cwd = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, "/"
        job.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            pass_fds=(events_w, info_w),
            start_new_session=True,
            env=env,
            cwd=cwd,
        )
        log.close()
        os.close(events_w)
        os.close(info_w)
        os.set_blocking(events_r, False)
        job.events_fd, job.info_fd = events_r, info_r

    def read_events(self, job: Job) -> bool | None:
        """Read what the sandbox reported: False at end of file, None if
        there is nothing to read now."""
        try:
            data = os.read(job.events_fd, 1 << 16)
        except BlockingIOError:
            return None
        if not data:
            return False
        job.last_event = time.monotonic()
        if len(job.events) > 5000:
            return True
        job.buffer += data
        *lines, job.buffer = job.buffer.split(b"\n")
        job.buffer = job.buffer[-65536:]  # no line is that long, unless forged
        for line in lines:
            try:
                event = json.loads(line[:8000])
            except ValueError:
                continue
            if isinstance(event, dict) and isinstance(event.get("kind"), str):
                job.events.append(event)
        return True

    def stop(self, job: Job) -> None:
        """Kill the sandbox: its process group, then anything in its PID namespace."""
        try:
            os.killpg(job.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def finish_attempt(self, job: Job, reason: str | None) -> None:
        """The sandbox has ended (or ``reason`` says why it was stopped):
        sweep what is left, read the events, then judge or try again."""
        if reason:
            self.stop(job)
        job.process.wait()
        while self.read_events(job):  # to the end, or all there is (--unsafe)
            pass
        os.close(job.events_fd)
        info = b""
        try:
            while chunk := os.read(job.info_fd, 4096):
                info += chunk
        except OSError:
            pass
        os.close(job.info_fd)
        if not self.unsafe:
            try:
                namespace = f"pid:[{json.loads(info)['pid-namespace']}]"
            except (ValueError, KeyError):
                namespace = None
            # Once the sandbox's first process ends, the kernel kills the rest
            # of its namespace: give it a moment, then kill what is still there.
            left = sandbox.processes_in(namespace) if namespace else []
            deadline = time.monotonic() + 2
            while left and time.monotonic() < deadline:
                time.sleep(0.05)
                left = sandbox.processes_in(namespace)
            if sandbox.kill_all(left):
                job.integrity.append(
                    f"{len(left)} processes outlived the sandbox (killed)"
                )
        else:
            try:
                os.killpg(job.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        job.sandbox_seconds += time.monotonic() - job.attempt_started
        self.absorb(job, reason)

    def absorb(self, job: Job, reason: str | None) -> None:
        kinds = {e["kind"] for e in job.events}
        progress = [e for e in job.events if e["kind"] == "progress"]
        for event in job.events:
            text = str(event.get("text", ""))[:300]
            where = str(event.get("where", ""))[:120]
            if event["kind"] == "integrity":
                line = f"{where}: {text}" if where and where != "setup" else text
                if line not in job.integrity:
                    job.integrity.append(line)
            elif event["kind"] == "rule":
                line = f"{where}: {text}, which this assignment does not allow"
                if line not in job.problems:
                    job.problems.append(line)
                    job.student_problems.append(line)
        if "done" in kinds:
            self.start_judge(job)
            return
        last = progress[-1] if progress else None
        if last is None:
            # Not the notebook's doing (no cell ran): a busy machine, or the
            # sandbox user's process limit spent by another sandbox. Again.
            why = f"the sandbox failed to start: {_tail(job.log)}"
            timed_out = time.monotonic() - job.started > self.args.timeout
            if job.attempt < MAX_ATTEMPTS and not timed_out:
                time.sleep(0.5)
                self.start(job)
            else:
                job.problems.append(why)
                self.start_judge(job)
            return
        limit = (
            self.args.cell_timeout
            if last["stage"] == "cell"
            else self.args.call_timeout
        )
        what = {
            "stall": f"did not finish within {limit:g} s and could not be interrupted",
            "timeout": f"was still running when the submission's {self.args.timeout} s "
            "ran out",
            None: "ended the grading process (os._exit, a crash, a signal, or a limit "
            "on memory, processes or CPU time)",
        }[reason]
        if last["stage"] == "cell":
            where = str(last.get("label", "a cell"))
            line = f"{where} {what}; it was skipped"
            job.skip_cells.add(int(last["index"]))
        elif last["stage"] in ("test", "call"):
            test = str(last.get("test"))
            if last.get("param"):
                job.hung_functions.add(str(last["param"]))
            where = f"the grader's calls for {test}"
            line = f"the notebook's code {what} during {where}; that test scores 0"
            job.stopped[test] = f"your code {what} while this test called it"
        else:
            where = "the notebook"
            line = f"the notebook {what}"
        if reason is None:
            job.integrity.append(f"{where}: exited the kernel or crashed")
        elif reason == "stall":
            job.integrity.append(
                f"{where}: did not stop when its time ran out (it ignores the "
                "alarm, or loops in C code)"
            )
        job.problems.append(line)
        job.student_problems.append(line)
        timed_out = time.monotonic() - job.started > self.args.timeout
        if job.attempt < MAX_ATTEMPTS and not timed_out and last["stage"] != "harvest":
            job.problems.append("graded again without it")
            self.start(job)
        else:
            self.start_judge(job)

    # -- judging, in a forked child ------------------------------------------------
    def start_judge(self, job: Job) -> None:
        job.stage = "judge"
        job.judge_deadline = time.monotonic() + self.args.judge_timeout
        job.cell_errors = [e for e in job.events if e["kind"] == "cell_error"]
        out = job.box / "judged.json"
        out.unlink(missing_ok=True)
        pid = os.fork()
        if pid == 0:  # the child: judge, write, exit without cleanup
            code = 1
            try:
                limit = 4 * 2**30
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                stopped = {t: why for t, why in job.stopped.items()}
                result = J.judge(
                    self.assignment.questions, self.plan, str(job.box / "out"), stopped
                )
                out.write_text(json.dumps(result, default=str), encoding="utf-8")
                code = 0
            except BaseException as error:  # noqa: BLE001 - reported by the parent
                try:
                    out.write_text(json.dumps({"error": repr(error)[:500]}))
                except BaseException:  # noqa: BLE001
                    pass
            finally:
                os._exit(code)
        job.judge_pid = pid

    def poll_judge(self, job: Job) -> bool:
        """True once the judge has finished (or been killed)."""
        pid, status = os.waitpid(job.judge_pid, os.WNOHANG)
        if pid == 0:
            if time.monotonic() < job.judge_deadline:
                return False
            os.kill(job.judge_pid, signal.SIGKILL)
            os.waitpid(job.judge_pid, 0)
        out = job.box / "judged.json"
        try:
            result = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = {"error": f"judging stopped after {self.args.judge_timeout} s"}
        if "error" in result:
            job.problems.append(f"judging failed: {result['error']}")
            result = {
                q.name: {
                    "score": 0.0,
                    "possible": q.possible,
                    "tests": [
                        {
                            "id": t.id,
                            "name": t.name,
                            "description": t.description,
                            "hidden": t.hidden,
                            "points": t.points,
                            "passed": False,
                            "error": "GradingError",
                            "message": "not judged (see the messages)",
                        }
                        for t in q.tests
                    ],
                }
                for q in self.assignment.questions
            }
        job.result = result
        job.seconds = time.monotonic() - job.started
        job.stage = "done"
        return True

    def summary(self, job: Job) -> dict:
        user = _user_name(self.uid)
        return {
            "name": job.name,
            "file": str(job.source),
            "file_name": job.source.name,
            "sha256": job.sha256,
            "student_id": reports.student_id(job.name, self.args.student_id),
            "sandbox": UNSAFE.format(user=user)
            if self.unsafe
            else f"bwrap, user {user}, no network",
            "questions": job.result,
            "integrity": job.integrity,
            "problems": job.problems,
            "student_problems": job.student_problems,
            "cell_errors": [
                {"label": e.get("label", ""), "error": str(e.get("error", ""))}
                for e in job.cell_errors
            ],
            "attempts": job.attempt,
            "seconds": round(job.seconds, 2),
            "sandbox_seconds": round(job.sandbox_seconds, 2),
        }

    def stall(self, job: Job) -> float:
        """How long the sandbox may stay silent: past the limit on the cell or
        call it is in, its code ignores the alarm (or loops in C)."""
        progress = [e for e in job.events[-5:] if e["kind"] == "progress"]
        calling = progress and progress[-1].get("stage") in ("test", "call")
        limit = self.args.call_timeout if calling else self.args.cell_timeout
        return limit + max(2.0, 0.25 * limit)

    # -- the loop ------------------------------------------------------------------
    def run(self, jobs: list[Job]) -> list[dict]:
        pending, active, done = list(jobs), [], []
        while pending or active:
            while pending and len(active) < self.args.jobs:
                job = pending.pop(0)
                self.start(job)
                active.append(job)
            reading = {j.events_fd: j for j in active if j.stage == "sandbox"}
            if reading:
                ready, _, _ = select.select(list(reading), [], [], 0.05)
                for fd in ready:
                    if self.read_events(reading[fd]) is False:
                        reading[fd].stage = "ended"
            else:
                time.sleep(0.02)
            now = time.monotonic()
            for job in list(active):
                if job.stage == "sandbox" and job.process.poll() is not None:
                    job.stage = (
                        "ended"  # (--unsafe: a leftover child may hold the pipe)
                    )
                if job.stage == "ended":
                    self.finish_attempt(job, None)
                elif job.stage == "sandbox":
                    # Before its first report, the sandbox is starting Python
                    # (slow on a busy machine): only the overall limit applies.
                    if now - job.started > self.args.timeout:
                        self.finish_attempt(job, "timeout")
                    elif job.events and now - job.last_event > self.stall(job):
                        self.finish_attempt(job, "stall")
                elif job.stage == "judge" and self.poll_judge(job):
                    active.remove(job)
                    done.append(job)
                    summary = self.summary(job)
                    shutil.rmtree(job.box, ignore_errors=True)
                    print(f"graded {job.source}: {score_line(summary)}", flush=True)
                    job.summary = summary
        if not self.unsafe:
            left = sandbox.kill_all(sandbox.processes_of(self.uid))
            if left:
                print(f"grade.py: killed {left} processes of uid {self.uid} left over")
        return [j.summary for j in jobs]


def score_line(summary: dict) -> str:
    earned = reports.total(summary)
    possible = sum(q["possible"] for q in summary["questions"].values())
    text = f"{reports._number(earned)}/{reports._number(possible)}"
    if summary["integrity"]:
        text += f" [integrity: {len(summary['integrity'])} to review]"
    return text + f" in {summary['seconds']:.1f} s"


def _tail(path: Path | None, size: int = 300) -> str:
    try:
        return " ".join(path.read_bytes()[-size:].decode(errors="replace").split())
    except (OSError, AttributeError):
        return "(no log)"


def _user_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def stage(submissions, workspace: Path) -> list[Job]:
    """Copy every submission into the private workspace before any runs."""
    (workspace / "submissions").mkdir()
    jobs = []
    for index, (path, name) in enumerate(submissions, 1):
        staged = workspace / "submissions" / f"{index}.ipynb"
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:  # at most 64 MiB: the runner refuses more
            data = f.read(MAX_NOTEBOOK + 1)
        staged.write_bytes(data)
        jobs.append(
            Job(
                source=path,
                name=name,
                staged=staged,
                box=workspace / f"box{index}",
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    return jobs


def hand_over(output: Path) -> None:
    """Under sudo, give the results to the user who ran it."""
    uid, gid = os.environ.get("SUDO_UID"), os.environ.get("SUDO_GID")
    if os.geteuid() == 0 and uid and gid:
        for path in [output, *output.rglob("*")]:
            os.chown(path, int(uid), int(gid), follow_symlinks=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Grade notebooks with an otter autograder: each in a sandbox, "
        "scored by a trusted process.",
        epilog="Writes final_grades.csv, grades_lms.csv, <name>.json and "
        "feedback/<name>.md into --output. Needs root (see README).",
    )
    parser.add_argument(
        "-a",
        "--autograder",
        type=Path,
        required=True,
        help="the folder make assignments wrote (_build/assignments/<name>)",
    )
    parser.add_argument("-o", "--output", type=Path, default=Path("results"))
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=60,
        help="seconds per cell of the notebook (60)",
    )
    parser.add_argument(
        "--call-timeout",
        type=float,
        default=10,
        help="seconds per call of the notebook's function by a test (10)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=600,
        help="seconds per submission in all, and its CPU time (600)",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=2048,
        help="address space per submission, MiB (2048)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=64,
        help="processes and threads of the sandbox user (64)",
    )
    parser.add_argument(
        "--judge-timeout",
        type=float,
        default=120,
        help="seconds to judge one submission's outputs (120)",
    )
    parser.add_argument(
        "--sandbox-user",
        default=sandbox.DEFAULT_USER,
        help="user (or uid) the notebooks run as; created if missing",
    )
    parser.add_argument(
        "--unsafe",
        action="store_true",
        help="no sandbox: run notebooks as yourself (trusted work only)",
    )
    parser.add_argument(
        "--roster",
        type=Path,
        help="CSV with a student_id column: grades_lms.csv lists every student",
    )
    parser.add_argument(
        "--student-id",
        metavar="REGEX",
        help="the student id in a submission's name: the regex's first group "
        "(default: the first folder, else the file name)",
    )
    parser.add_argument("submissions", type=Path, nargs="+")
    args = parser.parse_args(argv)

    if not args.unsafe and (why := sandbox.problem()):
        sys.exit(f"grade.py: {why}")
    assignment = find_assignment(args.autograder)
    submissions = find_submissions(args.submissions)
    if not submissions:
        sys.exit("grade.py: no .ipynb submissions found")
    roster = reports.read_roster(args.roster) if args.roster else None
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "feedback").mkdir(exist_ok=True)
    workspace = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        jobs = stage(submissions, workspace)
        try:
            grader = Grader(args, assignment, workspace)
        except ValueError as error:
            sys.exit(f"grade.py: {error}")
        if args.unsafe:
            print(
                f"grade.py: {UNSAFE.format(user=_user_name(os.getuid()))}", flush=True
            )
        summaries = grader.run(jobs)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    for summary in summaries:
        reports.write_json(args.output / f"{summary['name']}.json", summary)
        (args.output / "feedback" / f"{summary['name']}.md").write_text(
            reports.feedback(summary, assignment.name), encoding="utf-8"
        )
    grades = args.output / "final_grades.csv"
    reports.write_grades(grades, summaries, assignment.points)
    unknown = reports.write_lms(
        args.output / "grades_lms.csv",
        summaries,
        sum(assignment.points.values()),
        roster,
    )
    if unknown:
        print(f"grade.py: not on the roster: {', '.join(unknown)}")
    hand_over(args.output)
    times = [s["seconds"] for s in summaries]
    print(
        f"Scores: {grades} ({len(times)} submissions, "
        f"median {sorted(times)[len(times) // 2]:.1f} s each)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
