# The two commands a newcomer needs: `make demo` and `make test`. Both set everything up first.
VENV ?= .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup demo test lint typecheck unit bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh

test: setup
	python scripts/peers.py
	ruff check src tests benchmarks
	mypy
	vulture src vulture_allowlist.py --min-confidence 60
	pytest -q

bench: setup
	python benchmarks/build.py

clean:
	rm -rf dist build .pytest_cache .mypy_cache .ruff_cache
