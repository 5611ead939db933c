# Two commands set up a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint setup system-deps clean i18n catalogue

demo: setup
	$(BIN)/engagiert render --signatories signatories.csv --round round.toml --out out

test: setup
	@bash scripts/test-deps.sh
	$(BIN)/python -m pytest -q

# The performance table and the recognition benchmark (issue 12) as its own section: bench/RESULTS.md.
bench: setup
	$(BIN)/python bench/run.py

lint: setup
	$(BIN)/ruff check pipeline tests bench

setup: $(STAMP) catalogue

# The German catalogue the program reads (.mo), compiled from the .po kept in git, whenever it changed.
CATALOGUE := pipeline/locale/de/LC_MESSAGES/engagiert
catalogue: $(CATALOGUE).mo
$(CATALOGUE).mo: $(CATALOGUE).po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -D engagiert -d pipeline/locale -l de

# After changing texts in the code: extract them into the template and update the German catalogue.
i18n: $(STAMP)
	PYTHONPATH=scripts $(BIN)/pybabel extract -F babel.cfg -o pipeline/locale/engagiert.pot --no-location --sort-output \
		--project engagiert pipeline
	$(BIN)/pybabel update -D engagiert -i pipeline/locale/engagiert.pot -d pipeline/locale -l de --no-fuzzy-matching --ignore-obsolete

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
