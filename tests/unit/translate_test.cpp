// OVN -> IOModule translation on hand-written database contents.
#include <gtest/gtest.h>

#include "translate.h"
#include "lib/tables.h"

namespace ctl {
namespace {

using nlohmann::json;
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

    DesiredState translate(PortAllocator &ports) const { return ctl::translate({nb, sb, ovs, "hv1"}, ports); }
};

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
    EXPECT_EQ(sw.tables.at("fdb").at(json({{"mac", "02:00:00:00:00:02"}}).dump()), json({{"port", 1}, {"flags", 0}}));
    EXPECT_EQ(sw.tables.at("arp_responder").at(json("10.0.0.1").dump()), json({{"mac", "02:00:00:00:00:01"}, {"port", 0}}));
    EXPECT_EQ(sw.tables.at("ports").at("0"), json({{"flags", 1 | 2}})) << "enabled + port security";
    EXPECT_EQ(sw.tables.at("ports").at("1"), json({{"flags", 1}}));
    // A single address is one hash entry; no LPM prefix, and the MAC's flags say so.
    EXPECT_EQ(sw.tables.at("ps_ipv4_hosts").count(
                  json({{"port", 0}, {"mac", "02:00:00:00:00:01"}, {"addr", "10.0.0.1"}}).dump()), 1u);
    EXPECT_EQ(sw.tables.count("ps_ipv4"), 0u);
    EXPECT_EQ(sw.tables.at("ps_macs").at(json({{"port", 0}, {"mac", "02:00:00:00:00:01"}}).dump()),
              json({{"flags", L2_PS_IPV4}}));
    EXPECT_EQ(sw.tables.at("fdb").count(json({{"mac", "02:00:00:00:00:03"}}).dump()), 0u);
}

