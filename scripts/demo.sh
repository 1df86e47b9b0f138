#!/usr/bin/env bash
# The main job on a fresh machine: installs dependencies, builds, starts a
# real local OVN (NB, SB, northd) with a local Open_vSwitch database, hoverd
# and iovisor-ovnd, then plays the IOVisor-OVN demo with network namespaces
# as VMs, driven only by ovn-nbctl and ovs-vsctl:
#   1. an L2 network with two VMs; they ping each other;
#   2. VM2's IP is changed by hand: port security stops it;
#   3. a router to a second network, SNAT to an external network and a
#      floating IP reachable from it.
# Everything it starts is stopped, and everything it creates removed, also
# when interrupted.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh"
"$here/scripts/build.sh"

work=$(mktemp -d /tmp/iovisor-demo-XXXXXX)
sandbox=$work/ovn
namespaces=()
failures=0
cleanup() {
  set +e
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null; ip link del "${ns}h" 2>/dev/null; done
  "$here/scripts/ovn-sandbox.sh" stop "$sandbox" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
expect() {  # expect ok|fail description command...
  local want=$1 what=$2; shift 2
  if "$@" >/dev/null 2>&1; then got=ok; else got=fail; fi
  if [ "$got" = "$want" ]; then printf '   \033[32mas expected\033[0m: %s\n' "$what"
  else printf '   \033[31mUNEXPECTED\033[0m: %s\n' "$what"; failures=$((failures + 1)); fi
}

# A VM: namespace demo-NAME with eth0 (MAC, CIDR, gateway), its host end
# plugged into BRIDGE with iface-id=LSP (or not plugged when LSP is "-").
vm() {  # name mac cidr gateway bridge lsp
  local ns=demo-$1
  ip netns add "$ns"; namespaces+=("$ns")
  ip link add "${ns}h" type veth peer name "${ns}v"
  ip link set "${ns}v" netns "$ns"
  ip -n "$ns" link set "${ns}v" name eth0
  ip -n "$ns" link set eth0 address "$2"
  ip -n "$ns" addr add "$3" dev eth0
  ip -n "$ns" link set eth0 up; ip -n "$ns" link set lo up
  [ "$4" = - ] || ip -n "$ns" route add default via "$4"
  ip link set "${ns}h" up
  if [ "$6" = - ]; then run ovs-vsctl add-port "$5" "${ns}h"
  else run ovs-vsctl add-port "$5" "${ns}h" -- set Interface "${ns}h" external_ids:iface-id="$6"; fi
}
# Three tries: the first packet towards an unresolved next hop waits for ARP.
ping_from() { ip netns exec "demo-$1" ping -c 3 -i 0.3 -W 1 "$2"; }

step "start OVN (NB, SB, northd), the local Open_vSwitch DB, hoverd and iovisor-ovnd"
"$here/scripts/ovn-sandbox.sh" start "$sandbox"
# shellcheck disable=SC1091
. "$sandbox/env"
run ovn-sbctl show

step "1. an L2 network with two VMs (port security on both)"
run ovn-nbctl ls-add net1
for i in 1 2; do
  run ovn-nbctl lsp-add net1 vm$i -- lsp-set-addresses vm$i "02:00:00:00:00:0$i 10.0.0.$i" \
    -- lsp-set-port-security vm$i "02:00:00:00:00:0$i 10.0.0.$i"
  vm vm$i 02:00:00:00:00:0$i 10.0.0.$i/24 10.0.0.254 br-int vm$i
done
run ovn-nbctl --wait=hv sync
run ovn-nbctl show net1
expect ok "VM1 pings VM2" ping_from vm1 10.0.0.2
port_up() { [ "$(ovn-nbctl get Logical_Switch_Port "$1" up)" = true ]; }
expect ok "VM2's port is up in the Northbound DB" port_up vm2

step "2. change VM2's IP by hand: port security must stop it"
run ip netns exec demo-vm2 sh -c 'ip addr flush dev eth0 && ip addr add 10.0.0.66/24 dev eth0'
expect fail "VM1 cannot reach VM2 at 10.0.0.66" ping_from vm1 10.0.0.66
printf '   drops on net1: %s\n' "$(curl -s --unix-socket "$HOVER_SOCKET" "http://hoverd/modules/ls-$(ovn-nbctl get Logical_Switch net1 _uuid)/stats" | jq -c .drops)"
run ip netns exec demo-vm2 sh -c 'ip addr flush dev eth0 && ip addr add 10.0.0.2/24 dev eth0 && ip route add default via 10.0.0.254'
expect ok "with its own IP back, VM2 answers again" ping_from vm1 10.0.0.2

step "3. a router to a second network and to an external network (SNAT, floating IP)"
run ovn-nbctl ls-add net2 -- lsp-add net2 vm3 -- lsp-set-addresses vm3 "02:00:00:00:01:03 10.0.1.3"
vm vm3 02:00:00:00:01:03 10.0.1.3/24 10.0.1.254 br-int vm3
run ovn-nbctl lr-add r1 -- lrp-add r1 r1-net1 02:00:00:00:aa:01 10.0.0.254/24 \
  -- lrp-add r1 r1-net2 02:00:00:00:aa:02 10.0.1.254/24 -- lrp-add r1 r1-ext 02:00:00:00:aa:03 172.24.4.1/24
run ovn-nbctl ls-add ext
for net in net1 net2 ext; do
  run ovn-nbctl lsp-add $net $net-r1 -- lsp-set-type $net-r1 router -- lsp-set-addresses $net-r1 router \
    -- lsp-set-options $net-r1 router-port=r1-$net
done
run ovn-nbctl lsp-add ext ext-localnet -- lsp-set-type ext-localnet localnet \
  -- lsp-set-addresses ext-localnet unknown -- lsp-set-options ext-localnet network_name=physnet1
run ovn-nbctl lr-route-add r1 0.0.0.0/0 172.24.4.254
# NAT happens at a gateway: r1-ext is a distributed gateway port on this chassis.
run ovn-nbctl lrp-set-gateway-chassis r1-ext "$(ovs-vsctl get open . external_ids:system-id | tr -d '"')" 10
run ovn-nbctl lr-nat-add r1 snat 172.24.4.1 10.0.0.0/16
run ovn-nbctl lr-nat-add r1 dnat_and_snat 172.24.4.50 10.0.0.2
run ovs-vsctl add-br br-ex -- set open . external_ids:ovn-bridge-mappings=physnet1:br-ex
vm outside 02:00:00:00:04:fe 172.24.4.254/24 - br-ex -
run ovn-nbctl --wait=hv sync
expect ok "VM1 pings VM3 through the router" ping_from vm1 10.0.1.3
expect ok "VM3 reaches the external network (SNAT to 172.24.4.1)" ping_from vm3 172.24.4.254
expect ok "the external host reaches VM2 at its floating IP 172.24.4.50" ping_from outside 172.24.4.50

step "what hoverd runs"
curl -s --unix-socket "$HOVER_SOCKET" http://hoverd/modules/ | jq -r '.[] | "   module \(.id) \(.module_type) \(.config.ovn.kind) \(.config.ovn.name)"'
curl -s --unix-socket "$HOVER_SOCKET" http://hoverd/links/ | jq -r '.[] | "   link \(.id): \(.from) <-> \(.to)"'

if [ "$failures" -eq 0 ]; then step "demo done: every step behaved as expected"; else step "demo done: $failures unexpected result(s)"; exit 1; fi
