# The two commands of the README:
#   make demo   run the product on its embedded default (SQLite, no servers) with demo data
#   make test   run the whole test suite (PostgreSQL and Redis when DATABASE_URL / TEST_REDIS_URL say so)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint format venv venv-dev clean mutation

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

demo: venv
	$(PY) manage.py demo --host $(HOST) --port $(PORT)

test: venv-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

format: venv-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Mutation testing of the money, scope and identity rules (pyproject.toml [tool.mutmut]); not in CI:
# it takes the better part of an hour. Needs DATABASE_URL on PostgreSQL. Results: docs/security.md.
# The rule-holding functions of the modules in pyproject.toml [tool.mutmut] (mutant-name globs):
# everything in the policy (who may request, decide, cancel, retry, settle; tiers and limits),
# refund transition, order-guard and permission modules; in refunds/services.py the amount and
# still-pending checks; in casework/services the contact-change rules and the order upsert's
# amount-paid rules. Needs DATABASE_URL on PostgreSQL.
MUTATION_TARGETS = \
	'refunds.policy.*' 'refunds.transitions.*' 'refunds.order_guard.*' 'cases.permissions.*' \
	'refunds.services.x__clean_amount__*' 'refunds.services.x__pending__*' \
	'casework.services.contacts.x_hold_contact_change__*' 'casework.services.contacts.x_stale_fields__*' \
	'casework.services.orders.x_owned_by__*' \
	'casework.services.orders.x__amount_locked__*' 'casework.services.orders.x__apply__*' \
	'casework.services.orders.x__bulk_upsert__*'

mutation: venv-dev
	rm -rf mutants; mkdir -p var
	$(VENV)/bin/mutmut run --max-children 2 $(MUTATION_TARGETS) > var/mutmut.log 2>&1 || true
	tr '\r' '\n' < var/mutmut.log | grep -E '[0-9]+/[0-9]+ +🎉' | tail -1
	$(VENV)/bin/mutmut results | grep -v ': not checked$$' || true

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* var staticfiles mutants
