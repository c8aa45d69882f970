#!/usr/bin/env bash
# Set up everything the tests need (system packages included, when run as root), then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f scripts/asterisk-deps.sh ]; then
  bash scripts/asterisk-deps.sh
fi
bash scripts/setup.sh
# Everything but the live Asterisk tests runs on two workers; the live tests share one Asterisk, so they
# run after, in one process. Both runs always happen; the script fails if either fails.
status=0
.venv/bin/python -m pytest -n 2 -p no:cacheprovider -m "not asterisk" "$@" || status=$?
.venv/bin/python -m pytest -p no:cacheprovider -m asterisk "$@" || status=$?
exit $status
