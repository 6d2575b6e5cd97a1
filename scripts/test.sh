#!/usr/bin/env bash
# Install (Python packages into .venv, Debian's chromium if missing), then run the whole test suite
# (offline: every crawl replays WARC fixtures or talks to 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
bash scripts/bootstrap.sh
# The static checks fail the run before the tests (configured in pyproject.toml).
.venv/bin/ruff check --quiet newscrawl tests benchmarks
.venv/bin/ruff format --check --quiet newscrawl tests benchmarks
.venv/bin/mypy
.venv/bin/lint-imports --no-cache >/dev/null || .venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest "$@"
