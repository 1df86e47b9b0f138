#!/usr/bin/env bash
# Runs Neutron's real OVN metadata agent (Debian's neutron-ovn-metadata-agent)
# against a chassis, with a stand-in for Nova's metadata API behind it.
#
#   metadata-agent.sh start DIR NOVA_PORT   # OVS_RUNDIR / OVN_SB_DB from the chassis' env
#   metadata-agent.sh stop DIR
#
# Everything lives under DIR (configuration, state, logs, pidfiles). The
# agent runs as root: its root helper is `env` (no sudo or rootwrap), and it
# plugs an ovnmeta-<network> namespace into br-int for each network with a
# port bound to the chassis, where haproxy listens on 169.254.169.254:80.
# stop ends, by PID, the agent, the stand-in, the privsep daemons the agent
# started (they outlive it; it logs their PIDs) and the haproxies (their
# pidfiles), then removes the ovnmeta namespaces and their veths.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/daemon.sh
. "$here/../../scripts/lib/daemon.sh"

die() { echo "metadata-agent.sh: $*" >&2; exit 1; }
SECRET=iovisor-metadata-secret

start() {
  local dir=$1 nova_port=$2
  command -v neutron-ovn-metadata-agent >/dev/null || die "neutron-ovn-metadata-agent missing: scripts/install-deps.sh"
  command -v haproxy >/dev/null || die "haproxy missing: scripts/install-deps.sh"
  if [ -z "${OVS_RUNDIR:-}" ] || [ -z "${OVN_SB_DB:-}" ]; then
    die "OVS_RUNDIR and OVN_SB_DB must name the chassis' databases"
  fi
  mkdir -p "$dir/state" "$dir/lock"
  cat > "$dir/agent.ini" <<CONF
[DEFAULT]
state_path = $dir/state
metadata_proxy_socket = $dir/state/metadata_proxy
nova_metadata_host = 127.0.0.1
nova_metadata_port = $nova_port
metadata_proxy_shared_secret = $SECRET
metadata_workers = 1
debug = true
log_file = $dir/agent.log
[agent]
root_helper = env
[oslo_concurrency]
lock_path = $dir/lock
[ovs]
ovsdb_connection = unix:$OVS_RUNDIR/db.sock
[ovn]
ovn_sb_connection = $OVN_SB_DB
CONF
  /usr/bin/python3 "$here/nova-metadata-standin.py" "$nova_port" "$SECRET" "$dir/nova.log" > "$dir/nova.out" 2>&1 &
  echo $! > "$dir/nova.pid"
  setsid neutron-ovn-metadata-agent --config-file "$dir/agent.ini" > "$dir/agent.out" 2>&1 &
  echo $! > "$dir/agent.pid"
}

stop() {
  local dir=$1 pid pidfile net
  stop_pidfile "$dir/agent.pid"
  stop_pidfile "$dir/nova.pid"
  # A privsep daemon's PID as the agent logged it, if that process is still
  # one of this agent's (its command line names our configuration).
  while read -r pid; do
    if running "$pid" && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "--config-file $dir/agent.ini"; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  done < <(grep -o 'privsep daemon running as pid [0-9]*' "$dir/agent.log" 2>/dev/null | awk '{print $NF}')
  for pidfile in "$dir"/state/external/pids/*.pid.haproxy; do
    [ -e "$pidfile" ] || continue
    net=$(basename "$pidfile" .pid.haproxy)
    stop_pidfile "$pidfile"
    ip netns del "ovnmeta-$net" 2>/dev/null || true
    ip link del "tap${net:0:10}0" 2>/dev/null || true
  done
}

case "${1:-}" in
  start) [ $# -eq 3 ] || die "usage: $0 start DIR NOVA_PORT"; start "$2" "$3" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start DIR NOVA_PORT | stop DIR" ;;
esac
