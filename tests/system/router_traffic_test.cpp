// Two subnets between real namespaces: host1 - l2switch - router - l2switch -
// host2, attached with TC and with XDP. Ping across the router, ping the router itself,
// TCP across, and a next hop the router resolves with ARP on its own.
#include "hover/attach.h"
#include "hover/l2switch.h"
#include "hover/router.h"
#include "module_harness.h"
#include "netns.h"

namespace {

using namespace testsupport;

const char *kR0 = "02:00:00:00:aa:00", *kR1 = "02:00:00:00:aa:01";

class RouterTraffic : public ::testing::TestWithParam<hover::AttachMode> {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_TOOL("ping", "iputils-ping");
        REQUIRE_TOOL("iperf3", "iperf3");
        REQUIRE_TOOL("ethtool", "ethtool");
        h1_ = std::make_unique<TestHost>(uniqueName("r"), "02:00:00:00:00:01", "10.0.0.1/24");
        h2_ = std::make_unique<TestHost>(uniqueName("s"), "02:00:00:00:00:02", "10.0.1.2/24");
        ASSERT_TRUE(h1_->ok()) << h1_->error();
        ASSERT_TRUE(h2_->ok()) << h2_->error();
        ASSERT_EQ(h1_->exec("ip route add default via 10.0.0.254").exit_code, 0);
        ASSERT_EQ(h2_->exec("ip route add default via 10.0.1.254").exit_code, 0);
        if (GetParam() == hover::AttachMode::kXdp) {
            for (auto *h : {h1_.get(), h2_.get()}) ASSERT_EQ(h->prepareForXdp(XDP_PASS_OBJECT), "");
        }

        // Switch 1 (module 1) and switch 3 (module 3): port 0 = host, port 1
        // = router. The router (module 2) learns the hosts' MACs by ARP.
        hover::Router rt(harness_.load("router", 2));
        ASSERT_TRUE(rt.setPort(0, {mac(kR0), {{ip4("10.0.0.254"), 24}}}).ok());
        ASSERT_TRUE(rt.setPort(1, {mac(kR1), {{ip4("10.0.1.254"), 24}}}).ok());
        plugSwitch(1, *h1_, "02:00:00:00:00:01", "10.0.0.1", kR0, "10.0.0.254");
        harness_.link(1, 1, 2, 0);
        plugSwitch(3, *h2_, "02:00:00:00:00:02", "10.0.1.2", kR1, "10.0.1.254");
        harness_.link(3, 1, 2, 1);
    }

    void plugSwitch(uint32_t id, const TestHost &host, const std::string &host_mac, const std::string &host_ip,
                    const char *router_mac, const std::string &router_ip) {
        auto &module = harness_.load("l2switch", id);
        hover::L2Switch sw(module);
        ASSERT_TRUE(module.connectNetdev(0, host.hostIfindex()).ok());
        for (uint32_t p : {0u, 1u}) ASSERT_TRUE(sw.setPort(p, {}).ok());
        ASSERT_TRUE(sw.addFdb(mac(host_mac), 0).ok());
        ASSERT_TRUE(sw.addFdb(mac(router_mac), 1).ok());
        ASSERT_TRUE(sw.addArpResponder(ip4(router_ip), mac(router_mac), 1).ok());
        ASSERT_TRUE(sw.setPortSecurity(0, {{mac(host_mac), {{ip4(host_ip), 32}}, {}}}).ok());
        auto a = hover::Attachment::attach(host.hostIfindex(), module.netdevProgFd(), GetParam());
        ASSERT_TRUE(a.ok()) << a.error().message;
        attachments_.push_back(std::move(a.value()));
    }

    bpftest::ModuleHarness harness_{GetParam()};
    std::unique_ptr<TestHost> h1_, h2_;
    std::vector<std::unique_ptr<hover::Attachment>> attachments_;
};

TEST_P(RouterTraffic, PingAcrossAndToTheRouter) {
    EXPECT_TRUE(h1_->ping("10.0.0.254")) << "host1 cannot ping its gateway";
    EXPECT_TRUE(h1_->ping("10.0.1.254")) << "host1 cannot ping the router's far address";
    EXPECT_TRUE(h1_->ping("10.0.1.2")) << "host1 cannot ping host2 across the router";
    EXPECT_TRUE(h2_->ping("10.0.0.1")) << "host2 cannot ping host1 across the router";
    // The first packet to each host waited for ARP: dropped and counted.
    EXPECT_GE(harness_.drops(2, IOV_DROP_NEIGH_PENDING), 1u);
}

TEST_P(RouterTraffic, TtlOneGetsTimeExceededFromTheRouter) {
    auto r = h1_->exec("ping -c 1 -W 1 -t 1 10.0.1.2");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("From 10.0.0.254"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Time to live exceeded"), std::string::npos) << r.output;
}

TEST_P(RouterTraffic, TcpAcross) {
    ASSERT_TRUE(h1_->ping("10.0.1.2"));
    std::string log;
    EXPECT_TRUE(h1_->tcpTo(*h2_, "10.0.1.2", &log)) << "TCP across the router failed:\n" << log;
}

INSTANTIATE_TEST_SUITE_P(Attach, RouterTraffic, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp),
                         [](const auto &info) { return std::string(hover::attachModeName(info.param)); });

}  // namespace
