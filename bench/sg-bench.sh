#!/usr/bin/env bash
# Security groups on a real OVN, ours next to the reference in the same run:
#   iovisor   = hoverd + iovisor-ovnd (ACLs and conntrack in the kernel)
#   reference = ovn-controller + ovs-vswitchd (userspace datapath, its conntrack)
# both on their own freshly started OVN from Debian's packages. Two VMs on
# one switch, first without ACLs, then in Neutron's shape (neutron_pg_drop,
# a group allowing all egress and TCP 5201 in, stateful), measuring:
#   - new TCP connections per second, vm1 -> vm2:5201 (a Python
#     connect/close loop: SYN, SYN-ACK, ACK, then RST; each a new connection
#     the groups judge and track), SECONDS long, and the connects that
#     failed (1 s without an answer);
#   - TCP throughput, iperf3 vm1 -> vm2, SECONDS long.
# Usage (as root): bench/sg-bench.sh [SECONDS=5]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-5}
work=$(mktemp -d /tmp/iovisor-sgbench-XXXXXX)
tag=sg$$
# shellcheck source=scripts/lib/bench.sh
. "$here/scripts/lib/bench.sh"
bench_start

make_vm() {  # index: namespace ${tag}v<i>, 10.0.0.<i>, plugged as port vm<i>
  local ns=${tag}v$1 mac
  mac=$(printf '02:00:00:00:00:%02x' "$1")
  bench_vm "$ns" "$mac" "10.0.0.$1/24"
  # The userspace datapath forwards veth frames with checksums left to fill.
  [ "$impl" = reference ] && ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
  ovn-nbctl lsp-add sw0 "vm$1" -- lsp-set-addresses "vm$1" "$mac 10.0.0.$1" \
    -- lsp-set-port-security "vm$1" "$mac 10.0.0.$1"
  ovs-vsctl add-port br-int "${ns}h" -- set Interface "${ns}h" external_ids:iface-id="vm$1"
}

# Neutron's default drop group and one security group (egress, TCP 5201
# and ICMP in), both ports in both.
security_groups() {
  ovn-nbctl pg-add neutron_pg_drop vm1 vm2 -- pg-add pg_sg vm1 vm2
  ovn-nbctl acl-add neutron_pg_drop to-lport 1001 'outport == @neutron_pg_drop && ip' drop \
    -- acl-add neutron_pg_drop from-lport 1001 'inport == @neutron_pg_drop && ip' drop \
    -- acl-add pg_sg from-lport 1002 'inport == @pg_sg && ip4' allow-related \
    -- acl-add pg_sg to-lport 1002 'outport == @pg_sg && ip4 && tcp && tcp.dst == 5201' allow-related \
    -- acl-add pg_sg to-lport 1002 'outport == @pg_sg && ip4 && icmp4' allow-related
  ovn-nbctl --wait=hv sync
}

connection_rate() {  # -> connections per second vm1 -> vm2:5201
  cat > "$work/listen.py" <<'PY'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('10.0.0.2', 5201))
s.listen(512)
while True:
    s.accept()[0].close()
PY
  cat > "$work/connect.py" <<PY
import socket, time
done, failed, end = 0, 0, time.time() + $seconds
while time.time() < end:
    try:
        c = socket.create_connection(('10.0.0.2', 5201), 1)
    except OSError:
        failed += 1
        continue
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00')
    c.close()
    done += 1
print(int(done / $seconds), failed)
PY
  ip netns exec "${tag}v2" python3 "$work/listen.py" & local listener=$!
  for _ in $(seq 50); do ip netns exec "${tag}v2" ss -Hltn 'sport = :5201' | grep -q . && break; sleep 0.05; done
  ip netns exec "${tag}v1" ping -c 1 -W 2 10.0.0.2 >/dev/null || true
  ip netns exec "${tag}v1" timeout $(( seconds + 30 )) python3 "$work/connect.py" || echo "0 ?"
  kill "$listener"; wait "$listener" 2>/dev/null || true
}

throughput() {  # -> Gbit/s vm1 -> vm2
  ip netns exec "${tag}v2" iperf3 -s -1 -B 10.0.0.2 >/dev/null 2>&1 & local server=$!
  for _ in $(seq 50); do ip netns exec "${tag}v2" ss -Hltn 'sport = :5201' | grep -q . && break; sleep 0.05; done
  ip netns exec "${tag}v1" timeout $(( seconds + 15 )) iperf3 -c 10.0.0.2 -t "$seconds" --connect-timeout 3000 -J 2>/dev/null |
    python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' ||
    echo 0
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}

for impl in iovisor reference; do
  echo "== $impl: starting a fresh OVN and chassis" >&2
  IMPL=$impl BUILD_DIR="$here/build" "$here/scripts/ovn-sandbox.sh" start "$work/$impl" >/dev/null
  # shellcheck disable=SC1090
  . "$work/$impl/env"
  ovn-nbctl ls-add sw0
  make_vm 1
  make_vm 2
  ovn-nbctl --wait=hv sync
  echo "== $impl: without security groups" >&2
  connection_rate > "$work/$impl.conn"
  throughput > "$work/$impl.tput"
  security_groups
  echo "== $impl: with security groups" >&2
  connection_rate > "$work/$impl.conn_sg"
  throughput > "$work/$impl.tput_sg"
  for v in 1 2; do ip netns del "${tag}v$v"; done
  "$here/scripts/ovn-sandbox.sh" stop "$work/$impl" >/dev/null
done

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2fx' % (a / b if b else 0))" "$1" "$2"; }
read_figure() { tail -n 1 "$work/$1" | cut -d' ' -f1; }
failures() { tail -n 1 "$work/$1" | cut -d' ' -f2; }
printf '\n%-52s %14s %22s\n' "" "iovisor-ovn" "ovn-controller + OVS"
for kind in conn tput; do
  unit=$([ $kind = conn ] && echo "/s" || echo " Gbit/s")
  label=$([ $kind = conn ] && echo "new TCP connections" || echo "TCP throughput (iperf3)")
  ours=$(read_figure iovisor.$kind) ref=$(read_figure reference.$kind)
  ours_sg=$(read_figure iovisor.${kind}_sg) ref_sg=$(read_figure reference.${kind}_sg)
  printf '%-52s %12s%s %20s%s\n' "$label, no ACL" "$ours" "$unit" "$ref" "$unit"
  printf '%-52s %12s%s %20s%s\n' "$label, Neutron security groups" "$ours_sg" "$unit" "$ref_sg" "$unit"
  if [ $kind = conn ]; then
    printf '%-52s %14s %22s\n' "  connects failed, no ACL / with groups" \
      "$(failures iovisor.conn) / $(failures iovisor.conn_sg)" "$(failures reference.conn) / $(failures reference.conn_sg)"
  fi
  printf '%-52s %14s %22s\n' "  with groups / without" "$(ratio "$ours_sg" "$ours")" "$(ratio "$ref_sg" "$ref")"
  printf '%-52s %14s\n' "  ours / reference, with groups" "$(ratio "$ours_sg" "$ref_sg")"
done
