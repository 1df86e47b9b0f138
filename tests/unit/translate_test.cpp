// OVN -> IOModule translation on hand-written database contents.
#include <gtest/gtest.h>

#include <cstring>

#include "hover/model/l2switch.h"
#include "hover/model/nat.h"
#include "hover/model/router.h"
#include "translate.h"

namespace ctl {
namespace {

using nlohmann::json;
namespace l2 = hover::model::l2switch;
namespace rt = hover::model::router;
namespace nt = hover::model::nat;

uint32_t ip4(const char *text) { return *iovisor::parseIpv4(text); }
iovisor::Ip6 ip6(const char *text) { return *iovisor::parseIpv6(text); }
iovisor::Mac mac(const char *text) { return *iovisor::parseMac(text); }

template <typename T>
void copyTo(T &field, const uint8_t *data) { std::memcpy(field, data, sizeof field); }

// `entries` holds exactly `value` at `key` of `table`.
template <typename K, typename V>
void expectEntry(const hover::model::Entries &entries, const hover::model::Table<K, V> &table, const K &key,
                 const V &value) {
    auto found = entries.find(table, key);
    ASSERT_TRUE(found.has_value()) << "no entry in " << table.desc.name;
    EXPECT_EQ(hover::model::bytesOf(*found), hover::model::bytesOf(value)) << "entry in " << table.desc.name;
}

l2_fdb_key fdbKey(const char *m) {
    l2_fdb_key k{};
    copyTo(k.mac, mac(m).data());
    return k;
}

l2_arp_entry arpEntry(const char *m, uint32_t port) {
    l2_arp_entry e{};
    copyTo(e.mac, mac(m).data());
    e.port = port;
    return e;
}

template <typename Key>
Key psKey(uint32_t port, const char *m) {
    Key k{};
    k.port = port;
    copyTo(k.mac, mac(m).data());
    return k;
}

l2_nd_key ndKey(const char *addr) {
    l2_nd_key k{};
    copyTo(k.addr, ip6(addr).data());
    return k;
}

l2_nd_entry ndEntry(const char *m, uint16_t flags, uint32_t port) {
    l2_nd_entry e{};
    copyTo(e.mac, mac(m).data());
    e.flags = flags;
    e.port = port;
    return e;
}

nat_arp natArp(const char *m) {
    nat_arp a{};
    copyTo(a.mac, mac(m).data());
    return a;
}

rt_ip6 rtIp6(const char *addr) {
    rt_ip6 k{};
    copyTo(k.addr, ip6(addr).data());
    return k;
}

rt_route6_key route6Key(const char *addr, uint32_t len) {
    rt_route6_key k{};
    k.prefixlen = len;
    copyTo(k.addr, ip6(addr).data());
    return k;
}

rt_route6 route6(uint32_t type, uint32_t port, const char *nexthop, const char *src) {
    rt_route6 r{};
    r.type = type;
    r.port = port;
    copyTo(r.nexthop, ip6(nexthop).data());
    copyTo(r.src_addr, ip6(src).data());
    return r;
}

rt_neigh neighbor(const char *m) {
    rt_neigh n{};
    copyTo(n.mac, mac(m).data());
    n.flags = RT_NEIGH_STATIC;
    return n;
}
using ovnmon::LogicalRouter;
using ovnmon::LogicalRouterPort;
using ovnmon::LogicalSwitch;
using ovnmon::LogicalSwitchPort;

struct World {
    ovnmon::NbState nb;
    ovnmon::SbState sb;
    ovnmon::OvsState ovs;

    void vif(const std::string &ls, const std::string &name, const std::string &mac_ip, const std::string &ifname,
             const std::vector<std::string> &port_security = {}) {
        LogicalSwitchPort p;
        p.uuid = "u-" + name;
        p.name = name;
        p.addresses = {mac_ip};
        p.port_security = port_security;
        nb.switch_ports[p.uuid] = p;
        nb.switches[ls].uuid = ls;
        nb.switches[ls].name = "name-" + ls;
        nb.switches[ls].ports.push_back(p.uuid);
        if (!ifname.empty()) ovs.interfaces[ifname] = {"i-" + ifname, ifname, "", "br-int", name, 1, false};
    }

