// router fixtures: packet in -> verdict -> packet out -> counters.
#include "hover/l2switch.h"
#include "hover/router.h"
#include "module_harness.h"

namespace {

using namespace testsupport;
using bpftest::kRedirect;
using bpftest::kShot;

const Mac kR0 = mac("02:00:00:00:aa:00"), kR1 = mac("02:00:00:00:aa:01");
const Mac kH1 = mac("02:00:00:00:00:01"), kH2 = mac("02:00:00:00:00:02"), kGw = mac("02:00:00:00:00:64");

Bytes udpPacket(const std::string &src, const std::string &dst, uint8_t ttl) {
    Ipv4Options o;
    o.ttl = ttl;
    return ipv4(ip4(src), ip4(dst), 17, udp(ip4(src), ip4(dst), 1000, 2000), o);
}

// Router (module 1): port 0 10.0.0.254/24 (host 10.0.0.1), port 1
// 10.0.1.254/24 (host 10.0.1.2, gateway 10.0.1.100 not yet resolved).
class RouterTest : public ::testing::TestWithParam<hover::AttachMode> {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        harness_ = std::make_unique<bpftest::ModuleHarness>(GetParam());
        rt_ = std::make_unique<hover::Router>(harness_->load("router", 1));
        harness_->netdevPort(1, 0);
        harness_->netdevPort(1, 1);
        ASSERT_TRUE(rt_->setPort(0, {kR0, {{ip4("10.0.0.254"), 24}}}).ok());
        ASSERT_TRUE(rt_->setPort(1, {kR1, {{ip4("10.0.1.254"), 24}}}).ok());
        ASSERT_TRUE(rt_->addNeighbor(ip4("10.0.0.1"), kH1).ok());
        ASSERT_TRUE(rt_->addNeighbor(ip4("10.0.1.2"), kH2).ok());
        ASSERT_TRUE(rt_->addRoute({ip4("192.168.0.0"), 16}, ip4("10.0.1.100")).ok());
        ASSERT_TRUE(rt_->addRoute({ip4("192.168.7.0"), 24}, ip4("10.0.1.2")).ok());
        ASSERT_TRUE(rt_->addDiscardRoute({ip4("172.16.0.0"), 12}).ok());
    }

    bpftest::RunResult expectSent(uint32_t in_port, const Bytes &in, uint32_t out_port, const Bytes &expected) {
        const uint64_t before = harness_->txPackets(1, out_port);
        auto r = harness_->runOnPort(1, in_port, in);
        EXPECT_EQ(r.rc, 0);
        EXPECT_EQ(r.verdict, kRedirect);
        EXPECT_EQ(harness_->txPackets(1, out_port), before + 1) << "expected out of port " << out_port;
        EXPECT_EQ(hex(r.out), hex(expected));
        return r;
    }

    void expectDropped(uint32_t in_port, const Bytes &packet, uint32_t reason) {
        const uint64_t before = harness_->drops(1, reason);
        auto r = harness_->runOnPort(1, in_port, packet);
        ASSERT_EQ(r.rc, 0);
        EXPECT_EQ(r.verdict, kShot);
        EXPECT_EQ(harness_->drops(1, reason), before + 1) << "expected drop reason " << hover::dropReasonName(reason);
    }

    std::unique_ptr<bpftest::ModuleHarness> harness_;
    std::unique_ptr<hover::Router> rt_;
};

TEST_P(RouterTest, ForwardsBetweenConnectedNetworks) {
    expectSent(0, eth(kR0, kH1, kEthIp, udpPacket("10.0.0.1", "10.0.1.2", 64)), 1,
               eth(kH2, kR1, kEthIp, udpPacket("10.0.0.1", "10.0.1.2", 63)));
    expectSent(1, eth(kR1, kH2, kEthIp, udpPacket("10.0.1.2", "10.0.0.1", 2)), 0,
               eth(kH1, kR0, kEthIp, udpPacket("10.0.1.2", "10.0.0.1", 1)));
}

