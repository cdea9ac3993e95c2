# The two commands a newcomer needs:
#   make up    set up, then run the whole stack on this machine
#   make test  set up, then run the linters, the type checker and every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: up test compose

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

up: $(BIN)/.installed
	$(BIN)/wnwa up

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

compose: $(BIN)/.installed
	$(BIN)/wnwa compose
