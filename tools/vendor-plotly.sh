#!/usr/bin/env bash
# Build the partial plotly.js bundle the static book ships, from plotly.js's own npm package.
#
#   tools/vendor-plotly.sh            build, check, write sphinx_ext/gtt_sphinx/assets/plotly.min.js
#   tools/vendor-plotly.sh --check    only check the vendored file against plotly.lock
#
# The bundle holds plotly.js's core (with the scatter trace) plus the trace types in TRACES:
# every type a book figure uses (tests/test_gtt_sphinx.py and tests/test_browser.py fail when a
# figure uses another; add it here and re-run). 1.2 MB instead of the full bundle's 4.8 MB (and
# of plotly.js-cartesian-dist-min's 1.5 MB). Its version must be the plotly.js that the pinned
# Python plotly bundles (plotly.offline.get_plotlyjs_version()), so figures look the same in the
# book and in JupyterLab: the script reads that version from .venv. It is built the way
# plotly.js builds its own partial bundles (lib/core + lib/<trace>, esbuild, iife "Plotly"),
# with npm's ordinary client; the result is committed, so the book builds offline on a fresh
# clone without node or npm. Version and sha256 are recorded in plotly.lock.
set -euo pipefail
cd "$(dirname "$0")/.."
TRACES=(heatmap contour)
ESBUILD=0.28.2
ASSETS=sphinx_ext/gtt_sphinx/assets
LOCK=$ASSETS/plotly.lock
PYTHON=${PYTHON:-.venv/bin/python}

version=$("$PYTHON" -c "import plotly.offline as o; print(o.get_plotlyjs_version())")

if [[ "${1:-}" == "--check" ]]; then
  want=$(awk '$1 == "sha256" {print $2}' "$LOCK")
  have=$(sha256sum "$ASSETS/plotly.min.js" | cut -d' ' -f1)
  locked=$(awk '$1 == "version" {print $2}' "$LOCK")
  [[ "$want" == "$have" ]] || { echo "sha256 mismatch: $have, lock says $want"; exit 1; }
  [[ "$locked" == "$version" ]] || { echo "bundle $locked, Python plotly bundles $version"; exit 1; }
  echo "ok: plotly.js $locked (scatter ${TRACES[*]}), sha256 $have"
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
  # plotly.js's esbuild settings (esbuild-config.js); the maplibre stylesheet core drags in is
  # left out (no map traces).
  node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --global-name=Plotly \
    --define:global=window --define:define.amd=false --target=es2016 \
    --alias:stream=stream-browserify --log-level=warning \
    --banner:js="/** plotly.js (gtt partial bundle: scatter ${TRACES[*]} - minified) v$version | MIT license, Copyright 2012-2026 Plotly, Inc. */" \
    --outfile=plotly.min.js
  cp node_modules/plotly.js/LICENSE plotly.LICENSE
)
cp "$tmp/plotly.min.js" "$ASSETS/plotly.min.js"
cp "$tmp/plotly.LICENSE" "$ASSETS/plotly.LICENSE"
sum=$(sha256sum "$ASSETS/plotly.min.js" | cut -d' ' -f1)
printf 'package plotly.js\nversion %s\ntraces scatter %s\nesbuild %s\nsha256 %s\n' \
  "$version" "${TRACES[*]}" "$ESBUILD" "$sum" > "$LOCK"
echo "vendored plotly.js $version (scatter ${TRACES[*]}, $(wc -c < "$ASSETS/plotly.min.js") bytes), sha256 $sum"
