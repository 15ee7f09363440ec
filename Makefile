# Two entry points: `make demo` and `make test`. Each builds its own .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP_DEMO := $(VENV)/.installed-demo
STAMP_DEV  := $(VENV)/.installed-dev
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck docs pytest bench clean

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

lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests examples benchmarks docs
	$(BIN)/ruff format --check src tests examples benchmarks docs

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

docs: $(STAMP_DEV)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

pytest: $(STAMP_DEV)
	mkdir -p .reports
	$(BIN)/python -m pytest --cov --cov-report=term --cov-fail-under=90 --durations=15 \
		--junitxml=.reports/junit.xml $(PYTEST_ARGS)

test: lint typecheck docs pytest

bench: $(STAMP_DEV)
	for f in benchmarks/*_bench.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .reports docs/_build .mypy_cache .pytest_cache .ruff_cache .coverage
