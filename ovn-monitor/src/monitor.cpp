#include "ovnmon/monitor.h"

#include <config.h>
#include "ovn-nb-idl.h"
#include "ovn-sb-idl.h"
#include "vswitch-idl.h"
#include "openvswitch/poll-loop.h"
#include "smap.h"
#include "uuid.h"

#include <cstdio>
#include <cstdlib>

namespace ovnmon {

using iovisor::Errc;
using iovisor::makeError;

namespace {

std::string uuidText(const struct uuid &u) {
    char buf[UUID_LEN + 1];
    std::snprintf(buf, sizeof buf, UUID_FMT, UUID_ARGS(&u));
    return buf;
}

std::string str(const char *s) { return s ? s : ""; }

std::vector<std::string> strings(char **items, size_t n) { return std::vector<std::string>(items, items + n); }

StringMap toMap(const struct smap *m) {
    StringMap out;
    // SMAP_FOR_EACH needs GNU typeof; smap_sort() works in standard C++.
    const struct smap_node **nodes = smap_sort(m);
    for (size_t i = 0; i < smap_count(m); ++i) out[nodes[i]->key] = nodes[i]->value;
    free(nodes);
    return out;
}

std::string smapGet(const struct smap *m, const char *key) { return str(smap_get(m, key)); }

bool enabledFlag(const bool *enabled, size_t n) { return n == 0 || enabled[0]; }

// The uuids of a reference column's rows.
template <typename Row>
std::vector<std::string> uuids(Row *const *rows, size_t n) {
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) out.push_back(uuidText(rows[i]->header_.uuid));
    return out;
}

// Appends the tracked changes of one table, deletes first.
template <typename Row, typename First, typename Next, typename Name>
void track(std::vector<Change> *out, const char *db, const char *table, const ovsdb_idl *idl, First first,
           Next next, Name name) {
    std::vector<Change> inserted_or_modified;
    for (const Row *row = first(idl); row; row = next(row)) {
        Change c{db, table, "", name(row)};
        if (ovsdb_idl_row_get_seqno(&row->header_, OVSDB_IDL_CHANGE_DELETE) > 0) {
            c.what = "deleted";
            out->push_back(c);
        } else {
            c.what = ovsdb_idl_row_get_seqno(&row->header_, OVSDB_IDL_CHANGE_INSERT) > 0 ? "inserted" : "modified";
            inserted_or_modified.push_back(c);
        }
    }
    out->insert(out->end(), inserted_or_modified.begin(), inserted_or_modified.end());
}

}  // namespace

iovisor::Result<std::unique_ptr<OvnMonitor>> OvnMonitor::open(const MonitorOptions &options) {
    std::unique_ptr<OvnMonitor> m(new OvnMonitor());
    m->options_ = options;
    auto ovs = IdlConnection::open(ovsrec_idl_class, options.ovs_remote);
    if (!ovs.ok()) return ovs.error().context("Open_vSwitch database");
    auto nb = IdlConnection::open(nbrec_idl_class, options.nb_remote);
    if (!nb.ok()) return nb.error().context("OVN Northbound database");
    m->ovs_ = std::move(ovs.value());
    m->nb_ = std::move(nb.value());
    m->ovs_->trackAll();
    m->nb_->trackAll();
    if (!options.sb_remote.empty()) {
        auto sb = IdlConnection::open(sbrec_idl_class, options.sb_remote);
        if (!sb.ok()) return sb.error().context("OVN Southbound database");
        m->sb_ = std::move(sb.value());
        m->sb_->trackAll();
        m->sb_remote_ = options.sb_remote;
    }
    return m;
}

void OvnMonitor::followSbRemote() {
    if (!options_.sb_remote.empty()) return;
    const ovsrec_open_vswitch *cfg = ovsrec_open_vswitch_first(ovs_->raw());
    const std::string remote = cfg ? smapGet(&cfg->external_ids, "ovn-remote") : "";
    if (remote.empty() || remote == sb_remote_) return;
    if (!sb_) {
        auto sb = IdlConnection::open(sbrec_idl_class, remote);
        if (!sb.ok()) return;  // not a usable remote (yet); the next change retries
        sb_ = std::move(sb.value());
        sb_->trackAll();
    } else {
        sb_->setRemote(remote);
    }
    sb_remote_ = remote;
}

