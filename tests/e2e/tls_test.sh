#!/usr/bin/env bash
# The whole chassis against OVN databases served only over SSL (pssl:, no
# unix or tcp remote), with certificates made here by ovs-pki: iovisor-ovnd
# registers, binds two VM ports plugged with ovs-vsctl, the VMs ping, and
# `ovn-nbctl --wait=hv sync` returns, with the SSL files from the command
# line and from the Open_vSwitch SSL record; a client without a certificate gets
# nothing from the databases, and iovisor-ovnd given half the SSL files
# refuses to start, naming what is missing.
#
#   sudo tests/e2e/tls_test.sh        (ctest: TlsE2E.ChassisOverSsl)
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$here/build}

# shellcheck source=tests/e2e/lib.sh
. "$here/tests/e2e/lib.sh"
need_root_and_tools ovs-pki:openvswitch-common ovsdb-server:openvswitch-switch ovn-northd:ovn-central ping:iputils-ping

work=$(mktemp -d /tmp/iovisor-tls-XXXXXX)
nb_port=$((23000 + $$ % 5000))
sb_port=$((nb_port + 1))
pki=$work/pki

ssl_args=(-p "$work/client-privkey.pem" -c "$work/client-cert.pem" -C "$pki/switchca/cacert.pem")
nbctl() { ovn-nbctl "${ssl_args[@]}" --db="ssl:127.0.0.1:$nb_port" --timeout=20 "$@"; }
sbctl() { ovn-sbctl "${ssl_args[@]}" --db="ssl:127.0.0.1:$sb_port" --timeout=10 "$@"; }

cleanup() {
  local rc=$?
  e2e_cleanup "$rc"
}
trap cleanup EXIT

# A CA and certificates signed by it, for the servers and for the clients.
ovs-pki --dir="$pki" --log="$work/pki.log" init >/dev/null || { echo "FAIL: ovs-pki init"; exit 1; }
for who in server client; do
  (cd "$work" && ovs-pki --dir="$pki" --log="$work/pki.log" req+sign "$who" switch >/dev/null) ||
    { echo "FAIL: ovs-pki req+sign $who"; exit 1; }
done

# NB and SB over pssl: only, and ovn-northd between them.
start_db() {  # name schema port
  ovsdb-tool create "$work/$1.db" "$2" || return 1
  ovsdb-server "$work/$1.db" --remote="pssl:$3:127.0.0.1" --private-key="$work/server-privkey.pem" \
    --certificate="$work/server-cert.pem" --ca-cert="$pki/switchca/cacert.pem" --pidfile="$work/$1.pid" \
    --unixctl="$work/$1.ctl" --log-file="$work/$1.log" --detach --no-chdir -vconsole:off
}
start_ovn() {
  start_db nb /usr/share/ovn/ovn-nb.ovsschema "$nb_port" && start_db sb /usr/share/ovn/ovn-sb.ovsschema "$sb_port" &&
    ovn-northd --ovnnb-db="ssl:127.0.0.1:$nb_port" --ovnsb-db="ssl:127.0.0.1:$sb_port" "${ssl_args[@]}" \
      --pidfile="$work/northd.pid" --log-file="$work/northd.log" --unixctl="$work/northd.ctl" --detach --no-chdir \
      -vconsole:off
}
start_ovn || { echo "FAIL: OVN over SSL did not start"; exit 1; }

check "a client without a certificate gets nothing from the Southbound DB" \
  sh -c "! ovn-sbctl --db=ssl:127.0.0.1:$sb_port --timeout=3 list Chassis"

