# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test env bench bench-quick lint clean

env: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	@$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

run: env
	@$(BIN)/ledger init
	@$(BIN)/ledger serve --host $(HOST) --port $(PORT) --demo-on-first-start

test: env
	@$(BIN)/lint-imports --no-cache
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: env
	@$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

bench-quick: env
	@$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV) var .pytest_cache
