#!/usr/bin/env bash
# Install what pip cannot: Debian's Chromium for the browser tests. Quiet, and only when missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "Chromium is missing and this user cannot install it. Run: sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "installing Debian's chromium for the browser tests (once)..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
