# The commands a new user needs: `make run` (the service on this machine), `make test`;
# `make dev` runs the Google Cloud functions on their emulators.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup run dev test lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# What `make run` needs: the package and its server, without the test tools (a shorter
# first install).
$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[serve]'
	touch $@

# Only Python 3.11+ and make: SQLite and files under .deckpipe/data, the page at the printed URL.
# PORT, WORKERS and DECKPIPE_DATA_DIR change the defaults (8080, the number of CPUs).
run: $(VENV)/.installed-run
	$(BIN)/deckpipe serve --port $(or $(PORT),8080) $(if $(WORKERS),--workers $(WORKERS))

dev: setup
	$(BIN)/deckpipe dev

lint: setup
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .deckpipe *.egg-info .pytest_cache
