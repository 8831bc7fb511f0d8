# Skyweave: one command to set up and run the example, one to set up and test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the consoles' browser libraries (npm registry, pinned by package-lock.json), copied where
# the server serves them from: nothing is fetched at run time. MapLibre's CSP build: its
# worker is a file of ours, not a blob, as the consoles' Content-Security-Policy requires
VENDOR := src/skyweave/exercise/static/vendor
VENDOR_STAMP := $(VENDOR)/.installed
# the engine's Numba kernels, compiled once into their cache beside the sources (about 30
# CPU s) rather than by the first run and by every test process at once
KERNEL_STAMP := $(VENV)/.kernels-compiled
KERNEL_SOURCES := $(wildcard src/skyweave/*/*kernel*.py) src/skyweave/tracking/measurement.py

.PHONY: setup system-deps demo exercise test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(VENDOR_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || sh scripts/install-system-deps.sh
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/maplibre-gl/dist/maplibre-gl-csp.js node_modules/maplibre-gl/dist/maplibre-gl-csp-worker.js \
		node_modules/maplibre-gl/dist/maplibre-gl.css $(VENDOR)/
	cp node_modules/maplibre-gl/LICENSE.txt $(VENDOR)/maplibre-gl.LICENSE.txt
	cp node_modules/milsymbol/dist/milsymbol.js $(VENDOR)/
	cp node_modules/milsymbol/LICENSE $(VENDOR)/milsymbol.LICENSE.txt
	touch $(VENDOR_STAMP)

$(KERNEL_STAMP): $(STAMP) $(KERNEL_SOURCES)
	$(BIN)/python scripts/compile_kernels.py
	touch $(KERNEL_STAMP)

setup: $(STAMP) $(VENDOR_STAMP) $(KERNEL_STAMP)

demo: $(STAMP) $(VENDOR_STAMP) $(KERNEL_STAMP)
	$(BIN)/skyweave run examples/joint-exercise.yaml --seed 1 --out runs/demo --overwrite

# live exercise on the shipped example: prints one join link per seat (white cell, each
# partner's staff, observer); Ctrl-C or the white cell's End button writes runs/exercise
exercise: $(STAMP) $(VENDOR_STAMP) $(KERNEL_STAMP)
	$(BIN)/skyweave exercise examples/joint-exercise.yaml --out runs/exercise --overwrite

# tshark decodes our DIS PDUs in the tests and chromium runs the exercise consoles' browser
# tests; both installed from Debian's packages when missing. Without root or sudo the
# install fails and those tests are skipped with their reason.
system-deps:
	-@sh scripts/install-system-deps.sh

test: $(STAMP) $(VENDOR_STAMP) $(KERNEL_STAMP) system-deps
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2 --dist loadgroup --no-loadscope-reorder

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache node_modules $(VENDOR)
