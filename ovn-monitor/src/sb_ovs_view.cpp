// The Southbound and Open_vSwitch views: SbState and OvsState, row by row.
#include <optional>
#include <set>

#include "ovnmon/bridge_ports.h"

#include "ovnmon/views.h"

#include "table_sync.h"
#include "ovn-sb-idl.h"
#include "vswitch-idl.h"

namespace ovnmon {

namespace {

// ---- Southbound -------------------------------------------------------------

std::string chassisUuidOf(const sbrec_chassis *ch) { return uuidText(ch->header_.uuid); }
int64_t privateNbCfgOf(const sbrec_chassis_private *cp) { return cp->nb_cfg; }

PortBinding bindingOf(const sbrec_port_binding *pb) {
    PortBinding out;
    out.uuid = uuidText(pb->header_.uuid);
    out.logical_port = str(pb->logical_port);
    out.type = str(pb->type);
    out.chassis = pb->chassis ? str(pb->chassis->name) : "";
    out.requested_chassis =
        pb->requested_chassis ? str(pb->requested_chassis->name) : smapGet(&pb->options, "requested-chassis");
    if (pb->n_up) out.up = pb->up[0];
    return out;
}

const auto kChassis = [] {
    auto t = IOV_TABLE(sbrec_chassis, std::string, chassisUuidOf);
    t.name = [](const sbrec_chassis *ch) { return str(ch->name); };
    return t;
}();
const auto kChassisPrivate = [] {
    auto t = IOV_TABLE(sbrec_chassis_private, int64_t, privateNbCfgOf);
    t.name = [](const sbrec_chassis_private *cp) { return str(cp->name); };
    return t;
}();
const auto kBindings = [] {
    auto t = IOV_TABLE(sbrec_port_binding, PortBinding, bindingOf);
    t.name = [](const sbrec_port_binding *pb) { return str(pb->logical_port); };
    return t;
}();

}  // namespace

// Every row (`whole`) or the tracked ones. A binding names its chassis: a
// chassis that changed re-reads every binding.
void SbView::sync(const ovsdb_idl *idl, bool whole) {
    kChassis.fill(idl, whole, &s_.chassis, &chassis_names_);
    kChassisPrivate.fill(idl, whole, &s_.chassis_private_nb_cfg, &private_names_);
    kBindings.fill(idl, whole || sbrec_chassis_track_get_first(idl), &s_.port_bindings, &binding_names_);
    const sbrec_sb_global *global = sbrec_sb_global_first(idl);
    s_.nb_cfg = global ? global->nb_cfg : 0;
}

bool SbView::countsMatch(const ovsdb_idl *idl) const {
    return kChassis.countIs(idl, s_.chassis.size()) && kChassisPrivate.countIs(idl, s_.chassis_private_nb_cfg.size()) &&
           kBindings.countIs(idl, s_.port_bindings.size());
}

// ---- Open_vSwitch -----------------------------------------------------------

namespace {

Interface interfaceOf(const ovsrec_interface *itf, const std::string &bridge) {
    Interface out;
    out.uuid = uuidText(itf->header_.uuid);
    out.name = str(itf->name);
    out.type = str(itf->type);
    out.bridge = bridge;
    out.iface_id = smapGet(&itf->external_ids, "iface-id");
    out.ovn_installed = smapGet(&itf->external_ids, "ovn-installed") == "true";
    if (itf->n_ofport) out.ofport = itf->ofport[0];
    return out;
}

void readGlobals(const ovsdb_idl *idl, OvsState *s) {
    const ovsrec_open_vswitch *cfg = ovsrec_open_vswitch_first(idl);
    s->present = cfg != nullptr;
    if (!cfg) return;
    s->system_id = smapGet(&cfg->external_ids, "system-id");
    s->hostname = smapGet(&cfg->external_ids, "hostname");
    s->ovn_remote = smapGet(&cfg->external_ids, "ovn-remote");
    s->encap_type = smapGet(&cfg->external_ids, "ovn-encap-type");
    s->encap_ip = smapGet(&cfg->external_ids, "ovn-encap-ip");
    s->bridge_mappings = smapGet(&cfg->external_ids, "ovn-bridge-mappings");
    s->cms_options = smapGet(&cfg->external_ids, "ovn-cms-options");
    s->next_cfg = cfg->next_cfg;
    s->cur_cfg = cfg->cur_cfg;
}

std::vector<std::string> interfacesOf(const ovsrec_port *port) {
    return uuids(port->interfaces, port->n_interfaces);
}

}  // namespace

void OvsView::rebuild(const ovsdb_idl *idl) {
    readGlobals(idl, &s_);
    s_.interfaces.clear();
    interface_names_.clear();
    port_interfaces_.clear();
    interface_port_.clear();
    std::set<std::string> interfaces;
    for (const ovsrec_port *port = ovsrec_port_first(idl); port; port = ovsrec_port_next(port))
        notePort(uuidText(port->header_.uuid), interfacesOf(port), &interfaces);
    for (const auto &uuid : interfaces) put(idl, uuid);
    deleted_.clear();
    changed_.clear();
}

// The interfaces of ports that changed, or whose bridge changed, and the
// changed Interface rows.
bool OvsView::update(const ovsdb_idl *idl) {
    readGlobals(idl, &s_);
    if (bridges_ && bridges_->resynced()) return false;
    std::set<std::string> changed;
    for (auto *port = ovsrec_port_track_get_first(idl); port; port = ovsrec_port_track_get_next(port))
        notePort(uuidText(port->header_.uuid), deleted(port) ? std::vector<std::string>{} : interfacesOf(port),
                 &changed);
    for (auto *itf = ovsrec_interface_track_get_first(idl); itf; itf = ovsrec_interface_track_get_next(itf))
        changed.insert(uuidText(itf->header_.uuid));
    if (bridges_)
        for (const auto &port : bridges_->changedPorts()) {
            auto interfaces = port_interfaces_.find(port);
            if (interfaces != port_interfaces_.end()) changed.insert(interfaces->second.begin(), interfaces->second.end());
        }
    for (const auto &uuid : changed) put(idl, uuid);
    return true;
}

// A port's interfaces now (none: the port is gone); old and new ones change.
void OvsView::notePort(const std::string &port_uuid, const std::vector<std::string> &interfaces,
                       std::set<std::string> *changed) {
    auto old = port_interfaces_.find(port_uuid);
    if (old != port_interfaces_.end()) {
        for (const auto &itf : old->second) {
            changed->insert(itf);
            auto where = interface_port_.find(itf);
            if (where != interface_port_.end() && where->second == port_uuid) interface_port_.erase(where);
        }
        port_interfaces_.erase(old);
    }
    if (interfaces.empty()) return;
    for (const auto &itf : interfaces) interface_port_[itf] = port_uuid, changed->insert(itf);
    port_interfaces_[port_uuid] = interfaces;
}

// An interface's record as it is now: present if its row is, on a port, on
// a bridge.
void OvsView::put(const ovsdb_idl *idl, const std::string &interface_uuid) {
    std::optional<Interface> now;
    struct uuid uuid;
    auto port = interface_port_.find(interface_uuid);
    const std::string *bridge = port == interface_port_.end() || !bridges_ ? nullptr : bridges_->bridgeOf(port->second);
    if (bridge && uuid_from_string(&uuid, interface_uuid.c_str()))
        if (const ovsrec_interface *row = ovsrec_interface_get_for_uuid(idl, &uuid); row && !deleted(row))
            now = interfaceOf(row, *bridge);
    auto old = interface_names_.find(interface_uuid);
    const bool was = old != interface_names_.end();
    if (was && (!now || old->second != now->name)) {
        deleted_.push_back({"OVS", "Interface", "deleted", old->second, interface_uuid});
        s_.interfaces.erase(old->second);
    }
    if (!now) {
        if (was) interface_names_.erase(old);
        return;
    }
    const bool renamed = was && old->second != now->name;
    changed_.push_back({"OVS", "Interface", was && !renamed ? "modified" : "inserted", now->name, interface_uuid});
    interface_names_[interface_uuid] = now->name;
    s_.interfaces[now->name] = std::move(*now);
}

std::vector<Change> OvsView::takeChanges() {
    std::vector<Change> out = std::move(deleted_);
    out.insert(out.end(), changed_.begin(), changed_.end());
    deleted_.clear();
    changed_.clear();
    return out;
}

// Ports and interfaces against the IDL's (a resync drops rows untold).
bool OvsView::countsMatch(const ovsdb_idl *idl) const {
    return rowCountIs(ovsrec_port_first(idl), ovsrec_port_next, port_interfaces_.size()) &&
           rowCountIs(ovsrec_interface_first(idl), ovsrec_interface_next, interface_port_.size());
}

}  // namespace ovnmon
