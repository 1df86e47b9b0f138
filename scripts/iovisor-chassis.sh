#!/usr/bin/env bash
# Brings this host up as an OVN chassis served by IOVisor-OVN, against given
# OVN remotes: the local Open_vSwitch database settings ovn-controller would
# read, the integration bridge, hoverd and iovisor-ovnd. Used by
# scripts/ovn-sandbox.sh (demo, e2e tests) and by devstack/plugin.sh.
#
#   iovisor-chassis.sh [--conf FILE] COMMAND   (FILE: KEY=VALUE settings, read first)
#
#   iovisor-chassis.sh start [ovsdb|hoverd|ovnd|all]  in the background; "all" also
#                                                    configures and waits for the Chassis row
#   iovisor-chassis.sh stop [ovnd|hoverd|ovsdb|all]   by PID from the pidfile; iovisor-ovnd
#                                                    releases its bindings and Chassis on exit
#   iovisor-chassis.sh configure           Open_vSwitch row, integration and mapped bridges
#   iovisor-chassis.sh run-ovsdb|run-hoverd|run-ovnd   one daemon in the foreground
#                                          (what systemd / DevStack's run_process runs)
#   iovisor-chassis.sh ovsdb-running       exit 0 if the local Open_vSwitch DB answers
#   iovisor-chassis.sh wait-registered     until this chassis is in the Southbound DB
#   iovisor-chassis.sh wait-unregistered   until it is gone from it
#   iovisor-chassis.sh clean               state, pins and run files (daemons stopped first)
#
# Settings, from the environment (devstack/settings maps DevStack's onto them):
#   IOVISOR_OVN_SB_REMOTE   OVN Southbound, e.g. tcp:10.0.0.10:6642 (required)
#   IOVISOR_OVN_NB_REMOTE   OVN Northbound, e.g. tcp:10.0.0.10:6641 (required)
#   IOVISOR_OVN_OVS_DB      local Open_vSwitch DB (unix:/var/run/openvswitch/db.sock)
#   IOVISOR_OVN_SYSTEM_ID   chassis name (default: the one already set, else
#                           $OVS_SYSCONFDIR/system-id.conf (/etc/openvswitch), else a new UUID)
#   IOVISOR_OVN_HOSTNAME    Chassis hostname; Neutron binds ports to it ($(hostname))
#   IOVISOR_OVN_ENCAP_TYPE (geneve)  IOVISOR_OVN_ENCAP_IP (127.0.0.1)
#   IOVISOR_OVN_BRIDGE (br-int)      IOVISOR_OVN_BRIDGE_MAPPINGS (none), e.g. public:br-ex
#   IOVISOR_OVN_CMS_OPTIONS         e.g. enable-chassis-as-gw (none)
#   IOVISOR_OVN_OVSDB_MANAGER       e.g. ptcp:6640:127.0.0.1 for os-vif and the
#                                   metadata agent (none)
#   HOVER_SOCKET ($IOVISOR_OVN_RUNDIR/hoverd.sock)  hoverd's API (mode 0660, root's)
#   HOVER_LISTEN, HOVER_TOKEN_FILE  hoverd's API on TCP too (opt-in; the token is required)
#   IOVISOR_HOVERD_FLAGS    extra hoverd flags (e.g. --socket-group G, --allow-custom-bpf)
#   IOVISOR_OVN_INSTANCE    default: pins in /sys/fs/bpf/iovisor/NAME
#   IOVISOR_OVN_RUNDIR (/var/run/iovisor-ovn)     pidfiles, logs, iovisor-ovnd's debug socket
#   IOVISOR_OVN_STATE_DIR (/var/lib/iovisor-ovn)  hoverd's state, our own conf.db
#   IOVISOR_OVN_BIN_DIR     where hoverd and iovisor-ovnd are (build/bin of this tree)
#   IOVISOR_OVN_SSL_PRIVATE_KEY, IOVISOR_OVN_SSL_CERTIFICATE, IOVISOR_OVN_SSL_CA_CERT
#                           for ssl: remotes (all three)
#   IOVISOR_OVND_FLAGS      extra iovisor-ovnd flags (e.g. -v)
#   IOVISOR_OVN_NICE (-10)  niceness of ovsdb-server, hoverd and iovisor-ovnd: a port's
#                           programming goes ahead of the host's other work, as ovs-ctl
#                           and ovn-ctl start ovsdb-server, ovs-vswitchd and ovn-controller
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/daemon.sh
. "$here/scripts/lib/daemon.sh"

