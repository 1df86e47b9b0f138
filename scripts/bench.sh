#!/usr/bin/env bash
# Sets up, builds and runs the benchmarks; each prints its figures next to
# the reference it is compared with, measured in the same run.
#   scripts/bench.sh             # all
#   scripts/bench.sh modules     # per-packet cost of the IOModules
#   scripts/bench.sh acl         # per-packet cost of security groups, 1 to 10,000 ACLs
#   scripts/bench.sh throughput  # TCP through our modules vs Linux bridge/forwarding
#   scripts/bench.sh hoverd      # 1,000 modules, 100,000 entries through REST
#   scripts/bench.sh ovn         # port-to-first-ping and full sync vs ovn-controller + OVS
#   scripts/bench.sh engine      # iovisor-ovnd's engine on a port add vs its full recompute
#   scripts/bench.sh dhcp        # DHCP answered in the kernel vs ovn-controller's pinctrl
#   scripts/bench.sh sg          # connections/s and TCP through security groups vs ovn-controller + OVS
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
which=${1:-all}
case "$which" in
  modules|acl|throughput|hoverd|ovn|engine|dhcp|sg|all) ;;
  *) echo "bench.sh: unknown benchmark '$which' (modules, acl, throughput, hoverd, ovn, engine, dhcp, sg, all)" >&2; exit 2 ;;
esac
"$here/scripts/install-deps.sh" >/dev/null
"$here/scripts/build.sh" >/dev/null
trap '"$here/scripts/cleanup-test-leftovers.sh" >/dev/null' EXIT

if [ "$which" = modules ] || [ "$which" = all ]; then
  echo "== IOModule per-packet cost (BPF_PROG_TEST_RUN)"
  "$here/build/bench/module_bench" "${REPEAT:-1000000}"
fi
if [ "$which" = acl ] || [ "$which" = all ]; then
  echo "== Security groups (ACL stage) per-packet cost (BPF_PROG_TEST_RUN)"
  "$here/build/bench/acl_bench" "${REPEAT:-1000000}"
fi
if [ "$which" = throughput ] || [ "$which" = all ]; then
  echo "== TCP throughput between namespaces"
  "$here/build/bench/throughput_bench" "${SECONDS_PER_RUN:-3}"
fi
if [ "$which" = hoverd ] || [ "$which" = all ]; then
  echo "== hoverd at scale (REST)"
  "$here/build/bench/hoverd_bench" "${MODULES:-1000}" "${ENTRIES:-100000}" "${CLIENTS:-4}"
fi
if [ "$which" = ovn ] || [ "$which" = all ]; then
  echo "== OVN control plane: iovisor-ovnd vs ovn-controller + OVS userspace datapath"
  "$here/bench/ovn-bench.sh" "${PORTS:-100}" "${SYNC_PORTS:-1000}" "${SWITCHES:-100}" "${ROUTERS:-20}"
fi
if [ "$which" = engine ] || [ "$which" = all ]; then
  echo "== iovisor-ovnd's engine: a port add, incremental vs full recompute"
  "$here/build/bench/engine_bench" "${ROUNDS:-200}"
fi
if [ "$which" = dhcp ] || [ "$which" = all ]; then
  echo "== Native DHCP: answered in the kernel vs ovn-controller's pinctrl"
  "$here/bench/dhcp-bench.sh" "${PORTS:-100}" "${COUNT:-20000}" "${WINDOW:-32}"
fi
if [ "$which" = sg ] || [ "$which" = all ]; then
  echo "== Security groups on OVN: connections/s and TCP vs ovn-controller + OVS userspace datapath"
  "$here/bench/sg-bench.sh" "${SECONDS_PER_RUN:-5}"
fi
