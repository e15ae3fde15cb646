# The README's two commands are `make run` and `make test`; both set up what they need.
SHELL := /bin/bash
VENV := .venv/bin
# What the whole test suite needs: everything (NeMo's and Lhotse's manifest readers are
# part of the tests). tests/test_setup.py reads this line.
TEST_EXTRAS := train,demo,dev
export AWAL_CACHE_DIR ?= $(CURDIR)/.cache

.PHONY: setup setup-dev setup-full run test lint bench bench-asr bench-tts clean

# What the main job and the demo need: faster-whisper, onnxruntime, Gradio and the bundled models
# (the serve and demo extras).
setup:
	scripts/setup.sh serve,demo

setup-dev:
	scripts/setup.sh dev

setup-full:
	scripts/setup.sh $(TEST_EXTRAS)

# The main job on the bundled samples.
run: setup
	scripts/main-job.sh

test: setup-full lint
	$(VENV)/python -m pytest $(PYTEST_ARGS)

lint: setup-full
	$(VENV)/ruff check awal asr tts demo data_manifests bench tests
	$(VENV)/mypy
	$(VENV)/mypy bench/text.py
	$(VENV)/mypy bench/prepare.py
	$(VENV)/mypy bench/batch.py
	$(VENV)/mypy bench/streaming.py
	$(VENV)/mypy bench/tts.py

bench: setup-dev
	$(VENV)/python bench/text.py ../shared/data
	$(VENV)/python bench/prepare.py ../shared/data

# ASR serving (minutes each; needs the train extra for the transformers row)
bench-asr: setup-full
	$(VENV)/python bench/batch.py ../shared/data
	$(VENV)/python bench/streaming.py ../shared/data

# Synthesis on one thread against Piper (the bench extra: piper-tts and its one voice on PyPI)
bench-tts: setup-full
	scripts/setup.sh $(TEST_EXTRAS),bench
	$(VENV)/python bench/tts.py ../shared/data

clean:
	rm -rf .venv .cache .pytest_cache .hypothesis .mypy_cache .ruff_cache