    // A switch port of another type (localnet, router...).
    void port(const std::string &ls, const std::string &name, const std::string &type,
              const std::vector<std::string> &addresses, const std::map<std::string, std::string> &options) {
        LogicalSwitchPort p;
        p.uuid = "u-" + name;
        p.name = name;
        p.type = type;
        p.addresses = addresses;
        p.options = options;
        nb.switch_ports[p.uuid] = p;
        nb.switches[ls].ports.push_back(p.uuid);
    }

    DesiredState translate(PortAllocator &ports) const { return ctl::translate({nb, sb, ovs, "hv1"}, ports); }

    // A router `lr` with one port on each switch of `switches` ("router" LSPs).
    void router(const std::string &lr, const std::vector<std::string> &switches) {
        nb.routers[lr].uuid = lr;
        nb.routers[lr].name = lr;
        for (const auto &ls : switches) {
            LogicalRouterPort lrp;
            lrp.uuid = "u-" + lr + "-" + ls;
            lrp.name = lr + "-" + ls;
            lrp.mac = "02:00:00:00:aa:01";
            nb.router_ports[lrp.uuid] = lrp;
            nb.routers[lr].ports.push_back(lrp.uuid);
            LogicalSwitchPort lsp;
            lsp.uuid = "u-sw-" + lrp.name;
            lsp.name = "sw-" + lrp.name;
            lsp.type = "router";
            lsp.options["router-port"] = lrp.name;
            nb.switch_ports[lsp.uuid] = lsp;
            nb.switches[ls].uuid = ls;
            nb.switches[ls].ports.push_back(lsp.uuid);
        }
    }
};

// Two routers on one (join) switch know each other's port addresses
// statically, as northd's ARP resolution does: no ARP, no lost first packet.
TEST(Translate, RoutersOnOneSwitchKnowEachOthersPorts) {
    World w;
    w.vif("lsa", "vm1", "02:00:00:00:00:01 10.0.1.1", "tap1");
    w.nb.switches["join"].uuid = "join";
    w.router("r0", {"lsa", "join"});
    w.router("r1", {"join"});
    w.nb.router_ports["u-r0-join"].networks = {"10.0.0.1/24"};
    w.nb.router_ports["u-r1-join"].networks = {"10.0.0.2/24", "fd00::2/64"};
    w.nb.router_ports["u-r1-join"].mac = "02:00:00:00:bb:02";
    PortAllocator ports;
    const DesiredState d = w.translate(ports);
    expectEntry(d.modules.at("lr-r0").tables, rt::kNeighbors, ip4("10.0.0.2"), neighbor("02:00:00:00:bb:02"));
    expectEntry(d.modules.at("lr-r0").tables, rt::kNeighbors6, rtIp6("fd00::2"), neighbor("02:00:00:00:bb:02"));
    EXPECT_FALSE(d.modules.at("lr-r0").tables.find(rt::kNeighbors, ip4("10.0.0.1"))) << "not its own port";
    expectEntry(d.modules.at("lr-r1").tables, rt::kNeighbors, ip4("10.0.0.1"), neighbor("02:00:00:00:aa:01"));
}

// Only the local datapaths: switches with a port here and what their routers
// reach, as ovn-controller builds them (5 of 1,000 networks here).
TEST(Translate, OnlyTheDatapathsThisChassisNeeds) {
    World w;
    for (int i = 0; i < 1000; ++i) {
        const std::string n = std::to_string(i);
        const bool local = i % 200 == 0;  // ls0, ls200, ... ls800
        w.vif("ls" + n, "vm" + n, "02:00:00:00:00:01 10.0.0.1", local ? "tap" + n : "");
    }
    w.router("r1", {"ls0", "ls500"});  // a local switch's router reaches ls500
    w.router("r2", {"ls600", "ls700"});  // nothing local behind r2
    w.router("r3", {"ls900"});
    // r1 and r3 are peers (router to router): r3 and ls900 become local too.
    LogicalRouterPort a, b;
    a.uuid = "u-r1-r3", a.name = "r1-r3", a.peer = "r3-r1", a.mac = "02:00:00:00:bb:01";
    b.uuid = "u-r3-r1", b.name = "r3-r1", b.peer = "r1-r3", b.mac = "02:00:00:00:bb:02";
    w.nb.router_ports[a.uuid] = a;
    w.nb.router_ports[b.uuid] = b;
    w.nb.routers["r1"].ports.push_back(a.uuid);
    w.nb.routers["r3"].ports.push_back(b.uuid);
    PortAllocator ports;
    const DesiredState d = w.translate(ports);
    std::set<std::string> modules;
    for (const auto &[name, m] : d.modules) modules.insert(name);
    EXPECT_EQ(modules, (std::set<std::string>{"ls-ls0", "ls-ls200", "ls-ls400", "ls-ls600", "ls-ls800", "ls-ls500",
                                              "ls-ls900", "ls-ls700", "lr-r1", "lr-r3", "lr-r2"}))
        << "ls600 holds a local VIF, so r2 and ls700 come along";
    EXPECT_EQ(d.bindings.size(), 5u);
    // The last local port goes: its switch (and what only it reached) goes.
    w.ovs.interfaces.erase("tap600");
    const DesiredState after = w.translate(ports);
    EXPECT_EQ(after.modules.count("ls-ls600"), 0u);
    EXPECT_EQ(after.modules.count("lr-r2"), 0u);
    EXPECT_EQ(after.modules.count("ls-ls700"), 0u);
    EXPECT_EQ(after.modules.size(), 8u);
}

TEST(Translate, SwitchWithTwoVifs) {
    World w;
    w.vif("ls1", "vm1", "02:00:00:00:00:01 10.0.0.1", "tap1", {"02:00:00:00:00:01 10.0.0.1"});
    w.vif("ls1", "vm2", "02:00:00:00:00:02 10.0.0.2", "tap2");
    w.vif("ls1", "elsewhere", "02:00:00:00:00:03 10.0.0.3", "");  // not on this chassis
    PortAllocator ports;
    DesiredState d = w.translate(ports);

    ASSERT_EQ(d.modules.count("ls-ls1"), 1u);
    const ModuleSpec &sw = d.modules.at("ls-ls1");
    EXPECT_EQ(sw.type, "l2switch");
    EXPECT_EQ(sw.config["ovn"]["name"], "name-ls1");
    EXPECT_EQ(sw.config["ports"], json({{"vm1", 0}, {"vm2", 1}}));
    EXPECT_EQ(d.links, (std::set<LinkSpec>{makeLink("m:ls-ls1:0", "i:tap1"), makeLink("m:ls-ls1:1", "i:tap2")}));
    EXPECT_EQ(d.bindings, (std::map<std::string, std::string>{{"vm1", "tap1"}, {"vm2", "tap2"}}));
    expectEntry(sw.tables, l2::kFdb, fdbKey("02:00:00:00:00:02"), l2_fdb_entry{1, L2_FDB_STATIC});
    expectEntry(sw.tables, l2::kArpResponder, ip4("10.0.0.1"), arpEntry("02:00:00:00:00:01", 0));
    expectEntry(sw.tables, l2::kPorts, 0u, l2_port{L2_PORT_ENABLED | L2_PORT_SECURITY});
    expectEntry(sw.tables, l2::kPorts, 1u, l2_port{L2_PORT_ENABLED});
    // A single address is one hash entry; no LPM prefix, and the MAC's flags say so.
    auto host = psKey<l2_ps_ipv4_host_key>(0, "02:00:00:00:00:01");
    host.addr = ip4("10.0.0.1");
    expectEntry(sw.tables, l2::kPsIpv4Hosts, host, uint8_t{1});
    EXPECT_TRUE(sw.tables.list(l2::kPsIpv4).empty());
    expectEntry(sw.tables, l2::kPsMacs, psKey<l2_ps_mac_key>(0, "02:00:00:00:00:01"), l2_ps_mac{L2_PS_IPV4});
    EXPECT_FALSE(sw.tables.find(l2::kFdb, fdbKey("02:00:00:00:00:03")));
}

TEST(Translate, PortSecurityPrefixesGoToTheLpmTables) {
    World w;
    w.vif("ls1", "vm1", "02:00:00:00:00:01 10.0.0.1", "tap1",
          {"02:00:00:00:00:01 10.0.0.1 10.9.0.0/16 fd00::1 fd00:1::/64"});
    PortAllocator ports;
    const ModuleSpec sw = w.translate(ports).modules.at("ls-ls1");
    const char *m = "02:00:00:00:00:01";
    expectEntry(sw.tables, l2::kPsMacs, psKey<l2_ps_mac_key>(0, m),
                l2_ps_mac{L2_PS_IPV4 | L2_PS_IPV6 | L2_PS_IPV4_PREFIXES | L2_PS_IPV6_PREFIXES});
    EXPECT_EQ(sw.tables.list(l2::kPsIpv4Hosts).size(), 1u);
    auto host6 = psKey<l2_ps_ipv6_host_key>(0, m);
    copyTo(host6.addr, ip6("fd00::1").data());
    expectEntry(sw.tables, l2::kPsIpv6Hosts, host6, uint8_t{1});
    // Prefixes: the LPM key's length counts the exact port + MAC bits.
    auto prefix4 = psKey<l2_ps_ipv4_key>(0, m);
    prefix4.prefixlen = L2_PS_KEY_BITS + 16;
    prefix4.addr = ip4("10.9.0.0");
    expectEntry(sw.tables, l2::kPsIpv4, prefix4, uint8_t{1});
    auto prefix6 = psKey<l2_ps_ipv6_key>(0, m);
    prefix6.prefixlen = L2_PS_KEY_BITS + 64;
    copyTo(prefix6.addr, ip6("fd00:1::").data());
    expectEntry(sw.tables, l2::kPsIpv6, prefix6, uint8_t{1});
}

TEST(Translate, RequestedChassisElsewhereIsNotBound) {
    World w;
    w.vif("ls1", "vm1", "02:00:00:00:00:01 10.0.0.1", "tap1");
    w.sb.port_bindings["vm1"] = {"pb1", "vm1", "", "", "hv2", std::nullopt};
    PortAllocator ports;
    EXPECT_TRUE(w.translate(ports).bindings.empty());
}

TEST(Translate, PortsStayPutWhenOthersComeAndGo) {
    World w;
    for (int i = 1; i <= 3; ++i)
        w.vif("ls1", "vm" + std::to_string(i), "02:00:00:00:00:0" + std::to_string(i) + " 10.0.0." + std::to_string(i),
              "tap" + std::to_string(i));
    PortAllocator ports;
    auto before = w.translate(ports);
    // vm1 goes away, vm4 arrives: vm2 and vm3 keep their ports.
    w.nb.switches["ls1"].ports.erase(w.nb.switches["ls1"].ports.begin());
    w.ovs.interfaces.erase("tap1");
    w.vif("ls1", "vm4", "02:00:00:00:00:04 10.0.0.4", "tap4");
    auto after = w.translate(ports);
    EXPECT_EQ(after.modules.at("ls-ls1").config["ports"]["vm2"], before.modules.at("ls-ls1").config["ports"]["vm2"]);
    EXPECT_EQ(after.modules.at("ls-ls1").config["ports"]["vm3"], before.modules.at("ls-ls1").config["ports"]["vm3"]);
    EXPECT_FALSE(after.modules.at("ls-ls1").config["ports"].contains("vm1"));
}

// A controller restarted on the same hoverd (allocator seeded from the stored
// configs) computes exactly what the long-running one computed incrementally.
TEST(Translate, IncrementalEqualsFullRecomputeAfterRestart) {
    World w;
    PortAllocator running;
    for (int i = 1; i <= 6; ++i) {
        w.vif("ls1", "vm" + std::to_string(i), "02:00:00:00:00:0" + std::to_string(i) + " 10.0.0." + std::to_string(i),
              "tap" + std::to_string(i));
        (void)w.translate(running);  // one round per change, as the daemon does
        if (i % 2 == 0) {            // and some ports leave again
            w.nb.switches["ls1"].ports.erase(w.nb.switches["ls1"].ports.begin());
            (void)w.translate(running);
        }
    }
    const DesiredState incremental = w.translate(running);
    PortAllocator restarted;
    for (const auto &[name, module] : incremental.modules) {
        std::map<std::string, uint32_t> stored;
        for (auto it = module.config["ports"].begin(); it != module.config["ports"].end(); ++it) stored[it.key()] = it.value();
        restarted.seed(name, stored);
    }
    EXPECT_TRUE(w.translate(restarted) == incremental);
}

TEST(Translate, RouterNatAndStaticRoutes) {
    World w;
    w.vif("ls1", "vm1", "02:00:00:00:00:01 10.0.0.1", "tap1");
    w.nb.switches["ext"] = {"ext", "ext", {}};
    LogicalRouter lr;
    lr.uuid = "r1";
    lr.name = "r1";
    for (auto [name, mac, net, ls] : {std::tuple{"lrp-in", "02:00:00:00:aa:01", "10.0.0.254/24", "ls1"},
                                      std::tuple{"lrp-ext", "02:00:00:00:aa:02", "172.24.4.1/24", "ext"}}) {
        LogicalRouterPort lrp;
        lrp.uuid = std::string("u-") + name;
        lrp.name = name;
        lrp.mac = mac;
        lrp.networks = {net};
        if (std::string(name) == "lrp-ext") lrp.gateway_chassis = {"hv1"};  // a distributed gateway port, here
        w.nb.router_ports[lrp.uuid] = lrp;
        lr.ports.push_back(lrp.uuid);
        LogicalSwitchPort lsp;
        lsp.uuid = std::string("u-sw-") + name;
        lsp.name = std::string("sw-") + name;
        lsp.type = "router";
        lsp.addresses = {"router"};
        lsp.options["router-port"] = name;
        w.nb.switch_ports[lsp.uuid] = lsp;
        w.nb.switches[ls].ports.push_back(lsp.uuid);
    }
    lr.static_routes = {{"0.0.0.0/0", "172.24.4.254", "", ""}, {"192.168.0.0/16", "discard", "", ""}};
    lr.nat = {{"snat", "172.24.4.1", "", "10.0.0.0/24", ""},
              {"dnat_and_snat", "172.24.4.50", "02:00:00:00:fe:50", "10.0.0.1", "vm1"}};
    w.nb.routers["r1"] = lr;
    PortAllocator ports;
    DesiredState d = w.translate(ports);
    const ModuleSpec &router = d.modules.at("lr-r1");
    const uint32_t ext_port = d.modules.at("lr-r1").config["ports"]["lrp-ext"];
    expectEntry(router.tables, rt::kNeighbors, ip4("10.0.0.1"), neighbor("02:00:00:00:00:01"));
    expectEntry(router.tables, rt::kRoutes, rt_route_key{0, 0},
                rt_route{RT_ROUTE_VIA, ext_port, ip4("172.24.4.254"), ip4("172.24.4.1")});
    expectEntry(router.tables, rt::kRoutes, rt_route_key{16, ip4("192.168.0.0")}, rt_route{RT_ROUTE_DISCARD, 0, 0, 0});
    const ModuleSpec &nat = d.modules.at("nat-r1");
    expectEntry(nat.tables, nt::kFipIn, ip4("172.24.4.50"), nat_fip{ip4("10.0.0.1")});
    expectEntry(nat.tables, nt::kFipOut, ip4("10.0.0.1"), nat_fip{ip4("172.24.4.50")});
    expectEntry(nat.tables, nt::kSnatRules, nat_snat_key{24, ip4("10.0.0.0")}, nat_snat{ip4("172.24.4.1"), 1024, 65535});
    // ARP for every external address: with the rule's external_mac, else the gateway port's MAC.
    expectEntry(nat.tables, nt::kArpExternal, ip4("172.24.4.1"), natArp("02:00:00:00:aa:02"));
    expectEntry(nat.tables, nt::kArpExternal, ip4("172.24.4.50"), natArp("02:00:00:00:fe:50"));
    EXPECT_EQ(nat.tables.size(), 5u) << "entries";
    // The gateway port goes through the nat module; the inside port does not.
    auto port = [&](const std::string &module, const std::string &object) {
        return d.modules.at(module).config["ports"][object].get<uint32_t>();
    };
    EXPECT_TRUE(d.links.count(makeLink(modulePort("lr-r1", port("lr-r1", "lrp-ext")), "m:nat-r1:0")));
    EXPECT_TRUE(d.links.count(makeLink("m:nat-r1:1", modulePort("ls-ext", port("ls-ext", "sw-lrp-ext")))));
    EXPECT_TRUE(d.links.count(makeLink(modulePort("lr-r1", port("lr-r1", "lrp-in")),
                                       modulePort("ls-ls1", port("ls-ls1", "sw-lrp-in")))));
    EXPECT_EQ(d.links.size(), 4u) << "vm1, inside router port, router-nat, nat-ext";
    // The external switch answers ARP from VIFs for the floating IP (its external_mac).
    const uint32_t router_side = d.modules.at("ls-ext").config["ports"]["sw-lrp-ext"];
    expectEntry(d.modules.at("ls-ext").tables, l2::kArpResponder, ip4("172.24.4.50"),
                arpEntry("02:00:00:00:fe:50", router_side));
}

// OVN does NAT only at a gateway: a distributed gateway port whose gateway
// is this chassis, or a gateway router bound here. Elsewhere, none.
TEST(Translate, NatOnlyWhereOvnHasAGateway) {
    auto routed = [](const std::vector<std::string> &gateways, const std::string &bound_to) {
        World w;
        w.vif("ls1", "vm1", "02:00:00:00:00:01 10.0.0.1", "tap1");
        w.router("r1", {"ls1", "ext"});
        auto &ext = w.nb.router_ports["u-r1-ext"];
        ext.networks = {"172.24.4.1/24"};
        ext.gateway_chassis = gateways;
        if (!bound_to.empty()) w.nb.routers["r1"].options["chassis"] = bound_to;
        w.nb.routers["r1"].nat = {{"snat", "172.24.4.1", "", "10.0.0.0/24", ""}};
        PortAllocator ports;
        return w.translate(ports);
    };
    EXPECT_EQ(routed({"hv1"}, "").modules.count("nat-r1"), 1u) << "distributed gateway port here";
    EXPECT_EQ(routed({"hv2", "hv1"}, "").modules.count("nat-r1"), 1u) << "one of its gateways";
    EXPECT_EQ(routed({"hv2"}, "").modules.count("nat-r1"), 0u) << "the gateway is another chassis";
    EXPECT_EQ(routed({}, "hv1").modules.count("nat-r1"), 1u) << "gateway router bound here";
    EXPECT_EQ(routed({}, "hv2").modules.count("nat-r1"), 0u) << "gateway router bound elsewhere";
    const DesiredState plain = routed({}, "");
    EXPECT_EQ(plain.modules.count("nat-r1"), 0u) << "a distributed router without gateway: no NAT, as in OVN";
    EXPECT_TRUE(plain.links.count(makeLink(modulePort("lr-r1", plain.modules.at("lr-r1").config["ports"]["r1-ext"]),
                                           modulePort("ls-ext", plain.modules.at("ls-ext").config["ports"]["sw-r1-ext"]))))
        << "the router port is linked to its switch directly";
}

// A localnet port: one switch port per interface of the mapped bridge, which
// learns, and whose ARP/ND requests the switch leaves to the owners (northd
// skips the responder for localnet ports).
TEST(Translate, LocalnetPortsAreAnsweredByTheOwners) {
    World w;
    w.vif("ext", "vm1", "02:00:00:00:00:01 172.24.4.10", "tap1");
    w.port("ext", "ext-ln", "localnet", {"unknown"}, {{"network_name", "physnet1"}});
    w.ovs.bridge_mappings = "physnet1:br-ex";
    w.ovs.interfaces["eth1"] = {"i-eth1", "eth1", "", "br-ex", "", 2, false};
    PortAllocator ports;
    const DesiredState d = w.translate(ports);
    const auto &sw = d.modules.at("ls-ext");
    const uint32_t ln_port = sw.config["ports"]["ext-ln@eth1"], vm_port = sw.config["ports"]["vm1"];
    EXPECT_TRUE(d.links.count(makeLink(modulePort("ls-ext", ln_port), "i:eth1")));
    expectEntry(sw.tables, l2::kPorts, ln_port, l2_port{L2_PORT_ENABLED | L2_PORT_LEARN | L2_PORT_NO_RESPONDER});
    expectEntry(sw.tables, l2::kPorts, vm_port, l2_port{L2_PORT_ENABLED});
}

TEST(Translate, RouterIpv6NetworksRoutesAndNeighbours) {
    World w;
    w.vif("ls1", "vm1", "02:00:00:00:00:01 10.0.0.1 fd00::1", "tap1");
    LogicalRouter lr;
    lr.uuid = lr.name = "r1";
    LogicalRouterPort lrp;
    lrp.uuid = "u-lrp";
    lrp.name = "lrp";
    lrp.mac = "02:00:00:00:aa:01";
    lrp.networks = {"10.0.0.254/24", "fd00::fe/64"};
    w.nb.router_ports[lrp.uuid] = lrp;
    lr.ports = {lrp.uuid};
    w.port("ls1", "sw-lrp", "router", {"router"}, {{"router-port", "lrp"}});
    lr.static_routes = {{"fd99::/48", "fd00::1", "", ""}, {"fd66::/48", "discard", "", ""}, {"fd77::/48", "fd55::1", "", ""}};
    w.nb.routers["r1"] = lr;
    PortAllocator ports;
    const DesiredState desired = w.translate(ports);
    const ModuleSpec &router = desired.modules.at("lr-r1");
    const uint32_t port = 0;
    // The switch answers Neighbor Solicitations for the VM and, as a router's,
    // for the router port's addresses (global and link-local).
    const ModuleSpec &sw = desired.modules.at("ls-ls1");
    const uint32_t router_side = desired.modules.at("ls-ls1").config["ports"]["sw-lrp"].get<uint32_t>();
    expectEntry(sw.tables, l2::kNdResponder, ndKey("fd00::1"), ndEntry("02:00:00:00:00:01", 0, 0));
    expectEntry(sw.tables, l2::kNdResponder, ndKey("fd00::fe"), ndEntry("02:00:00:00:aa:01", L2_ND_ROUTER, router_side));
    EXPECT_TRUE(sw.tables.find(l2::kNdResponder, ndKey("fe80::ff:fe00:aa01")));
    expectEntry(router.tables, rt::kAddrs6, rtIp6("fd00::fe"), rt_addr{port});
    expectEntry(router.tables, rt::kAddrs6, rtIp6("fe80::ff:fe00:aa01"), rt_addr{port});  // modified EUI-64 of the MAC
    expectEntry(router.tables, rt::kRoutes6, route6Key("fd00::", 64), route6(RT_ROUTE_CONNECTED, port, "::", "fd00::fe"));
    expectEntry(router.tables, rt::kRoutes6, route6Key("fd99::", 48),
                route6(RT_ROUTE_VIA, port, "fd00::1", "fd00::fe"));
    expectEntry(router.tables, rt::kRoutes6, route6Key("fd66::", 48), route6(RT_ROUTE_DISCARD, 0, "::", "::"));
    EXPECT_FALSE(router.tables.find(rt::kRoutes6, route6Key("fd77::", 48)))
        << "a next hop on no connected network has no route";
    expectEntry(router.tables, rt::kNeighbors6, rtIp6("fd00::1"), neighbor("02:00:00:00:00:01"));
}

// What a Northbound holds that cannot be programmed as written is reported
// by object (iovisorctl ovn, the daemon's log); port security that cannot be
// enforced closes its port instead of opening it; nothing else is lost.
TEST(Translate, HostileNorthboundIsReportedAndPortSecurityFailsClosed) {
    World w;
    w.vif("ls1", "bad-ps-mac", "02:00:00:00:00:01 10.0.0.1", "tap1", {"zz:00:00:00:00:01 10.0.0.1"});
    w.vif("ls1", "bad-ps-ip", "02:00:00:00:00:02 10.0.0.2", "tap2", {"02:00:00:00:00:02 10.0.0.999"});
    w.vif("ls1", "bad-address", "nonsense", "tap3");
    w.vif("ls1", "same-mac", "02:00:00:00:00:02 10.0.0.2", "tap4");  // another port's MAC and IP
    w.vif("ls1", std::string(300, 'x') + "\"'\n\xff", "02:00:00:00:00:05 10.0.0.5", "tap5");
    w.nb.switches["ls1"].ports.push_back("u-dangling");  // a port row that does not exist
    w.router("r1", {"ls1"});
    w.nb.router_ports["u-r1-ls1"].networks = {"10.0.0.254/24", "not-a-network"};
    auto &lr = w.nb.routers["r1"];
    lr.static_routes.push_back({"0.0.0.0/0", "10.0.0.300", "", ""});
    lr.static_routes.push_back({"10.9.0.0/99", "10.0.0.1", "", ""});
    PortAllocator ports;
    const DesiredState d = w.translate(ports);

    const ModuleSpec &sw = d.modules.at("ls-ls1");
    const json &assigned = sw.config["ports"];
    for (const char *closed : {"bad-ps-mac", "bad-ps-ip"}) {  // a disabled port's slot stays zero: nothing passes
        auto port = sw.tables.find(l2::kPorts, assigned[closed].get<uint32_t>());
        EXPECT_TRUE(!port || !(port->flags & L2_PORT_ENABLED)) << closed << " must be closed";
    }
    expectEntry(sw.tables, l2::kPorts, assigned["same-mac"].get<uint32_t>(), l2_port{L2_PORT_ENABLED});
    EXPECT_EQ(d.bindings.size(), 5u) << "every VIF still bound";
    std::map<std::string, std::string> problems;
    for (const auto &p : sw.config["problems"]) problems[p["object"]] = p["error"];
    EXPECT_EQ(problems["bad-ps-mac"], "port_security 'zz:00:00:00:00:01 10.0.0.1': 'zz:00:00:00:00:01' is not a MAC "
                                      "address; the port is closed");
    EXPECT_EQ(problems["bad-ps-ip"], "port_security '02:00:00:00:00:02 10.0.0.999': '10.0.0.999' is not an IPv4 or "
                                     "IPv6 address; the port is closed");
    EXPECT_EQ(problems["bad-address"], "address 'nonsense' skipped: 'nonsense' is not a MAC address");
    EXPECT_EQ(problems.size(), 3u);

    std::set<std::string> router_problems;
    for (const auto &p : d.modules.at("lr-r1").config["problems"])
        router_problems.insert(p["object"].get<std::string>() + ": " + p["error"].get<std::string>());
    EXPECT_EQ(router_problems, (std::set<std::string>{
                                   "r1-ls1: network 'not-a-network' skipped: not an address/prefix",
                                   "route 0.0.0.0/0 via 10.0.0.300: nexthop is not an IPv4 address; skipped",
                                   "route 10.9.0.0/99 via 10.0.0.1: ip_prefix is not a prefix; skipped"}));
}

// A switch with more local ports than a module has: the ports past the
// limit are reported by name and left unbound (not up), the others work,
// and a port that leaves makes room for one that waited.
TEST(Translate, PortsPastTheModuleLimitAreReportedAndLeftUnbound) {
    World w;
    const int total = IOV_MAX_PORTS + 3;
    auto name = [](int i) { return "vm" + std::to_string(1000 + i); };  // allocated in name order
    for (int i = 0; i < total; ++i)
        w.vif("ls1", name(i), "02:00:00:00:" + std::to_string(10 + i / 100) + ":" + std::to_string(10 + i % 90) + " 10.0.0.1",
              "tap" + std::to_string(i));
    PortAllocator ports;
    DesiredState d = w.translate(ports);
    EXPECT_EQ(d.bindings.size(), size_t(IOV_MAX_PORTS));
    std::set<std::string> reported;
    for (const auto &p : d.modules.at("ls-ls1").config["problems"]) {
        reported.insert(p["object"].get<std::string>());
        EXPECT_EQ(p["error"], "no port left on this chassis (256 per datapath); not bound");
    }
    std::set<std::string> unbound;
    for (int i = 0; i < total; ++i)
        if (!d.bindings.count(name(i))) unbound.insert(name(i));
    EXPECT_EQ(reported, unbound);
    EXPECT_EQ(unbound.size(), 3u);
    // One bound port goes: one waiting port takes its module port.
    const std::string gone = d.bindings.begin()->first;
    auto &ls_ports = w.nb.switches["ls1"].ports;
    ls_ports.erase(std::find(ls_ports.begin(), ls_ports.end(), "u-" + gone));
    d = w.translate(ports);
    EXPECT_EQ(d.bindings.size(), size_t(IOV_MAX_PORTS));
    EXPECT_EQ(d.modules.at("ls-ls1").config["problems"].size(), 2u);
}

}  // namespace
}  // namespace ctl