TEST_P(RouterTest, LongestPrefixWins) {
    // 192.168.7.0/24 via 10.0.1.2 beats 192.168.0.0/16 via 10.0.1.100.
    expectSent(0, eth(kR0, kH1, kEthIp, udpPacket("10.0.0.1", "192.168.7.9", 64)), 1,
               eth(kH2, kR1, kEthIp, udpPacket("10.0.0.1", "192.168.7.9", 63)));
}

// Forwarding results are cached per destination; any configuration change
// and a learned neighbour's new MAC must take effect on the next packet.
TEST_P(RouterTest, CachedForwardingFollowsEveryChange) {
    const Bytes to_h2 = eth(kR0, kH1, kEthIp, udpPacket("10.0.0.1", "10.0.1.2", 64));
    const Bytes via_h2 = eth(kH2, kR1, kEthIp, udpPacket("10.0.0.1", "10.0.1.2", 63));
    expectSent(0, to_h2, 1, via_h2);
    expectSent(0, to_h2, 1, via_h2);  // from the cache
    // A new static MAC for the neighbour.
    const Mac moved = mac("02:00:00:00:00:99");
    ASSERT_TRUE(rt_->addNeighbor(ip4("10.0.1.2"), moved).ok());
    expectSent(0, to_h2, 1, eth(moved, kR1, kEthIp, udpPacket("10.0.0.1", "10.0.1.2", 63)));
    // A discard route for the destination.
    ASSERT_TRUE(rt_->addDiscardRoute({ip4("10.0.1.2"), 32}).ok());
    expectDropped(0, to_h2, IOV_DROP_ROUTE_DISCARD);
    ASSERT_TRUE(rt_->removeRoute({ip4("10.0.1.2"), 32}).ok());
    expectSent(0, to_h2, 1, eth(moved, kR1, kEthIp, udpPacket("10.0.0.1", "10.0.1.2", 63)));
    // The destination becomes one of the router's own addresses: answered, not forwarded.
    ASSERT_TRUE(rt_->setPort(1, {kR1, {{ip4("10.0.1.254"), 24}, {ip4("10.0.1.2"), 24}}}).ok());
    expectDropped(0, to_h2, IOV_DROP_ROUTER_LOCAL);  // UDP to the router itself
    ASSERT_TRUE(rt_->setPort(1, {kR1, {{ip4("10.0.1.254"), 24}}}).ok());
    // A learned neighbour answering from a new MAC (an ARP reply to the router).
    ASSERT_TRUE(rt_->removeNeighbor(ip4("10.0.1.2")).ok());
    auto learn = [&](const Mac &from) {
        harness_->runOnPort(1, 1, eth(kR1, from, kEthArp, arp(2, from, ip4("10.0.1.2"), kR1, ip4("10.0.1.254"))));
    };
    learn(kH2);
    expectSent(0, to_h2, 1, via_h2);
    learn(moved);
    expectSent(0, to_h2, 1, eth(moved, kR1, kEthIp, udpPacket("10.0.0.1", "10.0.1.2", 63)));
}

TEST_P(RouterTest, UnresolvedNextHopSendsOneArpRequestAndLearnsTheReply) {
    const Bytes to_gw = eth(kR0, kH1, kEthIp, udpPacket("10.0.0.1", "192.168.8.1", 64));
    expectSent(0, to_gw, 1, eth(kBroadcast, kR1, kEthArp, arp(1, kR1, ip4("10.0.1.254"), Mac{}, ip4("10.0.1.100"))));
    EXPECT_EQ(harness_->drops(1, IOV_DROP_NEIGH_PENDING), 1u) << "the packet that needed ARP is dropped, counted";
    // Within the retry interval: dropped, no second request.
    auto r = harness_->runOnPort(1, 0, to_gw);
    EXPECT_EQ(r.verdict, kShot);
    EXPECT_EQ(harness_->drops(1, IOV_DROP_NEIGH_PENDING), 2u);
    EXPECT_EQ(harness_->txPackets(1, 1), 1u);
    // The gateway answers; the reply is consumed and learned.
    r = harness_->runOnPort(1, 1, eth(kR1, kGw, kEthArp, arp(2, kGw, ip4("10.0.1.100"), kR1, ip4("10.0.1.254"))));
    EXPECT_EQ(r.verdict, kShot);
    expectSent(0, to_gw, 1, eth(kGw, kR1, kEthIp, udpPacket("10.0.0.1", "192.168.8.1", 63)));
}

