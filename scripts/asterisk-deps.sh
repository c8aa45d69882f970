#!/usr/bin/env bash
# Install the host packages that the local development Asterisk and its tests need.
#
#   debootstrap            builds the Debian sid root that carries Asterisk
#                          (Debian 12 itself has no asterisk package)
#   debian-archive-keyring verifies the sid Release file during debootstrap
#   sip-tester             SIPp (binary `sipp`): callers and agents in the tests
#   util-linux, coreutils  mount/umount/mountpoint, chroot
#
# Idempotent and non-interactive: safe to run from CI as root, and again and again.
# `apt-get update` is only run when a package is actually missing.
set -euo pipefail

PACKAGES=(debootstrap debian-archive-keyring sip-tester util-linux coreutils ca-certificates)

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo -E "$0" "$@"
    fi
    echo "asterisk-deps: must run as root (or with sudo available)" >&2
    exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "asterisk-deps: all present (${PACKAGES[*]})"
else
    echo "asterisk-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

echo "asterisk-deps: debootstrap $(dpkg-query -W -f='${Version}' debootstrap), sipp: $(command -v sipp)"