if [ "${1:-}" = --conf ]; then
  [ -r "${2:-}" ] || { echo "iovisor-chassis: cannot read settings file '${2:-}'" >&2; exit 2; }
  set -a
  # shellcheck disable=SC1090
  . "$2"
  set +a
  shift 2
fi

ovs_db=${IOVISOR_OVN_OVS_DB:-unix:/var/run/openvswitch/db.sock}
bridge=${IOVISOR_OVN_BRIDGE:-br-int}
instance=${IOVISOR_OVN_INSTANCE:-default}
rundir=${IOVISOR_OVN_RUNDIR:-/var/run/iovisor-ovn}
socket=${HOVER_SOCKET:-$rundir/hoverd.sock}
statedir=${IOVISOR_OVN_STATE_DIR:-/var/lib/iovisor-ovn}
bindir=${IOVISOR_OVN_BIN_DIR:-${BUILD_DIR:-$here/build}/bin}
pin_root=/sys/fs/bpf/iovisor/$instance

say() { echo "iovisor-chassis: $*" >&2; }
die() { say "$*"; exit 1; }
need() { command -v "$1" >/dev/null || die "'$1' is missing: apt-get install $2 (scripts/install-deps.sh)"; }
required() { [ -n "${!1:-}" ] || die "$1 is not set (the OVN $2 remote, e.g. tcp:10.0.0.10:$3)"; }
binary() {
  [ -x "$bindir/$1" ] || die "$bindir/$1 not found: build first (scripts/build.sh) or set IOVISOR_OVN_BIN_DIR"
  echo "$bindir/$1"
}
vsctl() { ovs-vsctl --db="$ovs_db" --timeout=10 --no-wait "$@"; }
sbctl() {
  local ssl=()
  [ -z "${IOVISOR_OVN_SSL_PRIVATE_KEY:-}" ] || ssl=(-p "$IOVISOR_OVN_SSL_PRIVATE_KEY" -c "$IOVISOR_OVN_SSL_CERTIFICATE"
                                                    -C "$IOVISOR_OVN_SSL_CA_CERT")
  ovn-sbctl "${ssl[@]}" --db="$IOVISOR_OVN_SB_REMOTE" --timeout=5 "$@"
}

wait_for() {  # seconds description command...
  local tries=$(($1 * 10)) what=$2; shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "$what"
}

# The local Open_vSwitch DB: path of its unix socket when it is ours to run.
ovsdb_socket() {
  case "$ovs_db" in
    unix:*) echo "${ovs_db#unix:}" ;;
    *) die "IOVISOR_OVN_OVS_DB=$ovs_db is not a unix: socket; start that ovsdb-server yourself" ;;
  esac
}
ovsdb_running() { ovs-vsctl --db="$ovs_db" --timeout=2 --no-wait show >/dev/null 2>&1; }

# Each *_command fills `cmd` with one daemon's command line (foreground),
# at the chassis' niceness.
cmd=()
niced() { cmd=(nice -n "${IOVISOR_OVN_NICE:--10}" "$@"); }
ovsdb_command() {
  need ovsdb-server openvswitch-switch
  local db=$statedir/conf.db
  mkdir -p "$statedir" "$rundir" "$(dirname "$(ovsdb_socket)")"
  [ -f "$db" ] || ovsdb-tool create "$db" /usr/share/openvswitch/vswitch.ovsschema
  niced ovsdb-server "$db" --remote="punix:$(ovsdb_socket)" "--remote=db:Open_vSwitch,Open_vSwitch,manager_options" \
    --pidfile="$rundir/ovsdb.pid" --unixctl="$rundir/ovsdb.ctl" --log-file="$rundir/ovsdb.log" --no-chdir -vconsole:off
}

hoverd_command() {
  mkdir -p "$statedir" "$rundir"
  mountpoint -q /sys/fs/bpf || die "bpffs is not mounted on /sys/fs/bpf: mount -t bpf bpf /sys/fs/bpf"
  local extra
  read -r -a extra <<<"${IOVISOR_HOVERD_FLAGS:-}"
  if [ -n "${HOVER_LISTEN:-}" ]; then
    [ -r "${HOVER_TOKEN_FILE:-}" ] || die "HOVER_LISTEN needs HOVER_TOKEN_FILE: over TCP every request carries a token"
    extra+=(--listen "$HOVER_LISTEN" --token-file "$HOVER_TOKEN_FILE")
  fi
  niced "$(binary hoverd)" --socket "$socket" --instance "$instance" --state-dir "$statedir/hoverd" \
    --pidfile "$rundir/hoverd.pid" --bpf-include "$here/bpf" "${extra[@]}"
}

