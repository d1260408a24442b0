# leadscore: the two commands that matter are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark
DEMO_CONTACTS ?= 2000
DEMO_ACTIVITIES ?= 25
DEMO_AS_OF ?= 2026-11-01T00:00:00Z
BENCH_CONTACTS ?= 1000000
BENCH_ACTIVITIES ?= 50
BENCH_REPEAT ?= 1
MANY_CONTACTS ?= 20000
MANY_RUNS ?= 24

.PHONY: demo test test-slow lint dev bench parse clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run: make PYTHON=python3 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The Spark engine's extra (dbt-spark, pyspark): the tests run the models on both engines.
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	@touch $(SPARK_STAMP)

parse: $(STAMP)
	$(BIN)/leadscore dbt-parse

demo: $(STAMP)
	$(BIN)/leadscore demo --contacts $(DEMO_CONTACTS) --activities-per-contact $(DEMO_ACTIVITIES) --seed 42 --as-of $(DEMO_AS_OF)
	$(BIN)/leadscore run --as-of $(DEMO_AS_OF)
	$(BIN)/leadscore top --limit 10

test: $(SPARK_STAMP) parse
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not faults and not slow" --durations=15

# Fault injection, many-run scenarios, the demo build with its outcome analyses, whole
# pipelines in subprocesses and the Spark scenarios beyond the worked examples; CI runs both.
test-slow: $(SPARK_STAMP) parse
	$(BIN)/python -m pytest -n auto --dist loadfile -m "faults or slow" --durations=15

lint: $(STAMP)
	$(BIN)/ruff check orchestration tests
	$(BIN)/ruff format --check orchestration tests
	cd dbt_project && LEADSCORE_BUILD_DB_PATH=:memory: ../$(BIN)/sqlfluff lint models macros tests --processes 2

dev: $(STAMP) parse
	$(BIN)/dagster dev

bench: $(SPARK_STAMP) parse
	$(BIN)/python tests/bench/bench.py --contacts $(BENCH_CONTACTS) --activities-per-contact $(BENCH_ACTIVITIES) --repeat $(BENCH_REPEAT)
	# The same size on Spark local[2] (a full run, its RSS and disk), next to DuckDB's figures.
	$(BIN)/python tests/bench/bench.py --engine spark --scaling $(BENCH_CONTACTS) --activities-per-contact $(BENCH_ACTIVITIES)
	$(BIN)/python tests/bench/many_runs.py --contacts $(MANY_CONTACTS) --runs $(MANY_RUNS)

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs data
