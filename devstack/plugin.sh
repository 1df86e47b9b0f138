#!/bin/bash
# shellcheck shell=bash
# IOVisor-OVN DevStack plugin: on this node hoverd + iovisor-ovnd replace
# ovn-controller and the OVS datapath; Neutron (ML2/OVN) keeps its OVN
# Northbound, Southbound and ovn-northd.
#
# A thin adapter over scripts/iovisor-chassis.sh, which brings the chassis up
# (the end-to-end tests run the same script). Services:
#   hoverd          loads and chains the eBPF IOModules (REST on $HOVER_LISTEN)
#   iovisor-ovnd    the OVN chassis: follows NB/SB/Open_vSwitch, programs hoverd
#   iovisor-ovsdb   a local Open_vSwitch database, enabled by the plugin itself
#                   when none answers on $IOVISOR_OVN_OVS_DB (compute nodes)
#
# Phases: stack pre-install (sanity), stack install (packages, build, install),
# stack post-config (configure and start), stack extra (status), unstack
# (stop; the chassis leaves the Southbound DB), clean (state, pins, binaries).

_XTRACE_IOVISOR_OVN=$(set +o | grep xtrace)
set +o xtrace

function _iovisor_ovn_chassis {
    sudo "$IOVISOR_OVN_DIR/scripts/iovisor-chassis.sh" --conf "$IOVISOR_OVN_CONF" "$@"
}

# The command a service runs (in the foreground, under run_process).
function _iovisor_ovn_service_command {
    echo "$IOVISOR_OVN_DIR/scripts/iovisor-chassis.sh --conf $IOVISOR_OVN_CONF $1"
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
    local packages
    packages=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$IOVISOR_OVN_DIR/devstack/files/debs/iovisor-ovn")
    # shellcheck disable=SC2086  # one word per package
    install_package $packages
    # Builds the OVS library from Debian's openvswitch-source (once), the
    # daemons and the eBPF modules, which the daemons embed.
    BUILD_DIR=$IOVISOR_OVN_BUILD_DIR "$IOVISOR_OVN_DIR/scripts/build.sh"
    sudo install -d "$IOVISOR_OVN_BIN_DIR"
    sudo install -m 0755 "$IOVISOR_OVN_BUILD_DIR"/bin/{hoverd,iovisor-ovnd,iovisorctl} "$IOVISOR_OVN_BIN_DIR/"
    if ! mountpoint -q /sys/fs/bpf; then
        sudo mount -t bpf bpf /sys/fs/bpf
    fi
}

# The settings file every iovisor-chassis.sh call reads.
function configure_iovisor_ovn {
    sudo install -d "$IOVISOR_OVN_CONF_DIR"
    sudo tee "$IOVISOR_OVN_CONF" >/dev/null <<EOF
# Written by the IOVisor-OVN DevStack plugin; read by scripts/iovisor-chassis.sh --conf.
IOVISOR_OVN_SB_REMOTE=$IOVISOR_OVN_SB_REMOTE
IOVISOR_OVN_NB_REMOTE=$IOVISOR_OVN_NB_REMOTE
IOVISOR_OVN_OVS_DB=$IOVISOR_OVN_OVS_DB
IOVISOR_OVN_OVSDB_MANAGER=$IOVISOR_OVN_OVSDB_MANAGER
IOVISOR_OVN_SYSTEM_ID=$IOVISOR_OVN_SYSTEM_ID
IOVISOR_OVN_HOSTNAME=$IOVISOR_OVN_HOSTNAME
IOVISOR_OVN_ENCAP_TYPE=$IOVISOR_OVN_ENCAP_TYPE
IOVISOR_OVN_ENCAP_IP=$IOVISOR_OVN_ENCAP_IP
IOVISOR_OVN_BRIDGE=$IOVISOR_OVN_BRIDGE
IOVISOR_OVN_BRIDGE_MAPPINGS=$IOVISOR_OVN_BRIDGE_MAPPINGS
IOVISOR_OVN_CMS_OPTIONS=${IOVISOR_OVN_CMS_OPTIONS:-}
HOVER_LISTEN=$HOVER_LISTEN
IOVISOR_OVN_INSTANCE=$IOVISOR_OVN_INSTANCE
IOVISOR_OVN_RUNDIR=$IOVISOR_OVN_RUNDIR
IOVISOR_OVN_STATE_DIR=$IOVISOR_OVN_STATE_DIR
IOVISOR_OVN_BIN_DIR=$IOVISOR_OVN_BIN_DIR
IOVISOR_OVND_FLAGS="$IOVISOR_OVND_FLAGS"
EOF
}

