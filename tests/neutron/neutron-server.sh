#!/usr/bin/env bash
# Runs Debian's real neutron-server (ML2 with the OVN mechanism driver) for a
# chassis' OVN, on a private MariaDB, without Keystone or Nova.
#
#   neutron-server.sh start DIR API_PORT   # OVN_NB_DB / OVN_SB_DB: the chassis' databases
#   neutron-server.sh stop DIR
#
# Everything lives under DIR: MariaDB's data and unix socket (no TCP), the
# configuration, logs and pidfiles. The API answers on 127.0.0.1:API_PORT
# with auth_strategy = noauth (every request is the admin of
# fake_project_id). Networks: geneve for tenants, flat on physnet "public".
# stop ends neutron-server and MariaDB by PID.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/daemon.sh
. "$here/../../scripts/lib/daemon.sh"

die() { echo "neutron-server.sh: $*" >&2; exit 1; }

# MariaDB on a unix socket only, its root authenticated by the socket.
start_mariadb() {
  local dir=$1
  mariadb-install-db --no-defaults --datadir="$dir/mysql" --user=root --auth-root-authentication-method=socket \
    --skip-test-db > "$dir/mysql-install.log" 2>&1 || die "mariadb-install-db failed: see $dir/mysql-install.log"
  mariadbd --no-defaults --datadir="$dir/mysql" --socket="$dir/mysql.sock" --skip-networking --user=root \
    --pid-file="$dir/mysql.pid" --log-error="$dir/mysql.log" --innodb-buffer-pool-size=64M &
  for _ in $(seq 300); do [ -S "$dir/mysql.sock" ] && break; sleep 0.1; done
  mariadb --socket="$dir/mysql.sock" -e "CREATE DATABASE neutron" || die "MariaDB did not start: see $dir/mysql.log"
}

write_config() {
  local dir=$1 port=$2
  cat > "$dir/neutron.conf" <<CONF
[DEFAULT]
core_plugin = ml2
service_plugins = ovn-router
auth_strategy = noauth
transport_url = fake://
bind_host = 127.0.0.1
bind_port = $port
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
state_path = $dir/state
log_file = $dir/neutron-server.log
debug = false
dns_domain = openstack.internal.
[database]
connection = mysql+pymysql://root@localhost/neutron?unix_socket=$dir/mysql.sock
[oslo_concurrency]
lock_path = $dir/lock
[ml2]
mechanism_drivers = ovn
type_drivers = geneve,flat
tenant_network_types = geneve
extension_drivers = port_security,dns
[ml2_type_geneve]
vni_ranges = 1:65536
max_header_size = 38
[ml2_type_flat]
flat_networks = public
[ovn]
ovn_nb_connection = $OVN_NB_DB
ovn_sb_connection = $OVN_SB_DB
ovn_l3_scheduler = leastloaded
ovn_metadata_enabled = true
CONF
}

start() {
  local dir=$1 port=$2
  command -v neutron-server >/dev/null || die "neutron-server missing: scripts/install-deps.sh"
  command -v mariadbd >/dev/null || die "mariadb-server missing: scripts/install-deps.sh"
  if [ -z "${OVN_NB_DB:-}" ] || [ -z "${OVN_SB_DB:-}" ]; then die "OVN_NB_DB and OVN_SB_DB must name the chassis' OVN"; fi
  mkdir -p "$dir/state" "$dir/lock"
  write_config "$dir" "$port"
  start_mariadb "$dir"
  neutron-db-manage --config-file "$dir/neutron.conf" upgrade heads > "$dir/db-manage.log" 2>&1 ||
    die "neutron-db-manage failed: see $dir/db-manage.log"
  setsid neutron-server --config-file "$dir/neutron.conf" > "$dir/neutron-server.out" 2>&1 &
  echo $! > "$dir/neutron-server.pid"
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$port/v2.0/networks" >/dev/null 2>&1 && return 0
    running "$(cat "$dir/neutron-server.pid")" || break
    sleep 0.1
  done
  die "neutron-server did not answer on port $port: see $dir/neutron-server.log"
}

stop() {
  local dir=$1
  stop_pidfile "$dir/neutron-server.pid"
  stop_pidfile "$dir/mysql.pid"
}

case "${1:-}" in
  start) [ $# -eq 3 ] || die "usage: $0 start DIR API_PORT"; start "$2" "$3" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start DIR API_PORT | stop DIR" ;;
esac
