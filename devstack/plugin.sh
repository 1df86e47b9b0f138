#!/bin/bash
# shellcheck shell=bash
# IOVisor-OVN DevStack plugin: on this node hoverd + iovisor-ovnd replace
# ovn-controller and the OVS datapath; Neutron (ML2/OVN) keeps its OVN
# Northbound, Southbound and ovn-northd.
#
# A thin adapter over scripts/iovisor-chassis.sh, which brings the chassis up
# (the end-to-end tests run the same script). Services:
#   hoverd          loads and chains the eBPF IOModules (REST on unix:$HOVER_SOCKET)
#   iovisor-ovnd    the OVN chassis: follows NB/SB/Open_vSwitch, programs hoverd
#   iovisor-ovsdb   a local Open_vSwitch database, enabled by the plugin itself
#                   where DevStack runs none (compute nodes)
#
# Phases: stack pre-install (sanity), stack install (build, install, keep the
# packaged ovn-controller and ovs-vswitchd from running), stack post-config
# (configure and start, DevStack's OVN services included), stack extra
# (status), unstack (stop; the chassis leaves the Southbound DB), clean
# (state, pins, binaries, the packaged daemons allowed again).
# With `enable_plugin` alone (hoverd and iovisor-ovnd not enabled) it does
# nothing: the node's OVN stays DevStack's.

_XTRACE_IOVISOR_OVN=$(set +o | grep xtrace)
set +o xtrace

function _iovisor_ovn_chassis {
    sudo "$IOVISOR_OVN_DIR/scripts/iovisor-chassis.sh" --conf "$IOVISOR_OVN_CONF" "$@"
}

# The command a service runs (in the foreground, under run_process).
function _iovisor_ovn_service_command {
    echo "$IOVISOR_OVN_DIR/scripts/iovisor-chassis.sh --conf $IOVISOR_OVN_CONF $1"
}

# The plugin acts only where the chassis runs.
function _iovisor_ovn_here {
    is_service_enabled hoverd iovisor-ovnd
}

function iovisor_ovn_sanity_check {
    if is_service_enabled iovisor-ovnd && is_service_enabled ovn-controller; then
        die $LINENO "iovisor-ovnd replaces ovn-controller on this node: add 'disable_service ovn-controller' to local.conf"
    fi
    if is_service_enabled iovisor-ovnd && ! is_service_enabled hoverd; then
        die $LINENO "iovisor-ovnd programs the datapath through hoverd: add 'enable_service hoverd' to local.conf"
    fi
}

function install_iovisor_ovn {
    # DevStack has installed devstack/files/debs/iovisor-ovn by now. This
    # builds the OVS library from Debian's openvswitch-source (once), the
    # daemons and the eBPF modules, which the daemons embed.
    BUILD_DIR=$IOVISOR_OVN_BUILD_DIR "$IOVISOR_OVN_DIR/scripts/build.sh"
    sudo install -d "$IOVISOR_OVN_BIN_DIR"
    sudo install -m 0755 "$IOVISOR_OVN_BUILD_DIR"/bin/{hoverd,iovisor-ovnd,iovisorctl} "$IOVISOR_OVN_BIN_DIR/"
    if ! mountpoint -q /sys/fs/bpf; then
        sudo mount -t bpf bpf /sys/fs/bpf
    fi
}

# The packaged daemons this node's chassis replaces: ovn-controller (ovn-host
# starts it on install) would register the same chassis and claim the same
# ports; ovs-vswitchd would take the VM ports into its datapath.
function _iovisor_ovn_replaced_units {
    echo "${OVN_CONTROLLER_SERVICE:-ovn-controller.service}" "${OVS_VSWITCHD_SERVICE:-ovs-vswitchd.service}"
}

