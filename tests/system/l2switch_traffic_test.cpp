// The l2switch between real network namespaces, attached with TC: ping and
// TCP between two hosts, and port security against a host that changes its
// MAC or IP.
#include "hover/attach.h"
#include "hover/l2switch.h"
#include "module_harness.h"
#include "netns.h"

namespace {

using namespace testsupport;

struct Vm {
    std::string mac, ip;
};
const Vm kVm1{"02:00:00:00:01:01", "10.0.0.1"}, kVm2{"02:00:00:00:01:02", "10.0.0.2"};

class L2SwitchTraffic : public ::testing::TestWithParam<hover::AttachMode> {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_TOOL("ping", "iputils-ping");
        REQUIRE_TOOL("iperf3", "iperf3");
        REQUIRE_TOOL("ethtool", "ethtool");
        vm1_ = std::make_unique<TestHost>(uniqueName("a"), kVm1.mac, kVm1.ip + "/24");
        vm2_ = std::make_unique<TestHost>(uniqueName("b"), kVm2.mac, kVm2.ip + "/24");
        ASSERT_TRUE(vm1_->ok()) << vm1_->error();
        ASSERT_TRUE(vm2_->ok()) << vm2_->error();

        auto &module = harness_.load("l2switch", 1);
        sw_ = std::make_unique<hover::L2Switch>(module);
        const TestHost *hosts[] = {vm1_.get(), vm2_.get()};
        const Vm *vms[] = {&kVm1, &kVm2};
        for (uint32_t port = 0; port < 2; ++port) {
            ASSERT_TRUE(module.connectNetdev(port, hosts[port]->hostIfindex()).ok());
            ASSERT_TRUE(sw_->setPort(port, {}).ok());
            ASSERT_TRUE(sw_->addFdb(mac(vms[port]->mac), port).ok());
            ASSERT_TRUE(sw_->addArpResponder(ip4(vms[port]->ip), mac(vms[port]->mac), port).ok());
            ASSERT_TRUE(sw_->setPortSecurity(port, {{mac(vms[port]->mac), {{ip4(vms[port]->ip), 32}}, {}}}).ok());
            auto a = hover::Attachment::attach(hosts[port]->hostIfindex(), module.netdevProgFd(), GetParam());
            ASSERT_TRUE(a.ok()) << a.error().message;
            attachments_.push_back(std::move(a.value()));
        }
        if (GetParam() == hover::AttachMode::kXdp) {
            for (auto *h : hosts) ASSERT_EQ(h->prepareForXdp(XDP_PASS_OBJECT), "");
        }
    }

    uint64_t drops(uint32_t reason) { return harness_.drops(1, reason); }

    bpftest::ModuleHarness harness_{GetParam()};
    std::unique_ptr<TestHost> vm1_, vm2_;
    std::unique_ptr<hover::L2Switch> sw_;
    std::vector<std::unique_ptr<hover::Attachment>> attachments_;
};

TEST_P(L2SwitchTraffic, TwoHostsPingAndTcp) {
    EXPECT_TRUE(vm1_->ping(kVm2.ip)) << "vm1 cannot ping vm2";
    EXPECT_TRUE(vm2_->ping(kVm1.ip)) << "vm2 cannot ping vm1";
    EXPECT_GE(harness_.txPackets(1, 1), 3u);
    EXPECT_GE(harness_.txPackets(1, 0), 3u);

    std::string log;
    EXPECT_TRUE(vm1_->tcpTo(*vm2_, kVm2.ip, &log)) << "TCP through the switch failed:\n" << log;
}

TEST_P(L2SwitchTraffic, HostThatChangesItsIpIsCutOff) {
    ASSERT_TRUE(vm1_->ping(kVm2.ip));
    ASSERT_EQ(vm1_->exec("ip addr flush dev eth0 && ip addr add 10.0.0.66/24 dev eth0 && ip neigh flush dev eth0")
                  .exit_code,
              0);
    EXPECT_FALSE(vm1_->ping(kVm2.ip, 2)) << "port security let a changed IP through";
    EXPECT_GT(drops(IOV_DROP_PS_ARP) + drops(IOV_DROP_PS_SRC_IP), 0u);
}

TEST_P(L2SwitchTraffic, HostThatChangesItsMacIsCutOff) {
    ASSERT_TRUE(vm1_->ping(kVm2.ip));
    ASSERT_EQ(vm1_->exec("ip link set eth0 address 02:00:00:00:01:66").exit_code, 0);
    EXPECT_FALSE(vm1_->ping(kVm2.ip, 2)) << "port security let a changed MAC through";
    EXPECT_GT(drops(IOV_DROP_PS_SRC_MAC), 0u);
}

INSTANTIATE_TEST_SUITE_P(Attach, L2SwitchTraffic, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp),
                         [](const auto &info) { return std::string(hover::attachModeName(info.param)); });

}  // namespace
