#!/usr/bin/env bash
# OVN control-plane benchmark, ours next to the reference in the same run:
#   iovisor   = hoverd + iovisor-ovnd (eBPF datapath)
#   reference = ovn-controller + ovs-vswitchd (userspace datapath)
# both on their own freshly started OVN from Debian's packages.
#  1. time from a port's write to the Northbound (as Neutron) and its plug
#     into br-int (as os-vif) to the new VM's first successful ping (10 ms
#     probes), p50/p99 over PORTS ports, on a chassis with no other ports;
#  2. time to full sync of SYNC_PORTS ports on SWITCHES switches with
#     ROUTERS routers: the chassis daemon starts on that NB content, the clock
#     stops when every port is up in the Northbound DB;
#  3. (1) again with those SYNC_PORTS ports present: a change must cost the
#     same on a loaded chassis (target: within 1.2x of (1)).
# A port's time is shown in parts too: its NB write (OVN's central NB
# server), then its plug (the chassis' Open_vSwitch server), then the rest
# (the chassis daemons programming it, the VM's ping).
# The databases are written as Neutron and os-vif write them (see lsp_add).
# In the port-add phases the machine is split as a cloud is: OVN's central
# half (the NB and SB databases, ovn-northd) runs on the last CPU, as on a
# controller node; the chassis (its Open_vSwitch database and daemons, the
# VMs, the writes) on the others, as on a compute node. Shared, OVN 23.03's
# northd, which recomputes every logical flow on each Northbound change
# (~0.1-0.8 s of a CPU at 5,000 ports), would take a CPU from the chassis in
# the loaded phase only. The full sync gives the chassis every CPU.
# CENTRAL_CPU picks the central CPU; "none" shares every CPU throughout.
# Usage (as root): bench/ovn-bench.sh [PORTS=100] [SYNC_PORTS=1000] [SWITCHES=100] [ROUTERS=20]
# (IMPLS=iovisor measures ours alone, e.g. to profile it; no comparison then.)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ports=${1:-100} sync_ports=${2:-1000} switches=${3:-100} routers=${4:-20}
work=$(mktemp -d /tmp/iovisor-ovnbench-XXXXXX)
tag=ob$$
# shellcheck source=scripts/lib/bench.sh
. "$here/scripts/lib/bench.sh"
bench_start

# CPUs: see the header.
cpus=$(nproc --all)  # nproc alone counts the CPUs this script may use, which pin_chassis changes
central_cpu=${CENTRAL_CPU:-$(( cpus - 1 ))}
[ "$central_cpu" = none ] || [ "$cpus" -ge 2 ] ||
  { echo "CENTRAL_CPU needs 2 CPUs or more (CENTRAL_CPU=none shares them)" >&2; exit 1; }
pin_central() {  # pidfile: that process, every thread, to the central CPU
  [ "$central_cpu" = none ] || taskset -apc "$central_cpu" "$(cat "$1")" >/dev/null
}
# The chassis' daemons and this script (so the VMs and commands it starts),
# every thread, to the chassis' CPUs ("on"), or to every CPU ("off").
pin_chassis() {  # impl on|off
  [ "$central_cpu" = none ] && return 0
  local allowed=0-$(( cpus - 1 )) f
  [ "$2" = on ] && allowed=$(seq 0 $(( cpus - 1 )) | grep -vx "$central_cpu" | paste -sd,)
  taskset -pc "$allowed" $$ >/dev/null
  for f in hoverd ovnd ovsdb vswitchd controller; do
    [ -f "$work/$1/$f.pid" ] && taskset -apc "$allowed" "$(cat "$work/$1/$f.pid")" >/dev/null
  done
  return 0
}

# A VM namespace on 10.77.0.0/16 with its host end not yet plugged.
make_vm() {  # index
  local ns=${tag}v$1 mac ip
  mac=$(printf '02:77:00:00:%02x:%02x' $(( $1 / 256 )) $(( $1 % 256 )))
  ip=10.77.$(( $1 / 250 )).$(( $1 % 250 + 1 ))
  bench_vm "$ns" "$mac" "$ip/16"
  echo "$mac $ip"
}

