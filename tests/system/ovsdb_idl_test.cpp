// Opens the OVN NB IDL (generated from ovn-nb.ovsschema, linked with OVS's
// libopenvswitch) against a real ovsdb-server, writes with ovn-nbctl and
// watches the change arrive in the IDL replica.
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "ovnmon/idl.h"
#include "ovnmon/monitor.h"
#include "test_support.h"

#include <config.h>
#include "ovn-nb-idl.h"

namespace {

using namespace std::chrono_literals;

bool hasSwitch(const ovsdb_idl *idl, const std::string &name) {
    const nbrec_logical_switch *ls;
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, idl) {
        if (name == ls->name) return true;
    }
    return false;
}

TEST(OvsdbIdl, NbReplicaFollowsOvnNbctl) {
    REQUIRE_TOOL("ovsdb-server", "openvswitch-switch");
    REQUIRE_TOOL("ovn-nbctl", "ovn-central");
    testsupport::OvsdbServer nb("/usr/share/ovn/ovn-nb.ovsschema");
    ASSERT_TRUE(nb.started()) << nb.error();

    auto conn = ovnmon::IdlConnection::open(nbrec_idl_class, nb.remote());
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    auto &idl = *conn.value();
    ASSERT_TRUE(idl.runUntil([&] { return idl.connected(); }, 5s)) << "IDL never connected to " << nb.remote();

    auto added = testsupport::run({"ovn-nbctl", "--db=" + nb.remote(), "ls-add", "sw-idl-test"});
    ASSERT_EQ(added.exit_code, 0) << added.output;
    EXPECT_TRUE(idl.runUntil([&] { return hasSwitch(idl.raw(), "sw-idl-test"); }, 5s))
        << "the new Logical_Switch never reached the IDL replica";

    auto removed = testsupport::run({"ovn-nbctl", "--db=" + nb.remote(), "ls-del", "sw-idl-test"});
    ASSERT_EQ(removed.exit_code, 0) << removed.output;
    EXPECT_TRUE(idl.runUntil([&] { return !hasSwitch(idl.raw(), "sw-idl-test"); }, 5s))
        << "the deleted Logical_Switch stayed in the IDL replica";
}

