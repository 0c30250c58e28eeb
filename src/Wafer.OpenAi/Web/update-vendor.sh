#!/usr/bin/env bash
# Re-vendors the dashboard's chart library from the npm registry (run by hand; the build never downloads anything).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
version="${1:-1.6.32}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "uplot@$version" >/dev/null && tar xzf "uplot-$version.tgz")
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" "$tmp/package/LICENSE" assets/vendor/uplot/
sed -i "s/uPlot [0-9.]*/uPlot $version/; s/uplot@[0-9.]*/uplot@$version/" assets/vendor/uplot/PROVENANCE.md
echo "uPlot $version vendored into assets/vendor/uplot"
