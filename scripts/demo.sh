#!/usr/bin/env bash
# Set up, then simulate tonight's 60-minute live program in the twin (SQLite-free, no PBX needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/hotline simulate scenarios/live_program.yaml --compare-analytic "$@"
