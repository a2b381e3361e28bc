"""Build helpers that the Makefile calls; not part of elu_lib.

    python tools/book.py execute      fill the Jupyter cache: committed chapters
                                      as committed, changed ones executed two
                                      at a time (make book; the build then
                                      reuses the cache)
    python tools/book.py execute-inplace [NOTEBOOK ...]
                                      run chapters (all by default) top to
                                      bottom and store their outputs in the
                                      notebooks (make execute)
    python tools/book.py test-config  print the path of a copy of _config.yml
                                      that renders the committed outputs
                                      (make test)
    python tools/book.py pdf          build the PDF book from the committed
                                      outputs and print its path, last
                                      (make pdf; needs TeX Live, see README)

Each command takes its settings from _config.yml, so the cell timeout
(execute.timeout) is written in one place.

Jupyter Book 1 executes notebooks one after another, keyed in its cache
(_build/.jupyter_cache) by their code. `execute` fills that cache first. A
chapter that git says is committed and unmodified goes in as committed: the
notebooks are committed executed top to bottom, and `make test`'s strict nbval
checks those outputs against a fresh run, so executing them again would only
cost a clean `make book` a minute and a half. Every other chapter (one you
changed, or all of them outside a git checkout) is executed with
jupyter-cache's parallel executor, two at a time. A chapter that fails there
is left out of the cache; the build then runs it again and stops with the
notebook and cell that raised. After changing elu_lib, run `make execute`:
the cache is keyed by the chapters' code, not the library's.

`make test` builds the book from the outputs committed in the notebooks instead
of executing every chapter a second time: strict nbval, in the same run,
proves those outputs are what the code produces now.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
CACHE = ROOT / "_build" / ".jupyter_cache"
TEST_BUILD = ROOT / "_build" / "test"
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
# Seconds a cell may run, wherever a chapter is executed.
TIMEOUT = CONFIG["execute"]["timeout"]
# `make pdf` builds in PDF_BUILD, with doctrees of its own (sharing
# _build/.doctrees with `make book` would make each rebuild the other from
# scratch), and leaves the book at PDF.
PDF_BUILD = ROOT / "_build" / "pdf"
PDF_NAME = Path(CONFIG["latex"]["latex_documents"]["targetname"]).stem + ".pdf"
PDF = ROOT / "_build" / "latex" / PDF_NAME


def execute() -> int:
    from jupyter_cache import get_cache
    from jupyter_cache.base import CachingError
    from jupyter_cache.executors import load_executor

    cache = get_cache(CACHE)
    for record in cache.list_project_records():
        if not Path(record.uri).exists():  # a renamed or removed chapter
            cache.remove_nb_from_project(record.pk)
    for path in CHAPTERS:
        cache.add_nb_to_project(str(path))
        if _committed_and_unmodified(path):
            try:  # checks that the execution counts run 1..N
                cache.cache_notebook_file(str(path), check_validity=True)
            except CachingError:  # already cached, or not executed in order
                pass
    executor = load_executor("local-parallel", cache)
    result = executor.run_and_cache(timeout=TIMEOUT)
    for uri in result.errored + result.excepted:
        print(f"tools/book.py: {uri} failed; the build will show where")
    return 0


def _committed_and_unmodified(path: Path) -> bool:
    """True when git tracks ``path`` and it is as committed (False without git)."""
    try:
        for command in (["ls-files", "--error-unmatch"], ["diff", "--quiet", "HEAD"]):
            run = subprocess.run(
                ["git", *command, "--", os.fspath(path)], cwd=ROOT, capture_output=True
            )
            if run.returncode != 0:
                return False
    except OSError:  # no git
        return False
    return True


def execute_inplace(*notebooks: str) -> int | str:
    """Run each notebook in its own folder, as Jupyter does, and save it in place.

    Stops at the first notebook with a cell that raises, and leaves that
    notebook unchanged. No timing metadata is stored, so a re-run changes only
    what the code changed.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    for path in [Path(nb).resolve() for nb in notebooks] or CHAPTERS:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb,
            timeout=TIMEOUT,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": os.fspath(path.parent)}},
        )
        try:
            client.execute()
        except CellExecutionError as error:
            print(error, file=sys.stderr)
            return f"tools/book.py: {os.path.relpath(path)} raised; not saved"
        nbformat.write(nb, path)
        print(f"tools/book.py: executed {os.path.relpath(path)}")
    return 0


