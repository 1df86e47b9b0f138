#!/usr/bin/env bash
# The main job on a fresh machine: installs dependencies, builds, and runs the
# demo. Until the OVN integration lands, the demo starts hoverd, checks its
# REST API answers, and stops it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh"
"$here/scripts/build.sh"

run_dir=$(mktemp -d /tmp/iovisor-demo-XXXXXX)
hoverd_pid=
cleanup() {
  [ -n "$hoverd_pid" ] && kill "$hoverd_pid" 2>/dev/null && wait "$hoverd_pid" 2>/dev/null
  rm -rf "$run_dir"
}
trap cleanup EXIT INT TERM

step() { printf '\n== %s\n' "$*"; }
listen=${HOVER_LISTEN:-127.0.0.1:5002}

step "start hoverd on $listen"
"$here/build/bin/hoverd" --listen "$listen" 2>"$run_dir/hoverd.log" &
hoverd_pid=$!
for _ in $(seq 50); do
  curl -sf "http://$listen/health" >/dev/null && break
  sleep 0.1
done
step "GET /health"
curl -sf "http://$listen/health" || { echo "hoverd did not answer; log:"; cat "$run_dir/hoverd.log"; exit 1; }
echo
step "done: hoverd answered, stopping it"
