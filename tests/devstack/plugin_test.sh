#!/usr/bin/env bash
# The DevStack plugin, phase by phase, in a stand-in for DevStack's helpers
# (devstack-stand-in.sh): against a real OVN (NB, SB, ovn-northd from
# Debian's packages, as on a controller node) and a real neutron-server on
# it (tests/neutron/neutron-server.sh: Debian's, ML2/OVN), this node must
# come up as a chassis, register in the Southbound DB, have Neutron bind
# its ports here, plug them the way nova does (ovs-vsctl without --no-wait)
# and pass traffic, then leave the Southbound DB on unstack and leave
# nothing behind on clean.
#
#   sudo tests/devstack/plugin_test.sh        (ctest: DevstackPlugin.Phases)
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)

[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (network namespaces, eBPF): run with sudo"; exit 1; }
for tool in ovsdb-server:openvswitch-switch ovn-northd:ovn-central ovn-sbctl:ovn-central ping:iputils-ping curl:curl \
            jq:jq neutron-server:neutron-server mariadbd:mariadb-server; do
  command -v "${tool%%:*}" >/dev/null || { echo "FAIL: ${tool%%:*} missing: apt-get install ${tool#*:}"; exit 1; }
done

work=$(mktemp -d /tmp/iovisor-devstack-XXXXXX)
port=$((22000 + $$ % 5000))
failures=0
vms=()

check() {  # description command...
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then echo "ok: $what"
  else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
sb() { ovn-sbctl --db="unix:$work/ovn/ovnsb_db.sock" --timeout=5 "$@"; }
nb() { ovn-nbctl --db="unix:$work/ovn/ovnnb_db.sock" --timeout=20 "$@"; }
vsctl() { timeout 20 ovs-vsctl --db="$IOVISOR_OVN_OVS_DB" "$@"; }
phase() { echo "--- plugin.sh $*"; source "$here/devstack/plugin.sh" "$@"; }

cleanup() {
  local rc=$?
  set +e
  for vm in "${vms[@]}"; do ip netns del "$vm" 2>/dev/null; ip link del "${vm}h" 2>/dev/null; done
  if [ -z "${cleaned:-}" ]; then
    (phase unstack; phase clean) >/dev/null 2>&1
  fi
  "$here/tests/neutron/neutron-server.sh" stop "$work/neutron" >/dev/null 2>&1
  "$here/scripts/ovn-sandbox.sh" stop "$work/ovn" >/dev/null 2>&1
  if [ "$failures" -ne 0 ] || [ "$rc" -ne 0 ]; then
    for log in "$work"/standin/logs/*.log "$IOVISOR_OVN_RUNDIR"/*.log; do
      [ -f "$log" ] && { echo "--- $log"; tail -20 "$log"; }
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The controller node's OVN and Neutron; this host is the compute node.
IMPL=none "$here/scripts/ovn-sandbox.sh" start "$work/ovn" >/dev/null || { echo "FAIL: OVN did not start"; exit 1; }
api_port=$((port + 2))
OVN_NB_DB=unix:$work/ovn/ovnnb_db.sock OVN_SB_DB=unix:$work/ovn/ovnsb_db.sock \
  "$here/tests/neutron/neutron-server.sh" start "$work/neutron" "$api_port" || { echo "FAIL: neutron-server did not start"; exit 1; }
api() {  # method path [json]: Neutron's API as nova and a tenant call it
  curl -sf -m 30 -X "$1" -H 'Content-Type: application/json' "http://127.0.0.1:$api_port/v2.0/$2" ${3:+-d "$3"}
}

# local.conf of a compute node, and the OVN settings DevStack derives.
ENABLED_SERVICES=n-cpu,placement-client,q-ovn-metadata-agent,hoverd,iovisor-ovnd
OVN_SB_REMOTE=unix:$work/ovn/ovnsb_db.sock
OVN_NB_REMOTE=unix:$work/ovn/ovnnb_db.sock
OVN_UUID=devstack-chassis-$$
OVN_BRIDGE_MAPPINGS=public:iovt$$e
IOVISOR_OVN_BUILD_DIR=${BUILD_DIR:-$here/build}
IOVISOR_OVN_CONF_DIR=$work/etc
IOVISOR_OVN_BIN_DIR=$work/bin
IOVISOR_OVN_OVS_DB=unix:$work/ovs/db.sock
IOVISOR_OVN_OVSDB_MANAGER=ptcp:$((port + 1)):127.0.0.1
IOVISOR_OVN_RUNDIR=$work/run
IOVISOR_OVN_INSTANCE=devstack-test$$
HOVER_LISTEN=127.0.0.1:$port
STANDIN_DIR=$work/standin
# shellcheck source=tests/devstack/devstack-stand-in.sh
source "$here/tests/devstack/devstack-stand-in.sh"
# shellcheck source=devstack/settings
source "$here/devstack/settings"

phase stack pre-install
phase stack install
check "install: packages of devstack/files/debs are installed" test -s "$STANDIN_DIR/installed-packages"
check "install: binaries in IOVISOR_OVN_BIN_DIR" test -x "$IOVISOR_OVN_BIN_DIR/iovisor-ovnd" -a -x "$IOVISOR_OVN_BIN_DIR/hoverd"

phase stack post-config
check "post-config: our own Open_vSwitch DB runs (no ovsdb-server on this node)" is_service_enabled iovisor-ovsdb
check "post-config: hoverd answers on HOVER_LISTEN" curl -sf "http://$HOVER_LISTEN/health"
check "post-config: Chassis $OVN_UUID in the Southbound DB" test -n "$(sb --bare --columns=name find Chassis name="$OVN_UUID")"
check "post-config: Chassis_Private too" test -n "$(sb --bare --columns=name find Chassis_Private name="$OVN_UUID")"
check "post-config: Chassis hostname is this host's" test "$(sb --bare --columns=hostname find Chassis name="$OVN_UUID")" = "$(hostname)"
check "post-config: Encap geneve at the tunnel IP" test "$(sb --bare --columns=ip find Encap chassis_name="$OVN_UUID")" = 127.0.0.1
check "post-config: gateway chassis (ENABLE_CHASSIS_AS_GW)" \
  test "$(sb get Chassis "$OVN_UUID" other_config:ovn-cms-options | tr -d '"')" = enable-chassis-as-gw
check "post-config: br-int exists" vsctl br-exists br-int
check "post-config: os-vif and the metadata agent reach the DB over TCP" \
  ovs-vsctl --db="tcp:127.0.0.1:$((port + 1))" --timeout=5 br-exists br-int
check "post-config: the mapped bridge has a netdev DevStack can address" ip link show "iovt$$e"
ip addr add 198.51.100.1/24 dev "iovt$$e" 2>/dev/null
check "post-config: ovn-controller was not started" sh -c "! grep -q ovn-controller '$STANDIN_LOG'"
check "post-config: DevStack's OVN services started for the metadata agent" grep -qx start_ovn_services "$STANDIN_LOG"
check "post-config: the ovs-vswitchd they start is stopped again" test ! -e "$STANDIN_DIR/active-ovs-vswitchd.service"
check "post-config: and its kernel datapath removed" grep -q "ovs-dpctl del-dp ovs-system" "$STANDIN_LOG"
check "post-config: metadata agent configured with the Southbound DB" \
  grep -qx "ovn_sb_connection = $OVN_SB_REMOTE" "$OVN_META_CONF"
check "post-config: metadata agent configured with the local Open_vSwitch DB" \
  grep -qx "ovsdb_connection = tcp:127.0.0.1:$((port + 1))" "$OVN_META_CONF"

phase stack extra

# Nova's part: a port bound to this host through Neutron's API, then the VM
# plugged as os-vif/libvirt plug it (ovs-vsctl without --no-wait).
declare -A port_id port_ip
vm() {  # name
  local ns=iov$$$1 port mac
  vms+=("$ns")
  port=$(api POST ports "{\"port\": {\"network_id\": \"$net\", \"name\": \"$1\", \"device_owner\": \"compute:nova\",
    \"device_id\": \"$(cat /proc/sys/kernel/random/uuid)\", \"binding:host_id\": \"$(hostname)\"}}") || return 1
  [ "$(jq -r '.port["binding:vif_type"]' <<< "$port")" = ovs ] || return 1
  port_id[$1]=$(jq -r .port.id <<< "$port")
  port_ip[$1]=$(jq -r '.port.fixed_ips[0].ip_address' <<< "$port")
  mac=$(jq -r .port.mac_address <<< "$port")
  ip netns add "$ns"
  ip link add "${ns}h" type veth peer name eth0 netns "$ns"
  ip -n "$ns" link set eth0 address "$mac"
  ip -n "$ns" addr add "${port_ip[$1]}/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip link set "${ns}h" up
  vsctl add-port br-int "${ns}h" -- set Interface "${ns}h" external_ids:iface-id="${port_id[$1]}" \
    external_ids:attached-mac="$mac" external_ids:iface-status=active external_ids:vm-uuid="$(jq -r .port.device_id <<< "$port")"
}
active() {  # name: Neutron reports the port ACTIVE within 15 s
  for _ in $(seq 60); do
    [ "$(api GET "ports/${port_id[$1]}" | jq -r .port.status)" = ACTIVE ] && return 0
    sleep 0.25
  done
  return 1
}
net=$(api POST networks '{"network": {"name": "net1"}}' | jq -r .network.id)
api POST subnets "{\"subnet\": {\"network_id\": \"$net\", \"cidr\": \"10.20.0.0/24\", \"ip_version\": 4}}" >/dev/null
check "Neutron: network net1 with a subnet" test -n "$(nb --bare --columns=name find Logical_Switch name="neutron-$net")"
check "nova: Neutron binds VM a's port to this host, os-vif plugs it (ovs-vsctl returns)" vm a
check "nova: the same for VM b" vm b
check "ovn-nbctl --wait=hv sync returns" nb --wait=hv sync
check "Port_Binding of VM a bound to this chassis" \
  test "$(sb --bare --columns=chassis find Port_Binding logical_port="${port_id[a]}")" = "$(sb --bare --columns=_uuid find Chassis name="$OVN_UUID")"
check "Neutron: VM a's port ACTIVE" active a
check "Neutron: VM b's port ACTIVE" active b
check "VM a pings VM b" ip netns exec "iov$$a" ping -c 2 -i 0.2 -W 1 "${port_ip[b]}"

phase unstack
check "unstack: Chassis gone from the Southbound DB" test -z "$(sb --bare --columns=name find Chassis name="$OVN_UUID")"
check "unstack: Chassis_Private gone" test -z "$(sb --bare --columns=name find Chassis_Private name="$OVN_UUID")"
check "unstack: VM a's port released" test -z "$(sb --bare --columns=chassis find Port_Binding logical_port="${port_id[a]}")"
check "unstack: hoverd stopped" sh -c "! curl -sf http://$HOVER_LISTEN/health"
check "unstack: our Open_vSwitch DB stopped" sh -c "! ovs-vsctl --db=$IOVISOR_OVN_OVS_DB --timeout=2 show"

phase clean
cleaned=1
check "clean: pins removed" test ! -e "/sys/fs/bpf/iovisor/$IOVISOR_OVN_INSTANCE"
check "clean: state removed" test ! -e "$IOVISOR_OVN_STATE_DIR"
check "clean: settings removed" test ! -e "$IOVISOR_OVN_CONF_DIR"
check "clean: binaries removed" test ! -e "$IOVISOR_OVN_BIN_DIR/iovisor-ovnd"
check "clean: the mapped bridge's netdev removed" sh -c "! ip link show iovt$$e"

"$here/tests/neutron/neutron-server.sh" stop "$work/neutron" >/dev/null 2>&1
"$here/scripts/ovn-sandbox.sh" stop "$work/ovn" >/dev/null 2>&1
# (The bracket keeps pgrep from matching its own command line.)
check "nothing left running from this test" sh -c "! pgrep -af '[${work:0:1}]${work:1}/'"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
