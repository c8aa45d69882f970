#!/usr/bin/env bash
# Set up everything the tests need (system packages included, when run as root), then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f scripts/asterisk-deps.sh ]; then
  bash scripts/asterisk-deps.sh
fi
bash scripts/setup.sh
exec .venv/bin/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider "$@"
