# `make demo` and `make test` create .venv when missing (Python 3.10 found by
# scripts/bootstrap.sh, or PYTHON=/path/to/python3.10), install, and run.
VENV ?= .venv
OUTPUT ?= demo_output
PYTEST_ARGS ?=
STAMP := $(VENV)/.tfx-hf-installed

.PHONY: demo test test-fast install clean

demo: $(STAMP)
	$(VENV)/bin/tfx-hf demo --output $(OUTPUT)

test: $(STAMP)
	$(VENV)/bin/python -m pytest tests $(PYTEST_ARGS)

# Unit tests only (skips the slow end-to-end pipeline tests).
test-fast: $(STAMP)
	$(VENV)/bin/python -m pytest tests -m "not slow" $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP): setup.py constraints.txt scripts/bootstrap.sh
	scripts/bootstrap.sh $(VENV)
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info $(OUTPUT)
