#!/usr/bin/env bash
# A complete local OVN for the demo and the end-to-end tests, from Debian's
# packages and our build: OVN NB + SB ovsdb-servers and ovn-northd, plus one
# chassis brought up by scripts/iovisor-chassis.sh (a local Open_vSwitch
# database without ovs-vswitchd, hoverd and iovisor-ovnd).
# Everything lives in DIR and is stopped by PID from its pidfile.
#
#   ovn-sandbox.sh start DIR   then: . DIR/env  (ovn-nbctl, ovs-vsctl, iovisorctl just work;
#                              hoverd's API: curl --unix-socket "$HOVER_SOCKET" http://hoverd/...)
#   ovn-sandbox.sh stop DIR
#   ovn-sandbox.sh restart DIR ovnsb|ovnnb|ovnd|hoverd|datapath   (stop by PID, start again on the
#                                 same state; with IMPL=reference ovnd is ovn-controller, datapath ovs-vswitchd)
#
# IMPL=reference runs the real ovn-controller + ovs-vswitchd (userspace
# datapath) instead of hoverd + iovisor-ovnd: the reference for benchmarks.
# IMPL=none starts OVN only, no chassis.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/daemon.sh
. "$here/scripts/lib/daemon.sh"
build=${BUILD_DIR:-$here/build}
cmd=${1:?usage: ovn-sandbox.sh start|stop DIR}
dir=${2:?usage: ovn-sandbox.sh start|stop DIR}

need() { command -v "$1" >/dev/null || { echo "ovn-sandbox: '$1' missing: apt-get install $2 (scripts/install-deps.sh)" >&2; exit 1; }; }

stop_pid() { stop_pidfile "$dir/$1.pid"; }  # name

start_db() {  # name schema socket
  [ -f "$dir/$1.db" ] || ovsdb-tool create "$dir/$1.db" "$2"
  ovsdb-server "$dir/$1.db" --remote="punix:$dir/$3" --pidfile="$dir/$1.pid" --log-file="$dir/$1.log" \
    --unixctl="$dir/$1.ctl" --detach --no-chdir -vconsole:off
}

reference() { [ "$(cat "$dir/impl" 2>/dev/null)" = reference ]; }  # the sandbox's chassis is OVN's own

# The reference's controller and datapath (IMPL=reference), at the niceness
# ovn-ctl and ovs-ctl give them, which is the one iovisor-chassis.sh gives
# ours (IOVISOR_OVN_NICE, so that a change of it applies to both).
start_ovn_controller() {
  OVN_RUNDIR=$dir OVS_RUNDIR=$dir nice -n "${IOVISOR_OVN_NICE:--10}" ovn-controller "unix:$dir/db.sock" --pidfile="$dir/controller.pid" \
    --log-file="$dir/controller.log" --detach --no-chdir -vconsole:off
}

start_vswitchd() {
  nice -n "${IOVISOR_OVN_NICE:--10}" ovs-vswitchd "unix:$dir/db.sock" --pidfile="$dir/vswitchd.pid" --log-file="$dir/vswitchd.log" \
    --unixctl="$dir/vswitchd.ctl" --detach --no-chdir -vconsole:off
}

# The chassis half (local Open_vSwitch DB, hoverd, iovisor-ovnd) is
# scripts/iovisor-chassis.sh, the script the DevStack plugin runs; its
# settings for this sandbox are kept in DIR/chassis.env.
chassis() { "$here/scripts/iovisor-chassis.sh" --conf "$dir/chassis.env" "$@"; }

case "$cmd" in
start)
  need ovsdb-server openvswitch-switch; need ovn-northd ovn-central; need ovs-vsctl openvswitch-switch
  [ -x "$build/bin/hoverd" ] || { echo "ovn-sandbox: build first (scripts/build.sh)" >&2; exit 1; }
  instance=sandbox$$
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  start_db ovnnb /usr/share/ovn/ovn-nb.ovsschema ovnnb_db.sock
  start_db ovnsb /usr/share/ovn/ovn-sb.ovsschema ovnsb_db.sock
  ovn-northd --ovnnb-db="unix:$dir/ovnnb_db.sock" --ovnsb-db="unix:$dir/ovnsb_db.sock" \
    --pidfile="$dir/northd.pid" --log-file="$dir/northd.log" --unixctl="$dir/northd.ctl" --detach --no-chdir -vconsole:off
  cat > "$dir/env" <<ENV
