"""The trusted half of grading: otter's tests, run on data the sandbox handed back.

An otter test is a function of the notebook's names, ``test_elu_values(elu)``,
that calls them and asserts. Here it runs in the grader's own process, where
nothing from a submission is ever imported:

1. **Plan** (once per assignment). Each test runs against the solutions
   notebook, its functions wrapped in recorders. That gives, per test, the
   calls it makes (``elu(z)``, ``elu(z, alpha=0.5)``) with their inputs, and
   the names it reads as plain values (a SymPy answer). The inputs go into the
   sandbox as data (:mod:`wire`); the tests' code never does.
2. **Sandbox** (:mod:`runner`): the notebook runs, then its functions are
   called on those inputs and the outputs saved.
3. **Judge** (per submission). Each test runs again, its function arguments
   now replaying the notebook's outputs in order: the *n*-th call returns what
   the notebook returned for the *n*-th recorded input, raises what it raised,
   re-emits the warnings it emitted and changes its arguments as it did. The
   test's own assertions decide, with this process's NumPy and SymPy.

So a test must call the notebook's functions with inputs that do not depend
on earlier answers (all of ours do); a call beyond the recorded ones fails
the test with a message saying so.

Scoring follows otter's rules for test files (``points`` per question or per
test case, ``all_or_nothing``), and every failing test is reported.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import dataclasses
import inspect
import os
import re
import traceback
import warnings
import zipfile
from pathlib import Path
from typing import Any

try:
    from . import wire
    from .runner import code_cells, is_otter_cell
except ImportError:
    import wire
    from runner import code_cells, is_otter_cell

OTTER_IMPORT = "from otter.test_files import test_case"


class GradingError(Exception):
    """The test cannot be judged from the recorded outputs."""


class test_case:  # noqa: N801 - the name otter's test files import
    """What ``@otter.test_files.test_case(...)`` records, without importing otter
    (whose import takes seconds)."""

    def __init__(
        self,
        name=None,
        points=None,
        hidden=False,
        success_message=None,
        failure_message=None,
    ):
        self.name, self.points, self.hidden = name, points, hidden
        self.success_message, self.failure_message = success_message, failure_message
        self.func = None

    def __call__(self, func):
        self.func = func
        return self


@dataclasses.dataclass
class Test:
    id: str  # "q1_elu/2"
    question: str
    name: str  # the test function's name
    description: str  # its docstring's first line, else otter's failure message
    hidden: bool
    points: float
    func: Any
    params: list[str]
    filename: str


@dataclasses.dataclass
class Question:
    name: str
    tests: list[Test]
    all_or_nothing: bool

    @property
    def possible(self) -> float:
        return sum(t.points for t in self.tests)


def resolve_points(total, cases: list[test_case]) -> list[float]:
    """Each test case's points: otter's ``TestFile.resolve_test_file_points``."""
    if isinstance(total, list):
        if len(total) != len(cases):
            raise ValueError("points list and test cases differ in length")
        return [float(p) for p in total]
    given = [c.points for c in cases]
    fixed = sum(p for p in given if p is not None)
    unset = sum(p is None for p in given)
    if total is not None:
        rest = (total - fixed) / unset if unset else 0.0
    elif fixed == 0 and all(p in (0, None) for p in given):
        rest = 1 / unset if unset else 0.0
    else:
        rest = 0.0
    return [float(p) if p is not None else rest for p in given]


def load_questions(autograder: Path) -> list[Question]:
    """The questions and tests in an otter autograder zip (``tests/*.py``)."""
    questions = []
    with zipfile.ZipFile(autograder) as zf:
        names = sorted(n for n in zf.namelist() if re.fullmatch(r"tests/[^/]+\.py", n))
        for name in names:
            source = zf.read(name).decode("utf-8")
            filename = f"<autograder {name}>"
            if OTTER_IMPORT not in source:
                raise ValueError(f"{name}: not an exception-based otter test file")
            namespace = {"test_case": test_case, "__name__": Path(name).stem}
            code = compile(source.replace(OTTER_IMPORT, ""), filename, "exec")
            exec(code, namespace)  # noqa: S102 - the instructor's own test file
            cases = [v for v in namespace.values() if isinstance(v, test_case)]
            qname = namespace.get("name", Path(name).stem)
            points = resolve_points(namespace.get("points"), cases)
            tests = []
            for index, (case, pts) in enumerate(zip(cases, points, strict=True), 1):
                doc = inspect.getdoc(case.func) or ""
                tests.append(
                    Test(
                        id=f"{qname}/{index}",
                        question=qname,
                        name=case.name or case.func.__name__,
                        description=doc.split("\n")[0] or (case.failure_message or ""),
                        hidden=bool(case.hidden),
                        points=pts,
                        func=case.func,
                        params=list(inspect.signature(case.func).parameters),
                        filename=filename,
                    )
                )
            questions.append(
                Question(qname, tests, bool(namespace.get("all_or_nothing", False)))
            )
    return questions


def reference_namespace(solutions: Path) -> dict:
    """The names the solutions notebook defines (its otter cells skipped;
    what it prints is not shown)."""
    namespace: dict = {"__name__": "__main__"}
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        for index, source in enumerate(code_cells(str(solutions)), 1):
            if is_otter_cell(source):
                continue
            code = compile(source, f"<solutions cell {index}>", "exec")
            exec(code, namespace)  # noqa: S102 - the instructor's solutions
    return namespace


class Recorder:
    """Wraps a solution's function; notes the inputs of every call."""

    def __init__(self, func):
        self.func, self.calls = func, []

    def __call__(self, *args, **kwargs):
        self.calls.append((copy.deepcopy(args), copy.deepcopy(kwargs)))
        return self.func(*args, **kwargs)


def is_function(value) -> bool:
    return callable(value) and not isinstance(value, type)


def make_plan(questions: list[Question], reference: dict, inputs: str) -> list[dict]:
    """Run every test against the solutions; return what the sandbox must do.

    Raises ``ValueError`` if the solutions fail a test: the plan would be wrong.
    """
    encoder = wire.Encoder(inputs, callables=True)
    plan = []
    for question in questions:
        for test in question.tests:
            env, specs = {}, {}
            for param in test.params:
                value = reference.get(param)
                if is_function(value):
                    env[param] = Recorder(value)
                else:
                    env[param] = value
                    specs[param] = {"kind": "value"}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    test.func(**env)
            except Exception as error:
                raise ValueError(
                    f"the solutions fail {test.question}: {test.name}: "
                    f"{type(error).__name__}: {error}"
                ) from error
            for param, value in env.items():
                if isinstance(value, Recorder):
                    specs[param] = {
                        "kind": "function",
                        "calls": [
                            {"args": encoder.encode(a), "kwargs": encoder.encode(k)}
                            for a, k in value.calls
                        ],
                    }
            plan.append({"id": test.id, "params": specs})
    return plan


def test_file(test_id: str) -> str:
    return re.sub(r"\W", "_", test_id) + ".json"


def rebuild_exception(raised: dict) -> Exception:
    """The exception a notebook's function raised, as a plain exception here."""
    name = str(raised.get("type", "Exception"))[:60]
    message = str(raised.get("message", ""))[:300]
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        safe = re.sub(r"\W", "_", name) or "Error"
        cls = type(safe if safe.isidentifier() else "_" + safe, (Exception,), {})
    try:
        return cls(message)
    except Exception:  # noqa: BLE001 - builtins with other signatures
        return RuntimeError(f"{name}: {message}")


def warning_category(name: str) -> type:
    cls = getattr(builtins, str(name)[:60], None)
    if isinstance(cls, type) and issubclass(cls, Warning):
        return cls
    return UserWarning


class Replay:
    """Stands for a notebook's function in a test: returns, raises and warns
    what the notebook's function did on the same call, in order."""

    def __init__(self, name: str, calls: list, decoder: wire.Decoder):
        self.name, self.calls, self.decoder, self.count = name, calls, decoder, 0

    def __call__(self, *args, **kwargs):
        if self.count >= len(self.calls):
            raise GradingError(
                f"the test called {self.name} more often than with the solutions "
                "(its inputs depend on earlier answers); grade this test by hand"
            )
        record = self.calls[self.count]
        self.count += 1
        if not isinstance(record, dict):
            raise GradingError("malformed record of a call")
        if "not_callable" in record:
            kind = str(record["not_callable"])[:60]
            raise TypeError(f"'{kind}' object is not callable")
        for w in record.get("warnings", [])[:20]:
            if isinstance(w, dict):
                warnings.warn_explicit(
                    str(w.get("message", ""))[:300],
                    warning_category(w.get("category")),
                    "<the notebook>",
                    0,
                )
        if "raised" in record:
            raise rebuild_exception(record["raised"])
        if "value" not in record:
            raise GradingError(f"no output was recorded for this call of {self.name}")
        value = self.decoder.decode(record["value"])
        if "args_after" in record:
            _apply(args, self.decoder.decode(record["args_after"]))
        if "kwargs_after" in record:
            after = self.decoder.decode(record["kwargs_after"])
            if isinstance(after, dict):
                _apply([kwargs[k] for k in kwargs], [after.get(k) for k in kwargs])
        return value


def _apply(objects, afters) -> None:
    """Change the test's arguments as the notebook's function changed its own."""
    import numpy as np

    if not isinstance(afters, (list, tuple)):
        return
    for obj, after in zip(objects, afters, strict=False):
        if isinstance(obj, np.ndarray) and isinstance(after, np.ndarray):
            if obj.shape == after.shape and not np.array_equal(
                obj, after, equal_nan=True
            ):
                obj[...] = after
        elif isinstance(obj, list) and isinstance(after, list) and obj != after:
            obj[:] = after
        elif (
            isinstance(obj, dict)
            and isinstance(after, dict)
            and obj.keys() == after.keys()
        ):
            obj.update(after)


def _failure(error: BaseException, test: Test) -> dict:
    """What went wrong, and the test's source line where it did (for the
    instructor; the student's feedback leaves hidden tests' lines out)."""
    line = ""
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename == test.filename:
            line = str(lineno)
    try:
        message = str(error)
    except Exception:  # noqa: BLE001
        message = ""
    return {"error": type(error).__name__, "message": message[:2000], "line": line}


def judge(
    questions: list[Question],
    plan: list[dict],
    out_dir: str,
    stopped: dict[str, str],
) -> dict:
    """Run every test on a submission's recorded outputs.

    ``stopped`` maps a test id to why the sandbox never recorded it (the
    notebook hung or exited while the grader called it). Returns, per
    question, the score and each test's result.
    """
    import numpy as np

    plans = {p["id"]: p for p in plan}
    results: dict[str, dict] = {}
    try:
        decoder = wire.Decoder(out_dir)
    except OSError as error:
        decoder = None
        unreadable = f"the sandbox's outputs are unreadable: {error.strerror}"
    for question in questions:
        tests = []
        for test in question.tests:
            result = {
                "id": test.id,
                "name": test.name,
                "description": test.description,
                "hidden": test.hidden,
                "points": test.points,
                "passed": False,
            }
            try:
                if decoder is None:
                    raise GradingError(unreadable)
                if test.id in stopped:
                    raise GradingError(stopped[test.id])
                env = _environment(test, plans[test.id], decoder)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    with np.errstate(all="ignore"):
                        test.func(**env)
                result["passed"] = True
            except Missing as error:
                result.update(error="NameError", message=str(error), line="")
            except wire.WireError as error:
                why = f"the grader cannot read the notebook's output: {error}"
                result.update(error="GradingError", message=why, line="")
            except Exception as error:  # noqa: BLE001 - a failing test
                result.update(_failure(error, test))
            tests.append(result)
        earned = sum(t["points"] for t in tests if t["passed"])
        if question.all_or_nothing and not all(t["passed"] for t in tests):
            earned = 0.0
        results[question.name] = {
            "score": earned,
            "possible": question.possible,
            "tests": tests,
        }
    if decoder is not None:
        decoder.close()
    return results


class Missing(Exception):
    """A name the test needs is not defined by the notebook."""


def _environment(test: Test, spec: dict, decoder: wire.Decoder) -> dict:
    try:
        record = decoder.load_json(test_file(test.id))
    except wire.WireError as error:
        if "No such file" in str(error):
            raise GradingError(
                "no outputs were recorded for this test: the notebook stopped "
                "before the grader reached it (see the other messages)"
            ) from None
        raise
    if not isinstance(record, dict) or not isinstance(record.get("params"), dict):
        raise GradingError("malformed record of the notebook's outputs")
    env = {}
    for param in test.params:
        kind = spec["params"].get(param, {}).get("kind")
        got = record["params"].get(param)
        if not isinstance(got, dict):
            raise GradingError(f"no output recorded for {param}")
        if got.get("missing"):
            raise Missing(
                f"{param} is not defined in the notebook (did the cell that "
                "defines it run without an error?)"
            )
        if kind == "value":
            if "value" not in got:
                raise GradingError(f"no value recorded for {param}")
            env[param] = decoder.decode(got["value"])
        else:
            calls = got.get("calls")
            if not isinstance(calls, list) or len(calls) > 10_000:
                raise GradingError(f"malformed record of the calls of {param}")
            for call in calls:
                if isinstance(call, dict) and call.get("missing"):
                    raise Missing(
                        f"{param} is not defined in the notebook (did the cell "
                        "that defines it run without an error?)"
                    )
            env[param] = Replay(param, calls, decoder)
    return env


def short(text: str, width: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def student_message(result: dict) -> str:
    """Why a test failed, in words for the student: a hidden test's message
    keeps its first lines only (no arrays of expected values, no source)."""
    message = result.get("message", "")
    if result.get("hidden"):
        kept = []
        for line in message.splitlines():
            if re.match(r"\s*(Mismatched|Max |x:|y:|ACTUAL|DESIRED|\s*array\()", line):
                break
            if line.strip():
                kept.append(line.strip())
        message = " ".join(kept)
    error = result.get("error", "")
    return short(f"{error}: {message}" if message else error, 300)


def os_safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name)[:150] or "submission"
