#!/usr/bin/env bash
# The DevStack plugin under DevStack's real code (the vendored snapshot of
# openstack/devstack: functions, stackrc, lib/neutron, ovn_agent, run_phase),
# played as stack.sh / unstack.sh / clean.sh play it (devstack-steps.sh), on
# a host that looks freshly installed: its packaged ovsdb-server and
# ovn-controller running. Two recipes, each stacked, unstacked, re-stacked
# and cleaned:
#   all-in-one   devstack/local.conf.sample as a user copies it: DevStack's
#                OVN (NB, SB, northd) and a real neutron-server binding VM
#                ports to this chassis, VMs plugged as os-vif does;
#   compute node the sample's compute recipe against another node's OVN,
#                with the OVN metadata agent;
# and the sample with hoverd and iovisor-ovnd disabled (the plugin must do
# nothing).
# The whole test runs in private mount, network and PID namespaces: DevStack
# writes /etc, /opt/stack and /run and kills by name (pkill haproxy), which
# must not touch this host. systemd is not PID 1 here: systemctl-standin.py
# runs the real unit files in its place.
#
#   sudo tests/devstack/plugin_test.sh        (ctest: DevstackPlugin.Phases)
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)

[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (namespaces, eBPF): run with sudo"; exit 1; }
# The vendored snapshot (../shared/vendor beside the checkout, as on the CI machines).
tarball=${IOVISOR_DEVSTACK_TARBALL:-$(find "$here/../shared/vendor" /work/shared/vendor -name 'devstack-*.tar.gz' 2>/dev/null | head -1)}
[ -r "$tarball" ] || { echo "FAIL: DevStack's snapshot not found: set IOVISOR_DEVSTACK_TARBALL to a devstack tarball"; exit 1; }
for tool in ovsdb-server:openvswitch-switch ovn-northd:ovn-central ovn-controller:ovn-host ovn-sbctl:ovn-central \
            ping:iputils-ping curl:curl jq:jq neutron-server:neutron-server mariadbd:mariadb-server \
            neutron-ovn-metadata-agent:neutron-ovn-metadata-agent sudo:sudo unshare:util-linux; do
  command -v "${tool%%:*}" >/dev/null || { echo "FAIL: ${tool%%:*} missing: apt-get install ${tool#*:}"; exit 1; }
done

if [ -z "${IOVISOR_DEVSTACK_WORK:-}" ]; then
  # Everything started inside dies with the namespace's first process; its
  # mounts go with it, then the scratch directory.
  work=$(mktemp -d /tmp/iovisor-devstack-XXXXXX)
  env IOVISOR_DEVSTACK_WORK="$work" IOVISOR_DEVSTACK_TARBALL="$tarball" \
    unshare --mount --net --pid --fork --mount-proc --propagation private "$0" "$@"
  rc=$?
  rm -rf "$work"
  exit $rc
fi

work=$IOVISOR_DEVSTACK_WORK
failures=0
finish() {
  local rc=$?
  if [ "$failures" -ne 0 ] || [ "$rc" -ne 0 ]; then show_logs; fi
  if [ -n "${IOVISOR_DEVSTACK_HOLD:-}" ]; then  # to look around, from the host
    echo "holding the namespaces for ${IOVISOR_DEVSTACK_HOLD}s: nsenter -a -t <the newest PID of pgrep -f plugin_test.sh>"
    sleep "$IOVISOR_DEVSTACK_HOLD"
  fi
}
trap finish EXIT

check() {  # description command...
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then echo "ok: $what"; return 0; fi
  echo "FAIL: $what"; failures=$((failures + 1)); return 1
}
show_logs() {
  local log
  for log in "$work"/*.log "$work"/neutron/*.log /run/systemctl-standin/*.log /opt/stack/logs/*.log /var/run/iovisor-ovn/*.log; do
    [ -s "$log" ] && { echo "--- $log"; tail -25 "$log"; }
  done
  echo "--- Open_vSwitch row, processes"
  timeout 5 ovs-vsctl --no-wait list Open_vSwitch
  ps -eo pid,args
}

# A host of its own: /etc, /var, /opt and /usr/local are overlays (writes
# land in $work, the host's files are never changed), /run and the
# Open_vSwitch configuration are empty, bpffs and the network are private,
# systemctl is the stand-in.
private_host() {
  local dir layer
  mkdir -p "$work/layers" && mount -t tmpfs tmpfs "$work/layers" || return 1
  for dir in /etc /var /opt /usr/local; do
    layer=$work/layers/${dir//\//_}
    mkdir -p "$layer/upper" "$layer/work" &&
      mount -t overlay overlay -o "lowerdir=$dir,upperdir=$layer/upper,workdir=$layer/work" "$dir" || return 1
  done
  mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /etc/openvswitch && mount -t bpf bpf /sys/fs/bpf &&
    mount --bind "$here/tests/devstack/systemctl-standin.py" /usr/bin/systemctl && ip link set lo up || return 1
  # A host has a NIC (getaddrinfo's AI_ADDRCONFIG finds no IPv4 without one).
  ip link add eth0 type veth peer name eth0-peer && ip addr add 192.0.2.10/24 dev eth0 &&
    ip link set eth0 up && ip link set eth0-peer up
}
private_host || { echo "FAIL: could not make the private host (mounts)"; exit 1; }
# Where pip would have put Neutron's agents (DevStack's global venv): DevStack
# runs them from there.
mkdir -p /opt/stack/data/venv/bin &&
  ln -s /usr/bin/neutron-ovn-metadata-agent /usr/bin/neutron-rootwrap /opt/stack/data/venv/bin/

devstack=$work/devstack
mkdir -p "$devstack"
tar -xzf "$tarball" -C "$devstack" --strip-components=1 || { echo "FAIL: cannot unpack $tarball"; exit 1; }
ln -s "$here" /opt/stack/iovisor-ovn
steps() {  # stack|unstack|clean, under a time limit: a hang is a failure
  local limit=60
  [ "$1" != stack ] || limit=300
  DEVSTACK_DIR=$devstack timeout "$limit" "$here/tests/devstack/devstack-steps.sh" "$1" >> "$work/devstack-$1.log" 2>&1
}

# local.conf: the sample as a user copies it, with this test host's lines.
local_conf() {  # extra localrc lines...
  local extra
  extra=$(printf '%s\n' "STACK_USER=root" "HOST_IP=127.0.0.1" "SERVICE_HOST=127.0.0.1" "disable_service tempest" \
    "IOVISOR_OVN_BUILD_DIR=${BUILD_DIR:-$here/build}" "$@")
  # The sample has one section, [[local|localrc]]: these lines end it. Then
  # a user's override of the OVN agent's configuration.
  { cat "$here/devstack/local.conf.sample"; echo "$extra"
    # shellcheck disable=SC2016  # DevStack expands it
    printf '%s\n' '[[post-config|$OVN_AGENT_CONF]]' '[agent]' 'report_interval = 17'; } > "$devstack/local.conf"
}
# What Debian's packages leave running after apt-get install.
fresh_host() {
  systemctl start ovsdb-server.service ovn-controller.service
  check "host: the packaged ovsdb-server and ovn-controller run, as apt-get install leaves them" \
    sh -c 'pgrep -x ovn-controller && ovs-vsctl --timeout=5 show'
}
sb() { ovn-sbctl --db="$SB" --timeout=5 "$@"; }
chassis_count() { sb --bare --columns=name list Chassis | grep -c .; }
one_chassis() { [ "$(chassis_count)" = 1 ] && [ -n "$(sb --bare --columns=name find Chassis name="$1")" ]; }
no_chassis() { [ "$(chassis_count)" = 0 ]; }
vsctl() { timeout 20 ovs-vsctl "$@"; }
ours_running() { pgrep -x hoverd && pgrep -x iovisor-ovnd; }
none_running() { ! pgrep -x "$1"; }
all_stopped() {  # process names (or the start of a Python command line's script)
  local name
  for name in "$@"; do ! pgrep -x "$name" && ! pgrep -f "^/usr/bin/python3 .*/$name" || return 1; done
}
dropin() { test -f "/etc/systemd/system/$1.d/50-iovisor-ovn.conf"; }


# Nova's part: a port bound to this host through Neutron's API, then the VM
# plugged as os-vif/libvirt plug it (ovs-vsctl without --no-wait).
declare -A port_id port_ip
api() {  # method path [json]: Neutron's API as nova and a tenant call it
  curl -sf -m 30 -X "$1" -H 'Content-Type: application/json' "http://127.0.0.1:9696/v2.0/$2" ${3:+-d "$3"}
}
vm() {  # network name
  local ns=vm$2 port mac
  port=$(api POST ports "{\"port\": {\"network_id\": \"$1\", \"name\": \"$2\", \"device_owner\": \"compute:nova\",
    \"device_id\": \"$(cat /proc/sys/kernel/random/uuid)\", \"binding:host_id\": \"$(hostname)\"}}") || return 1
  [ "$(jq -r '.port["binding:vif_type"]' <<< "$port")" = ovs ] || return 1
  port_id[$2]=$(jq -r .port.id <<< "$port")
  port_ip[$2]=$(jq -r '.port.fixed_ips[0].ip_address' <<< "$port")
  mac=$(jq -r .port.mac_address <<< "$port")
  ip netns add "$ns"
  ip link add "tap$2" type veth peer name eth0 netns "$ns"
  ip -n "$ns" link set eth0 address "$mac"
  ip -n "$ns" addr add "${port_ip[$2]}/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip link set "tap$2" up
  vsctl add-port br-int "tap$2" -- set Interface "tap$2" external_ids:iface-id="${port_id[$2]}" \
    external_ids:attached-mac="$mac" external_ids:iface-status=active external_ids:vm-uuid="$(jq -r .port.device_id <<< "$port")"
}
active() {  # name: Neutron reports the port ACTIVE within 15 s
  for _ in $(seq 60); do
    [ "$(api GET "ports/${port_id[$1]}" | jq -r .port.status)" = ACTIVE ] && return 0
    sleep 0.25
  done
  return 1
}
all_active() { local vm; for vm in "$@"; do active "$vm" || return 1; done; }
agent_conf() { grep -qx "$1" /etc/neutron/plugins/ml2/ovn_agent.ini; }
ours_only() { ours_running && ! pgrep -x ovn-controller; }
clean_sh() { steps unstack && steps clean; }

all_in_one() {
  echo "--- all-in-one node: devstack/local.conf.sample"
  SB=tcp:127.0.0.1:6642
  fresh_host
  local_conf
  check "stack.sh stacks" steps stack || return
  check "hoverd and iovisor-ovnd run" ours_running
  check "the packaged ovn-controller is stopped" none_running ovn-controller
  check "... and kept from starting (a drop-in; DevStack's systemctl enable still works)" dropin ovn-controller.service
  check "ovs-vswitchd kept from starting the same way" dropin ovs-vswitchd.service
  check "systemctl start ovn-controller starts nothing now" sh -c 'systemctl start ovn-controller.service && ! pgrep -x ovn-controller'
  check "DevStack's OVN runs: ovn-northd, NB and SB" sh -c 'pgrep -x ovn-northd && ovn-nbctl --db=tcp:127.0.0.1:6641 --timeout=5 show'
  local id
  id=$(cat /etc/openvswitch/system-id.conf 2>/dev/null)
  check "one Chassis in the Southbound DB: ours, named as DevStack's OVN_UUID ($id)" one_chassis "$id"
  check "the OVN agent (DevStack's default) configured with its metadata extension" agent_conf "extensions = metadata"
  check "... with the Southbound DB" agent_conf "ovn_sb_connection = $SB"
  check "... with the Northbound DB" agent_conf "ovn_nb_connection = tcp:127.0.0.1:6641"
  check "... with the local Open_vSwitch DB over TCP, which answers" \
    sh -c 'grep -qx "ovsdb_connection = tcp:127.0.0.1:6640" /etc/neutron/plugins/ml2/ovn_agent.ini &&
           ovs-vsctl --db=tcp:127.0.0.1:6640 --timeout=5 br-exists br-int'
  check "the user's [[post-config|\$OVN_AGENT_CONF]] lines are in it" agent_conf "report_interval = 17"
  check "br-ex (public:br-ex) has a netdev DevStack can address" ip link show br-ex
  ip addr add 172.24.4.1/24 dev br-ex  # what DevStack's create_neutron_initial_network does

  OVN_NB_DB=tcp:127.0.0.1:6641 OVN_SB_DB=$SB "$here/tests/neutron/neutron-server.sh" start "$work/neutron" 9696 \
    > "$work/neutron-start.log" 2>&1 || { echo "FAIL: neutron-server did not start"; failures=$((failures + 1)); return; }
  local net
  net=$(api POST networks '{"network": {"name": "net1"}}' | jq -r .network.id)
  api POST subnets "{\"subnet\": {\"network_id\": \"$net\", \"cidr\": \"10.20.0.0/24\", \"ip_version\": 4}}" >/dev/null
  check "nova: Neutron binds VM a's port to this host, os-vif plugs it (ovs-vsctl returns)" vm "$net" a
  check "nova: the same for VM b" vm "$net" b
  check "Neutron: both ports ACTIVE" all_active a b
  check "VM a pings VM b" ip netns exec vma ping -c 2 -i 0.2 -W 1 "${port_ip[b]}"
  "$here/tests/neutron/neutron-server.sh" stop "$work/neutron" >/dev/null 2>&1
  ip netns del vma; ip netns del vmb

  check "unstack.sh returns (DevStack's stop_ovn clears external_ids without hanging)" steps unstack
  check "unstack: hoverd and iovisor-ovnd stopped" none_running hoverd
  check "unstack: DevStack's OVS DB and OVN stopped" sh -c '! pgrep -x ovsdb-server && ! pgrep -x ovn-northd'
  check "re-stack: stack.sh stacks again (ovsdb-server.service was stopped by unstack)" steps stack
  check "re-stack: hoverd and iovisor-ovnd run, no ovn-controller" ours_only
  check "re-stack: one Chassis, ours" one_chassis "$id"
  check "re-stack: br-ex kept its address" sh -c 'ip -o addr show dev br-ex | grep -q 172.24.4.1/24'
  check "clean.sh: unstack.sh then clean" clean_sh
  check "clean: hoverd's pins removed" test ! -e /sys/fs/bpf/iovisor/devstack
  check "clean: hoverd's state removed" test ! -e /opt/stack/data/iovisor-ovn
  check "clean: the plugin's settings removed" test ! -e /etc/iovisor-ovn
  check "clean: binaries removed" test ! -e /usr/local/bin/iovisor-ovnd
  check "clean: the drop-ins removed: ovn-controller may start again" \
    sh -c '! ls /etc/systemd/system/ovn-controller.service.d/50-iovisor-ovn.conf && ! ls /etc/systemd/system/ovs-vswitchd.service.d/50-iovisor-ovn.conf'
}

plugin_alone() {
  echo "--- enable_plugin alone (hoverd and iovisor-ovnd not enabled): the plugin leaves the node alone"
  fresh_host
  local_conf "disable_service hoverd iovisor-ovnd"
  check "stack.sh stacks" steps stack || return
  check "no drop-ins, no hoverd" sh -c '! ls /etc/systemd/system/ovn-controller.service.d/50-iovisor-ovn.conf && ! pgrep -x hoverd'
  check "the packaged ovn-controller left running" pgrep -x ovn-controller
  check "no ovn-remote written by the plugin" sh -c '! ovs-vsctl --timeout=5 get Open_vSwitch . external_ids:ovn-remote'
  # (Not unstack.sh: DevStack's stop_ovn would wait for an ovs-vswitchd,
  # which needs the openvswitch kernel module this host may lack.)
  check "clean phase: nothing to do, nothing done" steps clean
  check "... the packaged ovn-controller still runs" pgrep -x ovn-controller
  systemctl stop ovn-controller.service ovsdb-server.service
}

metadata_agent_registered() {  # within 30 s
  for _ in $(seq 60); do
    sb get Chassis_Private "compute-$$" external_ids | grep -q neutron:ovn-metadata-id && return 0
    sleep 0.5
  done
  return 1
}

compute_node() {
  echo "--- compute node: the sample's compute recipe, the OVN metadata agent"
  IMPL=none "$here/scripts/ovn-sandbox.sh" start "$work/ovn" > "$work/ovn-start.log" 2>&1 ||
    { echo "FAIL: the controller's OVN did not start"; failures=$((failures + 1)); return; }
  SB=unix:$work/ovn/ovnsb_db.sock
  local_conf "OVN_SB_REMOTE=$SB" "OVN_NB_REMOTE=unix:$work/ovn/ovnnb_db.sock" "OVN_UUID=compute-$$" \
    "ENABLED_SERVICES=n-cpu,placement-client,q-ovn-metadata-agent,hoverd,iovisor-ovnd"
  fresh_host
  check "stack.sh stacks" steps stack || return
  check "one Chassis in the controller's Southbound DB: compute-$$" one_chassis "compute-$$"
  check "no ovn-controller" none_running ovn-controller
  check "the OVN metadata agent registered on our Chassis_Private" metadata_agent_registered
  check "unstack.sh returns" steps unstack
  check "unstack: the Chassis left the Southbound DB" no_chassis
  check "unstack: our daemons stopped" all_stopped hoverd iovisor-ovnd
  check "unstack: the local Open_vSwitch DB stopped (DevStack's stop_ovn)" sh -c '! ovs-vsctl --timeout=2 show'
  check "re-stack: stack.sh stacks again, where no Open_vSwitch DB runs any more" steps stack
  check "re-stack: our own Open_vSwitch DB serves the node" test -f /etc/iovisor-ovn/own-ovsdb
  check "re-stack: one Chassis, ours" one_chassis "compute-$$"
  check "re-stack: the OVN metadata agent registered again" metadata_agent_registered
  check "clean.sh: unstack.sh then clean" clean_sh
  check "clean: nothing of ours left running" all_stopped hoverd iovisor-ovnd
  check "clean: no pins, no settings" sh -c '! ls /etc/iovisor-ovn && ! ls /sys/fs/bpf/iovisor/devstack'
  "$here/scripts/ovn-sandbox.sh" stop "$work/ovn" >/dev/null 2>&1
  check "nothing left running" all_stopped ovsdb-server ovn-northd hoverd iovisor-ovnd neutron-ovn-metadata-agent haproxy
}

for recipe in ${IOVISOR_DEVSTACK_RECIPES:-all_in_one compute_node plugin_alone}; do "$recipe"; done

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
