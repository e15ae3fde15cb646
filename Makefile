# The README's two commands are `make run` and `make test`; both set up what they need.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
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

# ruff on the folders; import-linter (the floors' contract in pyproject.toml) and mypy on the import
# root laid out as the wheel installs it (scripts/package-tree.py; mypy's paths mapped back).
lint: setup-full
	$(VENV)/ruff check awal asr tts demo data_manifests bench tests scripts
	$(VENV)/python scripts/package-tree.py build/package-tree
	cd build/package-tree && ../../$(VENV)/lint-imports ../../pyproject.toml
	cd build/package-tree && ../../$(VENV)/mypy --config-file ../../pyproject.toml --cache-dir ../../.mypy_cache awal \
		$(addprefix ../../bench/,text.py prepare.py batch.py streaming.py tts.py soak.py) | $(UNTREE)

# mypy's paths inside build/package-tree -> the checkout's folders
UNTREE := sed -E 's,^awal/asr/,asr/,; s,^awal/tts/,tts/,; s,^awal/data/,data_manifests/,; s,^awal/demo/,demo/,; s,^\.\./\.\./,,'

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
