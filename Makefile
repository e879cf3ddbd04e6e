# Campus — the everyday verbs. `make run` and `make test` are all the set-up there is.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LIBS   := $(patsubst %/pyproject.toml,%,$(wildcard libs/*/pyproject.toml))
SERVICES := $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml))
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install run test soak lint bench schemas clean

$(STAMP): requirements-dev.txt $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(BIN)/python -m pip install -q --no-build-isolation $(foreach p,$(LIBS) $(SERVICES),-e $(p)) -r requirements-dev.txt
	@touch $@

install: $(STAMP)

run: install
	$(BIN)/campus dev

test: install
	$(BIN)/python -m pytest -m "not soak" $(PYTEST_ARGS)

soak: install
	CAMPUS_SOAK=1 $(BIN)/python -m pytest -m soak $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy libs/events/src libs/service/src libs/devstack/src libs/cli/src

bench: install
	$(BIN)/python bench/run_all.py

schemas: install
	$(BIN)/python -m campus_events.schemas docs/schemas
	$(BIN)/python -m campus_events.asyncapi docs/asyncapi.yaml

clean:
	rm -rf $(VENV) .campus
