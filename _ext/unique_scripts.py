"""Write each page's inline scripts once.

Sphinx 7 (which Jupyter Book 1 requires) writes a script that an extension
registers after the builder has started twice: once as registered and once
re-added in `prepare_writing` under another (empty) file name. sphinx-thebe
registers `const THEBE_JS_URL = ...` that way, so every page declared the
constant twice and the browser logged a SyntaxError (tests/book/test_browser.py).
"""

from __future__ import annotations


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen = set()
    unique = []
    for js in scripts:
        attributes = getattr(js, "attributes", {})
        key = (getattr(js, "filename", js) or "", tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app):
    # Late, after the themes have added their per-page scripts.
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
