#include "chassis.h"

#include <unistd.h>

#include <set>

#include <config.h>
#include "ovn-sb-idl.h"
#include "vswitch-idl.h"
#include "smap.h"
#include "openvswitch/uuid.h"
#include "timeval.h"

namespace ctl {

namespace {

std::string str(const char *s) { return s ? s : ""; }

const sbrec_chassis *findChassis(ovsdb_idl *sb, const std::string &name) {
    const sbrec_chassis *ch;
    SBREC_CHASSIS_FOR_EACH (ch, sb)
        if (name == ch->name) return ch;
    return nullptr;
}

const sbrec_chassis_private *findChassisPrivate(ovsdb_idl *sb, const std::string &name) {
    const sbrec_chassis_private *cp;
    SBREC_CHASSIS_PRIVATE_FOR_EACH (cp, sb)
        if (name == cp->name) return cp;
    return nullptr;
}

// The row of `idl` with `uuid` (text), through the table's get_for_uuid.
template <typename Row>
const Row *rowOf(ovsdb_idl *idl, const Row *(*get_for_uuid)(const ovsdb_idl *, const uuid *), const std::string &text) {
    uuid u;
    return uuid_from_string(&u, text.c_str()) ? get_for_uuid(idl, &u) : nullptr;
}

// Calls `visit` on every row of a table (scope.all) or on the rows `view`
// (a replica's view of it, by name, holding each row's uuid) has under the
// scope's names.
template <typename Row, typename View, typename Visit>
void forRows(ovsdb_idl *idl, const RowScope &scope, const View &view, const Row *(*first)(const ovsdb_idl *),
             const Row *(*next)(const Row *), const Row *(*get_for_uuid)(const ovsdb_idl *, const uuid *), Visit visit) {
    if (scope.all) {
        for (const Row *row = first(idl); row; row = next(row)) visit(row);
        return;
    }
    for (const auto &name : scope.names) {
        auto known = view.find(name);
        if (known == view.end()) continue;  // gone, or not one the view follows
        if (const Row *row = rowOf(idl, get_for_uuid, known->second.uuid)) visit(row);
    }
}

}  // namespace

void ChassisDuties::registerChassis(ovsdb_idl *sb, ovsdb_idl_txn *txn, const ovnmon::OvsState &ovs) {
    name_ = ovs.system_id;
    if (!txn || name_.empty()) return;
    const sbrec_chassis *ch = findChassis(sb, name_);
    if (!ch) {
        ch = sbrec_chassis_insert(txn);
        sbrec_chassis_set_name(ch, name_.c_str());
    }
    const std::string host = ovs.hostname.empty() ? [] {
        char buf[256] = {};
        gethostname(buf, sizeof buf - 1);
        return std::string(buf);
    }() : ovs.hostname;
    if (host != str(ch->hostname)) sbrec_chassis_set_hostname(ch, host.c_str());
    setOtherConfig(ch, ovs);
    setEncaps(txn, ch, ovs);
    const sbrec_chassis_private *cp = findChassisPrivate(sb, name_);
    if (!cp) {
        cp = sbrec_chassis_private_insert(txn);
        sbrec_chassis_private_set_name(cp, name_.c_str());
    }
    if (cp->chassis != ch) sbrec_chassis_private_set_chassis(cp, ch);
}

// What ovn-controller publishes, so that northd and Neutron see a chassis
// like any other (Neutron reads ovn-cms-options and ovn-bridge-mappings).
void ChassisDuties::setOtherConfig(const sbrec_chassis *ch, const ovnmon::OvsState &ovs) {
    smap other = SMAP_INITIALIZER(&other);
    smap_add(&other, "ovn-bridge-mappings", ovs.bridge_mappings.c_str());
    smap_add(&other, "datapath-type", "");
    smap_add(&other, "iface-types", "");
    smap_add(&other, "is-interconn", "false");
    smap_add(&other, "ovn-chassis-mac-mappings", "");
    smap_add(&other, "ovn-cms-options", ovs.cms_options.c_str());
    smap_add(&other, "ovn-enable-lflow-cache", "true");
    smap_add(&other, "ovn-limit-lflow-cache", "");
    smap_add(&other, "ovn-memlimit-lflow-cache-kb", "");
    smap_add(&other, "ovn-monitor-all", "true");
    smap_add(&other, "ovn-trim-limit-lflow-cache", "");
    smap_add(&other, "ovn-trim-wmark-perc-lflow-cache", "");
    smap_add(&other, "ovn-trim-timeout-ms", "");
    smap_add(&other, "port-up-notif", "true");
    smap_add(&other, "iovisor-ovn", "true");
    if (!smap_equal(&ch->other_config, &other)) sbrec_chassis_set_other_config(ch, &other);
    smap_destroy(&other);
}

// One Encap per configured type, all at ovn-encap-ip.
void ChassisDuties::setEncaps(ovsdb_idl_txn *txn, const sbrec_chassis *ch, const ovnmon::OvsState &ovs) {
    const std::string ip = ovs.encap_ip.empty() ? "127.0.0.1" : ovs.encap_ip;
    const std::string types = ovs.encap_type.empty() ? "geneve" : ovs.encap_type;
    std::set<std::string> want_types;
    for (size_t start = 0; start <= types.size();) {
        const size_t comma = types.find(',', start);
        want_types.insert(types.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    bool encaps_ok = ch->n_encaps == want_types.size();
    for (size_t i = 0; encaps_ok && i < ch->n_encaps; ++i)
        if (!want_types.count(ch->encaps[i]->type) || ip != ch->encaps[i]->ip) encaps_ok = false;
    if (encaps_ok) return;
    std::vector<sbrec_encap *> encaps;
    for (const auto &type : want_types) {
        sbrec_encap *e = const_cast<sbrec_encap *>(sbrec_encap_insert(txn));
        sbrec_encap_set_type(e, type.c_str());
        sbrec_encap_set_ip(e, ip.c_str());
        sbrec_encap_set_chassis_name(e, name_.c_str());
        smap opts = SMAP_INITIALIZER(&opts);
        smap_add(&opts, "csum", "true");
        sbrec_encap_set_options(e, &opts);
        smap_destroy(&opts);
        encaps.push_back(e);
    }
    for (size_t i = 0; i < ch->n_encaps; ++i) sbrec_encap_delete(ch->encaps[i]);
    sbrec_chassis_set_encaps(ch, encaps.data(), encaps.size());
}

bool ChassisDuties::ovsHousekeeping(ovsdb_idl *ovs, ovsdb_idl_txn *txn, const ovnmon::OvsState &state,
                                    const RowScope &ofports) {
    if (!txn) return false;
    const ovsrec_open_vswitch *cfg = ovsrec_open_vswitch_first(ovs);
    if (cfg && cfg->cur_cfg != cfg->next_cfg) ovsrec_open_vswitch_set_cur_cfg(cfg, cfg->next_cfg);
    auto give = [&](const ovnmon::Interface &itf) {
        if (const ovsrec_interface *row = rowOf(ovs, ovsrec_interface_get_for_uuid, itf.uuid)) giveOfport(itf.bridge, row);
    };
    if (ofports.all) {
        ofports_used_.clear();
        // Numbers in use first: a new interface must not take one.
        for (const auto &[name, itf] : state.interfaces)
            if (itf.ofport.value_or(0) > 0) give(itf);
        for (const auto &[name, itf] : state.interfaces)
            if (itf.ofport.value_or(0) <= 0) give(itf);
        return true;
    }
    for (const auto &name : ofports.names) {
        auto itf = state.interfaces.find(name);
        if (itf != state.interfaces.end()) give(itf->second);  // else gone, or on no bridge
    }
    return true;
}

// An ofport as ovs-vswitchd hands them out: the bridge's own port gets
// OFPP_LOCAL, the others the next number not in use on their bridge (a freed
// number is reused after a wrap, as ovs-vswitchd avoids quick reuse too).
void ChassisDuties::giveOfport(const std::string &bridge, const ovsrec_interface *itf) {
    OfportsInUse &used = ofports_used_[bridge];
    if (itf->n_ofport && itf->ofport[0] > 0) {
        used.numbers.insert(itf->ofport[0]);
        return;
    }
    int64_t ofport = 65534;  // OFPP_LOCAL
    if (bridge != itf->name) {
        constexpr int64_t kMaxOfport = 65279;  // OFPP_MAX
        if (used.numbers.size() >= size_t(kMaxOfport)) return;
        while (used.numbers.count(used.next)) used.next = used.next % kMaxOfport + 1;
        ofport = used.next;
        used.numbers.insert(ofport);
    }
    ovsrec_interface_set_ofport(itf, &ofport, 1);
}

bool ChassisDuties::claimPorts(ovsdb_idl *sb, ovsdb_idl_txn *sb_txn, const ovnmon::SbState &state,
                               const std::map<std::string, std::string> &bindings, bool programmed,
                               const RowScope &scope) {
    const sbrec_chassis *us = findChassis(sb, name_);
    if (!sb_txn || !us) return false;
    auto claim = [&](const sbrec_port_binding *pb) {
        if (bindings.count(pb->logical_port)) {
            if (pb->chassis != us) sbrec_port_binding_set_chassis(pb, us);
            const bool up = pb->n_up && pb->up[0];
            if (programmed && !up) {
                const bool t = true;
                sbrec_port_binding_set_up(pb, &t, 1);
            }
        } else if (pb->chassis == us && std::string(pb->type).empty()) {
            sbrec_port_binding_set_chassis(pb, nullptr);
            const bool f = false;
            sbrec_port_binding_set_up(pb, &f, 1);
        }
    };
    forRows(sb, scope, state.port_bindings, sbrec_port_binding_first, sbrec_port_binding_next,
            sbrec_port_binding_get_for_uuid, claim);
    return true;
}

bool ChassisDuties::markInstalled(ovsdb_idl *ovs, ovsdb_idl_txn *ovs_txn, const ovnmon::OvsState &state,
                                  const std::map<std::string, std::string> &bindings, bool programmed,
                                  const RowScope &scope) {
    if (!ovs_txn) return false;
    auto mark = [&](const ovsrec_interface *itf) {
        const char *iface_id = smap_get(&itf->external_ids, "iface-id");
        auto binding = iface_id ? bindings.find(iface_id) : bindings.end();
        const bool bound = binding != bindings.end() && binding->second == itf->name;
        const bool installed = smap_get_bool(&itf->external_ids, "ovn-installed", false);
        if (bound && programmed && !installed) {
            ovsrec_interface_update_external_ids_setkey(itf, "ovn-installed", "true");
            ovsrec_interface_update_external_ids_setkey(itf, "ovn-installed-ts", std::to_string(time_wall_msec()).c_str());
        } else if (!bound && installed) {
            ovsrec_interface_update_external_ids_delkey(itf, "ovn-installed");
            ovsrec_interface_update_external_ids_delkey(itf, "ovn-installed-ts");
        }
    };
    forRows(ovs, scope, state.interfaces, ovsrec_interface_first, ovsrec_interface_next, ovsrec_interface_get_for_uuid,
            mark);
    return true;
}

void ChassisDuties::reportNbCfg(ovsdb_idl *sb, ovsdb_idl_txn *txn, bool programmed) {
    if (!txn || !programmed) return;
    const sbrec_sb_global *global = sbrec_sb_global_first(sb);
    const sbrec_chassis_private *cp = findChassisPrivate(sb, name_);
    if (!global || !cp || cp->nb_cfg == global->nb_cfg) return;
    sbrec_chassis_private_set_nb_cfg(cp, global->nb_cfg);
    sbrec_chassis_private_set_nb_cfg_timestamp(cp, time_wall_msec());
}

void ChassisDuties::release(ovsdb_idl *sb, ovsdb_idl_txn *sb_txn, ovsdb_idl *ovs, ovsdb_idl_txn *ovs_txn) {
    claimPorts(sb, sb_txn, {}, {}, false, RowScope{true, {}});
    markInstalled(ovs, ovs_txn, {}, {}, false, RowScope{true, {}});
    if (!sb_txn) return;
    if (const sbrec_chassis_private *cp = findChassisPrivate(sb, name_)) sbrec_chassis_private_delete(cp);
    if (const sbrec_chassis *ch = findChassis(sb, name_)) {
        for (size_t i = 0; i < ch->n_encaps; ++i) sbrec_encap_delete(ch->encaps[i]);
        sbrec_chassis_delete(ch);
    }
}

}  // namespace ctl
