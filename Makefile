# Two commands for a fresh machine: `make run` (app + demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install install-dev chromium bench bench-quick lint clean

run: install chromium
	$(BIN)/leadreel init
	$(BIN)/leadreel demo --port $(PORT)
	$(BIN)/leadreel run --host $(HOST) --port $(PORT)

test: install-dev chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "LeadReel needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian's Chromium drives screenshots and the browser tests (Playwright cannot download its own here);
# espeak-ng speaks the demo presenter's line (without it the demo clips get a tone).
chromium:
	@if [ -x /usr/bin/chromium ] && command -v espeak-ng >/dev/null; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing Debian's chromium and espeak-ng (about a minute)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core espeak-ng >/dev/null; \
	elif [ -x /usr/bin/chromium ]; then \
		echo "espeak-ng is missing (sudo apt-get install espeak-ng): the demo presenter gets a tone instead of a voice."; \
	else \
		echo "Chromium is missing. Install it with: sudo apt-get install chromium fonts-dejavu-core espeak-ng"; exit 1; \
	fi

bench: install-dev chromium
	$(BIN)/python bench/tasks.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/render.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/overview.py

bench-quick: install-dev chromium
	$(BIN)/python bench/tasks.py --quick
	$(BIN)/python bench/import.py --quick
	$(BIN)/python bench/render.py --quick
	$(BIN)/python bench/export.py --quick
	$(BIN)/python bench/overview.py --quick

lint: install-dev
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
