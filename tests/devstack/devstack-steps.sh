#!/usr/bin/env bash
# DevStack's own code, in the order stack.sh / unstack.sh / clean.sh run it,
# for the parts that concern a node's OVN: each command is a fresh process
# that loads DevStack as those scripts do (functions, local.conf -> localrc,
# stackrc, lib/*, plugin settings) and calls DevStack's real functions and
# the plugin's phases. What it leaves out (keystone, nova, neutron-server,
# pip installs) needs a network and an OpenStack; plugin_test.sh runs a real
# neutron-server beside it.
#
#   DEVSTACK_DIR=... devstack-steps.sh stack|unstack|clean
# (No set -u: DevStack is not written for it.)
: "${DEVSTACK_DIR:?the DevStack tree}"
TOP_DIR=$DEVSTACK_DIR

# stack.sh's preamble.
load_devstack() {
    # shellcheck source=/dev/null
    source "$TOP_DIR/functions"
    # shellcheck source=/dev/null
    source "$TOP_DIR/lib/stack"
    GetDistro
    rm -f "$TOP_DIR/.localrc.auto"
    extract_localrc_section "$TOP_DIR/local.conf" "$TOP_DIR/localrc" "$TOP_DIR/.localrc.auto"
    # shellcheck source=/dev/null
    source "$TOP_DIR/stackrc"
    local lib
    for lib in database rpc_backend host apache tls infra libraries keystone nova placement neutron os-vif; do
        # shellcheck source=/dev/null
        source "$TOP_DIR/lib/$lib"
    done
    run_phase override_defaults
    run_phase source
}

# stack.sh, the steps a node's OVN goes through.
stack() {
    set -o errexit
    run_phase stack pre-install
    # tools/install_prereqs.sh: the plugin's packages (what DevStack would install)
    get_plugin_packages > "$DEVSTACK_DIR/plugin-packages"
    # shellcheck disable=SC2046  # one word per package
    install_package $(cat "$DEVSTACK_DIR/plugin-packages")
    if is_service_enabled neutron; then
        install_ovn  # stack_install_service neutron -> install_neutron
    fi
    run_phase stack install
    if is_service_enabled neutron; then
        configure_ovn  # configure_neutron
    fi
    run_phase stack post-config
    merge_config_group "$TOP_DIR/local.conf" post-config
    if is_service_enabled ovn-controller ovn-controller-vtep; then
        start_ovn_services
    fi
    run_phase stack extra
}

# unstack.sh (clean.sh runs it first, with --all).
unstack() {
    run_phase unstack
    if is_service_enabled neutron; then
        stop_neutron
    fi
}

# clean.sh after its unstack.sh.
clean() {
    load_plugin_settings
    run_phase clean
    if [[ $Q_AGENT == "ovn" ]]; then
        cleanup_ovn  # cleanup_neutron's OVN part
    fi
    sudo find "$SYSTEMD_DIR" -type f -name '*devstack@*service' -delete
    $SYSTEMCTL daemon-reload
}

load_devstack
# Installing packages is not what is tested (the machine has what
# scripts/install-deps.sh installed, and apt must not change it here):
# DevStack's install_package only checks, so a wrong package name fails.
# (Defined after DevStack, whose own it replaces.)
install_package() {
    local pkg missing=()
    for pkg in "$@"; do
        [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == "install ok installed" ]] || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] || die $LINENO "packages not installed: ${missing[*]}"
}

case "${1:-}" in
    stack) stack ;;
    unstack) unstack ;;
    clean) clean ;;
    *) echo "usage: devstack-steps.sh stack|unstack|clean" >&2; exit 2 ;;
esac
