#include "snapshot.h"

#include <algorithm>

#include "hover/model/l2switch.h"
#include "translate_acl.h"

namespace ctl {

using nlohmann::json;

namespace {

json portOf(const DesiredState &d, const std::string &module, const std::string &object) {
    auto m = d.modules.find(module);
    if (m == d.modules.end() || !m->second.config.contains(kConfigPorts)) return nullptr;
    const json &ports = m->second.config[kConfigPorts];
    return ports.contains(object) ? ports[object] : json(nullptr);
}

// The ACLs in force for a port and how its module port runs them (policy
// ids, connection tracking) as the desired entries say.
json aclsOf(const SnapshotInput &in, const std::vector<AclInForce> &in_force, const std::string &module,
            const json &module_port) {
    namespace l2 = hover::model::l2switch;
    json acls = json::array();
    for (const auto &a : in_force)
        acls.push_back({{"uuid", a.uuid}, {"name", a.name}, {"direction", a.direction}, {"priority", a.priority},
                        {"number", a.number},
                        {"action", a.action}, {"match", a.match}, {"error", a.error.empty() ? json(nullptr) : json(a.error)}});
    json stage = json::object();
    auto m = in.desired.modules.find(module);
    if (m != in.desired.modules.end() && module_port.is_number())
        for (const uint8_t dir : {uint8_t(ACL_DIR_FROM_LPORT), uint8_t(ACL_DIR_TO_LPORT)})
            if (auto e = m->second.tables.find(l2::kAclPorts, acl_port_key{module_port.get<uint16_t>(), dir, 0}))
                stage[dir == ACL_DIR_FROM_LPORT ? "from-lport" : "to-lport"] = {
                    {"policy", e->policy}, {"fields", e->fields}, {"tracked", (e->flags & ACL_PORT_CT) != 0}};
    return {{"in_force", acls}, {"stage", stage}};
}

// What the switch answers the port's DHCP requests with (per MAC: the
// DHCPv4 offer, whether DHCPv6 gives an address), or why it answers none
// ("error", from the module's dhcp_problems).
json dhcpOf(const SnapshotInput &in, const std::string &module, const std::string &port, const json &module_port) {
    namespace l2 = hover::model::l2switch;
    auto m = in.desired.modules.find(module);
    if (m == in.desired.modules.end()) return nullptr;
    for (const auto &p : m->second.config.value("dhcp_problems", json::array()))
        if (p.value("port", "") == port) return {{"error", p.value("error", "")}};
    const auto mine = [&](const l2_dhcp_key &key) {
        return module_port.is_number() && key.port == module_port.get<uint32_t>();
    };
    const auto mac = [](const l2_dhcp_key &key) {
        iovisor::Mac m;
        std::copy(std::begin(key.mac), std::end(key.mac), m.begin());
        return iovisor::formatMac(m);
    };
    json offers = json::array(), offers6 = json::array();
    for (const auto &[key, v] : m->second.tables.list(l2::kDhcp4))
        if (mine(key))
            offers.push_back({{"mac", mac(key)},
                              {"offer", iovisor::formatIpv4(v.offer_ip)},
                              {"server", iovisor::formatIpv4(v.server_ip)}});
    for (const auto &[key, v] : m->second.tables.list(l2::kDhcp6))
        if (mine(key)) offers6.push_back({{"mac", mac(key)}, {"stateful", v.segments[0].len > 0}});
    if (offers.empty() && offers6.empty()) return nullptr;
    return {{"v4", offers}, {"v6", offers6}};
}

// The router advertisements a router-type port's router port makes on the
// switch: whether the switch answers solicitations with it, how often it
// is sent unsolicited, or why it cannot advertise ("error").
json advertsOf(const SnapshotInput &in, const std::string &module, const ovnmon::LogicalSwitchPort &lsp,
               const json &module_port) {
    namespace l2 = hover::model::l2switch;
    auto m = in.desired.modules.find(module);
    auto lrp = lsp.options.find("router-port");
    if (m == in.desired.modules.end() || lrp == lsp.options.end()) return nullptr;
    const json &config = m->second.config;
    for (const auto &p : config.value("ra_problems", json::array()))
        if (p.value("port", "") == lrp->second) return {{"error", p.value("error", "")}};
    json out = json::object();
    auto ra = m->second.tables.find(l2::kRa, uint32_t{0});
    if (ra && module_port.is_number() && ra->router_port == module_port.get<uint32_t>()) out["solicited"] = true;
    for (const auto &p : config.value("ra_periodic", json::array()))
        if (p.value("port", "") == lrp->second)
            out["periodic"] = {{"min_interval", p["min_interval"]}, {"max_interval", p["max_interval"]}};
    return out.empty() ? json(nullptr) : out;
}

// The switch's DNS records: how many it answers, which it cannot.
json dnsOf(const SnapshotInput &in, const std::string &module) {
    namespace l2 = hover::model::l2switch;
    auto m = in.desired.modules.find(module);
    if (m == in.desired.modules.end()) return nullptr;
    return {{"answered", m->second.tables.list(l2::kDns).size()},
            {"problems", m->second.config.value("dns_problems", json::array())}};
}

// What of the modules' OVN objects cannot be programmed as written
// (translate's "problems"), local modules only.
json problemsOf(const SnapshotInput &in, const std::vector<std::string> &modules) {
    json out = json::array();
    for (const auto &name : modules)
        if (auto m = in.desired.modules.find(name); m != in.desired.modules.end())
            for (const auto &p : m->second.config.value("problems", json::array())) out.push_back(p);
    return out;
}

// Where the port stands on this chassis ("state"; a VIF's "interface").
void portState(const SnapshotInput &in, const ovnmon::LogicalSwitchPort &lsp,
               const std::map<std::string, std::string> &interface_of, json &port) {
    const std::string done = in.programmed ? "programmed" : "pending";
    if (!lsp.type.empty()) {
        port["state"] = port["module_port"].is_null() ? "not mapped" : done;
        return;
    }
    auto itf = interface_of.find(lsp.name);
    port["interface"] = itf == interface_of.end() ? json(nullptr) : json(itf->second);
    if (itf == interface_of.end()) port["state"] = "no local interface";
    else if (!in.desired.bindings.count(lsp.name)) port["state"] = "requested on another chassis";
    else port["state"] = done;
}

}  // namespace

json snapshot(const SnapshotInput &in) {
    json switches = json::array(), routers = json::array();
    std::map<std::string, std::string> interface_of;  // iface-id -> interface
    for (const auto &[name, itf] : in.ovs.interfaces)
        if (!itf.iface_id.empty()) interface_of[itf.iface_id] = name;

    for (const auto &[uuid, ls] : in.nb.switches) {
        const std::string module = "ls-" + uuid;
        json ports = json::array();
        auto acls = aclsInForce(in.nb, ls);
        for (const auto &p : ls.ports) {
            auto it = in.nb.switch_ports.find(p);
            if (it == in.nb.switch_ports.end()) continue;
            const auto &lsp = it->second;
            json port = {{"name", lsp.name}, {"type", lsp.type.empty() ? "vif" : lsp.type},
                         {"addresses", lsp.addresses}, {"module_port", portOf(in.desired, module, lsp.name)}};
            port["acls"] = aclsOf(in, acls[p], module, port["module_port"]);
            port["dhcp"] = dhcpOf(in, module, lsp.name, port["module_port"]);
            if (lsp.type == "router") port["router_adverts"] = advertsOf(in, module, lsp, port["module_port"]);
            auto pb = in.sb.port_bindings.find(lsp.name);
            if (pb != in.sb.port_bindings.end()) {
                port["bound_to"] = pb->second.chassis.empty() ? json(nullptr) : json(pb->second.chassis);
                port["up"] = pb->second.up ? json(*pb->second.up) : json(nullptr);
            }
            portState(in, lsp, interface_of, port);
            ports.push_back(port);
        }
        switches.push_back({{"name", ls.name}, {"uuid", uuid}, {"module", module}, {"ports", ports},
                            {"dns", dnsOf(in, module)}, {"problems", problemsOf(in, {module})}});
    }
    for (const auto &[uuid, lr] : in.nb.routers) {
        const std::string module = "lr-" + uuid;
        json ports = json::array(), nat = json::array();
        for (const auto &p : lr.ports) {
            auto it = in.nb.router_ports.find(p);
            if (it == in.nb.router_ports.end()) continue;
            ports.push_back({{"name", it->second.name}, {"mac", it->second.mac}, {"networks", it->second.networks},
                             {"module_port", portOf(in.desired, module, it->second.name)}});
        }
        const bool has_nat = in.desired.modules.count("nat-" + uuid) > 0;
        for (const auto &n : lr.nat)
            nat.push_back({{"type", n.type}, {"external_ip", n.external_ip}, {"logical_ip", n.logical_ip},
                           {"module", has_nat ? json("nat-" + uuid) : json(nullptr)}});
        routers.push_back({{"name", lr.name}, {"uuid", uuid}, {"module", module}, {"ports", ports}, {"nat", nat},
                           {"problems", problemsOf(in, {module, "nat-" + uuid})}});
    }
    auto applied = in.sb.chassis_private_nb_cfg.find(in.chassis);
    return {{"chassis", in.chassis},
            {"hoverd", in.hover_url},
            {"programmed", in.programmed},
            {"last_error", in.last_error},
            {"nb_cfg", {{"northbound", in.nb.nb_cfg},
                        {"southbound", in.sb.nb_cfg},
                        {"applied", applied == in.sb.chassis_private_nb_cfg.end() ? json(nullptr) : json(applied->second)}}},
            {"switches", switches},
            {"routers", routers}};
}

}  // namespace ctl
