# aioxide: `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps-installed
BUILT := target/.aioxide-built
RUST_SOURCES := $(shell find crates -name '*.rs' -o -name Cargo.toml) Cargo.toml Cargo.lock pyproject.toml
# cargo test links the interpreter's shared library; find it at run time too.
PY_LIBDIR = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")')

.PHONY: help demo test bench lint build rust-test py-test downstream fuzz db-servers fmt clean

help:
	@echo "make demo   - build if needed, then run the end-to-end demo"
	@echo "make test   - set up, build, lint and run every test suite"
	@echo "make bench  - benchmarks side by side with the anchors -> benchmarks/RESULTS.md"
	@echo "make downstream - real clients' test suites on the originals and on aioxide"
	@echo "make fuzz   - long randomised differential runs (FUZZ_EXAMPLES=20000)"
	@echo "make lint   - cargo fmt/clippy, ruff, mypy --strict"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(DEPS): requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Release build: benchmarks and the demo measure the real thing, and one
# profile means one compile. Skipped when no Rust input changed.
$(BUILT): $(RUST_SOURCES) $(DEPS)
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --release --quiet
	mkdir -p target && touch $@

build: $(BUILT)

demo: $(BUILT)
	$(PY) -m aioxide.demo

lint: $(DEPS)
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	$(VENV)/bin/ruff check python tests benchmarks examples
	$(VENV)/bin/ruff format --check python tests benchmarks examples
	$(VENV)/bin/mypy --strict
	$(VENV)/bin/mypy --strict tests/typing

rust-test: $(DEPS)
	LD_LIBRARY_PATH="$(PY_LIBDIR)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" cargo test --workspace --quiet

# A deadlock that holds the GIL stops pytest-timeout too; the outer timeout
# (SIGABRT, so faulthandler prints every thread) keeps CI from hanging.
py-test: $(BUILT)
	timeout -s ABRT 1500 $(PY) -m pytest -q

# Real clients' own test suites (pinned, a venv each under .venv-downstream)
# on the originals and through aioxide.compat, compared test by test.
downstream: $(BUILT)
	timeout -s ABRT 2400 $(PY) -m tests.downstream.run

# Longer randomised runs of the property tests (make test runs them with a
# fixed seed): FUZZ_EXAMPLES per property.
FUZZ_EXAMPLES ?= 20000
fuzz: $(BUILT)
	HYPOTHESIS_PROFILE=fuzz AIOXIDE_DIFF_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q tests/test_sqlite_differential.py

# PostgreSQL and MariaDB for the real-server tests (apt-get, when missing).
db-servers:
	bash scripts/install-db-servers.sh

test: $(BUILT) lint rust-test db-servers py-test downstream

bench: $(BUILT)
	$(PY) -m benchmarks $(BENCH_ARGS)

fmt: $(DEPS)
	cargo fmt --all
	$(VENV)/bin/ruff format python tests benchmarks examples
	$(VENV)/bin/ruff check --fix python tests benchmarks examples

clean:
	rm -rf target $(VENV) .venv-downstream python/aioxide/_core*.so
