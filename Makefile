# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
WIREWATCH := $(BIN)/wirewatch

# The test stack runs on its own ports and data folder, apart from `make run`'s.
TEST_ENV := WIREWATCH_KAFKA__BOOTSTRAP_SERVERS=127.0.0.1:19092 \
	WIREWATCH_INDEX__ELASTICSEARCH_URL=http://127.0.0.1:19200 \
	WIREWATCH_STACK__STATE_DIR=.wirewatch/test-stack \
	WIREWATCH_SERVICE__HTTP_PORT=0

.PHONY: install run stop test lint tools docs image-test lock

$(BIN)/.installed: pyproject.toml tools/pyproject.toml
	@command -v $(PYTHON) >/dev/null || { \
		echo "wirewatch needs Python 3.11: '$(PYTHON)' was not found. Install it (e.g. apt-get install python3.11 python3.11-venv) or run: make PYTHON=/path/to/python3.11 ..."; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
		echo "wirewatch needs Python 3.11; '$(PYTHON)' is $$($(PYTHON) --version). Run: make PYTHON=/path/to/python3.11 ..."; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# tools/ (the local stack, the reference generator) is a distribution of its own: the
	@# runtime wheel and the image leave it out.
	$(BIN)/pip install --quiet -e '.[dev]' -e ./tools
	touch $@

install: $(BIN)/.installed

## make run: start the local Kafka and Elasticsearch, publish the samples, run the service.
run: install
	$(WIREWATCH) stack up
	$(WIREWATCH) produce samples/articles.jsonl
	$(WIREWATCH) run

## make stop: stop the local servers started by `make run`.
stop:
	$(WIREWATCH) stack down

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## make test: install from scratch, lint, type-check, run all tests on a stack of their own,
## then build the image and run it on that stack (about 10 minutes; IMAGE_TEST=0 leaves it out).
IMAGE_TEST ?= 1
test:
	rm -f $(BIN)/.installed
	$(MAKE) install
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/mypy || status=1; \
	$(MAKE) tools || status=1; \
	trap '$(TEST_ENV) $(WIREWATCH) stack down --purge' EXIT; \
	$(TEST_ENV) $(WIREWATCH) stack up || exit 1; \
	$(TEST_ENV) CI=$${CI:-true} $(BIN)/pytest || status=1; \
	if [[ "$(IMAGE_TEST)" == 1 ]]; then $(TEST_ENV) scripts/image-test.sh || status=1; fi; \
	exit $$status

## make tools: what the deployment tests run (promtool, prometheus, docker-compose); apt-get as root.
tools:
	scripts/tools.sh promtool:prometheus prometheus:prometheus docker-compose:docker-compose

## make docs: regenerate the README's configuration reference from the settings model.
docs: install
	$(BIN)/python -m tools.reference README.md

## make lock: regenerate requirements.lock, the image's runtime dependencies pinned with their
## hashes (pip install --require-hashes), after a change of the dependencies in pyproject.toml.
## Pins still allowed are kept; LOCK_ARGS=--upgrade takes the newest allowed versions (or
## LOCK_ARGS="--upgrade-package aiohttp"). uv runs from a venv of its own, not the project's.
UV_VERSION := 0.13.9
LOCK_VENV := .wirewatch/lock-venv
lock:
	@command -v $(PYTHON) >/dev/null || { echo "make lock needs Python 3.11: run make PYTHON=/path/to/python3.11 lock"; exit 1; }
	@[[ -x $(LOCK_VENV)/bin/uv ]] && [[ "$$($(LOCK_VENV)/bin/uv --version)" == "uv $(UV_VERSION)"* ]] || { \
		rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV) && \
		$(LOCK_VENV)/bin/pip install --quiet --no-cache-dir uv==$(UV_VERSION); }
	@# The build backend too: the image builds the project without build isolation.
	$(PYTHON) -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['build-system']['requires'], sep='\n')" >$(LOCK_VENV)/build-requires.txt
	UV_NATIVE_TLS=1 $(LOCK_VENV)/bin/uv pip compile --quiet --generate-hashes \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28 \
		--custom-compile-command "make lock" $(LOCK_ARGS) \
		pyproject.toml $(LOCK_VENV)/build-requires.txt --output-file requirements.lock

