#!/usr/bin/env bash
# Install noVNC's npm package (its decoders are bench/decode.py's peer column) into .bench/novnc,
# an ignored folder. Needs Node.js and npm; bench/decode.py runs without them, saying the
# noVNC column is missing.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=${NOVNC_VERSION:-1.7.0}
if ! command -v npm >/dev/null; then
    echo "setup-novnc: npm is missing (install Node.js 20 or newer, with npm)" >&2
    exit 1
fi
mkdir -p "$repo/.bench/novnc"
cd "$repo/.bench/novnc"
npm install --no-audit --no-fund --silent "@novnc/novnc@$version"
echo "noVNC $version in $repo/.bench/novnc/node_modules/@novnc/novnc"
