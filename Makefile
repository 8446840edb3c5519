PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest browser bench bench-speed bench-dask bench-stream report-screenshot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## demo: install into .venv and cluster the bundled seeds
demo: $(STAMP)
	$(BIN)/dedupe-news cluster --format table

## test: install with test extras, lint, type-check and run the tests
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) browser
	$(BIN)/python -m pytest -q
	$(BIN)/python -m pytest -q --nbmake examples/explore.ipynb

## browser: Debian's chromium for the HTML report's browser test (skipped if it can't be had;
## CI sets DEDUPE_NEWS_REQUIRE_BROWSER=1 so a missing browser fails instead)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the report's browser test"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	} || echo "could not install chromium: the browser test will be skipped"

## report-screenshot: regenerate docs/report.png (the README's picture) from the seeds
report-screenshot: $(STAMP) browser
	mkdir -p build docs
	$(BIN)/dedupe-news report -q -o build/report.html
	profile=$$(mktemp -d) && chromium --headless --no-sandbox --disable-gpu \
	  --disable-quic --no-first-run --disable-background-networking --disable-component-update \
	  --disable-sync --user-data-dir=$$profile --hide-scrollbars --window-size=1280,720 \
	  --screenshot=docs/report.png file://$(CURDIR)/build/report.html 2>/dev/null

## bench: quality benchmark against peers (reads ../shared/data)
bench: $(STAMP)
	$(BIN)/python benchmarks/quality.py

## bench-speed: speed benchmark against datasketch and rensa on 20,000 synthetic articles
bench-speed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/speed.py

## bench-dask: local cluster() against dedupe_news.dask on 1 and 2 workers, 20,000 articles
bench-dask: $(STAMP)
	$(BIN)/python benchmarks/dask_scale.py

## bench-stream: StoryIndex speed on a 100,000-article index, then its agreement with cluster()
bench-stream: $(STAMP)
	$(BIN)/python benchmarks/stream.py
	$(BIN)/python benchmarks/stream.py --agreement

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
