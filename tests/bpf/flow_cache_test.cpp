// Flow cache fixtures: a flow's first packets walk the module graph from the
// netdev entry and are recorded; later ones are replayed. A replay must give
// the packet the walk would give (bytes compared with frames rebuilt from
// scratch, so checksums are proven), move the same counters, and stop as
// soon as anything it was derived from changes.
#include <unistd.h>

#include <array>
#include <map>

#include "hover/l2switch.h"
#include "hover/nat.h"
#include "hover/router.h"
#include "module_harness.h"

namespace {

using namespace testsupport;
using bpftest::kRedirect;
using bpftest::kShot;

const Mac kH1 = mac("02:00:00:00:00:01"), kH2 = mac("02:00:00:00:00:02"), kH3 = mac("02:00:00:00:00:03");
const Mac kR0 = mac("02:00:00:00:aa:00"), kR1 = mac("02:00:00:00:aa:01"), kR2 = mac("02:00:00:00:aa:02");
const Mac kGw = mac("02:00:00:00:00:fe");
constexpr uint32_t kSw = 1, kRt = 2, kSw3 = 3, kNat = 4, kSw5 = 5;

Bytes udpFrom(const Mac &dst, const Mac &src, const std::string &from, const std::string &to, uint16_t sport,
              uint16_t dport, uint8_t ttl = 64, uint16_t id = 0x1234, size_t payload = 18, bool zero_csum = false) {
    Ipv4Options o;
    o.ttl = ttl;
    o.id = id;
    Bytes l4 = udp(ip4(from), ip4(to), sport, dport, Bytes(payload, 0x5a));
    if (zero_csum) l4[6] = l4[7] = 0;
    return eth(dst, src, kEthIp, ipv4(ip4(from), ip4(to), 17, l4, o));
}
Bytes tcpFrom(const Mac &dst, const Mac &src, const std::string &from, const std::string &to, uint16_t sport,
              uint16_t dport, uint8_t ttl = 64) {
    Ipv4Options o;
    o.ttl = ttl;
    return eth(dst, src, kEthIp, ipv4(ip4(from), ip4(to), 6, tcp(ip4(from), ip4(to), sport, dport, 0x10), o));
}
Bytes pingFrom(const Mac &dst, const Mac &src, const std::string &from, const std::string &to, uint8_t type,
               uint16_t id, uint8_t ttl = 64) {
    Ipv4Options o;
    o.ttl = ttl;
    return eth(dst, src, kEthIp, ipv4(ip4(from), ip4(to), 1, icmpEcho(type, id, 1), o));
}

// sw (1): port 0 host1 10.0.0.1, port 1 host2 10.0.0.2, port 2 -> router,
// port 3 a learning port. router (2): port 0 10.0.0.254/24, port 1
// 10.0.1.254/24 -> sw3 (3) port 1 (sw3 port 0: host 10.0.1.2), port 2
// 172.24.4.1/24 -> nat (4) inside; nat outside -> sw5 (5) port 1, sw5
// port 0: the gateway 172.24.4.254; default route via it. SNAT 10.0.0.0/24
// -> 172.24.4.1, floating IP 172.24.4.50 <-> 10.0.0.2.
class FlowCacheTest : public ::testing::TestWithParam<hover::AttachMode> {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        h_ = std::make_unique<bpftest::ModuleHarness>(GetParam());
        sw_ = std::make_unique<hover::L2Switch>(h_->load("l2switch", kSw));
        rt_ = std::make_unique<hover::Router>(h_->load("router", kRt));
        sw3_ = std::make_unique<hover::L2Switch>(h_->load("l2switch", kSw3));
        nat_ = std::make_unique<hover::Nat>(h_->load("nat", kNat));
        sw5_ = std::make_unique<hover::L2Switch>(h_->load("l2switch", kSw5));
        host1_ = h_->netdevPort(kSw, 0).ifindex();
        h_->netdevPort(kSw, 1);
        h_->netdevPort(kSw, 3);
        h_->netdevPort(kSw3, 0);
        gw_ = h_->netdevPort(kSw5, 0).ifindex();
        h_->link(kSw, 2, kRt, 0);
        h_->link(kRt, 1, kSw3, 1);
        h_->link(kRt, 2, kNat, NAT_PORT_INSIDE);
        h_->link(kNat, NAT_PORT_OUTSIDE, kSw5, 1);
        for (uint32_t p : {0u, 1u, 2u}) ASSERT_TRUE(sw_->setPort(p, {}).ok());
        hover::L2PortSettings learning;
        learning.learn = true;
        ASSERT_TRUE(sw_->setPort(3, learning).ok());
        for (uint32_t p : {0u, 1u}) ASSERT_TRUE(sw3_->setPort(p, {}).ok() && sw5_->setPort(p, {}).ok());
        ASSERT_TRUE(sw_->addFdb(kH1, 0).ok() && sw_->addFdb(kH2, 1).ok() && sw_->addFdb(kR0, 2).ok());
        ASSERT_TRUE(sw3_->addFdb(kH2, 0).ok() && sw3_->addFdb(kR1, 1).ok());
        ASSERT_TRUE(sw5_->addFdb(kGw, 0).ok() && sw5_->addFdb(kR2, 1).ok());
        ASSERT_TRUE(rt_->setPort(0, {kR0, {{ip4("10.0.0.254"), 24}}}).ok());
        ASSERT_TRUE(rt_->setPort(1, {kR1, {{ip4("10.0.1.254"), 24}}}).ok());
        ASSERT_TRUE(rt_->setPort(2, {kR2, {{ip4("172.24.4.1"), 24}}}).ok());
        ASSERT_TRUE(rt_->addNeighbor(ip4("10.0.0.1"), kH1).ok());
        ASSERT_TRUE(rt_->addNeighbor(ip4("10.0.0.2"), kH2).ok());
        ASSERT_TRUE(rt_->addNeighbor(ip4("10.0.1.2"), kH2).ok());
        ASSERT_TRUE(rt_->addNeighbor(ip4("172.24.4.254"), kGw).ok());
        ASSERT_TRUE(rt_->addRoute({0, 0}, ip4("172.24.4.254")).ok());
        ASSERT_TRUE(nat_->addSnat({ip4("10.0.0.0"), 24}, ip4("172.24.4.1")).ok());
        ASSERT_TRUE(nat_->addDnatAndSnat(ip4("172.24.4.50"), ip4("10.0.0.2")).ok());
    }