TEST_P(RouterTest, TtlExpiryAnswersWithTimeExceeded) {
    const Bytes expiring = udpPacket("10.0.0.1", "10.0.1.2", 1);
    Bytes icmp = {11, 0, 0, 0, 0, 0, 0, 0};
    icmp.insert(icmp.end(), expiring.begin(), expiring.begin() + 28);
    const uint16_t csum = inetChecksum(icmp.data(), icmp.size());
    icmp[2] = csum >> 8;
    icmp[3] = csum & 0xff;
    Ipv4Options o;
    o.id = 0;
    expectSent(0, eth(kR0, kH1, kEthIp, expiring), 0,
               eth(kH1, kR0, kEthIp, ipv4(ip4("10.0.0.254"), ip4("10.0.0.1"), 1, icmp, o)));
    EXPECT_EQ(harness_->drops(1, IOV_DROP_TTL_EXCEEDED), 1u);
}

TEST_P(RouterTest, AnswersArpForItsAddressOnThatPortOnly) {
    expectSent(0, arpRequest(kH1, "10.0.0.1", "10.0.0.254"), 0,
               eth(kH1, kR0, kEthArp, arp(2, kR0, ip4("10.0.0.254"), kH1, ip4("10.0.0.1"))));
    expectDropped(1, arpRequest(kH2, "10.0.1.2", "10.0.0.254"), IOV_DROP_NOT_FOR_ROUTER);
}

TEST_P(RouterTest, AnswersPingToAnyOfItsAddresses) {
    const uint32_t h1 = ip4("10.0.0.1"), far = ip4("10.0.1.254");
    expectSent(0, eth(kR0, kH1, kEthIp, ipv4(h1, far, 1, icmpEcho(8, 7, 1))), 0,
               eth(kH1, kR0, kEthIp, ipv4(far, h1, 1, icmpEcho(0, 7, 1))));
    expectDropped(0, eth(kR0, kH1, kEthIp, ipv4(h1, far, 17, udp(h1, far, 1, 2))), IOV_DROP_ROUTER_LOCAL);
}

TEST_P(RouterTest, DropsWhatItCannotRoute) {
    expectDropped(0, eth(kR0, kH1, kEthIp, udpPacket("10.0.0.1", "8.8.8.8", 64)), IOV_DROP_NO_ROUTE);
    expectDropped(0, eth(kR0, kH1, kEthIp, udpPacket("10.0.0.1", "172.16.1.1", 64)), IOV_DROP_ROUTE_DISCARD);
    expectDropped(0, eth(kH2, kH1, kEthIp, udpPacket("10.0.0.1", "10.0.1.2", 64)), IOV_DROP_NOT_FOR_ROUTER);
    expectDropped(0, eth(kR0, kH1, kEthIp6, ipv6(ip6("fd00::1"), ip6("fd00::2"), 17, Bytes(8))), IOV_DROP_NO_ROUTE);
    expectDropped(0, eth(kR0, kH1, 0x88cc /* LLDP */, Bytes(46)), IOV_DROP_UNSUPPORTED_L3);
    Bytes bad_ihl = eth(kR0, kH1, kEthIp, udpPacket("10.0.0.1", "10.0.1.2", 64));
    bad_ihl[14] = 0x43;
    expectDropped(0, bad_ihl, IOV_DROP_BAD_IHL);
    ASSERT_TRUE(rt_->setPort(1, {kR1, {{ip4("10.0.1.254"), 24}}, /*enabled=*/false}).ok());
    expectDropped(1, eth(kR1, kH2, kEthIp, udpPacket("10.0.1.2", "10.0.0.1", 64)), IOV_DROP_PORT_DISABLED);
}

