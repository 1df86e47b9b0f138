#!/usr/bin/env bash
# The DevStack plugin, phase by phase, in a stand-in for DevStack's helpers
# (devstack-stand-in.sh): against a real OVN (NB, SB, ovn-northd from
# Debian's packages, as on a controller node) this node must come up as a
# chassis, register in the Southbound DB, plug VM ports the way nova does
# (ovs-vsctl without --no-wait) and pass traffic, then leave the Southbound DB
# on unstack and leave nothing behind on clean.
#
#   sudo tests/devstack/plugin_test.sh        (ctest: DevstackPlugin.Phases)
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)

[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (network namespaces, eBPF): run with sudo"; exit 1; }
for tool in ovsdb-server:openvswitch-switch ovn-northd:ovn-central ovn-sbctl:ovn-central ping:iputils-ping curl:curl; do
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
  "$here/scripts/ovn-sandbox.sh" stop "$work/ovn" >/dev/null 2>&1
  if [ "$failures" -ne 0 ] || [ "$rc" -ne 0 ]; then
    for log in "$work"/standin/logs/*.log "$IOVISOR_OVN_RUNDIR"/*.log; do
      [ -f "$log" ] && { echo "--- $log"; tail -20 "$log"; }
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The controller node's OVN; this host is the compute node.
IMPL=none "$here/scripts/ovn-sandbox.sh" start "$work/ovn" >/dev/null || { echo "FAIL: OVN did not start"; exit 1; }

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

# Nova's part, as os-vif/libvirt plug a VM: ovs-vsctl without --no-wait.
vm() {  # name mac ip
  local ns=iov$$$1
  vms+=("$ns")
  ip netns add "$ns"
  ip link add "${ns}h" type veth peer name eth0 netns "$ns"
  ip -n "$ns" link set eth0 address "$2"
  ip -n "$ns" addr add "$3/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip link set "${ns}h" up
  nb lsp-add net1 "port-$1" -- lsp-set-addresses "port-$1" "$2 $3" -- lsp-set-port-security "port-$1" "$2 $3"
  vsctl add-port br-int "${ns}h" -- set Interface "${ns}h" external_ids:iface-id="port-$1"
}
nb ls-add net1
check "nova plugs VM a (ovs-vsctl returns without ovs-vswitchd)" vm a 02:00:00:00:0a:01 10.20.0.1
check "nova plugs VM b" vm b 02:00:00:00:0a:02 10.20.0.2
check "ovn-nbctl --wait=hv sync returns" nb --wait=hv sync
check "Port_Binding port-a bound to this chassis" \
  test "$(sb --bare --columns=chassis find Port_Binding logical_port=port-a)" = "$(sb --bare --columns=_uuid find Chassis name="$OVN_UUID")"
check "Logical_Switch_Port port-a is up" test "$(nb get Logical_Switch_Port port-a up)" = true
check "VM a pings VM b" ip netns exec "iov$$a" ping -c 2 -i 0.2 -W 1 10.20.0.2

phase unstack
check "unstack: Chassis gone from the Southbound DB" test -z "$(sb --bare --columns=name find Chassis name="$OVN_UUID")"
check "unstack: Chassis_Private gone" test -z "$(sb --bare --columns=name find Chassis_Private name="$OVN_UUID")"
check "unstack: port-a released" test -z "$(sb --bare --columns=chassis find Port_Binding logical_port=port-a)"
check "unstack: hoverd stopped" sh -c "! curl -sf http://$HOVER_LISTEN/health"
check "unstack: our Open_vSwitch DB stopped" sh -c "! ovs-vsctl --db=$IOVISOR_OVN_OVS_DB --timeout=2 show"

phase clean
cleaned=1
check "clean: pins removed" test ! -e "/sys/fs/bpf/iovisor/$IOVISOR_OVN_INSTANCE"
check "clean: state removed" test ! -e "$IOVISOR_OVN_STATE_DIR"
check "clean: settings removed" test ! -e "$IOVISOR_OVN_CONF_DIR"
check "clean: binaries removed" test ! -e "$IOVISOR_OVN_BIN_DIR/iovisor-ovnd"
check "clean: the mapped bridge's netdev removed" sh -c "! ip link show iovt$$e"

"$here/scripts/ovn-sandbox.sh" stop "$work/ovn" >/dev/null 2>&1
# (The bracket keeps pgrep from matching its own command line.)
check "nothing left running from this test" sh -c "! pgrep -af '[${work:0:1}]${work:1}/'"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
