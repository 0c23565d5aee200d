# Two commands on a fresh machine: `make run` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

# Compiled message catalogs (.mo) are built from the committed .po files, not committed.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard portal/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test screenshots lint format install translations clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed $(CATALOGS)  ## virtualenv with the app, its dev tools and catalogs

portal/translations/%/LC_MESSAGES/messages.mo: portal/translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile -d portal/translations -l $*

translations: install  ## extract every message, update the pl and de catalogs, compile them
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --sort-by-file \
		--msgid-bugs-address= --project="Support Hours Portal" --ignore-dirs=".* __pycache__" \
		--add-location=file -o portal/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i portal/translations/messages.pot -d portal/translations
	$(BIN)/pybabel compile -d portal/translations

run: install  ## migrate, load the demo shop when empty, serve on http://127.0.0.1:5000
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@$(FLASK) send-mail --where
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	PORTAL_SCHEDULER_IN_PROCESS=1 $(FLASK) run --host $(HOST) --port $(PORT)

test: install  ## lint, then the whole suite (PostgreSQL too when TEST_DATABASE_URL is set)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)

screenshots: install  ## the browser tests on the demo shop, writing the README's docs/screenshots/*.png
	PORTAL_SCREENSHOTS=1 REQUIRE_BROWSER=1 $(BIN)/pytest tests/e2e $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
