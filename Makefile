# Two entry points (see README): `make demo` runs the pipeline on the bundled demo cohort,
# `make test` runs the checks and the test suite. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NEXTFLOW := tools/nextflow/nextflow

.PHONY: demo test test-fast lint install nextflow clean

install: $(STAMP)

# Pinned by constraints.txt (a resolved set known to install on Python 3.11).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

nextflow: $(NEXTFLOW)

$(NEXTFLOW): tools/nextflow/install.sh tools/nextflow/pom.xml
	bash tools/nextflow/install.sh

demo: $(STAMP)
	$(BIN)/omics run --demo --outdir results

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/omics schema --check

test: $(STAMP) $(NEXTFLOW) lint
	PATH="$(CURDIR)/tools/nextflow:$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q -ra --durations=25

# The quick lane while editing: everything but the tests marked slow (CI runs `make test`).
test-fast: $(STAMP)
	PATH="$(CURDIR)/tools/nextflow:$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q -ra -m "not slow"

clean:
	rm -rf results work .nextflow .nextflow.log* .pytest_cache
