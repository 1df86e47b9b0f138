#!/usr/bin/env bash
# The chassis against clustered OVN databases (Raft, 3 servers each for NB
# and SB, all local), reached through remote lists as deployments give them
# (unix:a,unix:b,unix:c): while a VM pings another every 10 ms, the
# Southbound leader is killed and three ports are added; a new leader is
# elected, the new ports are bound and up, no ping is lost, and
# `iovisor-ovnd --check` finds the datapath in sync.
#
#   sudo tests/e2e/raft_test.sh        (ctest: RaftE2E.SouthboundLeaderKilled)
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$here/build}

# shellcheck source=tests/e2e/lib.sh
. "$here/tests/e2e/lib.sh"
need_root_and_tools ovsdb-tool:openvswitch-common ovsdb-server:openvswitch-switch ovn-northd:ovn-central ping:iputils-ping

work=$(mktemp -d /tmp/iovisor-raft-XXXXXX)
raft_port=$((26000 + $$ % 4000 * 2))  # 6 consecutive ports: nb1-3, sb1-3
tag=rf$$

remotes() { echo "unix:$work/${1}1.sock,unix:$work/${1}2.sock,unix:$work/${1}3.sock"; }
nbctl() { ovn-nbctl --db="$(remotes nb)" --timeout=20 "$@"; }
sbctl() { ovn-sbctl --db="$(remotes sb)" --timeout=20 "$@"; }

cleanup() {
  local rc=$?
  [ -n "${ping_pid:-}" ] && kill "$ping_pid" 2>/dev/null
  e2e_cleanup "$rc"
}
trap cleanup EXIT

# A 3-server cluster of `db` (nb or sb): raft over 127.0.0.1, clients on unix sockets.
start_cluster() {  # db schema name first-port
  local db=$1 schema=$2 name=$3 port=$4 i
  ovsdb-tool create-cluster "$work/${db}1.db" "$schema" "tcp:127.0.0.1:$port" 2>/dev/null || return 1
  for i in 2 3; do
    ovsdb-tool join-cluster "$work/$db$i.db" "$name" "tcp:127.0.0.1:$((port + i - 1))" "tcp:127.0.0.1:$port" || return 1
  done
  for i in 1 2 3; do
    ovsdb-server "$work/$db$i.db" --remote="punix:$work/$db$i.sock" --pidfile="$work/$db$i.pid" \
      --unixctl="$work/$db$i.ctl" --log-file="$work/$db$i.log" --detach --no-chdir -vconsole:off || return 1
  done
  for i in 1 2 3; do timeout 20 ovsdb-client wait "unix:$work/$db$i.sock" "$name" connected 2>/dev/null || return 1; done
}
leader_of() {  # db name: the server number of the cluster's leader
  local i
  for i in 1 2 3; do
    [ -S "$work/$1$i.ctl" ] && ovs-appctl -t "$work/$1$i.ctl" cluster/status "$2" 2>/dev/null | grep -q '^Role: leader' &&
      { echo "$i"; return 0; }
  done
  return 1
}
start_ovn() {
  start_cluster nb /usr/share/ovn/ovn-nb.ovsschema OVN_Northbound "$raft_port" &&
    start_cluster sb /usr/share/ovn/ovn-sb.ovsschema OVN_Southbound "$((raft_port + 3))" &&
    ovn-northd --ovnnb-db="$(remotes nb)" --ovnsb-db="$(remotes sb)" --pidfile="$work/northd.pid" \
      --log-file="$work/northd.log" --unixctl="$work/northd.ctl" --detach --no-chdir -vconsole:off
}
start_ovn || { echo "FAIL: clustered OVN did not start"; exit 1; }
echo "ok: NB and SB run as 3-server clusters"

