#include "ovnmon/monitor.h"

#include "idl_text.h"
#include "ovn-nb-idl.h"
#include "ovn-sb-idl.h"
#include "vswitch-idl.h"
#include "openvswitch/poll-loop.h"
extern "C" {
#include "stream-ssl.h"  // a C header without extern "C" of its own
}

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace ovnmon {

using iovisor::Errc;
using iovisor::makeError;

namespace {

// Appends the tracked changes of one table, deletes first.
template <typename Row, typename First, typename Next, typename Name>
void track(std::vector<Change> *out, const char *db, const char *table, const ovsdb_idl *idl, First first,
           Next next, Name name) {
    std::vector<Change> inserted_or_modified;
    for (const Row *row = first(idl); row; row = next(row)) {
        Change c{db, table, "", name(row), uuidText(row->header_.uuid)};
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

namespace {

// What the chassis reads and writes of the Southbound, and nothing more:
// not the logical flows, which are most of it, and not the Port_Binding
// columns it has no use for (the initial monitor reply of 7,000 bindings
// with every column took ~180 MiB to parse).
const std::vector<const ovsdb_idl_column *> &sbColumns() {
    static const std::vector<const ovsdb_idl_column *> columns = {
        &sbrec_sb_global_col_nb_cfg,
        &sbrec_chassis_col_name, &sbrec_chassis_col_hostname, &sbrec_chassis_col_other_config,
        &sbrec_chassis_col_encaps,
        &sbrec_chassis_private_col_name, &sbrec_chassis_private_col_chassis, &sbrec_chassis_private_col_nb_cfg,
        &sbrec_chassis_private_col_nb_cfg_timestamp,
        &sbrec_encap_col_type, &sbrec_encap_col_ip, &sbrec_encap_col_chassis_name, &sbrec_encap_col_options,
        &sbrec_port_binding_col_logical_port, &sbrec_port_binding_col_type, &sbrec_port_binding_col_chassis,
        &sbrec_port_binding_col_requested_chassis, &sbrec_port_binding_col_options, &sbrec_port_binding_col_up};
    return columns;
}

}  // namespace

iovisor::Status configureSsl(const SslFiles &ssl) {
    if (!ssl.any()) return {};
    struct File {
        const char *option;
        const std::string &path;
        bool must_exist;
    };
    std::string missing;
    for (const File &f : {File{"--private-key", ssl.private_key, true}, File{"--certificate", ssl.certificate, true},
                          File{"--ca-cert", ssl.ca_cert, !ssl.bootstrap_ca_cert}}) {
        if (f.path.empty()) missing += std::string(missing.empty() ? "" : ", ") + f.option;
        else if (f.must_exist && access(f.path.c_str(), R_OK) != 0)
            return makeError(Errc::kInvalid, std::string(f.option) + " " + f.path + " cannot be read");
    }
    if (!missing.empty()) return makeError(Errc::kInvalid, "SSL needs " + missing + " too");
    stream_ssl_set_key_and_cert(ssl.private_key.c_str(), ssl.certificate.c_str());
    stream_ssl_set_ca_cert_file(ssl.ca_cert.c_str(), ssl.bootstrap_ca_cert);
    return {};
}

iovisor::Result<std::unique_ptr<OvnMonitor>> OvnMonitor::open(const MonitorOptions &options) {
    if (auto s = configureSsl(options.ssl); !s.ok()) return s.error();
    std::unique_ptr<OvnMonitor> m(new OvnMonitor());
    m->options_ = options;
    auto ovs = IdlConnection::open(ovsrec_idl_class, options.ovs_remote);
    if (!ovs.ok()) return ovs.error().context("Open_vSwitch database");
    auto nb = IdlConnection::open(nbrec_idl_class, options.nb_remote);
    if (!nb.ok()) return nb.error().context("OVN Northbound database");
    auto bridges = BridgePorts::open(options.ovs_remote);
    if (!bridges.ok()) return bridges.error().context("Open_vSwitch database");
    m->ovs_ = std::move(ovs.value());
    m->nb_ = std::move(nb.value());
    m->bridges_ = std::move(bridges.value());
    m->ovs_view_ = OvsView(m->bridges_.get());
    m->ovs_->trackAll();
    m->ovs_->omit(ovsrec_bridge_col_ports);
    m->nb_->trackAll();
    omitUnreadNbColumns(*m->nb_);
    if (!options.sb_remote.empty()) {
        auto sb = IdlConnection::open(sbrec_idl_class, options.sb_remote, sbColumns());
        if (!sb.ok()) return sb.error().context("OVN Southbound database");
        m->sb_ = std::move(sb.value());
        m->sb_->trackAll();
        m->sb_remote_ = options.sb_remote;
    }
    return m;
}

// Without SSL files on the command line, the Open_vSwitch row's SSL record
// (ovs-vsctl set-ssl, as DevStack's tls-proxy writes it) gives them, as
// ovn-controller reads it. The setters do nothing when nothing changed.
void OvnMonitor::followSslRecord() {
    if (options_.ssl.any()) return;
    const ovsrec_ssl *ssl = ovsrec_ssl_first(ovs_->raw());
    if (!ssl || !ssl->private_key || !ssl->certificate || !ssl->ca_cert) return;
    stream_ssl_set_key_and_cert(ssl->private_key, ssl->certificate);
    stream_ssl_set_ca_cert_file(ssl->ca_cert, ssl->bootstrap_ca_cert);
}

void OvnMonitor::followSbRemote() {
    if (!options_.sb_remote.empty()) return;
    const ovsrec_open_vswitch *cfg = ovsrec_open_vswitch_first(ovs_->raw());
    const std::string remote = cfg ? smapGet(&cfg->external_ids, "ovn-remote") : "";
    if (remote.empty() || remote == sb_remote_) return;
    if (!sb_) {
        auto sb = IdlConnection::open(sbrec_idl_class, remote, sbColumns());
        if (!sb.ok()) return;  // not a usable remote (yet); the next change retries
        sb_ = std::move(sb.value());
        sb_->trackAll();
    } else {
        sb_->setRemote(remote);
    }
    sb_remote_ = remote;
    sb_stale_ = true;
}

bool OvnMonitor::run() {
    for (IdlConnection *c : {ovs_.get(), nb_.get(), sb_.get()})
        if (c) c->clearTracked();
    ovs_txn_ = ovs_->beginTxn();
    followSslRecord();
    followSbRemote();
    nb_->run();
    bridges_->run();
    sb_txn_ = sb_ ? sb_->beginTxn() : nullptr;
    const unsigned ovs = ovs_->seqno(), nb = nb_->seqno(), sb = sb_ ? sb_->seqno() : 0, bridges = bridges_->seqno();
    const bool changed = ovs != ovs_seqno_ || nb != nb_seqno_ || sb != sb_seqno_ || bridges != bridges_seqno_;
    ovs_seqno_ = ovs;
    nb_seqno_ = nb;
    sb_seqno_ = sb;
    bridges_seqno_ = bridges;
    collectChanges();
    refreshViews();
    const std::vector<Change> interfaces = ovs_view_.takeChanges();
    changes_.insert(changes_.end(), interfaces.begin(), interfaces.end());
    return changed;
}

// A replica that was not in sync at some run may have changed without its
// tracked rows reaching us: its view is rebuilt once it is.
void OvnMonitor::refreshViews() {
    rebuilt_ = false;
    auto refresh = [this](IdlConnection *c, bool synced, unsigned seqno, auto &view, bool &stale, unsigned &seen) {
        if (!c || !synced) {
            stale = true;
            return;
        }
        if (!stale && seqno == seen) return;  // an unchanged replica: nothing to follow
        if (stale) view.invalidate();
        rebuilt_ |= view.refresh(c->raw());
        stale = false;
        seen = seqno;
    };
    refresh(nb_.get(), nb_->synced(), nb_->seqno(), nb_view_, nb_stale_, nb_view_seqno_);
    refresh(sb_.get(), sb_ && sb_->synced(), sb_ ? sb_->seqno() : 0, sb_view_, sb_stale_, sb_view_seqno_);
    // Both move forward: their sum changes when either does.
    refresh(ovs_.get(), ovsSynced(), ovs_->seqno() + bridges_->seqno(), ovs_view_, ovs_stale_, ovs_view_seqno_);
}

void OvnMonitor::wait(int timeout_ms) {
    ovs_->commitAndWait();
    if (sb_) sb_->commitAndWait();
    ovs_txn_ = sb_txn_ = nullptr;
    nb_->prepareWait();
    bridges_->prepareWait();
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
    track<nbrec_logical_router_static_route>(&changes_, "NB", "Logical_Router_Static_Route", nb,
                                             nbrec_logical_router_static_route_track_get_first,
                                             nbrec_logical_router_static_route_track_get_next,
                                             [](const nbrec_logical_router_static_route *r) { return str(r->ip_prefix); });
    track<nbrec_gateway_chassis>(&changes_, "NB", "Gateway_Chassis", nb, nbrec_gateway_chassis_track_get_first,
                                 nbrec_gateway_chassis_track_get_next,
                                 [](const nbrec_gateway_chassis *r) { return str(r->name); });
    track<nbrec_ha_chassis_group>(&changes_, "NB", "HA_Chassis_Group", nb, nbrec_ha_chassis_group_track_get_first,
                                  nbrec_ha_chassis_group_track_get_next,
                                  [](const nbrec_ha_chassis_group *r) { return str(r->name); });
    track<nbrec_ha_chassis>(&changes_, "NB", "HA_Chassis", nb, nbrec_ha_chassis_track_get_first,
                            nbrec_ha_chassis_track_get_next, [](const nbrec_ha_chassis *r) { return str(r->chassis_name); });
    track<nbrec_acl>(&changes_, "NB", "ACL", nb, nbrec_acl_track_get_first, nbrec_acl_track_get_next,
                     [](const nbrec_acl *r) { return str(r->match); });
    track<nbrec_address_set>(&changes_, "NB", "Address_Set", nb, nbrec_address_set_track_get_first,
                             nbrec_address_set_track_get_next, [](const nbrec_address_set *r) { return str(r->name); });
    track<nbrec_port_group>(&changes_, "NB", "Port_Group", nb, nbrec_port_group_track_get_first,
                            nbrec_port_group_track_get_next, [](const nbrec_port_group *r) { return str(r->name); });
    track<nbrec_meter>(&changes_, "NB", "Meter", nb, nbrec_meter_track_get_first, nbrec_meter_track_get_next,
                       [](const nbrec_meter *r) { return str(r->name); });
    track<nbrec_meter_band>(&changes_, "NB", "Meter_Band", nb, nbrec_meter_band_track_get_first,
                            nbrec_meter_band_track_get_next, [](const nbrec_meter_band *) { return std::string(); });
    track<nbrec_dhcp_options>(&changes_, "NB", "DHCP_Options", nb, nbrec_dhcp_options_track_get_first,
                              nbrec_dhcp_options_track_get_next, [](const nbrec_dhcp_options *r) { return str(r->cidr); });
    track<nbrec_dns>(&changes_, "NB", "DNS", nb, nbrec_dns_track_get_first, nbrec_dns_track_get_next,
                     [](const nbrec_dns *r) { return str(smap_get_def(&r->external_ids, "ls_name", "")); });
    track<nbrec_load_balancer>(&changes_, "NB", "Load_Balancer", nb, nbrec_load_balancer_track_get_first,
                               nbrec_load_balancer_track_get_next, [](const nbrec_load_balancer *r) { return str(r->name); });
    if (sb_) {
        track<sbrec_port_binding>(&changes_, "SB", "Port_Binding", sb_->raw(), sbrec_port_binding_track_get_first,
                                  sbrec_port_binding_track_get_next,
                                  [](const sbrec_port_binding *r) { return str(r->logical_port); });
        track<sbrec_chassis>(&changes_, "SB", "Chassis", sb_->raw(), sbrec_chassis_track_get_first,
                             sbrec_chassis_track_get_next, [](const sbrec_chassis *r) { return str(r->name); });
    }
    // The OVS view tells which interfaces changed (see run()).
}

}  // namespace ovnmon
