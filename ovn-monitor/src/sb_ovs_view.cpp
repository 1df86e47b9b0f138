// The Southbound and Open_vSwitch views: SbState and OvsState, row by row.
#include <set>

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

Interface interfaceOf(const ovsrec_interface *itf, const ovsrec_bridge *br) {
    Interface out;
    out.uuid = uuidText(itf->header_.uuid);
    out.name = str(itf->name);
    out.type = str(itf->type);
    out.bridge = str(br->name);
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

// Calls `visit(interface, bridge)` for every interface of every bridge.
template <typename Visit>
void forEachInterface(const ovsdb_idl *idl, Visit visit) {
    for (const ovsrec_bridge *br = ovsrec_bridge_first(idl); br; br = ovsrec_bridge_next(br))
        for (size_t p = 0; p < br->n_ports; ++p)
            for (size_t i = 0; i < br->ports[p]->n_interfaces; ++i) visit(br->ports[p]->interfaces[i], br);
}

}  // namespace

void OvsView::rebuild(const ovsdb_idl *idl) {
    readGlobals(idl, &s_);
    s_.interfaces.clear();
    interface_names_.clear();
    forEachInterface(idl, [&](const ovsrec_interface *itf, const ovsrec_bridge *br) {
        Interface out = interfaceOf(itf, br);
        interface_names_[out.uuid] = out.name;
        s_.interfaces[out.name] = std::move(out);
    });
}

bool OvsView::update(const ovsdb_idl *idl) {
    readGlobals(idl, &s_);
    // Bridges added, removed or renamed, or ports moved between bridges:
    // not followed row by row.
    int bridges_changed = 0;
    for (auto *br = ovsrec_bridge_track_get_first(idl); br; br = ovsrec_bridge_track_get_next(br)) {
        if (ovsdb_idl_row_get_seqno(&br->header_, OVSDB_IDL_CHANGE_INSERT) > 0 || deleted(br)) return false;
        if (ovsrec_bridge_is_updated(br, OVSREC_BRIDGE_COL_NAME) || ++bridges_changed > 1) return false;
    }
    std::set<const ovsrec_interface *> changed;
    for (auto *itf = ovsrec_interface_track_get_first(idl); itf; itf = ovsrec_interface_track_get_next(itf)) {
        auto old = interface_names_.find(uuidText(itf->header_.uuid));
        if (old != interface_names_.end()) s_.interfaces.erase(old->second), interface_names_.erase(old);
        if (!deleted(itf)) changed.insert(itf);
    }
    if (changed.empty()) return true;
    forEachInterface(idl, [&](const ovsrec_interface *itf, const ovsrec_bridge *br) {
        if (!changed.count(itf)) return;
        Interface out = interfaceOf(itf, br);
        interface_names_[out.uuid] = out.name;
        s_.interfaces[out.name] = std::move(out);
    });
    return true;
}

bool OvsView::countsMatch(const ovsdb_idl *idl) const {
    size_t n = 0;
    forEachInterface(idl, [&](const ovsrec_interface *, const ovsrec_bridge *) { ++n; });
    return n == s_.interfaces.size();
}

}  // namespace ovnmon
