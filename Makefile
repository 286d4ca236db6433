# epiplan — every target works on a fresh clone: the virtualenv is created from the lock file when missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test lint typecheck pytest run plan sample bench clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q

pytest: $(STAMP)
	$(BIN)/pytest -q

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.headless true

plan: $(STAMP)
	mkdir -p out
	$(BIN)/epiplan solve --data data/sample --level prevalent --out out/plan.xlsx --out out/plan.json

sample: $(STAMP)
	$(BIN)/epiplan sample --scale city --seed 7 --out data/sample

bench: $(STAMP)
	$(BIN)/epiplan bench --scale city --out bench/results/city.json

clean:
	rm -rf $(VENV) out .mypy_cache .pytest_cache .ruff_cache
