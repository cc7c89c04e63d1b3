# make demo  - build the environment, run the Avocado experiment, write its report
# make test  - build the environment and run the fast test suite
# make lint  - ruff (lint and format), mypy on the core and mechanisms, the import contracts, no import cycle
# make import-graph - docs/import_graph.png: the run-time imports of the core and the mechanisms
# make sensitivity - the Sobol analysis of the Avocado outcomes (~25 min on 2 cores); refreshes docs/sensitivity
# make validation - the model against facts the calibration never sees (~2 min on 2 cores); refreshes docs/VALIDATION.md
# make screenshot - docs/report_first_screen.png: the demo report's first screen at 1280x800 (after make demo)
# make decision - exploratory sweep, scenario discovery and robust policy search (~35 min on 2 cores); refreshes docs/decision
# make digests - rewrite tests/reference/digests.json (the reference runs' output hashes), only when outputs change on purpose
# make docs - the documentation site, built offline and strict into site/ (open site/index.html)
# make docs-screenshot - docs/site_front_page.png: the site's front page at 1280x800 (after make docs)
VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= $(shell sh .ci/find-python)
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow lint import-graph digests bench march sensitivity validation decision screenshot docs docs-screenshot clean

$(STAMP): pyproject.toml setup.py
	@test -n "$(PYTHON)" || { echo "error: no Python >= 3.12 found (see .ci/find-python)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,all,dev]'
	@touch $(STAMP)

DEMO := results/avocado_retention

demo: $(STAMP)
	$(VENV)/bin/orgsim sweep experiments/avocado_retention.yaml --out $(DEMO) --resume
	$(VENV)/bin/orgsim report $(DEMO) --out $(DEMO)/report.html --sensitivity docs/sensitivity \
		--discovery docs/decision/discovery --optimize docs/decision/optimize --validation docs/VALIDATION.md

# a page's first screen as a laptop shows it (1280 x 800), in headless Chromium: $(call shot,PAGE,PNG)
shot = chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --user-data-dir=results/.chromium \
	--window-size=1280,800 --screenshot=$(2) file://$(abspath $(1))

screenshot:
	@test -f $(DEMO)/report.html || { echo "error: no $(DEMO)/report.html; run make demo first"; exit 2; }
	$(call shot,$(DEMO)/report.html,docs/report_first_screen.png)

DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[docs]'
	@touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	@# not --quiet: it hides the warnings strict mode counts, and a broken link would pass
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

docs-screenshot:
	@test -f site/index.html || { echo "error: no site/index.html; run make docs first"; exit 2; }
	$(call shot,site/index.html,docs/site_front_page.png)

test: $(STAMP)
	$(VENV)/bin/pytest -q

# what ruff formats: the package, and the tests written since the formatter came (the older ones follow when
# they are next edited)
FORMATTED := orgsim tools tests/reference tests/dummy_mechanism.py tests/test_dummy_mechanism.py tests/test_reference.py

lint: $(STAMP)
	$(VENV)/bin/ruff check orgsim tests tools
	$(VENV)/bin/ruff format --check $(FORMATTED)
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) tools/import_cycles.py

import-graph: $(STAMP)
	$(PY) tools/import_graph.py --out docs/import_graph.png

test-slow: $(STAMP)
	$(VENV)/bin/pytest -q -m slow

digests: $(STAMP)
	$(PY) tests/reference/runs.py --write

bench: $(STAMP)
	$(VENV)/bin/orgsim bench configs/baseline.yaml --researchers full,10000 --repeats 3 --memory

SENSITIVITY := results/sensitivity_avocado

sensitivity: $(STAMP)
	$(VENV)/bin/orgsim sensitivity experiments/sensitivity_avocado.yaml --out $(SENSITIVITY) --resume
	mkdir -p docs/sensitivity
	cp $(addprefix $(SENSITIVITY)/,sobol_indices.csv sobol_indices.md sobol.png sensitivity.json) docs/sensitivity/

march: $(STAMP)
	$(VENV)/bin/orgsim march --p1 0.1,0.5,0.9 --p2 0.1,0.5,0.9 --runs 500

VALIDATION := results/validation

validation: $(STAMP)
	rm -rf $(VALIDATION)
	$(VENV)/bin/orgsim validation experiments/validation.yaml --out $(VALIDATION) --workers 2 --doc docs/VALIDATION.md

EXPLORE  := results/explore_failure
OPTIMIZE := results/optimize_failure
SHIPPED  := manifest.json trials.csv pareto.csv pareto.png reevaluation.csv reevaluation.png optimize.md

decision: $(STAMP)
	$(VENV)/bin/orgsim sweep experiments/explore_failure.yaml --out $(EXPLORE) --workers 2 --resume
	@# the blitz cohort holds in nearly every world, so the shipped question is top talent's retention below 80%
	@# (this round's counts: docs/DECISION.md)
	$(VENV)/bin/orgsim discover $(EXPLORE) --outcome top_talent_retention --below 0.8 --out $(EXPLORE)/discovery
	$(VENV)/bin/orgsim optimize experiments/optimize_failure.yaml --out $(OPTIMIZE) --workers 2 --resume
	rm -rf docs/decision && mkdir -p docs/decision/discovery docs/decision/optimize
	cp $(EXPLORE)/discovery/* docs/decision/discovery/
	cp $(addprefix $(OPTIMIZE)/,$(SHIPPED)) docs/decision/optimize/

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks results site
