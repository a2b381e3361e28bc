# The two commands a newcomer needs: `make book` and `make test`.
# Every target first installs into .venv what it needs, and only that.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# Re-install when the dependency list changes.
DEPS   := pyproject.toml

CHAPTERS := $(sort $(wildcard chapters/*.ipynb))
# Pytest running every notebook in strict nbval mode, in the project's env.
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/book/nbval_sanitize.cfg
# -W: warnings are errors; -n: nitpicky (broken references fail);
# --keep-going: report every warning, not only the first.
JB_BUILD := $(BIN)/jupyter-book build . --builder html -W -n --keep-going
# ruff on the code and the notebooks (make lint, and make test first).
define LINT
$(BIN)/ruff check .
$(BIN)/ruff format --check .
endef

.PHONY: help venv book test test-lib lint format lab execute bench clean assignments pdf verify public test-frameworks

help:
	@echo "make book     build the HTML book into _build/html"
	@echo "make test     run every test: library, notebooks (nbval), the built book"
	@echo "make test-lib run the library's tests only, without the book's dependencies"
	@echo "make lint     ruff check + ruff format --check on code and notebooks"
	@echo "make format   apply ruff's fixes and formatting"
	@echo "make lab      open JupyterLab on the chapters"
	@echo "make execute  re-execute every chapter in place (after changing elu_lib or a chapter)"
	@echo "make bench    time elu_lib against the alternatives"
	@echo "make assignments  student notebooks + autograders into _build/assignments (otter)"
	@echo "make pdf      build the whole book as one PDF, _build/latex/elu-book.pdf (needs TeX Live)"
	@echo "make verify   every float32/float16 input of the ELU family against the exact value (~5 min)"
	@echo "make test-frameworks  install PyTorch and JAX (CPU, ~1.2 GB) and check records/frameworks.json"
	@echo "make public DEST=dir  the tree to publish: every committed file but private/ (no history)"
	@echo "make clean    remove _build and caches (keeps .venv)"

# One stamp per extra of pyproject.toml (.venv/.installed-book, -test, -lab,
# -test-lib, -lint; -runtime: the library alone). A target installs its extra
# into the one .venv, next to what is there: `make book` then `make test` adds
# the test tools to the book's environment. Re-installing an extra that is
# already in place (e.g. `make book` after `make test`) takes seconds.
define INSTALL
test -x $(PY) || { $(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet --upgrade pip "setuptools>=77"; }
$(PY) -m pip install --quiet -e "$(1)"
touch $@
endef

$(VENV)/.installed-runtime: $(DEPS)
	$(call INSTALL,.)

$(VENV)/.installed-%: $(DEPS)
	$(call INSTALL,.[$*])

# The environment for working on the project: everything `make test` needs.
venv: $(VENV)/.installed-test

# The Jupyter cache gets each committed chapter as committed and executes the
# changed ones, two at a time; the build then reuses it (tools/book.py says why).
book: $(VENV)/.installed-book
	$(PY) tools/book.py execute
	$(JB_BUILD)
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

# The test build renders the committed outputs (tools/book.py says why) into
# _build/test; strict nbval in the same pytest run re-executes every chapter.
# Lint is part of the recipe, not a prerequisite, so that one pip install
# (the test extra, which includes ruff) prepares the whole run.
test: $(VENV)/.installed-test
	$(LINT)
	$(JB_BUILD) --config $$($(PY) tools/book.py test-config) --path-output _build/test
	ELU_BOOK_HTML=_build/test/_build/html \
	    $(BIN)/pytest -n 2 --dist loadscope -p no:cacheprovider elu_lib tests $(NBVAL) chapters

# The library and its doctests, in an environment with only the runtime
# dependencies, pytest, pytest-xdist and hypothesis.
test-lib: $(VENV)/.installed-test-lib
	$(BIN)/pytest -n 2 -p no:cacheprovider elu_lib tests/lib

lint: $(VENV)/.installed-lint
	$(LINT)

format: $(VENV)/.installed-lint
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lab: $(VENV)/.installed-lab
	$(BIN)/jupyter lab chapters

# Execute in place, so the committed outputs are what the code produces now;
# the cell timeout is _config.yml's (tools/book.py).
execute: $(VENV)/.installed-book
	$(PY) tools/book.py execute-inplace $(NB)

# otter assign turns each graded master into _build/assignments/<name>/student/
# (to hand out) and .../autograder/ (the zip to grade with; see README), after
# checking that its solutions pass every test; assignments/package.py then puts
# elu_lib into the zip's (Gradescope) environment and prints the solutions to
# PDF, and the student notebook is copied to assignments/, where the
# repository publishes it. The masters hold the
# solutions, so they are private: MASTERS is the folder that holds them (README,
# "For instructors"). `make -j3 assignments` builds the three at once.
MASTERS ?= private/assignments
ASSIGNMENTS := $(patsubst $(MASTERS)/%.ipynb,_build/assignments/%/.built,\
                 $(sort $(wildcard $(MASTERS)/*.ipynb)))

assignments: $(VENV)/.installed-test $(ASSIGNMENTS)
	@test -n "$(ASSIGNMENTS)" || { echo "No masters in $(MASTERS) (README, For instructors)"; exit 1; }
	@echo "Student notebooks and autograders are in $(CURDIR)/_build/assignments"

_build/assignments/%/.built: $(MASTERS)/%.ipynb $(wildcard elu_lib/*.py) $(VENV)/.installed-test
	rm -rf $(@D)
	$(BIN)/otter assign $< $(@D)
	$(PY) assignments/package.py $(@D)
	cp $(@D)/student/$*.ipynb assignments/$*.ipynb
	touch $@

# The whole book as one PDF, from the outputs committed in the notebooks (as
# make test's HTML), with XeLaTeX; the last line printed is the PDF's path.
# TeX Live is not a pip package: README.md, "The PDF", says what to install.
pdf: $(VENV)/.installed-book
	$(PY) tools/book.py pdf

# The repository to publish (README, Publishing): the committed tree without
# private/, which holds the assignments' masters, and without history.
public:
	@test -n "$(DEST)" || { echo "usage: make public DEST=<empty folder>"; exit 2; }
	mkdir -p "$(DEST)"
	git archive --format=tar HEAD -- . ':(exclude)private' | tar -x -C "$(DEST)"
	@echo "The public tree is in $(DEST)"

# Every float32 and float16 input of elu, celu, selu and their derivatives
# (alpha = 1 and 1.5) against the exact value, on 2 processes (about 5 min on
# 2 cores). Fails if a result is not faithfully rounded or a count differs
# from records/exhaustive.json (rewrite it with
# `$(PY) tools/verify_exhaustive.py --write`, and commit it).
verify: $(VENV)/.installed-runtime
	$(PY) tools/verify_exhaustive.py --processes 2

# PyTorch and JAX (CPU) next to the rest of .venv (they change no version
# installed there), then tests/frameworks: tools/record_frameworks.py runs
# again and must reproduce records/frameworks.json bit for bit (~15 s).
# Chapter 11 reads that record, so the book never needs the frameworks. For
# the CPU build of torch: `make test-frameworks
# PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu`. After a
# deliberate change, `$(PY) tools/record_frameworks.py --write`, re-execute
# chapter 11 and commit both.
test-frameworks: $(VENV)/.installed-frameworks
	ELU_RUN_FRAMEWORKS=1 $(BIN)/pytest -p no:cacheprovider tests/frameworks

bench: $(VENV)/.installed-runtime
	$(PY) benchmarks/bench_elu.py

clean:
	rm -rf _build .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