bool OvnMonitor::run() {
    for (IdlConnection *c : {ovs_.get(), nb_.get(), sb_.get()})
        if (c) c->clearTracked();
    ovs_txn_ = ovs_->beginTxn();
    followSbRemote();
    nb_->run();
    sb_txn_ = sb_ ? sb_->beginTxn() : nullptr;
    const unsigned ovs = ovs_->seqno(), nb = nb_->seqno(), sb = sb_ ? sb_->seqno() : 0;
    const bool changed = ovs != ovs_seqno_ || nb != nb_seqno_ || sb != sb_seqno_;
    ovs_seqno_ = ovs;
    nb_seqno_ = nb;
    sb_seqno_ = sb;
    collectChanges();
    return changed;
}

void OvnMonitor::wait(int timeout_ms) {
    ovs_->commitAndWait();
    if (sb_) sb_->commitAndWait();
    ovs_txn_ = sb_txn_ = nullptr;
    nb_->prepareWait();
    pollBlock(timeout_ms);
}

void OvnMonitor::collectChanges() {
    changes_.clear();
    const ovsdb_idl *nb = nb_->raw();
    track<nbrec_logical_switch>(&changes_, "NB", "Logical_Switch", nb, nbrec_logical_switch_track_get_first,
                                nbrec_logical_switch_track_get_next,
                                [](const nbrec_logical_switch *r) { return str(r->name); });
    track<nbrec_logical_switch_port>(&changes_, "NB", "Logical_Switch_Port", nb,
                                     nbrec_logical_switch_port_track_get_first,
                                     nbrec_logical_switch_port_track_get_next,
                                     [](const nbrec_logical_switch_port *r) { return str(r->name); });
    track<nbrec_logical_router>(&changes_, "NB", "Logical_Router", nb, nbrec_logical_router_track_get_first,
                                nbrec_logical_router_track_get_next,
                                [](const nbrec_logical_router *r) { return str(r->name); });
    track<nbrec_logical_router_port>(&changes_, "NB", "Logical_Router_Port", nb,
                                     nbrec_logical_router_port_track_get_first,
                                     nbrec_logical_router_port_track_get_next,
                                     [](const nbrec_logical_router_port *r) { return str(r->name); });
    track<nbrec_nat>(&changes_, "NB", "NAT", nb, nbrec_nat_track_get_first, nbrec_nat_track_get_next,
                     [](const nbrec_nat *r) { return str(r->external_ip); });
    track<nbrec_acl>(&changes_, "NB", "ACL", nb, nbrec_acl_track_get_first, nbrec_acl_track_get_next,
                     [](const nbrec_acl *r) { return str(r->match); });
    track<nbrec_address_set>(&changes_, "NB", "Address_Set", nb, nbrec_address_set_track_get_first,
                             nbrec_address_set_track_get_next, [](const nbrec_address_set *r) { return str(r->name); });
    track<nbrec_port_group>(&changes_, "NB", "Port_Group", nb, nbrec_port_group_track_get_first,
                            nbrec_port_group_track_get_next, [](const nbrec_port_group *r) { return str(r->name); });
    track<nbrec_dhcp_options>(&changes_, "NB", "DHCP_Options", nb, nbrec_dhcp_options_track_get_first,
                              nbrec_dhcp_options_track_get_next, [](const nbrec_dhcp_options *r) { return str(r->cidr); });
    track<nbrec_load_balancer>(&changes_, "NB", "Load_Balancer", nb, nbrec_load_balancer_track_get_first,
                               nbrec_load_balancer_track_get_next, [](const nbrec_load_balancer *r) { return str(r->name); });
    if (sb_)
        track<sbrec_port_binding>(&changes_, "SB", "Port_Binding", sb_->raw(), sbrec_port_binding_track_get_first,
                                  sbrec_port_binding_track_get_next,
                                  [](const sbrec_port_binding *r) { return str(r->logical_port); });
    track<ovsrec_interface>(&changes_, "OVS", "Interface", ovs_->raw(), ovsrec_interface_track_get_first,
                            ovsrec_interface_track_get_next, [](const ovsrec_interface *r) { return str(r->name); });
}

