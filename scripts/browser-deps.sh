#!/usr/bin/env bash
# Install the browser the page tests drive: Debian's Chromium (Playwright from PyPI drives it through
# executable_path; no tool downloads a browser of its own) and Noto CJK fonts, so Chinese labels render.
#
# Idempotent and non-interactive: safe to run from CI as root, and again and again (scripts/apt-install.sh).
set -euo pipefail
cd "$(dirname "$0")"
bash ./apt-install.sh browser-deps chromium fonts-noto-cjk
echo "browser-deps: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium missing')"
