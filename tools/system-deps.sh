#!/usr/bin/env bash
# Install what pip cannot, quietly and only when missing:
# - Debian's Chromium, for the browser tests;
# - axe-core (the accessibility audit the browser tests run on every page) from the npm
#   registry, pinned, into tools/node/ (git-ignored). npm comes from Debian if it is missing.
set -euo pipefail
AXE_VERSION=4.14.1
HERE="$(cd "$(dirname "$0")" && pwd)"
AXE="$HERE/node/node_modules/axe-core/axe.min.js"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "Missing: ${need_apt[*]}, and this user cannot install it. Run: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
  echo "installing Debian's ${need_apt[*]} for the browser tests (once)..."
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
  command -v chromium >/dev/null
fi

installed=""
if [ -f "$HERE/node/node_modules/axe-core/package.json" ]; then
  installed="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$HERE/node/node_modules/axe-core/package.json" | head -1)"
fi
if [ "$installed" != "$AXE_VERSION" ] || [ ! -f "$AXE" ]; then
  echo "installing axe-core $AXE_VERSION for the accessibility audit (once)..."
  mkdir -p "$HERE/node"
  npm install --silent --no-audit --no-fund --no-save --prefix "$HERE/node" "axe-core@$AXE_VERSION" >/dev/null
  test -f "$AXE"
fi