ovnd_command() {
  required IOVISOR_OVN_NB_REMOTE Northbound 6641
  mkdir -p "$rundir"
  local extra
  read -r -a extra <<<"${IOVISOR_OVND_FLAGS:-}"
  if [ -n "${IOVISOR_OVN_SSL_PRIVATE_KEY:-}${IOVISOR_OVN_SSL_CERTIFICATE:-}${IOVISOR_OVN_SSL_CA_CERT:-}" ]; then
    extra+=(--private-key "${IOVISOR_OVN_SSL_PRIVATE_KEY:-}" --certificate "${IOVISOR_OVN_SSL_CERTIFICATE:-}"
            --ca-cert "${IOVISOR_OVN_SSL_CA_CERT:-}")
  fi
  # --ovnsb-db is left out on purpose: iovisor-ovnd follows external_ids:ovn-remote.
  niced "$(binary iovisor-ovnd)" --ovs-db "$ovs_db" --ovnnb-db "$IOVISOR_OVN_NB_REMOTE" --hover "unix:$socket" \
    --pidfile "$rundir/ovnd.pid" --debug-socket "$rundir/ovnd.sock" "${extra[@]}"
}

hoverd_healthy() { curl -sf --unix-socket "$socket" http://hoverd/health >/dev/null; }

system_id() {
  local current id_file=${OVS_SYSCONFDIR:-/etc/openvswitch}/system-id.conf
  current=$(vsctl get Open_vSwitch . external_ids:system-id 2>/dev/null | tr -d '"' || true)
  if [ -n "${IOVISOR_OVN_SYSTEM_ID:-}" ]; then echo "$IOVISOR_OVN_SYSTEM_ID"
  elif [ -n "$current" ]; then echo "$current"
  elif [ -s "$id_file" ]; then cat "$id_file"
  else cat /proc/sys/kernel/random/uuid
  fi
}

# What ovn-controller reads from the Open_vSwitch row, plus the bridges.
configure() {
  required IOVISOR_OVN_SB_REMOTE Southbound 6642
  need ovs-vsctl openvswitch-switch
  ovsdb_running || die "the local Open_vSwitch DB ($ovs_db) does not answer: start it (iovisor-chassis.sh start ovsdb)"
  local id
  id=$(system_id)
  vsctl init
  vsctl set Open_vSwitch . external_ids:system-id="$id" external_ids:ovn-remote="$IOVISOR_OVN_SB_REMOTE" \
    external_ids:ovn-encap-type="${IOVISOR_OVN_ENCAP_TYPE:-geneve}" \
    external_ids:ovn-encap-ip="${IOVISOR_OVN_ENCAP_IP:-127.0.0.1}" \
    external_ids:hostname="${IOVISOR_OVN_HOSTNAME:-$(hostname)}" external_ids:ovn-bridge="$bridge"
  # Left as they are when not given: DevStack sets the mappings itself later.
  [ -z "${IOVISOR_OVN_BRIDGE_MAPPINGS:-}" ] ||
    vsctl set Open_vSwitch . external_ids:ovn-bridge-mappings="$IOVISOR_OVN_BRIDGE_MAPPINGS"
  [ -z "${IOVISOR_OVN_CMS_OPTIONS:-}" ] ||
    vsctl set Open_vSwitch . external_ids:ovn-cms-options="$IOVISOR_OVN_CMS_OPTIONS"
  vsctl --may-exist add-br "$bridge" -- br-set-external-id "$bridge" bridge-id "$bridge"
  [ -z "${IOVISOR_OVN_OVSDB_MANAGER:-}" ] || vsctl set-manager "$IOVISOR_OVN_OVSDB_MANAGER"
  local mapping mappings=${IOVISOR_OVN_BRIDGE_MAPPINGS:-}
  for mapping in ${mappings//,/ }; do mapped_bridge "${mapping#*:}"; done
  say "chassis $id configured in $ovs_db (Southbound $IOVISOR_OVN_SB_REMOTE)"
}

# A bridge named in ovn-bridge-mappings. Without ovs-vswitchd no netdev of the
# bridge's name exists, yet hosts give it an address (DevStack puts the
# public gateway on br-ex): a veth pair stands in for OVS's internal port,
# the bridge end plugged into the bridge, where the localnet port reaches it.
mapped_bridge() {  # bridge
  local peer=${1:0:11}-iov
  vsctl --may-exist add-br "$1"
  if ! ip link show "$1" >/dev/null 2>&1; then
    mkdir -p "$statedir"
    ip link add "$1" type veth peer name "$peer"
    echo "$1" >> "$statedir/created-links"
    ip link set "$1" up
    ip link set "$peer" up
  fi
  if ip link show "$peer" >/dev/null 2>&1; then vsctl --may-exist add-port "$1" "$peer"; fi
}

start_background() {  # name command...
  local name=$1; shift
  "$@" >>"$rundir/$name.log" 2>&1 </dev/null &
}

start() {  # what
  mkdir -p "$rundir" "$statedir"
  case "$1" in
    ovsdb)
      ovsdb_running && return 0
      ovsdb_command
      "${cmd[@]}" --detach
      wait_for 10 "ovsdb-server did not come up on $ovs_db (see $rundir/ovsdb.log)" ovsdb_running ;;
    hoverd)
      hoverd_command
      start_background hoverd "${cmd[@]}"
      wait_for 20 "hoverd did not answer on $socket (see $rundir/hoverd.log)" hoverd_healthy ;;
    ovnd)
      ovnd_command
      start_background ovnd "${cmd[@]}"
      wait_for 10 "iovisor-ovnd did not start (see $rundir/ovnd.log)" test -s "$rundir/ovnd.pid" ;;
    all)
      start ovsdb; configure; start hoverd; start ovnd; wait_registered ;;
    *) usage ;;
  esac
}

