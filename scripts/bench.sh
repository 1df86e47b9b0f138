#!/usr/bin/env bash
# Sets up, builds and runs the benchmarks; each prints its figures next to
# the reference it is compared with, measured in the same run.
#   sudo scripts/bench.sh            # all
#   sudo scripts/bench.sh modules    # per-packet cost of the IOModules
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh" >/dev/null
"$here/scripts/build.sh" >/dev/null
which=${1:-all}
trap '"$here/scripts/cleanup-test-leftovers.sh" >/dev/null' EXIT
case "$which" in
  modules|all)
    echo "== IOModule per-packet cost (BPF_PROG_TEST_RUN)"
    "$here/build/bench/module_bench" "${REPEAT:-1000000}"
    ;;
  *) echo "bench.sh: unknown benchmark '$which' (modules, all)" >&2; exit 2 ;;
esac