export OVN_RUNDIR=$dir OVS_RUNDIR=$dir
export OVN_NB_DB=unix:$dir/ovnnb_db.sock OVN_SB_DB=unix:$dir/ovnsb_db.sock
export HOVER_URL=unix:$dir/hoverd.sock HOVER_SOCKET=$dir/hoverd.sock IOVISOR_OVND_SOCKET=$dir/ovnd.sock
ENV
  cat > "$dir/chassis.env" <<ENV
IOVISOR_OVN_SB_REMOTE=unix:$dir/ovnsb_db.sock
IOVISOR_OVN_NB_REMOTE=unix:$dir/ovnnb_db.sock
IOVISOR_OVN_OVS_DB=unix:$dir/db.sock
IOVISOR_OVN_SYSTEM_ID=chassis-$instance
IOVISOR_OVN_INSTANCE=$instance
IOVISOR_OVN_RUNDIR=$dir
IOVISOR_OVN_STATE_DIR=$dir/chassis
IOVISOR_OVN_BIN_DIR=$build/bin
IOVISOR_OVND_FLAGS="${OVND_FLAGS:-}"
ENV
  echo "${IMPL:-iovisor}" > "$dir/impl"  # what restart starts again
  if [ "${IMPL:-iovisor}" = none ]; then
    :  # OVN only: the DevStack plugin test brings its own chassis
  elif [ "${IMPL:-iovisor}" = reference ]; then
    need ovs-vswitchd openvswitch-switch; need ovn-controller ovn-host
    chassis start ovsdb
    chassis configure
    export OVN_RUNDIR=$dir OVS_RUNDIR=$dir
    ovs-vsctl --no-wait set open . external_ids:ovn-bridge-datapath-type=netdev
    ovs-vsctl --no-wait set bridge br-int datapath_type=netdev fail_mode=secure
    # The userspace datapath makes a tap named ovs-netdev it never removes.
    ip link show ovs-netdev >/dev/null 2>&1 || touch "$dir/ours-ovs-netdev"
    start_vswitchd
    start_ovn_controller
    chassis wait-registered
  else
    chassis start all
  fi
  ;;
restart)
  dir=$(cd "$dir" && pwd)
  what=${3:?restart what: ovnsb, ovnnb, ovnd, hoverd or datapath}
  case "$what" in
    ovnnb) stop_pid ovnnb; start_db ovnnb /usr/share/ovn/ovn-nb.ovsschema ovnnb_db.sock ;;
    ovnsb) stop_pid ovnsb; start_db ovnsb /usr/share/ovn/ovn-sb.ovsschema ovnsb_db.sock ;;
    ovnd) if reference; then stop_pid controller; start_ovn_controller
          else chassis stop ovnd; chassis start ovnd; fi ;;
    hoverd) chassis stop hoverd; chassis start hoverd ;;
    datapath) if reference; then stop_pid vswitchd; start_vswitchd
              else chassis stop hoverd; chassis start hoverd; fi ;;
    *) echo "ovn-sandbox: cannot restart '$what'" >&2; exit 2 ;;
  esac
  ;;
stop)
  [ -d "$dir" ] || exit 0
  dir=$(cd "$dir" && pwd)
  # Every daemon first, by the pidfiles in DIR; then the chassis' state.
  stop_pid controller
  # The reference ovs-vswitchd removes its datapath and their taps
  # (ovs-netdev, br-int) only when asked to on its way out, while its
  # database still answers; the taps of bridges added later (br-ex) stay.
  bridges=""
  if [ -S "$dir/vswitchd.ctl" ]; then
    bridges=$(OVS_RUNDIR=$dir timeout 5 ovs-vsctl --no-wait list-br 2>/dev/null || true)
    timeout 10 ovs-appctl -t "$dir/vswitchd.ctl" exit --cleanup >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/chassis.env" ]; then chassis stop all; fi
  for name in vswitchd northd ovnsb ovnnb; do stop_pid "$name"; done
  if [ -f "$dir/ours-ovs-netdev" ]; then ip link del ovs-netdev 2>/dev/null || true; fi
  for bridge in $bridges; do  # this vswitchd's bridges: only their tap devices
    if ip -d link show "$bridge" 2>/dev/null | grep -q "tun type tap"; then ip link del "$bridge" || true; fi
  done
  if [ -f "$dir/chassis.env" ]; then chassis clean; fi
  rm -rf "$dir"
  ;;
*) echo "usage: ovn-sandbox.sh start|stop DIR" >&2; exit 2 ;;
esac
