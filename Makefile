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

# With Debian's libopenblas-dev, pkg/tensor multiplies through OpenBLAS (cgo);
# otherwise through gonum's pure-Go BLAS. `make test` runs both when it can.
OPENBLAS := $(shell scripts/openblas-available && echo yes)
GOTAGS := $(if $(OPENBLAS),-tags=openblas)

# The Go tools (gonb, goimports, gopls) live in .cache/bin.
export PATH := $(CURDIR)/.cache/bin:$(PATH)

help:
	@echo "make setup   install what is missing: .venv (JupyterLab), Go tools, the GoNB kernel, OpenBLAS, Chromium"
	@echo "make lab     setup, then JupyterLab on notebooks/ at 127.0.0.1:\$${PORT:-8888} (PORT=... to change)"
	@echo "make test    setup, then go vet, go test, the exporter's -check and the end-to-end tests"
	@echo "make export  export the notebooks' tagged cells into the Go packages"
	@echo "make bench   setup, then the side-by-side benchmark against PyTorch"

setup:
	@scripts/setup

lab: setup
	@scripts/lab

test: setup
	go vet $(GOTAGS) ./...
	go test $(GOTAGS) ./...
ifneq ($(OPENBLAS),)
	@# The default build (no tag) is what a learner without OpenBLAS gets: test it too.
	@if [ -d pkg/tensor ]; then echo "go test ./pkg/tensor/... (pure-Go BLAS)"; go vet ./pkg/tensor/... && go test ./pkg/tensor/...; fi
endif
	@if [ -d exporter ]; then echo "go run ./exporter -check"; go run ./exporter -check; else echo "no exporter/ yet: skipping go run ./exporter -check"; fi
	.venv/bin/pytest tests/

export:
	go run ./exporter

bench: setup
	@if [ -x bench/run ]; then bench/run; else echo "bench/run does not exist yet" >&2; exit 1; fi
