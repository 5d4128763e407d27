# Two commands on a fresh machine: `make demo` and `make test`. Both create (or
# reuse) the virtualenv in .venv, installing with constraints.txt so torch is the
# CPU build. Nothing downloads a model at run time: HF_HUB_OFFLINE=1 throughout.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.jtbd-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test test-fast bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/jtbd analyze corpora/demo/feedback.csv --out runs/demo --force

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_extract.py
	$(BIN)/python benchmarks/bench_themes.py
	$(BIN)/python benchmarks/bench_embed.py
	$(BIN)/python benchmarks/bench_analyze.py

clean:
	rm -rf runs .pytest_cache
