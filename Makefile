# ParIndex: `make run` serves the demo, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install lint bench-estimate clean browser messages

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	$(BIN)/pybabel compile -d survey_app/translations -D messages
	touch $(STAMP)

install: $(STAMP)

## Set up everything, load the demo once, serve on http://127.0.0.1:5000 (Ctrl-C stops).
run: $(STAMP)
	$(BIN)/parindex demo
	$(BIN)/parindex serve --host 127.0.0.1 --port 5000

## Set up and run the whole test suite (PostgreSQL/Redis tests skip if those are down,
## unless PARINDEX_REQUIRE_SERVICES=1, which .ci/run sets).
test: $(STAMP) browser
	$(BIN)/python -m pytest

## Debian's Chromium for the browser tests (Playwright drives it; no `playwright install`)
## and axe-core from npm, which they inject into every page they visit.
browser: tests/browser/node_modules/axe-core/axe.min.js
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

tests/browser/node_modules/axe-core/axe.min.js: tests/browser/package.json
	command -v npm >/dev/null || (apt-get update && apt-get install -y npm)
	cd tests/browser && npm ci --no-audit --no-fund
	touch $@

## New messages of the code and templates into the catalogue (empty, to translate), then
## compile; see docs/TRANSLATIONS.md.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $$($(BIN)/python -m survey_app.i18n.extract) \
		--no-location --omit-header -o survey_app/translations/messages.pot .
	$(BIN)/python -m survey_app.i18n.json_to_po --pot survey_app/translations/messages.pot
	$(BIN)/pybabel compile -d survey_app/translations -D messages

lint: $(STAMP)
	$(BIN)/ruff check survey_app aggregation worker tests
	$(BIN)/lint-imports

bench-estimate: $(STAMP)
	$(BIN)/python bench/bench_estimate.py

clean:
	rm -rf $(VENV) instance .pytest_cache
