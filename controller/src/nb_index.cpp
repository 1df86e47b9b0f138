#include "nb_index.h"

#include <sstream>

#include "translate.h"

namespace ctl {

namespace {

std::map<std::string, std::string> bridgeMappings(const std::string &mappings) {
    std::map<std::string, std::string> out;
    std::istringstream in(mappings);
    for (std::string item; std::getline(in, item, ',');)
        if (auto colon = item.find(':'); colon != std::string::npos) out[item.substr(0, colon)] = item.substr(colon + 1);
    return out;
}

}  // namespace

void NbIndex::build(const TranslateInput &in) {
    *this = NbIndex();
    nb_ = &in.nb;
    for (const auto &[uuid, ls] : in.nb.switches) indexSwitch(in.nb, uuid);
    for (const auto &[uuid, lsp] : in.nb.switch_ports) indexPort(in.nb, uuid);
    indexRouters(in.nb);
    for (const auto &[name, itf] : in.ovs.interfaces) indexInterface(in.ovs, name);
    for (const auto &[name, pg] : in.nb.port_groups) indexGroup(in.nb, pg.uuid, name);
    regrouped_ = Regrouped();
    bridge_of_network_ = bridgeMappings(in.ovs.bridge_mappings);
    for (const auto &[port, pb] : in.sb.port_bindings) differs(&binding_read_, port, readOfBinding(in, port));
    for (const auto &[name, itf] : in.ovs.interfaces) differs(&interface_read_, name, readOfInterface(in, name));
}

std::vector<ovnmon::Change> NbIndex::readChanges(const TranslateInput &in, const std::vector<ovnmon::Change> &changes) {
    std::vector<ovnmon::Change> out;
    for (const auto &c : changes) {
        if (c.table == "Port_Binding" && !differs(&binding_read_, c.row, readOfBinding(in, c.row))) continue;
        if (c.table == "Interface" && !differs(&interface_read_, c.row, readOfInterface(in, c.row))) continue;
        out.push_back(c);
    }
    return out;
}

// A binding's requested-chassis (forUs() in translate.cpp); none and unset
// read the same.
std::string NbIndex::readOfBinding(const TranslateInput &in, const std::string &logical_port) {
    auto pb = in.sb.port_bindings.find(logical_port);
    return pb == in.sb.port_bindings.end() ? "" : pb->second.requested_chassis;
}

// An interface's iface-id, bridge and type; not its ofport or external_ids
// beyond iface-id.
std::string NbIndex::readOfInterface(const TranslateInput &in, const std::string &ifname) {
    auto itf = in.ovs.interfaces.find(ifname);
    if (itf == in.ovs.interfaces.end()) return "";
    return "present\n" + itf->second.iface_id + "\n" + itf->second.bridge + "\n" + itf->second.type;
}

bool NbIndex::differs(std::map<std::string, std::string> *seen, const std::string &key, std::string now) {
    auto it = seen->find(key);
    if (it == seen->end() ? now.empty() : it->second == now) return false;
    if (now.empty()) seen->erase(it);
    else (*seen)[key] = std::move(now);
    return true;
}

void NbIndex::update(const TranslateInput &in, const std::vector<ovnmon::Change> &changes) {
    nb_ = &in.nb;
    regrouped_ = Regrouped();
    bool routers = false;
    for (const auto &c : changes) {
        if (c.table == "Logical_Switch_Port" || c.table == "Port_Group" || c.table == "Address_Set" || c.table == "ACL")
            acl_names_.reset();
        if (c.table == "Logical_Switch") indexSwitch(in.nb, c.uuid);
        else if (c.table == "Port_Group") indexGroup(in.nb, c.uuid, c.row);
        else if (c.table == "Logical_Switch_Port") indexPort(in.nb, c.uuid);
        else if (c.table == "Logical_Router" || c.table == "Logical_Router_Port") routers = true;
        else if (c.table == "Interface") indexInterface(in.ovs, c.row);
    }
    // A port's addresses are in its groups' address sets (after the loop
    // above: with the groups of this round's Port_Group changes).
    for (const auto &c : changes)
        if (c.table == "Logical_Switch_Port")
            if (auto groups = groups_of_port_.find(c.uuid); groups != groups_of_port_.end())
                for (const auto &uuid : groups->second) groupSetsChanged(groups_.at(uuid).name);
    if (routers) indexRouters(in.nb);  // a few per router: re-indexed whole
    bridge_of_network_ = bridgeMappings(in.ovs.bridge_mappings);
}

const AclNames &NbIndex::aclNames() const {
    if (!acl_names_) acl_names_ = ctl::aclNames(*nb_);
    return *acl_names_;
}

const ovnmon::LogicalRouterPort *NbIndex::routerPort(const std::string &lrp_name) const {
    auto uuid = router_port_by_name_.find(lrp_name);
    if (uuid == router_port_by_name_.end()) return nullptr;
    auto it = nb_->router_ports.find(uuid->second);
    return it == nb_->router_ports.end() ? nullptr : &it->second;
}

const ovnmon::LogicalRouter *NbIndex::routerOfPort(const std::string &lrp_uuid) const {
    auto lr = router_of_port_.find(lrp_uuid);
    if (lr == router_of_port_.end()) return nullptr;
    auto it = nb_->routers.find(lr->second);
    return it == nb_->routers.end() ? nullptr : &it->second;
}

// A switch's ports now, in place of those it had when last indexed.
void NbIndex::indexSwitch(const ovnmon::NbState &nb, const std::string &ls_uuid) {
    for (const auto &port : ports_of_switch_[ls_uuid])
        if (auto it = switch_of_port_.find(port); it != switch_of_port_.end() && it->second == ls_uuid)
            switch_of_port_.erase(it);
    auto ls = nb.switches.find(ls_uuid);
    if (ls == nb.switches.end()) {
        ports_of_switch_.erase(ls_uuid);
        return;
    }
    ports_of_switch_[ls_uuid] = ls->second.ports;
    for (const auto &port : ls->second.ports) switch_of_port_[port] = ls_uuid;
}

// A port's name and the router port it peers, in place of the old ones.
void NbIndex::indexPort(const ovnmon::NbState &nb, const std::string &lsp_uuid) {
    if (auto old = port_names_.find(lsp_uuid); old != port_names_.end()) {
        const auto &[name, router_port] = old->second;
        if (auto it = port_by_name_.find(name); it != port_by_name_.end() && it->second == lsp_uuid) port_by_name_.erase(it);
        if (auto it = switch_port_of_lrp_.find(router_port); it != switch_port_of_lrp_.end() && it->second == lsp_uuid)
            switch_port_of_lrp_.erase(it);
        port_names_.erase(old);
    }
    auto lsp = nb.switch_ports.find(lsp_uuid);
    if (lsp == nb.switch_ports.end()) return;
    std::string router_port;
    if (lsp->second.type == "router")
        if (auto rp = lsp->second.options.find("router-port"); rp != lsp->second.options.end()) router_port = rp->second;
    port_names_[lsp_uuid] = {lsp->second.name, router_port};
    port_by_name_[lsp->second.name] = lsp_uuid;
    if (!router_port.empty()) switch_port_of_lrp_[router_port] = lsp_uuid;
}

// A port group (by uuid; `name`: as the change names it) in place of what
// it was, noting what changed in regrouped_.
void NbIndex::indexGroup(const ovnmon::NbState &nb, const std::string &uuid, const std::string &name) {
    Group old, now;
    if (auto it = groups_.find(uuid); it != groups_.end()) {
        old = std::move(it->second);
        groups_.erase(it);
    }
    if (auto pg = nb.port_groups.find(name); pg != nb.port_groups.end() && pg->second.uuid == uuid)
        now = {pg->second.name, pg->second.ports, pg->second.acls};
    for (const auto &port : old.ports)
        if (auto it = groups_of_port_.find(port); it != groups_of_port_.end() && (it->second.erase(uuid), it->second.empty()))
            groups_of_port_.erase(it);
    for (const auto &port : now.ports) groups_of_port_[port].insert(uuid);
    const std::set<std::string> before(old.ports.begin(), old.ports.end()), after(now.ports.begin(), now.ports.end());
    const bool everyone = old.name != now.name || old.acls != now.acls;  // its ACLs, as the ports see them
    for (const auto *ports : {&before, &after})
        for (const auto &port : *ports)
            if (everyone || before.count(port) != after.count(port)) regrouped_.ports.insert(port);
    if (old.name != now.name || before != after) {
        groupSetsChanged(old.name);
        groupSetsChanged(now.name);
    }
    if (!now.name.empty()) groups_[uuid] = std::move(now);
}

void NbIndex::groupSetsChanged(const std::string &group_name) {
    if (group_name.empty()) return;
    regrouped_.address_sets.insert(group_name + "_ip4");
    regrouped_.address_sets.insert(group_name + "_ip6");
}

void NbIndex::indexRouters(const ovnmon::NbState &nb) {
    router_port_by_name_.clear();
    router_of_port_.clear();
    for (const auto &[uuid, lrp] : nb.router_ports) router_port_by_name_[lrp.name] = uuid;
    for (const auto &[uuid, lr] : nb.routers)
        for (const auto &p : lr.ports) router_of_port_[p] = uuid;
}

void NbIndex::indexInterface(const ovnmon::OvsState &ovs, const std::string &ifname) {
    if (auto old = iface_id_of_.find(ifname); old != iface_id_of_.end()) {
        if (auto it = vif_of_iface_id_.find(old->second); it != vif_of_iface_id_.end() && it->second == ifname)
            vif_of_iface_id_.erase(it);
        iface_id_of_.erase(old);
    }
    auto itf = ovs.interfaces.find(ifname);
    if (itf == ovs.interfaces.end() || itf->second.iface_id.empty()) return;
    iface_id_of_[ifname] = itf->second.iface_id;
    vif_of_iface_id_[itf->second.iface_id] = ifname;
}

}  // namespace ctl