# A drop-in keeps each replaced unit from starting, whoever asks (DevStack's
# _start_ovs, a reboot, a restart of openvswitch-switch), while `systemctl
# enable` and `restart` still succeed (`mask` would fail DevStack's
# _start_process). clean.sh removes the drop-ins.
function _iovisor_ovn_replace_ovs_daemons {
    local unit
    sudo install -d "$IOVISOR_OVN_CONF_DIR"
    for unit in $(_iovisor_ovn_replaced_units); do
        sudo install -d "$IOVISOR_OVN_SYSTEMD_DIR/$unit.d"
        sudo tee "$IOVISOR_OVN_SYSTEMD_DIR/$unit.d/$IOVISOR_OVN_DROPIN" >/dev/null <<EOF
# Written by the IOVisor-OVN DevStack plugin: hoverd + iovisor-ovnd are this
# node's OVN chassis and datapath. Removed by clean.sh.
[Unit]
ConditionPathExists=!$IOVISOR_OVN_CONF_DIR
EOF
    done
    $SYSTEMCTL daemon-reload
    for unit in $(_iovisor_ovn_replaced_units); do
        if $SYSTEMCTL is-active --quiet "$unit"; then
            $SYSTEMCTL stop "$unit"
        fi
    done
    _iovisor_ovn_remove_ovs_datapaths
}

# The kernel datapaths a stopped ovs-vswitchd leaves hold VM ports. One whose
# internal port carries an address (DevStack puts the public gateway on
# br-ex) is part of the host's networking and stays.
function _iovisor_ovn_remove_ovs_datapaths {
    local dp port
    for dp in $(sudo ovs-dpctl dump-dps 2>/dev/null); do
        for port in $(sudo ovs-dpctl show "$dp" | sed -n 's/^ *port [0-9]*: \([^ ]*\) (internal)$/\1/p'); do
            if [[ -n "$(ip -o addr show dev "$port" 2>/dev/null)" ]]; then
                echo "IOVisor-OVN: kept the OVS datapath $dp: its port $port holds an address"
                continue 2
            fi
        done
        sudo ovs-dpctl del-dp "$dp"
    done
}

function _iovisor_ovn_restore_ovs_daemons {
    local unit
    for unit in $(_iovisor_ovn_replaced_units); do
        sudo rm -f "$IOVISOR_OVN_SYSTEMD_DIR/$unit.d/$IOVISOR_OVN_DROPIN"
        sudo rmdir "$IOVISOR_OVN_SYSTEMD_DIR/$unit.d" 2>/dev/null || true
    done
    $SYSTEMCTL daemon-reload
}

# The settings file every iovisor-chassis.sh call reads. Written at
# post-config, when DevStack has settled OVN_UUID (configure_ovn).
function configure_iovisor_ovn {
    local system_id=${IOVISOR_OVN_SYSTEM_ID:-${OVN_UUID:-}}
    local id_file=${OVS_SYSCONFDIR:-/etc/openvswitch}/system-id.conf
    if [[ -z "$system_id" && -s "$id_file" ]]; then
        system_id=$(cat "$id_file")
    fi
    sudo install -d "$IOVISOR_OVN_CONF_DIR"
    sudo tee "$IOVISOR_OVN_CONF" >/dev/null <<EOF
# Written by the IOVisor-OVN DevStack plugin; read by scripts/iovisor-chassis.sh --conf.
IOVISOR_OVN_SB_REMOTE=$IOVISOR_OVN_SB_REMOTE
IOVISOR_OVN_NB_REMOTE=$IOVISOR_OVN_NB_REMOTE
IOVISOR_OVN_SSL_PRIVATE_KEY=${IOVISOR_OVN_SSL_PRIVATE_KEY:-}
IOVISOR_OVN_SSL_CERTIFICATE=${IOVISOR_OVN_SSL_CERTIFICATE:-}
IOVISOR_OVN_SSL_CA_CERT=${IOVISOR_OVN_SSL_CA_CERT:-}
IOVISOR_OVN_OVS_DB=$IOVISOR_OVN_OVS_DB
IOVISOR_OVN_OVSDB_MANAGER=$IOVISOR_OVN_OVSDB_MANAGER
IOVISOR_OVN_SYSTEM_ID=$system_id
IOVISOR_OVN_HOSTNAME=$IOVISOR_OVN_HOSTNAME
IOVISOR_OVN_ENCAP_TYPE=$IOVISOR_OVN_ENCAP_TYPE
IOVISOR_OVN_ENCAP_IP=$IOVISOR_OVN_ENCAP_IP
IOVISOR_OVN_BRIDGE=$IOVISOR_OVN_BRIDGE
IOVISOR_OVN_BRIDGE_MAPPINGS=$IOVISOR_OVN_BRIDGE_MAPPINGS
IOVISOR_OVN_CMS_OPTIONS=${IOVISOR_OVN_CMS_OPTIONS:-}
HOVER_SOCKET=$HOVER_SOCKET
IOVISOR_HOVERD_FLAGS="$IOVISOR_HOVERD_FLAGS"
IOVISOR_OVN_INSTANCE=$IOVISOR_OVN_INSTANCE
IOVISOR_OVN_RUNDIR=$IOVISOR_OVN_RUNDIR
IOVISOR_OVN_STATE_DIR=$IOVISOR_OVN_STATE_DIR
IOVISOR_OVN_BIN_DIR=$IOVISOR_OVN_BIN_DIR
IOVISOR_OVND_FLAGS="$IOVISOR_OVND_FLAGS"
IOVISOR_OVN_NICE=$IOVISOR_OVN_NICE
EOF
}