# DevStack gates two things of its own OVN setup on ovn-controller being
# enabled (lib/neutron_plugins/ovn_agent, stack.sh): the OVN metadata agent's
# configuration file, and starting the OVN services (the OVN DBs, ovn-northd,
# the metadata agent). Without ovn-controller, both are done here, at the
# point where stack.sh would have done the second.
function _iovisor_ovn_keep_devstack_ovn {
    is_service_enabled ovn-controller && return 0
    if is_service_enabled q-ovn-metadata-agent neutron-ovn-metadata-agent && [[ -n "${OVN_META_CONF:-}" ]]; then
        _iovisor_ovn_metadata_agent_conf
    fi
    if is_service_enabled ovn-northd q-ovn-metadata-agent neutron-ovn-metadata-agent &&
       declare -F start_ovn_services >/dev/null; then
        start_ovn_services
        _iovisor_ovn_stop_ovs_vswitchd
    fi
}

# What configure_ovn writes when ovn-controller is enabled.
function _iovisor_ovn_metadata_agent_conf {
    [[ -f "$OVN_META_CONF" ]] && return 0
    # The Open_vSwitch DB over TCP, where IOVISOR_OVN_OVSDB_MANAGER (ptcp:PORT:HOST) listens.
    local listener=${IOVISOR_OVN_OVSDB_MANAGER#ptcp:}
    sudo install -d -o "$STACK_USER" "$NEUTRON_CONF_DIR"
    touch "$OVN_META_CONF"
    configure_root_helper_options "$OVN_META_CONF"
    iniset "$OVN_META_CONF" DEFAULT debug "$ENABLE_DEBUG_LOG_LEVEL"
    iniset "$OVN_META_CONF" DEFAULT nova_metadata_host "$OVN_META_DATA_HOST"
    iniset "$OVN_META_CONF" DEFAULT metadata_workers "$API_WORKERS"
    iniset "$OVN_META_CONF" DEFAULT state_path "$DATA_DIR/neutron"
    iniset "$OVN_META_CONF" ovs ovsdb_connection "tcp:${listener#*:}:${listener%%:*}"
    iniset "$OVN_META_CONF" ovn ovn_sb_connection "$IOVISOR_OVN_SB_REMOTE"
}

# DevStack starts ovs-vswitchd along with the OVN DBs; our datapath replaces
# it, and a running ovs-vswitchd would also claim the VM ports.
function _iovisor_ovn_stop_ovs_vswitchd {
    local unit=${OVS_VSWITCHD_SERVICE:-ovs-vswitchd.service}
    if $SYSTEMCTL is-active --quiet "$unit"; then
        $SYSTEMCTL stop "$unit"
        $SYSTEMCTL disable "$unit" || true
        sudo ovs-dpctl del-dp ovs-system 2>/dev/null || true
    fi
}

function start_iovisor_ovn {
    if ! _iovisor_ovn_chassis ovsdb-running; then
        # No Open_vSwitch database on this node (ovn_agent only starts one
        # where ovn-controller or ovn-northd runs): run our own.
        enable_service iovisor-ovsdb
        sudo touch "$IOVISOR_OVN_CONF_DIR/own-ovsdb"
        run_process iovisor-ovsdb "$(_iovisor_ovn_service_command run-ovsdb)" "" root
        local tries=0
        until _iovisor_ovn_chassis ovsdb-running; do
            tries=$((tries + 1))
            [[ $tries -le 60 ]] || die $LINENO "iovisor-ovsdb did not come up on $IOVISOR_OVN_OVS_DB"
            sleep 0.5
        done
    fi
    _iovisor_ovn_chassis configure || die $LINENO "could not configure the local Open_vSwitch database"
    run_process hoverd "$(_iovisor_ovn_service_command run-hoverd)" "" root
    run_process iovisor-ovnd "$(_iovisor_ovn_service_command run-ovnd)" "" root
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
    fi
}

function cleanup_iovisor_ovn {
    if [[ -f "$IOVISOR_OVN_CONF" ]]; then
        _iovisor_ovn_chassis clean
    fi
    sudo rm -rf "$IOVISOR_OVN_CONF_DIR"
    sudo rm -f "$IOVISOR_OVN_BIN_DIR"/{hoverd,iovisor-ovnd,iovisorctl}
}

if [[ "$1" == "stack" && "${2:-}" == "pre-install" ]]; then
    iovisor_ovn_sanity_check
elif [[ "$1" == "stack" && "${2:-}" == "install" ]]; then
    echo_summary "Installing IOVisor-OVN"
    install_iovisor_ovn
elif [[ "$1" == "stack" && "${2:-}" == "post-config" ]]; then
    echo_summary "Configuring and starting IOVisor-OVN"
    iovisor_ovn_sanity_check
    configure_iovisor_ovn
    _iovisor_ovn_keep_devstack_ovn
    start_iovisor_ovn
elif [[ "$1" == "stack" && "${2:-}" == "extra" ]]; then
    "$IOVISOR_OVN_BIN_DIR/iovisorctl" --hover "http://$HOVER_LISTEN" \
        --ovnd "$IOVISOR_OVN_RUNDIR/ovnd.sock" status || true
fi

if [[ "$1" == "unstack" ]]; then
    stop_iovisor_ovn
fi

if [[ "$1" == "clean" ]]; then
    cleanup_iovisor_ovn
fi

$_XTRACE_IOVISOR_OVN
