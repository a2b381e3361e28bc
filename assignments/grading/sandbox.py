"""The sandbox one submission runs in, built from standard Linux tools.

* **bubblewrap** (``bwrap``, Debian's ``bubblewrap`` package): new PID,
  network, IPC and UTS namespaces, and a new mount namespace whose root holds
  only what running the notebook needs, read-only: ``/usr``, ``/etc``, the
  Python installation and virtualenv, the packages the assignment allows
  (``elu_lib``'s source folder). Writable: an empty home folder (the
  notebook's working directory) and the folder the outputs go to. Nothing
  else of the machine exists in there: not the submissions folder, not the
  results, not the autograder or the solutions, not ``/home`` or ``/root``.
  ``--die-with-parent`` and the PID namespace mean every process the notebook
  starts dies with the sandbox, whatever session or process group it made.
* **setpriv** (util-linux): inside, the notebook runs as an unprivileged
  user (``grader-sandbox`` by default, created as a system user if missing),
  with no capabilities and ``no_new_privs``.
* **prlimit** (util-linux): limits on CPU time, address space, processes
  and file size.

All three need root to set up (bwrap as root keeps the capabilities the user
switch needs; ``setpriv`` drops them). ``--unsafe`` runs the notebook as the
grader's own user with the limits only.
"""

from __future__ import annotations

import dataclasses
import grp
import os
import pwd
import shutil
import signal
import subprocess
import sys
from pathlib import Path

DEFAULT_USER = "grader-sandbox"
# Inside the sandbox.
GRADE = "/grade"
HOME = f"{GRADE}/home"
OUT = f"{GRADE}/out"
PLAN = f"{GRADE}/plan"
LIB = f"{GRADE}/lib"
INPUTS = f"{GRADE}/inputs"
BOOT = (
    "import sys; sys.path.insert(0, {lib!r}); from grading.runner import main; main()"
)


@dataclasses.dataclass
class Limits:
    cpu_seconds: int = 600
    memory_bytes: int = 2 * 2**30
    processes: int = 64
    file_bytes: int = 256 * 2**20
    open_files: int = 256

    def prlimit(self) -> list[str]:
        return [
            "prlimit",
            f"--cpu={self.cpu_seconds}",
            f"--as={self.memory_bytes}",
            f"--nproc={self.processes}",
            f"--fsize={self.file_bytes}",
            f"--nofile={self.open_files}",
            "--core=0",
            "--",
        ]


def problem() -> str | None:
    """Why the sandbox cannot run here, or None."""
    if os.geteuid() != 0:
        return (
            "grading untrusted notebooks needs root: each one runs in bubblewrap "
            "namespaces as an unprivileged user (setpriv), which takes "
            "CAP_SYS_ADMIN, CAP_SETUID and CAP_SETGID. Run grade.py with sudo, "
            "or pass --unsafe to grade trusted work without a sandbox"
        )
    for tool in ("bwrap", "setpriv", "prlimit"):
        if shutil.which(tool) is None:
            package = "bubblewrap" if tool == "bwrap" else "util-linux"
            return f"{tool} is not installed (Debian/Ubuntu: apt-get install {package})"
    return None


def ensure_user(name: str) -> tuple[int, int, str | None]:
    """The uid and gid of ``name`` (or a numeric uid); creates a system user
    ``name`` if there is none. Returns a note when it created one."""
    if name.isdigit():
        return int(name), int(name), None
    try:
        entry = pwd.getpwnam(name)
        return entry.pw_uid, entry.pw_gid, None
    except KeyError:
        pass
    subprocess.run(
        [
            "useradd",
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            "--comment",
            "runs submissions for assignments/grade.py",
            name,
        ],
        check=True,
        capture_output=True,
    )
    entry = pwd.getpwnam(name)
    note = (
        f"created the system user {name} (uid {entry.pw_uid}) to run submissions; "
        f"`userdel {name}` removes it"
    )
    return entry.pw_uid, grp.getgrgid(entry.pw_gid).gr_gid, note


