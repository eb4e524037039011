# aioxide: `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps-installed
BUILT := target/.aioxide-built
DIST := dist/.built
PY_SOURCES := $(shell find python -name '*.py' -o -name '*.pyi' -o -name py.typed)
RUST_SOURCES := $(shell find crates -name '*.rs' -o -name Cargo.toml) Cargo.toml Cargo.lock pyproject.toml
# cargo test links the interpreter's shared library; find it at run time too.
PY_LIBDIR = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")')

.PHONY: help demo test bench lint build rust-test py-test py-matrix dist dist-test docs docs-test downstream fuzz fuzz-smoke db-servers release fmt clean

help:
	@echo "make demo   - build if needed, then run the end-to-end demo"
	@echo "make test   - set up, build, lint and run every test suite"
	@echo "make bench  - benchmarks side by side with the anchors -> benchmarks/RESULTS.md"
	@echo "make downstream - real clients' test suites on the originals and on aioxide"
	@echo "make fuzz   - cargo fuzz targets (FUZZ_SECONDS=300) and long randomised differential runs"
	@echo "make release VERSION=x.y.z [RELEASE_ARGS=--dry-run] - cut a release with aioxide.release"
	@echo "make lint   - cargo fmt/clippy, ruff, mypy --strict"
	@echo "make dist   - sdist + a manylinux wheel per supported Python -> dist/"
	@echo "make docs   - the documentation site -> docs/_build/html"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(DEPS): requirements-dev.txt requirements-test.txt | $(VENV)/bin/python
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

# stubtest compares _core.pyi with the built extension (no allowlist: every
# difference is fixed at its source, in the stub or the #[pyo3] signature).
lint: $(BUILT)
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	$(VENV)/bin/ruff check python tests benchmarks examples
	$(VENV)/bin/ruff format --check python tests benchmarks examples
	$(VENV)/bin/mypy --strict
	$(VENV)/bin/mypy --strict tests/typing
	$(PY) -m mypy.stubtest aioxide._core

# The pure cores first, on their own: without the `python` feature they
# build without PyO3 and must run without libpython on the library path.
rust-test: $(DEPS)
	env -u LD_LIBRARY_PATH cargo test -p aioxide-sqlite -p aioxide-pool -p aioxide-release --quiet
	! cargo tree -p aioxide-sqlite -p aioxide-pool -p aioxide-release -e normal | grep -q pyo3
	LD_LIBRARY_PATH="$(PY_LIBDIR)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" cargo test --workspace --quiet

# A deadlock that holds the GIL stops pytest-timeout too; the outer timeout
# (SIGABRT, so faulthandler prints every thread) keeps CI from hanging.
# The `dist` tests (fresh venvs from the built wheels) run in dist-test.
py-test: $(BUILT)
	timeout -s ABRT 1500 $(PY) -m pytest -q -m "not dist and not docs"

# The same suite on every other supported CPython found here (all of
# 3.10-3.13 when CI=true), each from the wheel `make dist` built for it.
py-matrix: $(DIST)
	bash scripts/py-matrix.sh