    // Every port counter of every module.
    std::map<std::pair<uint32_t, uint32_t>, iov_port_stats> counters() {
        std::map<std::pair<uint32_t, uint32_t>, iov_port_stats> all;
        for (uint32_t m : {kSw, kRt, kSw3, kNat, kSw5})
            for (uint32_t p = 0; p < 4; ++p) {
                auto s = h_->module(m).portStats(p);
                if (s.ok()) all[{m, p}] = *s;
            }
        return all;
    }
    // What a run moved, by (module, port): rx and tx packets and bytes.
    using Moved = std::map<std::pair<uint32_t, uint32_t>, std::array<uint64_t, 4>>;
    Moved moved(const std::map<std::pair<uint32_t, uint32_t>, iov_port_stats> &before) {
        Moved delta;
        for (const auto &[where, s] : counters()) {
            const auto &b = before.at(where);
            if (s.rx_packets != b.rx_packets || s.tx_packets != b.tx_packets)
                delta[where] = {s.rx_packets - b.rx_packets, s.tx_packets - b.tx_packets, s.rx_bytes - b.rx_bytes,
                                s.tx_bytes - b.tx_bytes};
        }
        return delta;
    }

    struct Outcome {
        bpftest::RunResult run;
        Moved moved;
        bool replayed = false;
        bool stored = false;
    };
    Outcome send(uint32_t ifindex, uint32_t module, const Bytes &packet) {
        const auto before = counters();
        const uint64_t hits = h_->flowCounter(IOV_FLOW_HIT), stored = h_->flowCounter(IOV_FLOW_STORED);
        Outcome o;
        o.run = h_->runFromNetdev(module, ifindex, packet);
        EXPECT_EQ(o.run.rc, 0);
        o.moved = moved(before);
        o.replayed = h_->flowCounter(IOV_FLOW_HIT) == hits + 1;
        o.stored = h_->flowCounter(IOV_FLOW_STORED) == stored + 1;
        return o;
    }

