// iovisorctl against a real hoverd: output and exit codes, error paths included.
#include "hoverd_process.h"

namespace {

using nlohmann::json;
using testsupport::CommandResult;
using testsupport::HoverdProcess;

class IovisorCtl : public ::testing::Test {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        ASSERT_TRUE(hoverd_.start()) << hoverd_.error();
    }
    CommandResult ctl(const std::vector<std::string> &args) {
        std::vector<std::string> argv = {IOVISORCTL_BINARY, "--hover", hoverd_.url()};
        argv.insert(argv.end(), args.begin(), args.end());
        return testsupport::run(argv);
    }
    HoverdProcess hoverd_;
};

TEST_F(IovisorCtl, ModulesLinksTablesAndStats) {
    auto created = ctl({"modules", "create", "l2switch", "sw1"});
    ASSERT_EQ(created.exit_code, 0) << created.output;
    EXPECT_NE(created.output.find("created module"), std::string::npos);
    ASSERT_EQ(ctl({"modules", "create", "router", "r1"}).exit_code, 0);

    auto list = ctl({"modules"});
    EXPECT_EQ(list.exit_code, 0);
    EXPECT_NE(list.output.find("ID"), std::string::npos) << "a header row";
    EXPECT_NE(list.output.find("sw1"), std::string::npos) << list.output;
    auto as_json = ctl({"--json", "modules", "list"});
    json parsed = json::parse(as_json.output, nullptr, false);
    ASSERT_TRUE(parsed.is_array()) << as_json.output;
    EXPECT_EQ(parsed.size(), 2u);

    const std::string key = R"({"mac":"02:00:00:00:00:01"})";
    EXPECT_EQ(ctl({"tables", "sw1", "set", "fdb", key, R"({"port":3})"}).exit_code, 0);
    auto got = ctl({"tables", "sw1", "get", "fdb", key});
    EXPECT_EQ(got.exit_code, 0);
    EXPECT_NE(got.output.find("\"port\":3"), std::string::npos) << got.output;
    EXPECT_NE(ctl({"tables", "sw1", "dump", "fdb"}).output.find("02:00:00:00:00:01"), std::string::npos);
    EXPECT_NE(ctl({"tables", "sw1"}).output.find("arp_responder"), std::string::npos);
    EXPECT_EQ(ctl({"tables", "sw1", "set", "arp_responder", "10.0.0.1", R"({"mac":"02:00:00:00:00:01","port":3})"}).exit_code, 0);
    EXPECT_NE(ctl({"tables", "sw1", "get", "arp_responder", "10.0.0.1"}).output.find("02:00:00:00:00:01"), std::string::npos);
    EXPECT_EQ(ctl({"tables", "sw1", "delete", "fdb", key}).exit_code, 0);

    auto link = ctl({"links", "add", "m:sw1", "m:r1"});
    EXPECT_EQ(link.exit_code, 0) << link.output;
    EXPECT_NE(ctl({"links"}).output.find(":0"), std::string::npos);
    auto stats = ctl({"stats", "sw1"});
    EXPECT_EQ(stats.exit_code, 0);
    EXPECT_NE(stats.output.find("RX_PKTS"), std::string::npos) << stats.output;
    EXPECT_NE(ctl({"status"}).output.find("2 modules, 1 links"), std::string::npos);
    EXPECT_EQ(ctl({"interfaces"}).exit_code, 0);
    auto flows = ctl({"flows"});
    EXPECT_EQ(flows.exit_code, 0);
    EXPECT_NE(flows.output.find("tc: 0 packets replayed"), std::string::npos) << flows.output;
    json caches = json::parse(ctl({"--json", "flows"}).output, nullptr, false);
    ASSERT_TRUE(caches.is_array()) << "flows --json";
    EXPECT_EQ(caches.size(), 1u) << "tc: no xdp module";
    EXPECT_EQ(ctl({"flows", "extra"}).exit_code, 2);
    auto ct = ctl({"conntrack"});
    EXPECT_EQ(ct.exit_code, 0);
    EXPECT_NE(ct.output.find("tc: 0 of 262144 connections (0.0%)"), std::string::npos) << ct.output;
    json conntrack = json::parse(ctl({"--json", "conntrack"}).output, nullptr, false);
    ASSERT_TRUE(conntrack["tables"].is_array()) << "conntrack --json: " << conntrack.dump();
    EXPECT_EQ(conntrack["tables"].size(), 1u);
    ASSERT_TRUE(conntrack["connections"].is_array());
    EXPECT_EQ(conntrack["connections"][0]["total"], 0);
    EXPECT_EQ(ctl({"conntrack", "extra"}).exit_code, 2);
}

TEST_F(IovisorCtl, ErrorsHaveMessagesAndExitCodes) {
    auto missing = ctl({"modules", "show", "nope"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.output.find("no module 'nope'"), std::string::npos) << missing.output;
    auto bad_value = ctl({"modules", "create", "l2switch", "s"});
    ASSERT_EQ(bad_value.exit_code, 0);
    auto refused = ctl({"tables", "s", "set", "fdb", R"({"mac":"zz"})", R"({"port":1})"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.output.find("zz"), std::string::npos) << refused.output;
    auto usage = ctl({"frobnicate"});
    EXPECT_EQ(usage.exit_code, 2);
    EXPECT_NE(usage.output.find("usage: iovisorctl"), std::string::npos);
    EXPECT_EQ(ctl({"tables"}).exit_code, 2);
    auto unreachable = testsupport::run({IOVISORCTL_BINARY, "--hover", "unix:/nonexistent/hoverd.sock", "modules"});
    EXPECT_EQ(unreachable.exit_code, 3);
    EXPECT_NE(unreachable.output.find("hoverd"), std::string::npos) << unreachable.output;
    EXPECT_NE(unreachable.output.find("is hoverd running"), std::string::npos) << unreachable.output;
}

}  // namespace
