# The two commands a newcomer needs: `make book` and `make test`.
# Every target installs what it needs into .venv first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
# Re-install when the dependency list changes.
DEPS   := pyproject.toml

CHAPTERS := $(sort $(wildcard chapters/*.ipynb))
# Pytest running every notebook in strict nbval mode, in the project's env.
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/book/nbval_sanitize.cfg
# -W: warnings are errors; -n: nitpicky (broken references fail);
# --keep-going: report every warning, not only the first.
JB_BUILD := $(BIN)/jupyter-book build . --builder html -W -n --keep-going

.PHONY: help venv book test lint format lab execute bench clean assignments

help:
	@echo "make book     build the HTML book into _build/html"
	@echo "make test     run every test: library, notebooks (nbval), the built book"
	@echo "make lint     ruff check + ruff format --check on code and notebooks"
	@echo "make format   apply ruff's fixes and formatting"
	@echo "make lab      open JupyterLab on the chapters"
	@echo "make execute  re-execute every chapter in place (after changing elu_lib or a chapter)"
	@echo "make bench    time elu_lib against the alternatives"
	@echo "make assignments  student notebooks + autograders into _build/assignments (otter)"
	@echo "make clean    remove _build and caches (keeps .venv)"

venv: $(STAMP)

$(STAMP): $(DEPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,lab]"
	touch $(STAMP)

# Chapters run two at a time into the Jupyter cache, then the build reuses it.
book: $(STAMP)
	$(PY) tools/book.py execute
	$(JB_BUILD)
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

# The test build renders the committed outputs (tools/book.py says why) into
# _build/test; strict nbval in the same pytest run re-executes every chapter.
test: $(STAMP) lint
	$(JB_BUILD) --config $$($(PY) tools/book.py test-config) --path-output _build/test
	ELU_BOOK_HTML=_build/test/_build/html \
	    $(BIN)/pytest -n 2 --dist loadscope -p no:cacheprovider elu_lib tests $(NBVAL) chapters

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lab: $(STAMP)
	$(BIN)/jupyter lab chapters

# Execute in place, so the committed outputs are what the code produces now.
execute: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=120 --ExecutePreprocessor.kernel_name=python3 \
	    --ExecutePreprocessor.record_timing=False \
	    $(if $(NB),$(NB),$(CHAPTERS))

# otter assign turns each graded master into _build/assignments/<name>/student/
# (to hand out) and .../autograder/ (the zip to grade with; see README), after
# checking that its solutions pass every test. `make -j3 assignments` builds the
# three at once.
ASSIGNMENTS := $(patsubst assignments/%.ipynb,_build/assignments/%/.built,\
                 $(sort $(wildcard assignments/*.ipynb)))

assignments: $(STAMP) $(ASSIGNMENTS)
	@echo "Student notebooks and autograders are in $(CURDIR)/_build/assignments"

_build/assignments/%/.built: assignments/%.ipynb $(wildcard elu_lib/*.py) $(STAMP)
	rm -rf $(@D)
	$(BIN)/otter assign $< $(@D)
	touch $@

bench: $(STAMP)
	$(PY) benchmarks/bench_elu.py

clean:
	rm -rf _build .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
