# gdpr_pipeline: two commands do everything.
#   make run   install, generate demo data, ensure a key, dbt build, train, write evidence, summarise
#   make test  lint (ruff, sqlfluff), dbt parse (warnings are errors), dbt build on fixtures, pytest
#              (and, when java is on PATH, make test-spark and make test-spark-cluster)
#   make test-spark  the demo built on DuckDB and on Apache Spark: releases must be identical
#   make test-spark-cluster  the same on a Spark standalone master and two workers (processes)
#   make docs  dbt's docs as one page that opens from disk (target/static_index.html)
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)
export GDPR_WAREHOUSE_DIR ?= $(CURDIR)/warehouse

# The demo: 1,000 subjects, seed 42, built as of the end of the generated data.
DEMO_DIR    := data/raw
DEMO_AS_OF  := 2026-11-01 00:00:00

FIXTURES    := target/fixtures
# sqlfluff's dbt templater compiles the models, and compiling opens a DuckDB connection (raw_file()
# lists and describes the raw files), so it gets a throwaway warehouse, key and raw files here
# (.sqlfluff reads raw_dir from this directory).
SQLFLUFF    := target/sqlfluff

.PHONY: run test install install-spark lint dbt-fixtures pytest test-spark test-spark-cluster bench clean browser evidence docs

# Reinstall when the venv is missing or any dependency file changed (stale).
$(STAMP): python/pyproject.toml python/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c python/constraints.txt -e "python[dev]"
	# anonymeter's metadata caps numpy and pyarrow below this stack; it runs on it (pyproject.toml).
	$(BIN)/python -m pip install --quiet --no-deps -c python/constraints.txt anonymeter
	touch $(STAMP)

install: $(STAMP)

# The spark extra (dbt-spark, pyspark): only for the Spark target and its tests.
$(SPARK_STAMP): $(STAMP) python/constraints-spark.txt
	$(BIN)/python -m pip install --quiet -c python/constraints.txt -c python/constraints-spark.txt -e "python[dev,spark]"
	touch $(SPARK_STAMP)

install-spark: $(SPARK_STAMP)

run: install
	$(BIN)/gdpr-pipeline demo --subjects 1000 --seed 42 --raw-dir $(DEMO_DIR) --as-of "$(DEMO_AS_OF)"

lint: install
	$(BIN)/ruff check python
	$(BIN)/ruff format --check python
	# The package's layers (python/pyproject.toml [tool.importlinter]).
	$(BIN)/lint-imports --config python/pyproject.toml
	$(BIN)/dbt parse --warn-error --quiet
	# The column policy on the manifest dbt parse just wrote (no warehouse needed).
	$(BIN)/python -m gdpr_pipeline.policy target/manifest.json
	# SQL style (.sqlfluff): models and singular tests through the dbt templater, with a
	# throwaway key (never a real one: nothing is built) and 20 generated subjects; the macros
	# through the jinja templater (macros/.sqlfluff says why).
	rm -rf $(SQLFLUFF)
	$(BIN)/gdpr-pipeline generate --subjects 20 --seed 1 --out $(SQLFLUFF)/raw >/dev/null
	DBT_ENV_SECRET_PSEUDONYM_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))')" \
	GDPR_WAREHOUSE_DIR=$(CURDIR)/$(SQLFLUFF)/warehouse DBT_TARGET_PATH=$(SQLFLUFF)/target \
	$(BIN)/sqlfluff lint models tests
	$(BIN)/sqlfluff lint macros --templater jinja

# dbt build, unit and data tests, on freshly generated fixtures, with a throwaway key.
dbt-fixtures: install
	rm -rf $(FIXTURES)
	$(BIN)/gdpr-pipeline generate --subjects 1000 --seed 42 --out $(FIXTURES)/raw
	DBT_ENV_SECRET_PSEUDONYM_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))')" \
	GDPR_WAREHOUSE_DIR=$(CURDIR)/$(FIXTURES)/warehouse \
	$(BIN)/dbt build --vars '{raw_dir: $(FIXTURES)/raw, as_of: "$(DEMO_AS_OF)"}'

# Debian's chromium for the evidence page test (Playwright drives it; never `playwright install`).
browser:
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

# The evidence page and the audit-trail check for the latest run (`make run` builds it too).
evidence: install
	$(BIN)/gdpr-pipeline evidence build
	$(BIN)/gdpr-pipeline evidence verify

# dbt's docs as one self-contained page (manifest and catalog inlined) that opens from disk, with
# no server and no key: target/static_index.html. The catalog describes the warehouse of the last
# build (GDPR_WAREHOUSE_DIR); the models compile against the demo's raw files, made if missing.
docs: install
	test -d $(DEMO_DIR) || $(BIN)/gdpr-pipeline generate --subjects 1000 --seed 42 --out $(DEMO_DIR)
	$(BIN)/dbt docs generate --static --quiet --vars '{raw_dir: $(DEMO_DIR), as_of: "$(DEMO_AS_OF)"}'
	echo "dbt docs: file://$(CURDIR)/target/static_index.html"

pytest: install browser
	$(BIN)/python -m pytest python/tests -q -m "not spark"

# The demo on DuckDB and on local Spark (local[2]), compared release by release; needs Java 17+.
test-spark: install-spark
	$(BIN)/python -m pytest python/tests -q -m "spark and not spark_cluster"

# The demo on a standalone master and two one-core workers started by the test on 127.0.0.1
# (pyspark's spark-class), stopped at the end; tasks must run on both, releases equal DuckDB's.
test-spark-cluster: install-spark
	$(BIN)/python -m pytest python/tests -q -m spark_cluster

test: lint dbt-fixtures browser pytest
	if command -v java >/dev/null; then $(MAKE) --no-print-directory test-spark test-spark-cluster; \
	else echo "java not on PATH: Spark tests not run (make test-spark needs Java 17+)"; fi

# Benchmark (issues 8, 15, 18): 1M and 10M subjects, or e.g. make bench SIZES=1000000; at 1M also
# Spark, in a local session and on a two-worker standalone cluster, when java is on PATH.
# Writes bench/results.json.
bench: install
	if command -v java >/dev/null; then $(MAKE) --no-print-directory install-spark; fi
	$(BIN)/python python/bench/bench.py $(if $(SIZES),--sizes $(SIZES)) $(BENCH_ARGS)

clean:
	rm -rf target logs warehouse artifacts evidence data