## make image-test: build the image (buildah, no Docker) and run it on a test stack of its own.
image-test: install
	@trap '$(TEST_ENV) $(WIREWATCH) stack down --purge' EXIT; \
	$(TEST_ENV) $(WIREWATCH) stack up || exit 1; \
	$(TEST_ENV) scripts/image-test.sh

## make train: the learned topic classifier, enrich/data/topic_classifier/ (shipped with enrich):
## TF-IDF and logistic regression (scikit-learn) on the labelled corpus (enrich/corpus/) and the
## development snippets; the same data give the same model. Then the model's entity recogniser
## fine-tuned on the corpus's people, organisations and places, enrich/data/recogniser/ (seeded;
## about 11 minutes on two cores).
.PHONY: train crossval
train: install
	$(BIN)/python -m tools.training train
	$(BIN)/python -m tools.training recogniser

## make crossval: the classifier's 5-fold cross-validated P/R/F1 per topic, its out-of-fold
## probabilities (benchmarks/results/topic-classifier-oof.jsonl, and -oof-10.jsonl of a 10-fold
## run), and the thresholds at which the rules and the classifier decide together, chosen on
## the mean over both runs. CROSSVAL_ARGS="--seed 7".
OOF = benchmarks/results/topic-classifier-oof.jsonl
OOF_10 = benchmarks/results/topic-classifier-oof-10.jsonl
crossval: install
	$(BIN)/python -m tools.training crossval --folds 5 --oof $(OOF) $(CROSSVAL_ARGS)
	$(BIN)/python -m tools.training crossval --folds 10 --oof $(OOF_10) $(CROSSVAL_ARGS) > /dev/null
	$(BIN)/python -m tools.training decision --oof $(OOF) --oof $(OOF_10)

## make bench: P1-P5 of the service (throughput against bare nlp.pipe, pass-through against raw
## Kafka and Elasticsearch, latency at half load with 1,000 rules, memory over a long run,
## scaling), printed and written to benchmarks/results/bench-<UTC>.json, on the servers of the
## WIREWATCH_* environment (default: the stack of `make run`, started here).
## BENCH_ARGS="--articles 2000 --memory-articles 5000 --parts p1,p4 --out file.json".
.PHONY: bench
bench: install
	$(WIREWATCH) stack up
	$(WIREWATCH) bench $(BENCH_ARGS)

## make bench-match: per-article cost of in-process rule matching with 10, 1,000 and 10,000 rules.
.PHONY: bench-match
bench-match: install
	$(BIN)/python -m benchmarks.matching_cost

## make bench-enrich: enrichment docs/s as a share of bare spaCy nlp.pipe on the same texts.
.PHONY: bench-enrich
bench-enrich: install
	$(BIN)/python -m benchmarks.enrichment_throughput

## make bench-enrich-cost: enrichment time per KB of pathological articles at 10 to 200 KB
## (flat: linear in the text). BENCH_ARGS="--sizes 10 50 --kinds deals run-on".
.PHONY: bench-enrich-cost
bench-enrich-cost: install
	$(BIN)/python -m benchmarks.enrichment_cost $(BENCH_ARGS)

## make chaos: the fault suite: real `wirewatch run` processes on a stack of their own (ports
## 28092, 28200), SIGKILLs, servers stopped, frozen and restarted, a rebalance, 429s, a webhook
## down; counts by id. CHAOS_SIZE=full (5,000 articles, ES down 60 s, webhook 2 min), ci
## (default, 1,200), smoke (300). CHAOS_ARGS="--scenario sigkill" runs one scenario.
CHAOS_SIZE ?= ci
.PHONY: chaos
chaos: install
	$(BIN)/python -m tests.chaos --size $(CHAOS_SIZE) $(CHAOS_ARGS)
