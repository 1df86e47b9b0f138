#!/usr/bin/env bash
# Builds libopenvswitch.a from Debian's openvswitch-source tarball and generates
# the C IDL for the OVN NB/SB schemas. Called by CMake; every step leaves a stamp
# so a second build (or a re-run after an interruption) skips finished steps.
#
#   build-ovs-idl.sh <out-dir> <annotations-dir>
#
# Results:
#   <out>/src/lib/.libs/libopenvswitch.a   (includes the vswitch IDL)
#   <out>/idl/ovn-nb-idl.{h,c} <out>/idl/ovn-sb-idl.{h,c}
set -euo pipefail

out=$(realpath -m "$1")
ann_dir=$(realpath "$2")
tarball=${OVS_TARBALL:-/usr/src/openvswitch/openvswitch.tar.gz}
src=$out/src
jobs=$(nproc)

die() { echo "build-ovs-idl: $*" >&2; exit 1; }
[ -f "$tarball" ] || die "$tarball not found: install openvswitch-source (scripts/install-deps.sh as root)"
for schema in /usr/share/ovn/ovn-nb.ovsschema /usr/share/ovn/ovn-sb.ovsschema; do
  [ -f "$schema" ] || die "$schema not found: install ovn-common (scripts/install-deps.sh as root)"
done

mkdir -p "$out"
step() { [ -f "$out/.$1.done" ]; }
done_step() { touch "$out/.$1.done"; }

if ! step unpack; then
  rm -rf "$src" && mkdir -p "$src"
  tar xzf "$tarball" -C "$src" --strip-components=1
  # Two parameters are named with C++ keywords; rename them so the headers
  # compile as C++17 (parameter names are not part of the ABI).
  sed -i 's/const struct ovsdb_datum \*new,/const struct ovsdb_datum *new_,/' "$src/lib/ovsdb-data.h"
  sed -i 's/const struct ovsdb_idl_table_class \*class,/const struct ovsdb_idl_table_class *class_,/' "$src/lib/ovsdb-idl.h"
  done_step unpack
fi

cd "$src"
# With SSL (libssl-dev): ssl: remotes to the OVN databases. The flags are
# kept in the stamp: a change of flags configures and builds again.
flags="--enable-ssl --disable-libcapng --disable-afxdp --disable-usdt-probes --with-pic --enable-ndebug"
if ! step configure || [ "$(cat "$out/.configure.done")" != "$flags" ]; then
  cc=gcc; command -v ccache >/dev/null && cc="ccache gcc"
  rm -f "$out/.lib.done"
  # shellcheck disable=SC2086  # one word per flag
  ./configure CC="$cc" PYTHON3=/usr/bin/python3 $flags >"$out/configure.log" 2>&1 \
    || die "configure failed, see $out/configure.log"
  echo "$flags" > "$out/.configure.done"
fi

if ! step lib; then
  make -j"$jobs" include/odp-netlink.h include/odp-netlink-macros.h ofproto/ipfix-entities.def \
    lib/vswitch-idl.h lib/vswitch-idl.c lib/ovsdb-server-idl.h lib/ovsdb-server-idl.c >"$out/make.log" 2>&1 \
    || die "make (generated headers) failed, see $out/make.log"
  make -j"$jobs" lib/libopenvswitch.la ovsdb/ovsdb-idlc >>"$out/make.log" 2>&1 \
    || die "make libopenvswitch failed, see $out/make.log"
  done_step lib
fi

mkdir -p "$out/idl"
export PYTHONPATH=$src/python
for db in nb sb; do
  idl=$out/idl/ovn-$db-idl
  if [ ! -f "$idl.c" ] || [ "$ann_dir/ovn-$db-idl.ann" -nt "$idl.c" ]; then
    python3 ovsdb/ovsdb-idlc.in annotate "/usr/share/ovn/ovn-$db.ovsschema" "$ann_dir/ovn-$db-idl.ann" >"$idl.ovsidl"
    python3 ovsdb/ovsdb-idlc.in c-idl-header "$idl.ovsidl" >"$idl.h.tmp" && mv "$idl.h.tmp" "$idl.h"
    python3 ovsdb/ovsdb-idlc.in c-idl-source "$idl.ovsidl" >"$idl.c.tmp" && mv "$idl.c.tmp" "$idl.c"
  fi
done
echo "build-ovs-idl: libopenvswitch.a and OVN IDL ready in $out"