namespace {

void switchesOf(const ovsdb_idl *idl, NbState *s) {
    const nbrec_logical_switch *ls;
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, idl) {
        LogicalSwitch out{uuidText(ls->header_.uuid), str(ls->name), uuids(ls->ports, ls->n_ports),
                          uuids(ls->acls, ls->n_acls), uuids(ls->load_balancer, ls->n_load_balancer)};
        s->switches[out.uuid] = out;
    }
    const nbrec_logical_switch_port *lsp;
    NBREC_LOGICAL_SWITCH_PORT_FOR_EACH (lsp, idl) {
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
        s->switch_ports[out.uuid] = out;
    }
}

void routersOf(const ovsdb_idl *idl, NbState *s) {
    const nbrec_logical_router *lr;
    NBREC_LOGICAL_ROUTER_FOR_EACH (lr, idl) {
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
        s->routers[out.uuid] = out;
    }
    const nbrec_logical_router_port *lrp;
    NBREC_LOGICAL_ROUTER_PORT_FOR_EACH (lrp, idl) {
        LogicalRouterPort out;
        out.uuid = uuidText(lrp->header_.uuid);
        out.name = str(lrp->name);
        out.mac = str(lrp->mac);
        out.networks = strings(lrp->networks, lrp->n_networks);
        out.enabled = enabledFlag(lrp->enabled, lrp->n_enabled);
        out.peer = str(lrp->peer);
        for (size_t i = 0; i < lrp->n_gateway_chassis; ++i)
            out.gateway_chassis.push_back(str(lrp->gateway_chassis[i]->chassis_name));
        if (const auto *group = lrp->ha_chassis_group)
            for (size_t i = 0; i < group->n_ha_chassis; ++i)
                out.gateway_chassis.push_back(str(group->ha_chassis[i]->chassis_name));
        s->router_ports[out.uuid] = out;
    }
}

// ACLs with what their matches name: address sets ($name), port groups (@name).
void aclsOf(const ovsdb_idl *idl, NbState *s) {
    const nbrec_acl *acl;
    NBREC_ACL_FOR_EACH (acl, idl) {
        Acl out{uuidText(acl->header_.uuid), str(acl->name), str(acl->direction), acl->priority,
                str(acl->match),            str(acl->action), acl->log};
        s->acls[out.uuid] = out;
    }
    const nbrec_address_set *as;
    NBREC_ADDRESS_SET_FOR_EACH (as, idl)
        s->address_sets[str(as->name)] = {uuidText(as->header_.uuid), str(as->name), strings(as->addresses, as->n_addresses)};
    const nbrec_port_group *pg;
    NBREC_PORT_GROUP_FOR_EACH (pg, idl)
        s->port_groups[str(pg->name)] = {uuidText(pg->header_.uuid), str(pg->name), uuids(pg->ports, pg->n_ports),
                                        uuids(pg->acls, pg->n_acls)};
}

void servicesOf(const ovsdb_idl *idl, NbState *s) {
    const nbrec_dhcp_options *dhcp;
    NBREC_DHCP_OPTIONS_FOR_EACH (dhcp, idl)
        s->dhcp_options[uuidText(dhcp->header_.uuid)] = {uuidText(dhcp->header_.uuid), str(dhcp->cidr), toMap(&dhcp->options)};
    const nbrec_load_balancer *lb;
    NBREC_LOAD_BALANCER_FOR_EACH (lb, idl)
        s->load_balancers[uuidText(lb->header_.uuid)] = {uuidText(lb->header_.uuid), str(lb->name),
                                                        lb->protocol ? str(lb->protocol) : "tcp", toMap(&lb->vips),
                                                        toMap(&lb->options)};
}

}  // namespace

