#!/usr/bin/env bash
# Install the npm packages the tests read the exports with into .node/ (ignored by git), or
# say clearly what is missing:
#   webvtt-parser   the W3C WebVTT validator's parser (strict), for the VTT exports
# The version is pinned: a reader that changes under the tests is not independent evidence.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=.node
want=(webvtt-parser@2.2.0)

installed() {  # name@version is in .node/node_modules at that version
  local name=${1%@*} version=${1##*@}
  local manifest="$prefix/node_modules/$name/package.json"
  [ -f "$manifest" ] && grep -q "\"version\": \"$version\"" "$manifest"
}

missing=()
for package in "${want[@]}"; do
  installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: run scripts/ensure-system.sh test (or install nodejs and npm)." >&2
  exit 1
fi
echo "Installing npm packages into $prefix/: ${missing[*]}" >&2
mkdir -p "$prefix"
if ! npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error "${missing[@]}" >&2; then
  echo "Could not install ${missing[*]} with npm into $prefix/ (is the npm registry reachable?)." >&2
  exit 1
fi
