# Two commands set up a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint setup system-deps clean

demo: setup
	$(BIN)/engagiert render --signatories signatories.csv --round round.toml --out out

test: setup
	@bash scripts/test-deps.sh
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/run.py

lint: setup
	$(BIN)/ruff check pipeline tests bench

setup: $(STAMP)

# Re-install when the project's dependencies change; system libraries are checked each time (cheap).
$(STAMP): pyproject.toml
	@bash scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

clean:
	rm -rf out .pytest_cache
