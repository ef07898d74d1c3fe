# The two commands: `make run` (portal: web + worker + beat) and `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: install run test lint messages check-translations bench clean-embedded

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[embedded,dev]'
	touch $@

install: $(VENV)/.installed

run: install
	DEBUG=$${DEBUG:-true} DEMO_DATA=$${DEMO_DATA:-true} $(PY) scripts/run_portal.py

# Browser journeys drive Debian's Chromium; install it when missing and we may (root on Debian).
chromium:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); } || \
	  echo "warning: /usr/bin/chromium missing; browser tests will fail"

lint: install
	$(PY) -m ruff check .

check-translations: install
	$(PY) scripts/check_translations.py

test: install chromium
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/check_translations.py
	$(PY) -m pytest $(PYTEST_ARGS)

# Regenerate the catalogues after changing UI strings, then fill the new msgstr entries.
messages: install
	$(PY) scripts/check_translations.py --update

bench: install
	$(PY) benchmarks/run_all.py
