# Campus — the everyday verbs. `make run` and `make test` are all the set-up there is.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LIBS   := $(patsubst %/pyproject.toml,%,$(wildcard libs/*/pyproject.toml))
SERVICES := $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml))
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install run test soak lint bench schemas lock clean

EDITABLE := $(foreach p,$(LIBS) $(SERVICES),-e $(p))

$(STAMP): constraints.txt requirements-dev.txt $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(BIN)/python -m pip install -q --no-build-isolation -c constraints.txt $(EDITABLE) -r requirements-dev.txt
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
	$(BIN)/mypy libs/events/src libs/service/src libs/devstack/src libs/cli/src $(wildcard services/*/src)

bench: install
	$(BIN)/python bench/run_all.py

# The newest versions the ranges allow, resolved in a scratch environment, written to constraints.txt
# (then run `make test`, and commit the file with what it changed).
lock:
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(None if v == (3, 11) else f"make lock resolves for Python 3.11, the version of the images (this is {v[0]}.{v[1]}): make lock PYTHON=python3.11")'
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install -q --upgrade pip setuptools wheel
	.venv-lock/bin/python -m pip install -q --no-build-isolation $(EDITABLE) -r requirements-dev.txt
	{ sed -n '/^#/p' constraints.txt; .venv-lock/bin/python -m pip freeze --exclude-editable --exclude pip --exclude setuptools --exclude wheel; } > constraints.txt.new
	mv constraints.txt.new constraints.txt && rm -rf .venv-lock

schemas: install
	$(BIN)/python -m campus_events.schemas docs/schemas
	$(BIN)/python -m campus_events.asyncapi docs/asyncapi.yaml

clean:
	rm -rf $(VENV) .campus
