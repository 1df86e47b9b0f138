// Opens the OVN NB IDL (generated from ovn-nb.ovsschema, linked with OVS's
// libopenvswitch) against a real ovsdb-server, writes with ovn-nbctl and
// watches the change arrive in the IDL replica.
#include <string>

#include "ovnmon/idl.h"
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

TEST(OvsdbIdl, RejectsMalformedRemote) {
    auto conn = ovnmon::IdlConnection::open(nbrec_idl_class, "http://nope");
    ASSERT_FALSE(conn.ok());
    EXPECT_EQ(conn.error().code, iovisor::Errc::kInvalid);
    EXPECT_NE(conn.error().message.find("http://nope"), std::string::npos);
}

}  // namespace