# The databases are driven as a cloud drives them: Neutron writes a port to
# the Northbound with one transaction (ovsdbapp), os-vif plugs it with one
# (ovsdbapp's native interface), each over a connection it keeps open; here
# bench/ovsdb_writer.py (a coprocess of the phase) keeps them. One-shot
# ovn-nbctl and ovs-vsctl read their whole database first (~1.1 s a port at
# 5,000 ports), ovn-nbctl's daemon mode walks every switch's ports on
# lsp-add (~10 ms of a CPU at 5,000), and an `ovsdb-client transact` starts
# a process and connects (~5 ms here): costs of those tools, not of a
# chassis or a cloud.
# transact DB SCHEMA TABLE PARENT COLUMN OPS...: the insert OPS (the last
# one's uuid-name "new"), and that row added to COLUMN of the TABLE row named
# PARENT, as one transaction.
transact() {
  local db=$1 schema=$2 table=$3 parent=$4 column=$5 ops line reply
  shift 5
  printf -v ops '%s, ' "$@"  # builtins only: a fork here would be timed
  line="$db [\"$schema\", $ops
    {\"op\": \"mutate\", \"table\": \"$table\", \"where\": [[\"name\", \"==\", \"$parent\"]],
     \"mutations\": [[\"$column\", \"insert\", [\"set\", [[\"named-uuid\", \"new\"]]]]]}]"
  printf '%s\n' "${line//$'\n'/ }" >&"${WRITER[1]}"
  read -r reply <&"${WRITER[0]}" || { echo "ovsdb_writer.py is gone" >&2; return 1; }
  [ "$reply" = ok ] || { echo "transaction to $db failed: $reply" >&2; return 1; }
}
lsp_add() {  # switch port "mac ip"
  transact "$OVN_NB_DB" OVN_Northbound Logical_Switch "$1" ports \
    "{\"op\": \"insert\", \"table\": \"Logical_Switch_Port\", \"uuid-name\": \"new\",
      \"row\": {\"name\": \"$2\", \"addresses\": \"$3\"}}"
}
plug() {  # netdev iface-id: Interface + Port on br-int
  transact "unix:$OVS_RUNDIR/db.sock" Open_vSwitch Bridge br-int ports \
    "{\"op\": \"insert\", \"table\": \"Interface\", \"uuid-name\": \"i\",
      \"row\": {\"name\": \"$1\", \"external_ids\": [\"map\", [[\"iface-id\", \"$2\"]]]}}" \
    "{\"op\": \"insert\", \"table\": \"Port\", \"uuid-name\": \"new\",
      \"row\": {\"name\": \"$1\", \"interfaces\": [\"named-uuid\", \"i\"]}}"
}

# CPU time (user + system, ms) of every daemon of the run, one "name ms" line
# each: the chassis' and OVN's, by their pidfiles.
cpu_ms() {  # impl
  local f tick
  tick=$(getconf CLK_TCK)
  for f in "$work/$1"/*.pid; do
    [ -f "$f" ] || continue
    [ -r "/proc/$(cat "$f")/stat" ] || continue
    awk -v n="$(basename "$f" .pid)" -v t="$tick" '{sub(/^.*\) /, ""); print n, int(($12 + $13) * 1000 / t)}' "/proc/$(cat "$f")/stat"
  done
}

steal_ticks() { awk '/^cpu / {print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }  # steal, all

first_ping() {  # impl phase switch first-vm-index
  local impl=$1 out=$work/$1.$2 sw=$3 base=$4
  : > "$out"; : > "$out.never"; : > "$out.nb-write"; : > "$out.plug"
  pin_chassis "$impl" on
  coproc WRITER { exec python3 "$here/bench/ovsdb_writer.py"; }
  ovn-nbctl ls-add "$sw"
  read -r mac0 ip0 < <(make_vm "$base")
  ovn-nbctl lsp-add "$sw" "p$base" -- lsp-set-addresses "p$base" "$mac0 $ip0"
  plug "${tag}v${base}h" "p$base"
  ovn-nbctl --wait=hv sync
  : > "$out.after-commands"; : > "$out.timeline"
  cpu_ms "$impl" > "$out.cpu-before"
  local steal0
  steal0=$(steal_ticks)
  for i in $(seq $(( base + 1 )) $(( base + ports ))); do
    read -r mac ip < <(make_vm "$i")
    local t0 tn tc t1 t
    now_ms t0
    lsp_add "$sw" "p$i" "$mac $ip"
    now_ms tn
    plug "${tag}v${i}h" "p$i"
    now_ms tc
    # ping gives up early once ARP does (after 3 s: "host unreachable"), so
    # it is started again until the deadline. A port that never answers
    # counts with the time it was given, and is told apart. nsenter enters
    # the VM's network only: `ip netns exec` also copies the host's mounts
    # and mounts a sysfs, which takes longer the more links the host has
    # (4.4 -> 5.9 ms with 10,000 links here, nsenter 3.2 -> 3.7).
    until nsenter --net="/run/netns/${tag}v$i" ping -q -c 1 -i 0.01 -w 20 "$ip0" >/dev/null; do
      now_ms t
      if [ $(( t - t0 )) -ge 20000 ]; then
        echo "$impl: port $i never pinged within 20 s" >&2
        echo "$i" >> "$out.never"
        break
      fi
    done
    now_ms t1
    echo $(( t1 - t0 )) >> "$out"
    echo $(( t1 - tc )) >> "$out.after-commands"
    echo $(( tn - t0 )) >> "$out.nb-write"  # the central NB server's part
    echo $(( tc - tn )) >> "$out.plug"      # the local Open_vSwitch server's part
    echo "$i $t0 $tn $tc $t1" >> "$out.timeline"  # port, start, NB write and plug returned, answered
  done
  # CPU per port added: what each daemon spent while the ports came.
  cpu_ms "$impl" | awk -v n="$ports" 'NR == FNR {b[$1] = $2; next} {printf "%s %d\n", $1, ($2 - b[$1]) / n}' \
    "$out.cpu-before" - > "$out.cpu"
  # The hypervisor's share of this machine's CPUs meanwhile (noise to know).
  echo "$steal0 $(steal_ticks)" | awk '{printf "%d\n", ($3 - $1) * 100 / ($4 - $2 + 1)}' > "$out.steal"
  # The VMs go after the phase: a namespace's teardown runs in the kernel
  # after `ip netns del` returns and would overlap the next port's add.
  for i in $(seq "$base" $(( base + ports ))); do ip netns del "${tag}v$i"; done
  local writer_in=${WRITER[1]}
  exec {writer_in}>&-  # the writer's end of input: it exits
  wait "$WRITER_PID" || true
  pin_chassis "$impl" off
}

full_sync() {  # impl
  local impl=$1 dir=$work/$1 batch=$work/$1.nb
  # The chassis daemon stops; the NB content and the interfaces appear; it starts.
  if [ "$impl" = iovisor ]; then kill "$(cat "$dir/ovnd.pid")"; else kill "$(cat "$dir/controller.pid")"; fi
  sleep 1
  : > "$batch"
  local per_switch=$(( sync_ports / switches )) per_router=$(( switches / routers ))
  for s in $(seq 0 $(( switches - 1 ))); do
    echo "-- ls-add s$s" >> "$batch"
    for p in $(seq 0 $(( per_switch - 1 ))); do
      local n=$(( s * per_switch + p ))
      printf -- '-- lsp-add s%d q%d -- lsp-set-addresses q%d "02:78:%02x:%02x:%02x:01 10.%d.%d.%d"\n' \
        "$s" "$n" "$n" $(( s / 256 )) $(( s % 256 )) "$p" $(( 100 + s / 256 )) $(( s % 256 )) $(( p + 1 )) >> "$batch"
    done
  done
  for r in $(seq 0 $(( routers - 1 ))); do
    echo "-- lr-add r$r" >> "$batch"
    for k in $(seq 0 $(( per_router - 1 ))); do
      local s=$(( r * per_router + k ))
      printf -- '-- lrp-add r%d r%d-s%d 02:79:%02x:%02x:00:01 10.%d.%d.254/24\n' "$r" "$r" "$s" $(( s / 256 )) $(( s % 256 )) $(( 100 + s / 256 )) $(( s % 256 )) >> "$batch"
      printf -- '-- lsp-add s%d s%d-r%d -- lsp-set-type s%d-r%d router -- lsp-set-addresses s%d-r%d router -- lsp-set-options s%d-r%d router-port=r%d-s%d\n' \
        "$s" "$s" "$r" "$s" "$r" "$s" "$r" "$s" "$r" "$r" "$s" >> "$batch"
    done
  done
  split -l 200 "$batch" "$batch.part."
  for part in "$batch".part.*; do xargs -a "$part" -d '\n' sh -c 'eval ovn-nbctl "$@"' _ >/dev/null; done
  local links=$work/$impl.links plugs=$work/$impl.plugs
  : > "$links"; : > "$plugs"
  for n in $(seq 0 $(( sync_ports - 1 ))); do
    echo "link add ${tag}q${n} type veth peer name ${tag}r${n}" >> "$links"
    echo "link set ${tag}q${n} up" >> "$links"
    echo "-- add-port br-int ${tag}q${n} -- set Interface ${tag}q${n} external_ids:iface-id=q${n}" >> "$plugs"
  done
  ip -batch "$links"
  split -l 200 "$plugs" "$plugs.part."
  for part in "$plugs".part.*; do xargs -a "$part" -d '\n' sh -c 'eval ovs-vsctl --no-wait "$@"' _ >/dev/null; done
  local t0 t1 up=0
  now_ms t0
  BUILD_DIR="$here/build" "$here/scripts/ovn-sandbox.sh" restart "$dir" ovnd  # as the sandbox starts it
  for _ in $(seq 6000); do
    up=$(ovn-nbctl --bare --columns=name find Logical_Switch_Port up=true | grep -c '^q' || true)
    [ "$up" -ge "$sync_ports" ] && break
    sleep 0.05
  done
  now_ms t1
  [ "$up" -ge "$sync_ports" ] || { echo "$impl: only $up of $sync_ports ports up" >&2; return 1; }
  echo $(( t1 - t0 )) > "$work/$impl.full-sync"
}

rss_mib() {  # pidfile...: the processes' resident memory together
  local kib=0 f
  for f in "$@"; do
    [ -f "$f" ] && kib=$(( kib + $(awk '/^VmRSS/ {print $2}' "/proc/$(cat "$f")/status" 2>/dev/null || echo 0) ))
  done
  echo $(( kib / 1024 ))
}

# What the chassis holds at SYNC_PORTS ports: kernel memory of every map
# hoverd pinned (each map once; its per-CPU part), or the reference's; the
# daemons' RSS.
footprint() {  # impl
  local dir=$work/$1
  if [ "$1" = iovisor ]; then
    local pins instance
    instance=$(sed -n 's/^IOVISOR_OVN_INSTANCE=//p' "$dir/chassis.env")
    pins=/sys/fs/bpf/iovisor/$instance
    find "$pins" -type f -exec bpftool -j map show pinned {} \; 2>/dev/null | python3 -c '
import json, sys
maps = {}
for line in sys.stdin:
    for m in (lambda v: v if isinstance(v, list) else [v])(json.loads(line)):
        if "id" in m: maps[m["id"]] = m  # program pins answer with an error
total = sum(m.get("bytes_memlock", 0) for m in maps.values())
per_cpu = sum(m.get("bytes_memlock", 0) for m in maps.values() if "percpu" in m.get("type", ""))
print(total >> 20, per_cpu >> 20)' > "$dir.kernel"
    rss_mib "$dir/hoverd.pid" "$dir/ovnd.pid" > "$dir.rss"
  else
    echo "- -" > "$dir.kernel"
    rss_mib "$dir/vswitchd.pid" "$dir/controller.pid" > "$dir.rss"
  fi
}

for impl in ${IMPLS:-iovisor reference}; do
  echo "== $impl: starting a fresh OVN and chassis" >&2
  IMPL=$impl BUILD_DIR="$here/build" "$here/scripts/ovn-sandbox.sh" start "$work/$impl" >/dev/null
  for daemon in northd ovnnb ovnsb; do pin_central "$work/$impl/$daemon.pid"; done
  # shellcheck disable=SC1090
  . "$work/$impl/env"
  echo "== $impl: $ports ports, NB write + plug -> first ping" >&2
  first_ping "$impl" first-ping bench 0
  echo "== $impl: full sync of $sync_ports ports, $switches switches, $routers routers" >&2
  full_sync "$impl"
  footprint "$impl"
  echo "== $impl: $ports ports more, first ping with $sync_ports ports present" >&2
  first_ping "$impl" first-ping-loaded bench2 1000
  bench_keep_logs
  "$here/scripts/ovn-sandbox.sh" stop "$work/$impl" >/dev/null
  ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^${tag}q" | sed 's/^/link del /' | ip -force -batch - 2>/dev/null || true
done

# "daemon empty/loaded" ms of CPU per port added, for every daemon of impl.
cpu_per_port() {  # impl
  join <(sort "$work/$1.first-ping.cpu") <(sort "$work/$1.first-ping-loaded.cpu") | awk '{printf "%s %s/%s  ", $1, $2, $3}'
}
for impl in ${IMPLS:-iovisor reference}; do
  echo "$impl: CPU ms per port added, empty/loaded: $(cpu_per_port "$impl")"
  echo "$impl: CPU stolen by the hypervisor, empty/loaded phase: $(cat "$work/$impl.first-ping.steal")%/$(cat "$work/$impl.first-ping-loaded.steal")%"
done

retried() { awk '$1 >= 1000' "$1" | wc -l; }  # first ARP lost: the VM waited for its retry (1 s)
never() { cat "$work"/"$1".first-ping*.never | wc -l; }

[ "${IMPLS:-}" = iovisor ] && {
  for f in first-ping first-ping.nb-write first-ping.plug first-ping.after-commands \
           first-ping-loaded first-ping-loaded.nb-write first-ping-loaded.plug first-ping-loaded.after-commands full-sync; do
    echo "iovisor.$f: $(percentiles "$work/iovisor.$f")"
  done
  echo "never pinged within 20 s: $(never iovisor)"
  echo "waited for an ARP retry: $(retried "$work/iovisor.first-ping") of $ports empty," \
    "$(retried "$work/iovisor.first-ping-loaded") of $ports loaded"
  echo "kernel MiB (per-CPU MiB): $(cat "$work/iovisor.kernel"); daemons RSS MiB: $(cat "$work/iovisor.rss")"
  exit 0
}
read -r ours50 ours99 < <(percentiles "$work/iovisor.first-ping")
read -r ref50 ref99 < <(percentiles "$work/reference.first-ping")
read -r ours50l ours99l < <(percentiles "$work/iovisor.first-ping-loaded")
read -r ref50l ref99l < <(percentiles "$work/reference.first-ping-loaded")
read -r ours50c ours99c < <(percentiles "$work/iovisor.first-ping.after-commands")
read -r ref50c ref99c < <(percentiles "$work/reference.first-ping.after-commands")
read -r ours50lc ours99lc < <(percentiles "$work/iovisor.first-ping-loaded.after-commands")
read -r ref50lc ref99lc < <(percentiles "$work/reference.first-ping-loaded.after-commands")
ours_sync=$(cat "$work/iovisor.full-sync") ref_sync=$(cat "$work/reference.full-sync")
printf '\n%-52s %12s %24s\n' "" "iovisor-ovn" "ovn-controller + OVS"
printf '%-52s %9d ms %21d ms\n' "port to first ping, p50 ($ports ports, on their own)" "$ours50" "$ref50"
printf '%-52s %9d ms %21d ms\n' "port to first ping, p99" "$ours99" "$ref99"
printf '%-52s %9d ms %21d ms\n' "full sync, $sync_ports ports/$switches switches/$routers routers" "$ours_sync" "$ref_sync"
read -r kernel_mib kernel_percpu < "$work/iovisor.kernel"
printf '%-52s %9d MiB %20s\n' "kernel memory (maps) at $sync_ports ports" "$kernel_mib" "(kernel datapath)"
printf '%-52s %9d MiB\n' "  of it per-CPU, on $cpus CPUs" "$kernel_percpu"
printf '%-52s %9d MiB %20d MiB\n' "daemons RSS (hoverd + iovisor-ovnd | vswitchd + ovn-controller)" \
  "$(cat "$work/iovisor.rss")" "$(cat "$work/reference.rss")"
printf '%-52s %9d ms %21d ms\n' "port to first ping, p50 (with $sync_ports ports present)" "$ours50l" "$ref50l"
printf '%-52s %9d ms %21d ms\n' "port to first ping, p99 (with $sync_ports ports present)" "$ours99l" "$ref99l"
printf '%-52s %12s %24s\n' "  of it after both writes returned, p50/p99" "$ours50lc/$ours99lc ms" "$ref50lc/$ref99lc ms"
printf '%-52s %12s %24s\n' "  the same on an empty chassis, p50/p99" "$ours50c/$ours99c ms" "$ref50c/$ref99c ms"
p50() { percentiles "$work/$1" | cut -d' ' -f1; }
printf '%-52s %12s %24s\n' "  NB write returned, p50, empty -> loaded" \
  "$(p50 iovisor.first-ping.nb-write) -> $(p50 iovisor.first-ping-loaded.nb-write) ms" \
  "$(p50 reference.first-ping.nb-write) -> $(p50 reference.first-ping-loaded.nb-write) ms"
printf '%-52s %12s %24s\n' "  then the plug returned, p50, empty -> loaded" \
  "$(p50 iovisor.first-ping.plug) -> $(p50 iovisor.first-ping-loaded.plug) ms" \
  "$(p50 reference.first-ping.plug) -> $(p50 reference.first-ping-loaded.plug) ms"
printf '%-52s %12s %24s\n' "pings that waited for an ARP retry, empty chassis" \
  "$(retried "$work/iovisor.first-ping")/$ports" "$(retried "$work/reference.first-ping")/$ports"
printf '%-52s %12s %24s\n' "  with $sync_ports ports present" \
  "$(retried "$work/iovisor.first-ping-loaded")/$ports" "$(retried "$work/reference.first-ping-loaded")/$ports"
printf '%-52s %12s %24s\n' "ports that never pinged within 20 s (both phases)" "$(never iovisor)" "$(never reference)"
verdict() { if [ "$1" -le "$2" ]; then echo "ok"; else echo "SLOWER"; fi; }
printf 'target: no slower than ovn-controller -> p50 %s, p99 %s, full sync %s\n' \
  "$(verdict "$ours50" "$ref50")" "$(verdict "$ours99" "$ref99")" "$(verdict "$ours_sync" "$ref_sync")"
within() { if [ $(( $1 * 10 )) -le $(( $2 * 12 )) ]; then echo "ok"; else echo "MISSED"; fi; }
printf 'target: a loaded chassis within 1.2x of an empty one -> p50 %s, p99 %s; after the commands: p50 %s, p99 %s\n' \
  "$(within "$ours50l" "$ours50")" "$(within "$ours99l" "$ours99")" \
  "$(within "$ours50lc" "$ours50c")" "$(within "$ours99lc" "$ours99c")"