# What configure_ovn writes for the metadata agent DevStack enables (the OVN
# agent with its metadata extension, or the OVN metadata agent) when
# ovn-controller is enabled: without it, DevStack writes nothing.
function _iovisor_ovn_metadata_conf {
    local conf
    if is_ovn_agent_enabled && [[ "$OVN_AGENT_EXTENSIONS" =~ metadata ]]; then
        conf=$OVN_AGENT_CONF
    elif is_ovn_metadata_agent_enabled; then
        conf=$OVN_META_CONF
    else
        return 0
    fi
    # The Open_vSwitch DB over TCP, where IOVISOR_OVN_OVSDB_MANAGER (ptcp:PORT:HOST) listens.
    local listener=${IOVISOR_OVN_OVSDB_MANAGER#ptcp:}
    sudo install -d -o "$STACK_USER" "$(dirname "$conf")"
    [[ -f "$conf" ]] || touch "$conf"
    configure_root_helper_options "$conf"
    iniset "$conf" DEFAULT debug "$ENABLE_DEBUG_LOG_LEVEL"
    iniset "$conf" DEFAULT nova_metadata_host "$OVN_META_DATA_HOST"
    iniset "$conf" DEFAULT metadata_workers "$API_WORKERS"
    iniset "$conf" DEFAULT state_path "$DATA_DIR/neutron"
    iniset "$conf" ovs ovsdb_connection "tcp:${listener#*:}:${listener%%:*}"
    iniset "$conf" ovn ovn_sb_connection "$IOVISOR_OVN_SB_REMOTE"
    if [[ "$conf" == "$OVN_AGENT_CONF" ]]; then
        iniset "$conf" agent extensions "$OVN_AGENT_EXTENSIONS"
        iniset "$conf" ovn ovn_nb_connection "$IOVISOR_OVN_NB_REMOTE"
    fi
}

# stack.sh starts the OVN services (start_ovn_services: the OVN DBs,
# ovn-northd, the metadata agents, the public bridge) only when ovn-controller
# is enabled. Without it they start here, at the same point of stack.sh,
# after the user's [[post-config|...]] overrides they read (stack.sh merges
# them again right after this phase; merging is idempotent).
function _iovisor_ovn_start_devstack_ovn {
    is_service_enabled ovn-controller && return 0
    declare -F start_ovn_services >/dev/null || return 0
    is_service_enabled ovn-northd || is_ovn_agent_enabled || is_ovn_metadata_agent_enabled || return 0
    _iovisor_ovn_metadata_conf
    merge_config_group "$TOP_DIR/local.conf" post-config
    start_ovn_services
}

function _iovisor_ovn_wait_ovsdb {
    local tries=0
    until _iovisor_ovn_chassis ovsdb-running; do
        tries=$((tries + 1))
        [[ $tries -le 60 ]] || die $LINENO "no Open_vSwitch DB answers on $IOVISOR_OVN_OVS_DB"
        sleep 0.5
    done
}

# The local Open_vSwitch DB. Where DevStack runs one (_start_ovs, on nodes
# with ovn-northd) its unit starts now, as start_ovn_services would start it;
# elsewhere, when none answers, our own (iovisor-ovsdb).
function _iovisor_ovn_start_ovsdb {
    _iovisor_ovn_chassis ovsdb-running && return 0
    if is_service_enabled ovn-northd ovn-controller-vtep; then
        _start_process "$OVSDB_SERVER_SERVICE"
    else
        enable_service iovisor-ovsdb
        sudo touch "$IOVISOR_OVN_CONF_DIR/own-ovsdb"
        run_process iovisor-ovsdb "$(_iovisor_ovn_service_command run-ovsdb)" "" root
    fi
    _iovisor_ovn_wait_ovsdb
}

# The chassis comes up before DevStack's OVN services: they change the
# Open_vSwitch DB with ovs-vsctl calls that wait for a datapath to apply them
# (create_public_bridge), and iovisor-ovnd is that datapath.
function start_iovisor_ovn {
    _iovisor_ovn_start_ovsdb
    _iovisor_ovn_chassis configure || die $LINENO "could not configure the local Open_vSwitch database"
    run_process hoverd "$(_iovisor_ovn_service_command run-hoverd)" "" root
    run_process iovisor-ovnd "$(_iovisor_ovn_service_command run-ovnd)" "" root
    _iovisor_ovn_start_devstack_ovn
    if is_service_enabled iovisor-ovnd; then
        _iovisor_ovn_chassis wait-registered || die $LINENO "the chassis did not register in $IOVISOR_OVN_SB_REMOTE"
    fi
}

function stop_iovisor_ovn {
    # On SIGTERM iovisor-ovnd releases its port bindings and deletes its
    # Chassis and Chassis_Private rows, as ovn-controller does on exit.
    stop_process iovisor-ovnd
    stop_process hoverd
    if [[ -f "$IOVISOR_OVN_CONF_DIR/own-ovsdb" ]]; then
        enable_service iovisor-ovsdb
        stop_process iovisor-ovsdb
        sudo rm -f "$IOVISOR_OVN_CONF_DIR/own-ovsdb"
    elif [[ "${SKIP_STOP_OVN:-False}" != True && -f "$IOVISOR_OVN_CONF" ]] && _iovisor_ovn_chassis ovsdb-running; then
        # DevStack's stop_ovn, next, clears these with an ovs-vsctl that waits
        # for a datapath to apply it, and none runs any more: cleared now, its
        # call changes nothing and returns at once.
        sudo ovs-vsctl --db="$IOVISOR_OVN_OVS_DB" --timeout=10 --no-wait --if-exists \
            clear Open_vSwitch . external_ids
    fi
}

function cleanup_iovisor_ovn {
    if [[ -f "$IOVISOR_OVN_CONF" ]]; then
        _iovisor_ovn_chassis clean
    fi
    sudo rm -rf "$IOVISOR_OVN_CONF_DIR"
    sudo rm -f "$IOVISOR_OVN_BIN_DIR"/{hoverd,iovisor-ovnd,iovisorctl}
    _iovisor_ovn_restore_ovs_daemons
}

if ! _iovisor_ovn_here; then
    :
elif [[ "$1" == "stack" && "${2:-}" == "pre-install" ]]; then
    iovisor_ovn_sanity_check
elif [[ "$1" == "stack" && "${2:-}" == "install" ]]; then
    echo_summary "Installing IOVisor-OVN"
    install_iovisor_ovn
    _iovisor_ovn_replace_ovs_daemons
elif [[ "$1" == "stack" && "${2:-}" == "post-config" ]]; then
    echo_summary "Configuring and starting IOVisor-OVN"
    iovisor_ovn_sanity_check
    configure_iovisor_ovn
    start_iovisor_ovn
elif [[ "$1" == "stack" && "${2:-}" == "extra" ]]; then
    "$IOVISOR_OVN_BIN_DIR/iovisorctl" --hover "unix:$HOVER_SOCKET" \
        --ovnd "$IOVISOR_OVN_RUNDIR/ovnd.sock" status || true
elif [[ "$1" == "unstack" ]]; then
    stop_iovisor_ovn
elif [[ "$1" == "clean" ]]; then
    cleanup_iovisor_ovn
fi

$_XTRACE_IOVISOR_OVN
