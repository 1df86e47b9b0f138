#include "translate.h"

#include "dhcp_options.h"
#include "dns_records.h"
#include "router_adverts.h"
#include "translate_acl.h"

#include "nb_index.h"

#include <algorithm>
#include <sstream>

#include "hover/bytes.h"
#include "hover/model/l2switch.h"
#include "hover/model/nat.h"
#include "hover/model/router.h"
#include "iovisor/net.h"
#include "iovisor/text.h"
#include "lib/abi.h"

namespace ctl {

using nlohmann::json;
using ovnmon::LogicalRouter;
using ovnmon::LogicalRouterPort;
using ovnmon::LogicalSwitch;
using ovnmon::LogicalSwitchPort;
namespace l2 = hover::model::l2switch;
namespace rt = hover::model::router;
namespace nt = hover::model::nat;

LinkSpec makeLink(const std::string &a, const std::string &b) { return a < b ? LinkSpec{a, b} : LinkSpec{b, a}; }
std::string modulePort(const std::string &module, uint32_t port) { return "m:" + module + ":" + std::to_string(port); }

namespace {

using iovisor::split;

// One "MAC [IP...]" entry of OVN addresses or port_security; an error names
// the word that is neither.
iovisor::Result<l2::Addresses> parseAddresses(const std::string &text) {
    const auto w = split(text, ' ');
    if (w.empty()) return iovisor::makeError(iovisor::Errc::kInvalid, "empty entry");
    auto mac = iovisor::parseMac(w[0]);
    if (!mac.ok()) return iovisor::makeError(iovisor::Errc::kInvalid, "'" + w[0] + "' is not a MAC address");
    l2::Addresses set;
    set.mac = *mac;
    for (size_t i = 1; i < w.size(); ++i) {
        if (auto v4 = iovisor::parseIpv4Prefix(w[i]); v4.ok()) set.ipv4.push_back(*v4);
        else if (auto v6 = iovisor::parseIpv6Prefix(w[i]); v6.ok()) set.ipv6.push_back(*v6);
        else return iovisor::makeError(iovisor::Errc::kInvalid, "'" + w[i] + "' is not an IPv4 or IPv6 address");
    }
    return set;
}

std::vector<iovisor::Ipv4Prefix> ipv4Networks(const LogicalRouterPort &lrp) {
    std::vector<iovisor::Ipv4Prefix> out;
    for (const auto &n : lrp.networks)
        if (auto p = iovisor::parseIpv4Prefix(n); p.ok()) out.push_back(*p);
    return out;
}

std::vector<iovisor::Ipv6Prefix> ipv6Networks(const LogicalRouterPort &lrp) {
    std::vector<iovisor::Ipv6Prefix> out;
    for (const auto &n : lrp.networks)
        if (auto p = iovisor::parseIpv6Prefix(n); p.ok()) out.push_back(*p);
    return out;
}

// What a router port answers for on its switch: its MAC with its addresses
// (plus the link-local one when it has IPv6).
std::optional<l2::Addresses> routerPortAddresses(const LogicalRouterPort &lrp) {
    auto mac = iovisor::parseMac(lrp.mac);
    if (!mac.ok()) return std::nullopt;
    l2::Addresses a{*mac, {}, {}};
    for (const auto &net : ipv4Networks(lrp)) a.ipv4.push_back({net.addr, 32});
    for (const auto &net : ipv6Networks(lrp)) a.ipv6.push_back({net.addr, 128});
    if (!a.ipv6.empty()) a.ipv6.push_back({iovisor::linkLocal(*mac), 128});
    return a;
}

// Does `lrp` hold the network of the router's NAT external addresses?
bool holdsExternalAddresses(const LogicalRouter &lr, const LogicalRouterPort &lrp) {
    for (const auto &n : lr.nat) {
        auto ip = iovisor::parseIpv4(n.external_ip);
        if (!ip.ok()) continue;
        for (const auto &net : ipv4Networks(lrp))
            if (iovisor::contains(net, *ip)) return true;
    }
    return false;
}

bool contains(const std::vector<std::string> &names, const std::string &name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::string switchModule(const LogicalSwitch &ls) { return "ls-" + ls.uuid; }
std::string routerModule(const LogicalRouter &lr) { return "lr-" + lr.uuid; }
std::string natModule(const LogicalRouter &lr) { return "nat-" + lr.uuid; }

class Translator {
public:
    Translator(const TranslateInput &in, const NbIndex &index, PortAllocator &ports)
        : in_(in), index_(index), ports_(ports) {}

    // The modules, links and bindings of one datapath (a logical switch or
    // router, by uuid); nothing if it does not exist.
    DesiredState datapath(const std::string &uuid) {
        if (auto ls = in_.nb.switches.find(uuid); ls != in_.nb.switches.end()) logicalSwitch(ls->second);
        else if (auto lr = in_.nb.routers.find(uuid); lr != in_.nb.routers.end()) logicalRouter(lr->second);
        for (const auto &[name, sw] : switches_) out_.modules.at(name).tables = l2::entries(sw);
        for (const auto &[name, r] : routers_) out_.modules.at(name).tables = rt::entries(r);
        for (const auto &[name, n] : nats_) out_.modules.at(name).tables = nt::entries(n);
        return std::move(out_);
    }

    // Does the switch have a port on this chassis (OVN's local datapaths
    // start there)?
    bool hasLocalPort(const LogicalSwitch &ls) const {
        for (const auto &p : ls.ports) {
            auto it = in_.nb.switch_ports.find(p);
            if (it != in_.nb.switch_ports.end() && isLocal(it->second)) return true;
        }
        return false;
    }

    // The routers a switch is attached to, and the routers a router peers
    // with: what OVN's local datapaths reach from a local switch.
    std::set<std::string> routersOf(const LogicalSwitch &ls) const {
        std::set<std::string> out;
        for (const auto &p : ls.ports) {
            auto it = in_.nb.switch_ports.find(p);
            const LogicalRouterPort *lrp =
                it != in_.nb.switch_ports.end() && it->second.type == "router" ? peerRouterPort(it->second) : nullptr;
            if (const LogicalRouter *lr = lrp ? index_.routerOfPort(lrp->uuid) : nullptr) out.insert(lr->uuid);
        }
        return out;
    }
    std::set<std::string> peersOf(const LogicalRouter &lr) const {
        std::set<std::string> out;
        for (const auto &p : lr.ports) {
            auto lrp = in_.nb.router_ports.find(p);
            const LogicalRouterPort *peer = lrp == in_.nb.router_ports.end() ? nullptr : index_.routerPort(lrp->second.peer);
            if (const LogicalRouter *other = peer ? index_.routerOfPort(peer->uuid) : nullptr) out.insert(other->uuid);
        }
        return out;
    }

private:
    void module(const std::string &name, const hover::model::ModuleTypeDesc &type, const json &ovn) {
        ModuleSpec &m = out_.modules[name];
        m.type = type.name;
        m.config = {{kConfigOvn, ovn}};
    }

    // What of an OVN object cannot be programmed as written: shown with the
    // module (iovisorctl ovn) and logged by the daemon.
    static void problem(json &config, const std::string &object, const std::string &error) {
        config["problems"].push_back({{"object", object}, {"error", error}});
    }

    // The module port of `object`, or none, reported with the module: every
    // port of the module is taken (a limit of the datapath, not of OVN).
    std::optional<uint32_t> portOn(const std::string &module, const std::string &object, const std::string &ovn_name) {
        auto port = ports_.port(module, object);
        auto m = out_.modules.find(module);  // a router not made yet reports it when it is
        if (!port) out_.out_of_ports.insert(module);
        if (!port && m != out_.modules.end())
            problem(m->second.config, ovn_name,
                    "no port left on this chassis (" + std::to_string(IOV_MAX_PORTS) + " per datapath); not bound");
        return port;
    }

    // A port that makes its switch local: a VIF or localport whose interface
    // is here, a localnet whose network is mapped to a bridge with interfaces.
    bool isLocal(const LogicalSwitchPort &lsp) const {
        if (isVif(lsp)) return !localVif(lsp).empty();
        return lsp.type == "localnet" && !localnetInterfaces(lsp).empty();
    }
    static bool isVif(const LogicalSwitchPort &lsp) { return lsp.type.empty() || lsp.type == "localport"; }
    // The interface of a VIF or localport that is here and for us, or "".
    std::string localVif(const LogicalSwitchPort &lsp) const {
        std::string vif = index_.vif(lsp.name);
        return !vif.empty() && forUs(lsp) ? vif : "";
    }

    // The interfaces of the bridge a localnet port's network maps to.
    std::vector<std::string> localnetInterfaces(const LogicalSwitchPort &lsp) const {
        std::vector<std::string> out;
        auto network = lsp.options.find("network_name");
        const auto &mappings = index_.bridgeOfNetwork();
        if (network == lsp.options.end() || !mappings.count(network->second)) return out;
        const std::string &bridge = mappings.at(network->second);
        for (const auto &[ifname, itf] : in_.ovs.interfaces)
            if (itf.bridge == bridge && ifname != bridge && itf.type != "internal" && itf.type != "patch")
                out.push_back(ifname);
        return out;
    }

    // Where OVN does NAT: on a gateway router (options:chassis) bound here,
    // at the port holding the external network; on a distributed router, at
    // its distributed gateway port (gateway_chassis / ha_chassis_group) when
    // this chassis is one of its gateways. A router with neither NATs nothing.
    bool isNatGateway(const LogicalRouter &lr, const LogicalRouterPort &lrp) const {
        auto bound = lr.options.find("chassis");
        if (bound != lr.options.end()) return bound->second == in_.chassis && holdsExternalAddresses(lr, lrp);
        return contains(lrp.gateway_chassis, in_.chassis);
    }

    // Is the VIF meant for this chassis (requested-chassis unset or us)?
    bool forUs(const LogicalSwitchPort &lsp) const {
        auto pb = in_.sb.port_bindings.find(lsp.name);
        if (pb == in_.sb.port_bindings.end()) return true;
        return pb->second.requested_chassis.empty() || pb->second.requested_chassis == in_.chassis;
    }

    const LogicalRouterPort *peerRouterPort(const LogicalSwitchPort &lsp) const {
        auto rp = lsp.options.find("router-port");
        return rp == lsp.options.end() ? nullptr : index_.routerPort(rp->second);
    }

    // The addresses a switch port answers for; `unknown`: it also takes
    // unknown MACs.
    // unknown MACs; entries that do not parse are skipped (and named in
    // `problems`, when given).
    std::vector<l2::Addresses> portAddresses(const LogicalSwitchPort &lsp, bool *unknown,
                                             std::vector<std::string> *problems = nullptr) const {
        std::vector<l2::Addresses> out;
        *unknown = false;
        for (const auto &a : lsp.addresses) {
            if (a == "unknown") {
                *unknown = true;
            } else if (a == "router") {
                if (auto set = peerRouterPort(lsp) ? routerPortAddresses(*peerRouterPort(lsp)) : std::nullopt) out.push_back(*set);
            } else if (const bool dynamic = a == "dynamic" || (a.size() > 8 && a.compare(a.size() - 8, 8, " dynamic") == 0);
                       !dynamic || !lsp.dynamic_addresses.empty()) {  // "[MAC] dynamic": what northd assigned
                auto set = parseAddresses(dynamic ? lsp.dynamic_addresses : a);
                if (set.ok()) out.push_back(*set);
                else if (problems) problems->push_back("address '" + a + "' skipped: " + set.error().message);
            }
        }
        return out;
    }

    // `router`: the port leads to a router (its IPv6 addresses are a router's).
    l2::Port &switchPort(l2::Switch &sw, uint32_t port, const std::vector<l2::Addresses> &addresses, bool enabled,
                         bool learn, const std::vector<std::string> &port_security, bool router = false) {
        if (lsp_) switch_ports_[port] = lsp_;
        l2::Port &p = sw.ports[port];
        p.enabled = enabled;
        p.learn = learn;
        for (const auto &entry : port_security) {
            auto ps = parseAddresses(entry);
            if (ps.ok()) {
                p.security.push_back(*ps);
                continue;
            }
            // Security never fails open: a port whose port security cannot be
            // enforced as written passes nothing (OVN would drop the entry).
            p.enabled = false;
            port_problems_.push_back(
                {lsp_ ? lsp_->name : "", "port_security '" + entry + "': " + ps.error().message + "; the port is closed"});
        }
        for (const auto &a : addresses) sw.addresses.push_back({port, a, router});
        return p;
    }

    void logicalSwitch(const LogicalSwitch &ls) {
        const std::string name = switchModule(ls);
        module(name, l2::kType, {{"kind", "logical_switch"}, {"name", ls.name}, {"uuid", ls.uuid}});
        l2::Switch &sw = switches_[name];
        switch_ports_.clear();
        local_vifs_.clear();
        for (const auto &port_uuid : ls.ports) {
            auto it = in_.nb.switch_ports.find(port_uuid);
            if (it == in_.nb.switch_ports.end()) continue;
            const LogicalSwitchPort &lsp = it->second;
            const std::string vif = isVif(lsp) ? localVif(lsp) : "";
            if (isVif(lsp) && vif.empty()) continue;  // another chassis': none of ours
            lsp_ = &lsp;
            bool unknown = false;
            std::vector<std::string> problems;
            const auto addresses = portAddresses(lsp, &unknown, &problems);
            for (const auto &p : problems) port_problems_.push_back({lsp.name, p});
            if (!vif.empty()) vifPort(name, vif, sw, lsp, addresses, unknown);
            else if (lsp.type == "router") routerPort(lsp, name, sw, addresses);
            else if (lsp.type == "localnet") localnetPort(name, sw, lsp, addresses);
        }
        lsp_ = nullptr;
        json &config = out_.modules.at(name).config;
        for (const auto &[object, error] : port_problems_) problem(config, object, error);
        port_problems_.clear();
        // Periodic advertisements reach the switch's ports on this chassis.
        if (auto periodic = config.find("ra_periodic"); periodic != config.end())
            for (auto &p : *periodic) p["interfaces"] = local_vifs_;
        switchDns(ls, sw, config);
        std::vector<AclProblem> problems;
        switchAcls(in_.nb, index_.aclNames(), ls, switch_ports_, sw, &problems, &out_.address_sets_named);
        // Shown with the module (iovisorctl) and logged by the daemon.
        for (const auto &p : problems)
            out_.modules.at(name).config["acl_problems"].push_back(
                {{"acl", p.acl}, {"match", p.match}, {"error", p.error}});
    }

    // The switch's DNS records; names it cannot answer are reported with
    // the module.
    void switchDns(const LogicalSwitch &ls, l2::Switch &sw, json &config) {
        std::vector<const ovnmon::Dns *> rows;
        for (const auto &uuid : ls.dns_records)
            if (auto it = in_.nb.dns.find(uuid); it != in_.nb.dns.end()) rows.push_back(&it->second);
        std::vector<DnsProblem> problems;
        sw.dns = dnsRecords(rows, &problems);
        for (const auto &p : problems) config["dns_problems"].push_back({{"name", p.name}, {"error", p.error}});
    }

    void vifPort(const std::string &name, const std::string &vif /* localVif() */, l2::Switch &sw,
                 const LogicalSwitchPort &lsp, const std::vector<l2::Addresses> &addresses, bool unknown) {
        const auto port_number = portOn(name, lsp.name, lsp.name);
        if (!port_number) return;
        const uint32_t port = *port_number;
        out_.links.insert(makeLink(modulePort(name, port), "i:" + vif));
        if (lsp.type.empty()) out_.bindings[lsp.name] = vif;
        local_vifs_.push_back(vif);
        l2::Port &p = switchPort(sw, port, addresses, lsp.enabled, unknown, lsp.port_security);
        dhcpFor(name, lsp, addresses, p);
    }

    // What the switch answers the port's DHCPv4 and DHCPv6 requests with; a
    // port whose options OVN would refuse gets none of that family (as in
    // OVN), reported with the module (iovisorctl) and logged by the daemon.
    void dhcpFor(const std::string &module, const LogicalSwitchPort &lsp, const std::vector<l2::Addresses> &addresses,
                 l2::Port &p) {
        auto problem = [&](const char *family, const iovisor::Error &e) {
            out_.modules.at(module).config["dhcp_problems"].push_back(
                {{"port", lsp.name}, {"error", std::string(family) + ": " + e.message}});
        };
        if (auto v4 = in_.nb.dhcp_options.find(lsp.dhcpv4_options); v4 != in_.nb.dhcp_options.end()) {
            auto answers = dhcp4Answers(v4->second, lsp.options, addresses);
            if (answers.ok()) p.dhcp4 = std::move(*answers);
            else problem("DHCPv4", answers.error());
        }
        if (auto v6 = in_.nb.dhcp_options.find(lsp.dhcpv6_options); v6 != in_.nb.dhcp_options.end()) {
            auto answers = dhcp6Answers(v6->second, addresses);
            if (answers.ok()) p.dhcp6 = std::move(*answers);
            else problem("DHCPv6", answers.error());
        }
    }

    // A localnet port: one switch port per interface of the bridge its
    // network maps to.
    void localnetPort(const std::string &name, l2::Switch &sw, const LogicalSwitchPort &lsp,
                      const std::vector<l2::Addresses> &addresses) {
        for (const auto &ifname : localnetInterfaces(lsp)) {
            const auto port = portOn(name, lsp.name + "@" + ifname, lsp.name);
            if (!port) continue;
            out_.links.insert(makeLink(modulePort(name, *port), "i:" + ifname));
            // As northd: the switch does not answer ARP/ND from a localnet port.
            switchPort(sw, *port, addresses, lsp.enabled, true, {}).answered_by_owners = true;
        }
    }

    // A switch port of type router: linked to the router's port, through the
    // router's nat module when that port is its NAT gateway.
    void routerPort(const LogicalSwitchPort &lsp, const std::string &sw_name, l2::Switch &sw,
                    const std::vector<l2::Addresses> &addresses) {
        const LogicalRouterPort *lrp = peerRouterPort(lsp);
        const LogicalRouter *lr = lrp ? index_.routerOfPort(lrp->uuid) : nullptr;
        if (!lr) return;
        const auto sw_port_number = portOn(sw_name, lsp.name, lsp.name);
        const auto rt_port_number = portOn(routerModule(*lr), lrp->name, lrp->name);
        if (!sw_port_number || !rt_port_number) return;
        const uint32_t sw_port = *sw_port_number, rt_port = *rt_port_number;
        std::vector<l2::Addresses> answered = addresses;
        if (isNatGateway(*lr, *lrp)) {
            const std::string nat = natModule(*lr);
            out_.links.insert(makeLink(modulePort(routerModule(*lr), rt_port), modulePort(nat, 0)));
            out_.links.insert(makeLink(modulePort(nat, 1), modulePort(sw_name, sw_port)));
            // The switch answers ARP for floating and DNAT IPs towards the router.
            for (const auto &n : lr->nat) {
                auto mac = iovisor::parseMac(n.external_mac.empty() ? lrp->mac : n.external_mac);
                auto ip = iovisor::parseIpv4Prefix(n.external_ip);
                if (n.type != "snat" && mac.ok() && ip.ok()) answered.push_back({*mac, {*ip}, {}});
            }
        } else {
            out_.links.insert(makeLink(modulePort(routerModule(*lr), rt_port), modulePort(sw_name, sw_port)));
        }
        switchPort(sw, sw_port, answered, lsp.enabled, false, {}, true);
        advertise(sw_name, sw, sw_port, *lrp);
    }

    // The router port's IPv6 router advertisements: the answer to
    // solicitations (the switch's, one router port per switch) and the
    // periodic ones (sent by iovisor-ovnd from the module's config); what
    // OVN would refuse is reported with the module.
    void advertise(const std::string &sw_name, l2::Switch &sw, uint32_t sw_port, const LogicalRouterPort &lrp) {
        json &config = out_.modules.at(sw_name).config;
        auto problem = [&](const std::string &e) { config["ra_problems"].push_back({{"port", lrp.name}, {"error", e}}); };
        auto ra = routerAdverts(lrp);
        if (!ra.ok()) return problem(ra.error().message);
        if (ra->solicited && sw.ra) {
            problem("another router port of the switch answers its Router Solicitations");
        } else if (ra->solicited) {
            ra->solicited->router_port = sw_port;
            if (l2::fits(*ra->solicited)) sw.ra = std::move(*ra->solicited);
            else problem("the advertisement (" + std::to_string(ra->solicited->message.size()) + " bytes) is too large");
        }
        if (ra->periodic)
            config["ra_periodic"].push_back({{"port", lrp.name},
                                             {"frame", hover::toHex(ra->periodic->frame)},
                                             {"min_interval", ra->periodic->min_interval},
                                             {"max_interval", ra->periodic->max_interval}});
    }

    void logicalRouter(const LogicalRouter &lr) {
        const std::string name = routerModule(lr);
        module(name, rt::kType, {{"kind", "logical_router"}, {"name", lr.name}, {"uuid", lr.uuid}});
        rt::Router &r = routers_[name];
        std::map<std::string, uint32_t> ports;  // LRP name -> module port
        for (const auto &port_uuid : lr.ports) {
            auto it = in_.nb.router_ports.find(port_uuid);
            if (it == in_.nb.router_ports.end()) continue;
            const LogicalRouterPort &lrp = it->second;
            const auto port_number = portOn(name, lrp.name, lrp.name);
            if (!port_number) continue;
            const uint32_t port = *port_number;
            ports[lrp.name] = port;
            auto mac = iovisor::parseMac(lrp.mac);
            if (!mac.ok()) problem(out_.modules.at(name).config, lrp.name, "mac '" + lrp.mac + "' is not a MAC address; the port is down");
            for (const auto &net : lrp.networks)
                if (!iovisor::parseIpv4Prefix(net).ok() && !iovisor::parseIpv6Prefix(net).ok())
                    problem(out_.modules.at(name).config, lrp.name, "network '" + net + "' skipped: not an address/prefix");
            r.ports[port] = rt::Port{mac.ok() ? *mac : iovisor::Mac{}, lr.enabled && lrp.enabled && mac.ok(),
                                     ipv4Networks(lrp), ipv6Networks(lrp)};
            peerRouter(name, port, lrp, r);
        }
        neighbors(r, ports);
        staticRoutes(lr, r, ports, out_.modules.at(name).config);
        nat(lr);
    }

    // Router-to-router: link the peers once (from the lower name); the
    // peer's addresses are static neighbours.
    void peerRouter(const std::string &name, uint32_t port, const LogicalRouterPort &lrp, rt::Router &r) {
        const LogicalRouterPort *peer = lrp.peer.empty() ? nullptr : index_.routerPort(lrp.peer);
        if (!peer) return;
        auto mac = iovisor::parseMac(peer->mac);
        for (const auto &net : ipv4Networks(*peer))
            if (mac.ok()) r.neighbors[net.addr] = *mac;
        const LogicalRouter *other_router = index_.routerOfPort(peer->uuid);
        if (lrp.name > lrp.peer || !other_router) return;
        const std::string other = routerModule(*other_router);
        if (auto other_port = portOn(other, peer->name, peer->name))
            out_.links.insert(makeLink(modulePort(name, port), modulePort(other, *other_port)));
    }

    // Every address OVN knows on the switches behind the router's ports is a
    // static neighbour.
    void neighbors(rt::Router &r, const std::map<std::string, uint32_t> &router_ports) {
        std::set<std::string> attached;  // the switches its ports are on
        for (const auto &[lrp_name, port] : router_ports) {
            const std::string lsp = index_.switchPortOf(lrp_name);
            const std::string ls = lsp.empty() ? "" : index_.switchOfPort(lsp);
            if (!ls.empty() && in_.nb.switches.count(ls)) attached.insert(ls);
        }
        for (const auto &ls : attached)
            for (const auto &p : in_.nb.switches.at(ls).ports) {
                auto it = in_.nb.switch_ports.find(p);
                if (it != in_.nb.switch_ports.end())
                    for (const auto &a : neighborAddresses(it->second, router_ports)) {
                        for (const auto &ip : a.ipv4) r.neighbors.emplace(ip.addr, a.mac);
                        for (const auto &ip : a.ipv6) r.neighbors6.emplace(ip.addr, a.mac);
                    }
            }
    }

    // What a router knows of a port on a switch it is attached to: the
    // port's addresses, or, for another router's port, that port's networks
    // (as northd's ARP resolution does: no ARP between routers on a switch).
    std::vector<l2::Addresses> neighborAddresses(const LogicalSwitchPort &lsp,
                                                 const std::map<std::string, uint32_t> &own_ports) const {
        if (lsp.type == "router") {
            const LogicalRouterPort *lrp = peerRouterPort(lsp);
            if (!lrp || own_ports.count(lrp->name)) return {};
            auto a = routerPortAddresses(*lrp);
            return a ? std::vector<l2::Addresses>{*a} : std::vector<l2::Addresses>{};
        }
        bool unknown;
        return portAddresses(lsp, &unknown);
    }

    // OVN static routes (src-ip policy routes are not supported); an
    // output_port that is not the router's own makes the route unusable.
    void staticRoutes(const LogicalRouter &lr, rt::Router &r, const std::map<std::string, uint32_t> &ports,
                      json &config) {
        for (const auto &route : lr.static_routes) {
            const std::string what = "route " + route.ip_prefix + " via " + route.nexthop;
            if (route.policy == "src-ip") {
                problem(config, what, "src-ip routes are not supported; skipped");
                continue;
            }
            std::optional<uint32_t> out;
            if (!route.output_port.empty()) {
                if (!ports.count(route.output_port)) {
                    problem(config, what, "output_port '" + route.output_port + "' is not the router's; skipped");
                    continue;
                }
                out = ports.at(route.output_port);
            }
            const bool discard = route.nexthop == "discard";
            if (auto p6 = iovisor::parseIpv6Prefix(route.ip_prefix); p6.ok()) {
                auto nexthop = iovisor::parseIpv6(route.nexthop);
                if (discard || nexthop.ok())
                    r.routes6.push_back({*p6, discard ? std::nullopt : std::optional(*nexthop), out});
                else problem(config, what, "nexthop is not an IPv6 address; skipped");
            } else if (auto p4 = iovisor::parseIpv4Prefix(route.ip_prefix); p4.ok()) {
                auto nexthop = iovisor::parseIpv4(route.nexthop);
                if (discard || nexthop.ok())
                    r.routes.push_back({*p4, discard ? std::nullopt : std::optional(*nexthop), out});
                else problem(config, what, "nexthop is not an IPv4 address; skipped");
            } else {
                problem(config, what, "ip_prefix is not a prefix; skipped");
            }
        }
    }

    void nat(const LogicalRouter &lr) {
        const LogicalRouterPort *gateway = nullptr;
        for (const auto &p : lr.ports)
            if (in_.nb.router_ports.count(p) && isNatGateway(lr, in_.nb.router_ports.at(p)))
                gateway = &in_.nb.router_ports.at(p);
        if (lr.nat.empty() || !gateway) return;
        const std::string name = natModule(lr);
        module(name, nt::kType, {{"kind", "nat"}, {"name", lr.name}, {"uuid", lr.uuid}});
        nt::Nat &n = nats_[name];
        json &config = out_.modules.at(name).config;
        for (const auto &rule : lr.nat) {
            const std::string what = rule.type + " " + rule.external_ip + " " + rule.logical_ip;
            auto external = iovisor::parseIpv4(rule.external_ip);
            if (!external.ok()) {
                problem(config, what, "external_ip is not an IPv4 address; skipped");
                continue;
            }
            // The gateway answers ARP for every external address (requests
            // from a localnet port are not answered by the switch).
            auto mac = iovisor::parseMac(rule.external_mac.empty() ? gateway->mac : rule.external_mac);
            if (mac.ok()) n.arp_external[*external] = *mac;
            if (rule.type == "snat") {
                if (auto inside = iovisor::parseIpv4Prefix(rule.logical_ip); inside.ok())
                    n.snat.push_back({*inside, *external});
                else problem(config, what, "logical_ip is not an IPv4 prefix; skipped");
                continue;
            }
            auto logical = iovisor::parseIpv4(rule.logical_ip);
            if (!logical.ok()) {
                problem(config, what, "logical_ip is not an IPv4 address; skipped");
                continue;
            }
            if (rule.type == "dnat_and_snat") n.floating[*external] = *logical;
            else if (rule.type == "dnat") n.dnat[*external] = *logical;
        }
    }

    const TranslateInput &in_;
    const NbIndex &index_;
    PortAllocator &ports_;
    DesiredState out_;
    std::map<std::string, l2::Switch> switches_;  // by module name
    // The switch being translated: which OVN port each of its ports is.
    const LogicalSwitchPort *lsp_ = nullptr;
    std::vector<std::string> local_vifs_;  // the switch's VIF and localport interfaces here
    std::vector<std::pair<std::string, std::string>> port_problems_;  // the switch's: (port, error)
    SwitchPorts switch_ports_;
    std::map<std::string, rt::Router> routers_;
    std::map<std::string, nt::Nat> nats_;
};

}  // namespace

DesiredState translateDatapath(const TranslateInput &in, const NbIndex &index, PortAllocator &ports,
                               const std::string &uuid) {
    return Translator(in, index, ports).datapath(uuid);
}

bool hasLocalPort(const TranslateInput &in, const NbIndex &index, const LogicalSwitch &ls) {
    PortAllocator unused;
    return Translator(in, index, unused).hasLocalPort(ls);
}

std::set<std::string> routersOf(const TranslateInput &in, const NbIndex &index, const LogicalSwitch &ls) {
    PortAllocator unused;
    return Translator(in, index, unused).routersOf(ls);
}

std::set<std::string> peersOf(const TranslateInput &in, const NbIndex &index, const LogicalRouter &lr) {
    PortAllocator unused;
    return Translator(in, index, unused).peersOf(lr);
}

}  // namespace ctl