TEST_P(RouterTest, Ipv6ForwardsAnswersNeighborDiscoveryAndPing) {
    ASSERT_TRUE(rt_->setPort(0, {kR0, {{ip4("10.0.0.254"), 24}}, true, {{ip6("fd00::fe"), 64}}}).ok());
    ASSERT_TRUE(rt_->setPort(1, {kR1, {{ip4("10.0.1.254"), 24}}, true, {{ip6("fd01::fe"), 64}}}).ok());
    ASSERT_TRUE(rt_->addNeighbor6(ip6("fd01::2"), kH2).ok());
    const Bytes udp6 = Bytes{0x03, 0xe8, 0x07, 0xd0, 0, 8, 0, 0};  // ports 1000 -> 2000, no payload
    auto packet = [&](const char *src, const char *dst, uint8_t hops) {
        return ipv6(ip6(src), ip6(dst), 17, udp6, hops);
    };
    // Forwarding: hop limit - 1, MACs rewritten, nothing else touched.
    expectSent(0, eth(kR0, kH1, kEthIp6, packet("fd00::1", "fd01::2", 64)), 1,
               eth(kH2, kR1, kEthIp6, packet("fd00::1", "fd01::2", 63)));
    // Hop limit 1: an ICMPv6 time exceeded from the ingress port's address,
    // quoting the header and 8 bytes.
    const Bytes expiring = packet("fd00::1", "fd01::2", 1);
    Bytes te = {3, 0, 0, 0, 0, 0, 0, 0};
    te.insert(te.end(), expiring.begin(), expiring.begin() + 48);
    expectSent(0, eth(kR0, kH1, kEthIp6, expiring), 0,
               eth(kH1, kR0, kEthIp6, ipv6(ip6("fd00::fe"), ip6("fd00::1"), 58, icmp6(ip6("fd00::fe"), ip6("fd00::1"), te), 64)));
    EXPECT_EQ(harness_->drops(1, IOV_DROP_HOP_LIMIT), 1u);
    // An unknown next hop: the packet becomes a solicitation for it, once a
    // second; the advertisement that answers teaches the router.
    const Ip6 far = ip6("fd01::9"), far_solicited = ip6("ff02::1:ff00:9"), far_gw = ip6("fd01::fe");
    const Bytes ns_far =
        ipv6(far_gw, far_solicited, 58, icmp6(far_gw, far_solicited, neighborDiscovery(135, 0, far, 1, kR1)), 255);
    expectSent(0, eth(kR0, kH1, kEthIp6, packet("fd00::1", "fd01::9", 64)), 1,
               eth(mac("33:33:ff:00:00:09"), kR1, kEthIp6, ns_far));
    EXPECT_EQ(harness_->drops(1, IOV_DROP_NEIGH_PENDING), 1u);
    expectDropped(0, eth(kR0, kH1, kEthIp6, packet("fd00::1", "fd01::9", 64)), IOV_DROP_NEIGH_PENDING);
    const Mac far_mac = mac("02:00:00:00:00:09");
    auto learned = harness_->runOnPort(
        1, 1, eth(kR1, far_mac, kEthIp6, ipv6(far, far_gw, 58, icmp6(far, far_gw, neighborDiscovery(136, 0x60000000, far, 2, far_mac)), 255)));
    EXPECT_EQ(learned.verdict, kShot) << "the advertisement is consumed";
    expectSent(0, eth(kR0, kH1, kEthIp6, packet("fd00::1", "fd01::9", 64)), 1,
               eth(far_mac, kR1, kEthIp6, packet("fd00::1", "fd01::9", 63)));
    expectDropped(0, eth(kR0, kH1, kEthIp6, packet("fd00::1", "fd99::1", 64)), IOV_DROP_NO_ROUTE);

    // host1 asks for the gateway (solicited-node multicast): the router
    // advertises its MAC, and learns host1's.
    const Ip6 host1 = ip6("fd00::1"), gateway = ip6("fd00::fe"), solicited = ip6("ff02::1:ff00:fe");
    const Bytes ns = ipv6(host1, solicited, 58, icmp6(host1, solicited, neighborDiscovery(135, 0, gateway, 1, kH1)), 255);
    const Bytes na = ipv6(gateway, host1, 58, icmp6(gateway, host1, neighborDiscovery(136, 0xe0000000, gateway, 2, kR0)), 255);
    expectSent(0, eth(mac("33:33:ff:00:00:fe"), kH1, kEthIp6, ns), 0, eth(kH1, kR0, kEthIp6, na));
    expectSent(1, eth(kR1, kH2, kEthIp6, packet("fd01::2", "fd00::1", 64)), 0,
               eth(kH1, kR0, kEthIp6, packet("fd01::2", "fd00::1", 63)));
    // A solicitation for an address of another port is not answered here.
    const Ip6 other = ip6("fd01::fe");
    expectDropped(0,
                  eth(mac("33:33:ff:00:00:fe"), kH1, kEthIp6,
                      ipv6(host1, solicited, 58, icmp6(host1, solicited, neighborDiscovery(135, 0, other, 1, kH1)), 255)),
                  IOV_DROP_NOT_FOR_ROUTER);

    // Ping to the router's address on the far port.
    const Bytes echo = {128, 0, 0, 0, 0x12, 0x34, 0, 1, 'h', 'i'};
    Bytes reply = echo;
    reply[0] = 129;
    expectSent(0, eth(kR0, kH1, kEthIp6, ipv6(host1, other, 58, icmp6(host1, other, echo), 64)), 0,
               eth(kH1, kR0, kEthIp6, ipv6(other, host1, 58, icmp6(other, host1, reply), 64)));
    // Other traffic to the router itself is not forwarded.
    expectDropped(0, eth(kR0, kH1, kEthIp6, packet("fd00::1", "fd00::fe", 64)), IOV_DROP_ROUTER_LOCAL);
}

