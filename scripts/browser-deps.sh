#!/usr/bin/env bash
# Install the browser the page tests drive: Debian's Chromium (Playwright from PyPI drives it through
# executable_path; no tool downloads a browser of its own) and Noto CJK fonts, so Chinese labels render.
#
# Idempotent and non-interactive: safe to run from CI as root, and again and again.
# `apt-get update` is only run when a package is actually missing.
set -euo pipefail

PACKAGES=(chromium fonts-noto-cjk)

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo -E "$0" "$@"
    fi
    echo "browser-deps: must run as root (or with sudo available)" >&2
    exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "browser-deps: all present (${PACKAGES[*]})"
else
    echo "browser-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

echo "browser-deps: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium missing')"
