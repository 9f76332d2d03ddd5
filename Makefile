# `make run` starts the whole service on embedded defaults; `make test` runs the suite.
# Both build .venv on first use and reinstall only when a requirements file changes.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# The suite in this many processes (pytest-xdist; each its own database and Redis db,
# tests/conftest.py); 0 runs it in one.
TEST_WORKERS ?= 3
# A benchmark is a script under bench/ with a main guard; the rest there are helpers
# (echo_app.py, the baseline app). Run as modules so they import from the repo root.
# bench/big_data.py makes a database for others (the benches run with --reuse, so a
# second `make bench` keeps it; those that write work on a fresh copy of it); it
# measures nothing itself.
BENCHES := $(filter-out bench.big_data,$(subst /,.,$(basename $(shell grep -l "__name__ == .__main__.:" bench/*.py 2>/dev/null))))

# The cashier page's end-to-end tests drive Debian's Chromium (CJK fonts for the text);
# the station API guide's shell snippet, which a test runs, calls openssl and curl.
BROWSER_PACKAGES := chromium fonts-noto-cjk openssl curl

.PHONY: run test bench clean browser

run: $(VENV)/.installed-runtime
	$(PY) devstack.py

test: $(VENV)/.installed-dev browser
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Installs the browser once on a fresh machine (apt needs root; sudo when not root).
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto.*cjk" && \
	  command -v openssl >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; }

# Each benchmark prints its own ratios against a baseline measured in the same run.
bench: $(VENV)/.installed-dev
	@$(if $(BENCHES),,echo "no benchmarks under bench/")
	@set -e; for module in $(BENCHES); do echo "== $$module"; \
	  case $$module in bench.daily_jobs|bench.campaigns|bench.dashboards|bench.profiles|bench.exports) args=--reuse;; \
	    *) args=;; esac; $(PY) -m $$module $$args; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +

$(PY):
	$(PYTHON) -m venv $(VENV)

# The stamps are newer than the requirements they installed; editing a file redoes it.
$(VENV)/.installed-runtime: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@
