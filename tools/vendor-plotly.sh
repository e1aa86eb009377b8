#!/usr/bin/env bash
# Build the partial plotly.js bundle the static book ships, from plotly.js's own npm package.
#
#   tools/vendor-plotly.sh            build, check, write sphinx_ext/gtt_sphinx/assets/plotly.min.js
#   tools/vendor-plotly.sh --check    only check the vendored file against plotly.lock
#
# Two bundles: plotly.min.js holds plotly.js's core (with the scatter trace) plus the trace types
# in TRACES, every type a book figure uses (tests/test_gtt_sphinx.py and tests/test_browser.py
# fail when a figure uses another; add it here and re-run), 1.15 MB instead of the full bundle's
# 4.8 MB (and of plotly.js-cartesian-dist-min's 1.5 MB); plotly-scatter.min.js is the core alone
# (1.11 MB), for the pages whose figures are all scatter traces (gtt_sphinx.plotly_mime picks). Its version must be the plotly.js that the pinned
# Python plotly bundles (plotly.offline.get_plotlyjs_version()), so figures look the same in the
# book and in JupyterLab: the script reads that version from .venv. It is built the way
# plotly.js builds its own partial bundles (lib/core + lib/<trace>, esbuild, iife "Plotly"),
# with npm's ordinary client; the result is committed, so the book builds offline on a fresh
# clone without node or npm. Version and sha256 are recorded in plotly.lock.
set -euo pipefail
cd "$(dirname "$0")/.."
TRACES=(heatmap)
ESBUILD=0.28.2
ASSETS=sphinx_ext/gtt_sphinx/assets
LOCK=$ASSETS/plotly.lock
PYTHON=${PYTHON:-.venv/bin/python}

version=$("$PYTHON" -c "import plotly.offline as o; print(o.get_plotlyjs_version())")

if [[ "${1:-}" == "--check" ]]; then
  locked=$(awk '$1 == "version" {print $2}' "$LOCK")
  [[ "$locked" == "$version" ]] || { echo "bundle $locked, Python plotly bundles $version"; exit 1; }
  for f in plotly.min.js plotly-scatter.min.js; do
    want=$(awk -v f="$f" '$1 == "sha256" && $3 == f {print $2}' "$LOCK")
    have=$(sha256sum "$ASSETS/$f" | cut -d' ' -f1)
    [[ "$want" == "$have" ]] || { echo "$f: sha256 $have, lock says $want"; exit 1; }
  done
  echo "ok: plotly.js $locked bundles match $LOCK"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(
  cd "$tmp"
  npm init -y >/dev/null
  npm install --silent --no-audit --no-fund --ignore-scripts "plotly.js@$version" "esbuild@$ESBUILD"
  {
    echo "var Plotly = require('plotly.js/lib/core');"
    echo "Plotly.register(["
    for t in "${TRACES[@]}"; do echo "  require('plotly.js/lib/$t'),"; done
    echo "]);"
    echo "module.exports = Plotly;"
  } > entry.js
  echo "module.exports = require('plotly.js/lib/core');" > core.js
  # plotly.js's esbuild settings (esbuild-config.js); the maplibre stylesheet core drags in is
  # left out (no map traces).
  build() {  # entry, traces, output
    node_modules/.bin/esbuild "$1" --bundle --minify --format=iife --global-name=Plotly \
      --define:global=window --define:define.amd=false --target=es2016 \
      --alias:stream=stream-browserify --log-level=warning \
      --banner:js="/** plotly.js (gtt partial bundle: $2 - minified) v$version | MIT license, Copyright 2012-2026 Plotly, Inc. */" \
      --outfile="$3"
  }
  build entry.js "scatter ${TRACES[*]}" plotly.min.js
  build core.js "scatter" plotly-scatter.min.js
  cp node_modules/plotly.js/LICENSE plotly.LICENSE
)
cp "$tmp/plotly.min.js" "$tmp/plotly-scatter.min.js" "$ASSETS/"
cp "$tmp/plotly.LICENSE" "$ASSETS/plotly.LICENSE"
{
  printf 'package plotly.js\nversion %s\ntraces scatter %s\nesbuild %s\n' \
    "$version" "${TRACES[*]}" "$ESBUILD"
  for f in plotly.min.js plotly-scatter.min.js; do
    printf 'sha256 %s %s\n' "$(sha256sum "$ASSETS/$f" | cut -d' ' -f1)" "$f"
  done
} > "$LOCK"
cat "$LOCK"
