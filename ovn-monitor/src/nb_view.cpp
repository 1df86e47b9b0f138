// The Northbound view: NbState from the NB IDL, row by row.
#include "ovnmon/views.h"

#include "ovnmon/idl.h"
#include "table_sync.h"
#include "ovn-nb-idl.h"

namespace ovnmon {

namespace {

// ---- rows -> state ----------------------------------------------------------
// (What these read is what the chassis follows; omitUnreadNbColumns() names
// columns they must not read.)

LogicalSwitch switchOf(const nbrec_logical_switch *ls) {
    return {uuidText(ls->header_.uuid), str(ls->name), uuids(ls->ports, ls->n_ports), uuids(ls->acls, ls->n_acls),
            uuids(ls->load_balancer, ls->n_load_balancer), uuids(ls->dns_records, ls->n_dns_records)};
}

LogicalSwitchPort switchPortOf(const nbrec_logical_switch_port *lsp) {
    LogicalSwitchPort out;
    out.uuid = uuidText(lsp->header_.uuid);
    out.name = str(lsp->name);
    out.type = str(lsp->type);
    out.addresses = strings(lsp->addresses, lsp->n_addresses);
    out.dynamic_addresses = str(lsp->dynamic_addresses);
    out.port_security = strings(lsp->port_security, lsp->n_port_security);
    out.enabled = enabledFlag(lsp->enabled, lsp->n_enabled);
    out.options = toMap(&lsp->options);
    if (lsp->dhcpv4_options) out.dhcpv4_options = uuidText(lsp->dhcpv4_options->header_.uuid);
    if (lsp->dhcpv6_options) out.dhcpv6_options = uuidText(lsp->dhcpv6_options->header_.uuid);
    return out;
}

LogicalRouter routerOf(const nbrec_logical_router *lr) {
    LogicalRouter out;
    out.uuid = uuidText(lr->header_.uuid);
    out.name = str(lr->name);
    out.enabled = enabledFlag(lr->enabled, lr->n_enabled);
    out.options = toMap(&lr->options);
    out.ports = uuids(lr->ports, lr->n_ports);
    out.load_balancers = uuids(lr->load_balancer, lr->n_load_balancer);
    for (size_t i = 0; i < lr->n_static_routes; ++i) {
        const auto *r = lr->static_routes[i];
        out.static_routes.push_back({str(r->ip_prefix), str(r->nexthop), str(r->output_port), str(r->policy)});
    }
    for (size_t i = 0; i < lr->n_nat; ++i) {
        const auto *n = lr->nat[i];
        out.nat.push_back({str(n->type), str(n->external_ip), str(n->external_mac), str(n->logical_ip),
                           str(n->logical_port)});
    }
    return out;
}

LogicalRouterPort routerPortOf(const nbrec_logical_router_port *lrp) {
    LogicalRouterPort out;
    out.uuid = uuidText(lrp->header_.uuid);
    out.name = str(lrp->name);
    out.mac = str(lrp->mac);
    out.networks = strings(lrp->networks, lrp->n_networks);
    out.enabled = enabledFlag(lrp->enabled, lrp->n_enabled);
    out.peer = str(lrp->peer);
    out.ipv6_ra_configs = toMap(&lrp->ipv6_ra_configs);
    for (size_t i = 0; i < lrp->n_gateway_chassis; ++i)
        out.gateway_chassis.push_back(str(lrp->gateway_chassis[i]->chassis_name));
    if (const auto *group = lrp->ha_chassis_group)
        for (size_t i = 0; i < group->n_ha_chassis; ++i)
            out.gateway_chassis.push_back(str(group->ha_chassis[i]->chassis_name));
    return out;
}

Acl aclOf(const nbrec_acl *acl) {
    return {uuidText(acl->header_.uuid), str(acl->name), str(acl->direction), acl->priority, str(acl->match),
            str(acl->action), acl->log, smap_get_bool(&acl->options, "apply-after-lb", false), str(acl->severity),
            str(acl->meter)};
}

AddressSet addressSetOf(const nbrec_address_set *as) {
    return {uuidText(as->header_.uuid), str(as->name), strings(as->addresses, as->n_addresses)};
}

Meter meterOf(const nbrec_meter *m) {
    Meter out{uuidText(m->header_.uuid), str(m->name), str(m->unit), m->fair && *m->fair};
    if (m->n_bands > 0) {
        out.rate = m->bands[0]->rate;
        out.burst = m->bands[0]->burst_size;
    }
    return out;
}

PortGroup portGroupOf(const nbrec_port_group *pg) {
    return {uuidText(pg->header_.uuid), str(pg->name), uuids(pg->ports, pg->n_ports), uuids(pg->acls, pg->n_acls)};
}

Dns dnsOf(const nbrec_dns *d) { return {uuidText(d->header_.uuid), toMap(&d->records)}; }

DhcpOptions dhcpOf(const nbrec_dhcp_options *d) { return {uuidText(d->header_.uuid), str(d->cidr), toMap(&d->options)}; }

LoadBalancer loadBalancerOf(const nbrec_load_balancer *lb) {
    return {uuidText(lb->header_.uuid), str(lb->name), lb->protocol ? str(lb->protocol) : "tcp", toMap(&lb->vips),
            toMap(&lb->options)};
}

const auto kSwitches = IOV_TABLE(nbrec_logical_switch, LogicalSwitch, switchOf);
const auto kSwitchPorts = IOV_TABLE(nbrec_logical_switch_port, LogicalSwitchPort, switchPortOf);
const auto kRouters = IOV_TABLE(nbrec_logical_router, LogicalRouter, routerOf);
const auto kRouterPorts = IOV_TABLE(nbrec_logical_router_port, LogicalRouterPort, routerPortOf);
const auto kAcls = IOV_TABLE(nbrec_acl, Acl, aclOf);
const auto kDhcp = IOV_TABLE(nbrec_dhcp_options, DhcpOptions, dhcpOf);
const auto kDns = IOV_TABLE(nbrec_dns, Dns, dnsOf);
const auto kLoadBalancers = IOV_TABLE(nbrec_load_balancer, LoadBalancer, loadBalancerOf);
const auto kAddressSets = [] {
    auto t = IOV_TABLE(nbrec_address_set, AddressSet, addressSetOf);
    t.name = [](const nbrec_address_set *as) { return str(as->name); };
    return t;
}();
const auto kMeters = [] {
    auto t = IOV_TABLE(nbrec_meter, Meter, meterOf);
    t.name = [](const nbrec_meter *m) { return str(m->name); };
    return t;
}();
const auto kPortGroups = [] {
    auto t = IOV_TABLE(nbrec_port_group, PortGroup, portGroupOf);
    t.name = [](const nbrec_port_group *pg) { return str(pg->name); };
    return t;
}();

}  // namespace

// Every row (`whole`) or the tracked ones. A router holds its routes and NAT
// rules, a router port its gateway chassis: a change of theirs re-reads every
// router (port).
void NbView::sync(const ovsdb_idl *idl, bool whole) {
    const bool routers = whole || nbrec_nat_track_get_first(idl) || nbrec_logical_router_static_route_track_get_first(idl);
    const bool router_ports = whole || nbrec_gateway_chassis_track_get_first(idl) ||
                              nbrec_ha_chassis_group_track_get_first(idl) || nbrec_ha_chassis_track_get_first(idl);
    kSwitches.fill(idl, whole, &s_.switches, nullptr);
    kSwitchPorts.fill(idl, whole, &s_.switch_ports, nullptr);
    kRouters.fill(idl, routers, &s_.routers, nullptr);
    kRouterPorts.fill(idl, router_ports, &s_.router_ports, nullptr);
    kAcls.fill(idl, whole, &s_.acls, nullptr);
    kAddressSets.fill(idl, whole, &s_.address_sets, &address_set_names_);
    kPortGroups.fill(idl, whole, &s_.port_groups, &port_group_names_);
    kDhcp.fill(idl, whole, &s_.dhcp_options, nullptr);
    kDns.fill(idl, whole, &s_.dns, nullptr);
    kLoadBalancers.fill(idl, whole, &s_.load_balancers, nullptr);
    // A meter holds its bands: a band's change re-reads every meter.
    kMeters.fill(idl, whole || nbrec_meter_band_track_get_first(idl), &s_.meters, &meter_names_);
    const nbrec_nb_global *global = nbrec_nb_global_first(idl);
    s_.nb_cfg = global ? global->nb_cfg : 0;
}

bool NbView::countsMatch(const ovsdb_idl *idl) const {
    return kSwitches.countIs(idl, s_.switches.size()) && kSwitchPorts.countIs(idl, s_.switch_ports.size()) &&
           kRouters.countIs(idl, s_.routers.size()) && kRouterPorts.countIs(idl, s_.router_ports.size()) &&
           kAcls.countIs(idl, s_.acls.size()) && kAddressSets.countIs(idl, s_.address_sets.size()) &&
           kPortGroups.countIs(idl, s_.port_groups.size()) && kDhcp.countIs(idl, s_.dhcp_options.size()) && kDns.countIs(idl, s_.dns.size()) &&
           kLoadBalancers.countIs(idl, s_.load_balancers.size()) && kMeters.countIs(idl, s_.meters.size());
}

void omitUnreadNbColumns(IdlConnection &nb) {
    for (const ovsdb_idl_column *column :
         {&nbrec_logical_switch_port_col_up, &nbrec_logical_switch_port_col_external_ids,
          &nbrec_logical_switch_col_external_ids, &nbrec_logical_router_col_external_ids,
          &nbrec_logical_router_port_col_external_ids})
        nb.omit(*column);
}

}  // namespace ovnmon
