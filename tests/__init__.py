"""The test suite: lib/ (elu_lib alone), book/ (notebooks, HTML, browser), assignments/.

Each folder is a package, so test modules import shared helpers by name
(``tests.book._paths``) rather than from a conftest.
"""
