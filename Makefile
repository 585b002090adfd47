# `make demo` and `make test` create .venv when missing (Python 3.10 found by
# scripts/bootstrap.sh, or PYTHON=/path/to/python3.10), install, and run.
VENV ?= .venv
OUTPUT ?= demo_output
PYTEST_ARGS ?=
STAMP := $(VENV)/.tfx-hf-installed

.PHONY: demo test test-fast test-heavy lint install clean

demo: $(STAMP)
	$(VENV)/bin/tfx-hf demo --output $(OUTPUT)

# Unit tests, the tests that train (on conftest's shared session fixtures) and the
# whole-pipeline runs; not the `heavy` ones (test-heavy).
test: $(STAMP)
	$(VENV)/bin/python -m pytest tests -m "not heavy" $(PYTEST_ARGS)

# The pipeline run many times over: killed in each node in turn (resume), and the compiled
# Vertex/KFP specs rehearsed step by step. CI runs these after `make test`.
test-heavy: $(STAMP)
	$(VENV)/bin/python -m pytest tests -m heavy $(PYTEST_ARGS)

# No training and no pipelines (tests marked `slow` are deselected; see pytest.ini).
test-fast: $(STAMP)
	$(VENV)/bin/python -m pytest tests -m "not slow" $(PYTEST_ARGS)

# ruff (installed with the test extra; rules in ruff.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .

install: $(STAMP)

$(STAMP): setup.py constraints.txt scripts/bootstrap.sh
	scripts/bootstrap.sh $(VENV)
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info $(OUTPUT)
