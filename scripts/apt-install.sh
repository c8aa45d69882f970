#!/usr/bin/env bash
# Install Debian packages the project needs: `apt-install.sh LABEL PACKAGE...`. Idempotent and
# non-interactive (safe from CI as root, again and again); `apt-get update` runs only when a package is missing.
set -euo pipefail

label=$1
shift
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo -E "$0" "$label" "$@"
    fi
    echo "$label: must run as root (or with sudo available)" >&2
    exit 1
fi

missing=()
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "$label: all present ($*)"
else
    echo "$label: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
