#!/usr/bin/env bash
# Install the host packages that the local development Asterisk and its tests need.
#
#   debootstrap            builds the Debian sid root that carries Asterisk
#                          (Debian 12 itself has no asterisk package)
#   debian-archive-keyring verifies the sid Release file during debootstrap
#   sip-tester             SIPp (binary `sipp`): callers and agents in the tests
#   util-linux, coreutils  mount/umount/mountpoint, chroot
#
# Idempotent and non-interactive: safe to run from CI as root, and again and again (scripts/apt-install.sh).
set -euo pipefail
cd "$(dirname "$0")"
bash ./apt-install.sh asterisk-deps debootstrap debian-archive-keyring sip-tester util-linux coreutils ca-certificates
echo "asterisk-deps: debootstrap $(dpkg-query -W -f='${Version}' debootstrap), sipp: $(command -v sipp)"
