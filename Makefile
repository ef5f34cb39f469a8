# absensi wajah: the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test test-rust test-sqlite test-mysql e2e frontend release help

help:
	@echo "make run    build the web app and start the server on http://127.0.0.1:8080 (SQLite, no setup)"
	@echo "make test   every test: Rust unit + API tests on SQLite and on MariaDB, then the browser tests"

## Build the SPA (installing trunk & co. once when missing), then migrate and serve.
run: frontend
	$(CARGO) run -p backend -- serve

frontend:
	frontend/build.sh

## Every test. MariaDB is started when it is not running; each run uses fresh databases.
test: test-rust e2e

test-rust: test-sqlite test-mysql

test-sqlite:
	backend/scripts/ensure-poppler.sh
	$(CARGO) test --workspace

# `--workspace` everywhere: one set of dependency features, so the crates compiled for test-sqlite are
# reused (`-p backend` resolves other features and compiles every dependency again).
test-mysql:
	backend/scripts/ensure-poppler.sh
	backend/scripts/ensure-mariadb.sh
	TEST_DB=mysql $(CARGO) test --workspace --test api

## Browser tests: real Debian chromium (installed when missing) driven by playwright-core.
e2e: frontend
	$(CARGO) test --workspace --no-run
	frontend/e2e/run.sh

## Optimised server binary for production (target/release/backend).
release: frontend
	$(CARGO) build --release -p backend
