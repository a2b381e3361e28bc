"""Run one submission inside the sandbox and write down what its functions return.

This is the only grading code that shares a process with a student's notebook,
so it decides nothing. It

1. runs the notebook's code cells in order in an IPython shell (``python3``
   whatever kernel the notebook names, no otter metadata needed), each cell
   stopped after ``cell_timeout`` seconds; otter's own cells (``import otter``,
   ``grader.check(...)``) are skipped, and ``otter`` is a stub;
2. then, for every test in the plan the grader made, calls the notebook's
   functions on the test's inputs (or reads the variable the test checks) and
   saves the outputs with :mod:`wire` into ``out/<test>.json`` and ``.npy``
   files, one test at a time, so a crash loses only what is left;
3. reports, on file descriptor 3, where it is (so the grader knows which cell
   hung or exited), each cell's error, what broke the assignment's import
   rules, and what looked like tampering: changes to ``numpy``,
   ``numpy.testing``, ``warnings``, ``builtins``, ``otter`` or ``sys.modules``,
   files read or written outside the notebook's folder, processes started,
   signals sent, ``exit()``.

The trusted grader (:mod:`judge`) then runs the real tests on those outputs in
a process that never imports anything from the submission. A notebook can
forge the outputs only by computing them, and can silence the reports only by
attacking this code directly; the scores do not depend on the reports.

Run as ``python -I -c "...; main()" plan.json`` (see :mod:`sandbox`).
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import re
import signal
import sys
import time
import types
import warnings

import numpy as np
import numpy.testing

try:
    from . import wire
except ImportError:  # run as a script in the sandbox, wire.py beside it
    import wire

# Lines of an otter cell that grading does without: the init and the checks.
OTTER_LINE = re.compile(
    r"(import otter"
    r"|grader\s*=\s*otter\.Notebook\(.*\)"
    r"|(_\s*=\s*)?grader\.(check|check_all|export|to_pdf|run_plugin)\(.*\))\s*;?\s*\Z"
)
# Python's audit events (sys.addaudithook) reported as tampering.
PROCESS_EVENTS = {
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "pty.spawn",
}
PATH_WRITE_EVENTS = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.truncate",
    "os.symlink",
    "os.link",
    "os.utime",
    "shutil.rmtree",
    "shutil.copyfile",
    "shutil.move",
}
PROTECTED = ("numpy", "builtins", "sympy", "otter", "sys", "warnings", "elu_lib")
WRITE_MODES = set("wax+")


class Events:
    """One JSON line per event on a pipe to the grader. Each line is written
    at once, so what happened before a crash or a kill is already there."""

    def __init__(self, fd: int):
        self.fd, self.seen, self.count = fd, set(), 0

    def send(self, kind: str, **fields) -> None:
        key = (kind, json.dumps(fields, sort_keys=True, default=str))
        if kind in ("integrity", "rule") and key in self.seen:
            return
        self.seen.add(key)
        self.count += 1
        if self.count > 2000:
            return
        line = json.dumps({"kind": kind, **fields}, default=str)[:4000] + "\n"
        try:
            os.write(self.fd, line.encode())
        except OSError:
            pass


class Blocked(Exception):
    """An import the assignment's rules forbid."""


