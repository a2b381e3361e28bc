"""The book's PDF, in both builds.

HTML: when `make pdf` has built the PDF (_build/latex/<targetname>.pdf, the
name from _config.yml's latex.latex_documents), it is copied into the HTML's
_static/ and every page's download menu offers it as "Book (PDF)", a local
file, so it works offline. Without a PDF (no TeX Live, or `make pdf` not run)
the HTML build is unchanged and says so in one line of its log; it never
warns, so `make book` and `make test` (-W) pass without TeX. When the PDF
appears, changes or goes, the next HTML build rewrites every page.

LaTeX: LaTeX cannot include an SVG (images/chapter_map.svg). Each is converted
to a PDF, which stays vector, by librsvg's rsvg-convert (Debian: librsvg2-bin,
which `make pdf` checks for). The HTML keeps the SVG. This replaces
sphinx.ext.imgconverter, which sphinx-jupyterbook-latex would load and which
needs ImageMagick with an SVG delegate (jblatex_load_imgconverter: false).
Proofs are set as in print, and the bibliography appears once (the classes
below say why).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml
from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.transforms.post_transforms.images import ImageConverter
from sphinx.util import logging

logger = logging.getLogger(__name__)
LINK_TEXT = "Book (PDF)"


def built_pdf(srcdir: str | Path) -> Path:
    """Where `make pdf` leaves the PDF."""
    config = yaml.safe_load((Path(srcdir) / "_config.yml").read_text())
    target = config["latex"]["latex_documents"]["targetname"]
    return Path(srcdir) / "_build" / "latex" / Path(target).with_suffix(".pdf").name


def _copy_pdf(app) -> None:
    app.env.book_pdf = None
    if app.builder.format != "html":
        return
    pdf = built_pdf(app.srcdir)
    state = f"{pdf.name} {pdf.stat().st_mtime_ns}" if pdf.is_file() else "none"
    stamp = Path(app.outdir) / ".book_pdf"
    if not stamp.is_file() or stamp.read_text() != state:
        # The PDF came, went or changed, and with it every page's download
        # menu: remove the written pages, and Sphinx writes each again (it
        # rewrites a page whose file is missing, without reading it again).
        for docname in app.env.all_docs:
            Path(app.builder.get_outfilename(docname)).unlink(missing_ok=True)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(state)
    if not pdf.is_file():
        logger.info(f"book_pdf: no {pdf.name} (run `make pdf`); no PDF link")
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copy2(pdf, static / pdf.name)
    app.env.book_pdf = pdf.name
    logger.info(f"book_pdf: {pdf} offered as _static/{pdf.name}")


def _add_download_link(app, pagename, templatename, context, doctree) -> None:
    name = getattr(app.env, "book_pdf", None)
    if not name:
        return
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].append(
                {
                    "type": "link",
                    "url": context["pathto"](f"_static/{name}", 1),
                    "text": LINK_TEXT,
                    "tooltip": "Download the whole book as one PDF",
                    "icon": "fas fa-book",
                    "label": "download-book-pdf-button",
                }
            )


class SvgToPdf(ImageConverter):
    """SVG to PDF, for builders that cannot include SVG (LaTeX), with librsvg."""

    conversion_rules = [("image/svg+xml", "application/pdf")]
    # Before sphinx.ext.imgconverter (priority 10), which would use ImageMagick.
    default_priority = 9

    def is_available(self) -> bool:
        return shutil.which("rsvg-convert") is not None

    def convert(self, _from: str, _to: str) -> bool:
        command = ["rsvg-convert", "--format=pdf", "--output", _to, _from]
        subprocess.run(command, check=True)
        return True


class ProofsAsText(SphinxPostTransform):
    """LaTeX: a proof as plain paragraphs led by an italic "Proof.", as in print.

    sphinx-proof writes a proof as an admonition without a title, which LaTeX
    shows as a box under an empty title bar.
    """

    builders = ("latex",)
    default_priority = 400

    def run(self, **kwargs) -> None:
        lead = "Proof. "
        for box in list(self.document.findall(nodes.admonition)):
            if "proof" not in box["classes"] or box.next_node(nodes.title):
                continue
            first = box.next_node(nodes.paragraph)
            if (
                first is not None
                and first.children
                and isinstance(first[0], nodes.Text)
                and first[0].startswith(lead)
            ):
                rest = nodes.Text(first[0].astext()[len(lead) :])
                first.replace(first[0], rest)
                first.insert(0, nodes.emphasis(text=lead.strip()))
                first.insert(1, nodes.Text(" "))
            box.replace_self(box.children)


class OneBibliography(SphinxPostTransform):
    """LaTeX: drop the page that holds the bibliography directive.

    Sphinx's LaTeX writer gathers every citation into one "Bibliography"
    chapter at the end of the book (sphinx.builders.latex.transforms,
    priority 750), which left bibliography.md as a chapter with one sentence.
    """

    builders = ("latex",)
    default_priority = 760

    def run(self, **kwargs) -> None:
        docnames = {key.docname for key in self.env.get_domain("cite").bibliographies}
        for start in list(self.document.findall(addnodes.start_of_file)):
            if start["docname"] in docnames:
                start.parent.remove(start)


def setup(app):
    app.connect("builder-inited", _copy_pdf)
    # After sphinx-book-theme has built the download menu (priority 501).
    app.connect("html-page-context", _add_download_link, priority=502)
    app.add_post_transform(SvgToPdf)
    app.add_post_transform(ProofsAsText)
    app.add_post_transform(OneBibliography)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
