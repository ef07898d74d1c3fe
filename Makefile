# The two commands: `make run` (portal: web + worker + beat) and `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: install run test lint messages check-translations bench stop-embedded chromium test-tools

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[embedded,dev]'
	touch $@

install: $(VENV)/.installed

# exec: the portal replaces the recipe's shell, so Ctrl-C or a signal to make's process group reaches it directly.
run: install
	DEBUG=$${DEBUG:-true} DEMO_DATA=$${DEMO_DATA:-true} exec $(PY) scripts/run_portal.py

# The embedded PostgreSQL and Redis keep running after `make run` stops (so `make test` and the next start reuse
# them); this stops them. Their data stays under var/.
stop-embedded: install
	$(PY) -m dalian_minzheng.embedded stop

# What the tests need besides Python packages: Debian's Chromium (browser journeys), gettext's msgfmt (the
# translation check) and a CJK font (Chinese text in screenshots and PDFs). Installed with apt when missing and we
# may (root on Debian).
test-tools:
	@missing=""; \
	{ command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; } || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null 2>&1 || missing="$$missing gettext"; \
	[ -d /usr/share/fonts/opentype/noto ] || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "warning: missing$$missing (apt-get install$$missing); some checks will fail"; fi; \
	fi

chromium: test-tools

lint: install
	$(PY) -m ruff check .

check-translations: install
	$(PY) scripts/check_translations.py

# Each phase prints its time ("phase NAME: Ns"), so a slow one shows in CI's log.
phase = t=$$(date +%s); $(2) && echo "phase $(1): $$(( $$(date +%s) - t ))s"
test: install test-tools
	@$(call phase,ruff,$(PY) -m ruff check .)
	@$(call phase,migrations-check,$(PY) manage.py makemigrations --check --dry-run)
	@$(call phase,translations,$(PY) scripts/check_translations.py)
	@$(call phase,pytest,$(PY) -m pytest $(PYTEST_ARGS))

# Regenerate the catalogues after changing UI strings, then fill the new msgstr entries.
messages: install
	$(PY) scripts/check_translations.py --update

# The goal benchmarks (import, raises, checks) at their default scale, then one table: figure, recorded value,
# today's value, goal, load average, commit (benchmarks/summary.py; DATABASE_URL = a benchmark database of its own,
# superuser; e.g. BENCH_ARGS="--only import raises"). One benchmark: .venv/bin/python benchmarks/bench_<name>.py --help
bench: install
	$(PY) benchmarks/summary.py $(BENCH_ARGS)