stop_pid() { stop_pidfile "$rundir/$1.pid"; }  # name

stop() {  # what
  case "$1" in
    ovnd|hoverd|ovsdb) stop_pid "$1" ;;
    all) stop_pid ovnd; stop_pid hoverd; stop_pid ovsdb ;;
    *) usage ;;
  esac
}

chassis_name() { vsctl get Open_vSwitch . external_ids:system-id 2>/dev/null | tr -d '"'; }
registered() { [ -n "$(sbctl --bare --columns=name find Chassis name="$1")" ]; }
wait_registered() {
  required IOVISOR_OVN_SB_REMOTE Southbound 6642
  local id
  id=$(chassis_name)
  [ -n "$id" ] || die "no system-id in $ovs_db: run configure first"
  wait_for 30 "chassis $id did not register in $IOVISOR_OVN_SB_REMOTE (see $rundir/ovnd.log)" registered "$id"
  say "chassis $id registered in $IOVISOR_OVN_SB_REMOTE"
}
unregistered() { ! registered "$1"; }
wait_unregistered() {
  required IOVISOR_OVN_SB_REMOTE Southbound 6642
  local id
  id=$(chassis_name)
  wait_for 30 "chassis $id is still in $IOVISOR_OVN_SB_REMOTE" unregistered "$id"
  say "chassis $id is gone from $IOVISOR_OVN_SB_REMOTE"
}

clean() {
  for name in ovnd hoverd ovsdb; do
    [ ! -s "$rundir/$name.pid" ] || ! running "$(cat "$rundir/$name.pid")" ||
      die "$name is still running: iovisor-chassis.sh stop first"
  done
  local link
  if [ -f "$statedir/created-links" ]; then
    while read -r link; do ip link del "$link" 2>/dev/null || true; done < "$statedir/created-links"
  fi
  rm -rf "$pin_root" "$statedir"
  rm -f "$rundir"/{ovnd,hoverd,ovsdb}.{pid,log,sock,ctl}
  rmdir "$rundir" 2>/dev/null || true
}

usage() {
  sed -n '/^#   iovisor-chassis.sh start/,/^#$/p' "$0" | sed 's/^# *//' >&2
  exit 2
}

case "${1:-}" in
  start) start "${2:-all}" ;;
  stop) stop "${2:-all}" ;;
  configure) configure ;;
  run-ovsdb)
    ! ovsdb_running || die "an ovsdb-server already answers on $ovs_db"
    ovsdb_command; exec "${cmd[@]}" ;;
  run-hoverd) hoverd_command; exec "${cmd[@]}" ;;
  run-ovnd)
    wait_for 60 "hoverd does not answer on $socket" hoverd_healthy
    ovnd_command; exec "${cmd[@]}" ;;
  ovsdb-running) ovsdb_running ;;
  wait-registered) wait_registered ;;
  wait-unregistered) wait_unregistered ;;
  clean) clean ;;
  *) usage ;;
esac