TEST(Translate, PortSecurityPrefixesGoToTheLpmTables) {
    World w;
    w.vif("ls1", "vm1", "02:00:00:00:00:01 10.0.0.1", "tap1",
          {"02:00:00:00:00:01 10.0.0.1 10.9.0.0/16 fd00::1 fd00:1::/64"});
    PortAllocator ports;
    const ModuleSpec sw = w.translate(ports).modules.at("ls-ls1");
    const std::string mac = "02:00:00:00:00:01";
    EXPECT_EQ(sw.tables.at("ps_macs").at(json({{"port", 0}, {"mac", mac}}).dump()),
              json({{"flags", L2_PS_IPV4 | L2_PS_IPV6 | L2_PS_IPV4_PREFIXES | L2_PS_IPV6_PREFIXES}}));
    EXPECT_EQ(sw.tables.at("ps_ipv4_hosts").size(), 1u);
    EXPECT_EQ(sw.tables.at("ps_ipv6_hosts").count(json({{"port", 0}, {"mac", mac}, {"addr", "fd00::1"}}).dump()), 1u);
    EXPECT_EQ(sw.tables.at("ps_ipv4").count(
                  json({{"prefixlen", L2_PS_KEY_BITS + 16}, {"port", 0}, {"mac", mac}, {"addr", "10.9.0.0"}}).dump()), 1u);
    EXPECT_EQ(sw.tables.at("ps_ipv6").count(
                  json({{"prefixlen", L2_PS_KEY_BITS + 64}, {"port", 0}, {"mac", mac}, {"addr", "fd00:1::"}}).dump()), 1u);
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
    lr.nat = {{"snat", "172.24.4.1", "", "10.0.0.0/24", ""}, {"dnat_and_snat", "172.24.4.50", "", "10.0.0.1", ""}};
    w.nb.routers["r1"] = lr;
    PortAllocator ports;
    DesiredState d = w.translate(ports);

    const ModuleSpec &rt = d.modules.at("lr-r1");
    EXPECT_EQ(rt.tables.at("neighbors").at(json("10.0.0.1").dump())["mac"], "02:00:00:00:00:01");
    EXPECT_EQ(rt.tables.at("routes").at(json({{"prefixlen", 0}, {"addr", "0.0.0.0"}}).dump())["nexthop"], "172.24.4.254");
    EXPECT_EQ(rt.tables.at("routes").at(json({{"prefixlen", 16}, {"addr", "192.168.0.0"}}).dump())["type"], 2);
    const ModuleSpec &nat = d.modules.at("nat-r1");
    EXPECT_EQ(nat.tables.at("fip_in").at(json("172.24.4.50").dump())["addr"], "10.0.0.1");
    EXPECT_EQ(nat.tables.at("snat_rules").size(), 1u);
    // The gateway port goes through the nat module; the inside port does not.
    auto port = [&](const std::string &module, const std::string &object) {
        return d.modules.at(module).config["ports"][object].get<uint32_t>();
    };
    EXPECT_TRUE(d.links.count(makeLink(modulePort("lr-r1", port("lr-r1", "lrp-ext")), "m:nat-r1:0")));
    EXPECT_TRUE(d.links.count(makeLink("m:nat-r1:1", modulePort("ls-ext", port("ls-ext", "sw-lrp-ext")))));
    EXPECT_TRUE(d.links.count(makeLink(modulePort("lr-r1", port("lr-r1", "lrp-in")),
                                       modulePort("ls-ls1", port("ls-ls1", "sw-lrp-in")))));
    EXPECT_EQ(d.links.size(), 4u) << "vm1, inside router port, router-nat, nat-ext";
    // The external switch answers ARP for the floating IP with the router's MAC.
    EXPECT_EQ(d.modules.at("ls-ext").tables.at("arp_responder").at(json("172.24.4.50").dump())["mac"], "02:00:00:00:aa:02");
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
    LogicalSwitchPort lsp;
    lsp.uuid = "u-sw-lrp";
    lsp.name = "sw-lrp";
    lsp.type = "router";
    lsp.addresses = {"router"};
    lsp.options["router-port"] = "lrp";
    w.nb.switch_ports[lsp.uuid] = lsp;
    w.nb.switches["ls1"].ports.push_back(lsp.uuid);
    lr.static_routes = {{"fd99::/48", "fd00::1", "", ""}, {"fd66::/48", "discard", "", ""}, {"fd77::/48", "fd55::1", "", ""}};
    w.nb.routers["r1"] = lr;
    PortAllocator ports;
    const DesiredState desired = w.translate(ports);
    const ModuleSpec &rt = desired.modules.at("lr-r1");
    const uint32_t port = 0;
    // The switch answers Neighbor Solicitations for the VM and, as a router's,
    // for the router port's addresses (global and link-local).
    const ModuleSpec &sw = desired.modules.at("ls-ls1");
    const uint32_t router_side = desired.modules.at("ls-ls1").config["ports"]["sw-lrp"].get<uint32_t>();
    EXPECT_EQ(sw.tables.at("nd_responder").at(json({{"addr", "fd00::1"}}).dump()),
              json({{"mac", "02:00:00:00:00:01"}, {"flags", 0}, {"port", 0}}));
    EXPECT_EQ(sw.tables.at("nd_responder").at(json({{"addr", "fd00::fe"}}).dump()),
              json({{"mac", "02:00:00:00:aa:01"}, {"flags", L2_ND_ROUTER}, {"port", router_side}}));
    EXPECT_EQ(sw.tables.at("nd_responder").count(json({{"addr", "fe80::ff:fe00:aa01"}}).dump()), 1u);
    EXPECT_EQ(rt.tables.at("addrs6").at(json({{"addr", "fd00::fe"}}).dump()), json({{"port", port}}));
    EXPECT_EQ(rt.tables.at("addrs6").at(json({{"addr", "fe80::ff:fe00:aa01"}}).dump()), json({{"port", port}}))
        << "the port's link-local address (modified EUI-64 of its MAC)";
    EXPECT_EQ(rt.tables.at("routes6").at(json({{"prefixlen", 64}, {"addr", "fd00::"}}).dump()),
              json({{"type", RT_ROUTE_CONNECTED}, {"port", port}, {"nexthop", "::"}, {"src_addr", "fd00::fe"}}));
    EXPECT_EQ(rt.tables.at("routes6").at(json({{"prefixlen", 48}, {"addr", "fd99::"}}).dump()),
              json({{"type", RT_ROUTE_VIA}, {"port", port}, {"nexthop", "fd00::1"}, {"src_addr", "fd00::fe"}}));
    EXPECT_EQ(rt.tables.at("routes6").at(json({{"prefixlen", 48}, {"addr", "fd66::"}}).dump())["type"], RT_ROUTE_DISCARD);
    EXPECT_EQ(rt.tables.at("routes6").count(json({{"prefixlen", 48}, {"addr", "fd77::"}}).dump()), 0u)
        << "a next hop on no connected network has no route";
    EXPECT_EQ(rt.tables.at("neighbors6").at(json({{"addr", "fd00::1"}}).dump()),
              json({{"mac", "02:00:00:00:00:01"}, {"flags", RT_NEIGH_STATIC}}));
}

}  // namespace
}  // namespace ctl
