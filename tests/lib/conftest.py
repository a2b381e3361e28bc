"""Setup for the library's tests, which import only elu_lib's runtime dependencies.

Nothing from the book's stack (nbformat, PyYAML, Jupyter Book...) may be
imported here or in any test beside this file: `make test-lib` runs them in an
environment without it.
"""

from __future__ import annotations

import matplotlib

# Figures are drawn off screen, identically with or without a display.
matplotlib.use("Agg")
