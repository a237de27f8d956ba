# fastgo: `make lab` to learn, `make test` to check everything. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup lab test export bench

# OpenBLAS's own CPU detection falls back to slow SSE3 kernels on recent CPUs:
# choose the core for every target (a value you set yourself is kept).
ifeq ($(OPENBLAS_CORETYPE),)
OPENBLAS_CORETYPE := $(shell scripts/openblas-coretype -q)
export FASTGO_CORETYPE_DETECTED := $(OPENBLAS_CORETYPE)
endif
ifneq ($(OPENBLAS_CORETYPE),)
export OPENBLAS_CORETYPE
endif

# The Go tools (gonb, goimports, gopls) live in .cache/bin.
export PATH := $(CURDIR)/.cache/bin:$(PATH)

help:
	@echo "make setup   install what is missing: .venv (JupyterLab), Go tools, the GoNB kernel, Debian packages"
	@echo "make lab     setup, then JupyterLab on notebooks/ at 127.0.0.1:\$${PORT:-8888} (PORT=... to change)"
	@echo "make test    setup, then go vet, go test, the exporter's -check and the end-to-end tests"
	@echo "make export  export the notebooks' tagged cells into the Go packages"
	@echo "make bench   setup, then the side-by-side benchmark against PyTorch 1.13, PyTorch 2 and JAX (bench/README.md)"

setup:
	@scripts/setup

lab: setup
	@scripts/lab

test: setup
	@scripts/test

export:
	go run ./exporter

bench: setup
	@if [ -x bench/run ]; then bench/run; else echo "bench/run does not exist yet" >&2; exit 1; fi
