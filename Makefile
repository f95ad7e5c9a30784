# aimass — the two commands a user needs:
#   make demo   install what is missing, build, start an embedded PostgreSQL, run sql/demo.sql
#   make test   install what is missing, run every test (Rust unit tests, #[pg_test]s, pg_regress,
#               the background worker's tests)
SHELL := /bin/bash
# The one knob: which PostgreSQL to build for and test against (its pg_config).
PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
export PG_CONFIG
PG_BIN = $(shell $(PG_CONFIG) --bindir)
PORT ?= 55415
export AIMASS_PORT := $(PORT)
export PATH := $(HOME)/.cargo/bin:$(PATH)
# cargo-pgrx would build the extension with RUSTFLAGS of its own (-Wl,--no-gc-sections), which
# recompiles every dependency; build.rs gives that flag to the cdylib's link alone instead, so
# clippy, the tests, pgrx's install inside the tests and make install share one dependency tree.
export CARGO_PGRX_DISABLE_GC_SECTIONS_WORKAROUND := 1
SUDO := $(if $(filter 0,$(shell id -u)),,--sudo)
CLUSTER = $(shell scripts/cluster.sh dir)
PSQL = $(PG_BIN)/psql -X -h $(CLUSTER)/run -p $(PORT) -U postgres
# Empty: every file in tests/regress/sql.
REGRESS_TESTS ?=

.PHONY: citus-start citus-stop citus-test bench-citus setup install start stop demo test core-test pg-test regress corpus-test worker-test security-test lifecycle-test sqlsmith fuzz bench-spine bench-data bench-data-quality bench-risk bench-training bench-monitoring bench-scoring bench-latency bench-memory bench-10m bench fmt lint clean

setup:
	@bash scripts/setup.sh

