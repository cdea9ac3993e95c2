# The two commands a newcomer needs:
#   make up    set up, then run the whole stack on this machine
#   make test  set up, then run the linters, the type checker and every test
# For the inner loop, `make test-fast` runs ruff and the tests not marked `slow` (no servers,
# processes or browsers), on two cores (pytest-xdist).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: up test test-fast compose compiled

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# the gateway's hot path compiled with mypyc, in place (docs/architecture.md)
COMPILED_SOURCES := $(shell tools/compile-gateway --list)
.wnwa/compiled: $(BIN)/.installed tools/compile-gateway $(COMPILED_SOURCES)
	tools/compile-gateway $(BIN)/mypyc
	mkdir -p .wnwa && touch $@

compiled: .wnwa/compiled

up: $(BIN)/.installed .wnwa/compiled
	$(BIN)/wnwa up

test: $(BIN)/.installed .wnwa/compiled
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

test-fast: $(BIN)/.installed .wnwa/compiled
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -m "not slow" -q -n 2

compose: $(BIN)/.installed
	$(BIN)/wnwa compose
