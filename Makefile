# Two entry points: `make demo` and `make test`. Each builds its own .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP_DEMO := $(VENV)/.installed-demo
STAMP_DEV  := $(VENV)/.installed-dev
PYTEST_ARGS ?=

# `make test` tests every Python version the package claims (pyproject's classifiers). On the
# main one, $(PYTHON) in .venv: lint, type checks, docs, the coverage gate and the whole suite
# with the hypothesis profile CI selects (`ci`, 200 examples a property). On each other one
# (scripts/test-pythons: its own .venv-3.X, found as python3.X, under pyenv or in PYTHONS) the
# whole suite too, PostgreSQL and slow tests included, with the `quick` profile (10 examples a
# property: there the point is that every test runs on that Python). The two runs go side by
# side, one per core. A claimed Python that is not installed is skipped with a notice, or fails
# `make test` under CI.
CLAIMED_PYTHONS := $(shell sed -n 's/^ *"Programming Language :: Python :: \(3\.[0-9]*\)",$$/\1/p' pyproject.toml)
MAIN_PYTHON := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
OTHER_PYTHONS ?= $(filter-out $(MAIN_PYTHON),$(CLAIMED_PYTHONS))
OTHER_HYPOTHESIS_PROFILE ?= quick

.PHONY: demo test lint typecheck docs pytest pythons print-other-pythons bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_DEMO): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(STAMP_DEMO)

demo: $(STAMP_DEMO)
	$(BIN)/python examples/quickstart.py
	cd $$(mktemp -d) && $(CURDIR)/$(BIN)/iso10002 demo --complaints 200 && \
		$(CURDIR)/$(BIN)/iso10002 export - --format csv --columns reference,state,breached | head -5

lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests examples benchmarks docs
	$(BIN)/ruff format --check src tests examples benchmarks docs

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

docs: $(STAMP_DEV)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

# coverage starts before pytest loads its plugins (the hypothesis entry point imports the
# package), so module-level code is measured too.
pytest: $(STAMP_DEV)
	mkdir -p .reports
	$(BIN)/python -m coverage erase
	$(BIN)/python -m coverage run -m pytest --durations=15 \
		--junitxml=.reports/junit.xml $(PYTEST_ARGS)
	$(BIN)/python -m coverage report --fail-under=90

pythons:
	HYPOTHESIS_PROFILE=$(OTHER_HYPOTHESIS_PROFILE) PYTEST_ARGS="$(PYTEST_ARGS)" \
		scripts/test-pythons $(OTHER_PYTHONS)

print-other-pythons:
	@echo $(OTHER_PYTHONS)

# The main Python's run (coverage, CI profile) and the other Pythons' runs go side by side, one
# per core; each one's output is shown when it is done.
test: lint typecheck docs
	$(MAKE) --no-print-directory -j2 --output-sync=target pytest pythons

bench: $(STAMP_DEV)
	for f in benchmarks/*_bench.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .venv-3.* .reports docs/_build .mypy_cache .pytest_cache .ruff_cache .coverage