def _parents(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def python_paths(allowed_packages: list[str], forbidden: set[str]) -> list[str]:
    """The folders the sandbox's Python needs, read-only: the installation,
    the virtualenv, and each allowed package installed elsewhere (an editable
    install, such as ``elu_lib`` in this repository)."""
    import importlib.util

    paths = {
        os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)
    }
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    for package in allowed_packages:
        if package in forbidden:
            continue
        spec = importlib.util.find_spec(package)
        if spec is None:
            continue
        for location in spec.submodule_search_locations or [spec.origin]:
            paths.add(os.path.realpath(location))
    # Only the outermost of nested folders.
    kept = []
    for path in sorted(paths):
        if not any(path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return [p for p in kept if not p.startswith(("/usr/", "/etc/")) and p != "/usr"]


def bwrap_command(
    *,
    box: Path,
    inputs: Path,
    lib: Path,
    uid: int,
    gid: int,
    limits: Limits,
    python_dirs: list[str],
    info_fd: int,
) -> list[str]:
    """The command that runs the runner for the box ``box`` (holding ``home``,
    ``out`` and ``plan``) inside bubblewrap, as ``uid``, under ``limits``."""
    cmd = [
        "bwrap",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
        "--info-fd",
        str(info_fd),
        "--ro-bind",
        "/usr",
        "/usr",
        "--ro-bind",
        "/etc",
        "/etc",
    ]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    # /proc, /dev and a fresh /tmp first: a bind below /tmp (a venv in a
    # clone under /tmp, as CI may have) must land on top of the tmpfs.
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    made = {"/", "/usr", "/etc", "/tmp"}
    for path in python_dirs:
        for parent in _parents(path + "/x"):
            if parent not in made:
                cmd += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        cmd += ["--ro-bind", path, path]
    cmd += [
        "--perms",
        "0755",
        "--dir",
        GRADE,
        "--perms",
        "0755",
        "--dir",
        LIB,
        "--ro-bind",
        str(lib),
        f"{LIB}/grading",
        "--ro-bind",
        str(inputs),
        INPUTS,
        "--ro-bind",
        str(box / "plan"),
        PLAN,
        "--bind",
        str(box / "home"),
        HOME,
        "--bind",
        str(box / "out"),
        OUT,
        "--chdir",
        HOME,
        "--clearenv",
    ]
    for key, value in environment(HOME).items():
        cmd += ["--setenv", key, value]
    cmd += [
        "--",
        "setpriv",
        f"--reuid={uid}",
        f"--regid={gid}",
        "--clear-groups",
        "--no-new-privs",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
        *limits.prlimit(),
        *runner_command(),
    ]
    return cmd


def runner_command(lib: str = LIB, plan: str = f"{PLAN}/plan.json") -> list[str]:
    # -I: no environment variables, user site or current folder on the path;
    # -B: no bytecode written into the read-only installation.
    return [sys.executable, "-I", "-B", "-c", BOOT.format(lib=lib), plan]


def environment(home: str) -> dict[str, str]:
    venv_bin = os.path.join(sys.prefix, "bin")
    return {
        "HOME": home,
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp" if home == HOME else home,
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "IPYTHONDIR": f"{home}/.ipython",
        # One thread each: submissions graded side by side do not compete,
        # and the process limit is not spent on BLAS threads.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def processes_in(namespace: str) -> list[int]:
    """The processes left in the PID namespace ``namespace``
    (``pid:[4026532181]``), other than its exiting init and zombies."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != namespace:
                continue
            with open(f"/proc/{entry}/status", encoding="utf-8") as f:
                status = dict(
                    line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line
                )
        except (OSError, ValueError):
            continue
        inner = status.get("NSpid", "").split()[-1:]
        if inner != ["1"] and not status.get("State", "").startswith("Z"):
            found.append(int(entry))
    return found


def processes_of(uid: int) -> list[int]:
    """The processes of user ``uid`` in grade.py's own PID namespace. A
    sandboxed process cannot leave its sandbox's namespace, so this should
    find nothing; processes in other sandboxes (another grade.py run with the
    same user) are not touched."""
    host = os.readlink("/proc/self/ns/pid")
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != host:
                continue
            with open(f"/proc/{entry}/status", encoding="utf-8") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(entry))
                        break
        except (OSError, ValueError, IndexError):
            pass
    return found


def kill_all(pids: list[int]) -> int:
    killed = 0
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            pass
    return killed
