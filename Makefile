# The two commands a new user needs: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# `make manage` prints only the command's output, also when make runs inside make (`make test`).
MAKEFLAGS += --no-print-directory

.PHONY: run test faults cluster lint format manage migrate bench check-deploy clean help

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime-installed

run: $(VENV)/.runtime-installed  ## Web + worker + beat on SQLite and an embedded broker
	DJANGO_DEBUG=1 $(PY) scripts/run_all.py

test: $(VENV)/.dev-installed  ## The whole suite on PostgreSQL and Redis (throw-away ones if unset)
	$(PY) -m pytest $(PYTEST_ARGS)

.PHONY: test-rabbitmq
test-rabbitmq: $(VENV)/.dev-installed  ## The whole suite with RabbitMQ as the broker (the machine's :5672 in a vhost of its own, else a throw-away node)
	$(PY) scripts/test_rabbitmq.py $(PYTEST_ARGS)

BROKER ?= redis
faults: $(VENV)/.dev-installed  ## Fault suite: real processes, throw-away servers, faults injected (BROKER=redis|rabbitmq)
	BROKER=$(BROKER) $(PY) faults/run.py

cluster: $(VENV)/.dev-installed  ## Multi-host fault suite: network namespaces, hosts killed and cut off (root; Redis and RabbitMQ)
	$(PY) faults/cluster.py

lint: $(VENV)/.dev-installed  ## ruff lint and format check, module size, import layers, mypy type check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) scripts/check_module_size.py
	$(VENV)/bin/lint-imports --no-cache
	@# The django-stubs plugin loads the settings: development mode, state in a throw-away var/.
	var_dir=$$(mktemp -d) && trap 'rm -rf "$$var_dir"' EXIT && \
	  DJANGO_DEBUG=1 VENDHUB_VAR_DIR="$$var_dir" $(VENV)/bin/mypy

format: $(VENV)/.dev-installed  ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

manage: $(VENV)/.runtime-installed  ## A manage.py command with make run's settings: make manage ARGS="create_api_key my-script"
	@DJANGO_DEBUG=1 $(PY) manage.py $(ARGS)

migrate: $(VENV)/.runtime-installed  ## Apply migrations to DATABASE_URL (default var/ SQLite)
	DJANGO_DEBUG=1 $(PY) manage.py migrate

bench: $(VENV)/.dev-installed  ## Ingest, processing, sync and lists against bare baselines (benchmarks/results/latest.json)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || \
	  { echo "make bench needs wrk (Debian: apt-get install -y wrk)"; exit 1; }
	$(PY) benchmarks/campaign.py $(BENCH_ARGS)

clean:  ## Remove the virtualenv and local state (var/)
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .mypy_cache