class Guard:
    """The audit hook (installed before any student code; it cannot be removed)
    and the checks of the modules a grader relies on."""

    def __init__(self, events: Events, plan: dict):
        self.events = events
        self.armed = False  # True while student code runs
        self.where = "setup"
        self.forbidden = set(plan.get("forbidden_imports", []))
        prefixes = [sys.prefix, sys.base_prefix, sys.exec_prefix]
        reads = [*plan["read_ok"], *prefixes]
        self.read_ok = tuple(os.path.realpath(p).rstrip("/") + "/" for p in reads)
        libraries = [*plan.get("libraries", []), *prefixes]
        self.libraries = tuple(os.path.realpath(p).rstrip("/") + "/" for p in libraries)
        self.write_ok = tuple(
            os.path.realpath(p).rstrip("/") + "/" for p in plan["write_ok"]
        )
        self.scratch = tuple(
            os.path.realpath(p).rstrip("/") + "/" for p in plan.get("scratch", [])
        )
        self.busy = False

    def flag(self, text: str) -> None:
        self.events.send("integrity", text=text, where=self.where)

    @contextlib.contextmanager
    def trusted(self):
        """The runner's own file writes, not reported."""
        armed, self.armed = self.armed, False
        try:
            yield
        finally:
            self.armed = armed

    # -- the audit hook -------------------------------------------------------
    def hook(self, event: str, args: tuple) -> None:
        if not self.armed or self.busy:
            return
        self.busy = True
        try:
            self._check(event, args)
        except Blocked as error:  # a forbidden import: the import fails
            raise ImportError(str(error)) from None
        except Exception:  # noqa: BLE001, S110 - a check never breaks the notebook
            pass
        finally:
            self.busy = False

    def _check(self, event: str, args: tuple) -> None:
        if event == "import":
            name = str(args[0])
            top = name.partition(".")[0]
            if top in self.forbidden:
                self.events.send("rule", text=f"imported {name}", where=self.where)
                raise Blocked(
                    f"{top} may not be used in this assignment (see its rules): "
                    "the autograder blocks it"
                )
            if top == "otter" and name != "otter":
                self.flag(f"imported {name} (grading does not use otter's code)")
        elif event == "open":
            path, mode, flags = args
            if isinstance(path, int) or not path or str(path).startswith("<"):
                return
            writing = bool(WRITE_MODES & set(str(mode or ""))) or bool(
                (flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC)
            )
            self._path(os.fsdecode(path), writing)
        elif event in ("os.listdir", "os.scandir"):
            path = args[0] if args and args[0] is not None else "."
            if not isinstance(path, int):
                self._path(os.fsdecode(path), False, "listed")
        elif event in PATH_WRITE_EVENTS:
            for path in args[:2]:
                if isinstance(path, (str, bytes, os.PathLike)):
                    self._path(os.fsdecode(path), True)
        elif event in PROCESS_EVENTS:
            shown = args[1] if len(args) > 1 else args
            if not isinstance(shown, (str, bytes)):
                shown = " ".join(map(str, shown or ()))
            shown = str(shown)[:120]
            self.flag(f"started a process ({event}: {shown})")
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            self.flag(f"sent signal {args[1]} to process {args[0]}")
        elif event in ("socket.connect", "socket.bind", "socket.sendto"):
            self.flag(f"used the network ({event} {args[1:2]})")
        elif event == "ctypes.dlopen":
            self.flag(f"loaded a C library with ctypes ({args[0]})")
        elif event == "sys.addaudithook":
            self.flag("installed an audit hook")
        elif event in ("object.__setattr__", "object.__delattr__"):
            target, name = args[0], args[1]
            module = getattr(target, "__module__", None)
            if (
                isinstance(module, str)
                and module.startswith(PROTECTED)
                and self._from_notebook()
            ):
                owner = getattr(target, "__qualname__", type(target).__qualname__)
                self.flag(f"changed {module}.{owner}.{name}")

    def _from_notebook(self) -> bool:
        """Whether the code that raised the event is the notebook's own (a
        library changing its own classes as it loads is not reported)."""
        frame = sys._getframe(3)
        while frame is not None and frame.f_code.co_filename in (__file__,):
            frame = frame.f_back
        if frame is None:
            return False
        name = frame.f_code.co_filename
        return name.startswith("<") or not os.path.realpath(name).startswith(
            self.libraries
        )

    def _path(self, path: str, writing: bool, verb: str | None = None) -> None:
        real = os.path.realpath(path)
        probe = real.rstrip("/") + "/"
        if not writing and probe.startswith(self.libraries):
            # Python, the venv and the allowed packages, read-only, wherever
            # they are: a clone under /tmp (as CI may have) puts them inside
            # the scratch prefix, where Python probes for __pycache__ files.
            return
        if probe.startswith(self.scratch):
            # The sandbox's own /tmp: reported only when the notebook goes
            # for something that is not there (the grader's /tmp, say).
            there = os.path.lexists(os.path.dirname(real) if writing else real)
            if not there:
                self.flag(
                    f"tried to {'write' if writing else verb or 'read'} {real} "
                    "(not in the sandbox)"
                )
        elif writing:
            if not probe.startswith(self.write_ok) and real != "/dev/null":
                self.flag(f"wrote or changed {real} (outside its folder)")
        elif not probe.startswith(self.read_ok):
            self.flag(f"{verb or 'read'} {real} (outside its folder)")

    # -- the modules a grader relies on ---------------------------------------
    def snapshot(self, otter_stub) -> None:
        self.watched = {
            "builtins": builtins,
            "numpy": np,
            "numpy.testing": numpy.testing,
            "warnings": warnings,
            "otter": otter_stub,
        }
        self.before = {name: dict(vars(m)) for name, m in self.watched.items()}
        self.modules = dict(sys.modules)
        self.reported: set = set()  # each change once, where it was first seen

    def check_modules(self) -> None:
        """Report each change to the watched modules and to ``sys.modules``."""
        for name, module in self.watched.items():
            now, before = vars(module), self.before[name]
            for key in before.keys() | now.keys():
                old, new = before.get(key, _MISSING), now.get(key, _MISSING)
                if old is new:
                    continue
                # numpy adds lazily imported submodules; IPython sets builtins._
                if (
                    name == "numpy"
                    and old is _MISSING
                    and isinstance(new, types.ModuleType)
                ):
                    continue
                if name == "builtins" and key in ("_", "__", "___"):
                    continue
                verb = (
                    "added"
                    if old is _MISSING
                    else "removed"
                    if new is _MISSING
                    else "changed"
                )
                self._once(f"{verb} {name}.{key}")
        modules = sys.modules
        for key, old in self.modules.items():
            new = modules.get(key, _MISSING)
            if new is _MISSING:
                self._once(f"removed sys.modules[{key!r}]")
            elif new is not old:
                self._once(f"replaced sys.modules[{key!r}]")
        for key in list(modules):
            if key not in self.modules and not isinstance(
                modules[key], types.ModuleType
            ):
                self._once(f"put a non-module into sys.modules[{key!r}]")

    def _once(self, text: str) -> None:
        """Report a change once, where it was first seen."""
        if text not in self.reported:
            self.reported.add(text)
            self.flag(text)