    // The walk stores the flow, the next packet is replayed: same verdict,
    // same bytes (`expected`), same counters.
    void expectWalkThenReplay(uint32_t ifindex, uint32_t module, const Bytes &in, const Bytes &expected) {
        auto walk = send(ifindex, module, in);
        EXPECT_FALSE(walk.replayed);
        EXPECT_TRUE(walk.stored) << "the walk was not stored";
        EXPECT_EQ(walk.run.verdict, kRedirect);
        EXPECT_EQ(hex(walk.run.out), hex(expected));
        auto replay = send(ifindex, module, in);
        EXPECT_TRUE(replay.replayed) << "the second packet walked again";
        EXPECT_EQ(replay.run.verdict, kRedirect);
        EXPECT_EQ(hex(replay.run.out), hex(expected));
        EXPECT_EQ(replay.moved, walk.moved) << "a replay must move the counters its walk moved";
    }

    std::unique_ptr<bpftest::ModuleHarness> h_;
    std::unique_ptr<hover::L2Switch> sw_, sw3_, sw5_;
    std::unique_ptr<hover::Router> rt_;
    std::unique_ptr<hover::Nat> nat_;
    uint32_t host1_ = 0, gw_ = 0;
};

TEST_P(FlowCacheTest, SameSwitchUnicastIsReplayedUnchanged) {
    const Bytes p = udpFrom(kH2, kH1, "10.0.0.1", "10.0.0.2", 1000, 2000);
    expectWalkThenReplay(host1_, kSw, p, p);
    // Another packet of the flow (other payload, IP id, TTL) replays too.
    const Bytes other = udpFrom(kH2, kH1, "10.0.0.1", "10.0.0.2", 1000, 2000, 9, 0x4321, 40);
    auto r = send(host1_, kSw, other);
    EXPECT_TRUE(r.replayed);
    EXPECT_EQ(hex(r.run.out), hex(other));
}

TEST_P(FlowCacheTest, RoutedFlowGetsTheRoutersRewrites) {
    expectWalkThenReplay(host1_, kSw, udpFrom(kR0, kH1, "10.0.0.1", "10.0.1.2", 1000, 2000),
                         udpFrom(kH2, kR1, "10.0.0.1", "10.0.1.2", 1000, 2000, 63));
    // TTL 9 leaves with 8, checksums right for this packet's own header.
    auto r = send(host1_, kSw, udpFrom(kR0, kH1, "10.0.0.1", "10.0.1.2", 1000, 2000, 9, 0x7777, 30));
    EXPECT_TRUE(r.replayed);
    EXPECT_EQ(hex(r.run.out), hex(udpFrom(kH2, kR1, "10.0.0.1", "10.0.1.2", 1000, 2000, 8, 0x7777, 30)));
}

TEST_P(FlowCacheTest, SnatAcrossTheWholeChainWithItsChecksums) {
    // New connection: not stored (the connection is made by the walk).
    const Bytes first = udpFrom(kR0, kH1, "10.0.0.1", "8.8.8.8", 1000, 53);
    auto created = send(host1_, kSw, first);
    EXPECT_FALSE(created.stored) << "a packet that created a connection must not be replayed";
    ASSERT_EQ(created.run.verdict, kRedirect);
    const uint16_t port = created.run.out[34] << 8 | created.run.out[35];
    EXPECT_NE(port, 1000) << "port 1000 is outside the SNAT range: rewritten";
    expectWalkThenReplay(host1_, kSw, first, udpFrom(kGw, kR2, "172.24.4.1", "8.8.8.8", port, 53, 63));
    // Another packet of the flow, different header and payload.
    auto r = send(host1_, kSw, udpFrom(kR0, kH1, "10.0.0.1", "8.8.8.8", 1000, 53, 200, 0xabcd, 100));
    EXPECT_TRUE(r.replayed);
    EXPECT_EQ(hex(r.run.out), hex(udpFrom(kGw, kR2, "172.24.4.1", "8.8.8.8", port, 53, 199, 0xabcd, 100)));
    // And the replies, entering at the gateway's netdev.
    const Bytes reply = udpFrom(kR2, kGw, "8.8.8.8", "172.24.4.1", 53, port);
    expectWalkThenReplay(gw_, kSw5, reply, udpFrom(kH1, kR0, "8.8.8.8", "10.0.0.1", 53, 1000, 63));
}

