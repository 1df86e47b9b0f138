#include "engine.h"

#include "lib/abi.h"

#include <algorithm>
#include <utility>

namespace ctl {

using nlohmann::json;

namespace {

// Tables whose rows change routers as a whole (they hang off every router
// or router port that names them).
bool changesRouters(const std::string &table) {
    return table == "NAT" || table == "Logical_Router_Static_Route" || table == "Gateway_Chassis" ||
           table == "HA_Chassis_Group" || table == "HA_Chassis";
}

// Tables whose rows may change the ACLs of any switch (an ACL is a switch's
// or a port group's; matches name address sets). Port groups are followed
// row by row: NbIndex::regrouped.
bool changesAcls(const std::string &table) {
    return table == "ACL" || table == "Address_Set" || table == "Meter" || table == "Meter_Band";
}

void insertNonEmpty(std::set<std::string> *out, const std::string &uuid) {
    if (!uuid.empty()) out->insert(uuid);
}

}  // namespace

DesiredState translate(const TranslateInput &in, PortAllocator &ports) {
    Engine engine;
    engine.recompute(in, ports);
    return engine.desired();
}

void Engine::recompute(const TranslateInput &in, PortAllocator &ports) {
    *this = Engine();  // binding_changes_: everything
    chassis_ = in.chassis;
    bridge_mappings_ = in.ovs.bridge_mappings;
    index_.build(in);
    std::set<std::string> all;
    for (const auto &[uuid, ls] : in.nb.switches) all.insert(uuid);
    for (const auto &[uuid, lr] : in.nb.routers) all.insert(uuid);
    refreshGraph(in, all);
    local_ = localClosure();
    translate(in, ports, local_, {}, true);
    delta_ = DesiredDelta{true, {}, {}};
    built_ = true;
}

void Engine::update(const TranslateInput &in, const std::vector<ovnmon::Change> &all_changes, PortAllocator &ports) {
    if (!built_ || in.chassis != chassis_ || in.ovs.bridge_mappings != bridge_mappings_) return recompute(in, ports);
    const std::vector<ovnmon::Change> changes = index_.readChanges(in, all_changes);
    if (changes.empty()) return;
    // What the rows touched, as indexed before and after them.
    std::set<std::string> direct = directlyTouched(in, changes);
    index_.update(in, changes);
    for (const auto &dp : directlyTouched(in, changes)) direct.insert(dp);
    for (const auto &dp : regroupedSwitches()) direct.insert(dp);
    std::set<std::string> touched = withNeighbours(direct);  // as attached before
    const bool graph_changed = refreshGraph(in, touched);
    for (const auto &dp : withNeighbours(direct)) touched.insert(dp);  // and after
    std::set<std::string> todo, removed;
    if (graph_changed) {  // datapaths may have become local, or stopped being
        std::set<std::string> local = localClosure();
        for (const auto &dp : local)
            if (touched.count(dp) || !local_.count(dp)) todo.insert(dp);
        for (const auto &dp : local_)
            if (!local.count(dp)) removed.insert(dp);
        local_ = std::move(local);
    } else {  // the touched ones only: a change costs the same whatever else is local
        for (const auto &dp : touched)
            if (local_.count(dp)) todo.insert(dp);
    }
    translate(in, ports, todo, removed, false);
}

DesiredDelta Engine::takeDelta() {
    DesiredDelta out = std::move(delta_);
    delta_ = DesiredDelta();
    return out;
}

// The datapaths a change names directly: a switch for its row, its ports,
// their bindings and interfaces, their DHCP options, its DNS records; a router for its row and ports (and the
// switch a router port is on); every router for NAT, routes and gateways.
std::set<std::string> Engine::directlyTouched(const TranslateInput &in,
                                              const std::vector<ovnmon::Change> &changes) const {
    std::set<std::string> out;
    for (const auto &c : changes) {
        if (c.table == "Logical_Switch" || c.table == "Logical_Router") {
            out.insert(c.uuid);
        } else if (c.table == "Logical_Switch_Port") {
            insertNonEmpty(&out, index_.switchOfPort(c.uuid));
        } else if (c.table == "Logical_Router_Port") {
            if (const auto *lr = index_.routerOfPort(c.uuid)) out.insert(lr->uuid);
            insertNonEmpty(&out, index_.switchOfPort(index_.switchPortOf(c.row)));
        } else if (c.table == "Port_Binding") {
            insertNonEmpty(&out, index_.switchOfPort(index_.portByName(c.row)));
        } else if (c.table == "Interface") {
            insertNonEmpty(&out, index_.switchOfPort(index_.portByName(index_.ifaceIdOf(c.row))));
            // An interface of a mapped bridge (or one gone) may be a localnet's.
            auto itf = in.ovs.interfaces.find(c.row);
            bool mapped = itf == in.ovs.interfaces.end();
            for (const auto &[net, bridge] : index_.bridgeOfNetwork())
                if (!mapped && itf->second.bridge == bridge) mapped = true;
            if (mapped) out.insert(localnet_switches_.begin(), localnet_switches_.end());
        } else if (changesRouters(c.table)) {
            for (const auto &[uuid, lr] : in.nb.routers) out.insert(uuid);
        } else if (changesAcls(c.table)) {
            for (const auto &[uuid, ls] : in.nb.switches) out.insert(uuid);
        } else if (c.table == "DHCP_Options") {
            for (const auto &[uuid, lsp] : in.nb.switch_ports)
                if (lsp.dhcpv4_options == c.uuid || lsp.dhcpv6_options == c.uuid)
                    insertNonEmpty(&out, index_.switchOfPort(uuid));
        } else if (c.table == "DNS") {
            for (const auto &[uuid, ls] : in.nb.switches)
                if (std::find(ls.dns_records.begin(), ls.dns_records.end(), c.uuid) != ls.dns_records.end())
                    out.insert(uuid);
        }
    }
    return out;
}

// What port group changes reach: the switches of the ports that joined or
// left a group (its ACLs apply to them; @group names them), and those whose
// ACLs name an address set the change may have changed.
std::set<std::string> Engine::regroupedSwitches() const {
    std::set<std::string> out;
    for (const auto &port : index_.regrouped().ports) insertNonEmpty(&out, index_.switchOfPort(port));
    for (const auto &set : index_.regrouped().address_sets)
        if (auto readers = set_readers_.find(set); readers != set_readers_.end())
            out.insert(readers->second.begin(), readers->second.end());
    return out;
}

// A switch's output depends on the routers it is attached to, a router's on
// its switches and its peers.
std::set<std::string> Engine::withNeighbours(const std::set<std::string> &direct) const {
    std::set<std::string> out = direct;
    for (const auto *edges : {&switch_routers_, &router_switches_, &router_peers_, &peered_by_})
        for (const auto &dp : direct)
            if (auto it = edges->find(dp); it != edges->end()) out.insert(it->second.begin(), it->second.end());
    return out;
}

bool Engine::refreshGraph(const TranslateInput &in, const std::set<std::string> &datapaths) {
    bool changed = false;
    for (const auto &dp : datapaths) {
        const auto ls = in.nb.switches.find(dp);
        const auto lr = in.nb.routers.find(dp);
        const bool seed = ls != in.nb.switches.end() && hasLocalPort(in, index_, ls->second);
        changed |= seed != seeds_.count(dp);
        if (seed) seeds_.insert(dp);
        else seeds_.erase(dp);
        bool localnet = false;
        if (ls != in.nb.switches.end())
            for (const auto &p : ls->second.ports)
                if (auto it = in.nb.switch_ports.find(p); it != in.nb.switch_ports.end()) localnet |= it->second.type == "localnet";
        if (localnet) localnet_switches_.insert(dp);
        else localnet_switches_.erase(dp);
        auto routers = ls != in.nb.switches.end() ? routersOf(in, index_, ls->second) : std::set<std::string>();
        auto peers = lr != in.nb.routers.end() ? peersOf(in, index_, lr->second) : std::set<std::string>();
        changed |= switch_routers_.count(dp) ? switch_routers_.at(dp) != routers : !routers.empty();
        changed |= router_peers_.count(dp) ? router_peers_.at(dp) != peers : !peers.empty();
        setEdges(&switch_routers_, &router_switches_, dp, std::move(routers));
        setEdges(&router_peers_, &peered_by_, dp, std::move(peers));
    }
    return changed;
}

// `from`'s edges become `to`, in an edge map and its reverse together.
void Engine::setEdges(std::map<std::string, std::set<std::string>> *edges,
                      std::map<std::string, std::set<std::string>> *reverse, const std::string &from,
                      std::set<std::string> to) {
    for (const auto &dp : (*edges)[from])
        if (auto it = reverse->find(dp); it != reverse->end() && (it->second.erase(from), it->second.empty()))
            reverse->erase(it);
    for (const auto &dp : to) (*reverse)[dp].insert(from);
    if (to.empty()) edges->erase(from);
    else (*edges)[from] = std::move(to);
}

// OVN's local datapaths: the switches with a port here and what their
// routers reach, through switches and peer routers.
std::set<std::string> Engine::localClosure() const {
    std::set<std::string> local;
    std::vector<std::string> todo(seeds_.begin(), seeds_.end());
    while (!todo.empty()) {
        const std::string dp = todo.back();
        todo.pop_back();
        if (!local.insert(dp).second) continue;
        for (const auto *edges : {&switch_routers_, &router_switches_, &router_peers_, &peered_by_})
            if (auto it = edges->find(dp); it != edges->end())
                for (const auto &next : it->second)
                    if (!local.count(next)) todo.push_back(next);
    }
    return local;
}

// Translates `datapaths` (and drops `removed`) in one port allocation round
// over their modules (every module, for a whole round).
void Engine::translate(const TranslateInput &in, PortAllocator &ports, const std::set<std::string> &datapaths,
                       const std::set<std::string> &removed, bool whole_round) {
    ports.beginRound();
    std::map<std::string, DesiredState> outputs;
    std::set<std::string> modules;  // whose ports this round decides
    for (const auto &dp : datapaths) outputs[dp] = translateDatapath(in, index_, ports, dp);
    for (const auto *dps : {&datapaths, &removed})
        for (const auto &dp : *dps) {
            if (auto old = outputs_.find(dp); old != outputs_.end())
                for (const auto &[name, m] : old->second.modules) modules.insert(name);
            if (auto now = outputs.find(dp); now != outputs.end())
                for (const auto &[name, m] : now->second.modules) modules.insert(name);
        }
    if (whole_round) ports.endRound();
    else ports.endRound(modules);
    retryOutOfPorts(in, ports, &outputs);
    for (auto &[dp, out] : outputs) {
        for (auto &[name, module] : out.modules) {
            json assigned = json::object();
            for (const auto &[object, port] : ports.assigned(name)) assigned[object] = port;
            module.config[kConfigPorts] = assigned;
        }
        replaceOutput(dp, std::move(out));
    }
    for (const auto &dp : removed) replaceOutput(dp, DesiredState());
}

// A port turned away for lack of module ports fits once the round has
// released the ports of what went: its datapath is translated again, so
// that the result is the same whatever the assignments a round started with.
void Engine::retryOutOfPorts(const TranslateInput &in, PortAllocator &ports,
                             std::map<std::string, DesiredState> *outputs) const {
    std::set<std::string> again, modules;
    for (const auto &[dp, out] : *outputs)
        for (const auto &name : out.out_of_ports)
            if (ports.assigned(name).size() < IOV_MAX_PORTS) again.insert(dp);
    if (again.empty()) return;
    ports.beginRound();
    for (const auto &dp : again) {
        (*outputs)[dp] = translateDatapath(in, index_, ports, dp);
        for (const auto &[name, m] : (*outputs)[dp].modules) modules.insert(name);
    }
    ports.endRound(modules);
}

void Engine::replaceOutput(const std::string &datapath, DesiredState out) {
    DesiredState old;
    if (auto it = outputs_.find(datapath); it != outputs_.end()) old = std::move(it->second);
    for (const auto &[name, m] : old.modules)
        if (!out.modules.count(name) && desired_.modules.erase(name)) delta_.modules.insert(name);
    for (auto &[name, m] : out.modules) {
        auto have = desired_.modules.find(name);
        if (have == desired_.modules.end() || !(have->second == m)) {
            desired_.modules[name] = std::move(m);
            delta_.modules.insert(name);
        }
        m = ModuleSpec();  // desired_ holds the module; outputs_ its name
    }
    for (const auto &link : old.links)
        if (!out.links.count(link)) refLink(link, -1);
    for (const auto &link : out.links)
        if (!old.links.count(link)) refLink(link, +1);
    for (const auto &set : old.address_sets_named)
        if (auto it = set_readers_.find(set); it != set_readers_.end() && (it->second.erase(datapath), it->second.empty()))
            set_readers_.erase(it);
    for (const auto &set : out.address_sets_named) set_readers_[set].insert(datapath);
    noteBindingChanges(old.bindings, out.bindings);
    for (const auto &[lsp, vif] : old.bindings) desired_.bindings.erase(lsp);
    for (const auto &[lsp, vif] : out.bindings) desired_.bindings[lsp] = vif;
    if (out.modules.empty() && out.links.empty() && out.bindings.empty()) outputs_.erase(datapath);
    else outputs_[datapath] = std::move(out);
}

void Engine::noteBindingChanges(const std::map<std::string, std::string> &before,
                                const std::map<std::string, std::string> &after) {
    auto note = [this](const std::map<std::string, std::string> &from, const std::map<std::string, std::string> &to) {
        for (const auto &[lsp, vif] : from) {
            auto now = to.find(lsp);
            if (now != to.end() && now->second == vif) continue;
            binding_changes_.ports.add(lsp);
            binding_changes_.interfaces.add(vif);
        }
    };
    note(before, after);
    note(after, before);
}

BindingChanges Engine::takeBindingChanges() { return std::exchange(binding_changes_, BindingChanges{}); }

void Engine::refLink(const LinkSpec &link, int by) {
    const int refs = link_refs_[link] += by;
    if (refs == 0) link_refs_.erase(link);
    if ((by > 0 && refs == 1) || refs == 0) {
        if (refs) desired_.links.insert(link);
        else desired_.links.erase(link);
        delta_.links.insert(link);
    }
}

}  // namespace ctl