# Also the install scripts of released versions (sql/released), from which upgrades start.
install: setup
	cargo pgrx install --pg-config $(PG_CONFIG) $(SUDO)
	$(if $(filter 0,$(shell id -u)),,sudo) install -m 644 sql/released/*.sql "$$($(PG_CONFIG) --sharedir)/extension/"

start: install
	@scripts/cluster.sh start

stop:
	@scripts/cluster.sh stop

demo: start
	$(PSQL) -d postgres -c 'DROP DATABASE IF EXISTS aimass_demo' -c 'CREATE DATABASE aimass_demo' >/dev/null
	$(PSQL) -d aimass_demo -v ON_ERROR_STOP=1 -q -f sql/sample_data.sql
	$(PSQL) -d aimass_demo -v ON_ERROR_STOP=1 -f sql/demo.sql
	@echo
	@echo "The demo database is running. Connect with:"
	@echo "  $(PSQL) -d aimass_demo"
	@echo "Stop it with: make stop"

# The pure engine's unit tests alone: no server, no pgrx (seconds once built). `make test` runs them
# in pg-test's build instead, where they share its dependency features (this target resolves the
# core's dependencies on their own and so compiles them a second time).
core-test: setup
	cargo test -p aimass-core

# The #[pg_test]s and, in the same cargo build (the workspace's default members), the core's unit
# and golden-artifact tests. The pg_test cluster belongs to the postgres user when run as root.
pg-test: setup
	@dir="$$(scripts/cluster.sh dir)/../pgrx-test"; mkdir -p "$$dir"; \
	if [ "$$(id -u)" -eq 0 ]; then chown postgres:postgres "$$dir"; runas="--runas postgres"; fi; \
	cargo pgrx test pg15 $$runas --pgdata "$$(cd "$$dir" && pwd)"

# Each file in a database of its own (tests/regress/run.sh); REGRESS_TESTS="predict" runs one.
regress: start
	@bash tests/regress/run.sh $(REGRESS_TESTS)

# The monitoring background worker and pg_cron, in a cluster of their own (aimass preloaded).
worker-test: install
	bash tests/worker/run.sh

# The bad-input corpus: hundreds of hostile inputs, each a clean ERROR or the right answer.
corpus-test: start
	bash tests/corpus/run.sh

# Issue 17's trust suite (hostile objects, row-level security, memory limits, cancellation,
# scoring consistency), in a cluster of its own.
security-test: install
	bash tests/security/run.sh

# Upgrade from the previous release, pg_dump/pg_restore and a streaming replica, in a cluster of their own.
lifecycle-test: install
	bash tests/lifecycle/run.sh

# Issue 19 on a Citus coordinator and two workers of aimass's own (scripts/citus.sh; builds Citus
# when citus.so is missing): the catalog on every node, pushed-down scoring, deployments seen by
# the workers, a scorer role, and logistic training from the shards' sums.
citus-test: install
	bash tests/citus/run.sh

test: pg-test regress corpus-test worker-test security-test lifecycle-test citus-test

# A Citus cluster of aimass's own (coordinator + 2 workers, ports 55430-55432; builds Citus when
# citus.so is missing), to try aimass on distributed tables by hand (make citus-test makes its own).
citus-start: install
	@bash scripts/citus.sh start
citus-stop:
	@bash scripts/citus.sh stop

# Issue 19's side-by-side figures (ROWS, default 1M): training, bytes to the coordinator, scoring.
bench-citus: install
	ROWS=$(or $(ROWS),1000000) bash benches/citus.sh

# SQLsmith as an aimass_analyst against deployed models of every algorithm (SQLSMITH_QUERIES,
# default 20000); fails on any backend crash. Not part of `make test`.
sqlsmith: install
	bash tests/sqlsmith/run.sh

# Fuzz the artifact decoder (cargo-fuzz on nightly Rust, installed when missing), each target for
# FUZZ_SECONDS: raw bytes (artifact_decode), and payloads behind a valid header (artifact_payload).
FUZZ_SECONDS ?= 120
fuzz: setup
	rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	python3 fuzz/seeds.py
	mkdir -p fuzz/corpus/artifact_decode fuzz/corpus/artifact_payload
	cd fuzz && cargo +nightly fuzz run artifact_decode -O corpus/artifact_decode seeds \
	  -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -timeout=10
	cd fuzz && cargo +nightly fuzz run artifact_payload -O corpus/artifact_payload seeds_payload regressions/artifact_payload \
	  -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -timeout=10

bench-spine: demo
	$(BENCH_LOG_START)
	$(PIPEFAIL) $(PSQL) -d aimass_demo -f benches/spine.sql $(BENCH_LOG)

# Each benchmark target keeps its output in build/bench/<target>.log for benches/report.py.
BENCH_LOG_START = @mkdir -p build/bench && : > build/bench/$@.log
PIPEFAIL := set -o pipefail;
BENCH_LOG = 2>&1 | tee -a build/bench/$@.log

# A deterministic credit-application table of ROWS rows (31 columns) in the demo database.
ROWS ?= 1000000
bench-data: demo
	$(PSQL) -d aimass_demo -q -v rows=$(ROWS) -f benches/generate.sql

# profile and clean on bench_credit against plain SQL and pandas, in one run.
bench-data-quality: bench-data
	$(BENCH_LOG_START)
	$(PIPEFAIL) $(PSQL) -d aimass_demo -f benches/data_quality.sql $(BENCH_LOG)
	python3 -c 'import pandas, psycopg' 2>/dev/null || pip install -q pandas "psycopg[binary]"
	$(PIPEFAIL) python3 benches/data_quality.py "host=$(CLUSTER)/run port=$(PORT) user=postgres dbname=aimass_demo" $(BENCH_LOG)

# Training time of GBDT and logistic regression on bench_credit against LightGBM and scikit-learn.
bench-training: bench-data
	$(BENCH_LOG_START)
	$(PIPEFAIL) $(PSQL) -d aimass_demo -f benches/training.sql $(BENCH_LOG)
	python3 -c 'import pandas, psycopg, sklearn, lightgbm' 2>/dev/null || pip install -q pandas "psycopg[binary]" scikit-learn lightgbm
	$(PIPEFAIL) python3 benches/training.py "host=$(CLUSTER)/run port=$(PORT) user=postgres dbname=aimass_demo" $(BENCH_LOG)

# One drift check over 1M live rows against a scan, scoring alone, and psycopg + toad.
bench-monitoring: bench-data
	$(BENCH_LOG_START)
	$(PIPEFAIL) $(PSQL) -d aimass_demo -f benches/monitoring.sql $(BENCH_LOG)
	python3 -c 'import pandas, psycopg, toad' 2>/dev/null || pip install -q pandas "psycopg[binary]" toad
	$(PIPEFAIL) python3 benches/monitoring.py "host=$(CLUSTER)/run port=$(PORT) user=postgres dbname=aimass_demo" $(BENCH_LOG)

# Inline scoring over 1M rows against the model written as plain SQL, in parallel too, and GBDT.
bench-scoring: bench-data
	$(BENCH_LOG_START)
	$(PIPEFAIL) $(PSQL) -d aimass_demo -f benches/scoring.sql $(BENCH_LOG)

# Single-row scoring under 1, 8, 32 clients (pgbench) against a psycopg + scikit-learn service.
bench-latency: bench-scoring
	$(BENCH_LOG_START)
	python3 -c 'import numpy, psycopg, sklearn' 2>/dev/null || pip install -q numpy "psycopg[binary]" scikit-learn
	$(PIPEFAIL) bash benches/latency.sh $(CLUSTER)/run $(PORT) aimass_demo $(BENCH_LOG)

# Peak private memory of a training backend against the float32 input matrix.
bench-memory: bench-data
	$(BENCH_LOG_START)
	$(PIPEFAIL) bash benches/memory.sh $(CLUSTER)/run $(PORT) aimass_demo $(BENCH_LOG)

# Training time (against LightGBM and scikit-learn) and peak memory on BIG_ROWS rows, in a
# database of its own that is dropped afterwards.
BIG_ROWS ?= 10000000
bench-10m: demo
	$(BENCH_LOG_START)
	$(PSQL) -d postgres -c "DROP DATABASE IF EXISTS aimass_bench10m" -c "CREATE DATABASE aimass_bench10m"
	$(PSQL) -d aimass_bench10m -c "CREATE EXTENSION aimass"
	$(PIPEFAIL) $(PSQL) -d aimass_bench10m -q -v rows=$(BIG_ROWS) -f benches/generate.sql $(BENCH_LOG)
	$(PIPEFAIL) $(PSQL) -d aimass_bench10m -f benches/training.sql $(BENCH_LOG)
	python3 -c 'import pandas, psycopg, sklearn, lightgbm' 2>/dev/null || pip install -q pandas "psycopg[binary]" scikit-learn lightgbm
	$(PIPEFAIL) python3 benches/training.py "host=$(CLUSTER)/run port=$(PORT) user=postgres dbname=aimass_bench10m" $(BENCH_LOG)
	$(PIPEFAIL) bash benches/memory.sh $(CLUSTER)/run $(PORT) aimass_bench10m $(BENCH_LOG)
	$(PSQL) -d postgres -c "DROP DATABASE aimass_bench10m"

# Every benchmark, one after the other, on one generated table; then BENCHMARKS.md gets the
# run's figures, the machine and the goals (benches/report.py, from build/bench/*.log).
bench: bench-spine bench-data-quality bench-risk bench-training bench-monitoring bench-scoring bench-latency bench-memory bench-10m
	python3 benches/report.py build/bench BENCHMARKS.md

# Risk-metric aggregates and binning on bench_credit against plain SQL, scikit-learn and toad.
bench-risk: bench-data
	$(BENCH_LOG_START)
	$(PIPEFAIL) $(PSQL) -d aimass_demo -f benches/risk_metrics.sql $(BENCH_LOG)
	python3 -c 'import pandas, psycopg, sklearn, toad' 2>/dev/null || pip install -q pandas "psycopg[binary]" scikit-learn toad
	$(PIPEFAIL) python3 benches/risk_metrics.py "host=$(CLUSTER)/run port=$(PORT) user=postgres dbname=aimass_demo" $(BENCH_LOG)

fmt:
	cargo fmt --all

# What CI checks before the tests: formatting, clippy on every crate and target, no import cycle.
lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	python3 scripts/module_cycles.py

clean: stop
	rm -rf build
