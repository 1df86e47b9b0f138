#include "translate.h"

#include "lib/tables.h"

#include <arpa/inet.h>

#include <sstream>

#include "iovisor/net.h"

namespace ctl {

using nlohmann::json;
using ovnmon::LogicalRouter;
using ovnmon::LogicalRouterPort;
using ovnmon::LogicalSwitch;
using ovnmon::LogicalSwitchPort;

// The flags and constants of the datapath tables the JSON below spells out.
constexpr int kL2Enabled = L2_PORT_ENABLED, kL2Security = L2_PORT_SECURITY, kL2Learn = L2_PORT_LEARN;
constexpr int kL2PsIpv4 = L2_PS_IPV4, kL2PsIpv6 = L2_PS_IPV6, kL2PsKeyBits = L2_PS_KEY_BITS;
constexpr int kL2PsIpv4Prefixes = L2_PS_IPV4_PREFIXES, kL2PsIpv6Prefixes = L2_PS_IPV6_PREFIXES;
constexpr int kL2NdRouter = L2_ND_ROUTER;
constexpr int kRtEnabled = RT_PORT_ENABLED, kRouteConnected = RT_ROUTE_CONNECTED, kRouteVia = RT_ROUTE_VIA,
              kRouteDiscard = RT_ROUTE_DISCARD, kNeighStatic = RT_NEIGH_STATIC;

LinkSpec makeLink(const std::string &a, const std::string &b) { return a < b ? LinkSpec{a, b} : LinkSpec{b, a}; }
std::string modulePort(const std::string &module, uint32_t port) { return "m:" + module + ":" + std::to_string(port); }

const std::set<std::string> &managedTables(const std::string &type) {
    static const std::map<std::string, std::set<std::string>> tables = {
        {"l2switch",
         {"ports", "fdb", "arp_responder", "nd_responder", "ps_macs", "ps_ipv4_hosts", "ps_ipv6_hosts", "ps_ipv4", "ps_ipv6"}},
        {"router", {"ports", "addrs", "routes", "neighbors", "addrs6", "routes6", "neighbors6"}},
        {"nat", {"snat_rules", "dnat_rules", "fip_in", "fip_out", "arp_external"}},
    };
    static const std::set<std::string> none;
    auto it = tables.find(type);
    return it == tables.end() ? none : it->second;
}

namespace {

std::vector<std::string> words(const std::string &s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::string normMac(const std::string &text) {
    auto mac = iovisor::parseMac(text);
    return mac.ok() ? iovisor::formatMac(*mac) : "";
}

// One "MAC [IP...]" entry of addresses or port_security.
struct AddressSet {
    std::string mac;
    std::vector<iovisor::Ipv4Prefix> ipv4;
    std::vector<iovisor::Ipv6Prefix> ipv6;
};

std::optional<AddressSet> parseAddressSet(const std::string &text) {
    auto w = words(text);
    if (w.empty()) return std::nullopt;
    AddressSet set;
    set.mac = normMac(w[0]);
    if (set.mac.empty()) return std::nullopt;
    for (size_t i = 1; i < w.size(); ++i) {
        if (auto v4 = iovisor::parseIpv4Prefix(w[i]); v4.ok()) set.ipv4.push_back(*v4);
        else if (auto v6 = iovisor::parseIpv6Prefix(w[i]); v6.ok()) set.ipv6.push_back(*v6);
    }
    return set;
}


std::string key(const json &k) { return k.dump(); }

class Translator {
public:
    Translator(const TranslateInput &in, PortAllocator &ports) : in_(in), ports_(ports) { index(); }

    DesiredState run() {
        for (const auto &[uuid, ls] : in_.nb.switches) logicalSwitch(ls);
        for (const auto &[uuid, lr] : in_.nb.routers) logicalRouter(lr);
        return out_;
    }

private:
    void index() {
        for (const auto &[uuid, lrp] : in_.nb.router_ports) lrp_by_name_[lrp.name] = &lrp;
        for (const auto &[uuid, lr] : in_.nb.routers)
            for (const auto &p : lr.ports) router_of_port_[p] = &lr;
        for (const auto &[name, itf] : in_.ovs.interfaces)
            if (!itf.iface_id.empty()) local_vifs_[itf.iface_id] = name;
        for (const auto &mapping : split(in_.ovs.bridge_mappings, ','))
            if (auto colon = mapping.find(':'); colon != std::string::npos)
                bridge_of_network_[mapping.substr(0, colon)] = mapping.substr(colon + 1);
    }

    static std::vector<std::string> split(const std::string &s, char sep) {
        std::vector<std::string> out;
        std::string item;
        std::istringstream in(s);
        while (std::getline(in, item, sep))
            if (!item.empty()) out.push_back(item);
        return out;
    }

    ModuleSpec &module(const std::string &name, const std::string &type, const json &ovn) {
        ModuleSpec &m = out_.modules[name];
        m.type = type;
        m.config = {{"ovn", ovn}};
        return m;
    }

    static std::string switchModule(const LogicalSwitch &ls) { return "ls-" + ls.uuid; }
    static std::string routerModule(const LogicalRouter &lr) { return "lr-" + lr.uuid; }
    static std::string natModule(const LogicalRouter &lr) { return "nat-" + lr.uuid; }

    // Is the VIF meant for this chassis (requested-chassis unset or us)?
    bool forUs(const LogicalSwitchPort &lsp) const {
        auto pb = in_.sb.port_bindings.find(lsp.name);
        if (pb == in_.sb.port_bindings.end()) return true;
        return pb->second.requested_chassis.empty() || pb->second.requested_chassis == in_.chassis;
    }

    // The addresses a switch port answers for (MACs into the fdb, IPs into
    // the ARP responder).
    std::vector<AddressSet> portAddresses(const LogicalSwitchPort &lsp, bool *unknown) const {
        std::vector<AddressSet> out;
        *unknown = false;
        for (const auto &a : lsp.addresses) {
            if (a == "unknown") *unknown = true;
            else if (a == "router") {
                auto rp = lsp.options.find("router-port");
                if (rp == lsp.options.end() || !lrp_by_name_.count(rp->second)) continue;
                const LogicalRouterPort *lrp = lrp_by_name_.at(rp->second);
                std::string text = lrp->mac;
                for (const auto &n : lrp->networks) text += " " + n.substr(0, n.find('/'));
                // A port with IPv6 also answers for its link-local address.
                if (!ipv6Networks(*lrp).empty()) text += " " + iovisor::formatIpv6(linkLocal(lrp->mac));
                if (auto set = parseAddressSet(text)) out.push_back(*set);
            } else if (a == "dynamic") {
                if (auto set = parseAddressSet(lsp.dynamic_addresses)) out.push_back(*set);
            } else if (auto set = parseAddressSet(a)) {
                out.push_back(*set);
            }
        }
        return out;
    }

    // `router`: the port leads to a router (its IPv6 addresses are advertised as a router's).
    void switchPortEntries(ModuleSpec &sw, uint32_t port, const std::vector<AddressSet> &addresses, bool enabled,
                           bool learn, const std::vector<std::string> &port_security, bool router = false) {
        int flags = (enabled ? kL2Enabled : 0) | (learn ? kL2Learn : 0);
        for (const auto &a : addresses) {
            sw.tables["fdb"][key({{"mac", a.mac}})] = {{"port", port}, {"flags", 0}};
            for (const auto &ip : a.ipv4)
                sw.tables["arp_responder"][key(iovisor::formatIpv4(ip.addr))] = {{"mac", a.mac}, {"port", port}};
            for (const auto &ip : a.ipv6)
                sw.tables["nd_responder"][key({{"addr", iovisor::formatIpv6(ip.addr)}})] = {
                    {"mac", a.mac}, {"flags", router ? kL2NdRouter : 0}, {"port", port}};
        }
        for (const auto &entry : port_security) {
            auto ps = parseAddressSet(entry);
            if (!ps) continue;
            flags |= kL2Security;
            int families = (ps->ipv4.empty() ? 0 : kL2PsIpv4) | (ps->ipv6.empty() ? 0 : kL2PsIpv6);
            // Single addresses go to the hashes, prefixes to the LPM tries.
            auto allow = [&](const std::string &family, int full_len, int prefix_flag, const std::string &addr, int len) {
                if (len == full_len) {
                    sw.tables["ps_" + family + "_hosts"][key({{"port", port}, {"mac", ps->mac}, {"addr", addr}})] = 1;
                    return;
                }
                families |= prefix_flag;
                sw.tables["ps_" + family][key({{"prefixlen", kL2PsKeyBits + len}, {"port", port}, {"mac", ps->mac},
                                                {"addr", addr}})] = 1;
            };
            for (const auto &p : ps->ipv4)
                allow("ipv4", 32, kL2PsIpv4Prefixes, iovisor::formatIpv4(iovisor::networkOf(p)), p.len);
            for (const auto &p : ps->ipv6) allow("ipv6", 128, kL2PsIpv6Prefixes, iovisor::formatIpv6(p.addr), p.len);
            sw.tables["ps_macs"][key({{"port", port}, {"mac", ps->mac}})] = {{"flags", families}};
        }
        sw.tables["ports"][key(port)] = {{"flags", flags}};
    }

    void logicalSwitch(const LogicalSwitch &ls) {
        const std::string name = switchModule(ls);
        ModuleSpec &sw = module(name, "l2switch", {{"kind", "logical_switch"}, {"name", ls.name}, {"uuid", ls.uuid}});
        for (const auto &port_uuid : ls.ports) {
            auto it = in_.nb.switch_ports.find(port_uuid);
            if (it == in_.nb.switch_ports.end()) continue;
            const LogicalSwitchPort &lsp = it->second;
            bool unknown = false;
            const auto addresses = portAddresses(lsp, &unknown);
            if (lsp.type.empty() || lsp.type == "localport") {
                auto vif = local_vifs_.find(lsp.name);
                if (vif == local_vifs_.end() || !forUs(lsp)) continue;  // not on this chassis
                const uint32_t port = ports_.port(name, lsp.name);
                out_.links.insert(makeLink(modulePort(name, port), "i:" + vif->second));
                if (lsp.type.empty()) out_.bindings[lsp.name] = vif->second;
                switchPortEntries(sw, port, addresses, lsp.enabled, unknown, lsp.port_security);
            } else if (lsp.type == "router") {
                routerPort(ls, lsp, name, sw, addresses);
            } else if (lsp.type == "localnet") {
                auto network = lsp.options.find("network_name");
                if (network == lsp.options.end() || !bridge_of_network_.count(network->second)) continue;
                const std::string &bridge = bridge_of_network_.at(network->second);
                for (const auto &[ifname, itf] : in_.ovs.interfaces) {
                    if (itf.bridge != bridge || ifname == bridge || itf.type == "internal" || itf.type == "patch")
                        continue;
                    const uint32_t port = ports_.port(name, lsp.name + "@" + ifname);
                    out_.links.insert(makeLink(modulePort(name, port), "i:" + ifname));
                    switchPortEntries(sw, port, addresses, lsp.enabled, true, {});
                }
            }
        }
    }

    // A switch port of type router: linked to the router's port, through the
    // router's nat module when that port is its NAT gateway.
    void routerPort(const LogicalSwitch &ls, const LogicalSwitchPort &lsp, const std::string &sw_name, ModuleSpec &sw,
                    const std::vector<AddressSet> &addresses) {
        auto rp = lsp.options.find("router-port");
        if (rp == lsp.options.end() || !lrp_by_name_.count(rp->second)) return;
        const LogicalRouterPort *lrp = lrp_by_name_.at(rp->second);
        const LogicalRouter *lr = router_of_port_.count(lrp->uuid) ? router_of_port_.at(lrp->uuid) : nullptr;
        if (!lr) return;
        const uint32_t sw_port = ports_.port(sw_name, lsp.name);
        const uint32_t rt_port = ports_.port(routerModule(*lr), lrp->name);
        std::vector<AddressSet> answered = addresses;
        if (isNatGateway(*lr, *lrp)) {
            const std::string nat = natModule(*lr);
            out_.links.insert(makeLink(modulePort(routerModule(*lr), rt_port), modulePort(nat, 0)));
            out_.links.insert(makeLink(modulePort(nat, 1), modulePort(sw_name, sw_port)));
            // The switch answers ARP for floating and DNAT IPs towards the router.
            for (const auto &n : lr->nat) {
                if (n.type == "snat") continue;
                AddressSet extra;
                extra.mac = normMac(n.external_mac.empty() ? lrp->mac : n.external_mac);
                if (auto ip = iovisor::parseIpv4Prefix(n.external_ip); ip.ok() && !extra.mac.empty()) {
                    extra.ipv4.push_back(*ip);
                    answered.push_back(extra);
                }
            }
        } else {
            out_.links.insert(makeLink(modulePort(routerModule(*lr), rt_port), modulePort(sw_name, sw_port)));
        }
        (void)ls;
        switchPortEntries(sw, sw_port, answered, lsp.enabled, false, {}, true);
    }

    static std::vector<iovisor::Ipv4Prefix> ipv4Networks(const LogicalRouterPort &lrp) {
        std::vector<iovisor::Ipv4Prefix> out;
        for (const auto &n : lrp.networks)
            if (auto p = iovisor::parseIpv4Prefix(n); p.ok()) out.push_back(*p);
        return out;
    }


    static std::vector<iovisor::Ipv6Prefix> ipv6Networks(const LogicalRouterPort &lrp) {
        std::vector<iovisor::Ipv6Prefix> out;
        for (const auto &n : lrp.networks)
            if (auto p = iovisor::parseIpv6Prefix(n); p.ok()) out.push_back(*p);
        return out;
    }


    // fe80::/64 with the modified EUI-64 of `mac`: every OVN router port has one.
    static iovisor::Ip6 linkLocal(const std::string &mac_text) {
        iovisor::Ip6 ll{0xfe, 0x80};
        if (auto mac = iovisor::parseMac(mac_text); mac.ok()) {
            const auto &m = *mac;
            const uint8_t eui[8] = {static_cast<uint8_t>(m[0] ^ 2), m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]};
            std::copy(eui, eui + 8, ll.begin() + 8);
        }
        return ll;
    }

    static std::string route6Key(const iovisor::Ipv6Prefix &p) {
        return key({{"prefixlen", p.len}, {"addr", iovisor::formatIpv6(iovisor::networkOf(p))}});
    }

    // The router port whose network holds the NAT external addresses.
    bool isNatGateway(const LogicalRouter &lr, const LogicalRouterPort &lrp) const {
        for (const auto &n : lr.nat) {
            auto ip = iovisor::parseIpv4(n.external_ip);
            if (!ip.ok()) continue;
            for (const auto &net : ipv4Networks(lrp))
                if (iovisor::contains(net, *ip)) return true;
        }
        return false;
    }

    void logicalRouter(const LogicalRouter &lr) {
        const std::string name = routerModule(lr);
        ModuleSpec &rt = module(name, "router", {{"kind", "logical_router"}, {"name", lr.name}, {"uuid", lr.uuid}});
        std::vector<std::pair<const LogicalRouterPort *, uint32_t>> ports;
        for (const auto &port_uuid : lr.ports) {
            auto it = in_.nb.router_ports.find(port_uuid);
            if (it == in_.nb.router_ports.end()) continue;
            const LogicalRouterPort &lrp = it->second;
            const uint32_t port = ports_.port(name, lrp.name);
            ports.emplace_back(&lrp, port);
            const auto nets = ipv4Networks(lrp);
            const auto nets6 = ipv6Networks(lrp);
            rt.tables["ports"][key(port)] = {{"mac", normMac(lrp.mac)},
                                             {"flags", (lr.enabled && lrp.enabled) ? kRtEnabled : 0},
                                             {"ip", iovisor::formatIpv4(nets.empty() ? 0 : nets.front().addr)},
                                             {"ip6", iovisor::formatIpv6(nets6.empty() ? iovisor::Ip6{} : nets6.front().addr)}};
            for (const auto &net : nets) {
                rt.tables["addrs"][key(iovisor::formatIpv4(net.addr))] = {{"port", port}};
                rt.tables["routes"][key({{"prefixlen", net.len}, {"addr", iovisor::formatIpv4(iovisor::networkOf(net))}})] =
                    {{"type", kRouteConnected}, {"port", port}, {"nexthop", "0.0.0.0"}, {"src", iovisor::formatIpv4(net.addr)}};
            }
            for (const auto &net : nets6) {
                rt.tables["addrs6"][key({{"addr", iovisor::formatIpv6(net.addr)}})] = {{"port", port}};
                rt.tables["routes6"][route6Key(net)] = {{"type", kRouteConnected}, {"port", port}, {"nexthop", "::"},
                                                        {"src_addr", iovisor::formatIpv6(net.addr)}};
            }
            if (!nets6.empty())
                rt.tables["addrs6"][key({{"addr", iovisor::formatIpv6(linkLocal(lrp.mac))}})] = {{"port", port}};
            // Router-to-router: link the peers once, from the lower name.
            if (!lrp.peer.empty() && lrp_by_name_.count(lrp.peer) && lrp.name < lrp.peer) {
                const LogicalRouterPort *peer = lrp_by_name_.at(lrp.peer);
                if (router_of_port_.count(peer->uuid)) {
                    const LogicalRouter *other = router_of_port_.at(peer->uuid);
                    out_.links.insert(makeLink(modulePort(name, port),
                                               modulePort(routerModule(*other), ports_.port(routerModule(*other), peer->name))));
                }
            }
        }
        neighbors(rt, ports);
        staticRoutes(lr, rt, ports);
        nat(lr);
    }

    // Every address OVN knows behind the router's ports is a static neighbour.
    void neighbors(ModuleSpec &rt, const std::vector<std::pair<const LogicalRouterPort *, uint32_t>> &ports) {
        std::set<std::string> router_ports;
        for (const auto &[lrp, port] : ports) router_ports.insert(lrp->name);
        for (const auto &[uuid, ls] : in_.nb.switches) {
            bool attached = false;
            for (const auto &p : ls.ports) {
                auto it = in_.nb.switch_ports.find(p);
                if (it != in_.nb.switch_ports.end() && it->second.type == "router" &&
                    router_ports.count(it->second.options.count("router-port") ? it->second.options.at("router-port") : ""))
                    attached = true;
            }
            if (!attached) continue;
            for (const auto &p : ls.ports) {
                auto it = in_.nb.switch_ports.find(p);
                if (it == in_.nb.switch_ports.end() || it->second.type == "router") continue;
                bool unknown;
                for (const auto &a : portAddresses(it->second, &unknown)) {
                    for (const auto &ip : a.ipv4)
                        rt.tables["neighbors"][key(iovisor::formatIpv4(ip.addr))] = {{"mac", a.mac}, {"flags", kNeighStatic}};
                    for (const auto &ip : a.ipv6)
                        rt.tables["neighbors6"][key({{"addr", iovisor::formatIpv6(ip.addr)}})] = {{"mac", a.mac},
                                                                                                 {"flags", kNeighStatic}};
                }
            }
        }
        for (const auto &[lrp, port] : ports) {
            if (lrp->peer.empty() || !lrp_by_name_.count(lrp->peer)) continue;
            const LogicalRouterPort *peer = lrp_by_name_.at(lrp->peer);
            for (const auto &net : ipv4Networks(*peer))
                rt.tables["neighbors"][key(iovisor::formatIpv4(net.addr))] = {{"mac", normMac(peer->mac)}, {"flags", kNeighStatic}};
        }
    }

    void staticRoutes(const LogicalRouter &lr, ModuleSpec &rt,
                      const std::vector<std::pair<const LogicalRouterPort *, uint32_t>> &ports) {
        for (const auto &r : lr.static_routes) {
            if (r.policy == "src-ip") continue;
            if (auto prefix6 = iovisor::parseIpv6Prefix(r.ip_prefix); prefix6.ok()) {
                staticRoute6(r, *prefix6, rt, ports);
                continue;
            }
            auto prefix = iovisor::parseIpv4Prefix(r.ip_prefix);
            if (!prefix.ok()) continue;
            const std::string k = key({{"prefixlen", prefix->len}, {"addr", iovisor::formatIpv4(iovisor::networkOf(*prefix))}});
            if (r.nexthop == "discard") {
                rt.tables["routes"][k] = {{"type", kRouteDiscard}, {"port", 0}, {"nexthop", "0.0.0.0"}, {"src", "0.0.0.0"}};
                continue;
            }
            auto nexthop = iovisor::parseIpv4(r.nexthop);
            if (!nexthop.ok()) continue;
            // Egress: output_port if given, else the port whose network holds the next hop.
            for (const auto &[lrp, port] : ports) {
                if (!r.output_port.empty() && lrp->name != r.output_port) continue;
                for (const auto &net : ipv4Networks(*lrp)) {
                    if (!iovisor::contains(net, *nexthop)) continue;
                    rt.tables["routes"][k] = {{"type", kRouteVia}, {"port", port}, {"nexthop", r.nexthop},
                                              {"src", iovisor::formatIpv4(net.addr)}};
                }
            }
        }
    }

    void staticRoute6(const ovnmon::StaticRoute &r, const iovisor::Ipv6Prefix &prefix, ModuleSpec &rt,
                      const std::vector<std::pair<const LogicalRouterPort *, uint32_t>> &ports) {
        if (r.nexthop == "discard") {
            rt.tables["routes6"][route6Key(prefix)] = {{"type", kRouteDiscard}, {"port", 0}, {"nexthop", "::"},
                                                       {"src_addr", "::"}};
            return;
        }
        auto nexthop = iovisor::parseIpv6(r.nexthop);
        if (!nexthop.ok()) return;
        for (const auto &[lrp, port] : ports) {
            if (!r.output_port.empty() && lrp->name != r.output_port) continue;
            for (const auto &net : ipv6Networks(*lrp))
                if (iovisor::contains(net, *nexthop))
                    rt.tables["routes6"][route6Key(prefix)] = {{"type", kRouteVia}, {"port", port},
                                                               {"nexthop", iovisor::formatIpv6(*nexthop)},
                                                               {"src_addr", iovisor::formatIpv6(net.addr)}};
        }
    }

    void nat(const LogicalRouter &lr) {
        if (lr.nat.empty()) return;
        bool has_gateway = false;
        for (const auto &p : lr.ports)
            if (in_.nb.router_ports.count(p) && isNatGateway(lr, in_.nb.router_ports.at(p))) has_gateway = true;
        if (!has_gateway) return;
        ModuleSpec &nat = module(natModule(lr), "nat", {{"kind", "nat"}, {"name", lr.name}, {"uuid", lr.uuid}});
        for (const auto &n : lr.nat) {
            auto external = iovisor::parseIpv4(n.external_ip);
            if (!external.ok()) continue;
            const std::string ext = iovisor::formatIpv4(*external);
            if (n.type == "snat") {
                auto inside = iovisor::parseIpv4Prefix(n.logical_ip);
                if (!inside.ok()) continue;
                nat.tables["snat_rules"][key({{"prefixlen", inside->len}, {"addr", iovisor::formatIpv4(iovisor::networkOf(*inside))}})] =
                    {{"external_ip", ext}, {"port_min", 1024}, {"port_max", 65535}};
                continue;
            }
            auto logical = iovisor::parseIpv4(n.logical_ip);
            if (!logical.ok()) continue;
            const std::string lip = iovisor::formatIpv4(*logical);
            if (n.type == "dnat_and_snat") {
                nat.tables["fip_in"][key(ext)] = {{"addr", lip}};
                nat.tables["fip_out"][key(lip)] = {{"addr", ext}};
            } else if (n.type == "dnat") {
                nat.tables["dnat_rules"][key(ext)] = {{"logical_ip", lip}};
            }
        }
    }

    const TranslateInput &in_;
    PortAllocator &ports_;
    DesiredState out_;
    std::map<std::string, const LogicalRouterPort *> lrp_by_name_;
    std::map<std::string, const LogicalRouter *> router_of_port_;  // by LRP uuid
    std::map<std::string, std::string> local_vifs_;                // iface-id -> ifname
    std::map<std::string, std::string> bridge_of_network_;
};

}  // namespace

DesiredState translate(const TranslateInput &in, PortAllocator &ports) {
    ports.beginRound();
    DesiredState out = Translator(in, ports).run();
    ports.endRound();
    // After endRound: the port map in each config is exactly this round's.
    for (auto &[name, module] : out.modules) {
        json assigned = json::object();
        for (const auto &[object, port] : ports.assigned(name)) assigned[object] = port;
        module.config["ports"] = assigned;
    }
    return out;
}

}  // namespace ctl
