# The two commands a fresh machine needs (see README.md):
#   make run    opens the app on the bundled guide, in a new demo session under sessions/
#   make test   runs every check: lint, types, import contracts, unit, Pilot, snapshot,
#               crash and tmux tests
# Each installs what it needs first: system packages (scripts/ensure-system.sh) and
# the Python environment in .venv.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GUIDE ?= guides/seed-en.toml
SESSIONS ?= sessions

.PHONY: run test lint bench env system-run system-test node-test clean-env

$(STAMP): pyproject.toml
	@scripts/ensure-python.sh "$(PYTHON)" "$(VENV)"
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,transcribe]'
	@touch $(STAMP)

env: $(STAMP)

system-run:
	@scripts/ensure-system.sh run

system-test:
	@scripts/ensure-system.sh test

node-test: system-test
	@scripts/ensure-node.sh

run: system-run $(STAMP)
	@id=$$($(BIN)/facilitator --sessions "$(SESSIONS)" new "$(GUIDE)" --title "Demo session" \
		--participant "P1:Informant 1:Housing office" \
		--participant "P2:Informant 2:Property office" \
		--participant "P3:Informant 3:NAV" \
		--participant "P4:Informant 4:Volunteer centre" \
		--participant "P5:Informant 5:State housing bank") && \
	echo "Demo session $$id in $(SESSIONS)/ (resume it with: $(BIN)/facilitator run $$id)" && \
	$(BIN)/facilitator --sessions "$(SESSIONS)" run "$$id"

lint: $(STAMP)
	$(BIN)/ruff check facilitator tests bench scripts
	$(BIN)/ruff format --check facilitator tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

test: system-test node-test $(STAMP) lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

# make bench STRICT=1: exit non-zero when a goal is missed (not part of make test: timing
# goals stay out of the tests)
bench: system-test $(STAMP)
	$(BIN)/python bench/run_all.py $(if $(STRICT),--strict)

clean-env:
	rm -rf $(VENV)