_MISSING = object()


def otter_stub() -> types.ModuleType:
    """``otter`` in the sandbox: ``otter.Notebook(...)`` gives a grader whose
    methods do nothing. Grading never runs otter's checks there, and importing
    the real otter costs seconds."""
    import importlib.machinery

    module = types.ModuleType("otter", "Stand-in for otter-grader while grading.")
    module.__path__ = []  # a package, so `import otter.x` fails cleanly
    module.__spec__ = importlib.machinery.ModuleSpec("otter", None, is_package=True)

    class Notebook:
        def __init__(self, *args, **kwargs):
            pass

        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    module.Notebook = Notebook
    return module


def code_cells(path: str) -> list[str]:
    """The code cells' sources of the notebook at ``path``, whatever its
    metadata; raises ``ValueError`` if it is not a notebook."""
    with open(path, "rb") as f:
        data = f.read(64 * 2**20 + 1)
    if len(data) > 64 * 2**20:
        raise ValueError("the notebook is larger than 64 MiB")
    try:
        nb = json.loads(data)
    except ValueError as error:
        raise ValueError(f"not a notebook (not JSON: {error})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if cells is None and isinstance(nb, dict) and "worksheets" in nb:  # nbformat 3
        cells = [c for ws in nb["worksheets"] for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        raise ValueError("not a notebook (no cells)")
    sources = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            sources.append(source)
    return sources


def is_otter_cell(source: str) -> bool:
    lines = [
        line.strip()
        for line in source.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    return bool(lines) and all(OTTER_LINE.match(line) for line in lines)


def first_line(source: str, width: int = 50) -> str:
    for line in source.splitlines():
        if line.strip() and not line.strip().startswith("#"):
            line = line.strip()
            return line if len(line) <= width else line[: width - 1] + "…"
    return "(empty)"


class Stopwatch:
    """SIGALRM after ``seconds``: a ``TimeoutError`` stops the cell or call."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def _raise(self, signum, frame):
        raise TimeoutError(
            f"stopped after {self.seconds:g} s: does this code loop forever?"
        )

    def __enter__(self):
        # Set again each time: a notebook may have replaced the handler.
        signal.signal(signal.SIGALRM, self._raise)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        return False


def make_shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "plain"
    return InteractiveShell.instance(config=config)


def run_cells(shell, sources, guard, events, plan) -> None:
    skip = set(plan.get("skip_cells", []))
    stopwatch = Stopwatch(plan["cell_timeout"])
    exited = []
    shell.ask_exit = lambda: exited.append(True)
    for index, source in enumerate(sources, 1):
        if is_otter_cell(source):
            continue
        label = f"cell {index} (`{first_line(source)}`)"
        if index in skip:
            continue
        events.send("progress", stage="cell", index=index, label=label)
        guard.where = label
        result = None
        try:
            with stopwatch:
                guard.armed = True
                try:
                    result = shell.run_cell(source, store_history=False, silent=True)
                finally:
                    guard.armed = False
        except BaseException as error:  # noqa: BLE001 - raised between the hooks
            events.send("cell_error", label=label, error=_describe(error))
            continue
        if exited:
            guard.flag("called exit() or quit()")
            exited.clear()
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            if isinstance(error, SystemExit):
                guard.flag("raised SystemExit (sys.exit or exit())")
            events.send("cell_error", label=label, error=_describe(error))
        guard.check_modules()


def _message(error: BaseException) -> str:
    try:
        text = str(error)
    except Exception:  # noqa: BLE001 - a hostile __str__
        text = "(its message raised)"
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:299] + "…"


def _describe(error: BaseException) -> str:
    text = _message(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def harvest(shell, guard, events, plan, inputs) -> None:
    """Call the notebook's functions on every test's inputs; save the outputs."""
    namespace = shell.user_ns
    stopwatch = Stopwatch(plan["call_timeout"])
    skip = set(plan.get("skip_tests", []))
    # A function that hung (or ended the process) before is not called again:
    # an endless loop would cost the call limit on every test.
    hung = dict.fromkeys(plan.get("skip_functions", []), 2)
    out = plan["out"]
    count = 0
    values: dict[str, dict] = {}
    for test in plan["tests"]:
        if test["id"] in skip:
            continue
        events.send("progress", stage="test", test=test["id"])
        guard.where = f"the grader's calls for {test['id'].split('/')[0]}"
        record: dict = {"params": {}}
        encoder = wire.Encoder(out, start=count, writer=guard.trusted)
        for param, spec in test["params"].items():
            if spec["kind"] == "value":
                if param not in values:
                    values[param] = _value(namespace, param, encoder, stopwatch, guard)
                record["params"][param] = values[param]
                continue
            calls = []
            function = namespace.get(param, _MISSING)
            for call in spec["calls"]:
                if hung.get(param, 0) >= 2:
                    why = f"not called: {param} did not finish on earlier calls"
                    calls.append({"raised": {"type": "TimeoutError", "message": why}})
                    continue
                events.send("progress", stage="call", test=test["id"], param=param)
                result = _call(function, param, call, inputs, encoder, stopwatch, guard)
                if result.get("raised", {}).get("type") == "TimeoutError":
                    hung[param] = hung.get(param, 0) + 1
                calls.append(result)
                guard.check_modules()
            record["params"][param] = {"kind": "function", "calls": calls}
        record["notes"] = encoder.notes
        count = encoder.count
        for note in encoder.notes:
            guard.flag(note)
        wire.dump(record, os.path.join(out, _test_file(test["id"])))


def _test_file(test_id: str) -> str:
    return re.sub(r"\W", "_", test_id) + ".json"


def _value(namespace, name, encoder, stopwatch, guard) -> dict:
    if name not in namespace:
        return {"kind": "value", "missing": True}
    try:
        with stopwatch:
            guard.armed = True
            try:
                tree = encoder.encode(namespace[name])
            finally:
                guard.armed = False
    except BaseException as error:  # noqa: BLE001
        tree = {"t": "opaque", "type": "unreadable", "repr": _describe(error)}
    return {"kind": "value", "value": tree}


def _call(function, name, call, inputs, encoder, stopwatch, guard) -> dict:
    """One call of the notebook's ``name`` on the plan's inputs."""
    if function is _MISSING:
        return {"missing": True}
    if not callable(function):
        return {"not_callable": type(function).__name__}
    args = inputs.decode(call["args"])
    kwargs = inputs.decode(call["kwargs"])
    result: dict = {}
    caught: list = []
    try:
        with stopwatch, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # NumPy's default error handling, whatever the notebook set.
            with np.errstate(
                divide="warn", over="warn", invalid="warn", under="ignore"
            ):
                guard.armed = True
                try:
                    value = function(*args, **kwargs)
                    result["value"] = encoder.encode(value)
                    # What the function did to its arguments (arrays, lists,
                    # dicts): a test may check they are unchanged.
                    result["args_after"] = encoder.encode(_mutable(args))
                    result["kwargs_after"] = encoder.encode(_mutable(kwargs))
                finally:
                    guard.armed = False
    except wire.WireError as error:
        why = f"the grader cannot read what {name} returned: {error}"
        result = {"raised": {"type": "ValueError", "message": why}}
    except BaseException as error:  # noqa: BLE001 - the student's error is a result
        if isinstance(error, SystemExit):
            guard.flag(f"{name} raised SystemExit when the grader called it")
        result = {"raised": {"type": type(error).__name__, "message": _message(error)}}
    result["warnings"] = [
        {"category": w.category.__name__, "message": str(w.message)[:300]}
        for w in caught[:20]
        if isinstance(w, warnings.WarningMessage)
    ]
    return result


def _mutable(values):
    if isinstance(values, dict):
        return {
            k: v if isinstance(v, (np.ndarray, list, dict)) else None
            for k, v in values.items()
        }
    return tuple(v if isinstance(v, (np.ndarray, list, dict)) else None for v in values)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as f:
        plan = json.load(f)
    events = Events(plan["events_fd"])
    os.set_inheritable(plan["events_fd"], False)  # no pipe for the notebook's children
    guard = Guard(events, plan)
    sys.addaudithook(guard.hook)
    # The notebook's output goes nowhere: the grader reads only the events.
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        sources = code_cells(plan["notebook"])
    except (OSError, ValueError) as error:
        # Still harvested: every test then says which name is missing.
        events.send("cell_error", label="the notebook", error=str(error)[:300])
        sources = []
    inputs = wire.Decoder(plan["inputs"], callables=True)
    stub = otter_stub()
    sys.modules["otter"] = stub
    shell = make_shell()
    shell.user_ns["grader"] = stub.Notebook()
    guard.snapshot(stub)
    started = time.monotonic()
    run_cells(shell, sources, guard, events, plan)
    events.send(
        "progress", stage="harvest", seconds=round(time.monotonic() - started, 2)
    )
    harvest(shell, guard, events, plan, inputs)
    guard.check_modules()
    events.send("done")
    sys.stdout.flush()
    # No interpreter shutdown: objects the notebook made must not run code now.
    os._exit(0)


if __name__ == "__main__":
    main()