cat > "$work/chassis.env" <<ENV
IOVISOR_OVN_SB_REMOTE=ssl:127.0.0.1:$sb_port
IOVISOR_OVN_NB_REMOTE=ssl:127.0.0.1:$nb_port
IOVISOR_OVN_SSL_PRIVATE_KEY=$work/client-privkey.pem
IOVISOR_OVN_SSL_CERTIFICATE=$work/client-cert.pem
IOVISOR_OVN_SSL_CA_CERT=$pki/switchca/cacert.pem
IOVISOR_OVN_OVS_DB=unix:$work/db.sock
IOVISOR_OVN_SYSTEM_ID=tls-chassis-$$
IOVISOR_OVN_INSTANCE=tls$$
IOVISOR_OVN_RUNDIR=$work/run
IOVISOR_OVN_STATE_DIR=$work/state
IOVISOR_OVN_BIN_DIR=$build/bin
ENV
start_chassis() { chassis start all > "$work/chassis-start.log" 2>&1; }
check "the chassis registers over SSL (iovisor-chassis.sh start)" start_chassis || exit 1
check "its Chassis row, read over SSL" test -n "$(sbctl --bare --columns=name find Chassis name="tls-chassis-$$")"
niced() {  # daemon...: each at the default niceness, -10 (as ovs-ctl starts OVS's)
  local d
  for d in "$@"; do [ "$(ps -o ni= -p "$(cat "$work/run/$d.pid")" | tr -d ' ')" = -10 ] || return 1; done
}
check "ovsdb-server, hoverd and iovisor-ovnd run at niceness -10 (IOVISOR_OVN_NICE)" niced ovsdb hoverd ovnd

vm() {  # name mac ip
  local ns=tls$$$1
  vms+=("$ns")
  ip netns add "$ns" && ip link add "${ns}h" type veth peer name eth0 netns "$ns" &&
    ip -n "$ns" link set eth0 address "$2" && ip -n "$ns" addr add "$3/24" dev eth0 &&
    ip -n "$ns" link set eth0 up && ip link set "${ns}h" up &&
    timeout 20 ovs-vsctl --db="unix:$work/db.sock" add-port br-int "${ns}h" -- \
      set Interface "${ns}h" external_ids:iface-id="$1"
}
nbctl ls-add sw
for i in 1 2; do
  nbctl lsp-add sw "vm$i" -- lsp-set-addresses "vm$i" "02:00:00:00:00:0$i 10.9.0.$i"
  check "VM $i plugged with ovs-vsctl (it returns: the chassis applied it)" vm "vm$i" "02:00:00:00:00:0$i" "10.9.0.$i"
done
check "ovn-nbctl --wait=hv sync over SSL returns" nbctl --wait=hv sync
bound_here() {  # logical port
  local here_uuid
  here_uuid=$(sbctl --bare --columns=_uuid find Chassis name="tls-chassis-$$")
  [ -n "$here_uuid" ] && [ "$(sbctl --bare --columns=chassis find Port_Binding logical_port="$1")" = "$here_uuid" ]
}
both_bound() { bound_here vm1 && bound_here vm2; }
check "both ports bound to the chassis" both_bound
check "VM 1 pings VM 2" ip netns exec "tls$$vm1" ping -c 2 -i 0.2 -W 1 10.9.0.2

# ovn-controller's other source of the SSL files: the Open_vSwitch SSL
# record (ovs-vsctl set-ssl; DevStack's tls-proxy writes it).
ssl_from_the_record() {
  chassis stop ovnd && sed -i '/^IOVISOR_OVN_SSL_/d' "$work/chassis.env" &&
    ovs-vsctl --db="unix:$work/db.sock" --no-wait set-ssl "$work/client-privkey.pem" "$work/client-cert.pem" \
      "$pki/switchca/cacert.pem" && chassis start ovnd || return 1
  for _ in $(seq 100); do bound_here vm1 && ip netns exec "tls$$vm1" ping -c 1 -W 1 10.9.0.2 && return 0; sleep 0.2; done
  return 1
}
check "restarted without SSL files, iovisor-ovnd takes them from the SSL record, binds again, VMs ping" \
  ssl_from_the_record

out=$("$build/bin/iovisor-ovnd" --ovnnb-db "ssl:127.0.0.1:$nb_port" -p "$work/client-privkey.pem" 2>&1)
check "iovisor-ovnd with a key alone refuses to start, naming what is missing" \
  grep -q "SSL needs --certificate, --ca-cert too" <<< "$out"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
