"""Every chapter notebook is committed the way the book promises.

Strict nbval (in `make test`) proves the stored outputs are what the code
produces now; these checks catch what nbval does not look at.
"""

from __future__ import annotations

import re

from tests.book._paths import CHAPTERS, ROOT, toc_files

IGNORE_MARKER = "# NBVAL_IGNORE_OUTPUT"
# Reprs that leak when a plotting cell does not end with `;` or plt.show().
OBJECT_REPR = re.compile(r"^(\[?<matplotlib\.|<Figure size|<Axes|Text\(|\[<)")
NETWORK_CALLS = re.compile(
    r"\b(urlopen|urlretrieve|requests\.(get|post)|fetch_openml|"
    r"load_dataset|wget|curl|pip install)\b"
)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_chapters():
    assert CHAPTERS, "chapters/ holds no notebook"


def test_every_chapter_is_in_the_toc_and_every_toc_entry_exists():
    listed = set(toc_files())
    chapters = {f"chapters/{p.stem}" for p in CHAPTERS}
    assert chapters <= listed, f"not in _toc.yml: {sorted(chapters - listed)}"
    for entry in listed:
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb")]
        assert any(p.exists() for p in candidates), f"_toc.yml names {entry}"


def test_chapter_file_names_are_numbered_topics():
    for path in CHAPTERS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), path.name


def test_kernel_is_python3(notebook):
    path, nb = notebook
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", path.name


def test_execution_counts_run_1_to_n_in_order(notebook):
    path, nb = notebook
    counts = [c.execution_count for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts}; run `make execute`"
    )


def test_no_stored_errors(notebook):
    path, nb = notebook
    for i, cell in enumerate(code_cells(nb), 1):
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{path.name}, code cell {i}"
            assert out.get("name") != "stderr", (
                f"{path.name}, code cell {i} wrote to stderr: "
                f"{''.join(out.get('text', ''))[:200]!r}"
            )


def test_no_widget_state(notebook):
    path, nb = notebook
    assert "widgets" not in nb.metadata, f"{path.name} stores widget state"
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            assert "application/vnd.jupyter.widget-view+json" not in out.get(
                "data", {}
            ), f"{path.name} stores a widget view"


def test_no_leaked_object_reprs(notebook):
    path, nb = notebook
    for i, cell in enumerate(code_cells(nb), 1):
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/plain", "")
            if "image/png" in out.get("data", {}) or not text:
                continue
            assert not OBJECT_REPR.match(text), (
                f"{path.name}, code cell {i} stores {text[:60]!r}; "
                "end the cell with `;` or plt.show()"
            )


def test_ignored_outputs_say_why(notebook):
    path, nb = notebook
    for i, cell in enumerate(code_cells(nb), 1):
        lines = cell.source.splitlines()
        if not lines or lines[0].strip() != IGNORE_MARKER:
            if IGNORE_MARKER in cell.source:
                raise AssertionError(f"{path.name}, cell {i}: marker not first")
            continue
        reason = [ln for ln in lines[1:3] if ln.strip().startswith("#")]
        assert reason, f"{path.name}, code cell {i}: say why output is ignored"


def test_figures_have_caption_name_and_alt_text(notebook):
    path, nb = notebook
    for i, cell in enumerate(code_cells(nb), 1):
        has_image = any(
            "image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {})
            for out in cell.get("outputs", [])
            if out.output_type in ("display_data", "execute_result")
            and "application/papermill.record/text/plain" not in out.get("data", {})
            and not out.get("metadata", {}).get("scrapbook")
        )
        if not has_image:
            continue
        meta = cell.metadata.get("mystnb", {})
        where = f"{path.name}, code cell {i}"
        assert meta.get("figure", {}).get("caption"), f"{where}: no caption"
        assert meta.get("figure", {}).get("name"), f"{where}: no figure name"
        assert meta.get("image", {}).get("alt"), f"{where}: no alt text"


def test_no_network_access(notebook):
    path, nb = notebook
    for i, cell in enumerate(code_cells(nb), 1):
        match = NETWORK_CALLS.search(cell.source)
        assert not match, f"{path.name}, code cell {i} uses {match.group(0)}"


def test_chapter_opens_with_a_title_and_ends_with_exercises(notebook):
    path, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), path.name
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"^## Summary", text, re.M), f"{path.name}: no Summary"
    assert re.search(r"^## Exercises", text, re.M), f"{path.name}: no Exercises"
    assert text.index("## Summary") < text.index("## Exercises"), path.name
    assert re.search(r"[`:]{3}\{exercise\}", text), f"{path.name}: no exercise"
    assert re.search(r"[`:]{3}\{solution\}", text), f"{path.name}: no solution"


def test_every_chapter_asserts_its_claims(notebook):
    path, nb = notebook
    asserts = sum(
        len(re.findall(r"^\s*assert\b", c.source, re.M)) for c in code_cells(nb)
    )
    assert asserts >= 3, f"{path.name}: only {asserts} assert statements"