def write_test_config() -> int:
    """Write _build/test/_config.yml: the book's config, executing nothing.

    The copy is read from _build/test/, so any path that Jupyter Book resolves
    against the config file's own folder would point there. One key is
    resolved that way: ``sphinx.local_extensions`` (Jupyter Book puts those
    folders on sys.path relative to the config file), so its paths are made
    absolute. Every other path-valued key (``logo``, ``html.favicon``,
    ``bibtex_bibfiles``, ``exclude_patterns``) is resolved by Sphinx against
    the source folder, which the test build shares with `make book` (``.``);
    those stay as written.
    """
    config = dict(CONFIG)
    config["execute"] = {**CONFIG["execute"], "execute_notebooks": "off"}
    sphinx = dict(config.get("sphinx", {}))
    extensions = sphinx.get("local_extensions") or {}
    sphinx["local_extensions"] = {
        name: os.fspath(ROOT / path) for name, path in extensions.items()
    }
    config["sphinx"] = sphinx
    TEST_BUILD.mkdir(parents=True, exist_ok=True)
    target = TEST_BUILD / "_config.yml"
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    print(target)
    return 0


def pdf() -> int | str:
    """Build the PDF book from the committed outputs, as `make test` builds HTML.

    Jupyter Book's pdflatex builder writes LaTeX (sphinx-jupyterbook-latex
    switches the engine to XeLaTeX) and runs latexmk in
    _build/pdf/_build/latex; the PDF is copied to _build/latex/. LaTeX stops
    at its first error instead of waiting for input; the error is printed.
    """
    tools = ("xelatex", "latexmk", "xindy", "rsvg-convert")
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        return (
            f"tools/book.py: make pdf needs {', '.join(missing)}: install the"
            " packages that README.md names in 'The PDF' (TeX Live and more)"
        )
    write_test_config()
    env = {**os.environ, "LATEXOPTS": "-interaction=nonstopmode -halt-on-error"}
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    latex_dir = PDF_BUILD / "_build" / "latex"
    built = latex_dir / PDF_NAME
    built.unlink(missing_ok=True)
    command = [
        os.fspath(jupyter_book), "build", os.fspath(ROOT), "--builder", "pdflatex",
        "--config", os.fspath(TEST_BUILD / "_config.yml"),
        "--path-output", os.fspath(PDF_BUILD),
    ]  # fmt: skip
    result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL)
    if result.returncode != 0 or not built.exists():
        log = latex_dir / (built.stem + ".log")
        if log.exists():
            lines = log.read_text(errors="replace").splitlines()
            errors = [i for i, line in enumerate(lines) if line.startswith("!")]
            for i in errors[:3]:
                print("\n".join(lines[i : i + 6]), file=sys.stderr)
        return f"tools/book.py: the PDF build failed; see {os.path.relpath(log)}"
    PDF.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(built, PDF)
    pages = ""
    if shutil.which("pdfinfo"):  # poppler-utils, which the PDF test uses too
        info = subprocess.run(["pdfinfo", PDF], capture_output=True, text=True)
        pages = "".join(
            f"{line.split()[1]} pages, "
            for line in info.stdout.splitlines()
            if line.startswith("Pages:")
        )
    print(f"{PDF_NAME}: {pages}{PDF.stat().st_size / 1e6:.1f} MB")
    print(PDF)
    return 0


if __name__ == "__main__":
    commands = {
        "execute": execute,
        "execute-inplace": execute_inplace,
        "test-config": write_test_config,
        "pdf": pdf,
    }
    command, *args = sys.argv[1:] or [None]
    if command not in commands or (args and command != "execute-inplace"):
        sys.exit(
            f"usage: python tools/book.py {{{'|'.join(commands)}}}"
            " (execute-inplace takes notebooks; default: every chapter)"
        )
    sys.exit(commands[command](*args))