cat > "$work/chassis.env" <<ENV
IOVISOR_OVN_SB_REMOTE=$(remotes sb)
IOVISOR_OVN_NB_REMOTE=$(remotes nb)
IOVISOR_OVN_OVS_DB=unix:$work/db.sock
IOVISOR_OVN_SYSTEM_ID=raft-chassis-$$
IOVISOR_OVN_INSTANCE=raft$$
IOVISOR_OVN_RUNDIR=$work/run
IOVISOR_OVN_STATE_DIR=$work/state
IOVISOR_OVN_BIN_DIR=$build/bin
ENV
start_chassis() { chassis start all > "$work/chassis-start.log" 2>&1; }
check "the chassis registers through the remote lists" start_chassis || exit 1

vm() {  # n: VM n on 10.9.0.n, its port plugged with ovs-vsctl (which waits for the chassis)
  local ns=$tag$1
  vms+=("$ns")
  nbctl lsp-add sw "vm$1" -- lsp-set-addresses "vm$1" "02:00:00:00:00:0$1 10.9.0.$1" &&
    ip netns add "$ns" && ip link add "${ns}h" type veth peer name eth0 netns "$ns" &&
    ip -n "$ns" link set eth0 address "02:00:00:00:00:0$1" && ip -n "$ns" addr add "10.9.0.$1/24" dev eth0 &&
    ip -n "$ns" link set eth0 up && ip link set "${ns}h" up &&
    timeout 20 ovs-vsctl --db="unix:$work/db.sock" add-port br-int "${ns}h" -- \
      set Interface "${ns}h" external_ids:iface-id="vm$1"
}
bound_and_up() {  # n: vm n bound to this chassis and up in the Northbound
  local ch
  for _ in $(seq 100); do
    # Read in the loop: a read may fail while the Southbound elects a leader.
    ch=$(sbctl --bare --columns=_uuid find Chassis name="raft-chassis-$$" 2>/dev/null || true)
    [ -n "$ch" ] && [ "$(sbctl --bare --columns=chassis find Port_Binding logical_port="vm$1")" = "$ch" ] &&
      [ "$(nbctl get Logical_Switch_Port "vm$1" up)" = true ] && return 0
    sleep 0.1
  done
  return 1
}
nbctl ls-add sw
for i in 1 2; do check "VM $i plugged" vm "$i"; done
both_up() { bound_and_up 1 && bound_and_up 2; }
check "both bound and up" both_up
check "VM 1 pings VM 2" ip netns exec "${tag}1" ping -c 2 -i 0.2 -W 1 10.9.0.2

# 10 ms pings for the whole failover; the leader goes, ports come.
ip netns exec "${tag}1" ping -i 0.01 -w 15 -W 1 10.9.0.2 > "$work/ping.out" 2>&1 &
ping_pid=$!
sleep 1
leader=$(leader_of sb OVN_Southbound)
check "the Southbound has a leader" test -n "$leader"
kill -9 "$(cat "$work/sb$leader.pid")" && rm -f "$work/sb$leader.ctl"
echo "killed Southbound server $leader (the leader)"
for i in 3 4 5; do check "VM $i plugged while the Southbound elects a leader" vm "$i"; done
new_leader=""
for _ in $(seq 100); do new_leader=$(leader_of sb OVN_Southbound) && break; sleep 0.1; done
check "another Southbound server leads" test -n "$new_leader" -a "$new_leader" != "$leader"
for i in 3 4 5; do check "VM $i bound to the chassis and up" bound_and_up "$i"; done
check "VM 5 pings VM 1" ip netns exec "${tag}5" ping -c 2 -i 0.2 -W 1 10.9.0.1
check "ovn-nbctl --wait=hv sync returns" nbctl --wait=hv sync
wait "$ping_pid"
ping_pid=""
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$work/ping.out")
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$work/ping.out")
echo "10 ms pings during the failover: $received of $sent answered"
check "no 10 ms ping lost during the failover" test -n "$sent" -a "${sent:-0}" -gt 100 -a "${sent:-0}" = "${received:-x}"
check "iovisor-ovnd --check: in sync" "$build/bin/iovisor-ovnd" --check --ovs-db "unix:$work/db.sock" \
  --ovnnb-db "$(remotes nb)" --hover "unix:$work/run/hoverd.sock"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
