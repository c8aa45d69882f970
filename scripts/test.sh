#!/usr/bin/env bash
# Set up everything the tests need (system packages included, when run as root), then check the code and run
# the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f scripts/asterisk-deps.sh ]; then
  bash scripts/asterisk-deps.sh
fi
if [ -f scripts/browser-deps.sh ]; then
  bash scripts/browser-deps.sh
fi
bash scripts/setup.sh
status=0
# Static checks first (configured in pyproject.toml): the architecture contracts, the lint rules, types in core and app.
.venv/bin/lint-imports || status=$?
.venv/bin/ruff check . || status=$?
.venv/bin/ruff format --check . || status=$?
.venv/bin/mypy || status=$?
# The core's coverage floor applies to a whole run, not to a chosen test or two.
coverage=()
if [ $# -eq 0 ]; then
  coverage=(--cov=core --cov-report=term:skip-covered --cov-fail-under=95)
fi
# Everything but the live Asterisk tests runs on two workers (tests marked with one xdist_group share a worker);
# the live tests share one Asterisk, so they run after, in one process. Both runs always happen; the script
# fails if either fails.
.venv/bin/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider --durations=25 -m "not asterisk" "${coverage[@]}" "$@" \
  || status=$?
.venv/bin/python -m pytest -p no:cacheprovider --durations=10 -m asterisk "$@" || status=$?
exit $status
