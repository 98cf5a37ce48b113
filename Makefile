# Dossier's developer commands; the README's commands are these targets.
# Needs only python3 (3.11) with pip and venv; `make lock` brings uv into the venv itself.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamp that says the venv holds exactly what requirements.lock and pyproject.toml ask for.
INSTALLED := $(VENV)/.installed
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k erasure"`.
PYTEST_ARGS ?=
# `make lock UPGRADE=1` moves every pin to the newest release the ranges allow;
# without it, uv keeps the pins already in requirements.lock where they still fit.
UPGRADE ?=

.PHONY: help venv run test lint bench lock vendor clean

help: ## list the targets
	@echo "Dossier: make <target>"
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  %-8s %s\n", $$1, $$2}'

venv: $(INSTALLED) ## create .venv from requirements.lock (hash-checked) plus the project, editable

$(INSTALLED): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --require-hashes -r requirements.lock
	$(BIN)/pip install --no-deps -e .
	touch $@

run: venv ## demo data (first time), fresh demo tokens, then serve on SQLite under ./var/
	$(BIN)/dossier demo --if-empty
	$(BIN)/dossier projections catch-up
	$(BIN)/dossier users demo
	@echo
	@echo "Dossier: sign in at http://$${DOSSIER_HOST:-127.0.0.1}:$${DOSSIER_PORT:-8000}/ with a user and password above;"
	@echo "API docs at http://$${DOSSIER_HOST:-127.0.0.1}:$${DOSSIER_PORT:-8000}/docs (authorize with a token above)."
	@echo "(Ctrl-C stops the service.)"
	$(BIN)/dossier serve

test: venv ## run the test suite on 2 workers (needs PostgreSQL; see DOSSIER_TEST_POSTGRES_URL)
	$(BIN)/pytest -n 2 -q $(PYTEST_ARGS)

# Every check runs even when an earlier one fails, so one run shows all of them.
lint: venv ## ruff check, ruff format --check, mypy, import-linter contracts
	@failed=(); \
	for check in "ruff check ." "ruff format --check ." "mypy" "lint-imports"; do \
		echo "--- $$check"; \
		$(BIN)/$$check || failed+=("$$check"); \
	done; \
	if (( $${#failed[@]} )); then \
		printf 'lint failed: %s\n' "$${failed[@]}"; exit 1; \
	fi

# Files whose name starts with an underscore are helpers, not benchmarks.
# `make bench QUICK=1` runs them on a 20,000-case corpus instead of one million.
QUICK ?=
bench: venv ## every bench/*.py: the plan and its duration first, progress, then the summary
	$(BIN)/python bench/_run.py $(if $(QUICK),--quick)

lock: ## regenerate requirements.lock (runtime + dev, Python 3.11, Linux x86_64, with hashes)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/pip install uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes \
		--python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
		$(if $(UPGRADE),--upgrade) -o requirements.lock
	@# uv rewrites its own header; ours goes first so it survives every regeneration.
	{ echo '# Regenerate with `make lock` (`make lock UPGRADE=1` to raise pins); do not edit by hand.'; \
	  grep -v '^# Regenerate with `make lock`' requirements.lock; } > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock

# The pins are the table in the script; it needs only python3, not the venv or Node.js.
vendor: ## refresh the pinned CSS/JS (web/static/vendor/, tests/support/vendor/) from npm
	$(PYTHON) scripts/vendor_assets.py

messages: venv ## bring the English catalogue in step with the pages' texts; lists what needs translating
	$(BIN)/python scripts/messages.py

clean: ## remove .venv and var/
	rm -rf $(VENV) var