TEST_P(FlowCacheTest, TcpWithItsSourcePortKeptAndUdpWithoutChecksum) {
    const Bytes syn = tcpFrom(kR0, kH1, "10.0.0.1", "1.1.1.1", 40000, 443);
    send(host1_, kSw, syn);  // creates the connection
    expectWalkThenReplay(host1_, kSw, syn, tcpFrom(kGw, kR2, "172.24.4.1", "1.1.1.1", 40000, 443, 63));
    const Bytes no_csum = udpFrom(kR0, kH1, "10.0.0.1", "9.9.9.9", 40001, 53, 64, 0x1234, 18, true);
    send(host1_, kSw, no_csum);
    expectWalkThenReplay(host1_, kSw, no_csum,
                         udpFrom(kGw, kR2, "172.24.4.1", "9.9.9.9", 40001, 53, 63, 0x1234, 18, true));
}

TEST_P(FlowCacheTest, PingThroughSnatTranslatesTheEchoId) {
    const Bytes ping = pingFrom(kR0, kH1, "10.0.0.1", "8.8.4.4", 8, 77);
    auto created = send(host1_, kSw, ping);
    ASSERT_EQ(created.run.verdict, kRedirect);
    const uint16_t id = created.run.out[38] << 8 | created.run.out[39];
    expectWalkThenReplay(host1_, kSw, ping, pingFrom(kGw, kR2, "172.24.4.1", "8.8.4.4", 8, id, 63));
    expectWalkThenReplay(gw_, kSw5, pingFrom(kR2, kGw, "8.8.4.4", "172.24.4.1", 0, id),
                         pingFrom(kH1, kR0, "8.8.4.4", "10.0.0.1", 0, 77, 63));
}

TEST_P(FlowCacheTest, FloatingIpFromOutside) {
    const Bytes in = udpFrom(kR2, kGw, "8.8.8.8", "172.24.4.50", 5000, 22);
    expectWalkThenReplay(gw_, kSw5, in, udpFrom(kH2, kR0, "8.8.8.8", "10.0.0.2", 5000, 22, 63));
}

TEST_P(FlowCacheTest, TableAndLinkChangesStopTheReplay) {
    const Bytes p = udpFrom(kR0, kH1, "10.0.0.1", "10.0.1.2", 1000, 2000);
    expectWalkThenReplay(host1_, kSw, p, udpFrom(kH2, kR1, "10.0.0.1", "10.0.1.2", 1000, 2000, 63));
    // The neighbour gets a new MAC: the next packet walks and uses it.
    ASSERT_TRUE(rt_->addNeighbor(ip4("10.0.1.2"), kH3).ok());
    ASSERT_TRUE(sw3_->addFdb(kH3, 0).ok());
    auto after = send(host1_, kSw, p);
    EXPECT_FALSE(after.replayed);
    EXPECT_EQ(hex(after.run.out), hex(udpFrom(kH3, kR1, "10.0.0.1", "10.0.1.2", 1000, 2000, 63)));
    // A disabled port drops from the next packet on, counted.
    EXPECT_TRUE(send(host1_, kSw, p).replayed);
    hover::L2PortSettings disabled;
    disabled.enabled = false;
    ASSERT_TRUE(sw3_->setPort(0, disabled).ok());
    auto dropped = send(host1_, kSw, p);
    EXPECT_FALSE(dropped.replayed);
    EXPECT_EQ(dropped.run.verdict, kShot);
    EXPECT_EQ(h_->drops(kSw3, IOV_DROP_PORT_DISABLED), 1u);
    // Unlinking the router from sw3 stops it too.
    ASSERT_TRUE(sw3_->setPort(0, {}).ok());
    EXPECT_TRUE(send(host1_, kSw, p).stored);
    EXPECT_TRUE(send(host1_, kSw, p).replayed);
    ASSERT_TRUE(h_->module(kRt).disconnect(1).ok());
    auto unlinked = send(host1_, kSw, p);
    EXPECT_FALSE(unlinked.replayed);
    EXPECT_EQ(unlinked.run.verdict, kShot);
}