NbState OvnMonitor::nb() const {
    NbState s;
    const ovsdb_idl *idl = nb_->raw();
    if (const nbrec_nb_global *global = nbrec_nb_global_first(idl)) s.nb_cfg = global->nb_cfg;
    switchesOf(idl, &s);
    routersOf(idl, &s);
    aclsOf(idl, &s);
    servicesOf(idl, &s);
    return s;
}

int64_t OvnMonitor::sbNbCfg() const {
    const sbrec_sb_global *global = sb_ ? sbrec_sb_global_first(sb_->raw()) : nullptr;
    return global ? global->nb_cfg : 0;
}

SbState OvnMonitor::sb() const {
    SbState s;
    if (!sb_) return s;
    const ovsdb_idl *idl = sb_->raw();
    const sbrec_sb_global *global = sbrec_sb_global_first(idl);
    if (global) s.nb_cfg = global->nb_cfg;
    const sbrec_chassis *ch;
    SBREC_CHASSIS_FOR_EACH (ch, idl) s.chassis[str(ch->name)] = uuidText(ch->header_.uuid);
    const sbrec_chassis_private *cp;
    SBREC_CHASSIS_PRIVATE_FOR_EACH (cp, idl) s.chassis_private_nb_cfg[str(cp->name)] = cp->nb_cfg;
    const sbrec_port_binding *pb;
    SBREC_PORT_BINDING_FOR_EACH (pb, idl) {
        PortBinding out;
        out.uuid = uuidText(pb->header_.uuid);
        out.logical_port = str(pb->logical_port);
        out.type = str(pb->type);
        out.chassis = pb->chassis ? str(pb->chassis->name) : "";
        out.requested_chassis = pb->requested_chassis ? str(pb->requested_chassis->name)
                                                      : smapGet(&pb->options, "requested-chassis");
        if (pb->n_up) out.up = pb->up[0];
        s.port_bindings[out.logical_port] = out;
    }
    return s;
}

OvsState OvnMonitor::ovs() const {
    OvsState s;
    const ovsdb_idl *idl = ovs_->raw();
    const ovsrec_open_vswitch *cfg = ovsrec_open_vswitch_first(idl);
    if (cfg) {
        s.present = true;
        s.system_id = smapGet(&cfg->external_ids, "system-id");
        s.hostname = smapGet(&cfg->external_ids, "hostname");
        s.ovn_remote = smapGet(&cfg->external_ids, "ovn-remote");
        s.encap_type = smapGet(&cfg->external_ids, "ovn-encap-type");
        s.encap_ip = smapGet(&cfg->external_ids, "ovn-encap-ip");
        s.bridge_mappings = smapGet(&cfg->external_ids, "ovn-bridge-mappings");
        s.cms_options = smapGet(&cfg->external_ids, "ovn-cms-options");
        s.next_cfg = cfg->next_cfg;
        s.cur_cfg = cfg->cur_cfg;
    }
    const ovsrec_bridge *br;
    OVSREC_BRIDGE_FOR_EACH (br, idl) {
        for (size_t p = 0; p < br->n_ports; ++p) {
            const ovsrec_port *port = br->ports[p];
            for (size_t i = 0; i < port->n_interfaces; ++i) {
                const ovsrec_interface *itf = port->interfaces[i];
                Interface out;
                out.uuid = uuidText(itf->header_.uuid);
                out.name = str(itf->name);
                out.type = str(itf->type);
                out.bridge = str(br->name);
                out.iface_id = smapGet(&itf->external_ids, "iface-id");
                out.ovn_installed = smapGet(&itf->external_ids, "ovn-installed") == "true";
                if (itf->n_ofport) out.ofport = itf->ofport[0];
                s.interfaces[out.name] = out;
            }
        }
    }
    return s;
}

}  // namespace ovnmon
