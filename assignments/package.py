"""After ``otter assign``: a Gradescope-ready autograder zip and a solutions PDF.

``make assignments`` runs this on each ``_build/assignments/<name>``::

    .venv/bin/python assignments/package.py _build/assignments/01_elu_in_numpy

* **Gradescope.** otter's zip builds its grading environment from
  ``environment.yml``, which lists otter only: assignments 2 and 3 import
  ``elu_lib`` (not on PyPI) and SymPy. This adds a wheel of ``elu_lib``, built
  from this repository, at the zip's top level and lists it in
  ``environment.yml``; pip then installs it with its dependencies (NumPy,
  SymPy, Matplotlib, mpmath) when Gradescope builds the image.
* **Solutions PDF** (``autograder/<name>-solutions.pdf``, keep it private):
  the solutions notebook, executed (its ``grader.check`` cells show the
  tests passing), as HTML with nbconvert, then printed to PDF by Chromium
  (through Playwright, as ``tests/book/test_browser.py`` does) with MathJax
  from the ``sphinx-mathjax-offline`` package, so nothing is fetched. otter's
  own ``solutions_pdf`` needs pandoc and TeX; this needs only Chromium
  (``/usr/bin/chromium``, ``ELU_CHROMIUM`` elsewhere). Without Chromium the
  PDF is skipped with a message; ``--no-pdf`` skips it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("ELU_CHROMIUM", "/usr/bin/chromium"))
WHEEL_HOME = "/autograder/source"  # where Gradescope unpacks the zip


def build_wheel(dest: Path) -> Path:
    """A wheel of elu_lib from this repository (no dependencies bundled)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(dest),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dest.glob("elu_lib-*.whl")
    return wheel


def add_elu_lib(autograder_zip: Path, wheel: Path) -> None:
    """Rewrite the zip: the wheel at its top, and in environment.yml's pip list."""
    with zipfile.ZipFile(autograder_zip) as zf:
        entries = {info.filename: (info, zf.read(info)) for info in zf.infolist()}
    environment = yaml.safe_load(entries["environment.yml"][1])
    for dependency in environment["dependencies"]:
        if isinstance(dependency, dict) and "pip" in dependency:
            pip = [
                p
                for p in dependency["pip"]
                if not p.startswith(f"{WHEEL_HOME}/elu_lib")
            ]
            dependency["pip"] = [*pip, f"{WHEEL_HOME}/{wheel.name}"]
            break
    else:
        raise ValueError("environment.yml lists no pip dependencies")
    new = autograder_zip.with_suffix(".tmp")
    with zipfile.ZipFile(new, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, (info, data) in entries.items():
            if name == "environment.yml":
                data = yaml.safe_dump(environment, sort_keys=False).encode()
            if not name.startswith("elu_lib-"):
                zf.writestr(info, data)
        zf.write(wheel, wheel.name)
    new.replace(autograder_zip)


def solutions_pdf(notebook: Path, pdf: Path) -> None:
    """Execute ``notebook``, render it to HTML, print it to ``pdf`` with Chromium."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter
    from playwright.sync_api import sync_playwright

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    run_in = Path(tempfile.mkdtemp(prefix="solutions-run-"))
    # otter's init cell reads the notebook back by name; its log goes there too.
    nbformat.write(nb, run_in / notebook.name)
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(run_in)}},
    ).execute()
    found = sorted(
        Path(sys.prefix).glob(
            "lib/python*/site-packages/sphinx-mathjax-offline/static/mathjax/tex-svg.js"
        )
    )
    exporter = HTMLExporter(template_name="lab")
    if found:
        exporter.mathjax_url = found[0].as_uri()
    body, _ = exporter.from_notebook_node(nb)
    # MathJax 3 reads $...$ only when told to (nbconvert configures MathJax 2).
    config = (
        "<script>window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']]},"
        " svg: {fontCache: 'global'}};</script>"
    )
    # Long code lines wrap instead of running off the page.
    style = "<style>pre { white-space: pre-wrap; overflow-wrap: anywhere; }</style>"
    body = body.replace("<head>", "<head>\n" + config + style, 1)
    shutil.rmtree(run_in, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="solutions-") as tmp:
        html = Path(tmp) / f"{notebook.stem}.html"
        html.write_text(body, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
            )
            page = browser.new_page()
            # Nothing from the network: nbconvert's page links a few CDN scripts.
            page.route(re.compile(r"^(?!file:).*"), lambda route: route.abort())
            page.goto(html.as_uri(), wait_until="load")
            # Wait for MathJax's first typesetting (page.evaluate awaits it).
            page.evaluate(
                "() => window.MathJax && MathJax.startup"
                " ? MathJax.startup.promise.then(() => true) : true"
            )
            page.pdf(
                path=str(pdf),
                format="A4",
                print_background=True,
                margin={
                    "top": "15mm",
                    "bottom": "15mm",
                    "left": "12mm",
                    "right": "12mm",
                },
            )
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("built", type=Path, nargs="+", help="_build/assignments/<name>")
    parser.add_argument("--no-pdf", action="store_true", help="skip the solutions PDF")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wheel-") as tmp:
        wheel = build_wheel(Path(tmp))
        for built in args.built:
            (zip_path,) = (built / "autograder").glob(f"{built.name}-autograder_*.zip")
            add_elu_lib(zip_path, wheel)
            print(f"{zip_path}: Gradescope-ready ({wheel.name} in its environment)")
    if args.no_pdf:
        return 0
    if not CHROMIUM.exists():
        print(f"no Chromium at {CHROMIUM}: no solutions PDF (README, For instructors)")
        return 0
    for built in args.built:
        pdf = built / "autograder" / f"{built.name}-solutions.pdf"
        solutions_pdf(built / "autograder" / f"{built.name}.ipynb", pdf)
        print(f"{pdf}: the solutions, executed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