TEST_P(FlowCacheTest, AMacThatMovesStopsTheReplay) {
    // Ports 1 and 3 learn; H3 is learned on port 3, flows to it are stored.
    hover::L2PortSettings learning;
    learning.learn = true;
    ASSERT_TRUE(sw_->setPort(1, learning).ok());
    const Bytes from_h3 = udpFrom(kH1, kH3, "10.0.0.3", "10.0.0.1", 7, 7);
    ASSERT_EQ(h_->runOnPort(kSw, 3, from_h3).verdict, kRedirect);
    const Bytes to_h3 = udpFrom(kH3, kH1, "10.0.0.1", "10.0.0.3", 1000, 2000);
    expectWalkThenReplay(host1_, kSw, to_h3, to_h3);
    EXPECT_EQ(send(host1_, kSw, to_h3).moved.count({kSw, 3}), 1u);
    // H3 moves to port 1: the datapath learns it there, and the flow follows
    // from the next packet on.
    ASSERT_EQ(h_->runOnPort(kSw, 1, from_h3).verdict, kRedirect);
    auto moved = send(host1_, kSw, to_h3);
    EXPECT_FALSE(moved.replayed);
    EXPECT_EQ(moved.moved.count({kSw, 1}), 1u) << "goes to port 1 now";
    EXPECT_EQ(moved.moved.count({kSw, 3}), 0u);
}

TEST_P(FlowCacheTest, TtlThatWouldExpireWalksToTheRouter) {
    const Bytes p = udpFrom(kR0, kH1, "10.0.0.1", "10.0.1.2", 1000, 2000);
    expectWalkThenReplay(host1_, kSw, p, udpFrom(kH2, kR1, "10.0.0.1", "10.0.1.2", 1000, 2000, 63));
    auto expiring = send(host1_, kSw, udpFrom(kR0, kH1, "10.0.0.1", "10.0.1.2", 1000, 2000, 1));
    EXPECT_FALSE(expiring.replayed);
    EXPECT_EQ(expiring.moved.count({kSw3, 0}), 0u) << "a TTL-1 packet must not be forwarded";
    EXPECT_EQ(h_->drops(kRt, IOV_DROP_TTL_EXCEEDED), 1u);
}

TEST_P(FlowCacheTest, MalformedPacketsOfACachedFlowAreNotReplayed) {
    const Bytes p = udpFrom(kH2, kH1, "10.0.0.1", "10.0.0.2", 1000, 2000);
    expectWalkThenReplay(host1_, kSw, p, p);
    // IPv4 total length past the packet: dropped and counted by the walk.
    Bytes bad_len = p;
    bad_len[16] = 0x05;
    auto r = send(host1_, kSw, bad_len);
    EXPECT_FALSE(r.replayed);
    EXPECT_EQ(r.run.verdict, kShot);
    EXPECT_EQ(h_->drops(kSw, IOV_DROP_BAD_IP_LEN), 1u);
    // A fragment of the same addresses and ports walks (and is forwarded by
    // the switch, which does not look at L4).
    Bytes fragment = p;
    fragment[20] = 0x20;  // more fragments
    EXPECT_FALSE(send(host1_, kSw, fragment).replayed);
}

TEST_P(FlowCacheTest, FloodsAndRepliesAreNeverStored) {
    const Bytes unknown = udpFrom(mac("02:00:00:00:00:99"), kH1, "10.0.0.1", "10.0.0.99", 1000, 2000);
    EXPECT_FALSE(send(host1_, kSw, unknown).stored);
    EXPECT_FALSE(send(host1_, kSw, unknown).replayed);
    const Bytes echo_router = pingFrom(kR0, kH1, "10.0.0.1", "10.0.0.254", 8, 5);
    EXPECT_FALSE(send(host1_, kSw, echo_router).stored);
    EXPECT_FALSE(send(host1_, kSw, echo_router).replayed);
}

TEST_P(FlowCacheTest, ARecordExpiresAfterASecond) {
    const Bytes p = udpFrom(kH2, kH1, "10.0.0.1", "10.0.0.2", 1000, 2000);
    expectWalkThenReplay(host1_, kSw, p, p);
    usleep((IOV_FLOW_MAX_AGE_NS / 1000) + 100000);
    auto r = send(host1_, kSw, p);
    EXPECT_FALSE(r.replayed);
    EXPECT_TRUE(r.stored);
}

INSTANTIATE_TEST_SUITE_P(Hook, FlowCacheTest, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp),
                         [](const auto &info) { return std::string(hover::attachModeName(info.param)); });

}  // namespace
