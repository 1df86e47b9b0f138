# shellcheck shell=bash
# What the shell e2e tests (tls_test.sh, raft_test.sh) share: preconditions,
# `check`, the chassis under test and its cleanup. Source it with `here`
# (the repository) set; then set `work` (the test's directory) and `vms`.
# shellcheck disable=SC2154

failures=0
vms=()

# Root, and each tool:package given, or the test fails saying what to install.
need_root_and_tools() {  # tool:package...
  [ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (network namespaces, eBPF): run with sudo"; exit 1; }
  local tool
  for tool in "$@"; do
    command -v "${tool%%:*}" >/dev/null || { echo "FAIL: ${tool%%:*} missing: apt-get install ${tool#*:}"; exit 1; }
  done
}

check() {  # description command...
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then echo "ok: $what"; return 0; fi
  echo "FAIL: $what"; failures=$((failures + 1)); return 1
}

chassis() { "$here/scripts/iovisor-chassis.sh" --conf "$work/chassis.env" "$@"; }

# The logs when something failed, then the VMs, the chassis and every daemon
# of $work/*.pid go, and $work with them.
e2e_cleanup() {  # exit status of the test
  local vm pidfile log
  set +e
  if [ "$failures" -ne 0 ] || [ "$1" -ne 0 ]; then
    for log in "$work"/*.log "$work"/run/*.log; do [ -s "$log" ] && { echo "--- $log"; tail -15 "$log"; }; done
  fi
  for vm in "${vms[@]}"; do ip netns del "$vm"; ip link del "${vm}h"; done 2>/dev/null
  chassis stop all >/dev/null 2>&1
  chassis clean >/dev/null 2>&1
  for pidfile in "$work"/*.pid; do [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; done
  rm -rf "$work"
}
