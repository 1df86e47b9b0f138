// Router Solicitations answered by the switch (bpf/lib/nd_ra.h):
// solicitation in -> verdict -> advertisement out byte for byte ->
// counters, on the TC and the XDP build. The advertisement comes from the
// router port's ipv6_ra_configs through the controller's encoding
// (controller/src/router_adverts.h); the expected one is written out here
// byte by byte, as northd's put_nd_ra_opts makes it.
#include "router_adverts.h"
#include "switch_fixture.h"

namespace {

using namespace testsupport;
using bpftest::kRedirect;

const Mac kVm1 = mac("02:00:00:00:00:01"), kVm2 = mac("02:00:00:00:00:02"), kRouter = mac("00:00:00:00:ff:01");
const Ip6 kVm1Ll = iovisor::linkLocal(kVm1), kRouterLl = ip6("fe80::200:ff:fe00:ff01");
constexpr uint32_t kRouterPort = 2;

ovnmon::LogicalRouterPort advertisingPort() {
    ovnmon::LogicalRouterPort lrp;
    lrp.name = "lrp0";
    lrp.mac = "00:00:00:00:ff:01";
    lrp.networks = {"10.0.0.1/24", "fd00:10::1/64"};
    lrp.ipv6_ra_configs = {{"address_mode", "slaac"}, {"mtu", "1442"}, {"rdnss", "fd00::53"},
                           {"dnssl", "openstack.internal"}, {"router_preference", "HIGH"},
                           {"route_info", "HIGH-fd00:99::/48"}};
    return lrp;
}

// What put_nd_ra_opts makes of advertisingPort(), option by option.
Bytes expectedAdvert() {
    Bytes m = {134, 0, 0, 0, 255, 0x08, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0};  // preference high, lifetime 65535
    const Bytes options[] = {
        {1, 1, 0, 0, 0, 0, 0xff, 0x01},                                        // source link-layer address
        {5, 1, 0, 0, 0, 0, 0x05, 0xa2},                                        // MTU 1442
        {25, 3, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53},  // RDNSS
        {31, 4, 0, 0, 0xff, 0xff, 0xff, 0xff, 9, 'o', 'p', 'e', 'n', 's', 't', 'a', 'c', 'k', 8, 'i', 'n', 't', 'e',
         'r', 'n', 'a', 'l', 0, 0, 0, 0, 0},                                    // DNSSL, padded to 32 bytes
        {24, 2, 48, 0x08, 0xff, 0xff, 0xff, 0xff, 0xfd, 0, 0, 0x99, 0, 0, 0, 0},  // route fd00:99::/48, high
        {3, 4, 64, 0xc0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0},                                                     // prefix fd00:10::/64, on-link + autonomous
    };
    for (const auto &o : options) m.insert(m.end(), o.begin(), o.end());
    return m;
}

Bytes solicitation(const Ip6 &src, uint8_t hop_limit = 255) {
    const Ip6 all_routers = ip6("ff02::2");
    const Bytes rs = {133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 1};  // with the source link-layer address
    return eth(mac("33:33:00:00:00:02"), kVm1, kEthIp6, ipv6(src, all_routers, 58, icmp6(src, all_routers, rs), hop_limit));
}

// A switch (module 1) of two VIF ports (vm1: 0, vm2: 1) and the router port (2).
class RouterAdvertTest : public bpftest::SwitchFixture {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_TOOL("ip", "iproute2");
        startSwitch({kVm1, kVm2, kRouter});
        auto ra = ctl::routerAdverts(advertisingPort());
        ASSERT_TRUE(ra.ok()) << ra.error().message;
        ASSERT_TRUE(ra->solicited.has_value());
        ra->solicited->router_port = kRouterPort;
        ASSERT_TRUE(sw_->setRouterAdvert(ra->solicited).ok());
    }

    void expectAdvert(const Bytes &request, const Ip6 &to, const std::string &what) {
        expectAnswered(0, request, eth(kVm1, kRouter, kEthIp6, ipv6(kRouterLl, to, 58, icmp6(kRouterLl, to, expectedAdvert()), 255)),
                       what);
    }

    // Not answered: the switch forwards the solicitation as it is (a flood).
    void expectNotAnswered(uint32_t port, const Bytes &request, const std::string &what) {
        const uint64_t tx_before = harness_->txPackets(1, port);
        auto r = harness_->runOnPort(1, port, request);
        ASSERT_EQ(r.rc, 0);
        EXPECT_EQ(hex(r.out), hex(request)) << what;
        EXPECT_EQ(harness_->txPackets(1, port), tx_before) << what << ": nothing goes back to the sender";
    }
};

TEST_P(RouterAdvertTest, SolicitationGetsTheRouterPortsAdvertisement) {
    expectAdvert(solicitation(kVm1Ll), kVm1Ll, "from a link-local address: back to it");
    expectAdvert(solicitation(ip6("::")), ip6("ff02::1"), "from the unspecified address: to all nodes");
}

TEST_P(RouterAdvertTest, OnlyWhatOvnMatchesIsAnswered) {
    expectNotAnswered(0, solicitation(kVm1Ll, 64), "hop limit below 255 (not nd_rs)");
    Bytes to_all_nodes = solicitation(kVm1Ll);
    to_all_nodes[14 + 24 + 15] = 1;  // ip6.dst ff02::1
    expectNotAnswered(0, to_all_nodes, "not to ff02::2");
    expectNotAnswered(kRouterPort, solicitation(kVm1Ll), "from the router port itself");
    ASSERT_TRUE(sw_->setRouterAdvert(std::nullopt).ok());
    expectNotAnswered(0, solicitation(kVm1Ll), "the router port advertises nothing");
}

INSTANTIATE_TEST_SUITE_P(Hook, RouterAdvertTest, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp),
                         [](const auto &info) { return info.param == hover::AttachMode::kTc ? "tc" : "xdp"; });

}  // namespace
