#!/usr/bin/env bash
# A complete local OVN chassis for the demo and the end-to-end tests, from
# Debian's packages and our build: OVN NB + SB ovsdb-servers, ovn-northd, a
# local Open_vSwitch database (no ovs-vswitchd), hoverd and iovisor-ovnd.
# Everything lives in DIR and is stopped by PID from its pidfile.
#
#   ovn-sandbox.sh start DIR [HOVER_PORT]   then: . DIR/env  (ovn-nbctl, ovs-vsctl just work)
#   ovn-sandbox.sh stop DIR
#   ovn-sandbox.sh restart DIR ovnsb|ovnnb|ovnd|hoverd   (stop by PID, start again on the same state)
#
# IMPL=reference runs the real ovn-controller + ovs-vswitchd (userspace
# datapath) instead of hoverd + iovisor-ovnd: the reference for benchmarks.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
cmd=${1:?usage: ovn-sandbox.sh start|stop DIR [HOVER_PORT]}
dir=${2:?usage: ovn-sandbox.sh start|stop DIR [HOVER_PORT]}

need() { command -v "$1" >/dev/null || { echo "ovn-sandbox: '$1' missing: apt-get install $2 (scripts/install-deps.sh)" >&2; exit 1; }; }

stop_pid() {  # name
  local pidfile=$dir/$1.pid
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

start_db() {  # name schema socket
  [ -f "$dir/$1.db" ] || ovsdb-tool create "$dir/$1.db" "$2"
  ovsdb-server "$dir/$1.db" --remote="punix:$dir/$3" --pidfile="$dir/$1.pid" --log-file="$dir/$1.log" \
    --unixctl="$dir/$1.ctl" --detach --no-chdir
}

wait_for() {  # description command...
  local what=$1; shift
  for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "ovn-sandbox: $what did not come up" >&2
  return 1
}

start_hoverd() {
  local port instance
  port=$(cat "$dir/hover_port"); instance=$(cat "$dir/instance")
  "$build/bin/hoverd" --listen "127.0.0.1:$port" --instance "$instance" --state-dir "$dir/hoverd" \
    --pidfile "$dir/hoverd.pid" >>"$dir/hoverd.log" 2>&1 </dev/null &
  wait_for hoverd curl -sf "http://127.0.0.1:$port/health"
}

start_ovnd() {
  # shellcheck disable=SC2086  # OVND_FLAGS: extra flags, split on purpose
  "$build/bin/iovisor-ovnd" --ovs-db "unix:$dir/db.sock" --ovnnb-db "unix:$dir/ovnnb_db.sock" \
    --hover "http://127.0.0.1:$(cat "$dir/hover_port")" --pidfile "$dir/ovnd.pid" --debug-socket "$dir/ovnd.sock" ${OVND_FLAGS:-} >>"$dir/ovnd.log" 2>&1 </dev/null &
  wait_for iovisor-ovnd test -s "$dir/ovnd.pid"
}

case "$cmd" in
start)
  need ovsdb-server openvswitch-switch; need ovn-northd ovn-central; need ovs-vsctl openvswitch-switch
  [ -x "$build/bin/hoverd" ] || { echo "ovn-sandbox: build first (scripts/build.sh)" >&2; exit 1; }
  port=${3:-5002}
  instance=sandbox$$
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  echo "$instance" > "$dir/instance"
  start_db ovnnb /usr/share/ovn/ovn-nb.ovsschema ovnnb_db.sock
  start_db ovnsb /usr/share/ovn/ovn-sb.ovsschema ovnsb_db.sock
  start_db ovs /usr/share/openvswitch/vswitch.ovsschema db.sock
  ovn-northd --ovnnb-db="unix:$dir/ovnnb_db.sock" --ovnsb-db="unix:$dir/ovnsb_db.sock" \
    --pidfile="$dir/northd.pid" --log-file="$dir/northd.log" --unixctl="$dir/northd.ctl" --detach --no-chdir
  cat > "$dir/env" <<ENV
export OVN_RUNDIR=$dir OVS_RUNDIR=$dir
export OVN_NB_DB=unix:$dir/ovnnb_db.sock OVN_SB_DB=unix:$dir/ovnsb_db.sock
export HOVER_URL=http://127.0.0.1:$port IOVISOR_OVND_SOCKET=$dir/ovnd.sock
ENV
  export OVN_RUNDIR=$dir OVS_RUNDIR=$dir
  ovs-vsctl --no-wait init
  ovs-vsctl --no-wait set open . external_ids:system-id=chassis-$instance \
    external_ids:ovn-remote="unix:$dir/ovnsb_db.sock" external_ids:ovn-encap-type=geneve \
    external_ids:ovn-encap-ip=127.0.0.1 external_ids:hostname="$(hostname)"
  ovs-vsctl --no-wait add-br br-int
  echo "$port" > "$dir/hover_port"
  if [ "${IMPL:-iovisor}" = reference ]; then
    need ovs-vswitchd openvswitch-switch; need ovn-controller ovn-host
    ovs-vsctl --no-wait set open . external_ids:ovn-bridge-datapath-type=netdev
    ovs-vsctl --no-wait set bridge br-int datapath_type=netdev fail_mode=secure
    ovs-vswitchd "unix:$dir/db.sock" --pidfile="$dir/vswitchd.pid" --log-file="$dir/vswitchd.log" \
      --unixctl="$dir/vswitchd.ctl" --detach --no-chdir
    ovn-controller "unix:$dir/db.sock" --pidfile="$dir/controller.pid" --log-file="$dir/controller.log" \
      --detach --no-chdir
  else
    start_hoverd
    start_ovnd
  fi
  wait_for "iovisor-ovnd's Chassis" sh -c "ovn-sbctl --db=unix:$dir/ovnsb_db.sock --bare --columns=name list Chassis | grep -q ."
  ;;
restart)
  dir=$(cd "$dir" && pwd)
  what=${3:?restart what: ovnsb, ovnnb, ovnd or hoverd}
  stop_pid "$what"
  case "$what" in
    ovnnb) start_db ovnnb /usr/share/ovn/ovn-nb.ovsschema ovnnb_db.sock ;;
    ovnsb) start_db ovnsb /usr/share/ovn/ovn-sb.ovsschema ovnsb_db.sock ;;
    ovnd) start_ovnd ;;
    hoverd) start_hoverd ;;
    *) echo "ovn-sandbox: cannot restart '$what'" >&2; exit 2 ;;
  esac
  ;;
stop)
  [ -d "$dir" ] || exit 0
  for name in ovnd hoverd controller vswitchd northd ovs ovnsb ovnnb; do stop_pid "$name"; done
  if [ -f "$dir/instance" ]; then rm -rf "/sys/fs/bpf/iovisor/$(cat "$dir/instance")"; fi
  rm -rf "$dir"
  ;;
*) echo "usage: ovn-sandbox.sh start|stop DIR [HOVER_PORT]" >&2; exit 2 ;;
esac