# sdist and one manylinux2014 wheel per supported Python, linked by zig so
# they run on glibc 2.17+; auditwheel must accept each. Rebuilt when a
# Rust or Python source changes.
$(DIST): $(RUST_SOURCES) $(PY_SOURCES) README.md LICENSE $(DEPS)
	rm -rf dist
	interpreters="$$(bash scripts/pythons.sh | cut -d' ' -f2 | tr '\n' ' ')"; \
	  PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/maturin build --release --zig \
	    --compatibility manylinux2014 --quiet -o dist -i $$interpreters
	$(VENV)/bin/maturin sdist -o dist
	for wheel in dist/*.whl; do $(VENV)/bin/auditwheel show "$$wheel" | tr '\n' ' ' | grep -q 'consistent with the following platform tag: "manylinux_2_17_x86_64"' \
	  || { $(VENV)/bin/auditwheel show "$$wheel"; echo "$$wheel is not manylinux2014"; exit 1; }; done
	ls -l dist
	touch $@

dist: $(DIST)

# The documentation site: guides (docs/*.md), the API reference from the
# sources and stubs (sphinx-autoapi), warnings as errors.
DOCS := docs/_build/html/index.html
$(DOCS): $(BUILT) $(wildcard docs/*.md docs/conf.py docs/favicon.svg) README.md CHANGELOG.md benchmarks/RESULTS.md tests/upstream/DEVIATIONS.md $(PY_SOURCES)
	rm -rf docs/_build
	$(VENV)/bin/sphinx-build -q -W --keep-going -b html docs docs/_build/html

docs: $(DOCS)

# Links and anchors of the built site, and its pages in headless Chromium.
docs-test: $(DOCS)
	bash scripts/install-browser.sh
	timeout -s ABRT 600 $(PY) -m pytest -q -m docs tests/test_docs_site.py

# Each wheel in a fresh venv with no Rust toolchain on PATH (imports every
# module, runs a smoke job), and the sdist built and installed in a fresh venv.
dist-test: $(DIST)
	timeout -s ABRT 2400 $(PY) -m pytest -q -m dist tests/test_dist.py

# Real clients' own test suites (pinned, a venv each under .venv-downstream)
# on the originals and through aioxide.compat, compared test by test.
downstream: $(BUILT)
	timeout -s ABRT 2400 $(PY) -m tests.downstream.run

# Fuzzing. `make fuzz`: each cargo fuzz target for FUZZ_SECONDS, then the
# property tests with FUZZ_EXAMPLES random examples each (make test runs
# those with a fixed seed). `make fuzz-smoke` (part of make test): each
# target for FUZZ_SMOKE_SECONDS. cargo-fuzz is installed when missing; it
# runs on the stable toolchain without sanitizers (RUSTC_BOOTSTRAP lets it
# pass its -Z flags), since no nightly toolchain can be fetched here.
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 15
FUZZ_EXAMPLES ?= 20000
FUZZ_POOL_EXAMPLES ?= 500
FUZZ_TARGETS := frame_decoder sql_renderer
# sql_renderer embeds this interpreter (the renderer walks Python objects):
# it is built with the fuzz crate's `python` feature against the venv's
# Python, finds hypothesis in the venv and libpython in PY_LIBDIR.
FUZZ_ENV = PYO3_PYTHON=$(abspath $(PY)) LD_LIBRARY_PATH="$(PY_LIBDIR)" \
  PYTHONPATH="$$($(abspath $(PY)) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
CARGO_FUZZ := $(HOME)/.cargo/bin/cargo-fuzz

$(CARGO_FUZZ):
	cargo install cargo-fuzz --version 0.13.2 --locked --quiet

define run_fuzz_targets
	mkdir -p fuzz/logs; \
	for target in $(FUZZ_TARGETS); do \
	  case $$target in sql_renderer) features="--features python";; *) features="";; esac; \
	  log=fuzz/logs/$$target.log; \
	  (cd fuzz && $(FUZZ_ENV) RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none $$features $$target -- \
	    -max_total_time=$(1) -print_final_stats=1) > $$log 2>&1; status=$$?; \
	  grep -E "^(Done|stat::number_of_executed_units)|panicked|ERROR|SUMMARY" $$log; \
	  if [ $$status -ne 0 ]; then tail -n 60 $$log; echo "fuzz target $$target failed (log: $$log)"; exit 1; fi; \
	done
endef

fuzz-smoke: $(DEPS) $(CARGO_FUZZ)
	$(call run_fuzz_targets,$(FUZZ_SMOKE_SECONDS))

fuzz: $(BUILT) $(CARGO_FUZZ)
	$(call run_fuzz_targets,$(FUZZ_SECONDS))
	HYPOTHESIS_PROFILE=fuzz AIOXIDE_DIFF_EXAMPLES=$(FUZZ_EXAMPLES) AIOXIDE_POOL_EXAMPLES=$(FUZZ_POOL_EXAMPLES) \
	  $(PY) -m pytest -q tests/test_sqlite_differential.py tests/test_sql_properties.py tests/test_pool_state_machine.py

# PostgreSQL and MariaDB for the real-server tests (apt-get, when missing).
db-servers:
	bash scripts/install-db-servers.sh

test: $(BUILT) lint rust-test fuzz-smoke db-servers py-test py-matrix dist-test docs-test downstream

bench: $(BUILT)
	$(PY) -m benchmarks $(BENCH_ARGS)

# Cut a release with the project's own release tool: a bump commit with the
# regenerated CHANGELOG.md, tagged vVERSION. `make release VERSION=0.2.0
# RELEASE_ARGS=--dry-run` shows what it would do.
release: $(BUILT)
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z [RELEASE_ARGS=--dry-run]"; exit 2; }
	$(VENV)/bin/aioxide-release tag $(VERSION) $(RELEASE_ARGS)

fmt: $(DEPS)
	cargo fmt --all
	$(VENV)/bin/ruff format python tests benchmarks examples
	$(VENV)/bin/ruff check --fix python tests benchmarks examples

clean:
	rm -rf target dist docs/_build $(VENV) .venv-downstream .venv-py3.* python/aioxide/_core*.so
