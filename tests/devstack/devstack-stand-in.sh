# shellcheck shell=bash
# A minimal stand-in for the DevStack helpers a plugin calls (functions-common,
# stack.sh's globals), so devstack/plugin.sh runs for real without an
# OpenStack: services run as background processes with pidfiles in
# $STANDIN_DIR instead of systemd units. Source it, then source the plugin's
# settings and plugin.sh phases as stack.sh / unstack.sh / clean.sh do.

# shellcheck disable=SC2034  # DevStack's globals, read by the plugin
: "${STANDIN_DIR:?set STANDIN_DIR to a scratch directory}"
mkdir -p "$STANDIN_DIR/services" "$STANDIN_DIR/logs"

DEST=$STANDIN_DIR/stack
DATA_DIR=$STANDIN_DIR/data
LOGDIR=$STANDIN_DIR/logs
STACK_USER=$(id -un)
SERVICE_HOST=127.0.0.1
HOST_IP=127.0.0.1
SYSTEMCTL="standin_systemctl"
# What lib/neutron_plugins/ovn_agent and lib/neutron define.
NEUTRON_CONF_DIR=$STANDIN_DIR/etc/neutron
OVN_META_CONF=$NEUTRON_CONF_DIR/neutron_ovn_metadata_agent.ini
OVN_META_DATA_HOST=127.0.0.1
ENABLE_DEBUG_LOG_LEVEL=True
API_WORKERS=1
# Every systemctl, ovs-dpctl and DevStack OVN call the plugin makes, for the
# test to inspect; systemd units are "active" while $STANDIN_DIR/active-UNIT exists.
STANDIN_LOG=$STANDIN_DIR/calls.log

function die {
    local line=$1; shift
    echo "[ERROR] devstack/plugin.sh:$line $*" >&2
    exit 1
}

function echo_summary { echo "==> $*"; }

function is_service_enabled {
    local service
    for service in "$@"; do
        [[ ,${ENABLED_SERVICES}, == *,${service},* ]] && return 0
    done
    return 1
}

function enable_service {
    local service
    for service in "$@"; do
        is_service_enabled "$service" || ENABLED_SERVICES+=",$service"
    done
}

function disable_service {
    local service
    for service in "$@"; do
        ENABLED_SERVICES=$(echo ",$ENABLED_SERVICES," | sed "s/,$service,/,/g; s/^,//; s/,$//")
    done
}

# Root runs everything here; DevStack's non-root stack user would sudo. The
# host's OVS kernel datapath, if any, is not ours to remove: only logged.
function sudo {
    if [[ $1 == ovs-dpctl ]]; then echo "$*" >> "$STANDIN_LOG"; return 0; fi
    "$@"
}

function standin_systemctl {
    echo "systemctl $*" >> "$STANDIN_LOG"
    local unit=${*: -1}
    case "$1" in
        is-active) [[ -e "$STANDIN_DIR/active-$unit" ]] ;;
        stop) rm -f "$STANDIN_DIR/active-$unit" ;;
        *) return 0 ;;
    esac
}

# lib/neutron's start_ovn_services on a node with the metadata agent or
# ovn-northd: here it only records the call and, as ovn_agent's _start_ovs
# does, "starts" ovs-vswitchd.
function start_ovn_services {
    echo "start_ovn_services" >> "$STANDIN_LOG"
    touch "$STANDIN_DIR/active-ovs-vswitchd.service"
}

# functions-common's iniset FILE SECTION KEY VALUE.
function iniset {
    python3 - "$@" <<'PY'
import configparser, sys
path, section, key, value = sys.argv[1:5]
ini = configparser.RawConfigParser()
ini.optionxform = str
ini.read(path)
if section != "DEFAULT" and not ini.has_section(section):
    ini.add_section(section)
ini.set(section, key, value)
with open(path, "w") as f:
    ini.write(f)
PY
}

function configure_root_helper_options { iniset "$1" agent root_helper "sudo"; }

# install_package: checks instead of installing (the test machine has what
# scripts/install-deps.sh installed), so a wrong package name fails.
function install_package {
    local pkg missing=()
    for pkg in "$@"; do
        [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == "install ok installed" ]] || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] || die $LINENO "packages not installed: ${missing[*]}"
    echo "$@" > "$STANDIN_DIR/installed-packages"
}

# run_process SERVICE "COMMAND" [GROUP] [USER]: like DevStack, only for an
# enabled service; the command runs in the foreground of its own process.
function run_process {
    local service=$1 command=$2
    is_service_enabled "$service" || return 0
    # shellcheck disable=SC2086  # the command line, split as systemd's ExecStart would
    $command >"$LOGDIR/$service.log" 2>&1 </dev/null &
    echo $! > "$STANDIN_DIR/services/$service.pid"
}

function stop_process {
    local service=$1 pidfile="$STANDIN_DIR/services/$1.pid" pid
    is_service_enabled "$service" || return 0
    [[ -f $pidfile ]] || return 0
    pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then
        local state
        for _ in $(seq 100); do  # until it exits (a zombie: our child, reaped below)
            state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
            [[ -z $state || $state == Z* ]] && break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}
