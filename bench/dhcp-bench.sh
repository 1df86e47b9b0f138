#!/usr/bin/env bash
# Native DHCP and DNS benchmark, ours next to the reference in the same run:
#   iovisor   = hoverd + iovisor-ovnd (answered in the kernel)
#   reference = ovn-controller + ovs-vswitchd (answered by pinctrl, userspace)
# both on their own freshly started OVN from Debian's packages, with the
# DHCP options Neutron sets for a subnet.
#  1. DISCOVER -> OFFER, REQUEST -> ACK and a DNS query for a record of the
#     switch -> its answer: COUNT requests from one VM (bench/dhcp_bench.cpp):
#     answered per second with WINDOW in flight, and the latency of a lone
#     request (one in flight) p50/p99;
#  2. `ovs-vsctl add-port` of a new VM to its dhclient lease, p50/p99 over
#     PORTS ports (dhclient started as the port is plugged, as a booting VM).
# Usage (as root): bench/dhcp-bench.sh [PORTS=100] [COUNT=20000] [WINDOW=32]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ports=${1:-100} count=${2:-20000} window=${3:-32}
work=$(mktemp -d /tmp/iovisor-dhcpbench-XXXXXX)
tag=db$$
# shellcheck source=scripts/lib/bench.sh
. "$here/scripts/lib/bench.sh"
bench_start

# VM `i`: 02:00:00:00:xx:xx, 10.0.x.y in 10.0.0.0/16, a namespace without an
# address, its host end not yet plugged.
vm_mac() { printf '02:00:00:00:%02x:%02x' $(( $1 / 256 )) $(( $1 % 256 )); }
vm_ip() { echo "10.0.$(( $1 / 250 + 1 )).$(( $1 % 250 + 2 ))"; }
make_vm() {  # index
  local ns=${tag}v$1
  bench_vm "$ns" "$(vm_mac "$1")"
}
add_port() {  # index: the logical port with its address and DHCP options
  ovn-nbctl lsp-add sw0 "p$1" -- lsp-set-addresses "p$1" "$(vm_mac "$1") $(vm_ip "$1")" \
    -- lsp-set-dhcpv4-options "p$1" "$dhcp"
}

# Neutron's subnet: sw0 behind router lr0 (10.0.0.1), its DHCP options.
network() {
  ovn-nbctl ls-add sw0 -- lr-add lr0 -- lrp-add lr0 lr0-sw0 fa:16:3e:00:00:01 10.0.0.1/16 \
    -- lsp-add sw0 sw0-lr0 -- lsp-set-type sw0-lr0 router -- lsp-set-addresses sw0-lr0 router \
    -- lsp-set-options sw0-lr0 router-port=lr0-sw0
  ovn-nbctl dhcp-options-create 10.0.0.0/16
  dhcp=$(ovn-nbctl --bare --columns=_uuid find DHCP_Options)
  ovn-nbctl dhcp-options-set-options "$dhcp" lease_time=43200 server_id=10.0.0.1 server_mac=fa:16:3e:00:00:fe \
    router=10.0.0.1 'dns_server={8.8.8.8, 1.1.1.1}' 'domain_name="openstack.internal."' mtu=1442 \
    'classless_static_route={169.254.169.254/32,10.0.0.2, 0.0.0.0/0,10.0.0.1}'
  local records
  records=$(ovn-nbctl create DNS 'records={"vm1.openstack.internal"="10.0.1.3"}')
  ovn-nbctl add Logical_Switch sw0 dns_records "$records"
}

request_rate() {  # impl
  make_vm 0
  add_port 0
  ovs-vsctl add-port br-int "${tag}v0h" -- set Interface "${tag}v0h" external_ids:iface-id=p0
  ovn-nbctl --wait=hv sync
  for kind in discover request dns; do
    ip netns exec "${tag}v0" "$here/build/bench/dhcp_bench" eth0 "$(vm_mac 0)" "$(vm_ip 0)" "$kind" \
      "$count" "$window" > "$work/$1.$kind"
    ip netns exec "${tag}v0" "$here/build/bench/dhcp_bench" eth0 "$(vm_mac 0)" "$(vm_ip 0)" "$kind" \
      "$(( count / 10 ))" 1 > "$work/$1.$kind.lone"
  done
  ip netns del "${tag}v0"
}

port_to_lease() {  # impl
  : > "$work/$1.lease"
  for i in $(seq 1 "$ports"); do
    local ns=${tag}v$i t0 t1
    make_vm "$i"
    add_port "$i"
    now_ms t0
    ovs-vsctl add-port br-int "${ns}h" -- set Interface "${ns}h" external_ids:iface-id="p$i"
    if ! ip netns exec "$ns" timeout 120 dhclient -1 -lf "$work/lease" -pf "$work/dhclient.pid" -sf /bin/true eth0 \
      >/dev/null 2>&1; then
      echo "$1: port $i got no lease" >&2; return 1
    fi
    now_ms t1
    echo $(( t1 - t0 )) >> "$work/$1.lease"
    ip netns pids "$ns" | xargs -r kill -9
    ip netns del "$ns"
  done
}

for impl in iovisor reference; do
  echo "== $impl: starting a fresh OVN and chassis" >&2
  IMPL=$impl BUILD_DIR="$here/build" "$here/scripts/ovn-sandbox.sh" start "$work/$impl" >/dev/null
  # shellcheck disable=SC1090
  . "$work/$impl/env"
  network
  echo "== $impl: $count DHCP requests of each kind, $window in flight" >&2
  request_rate "$impl"
  echo "== $impl: $ports ports, add-port -> dhclient lease" >&2
  port_to_lease "$impl"
  "$here/scripts/ovn-sandbox.sh" stop "$work/$impl" >/dev/null
done

printf '\n%-48s %16s %24s\n' "" "iovisor-ovn" "ovn-controller + OVS"
for kind in discover request dns; do
  read -r ours_n ours_lost ours_rate _ _ < "$work/iovisor.$kind"
  read -r ref_n ref_lost ref_rate _ _ < "$work/reference.$kind"
  read -r _ _ _ ours50 ours99 < "$work/iovisor.$kind.lone"
  read -r _ _ _ ref50 ref99 < "$work/reference.$kind.lone"
  case $kind in
    discover) label="DISCOVER -> OFFER" ;;
    request) label="REQUEST -> ACK" ;;
    *) label="DNS A query -> answer" ;;
  esac
  printf '%-48s %12s/s %22s/s\n' "$label, answered ($window in flight)" "$ours_rate" "$ref_rate"
  printf '%-48s %14s %24s\n' "  answered / lost of $count" "$ours_n/$ours_lost" "$ref_n/$ref_lost"
  printf '%-48s %11s us %21s us\n' "  latency of a lone request, p50" "$ours50" "$ref50"
  printf '%-48s %11s us %21s us\n' "  latency of a lone request, p99" "$ours99" "$ref99"
done
read -r ours50 ours99 < <(percentiles "$work/iovisor.lease")
read -r ref50 ref99 < <(percentiles "$work/reference.lease")
printf '%-48s %11d ms %21d ms\n' "add-port -> dhclient lease, p50 ($ports ports)" "$ours50" "$ref50"
printf '%-48s %11d ms %21d ms\n' "add-port -> dhclient lease, p99" "$ours99" "$ref99"
