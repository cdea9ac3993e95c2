# The two commands a newcomer needs:
#   make up    set up, then run the whole stack on this machine
#   make test  set up, then run the linters, the type checker and every test
# For the inner loop, `make test-fast` runs ruff and the tests not marked `slow` (no servers,
# processes or browsers), on two cores (pytest-xdist).
# All three run the gateway as plain Python: they need only Python and make. `make compiled`
# (a C compiler and Python's headers) opts in to the gateway's compiled hot path; a module
# edited after it was compiled runs as Python again, with a warning (docs/architecture.md,
# "Fast paths").
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: up test test-fast compose compiled

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# opt-in: the gateway's hot path compiled with mypyc (the dev extra's pinned version, the
# project's mypy config), in place; delete gateway/*.so to run it as Python again
COMPILED_SOURCES := $(shell tools/compile-gateway --list)
.wnwa/compiled: $(BIN)/.installed tools/compile-gateway $(COMPILED_SOURCES)
	tools/compile-gateway $(BIN)/mypyc
	mkdir -p .wnwa && touch $@

compiled: .wnwa/compiled

up: $(BIN)/.installed
	$(BIN)/wnwa up

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

test-fast: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -m "not slow" -q -n 2

compose: $(BIN)/.installed
	$(BIN)/wnwa compose
