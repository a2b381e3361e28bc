"""The checks behind a chapter's claims: run, counted, and summarised for the reader.

A chapter asserts every claim it makes. The asserts that *are* the argument
stay in view; the guards (shapes, tolerances, the numbers pasted into the
prose) run in folded cells. :class:`PageChecks` keeps those guards honest
and visible in summary: each check asserts at once, failing the cell (and so
the build and nbval) with its claim as the message, and is recorded, so that
the chapter can end with a "What this page checks" box that lists them.

Examples
--------
>>> import numpy as np
>>> checks = PageChecks()
>>> checks.that(np.exp(0.0) == 1.0, "e^0 = 1")
>>> checks.close([0.1 + 0.2], [0.3], "0.1 + 0.2 is 0.3 to 1e-15", rtol=1e-15)
>>> len(checks)
2
>>> checks.that(1 + 1 == 3, "1 + 1 = 3")
Traceback (most recent call last):
...
AssertionError: 1 + 1 = 3
>>> print(checks.summary()._repr_markdown_())
:::{admonition} What this page checks
:class: note
Besides the asserts shown on the page, hidden cells ran 2 checks; the book does
not build if any of them fails:
<BLANKLINE>
- e^0 = 1
- 0.1 + 0.2 is 0.3 to 1e-15 (1 value)
:::
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["PageChecks", "Summary"]


@dataclass
class Summary:
    """Markdown (MyST) that Jupyter displays as the summary box.

    Give the cell that displays it the metadata
    ``{"mystnb": {"markdown_format": "myst"}}`` so that the admonition is
    rendered, not shown as text.
    """

    text: str

    def _repr_markdown_(self) -> str:
        return self.text


@dataclass
class PageChecks:
    """Assert-and-record: one per chapter, summarised at its end."""

    claims: list[tuple[str, int | None]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.claims)

    def that(self, condition, claim: str) -> None:
        """Assert ``condition`` (every element, for an array); record ``claim``.

        Raises
        ------
        AssertionError
            With ``claim`` as its message, if any element is false.
        TypeError
            If ``claim`` is not a non-empty string.
        """
        _check_claim(claim)
        if not bool(np.all(condition)):
            raise AssertionError(claim)
        self.claims.append((claim, None))

    def close(self, actual, expected, claim: str, *, rtol: float, atol=0.0) -> None:
        """Assert ``actual`` matches ``expected`` (``np.testing.assert_allclose``
        with the tolerances given, so each check states its own); record
        ``claim`` with the number of values compared."""
        _check_claim(claim)
        actual = np.asarray(actual)
        np.testing.assert_allclose(
            actual, expected, rtol=rtol, atol=atol, err_msg=claim
        )
        self.claims.append((claim, actual.size))

    def summary(self, title: str = "What this page checks") -> Summary:
        """The box that lists every recorded check."""
        lines = [
            f":::{{admonition}} {title}",
            ":class: note",
            f"Besides the asserts shown on the page, hidden cells ran {len(self)} "
            "checks; the book does\nnot build if any of them fails:",
            "",
        ]
        for claim, n in self.claims:
            count = "" if n is None else f" ({n:,} value{'s' * (n != 1)})"
            lines.append(f"- {claim}{count}")
        lines.append(":::")
        return Summary("\n".join(lines))


def _check_claim(claim) -> None:
    if not isinstance(claim, str) or not claim.strip():
        raise TypeError(f"PageChecks: claim must be a non-empty string, got {claim!r}")
