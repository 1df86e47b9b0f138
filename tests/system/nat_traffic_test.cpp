// NAT between real namespaces: two VMs on a switch behind a router whose
// external port carries a nat module facing an "external" namespace.
//   vm1 10.0.0.1, vm2 10.0.0.5 (floating IP 172.24.4.50) - l2switch -
//   router (10.0.0.254 | 172.24.4.1) - nat - ext 172.24.4.254
// SNAT: vm1 reaches ext as 172.24.4.1 (ping, TCP). Floating IP: ext reaches
// vm2 at 172.24.4.50, and vm2 answers from it.
#include "hover/attach.h"
#include "hover/l2switch.h"
#include "hover/nat.h"
#include "hover/router.h"
#include "module_harness.h"
#include "netns.h"

namespace {

using namespace testsupport;

const char *kR0 = "02:00:00:00:aa:00", *kR1 = "02:00:00:00:aa:01";
const char *kVm1Mac = "02:00:00:00:00:01", *kVm2Mac = "02:00:00:00:00:05";
constexpr uint32_t kSwitch = 1, kRouter = 2, kNat = 3;

class NatTraffic : public ::testing::TestWithParam<hover::AttachMode> {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_TOOL("ping", "iputils-ping");
        REQUIRE_TOOL("iperf3", "iperf3");
        REQUIRE_TOOL("ethtool", "ethtool");
        vm1_ = std::make_unique<TestHost>(uniqueName("n"), kVm1Mac, "10.0.0.1/24");
        vm2_ = std::make_unique<TestHost>(uniqueName("f"), kVm2Mac, "10.0.0.5/24");
        ext_ = std::make_unique<TestHost>(uniqueName("x"), "02:00:00:00:00:fe", "172.24.4.254/24");
        for (auto *h : {vm1_.get(), vm2_.get(), ext_.get()}) {
            ASSERT_TRUE(h->ok()) << h->error();
            if (GetParam() == hover::AttachMode::kXdp) {
                ASSERT_EQ(h->prepareForXdp(XDP_PASS_OBJECT), "");
            }
        }
        for (auto *h : {vm1_.get(), vm2_.get()})
            ASSERT_EQ(h->exec("ip route add default via 10.0.0.254").exit_code, 0);

        auto &sw_module = harness_.load("l2switch", kSwitch);
        hover::L2Switch sw(sw_module);
        hover::Router rt(harness_.load("router", kRouter));
        auto &nat_module = harness_.load("nat", kNat);
        hover::Nat nat(nat_module);

        ASSERT_TRUE(sw_module.connectNetdev(0, vm1_->hostIfindex()).ok());
        ASSERT_TRUE(sw_module.connectNetdev(1, vm2_->hostIfindex()).ok());
        harness_.link(kSwitch, 2, kRouter, 0);
        harness_.link(kRouter, 1, kNat, NAT_PORT_INSIDE);
        ASSERT_TRUE(nat_module.connectNetdev(NAT_PORT_OUTSIDE, ext_->hostIfindex()).ok());

        for (uint32_t p : {0u, 1u, 2u}) ASSERT_TRUE(sw.setPort(p, {}).ok());
        ASSERT_TRUE(sw.addFdb(mac(kVm1Mac), 0).ok());
        ASSERT_TRUE(sw.addFdb(mac(kVm2Mac), 1).ok());
        ASSERT_TRUE(sw.addFdb(mac(kR0), 2).ok());
        ASSERT_TRUE(sw.addArpResponder(ip4("10.0.0.254"), mac(kR0), 2).ok());
        ASSERT_TRUE(rt.setPort(0, {mac(kR0), {{ip4("10.0.0.254"), 24}}}).ok());
        ASSERT_TRUE(rt.setPort(1, {mac(kR1), {{ip4("172.24.4.1"), 24}}}).ok());
        ASSERT_TRUE(rt.addRoute({0, 0}, ip4("172.24.4.254")).ok());
        ASSERT_TRUE(nat.addSnat({ip4("10.0.0.0"), 24}, ip4("172.24.4.1")).ok());
        ASSERT_TRUE(nat.addDnatAndSnat(ip4("172.24.4.50"), ip4("10.0.0.5")).ok());
        ASSERT_TRUE(nat.addArpExternal(ip4("172.24.4.50"), mac(kR1)).ok());

        attach(*vm1_, sw_module);
        attach(*vm2_, sw_module);
        attach(*ext_, nat_module);
    }

    void attach(const TestHost &host, hover::Module &module) {
        auto a = hover::Attachment::attach(host.hostIfindex(), module.netdevProgFd(), GetParam());
        ASSERT_TRUE(a.ok()) << a.error().message;
        attachments_.push_back(std::move(a.value()));
    }

    bpftest::ModuleHarness harness_{GetParam()};
    std::unique_ptr<TestHost> vm1_, vm2_, ext_;
    std::vector<std::unique_ptr<hover::Attachment>> attachments_;
};

TEST_P(NatTraffic, SnatPingAndTcpToTheExternalNetwork) {
    // The first packets wait for the router to resolve the gateway by ARP.
    EXPECT_TRUE(vm1_->ping("172.24.4.254", 5)) << "vm1 cannot reach the external host";
    // The external host saw the SNAT address, not 10.0.0.1.
    auto neigh = ext_->exec("ip neigh show");
    EXPECT_NE(neigh.output.find("172.24.4.1 "), std::string::npos) << neigh.output;
    EXPECT_EQ(neigh.output.find("10.0.0.1"), std::string::npos) << neigh.output;

    // TCP: after their first packets, both directions are replayed by the
    // flow cache (in TC, offloaded CHECKSUM_PARTIAL segments from the VM).
    const uint64_t replayed = harness_.flowCounter(IOV_FLOW_HIT);
    std::string log;
    EXPECT_TRUE(vm1_->tcpTo(*ext_, "172.24.4.254", &log)) << "TCP through SNAT failed:\n" << log;
    EXPECT_GT(harness_.flowCounter(IOV_FLOW_HIT) - replayed, 100u) << "TCP was not replayed by the flow cache";
}

TEST_P(NatTraffic, FloatingIpReachableFromOutside) {
    EXPECT_TRUE(ext_->ping("172.24.4.50", 5)) << "the external host cannot reach the floating IP";
    // vm2's own traffic leaves from its floating IP: the external host pings back.
    EXPECT_TRUE(vm2_->ping("172.24.4.254", 3));
    auto ss = ext_->exec("ip neigh show 172.24.4.50");
    EXPECT_NE(ss.output.find(kR1), std::string::npos) << "ARP for the floating IP answered with the router MAC: "
                                                      << ss.output;
}

INSTANTIATE_TEST_SUITE_P(Attach, NatTraffic, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp),
                         [](const auto &info) { return std::string(hover::attachModeName(info.param)); });

}  // namespace
