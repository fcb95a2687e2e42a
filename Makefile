# Lumi backend. A fresh machine needs only python3 and make: the first target bootstraps uv.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(shell command -v $(PYTHON))

.PHONY: install run run-services faults fuzz test test-fast bench schemas k8s-render lint clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml shared/pyproject.toml services/*/pyproject.toml embedded/pyproject.toml
	$(UV) sync --locked --all-packages
	@touch $@

install: $(VENV)/.installed  ## create .venv with every service, shared and the test tools

run: install  ## the whole system in one process on http://localhost:$(PORT)
	PORT=$(PORT) $(BIN)/python -m lumi_embedded

run-services: install  ## six services as separate processes on RabbitMQ + a database server (README "Runtime modes")
	PORT=$(PORT) $(BIN)/python -m lumi_embedded.run_services

faults: install  ## fault suite on its own RabbitMQ node + SecantusDB (not in `make test`); FAULTS_ARGS="--only db-kill9 --tasks 20"
	$(BIN)/python -m faults $(FAULTS_ARGS)

fuzz: install  ## schemathesis (all checks, fixed seed) over /api/openapi of the embedded system, anonymous and logged in; FUZZ_EXAMPLES=20
	$(BIN)/python -m fuzz

test: install lint  ## lint, then every test; the rabbit tests run when RABBITMQ_URL is set (CI sets it)
	$(BIN)/pytest

lint: install  ## ruff (pyflakes, pycodestyle, bugbear, import order)
	$(BIN)/ruff check shared services embedded bench deploy tests faults fuzz conftest.py

test-fast: install  ## unit + integration tiers only
	$(BIN)/pytest -m "not rabbit and not mongo and not e2e"

bench: install  ## performance figures (printed, not asserted)
	$(BIN)/python -m bench

schemas: install  ## rewrite the event JSON Schema snapshots after an intended additive change
	$(BIN)/python -m lumi_shared.contracts.snapshot --write

k8s-render: install  ## render deploy/k8s/overlays/local to stdout
	$(BIN)/python -m deploy.render deploy/k8s/overlays/local

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache
