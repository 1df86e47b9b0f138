#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 (packages, build) and runs every
# test: unit, bpf, system and e2e. Extra arguments go to ctest, e.g.
#   scripts/test.sh -L unit
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

"$here/scripts/install-deps.sh"
"$here/scripts/build.sh"
# Tests clean up after themselves; this only catches what a killed test left.
trap '"$here/scripts/cleanup-test-leftovers.sh"' EXIT
"$here/scripts/cleanup-test-leftovers.sh"
cd build
ctest --output-on-failure --timeout 600 "$@"