// host1 - l2switch(1) - router(2) - l2switch(3) - host2, all tail calls.
TEST(RouterChain, SwitchRouterSwitch) {
    REQUIRE_ROOT();
    bpftest::ModuleHarness h;
    hover::L2Switch sw1(h.load("l2switch", 1)), sw2(h.load("l2switch", 3));
    hover::Router rt(h.load("router", 2));
    h.netdevPort(1, 0);
    h.netdevPort(3, 0);
    h.link(1, 1, 2, 0);
    h.link(2, 1, 3, 1);
    for (auto *sw : {&sw1, &sw2})
        for (uint32_t p : {0u, 1u}) ASSERT_TRUE(sw->setPort(p, {}).ok());
    ASSERT_TRUE(sw1.addFdb(kR0, 1).ok());
    ASSERT_TRUE(sw2.addFdb(kH2, 0).ok());
    ASSERT_TRUE(rt.setPort(0, {kR0, {{ip4("10.0.0.254"), 24}}}).ok());
    ASSERT_TRUE(rt.setPort(1, {kR1, {{ip4("10.0.1.254"), 24}}}).ok());
    ASSERT_TRUE(rt.addNeighbor(ip4("10.0.1.2"), kH2).ok());

    auto r = h.runOnPort(1, 0, eth(kR0, kH1, kEthIp, udpPacket("10.0.0.1", "10.0.1.2", 64)));
    EXPECT_EQ(r.verdict, kRedirect);
    EXPECT_EQ(h.txPackets(3, 0), 1u) << "the packet reaches host2's port";
    EXPECT_EQ(hex(r.out), hex(eth(kH2, kR1, kEthIp, udpPacket("10.0.0.1", "10.0.1.2", 63))));
}

// Every fixture runs the TC and the XDP build of the module.
INSTANTIATE_TEST_SUITE_P(Hook, RouterTest, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp),
                         [](const auto &info) { return info.param == hover::AttachMode::kXdp ? "xdp" : "tc"; });

}  // namespace