// Writes what Neutron writes for a port's DHCP, security group and a load
// balancer; returns the DHCP_Options uuid.
std::string writeNeutronLikeNb(const std::string &remote) {
    auto dhcp = testsupport::run({"ovn-nbctl", "--db=" + remote, "create", "DHCP_Options", "cidr=10.0.0.0/24",
                                  "options:router=10.0.0.1", "options:lease_time=3600"});
    EXPECT_EQ(dhcp.exit_code, 0) << dhcp.output;
    const std::string dhcp_uuid = dhcp.output.substr(0, dhcp.output.find('\n'));
    auto r = testsupport::shell(
        "ovn-nbctl --db=" + remote + " ls-add sw -- lsp-add sw p1 -- lsp-set-dhcpv4-options p1 " + dhcp_uuid +
        " -- pg-add pg1 p1 -- create Address_Set name=as1 'addresses=\"10.0.0.1\",\"10.0.0.2\"'"
        " -- acl-add pg1 from-lport 1001 'inport == @pg1 && ip4' allow-related"
        " -- acl-add sw to-lport 900 'ip4.src == $as1' drop"
        " -- lb-add lb1 10.0.0.100:80 10.0.0.1:8080,10.0.0.2:8080 udp -- ls-lb-add sw lb1 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return dhcp_uuid;
}

// Runs the monitor until `done` (at most 5 s); the changes it tracked.
template <typename Done>
std::vector<ovnmon::Change> runMonitorUntil(ovnmon::OvnMonitor &m, Done done) {
    std::vector<ovnmon::Change> seen;
    for (int i = 0; i < 100 && !done(); ++i) {
        if (m.run()) seen.insert(seen.end(), m.changes().begin(), m.changes().end());
        m.wait(50);
    }
    return seen;
}

bool tracked(const std::vector<ovnmon::Change> &seen, const std::string &table, const std::string &what) {
    for (const auto &c : seen)
        if (c.table == table && c.what == what) return true;
    return false;
}

// A bridge index of its own, with the initial contents in.
std::unique_ptr<ovnmon::BridgePorts> freshBridgePorts(const std::string &remote) {
    auto opened = ovnmon::BridgePorts::open(remote);
    EXPECT_TRUE(opened.ok());
    if (!opened.ok()) return nullptr;
    auto bridges = std::move(opened.value());
    for (int i = 0; i < 100 && !bridges->synced(); ++i) {
        bridges->run();
        bridges->prepareWait();
        ovnmon::pollBlock(20);
    }
    EXPECT_TRUE(bridges->synced());
    return bridges;
}

// A monitor on a real local Open_vSwitch and Northbound ovsdb-server.
class OvnMonitorOnServers : public ::testing::Test {
protected:
    void SetUp() override {
        REQUIRE_TOOL("ovsdb-server", "openvswitch-switch");
        REQUIRE_TOOL("ovn-nbctl", "ovn-central");
        ASSERT_TRUE(ovs.started() && nb.started()) << ovs.error() << nb.error();
        auto opened = ovnmon::OvnMonitor::open({ovs.remote(), nb.remote(), ""});
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        monitor_ = std::move(opened.value());
    }
    testsupport::OvsdbServer ovs{"/usr/share/openvswitch/vswitch.ovsschema"};
    testsupport::OvsdbServer nb{"/usr/share/ovn/ovn-nb.ovsschema"};
    std::unique_ptr<ovnmon::OvnMonitor> monitor_;
};

// What Neutron writes for security groups, DHCP and load balancers reaches
// the monitor's NB snapshot, with the references resolved to uuids/names,
// and shows in the tracked changes.
TEST_F(OvnMonitorOnServers, NbSnapshotCarriesAclsGroupsDhcpAndLoadBalancers) {
    auto &m = *monitor_;
    const std::string dhcp_uuid = writeNeutronLikeNb(nb.remote());
    const auto seen = runMonitorUntil(m, [&] { return !m.nb().load_balancers.empty(); });
    const ovnmon::NbState &nbs = m.nb();
    ASSERT_EQ(nbs.switches.size(), 1u);
    const auto &sw = nbs.switches.begin()->second;
    const auto &p1 = nbs.switch_ports.begin()->second;
    EXPECT_EQ(p1.dhcpv4_options, dhcp_uuid) << "the port points at its DHCP options";
    ASSERT_EQ(nbs.dhcp_options.count(dhcp_uuid), 1u);
    EXPECT_EQ(nbs.dhcp_options.at(dhcp_uuid).cidr, "10.0.0.0/24");
    EXPECT_EQ(nbs.dhcp_options.at(dhcp_uuid).options.at("lease_time"), "3600");
    ASSERT_EQ(nbs.port_groups.count("pg1"), 1u);
    EXPECT_EQ(nbs.port_groups.at("pg1").ports, std::vector<std::string>{p1.uuid});
    ASSERT_EQ(nbs.port_groups.at("pg1").acls.size(), 1u);
    const auto &pg_acl = nbs.acls.at(nbs.port_groups.at("pg1").acls[0]);
    EXPECT_EQ(pg_acl.direction, "from-lport");
    EXPECT_EQ(pg_acl.priority, 1001);
    EXPECT_EQ(pg_acl.match, "inport == @pg1 && ip4");
    EXPECT_EQ(pg_acl.action, "allow-related");
    ASSERT_EQ(sw.acls.size(), 1u);
    EXPECT_EQ(nbs.acls.at(sw.acls[0]).action, "drop");
    ASSERT_EQ(nbs.address_sets.count("as1"), 1u);
    EXPECT_EQ(nbs.address_sets.at("as1").addresses, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
    ASSERT_EQ(sw.load_balancers.size(), 1u);
    const auto &lb = nbs.load_balancers.at(sw.load_balancers[0]);
    EXPECT_EQ(lb.name, "lb1");
    EXPECT_EQ(lb.protocol, "udp");
    EXPECT_EQ(lb.vips.at("10.0.0.100:80"), "10.0.0.1:8080,10.0.0.2:8080");
    for (const char *table : {"ACL", "Address_Set", "Port_Group", "DHCP_Options", "Load_Balancer"})
        EXPECT_TRUE(tracked(seen, table, "inserted")) << table << " inserts are tracked";

    // Deletes are tracked too, and leave the snapshot.
    ASSERT_EQ(testsupport::run({"ovn-nbctl", "--db=" + nb.remote(), "acl-del", "pg1"}).exit_code, 0);
    const auto after = runMonitorUntil(m, [&] { return m.nb().port_groups.at("pg1").acls.empty(); });
    EXPECT_TRUE(m.nb().port_groups.at("pg1").acls.empty());
    EXPECT_EQ(m.nb().acls.size(), 1u);
    EXPECT_TRUE(tracked(after, "ACL", "deleted"));
}

// Everything a view holds, as text: two views are equal if their texts are.
std::string describe(const ovnmon::NbState &s) {
    std::ostringstream out;
    auto list = [&](const std::vector<std::string> &v) {
        for (const auto &x : v) out << x << ",";
        out << ";";
    };
    auto map = [&](const ovnmon::StringMap &m) {
        for (const auto &[k, v] : m) out << k << "=" << v << ",";
        out << ";";
    };
    for (const auto &[u, ls] : s.switches) out << u << ls.name, list(ls.ports), list(ls.acls), list(ls.load_balancers);
    for (const auto &[u, p] : s.switch_ports)
        out << u << p.name << p.type << p.enabled << p.dynamic_addresses, list(p.addresses), list(p.port_security),
            map(p.options);
    for (const auto &[u, lr] : s.routers) {
        out << u << lr.name << lr.enabled, list(lr.ports), map(lr.options);
        for (const auto &n : lr.nat) out << n.type << n.external_ip << n.logical_ip << ";";
        for (const auto &r : lr.static_routes) out << r.ip_prefix << r.nexthop << ";";
    }
    for (const auto &[u, p] : s.router_ports) out << u << p.name << p.mac << p.peer, list(p.networks), list(p.gateway_chassis);
    for (const auto &[u, a] : s.acls) out << u << a.match << a.action << a.priority << ";";
    for (const auto &[n, a] : s.address_sets) out << n << a.uuid, list(a.addresses);
    for (const auto &[n, g] : s.port_groups) out << n << g.uuid, list(g.ports), list(g.acls);
    return out.str();
}

std::string describe(const ovnmon::OvsState &s) {
    std::ostringstream out;
    out << s.system_id << s.bridge_mappings << ";";
    for (const auto &[n, i] : s.interfaces) out << n << i.uuid << i.bridge << i.iface_id << i.type << ";";
    return out.str();
}

// The monitor keeps its copies row by row: after each change (of every kind
// the controller reads) they equal a copy rebuilt from the whole replica,
// and they got there without a rebuild.
TEST_F(OvnMonitorOnServers, ViewsFollowEveryChangeRowByRow) {
    auto &m = *monitor_;
    const std::string nbctl = "ovn-nbctl --db=" + nb.remote() + " ", vsctl = "ovs-vsctl --no-wait --db=" + ovs.remote() + " ";
    // Both replicas hold something first: their first sync builds the views whole.
    ASSERT_EQ(testsupport::shell(vsctl + "init -- add-br br-int").exit_code, 0);
    ASSERT_EQ(testsupport::shell(nbctl + "ls-add warm-up").exit_code, 0);
    runMonitorUntil(m, [&] { return m.ovs().interfaces.count("br-int") && !m.nb().switches.empty(); });
    const std::vector<std::string> steps = {
        nbctl + "ls-add sw1 -- lsp-add sw1 p1 -- lsp-set-addresses p1 '02:00:00:00:00:01 10.0.0.1'",
        vsctl + "add-port br-int tap1 -- set Interface tap1 type=internal external_ids:iface-id=p1",
        nbctl + "lsp-set-port-security p1 '02:00:00:00:00:01 10.0.0.1' -- lsp-add sw1 p2",
        nbctl + "lr-add r1 -- lrp-add r1 r1-sw1 02:00:00:00:aa:01 10.0.0.254/24 -- lsp-add sw1 sw1-r1"
                " -- lsp-set-type sw1-r1 router -- lsp-set-options sw1-r1 router-port=r1-sw1",
        nbctl + "lr-nat-add r1 snat 172.24.4.10 10.0.0.0/24 -- lr-route-add r1 0.0.0.0/0 172.24.4.1",
        nbctl + "lrp-set-gateway-chassis r1-sw1 hv1",
        nbctl + "pg-add pg1 p1 -- create Address_Set name=as1 addresses=10.0.0.1",
        nbctl + "set Address_Set as1 name=as2 -- acl-add pg1 from-lport 1001 'inport == @pg1' allow-related",
        vsctl + "set Interface tap1 external_ids:iface-id=p2 -- add-port br-int tap2 -- set Interface tap2 type=internal",
        nbctl + "lr-nat-del r1 -- lsp-del p2",
        vsctl + "del-port tap1",
        nbctl + "ls-del sw1 -- lr-del r1 -- pg-del pg1",
        // Bridges: the monitor's own index of Bridge.ports follows them.
        vsctl + "add-br br-ex -- add-port br-ex eth-ex -- set Interface eth-ex type=internal",
        vsctl + "-- --id=@p get Port tap2 -- remove Bridge br-int ports @p -- add Bridge br-ex ports @p",
        vsctl + "add-port br-int tap3 -- set Interface tap3 type=internal -- del-br br-ex",
    };
    // The interface each step must report as changed (moved, or gone with its bridge).
    const std::map<size_t, std::string> must_report = {{13, "tap2"}, {14, "tap2"}};
    std::vector<size_t> rebuilt;  // steps whose changes were not followed row by row
    for (size_t i = 0; i < steps.size(); ++i) {
        auto r = testsupport::shell(steps[i] + " 2>&1");
        ASSERT_EQ(r.exit_code, 0) << steps[i] << ": " << r.output;
        std::set<std::string> reported;
        for (int quiet = 0, rounds = 0; quiet < 3 && rounds < 100; ++rounds) {
            const bool changed = m.run();
            quiet = changed ? 0 : quiet + 1;
            if (m.rebuilt()) rebuilt.push_back(i);
            for (const auto &c : m.changes())
                if (c.db == "OVS") reported.insert(c.row);
            m.wait(20);
        }
        ovnmon::NbView nb_fresh;
        nb_fresh.rebuild(m.nbIdl().raw());
        auto bridges = freshBridgePorts(ovs.remote());
        ovnmon::OvsView ovs_fresh(bridges.get());
        ovs_fresh.rebuild(m.ovsIdl().raw());
        EXPECT_EQ(describe(m.nb()), describe(nb_fresh.state())) << "step " << i << ": " << steps[i];
        EXPECT_EQ(describe(m.ovs()), describe(ovs_fresh.state())) << "step " << i << ": " << steps[i];
        if (must_report.count(i)) EXPECT_TRUE(reported.count(must_report.at(i))) << "step " << i << ": " << steps[i];
    }
    EXPECT_EQ(m.ovs().interfaces.count("tap2"), 0u) << "tap2 went with br-ex";
    EXPECT_EQ(m.ovs().interfaces.at("tap3").bridge, "br-int");
    EXPECT_TRUE(rebuilt.empty()) << "step " << rebuilt.front() << " (" << steps[rebuilt.front()]
                                 << ") was followed by a rebuild, not row by row";
}

TEST(OvsdbIdl, RejectsMalformedRemote) {
    auto conn = ovnmon::IdlConnection::open(nbrec_idl_class, "http://nope");
    ASSERT_FALSE(conn.ok());
    EXPECT_EQ(conn.error().code, iovisor::Errc::kInvalid);
    EXPECT_NE(conn.error().message.find("http://nope"), std::string::npos);
}

}  // namespace
