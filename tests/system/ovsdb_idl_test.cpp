// Opens the OVN NB IDL (generated from ovn-nb.ovsschema, linked with OVS's
// libopenvswitch) against a real ovsdb-server, writes with ovn-nbctl and
// watches the change arrive in the IDL replica.
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

// What Neutron writes for security groups, DHCP and load balancers reaches
// the monitor's NB snapshot, with the references resolved to uuids/names,
// and shows in the tracked changes.
TEST(OvnMonitor, NbSnapshotCarriesAclsGroupsDhcpAndLoadBalancers) {
    REQUIRE_TOOL("ovsdb-server", "openvswitch-switch");
    REQUIRE_TOOL("ovn-nbctl", "ovn-central");
    testsupport::OvsdbServer ovs("/usr/share/openvswitch/vswitch.ovsschema");
    testsupport::OvsdbServer nb("/usr/share/ovn/ovn-nb.ovsschema");
    ASSERT_TRUE(ovs.started() && nb.started()) << ovs.error() << nb.error();
    auto monitor = ovnmon::OvnMonitor::open({ovs.remote(), nb.remote(), ""});
    ASSERT_TRUE(monitor.ok()) << monitor.error().message;
    auto &m = *monitor.value();
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

TEST(OvsdbIdl, RejectsMalformedRemote) {
    auto conn = ovnmon::IdlConnection::open(nbrec_idl_class, "http://nope");
    ASSERT_FALSE(conn.ok());
    EXPECT_EQ(conn.error().code, iovisor::Errc::kInvalid);
    EXPECT_NE(conn.error().message.find("http://nope"), std::string::npos);
}

}  // namespace
