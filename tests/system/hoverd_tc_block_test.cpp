// hoverd links the netdevs of built-in modules through one shared TC block
// per hook: each netdev gets a clsact bound to it, the block holds the one
// filter (the shared entry). A netdev whose clsact is someone else's keeps
// it and gets a filter of its own; hoverd removes only what it made.
#include "hoverd_process.h"
#include "netns.h"

namespace {

using nlohmann::json;
using testsupport::HoverdProcess;
using testsupport::TestHost;
using testsupport::uniqueName;

const char *kH1 = "02:00:00:00:0b:01", *kH2 = "02:00:00:00:0b:02";

class HoverdTcBlock : public ::testing::Test {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_TOOL("ping", "iputils-ping");
        REQUIRE_TOOL("tc", "iproute2");
        ASSERT_TRUE(hoverd_.start()) << hoverd_.error();
        h1_ = std::make_unique<TestHost>(uniqueName("tb"), kH1, "10.0.7.1/24");
        h2_ = std::make_unique<TestHost>(uniqueName("tb"), kH2, "10.0.7.2/24");
        ASSERT_TRUE(h1_->ok() && h2_->ok()) << h1_->error() << h2_->error();
        ASSERT_EQ(hoverd_.call("POST", "/modules/", {{"module_type", "l2switch"}, {"display_name", "sw"}}).status, 201);
        for (int port : {0, 1}) put(entry("ports", port), {{"flags", 1}});
        put(entry("fdb", {{"mac", kH1}}), {{"port", 0}});
        put(entry("fdb", {{"mac", kH2}}), {{"port", 1}});
    }

    void put(const std::string &path, const json &value) {
        auto r = hoverd_.call("PUT", path, value);
        ASSERT_EQ(r.status, 200) << path << ": " << r.text;
    }
    static std::string entry(const std::string &table, const json &key) {
        return "/modules/sw/tables/" + table + "/entries/" + testsupport::urlEncode(key.dump());
    }
    // The link's id.
    int link(int port, const TestHost &host) {
        auto r = hoverd_.call("POST", "/links/",
                              {{"from", "m:sw:" + std::to_string(port)}, {"to", "i:" + host.hostIfname()}});
        EXPECT_EQ(r.status, 201) << r.text;
        return r.status == 201 ? r.body["id"].get<int>() : -1;
    }
    void unlink(int id) { EXPECT_EQ(hoverd_.call("DELETE", "/links/" + std::to_string(id)).status, 204); }
    static std::string tc(const std::string &args) { return testsupport::shell("tc " + args + " 2>&1").output; }
    // The ingress block of the netdev's clsact ("" if none is shared).
    static std::string ingressBlock(const std::string &ifname) {
        const std::string q = tc("qdisc show dev " + ifname + " clsact");
        const auto at = q.find("ingress_block ");
        return at == std::string::npos ? "" : q.substr(at + 14, q.find_first_of(" \n", at + 14) - at - 14);
    }

    HoverdProcess hoverd_;
    std::unique_ptr<TestHost> h1_, h2_;
};

TEST_F(HoverdTcBlock, NetdevsOfBuiltInModulesShareOneFilter) {
    const int l1 = link(0, *h1_), l2 = link(1, *h2_);
    const std::string block = ingressBlock(h1_->hostIfname());
    ASSERT_FALSE(block.empty()) << "clsact of " << h1_->hostIfname() << ": "
                                << tc("qdisc show dev " + h1_->hostIfname());
    EXPECT_EQ(ingressBlock(h2_->hostIfname()), block) << "both netdevs are on the hook's one block";
    const std::string filters = tc("filter show block " + block + " ingress");
    EXPECT_NE(filters.find("iov_entry"), std::string::npos) << "the block runs the shared entry: " << filters;
    EXPECT_NE(filters.find("direct-action"), std::string::npos) << filters;
    EXPECT_TRUE(h1_->ping("10.0.7.2")) << "traffic crosses the switch through the block's filter";

    unlink(l1);
    EXPECT_EQ(tc("qdisc show dev " + h1_->hostIfname()).find("clsact"), std::string::npos)
        << "the clsact hoverd made for the link is gone with it";
    EXPECT_FALSE(h1_->ping("10.0.7.2", 1)) << "an unlinked netdev is out of the switch";
    EXPECT_NE(tc("filter show block " + block + " ingress").find("iov_entry"), std::string::npos)
        << "the block serves the netdev still linked";
    unlink(l2);
    EXPECT_EQ(tc("filter show block " + block + " ingress").find("iov_entry"), std::string::npos)
        << "the block goes with its last netdev";

    // Made again, the block gets its filter again.
    link(0, *h1_), link(1, *h2_);
    EXPECT_EQ(ingressBlock(h1_->hostIfname()), block);
    EXPECT_TRUE(h1_->ping("10.0.7.2")) << tc("filter show block " + block + " ingress");
}

TEST_F(HoverdTcBlock, AClsactMadeBySomeoneElseIsKept) {
    ASSERT_EQ(testsupport::shell("tc qdisc add dev " + h1_->hostIfname() + " clsact").exit_code, 0);
    const int l1 = link(0, *h1_);
    link(1, *h2_);
    EXPECT_EQ(ingressBlock(h1_->hostIfname()), "") << "a clsact cannot change blocks: it keeps its own";
    EXPECT_NE(tc("filter show dev " + h1_->hostIfname() + " ingress").find("direct-action"), std::string::npos)
        << "it gets a filter of its own";
    EXPECT_TRUE(h1_->ping("10.0.7.2"));
    unlink(l1);
    EXPECT_NE(tc("qdisc show dev " + h1_->hostIfname()).find("clsact"), std::string::npos) << "not hoverd's to remove";
    EXPECT_EQ(tc("filter show dev " + h1_->hostIfname() + " ingress").find("direct-action"), std::string::npos)
        << "hoverd's filter is gone";
}

TEST_F(HoverdTcBlock, ARestartKeepsTheBlockAndRenewsItsFilter) {
    link(0, *h1_), link(1, *h2_);
    const std::string block = ingressBlock(h1_->hostIfname());
    ASSERT_FALSE(block.empty());
    const std::string before = tc("filter show block " + block + " ingress");
    ASSERT_TRUE(hoverd_.restart()) << hoverd_.error();
    EXPECT_EQ(ingressBlock(h1_->hostIfname()), block);
    const std::string after = tc("filter show block " + block + " ingress");
    EXPECT_NE(after.find("iov_entry"), std::string::npos) << after;
    EXPECT_NE(after, before) << "the filter runs the restarted hoverd's entry program (a new id)";
    EXPECT_TRUE(h1_->ping("10.0.7.2"));
}

}  // namespace
