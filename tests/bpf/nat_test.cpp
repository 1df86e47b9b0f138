// nat fixtures: SNAT, DNAT, floating IPs, connection tracking, checksums.
// Expected packets are rebuilt with the packet builder, whose checksums are
// computed from scratch: byte equality proves the incremental updates.
#include "hover/nat.h"
#include "module_harness.h"

namespace {

using namespace testsupport;
using bpftest::kRedirect;
using bpftest::kShot;

const Mac kRouter = mac("02:00:00:00:aa:01"), kGw = mac("02:00:00:00:00:64");
constexpr uint32_t kInside = NAT_PORT_INSIDE, kOutside = NAT_PORT_OUTSIDE;

uint16_t srcPort(const Bytes &frame) { return frame[34] << 8 | frame[35]; }
uint16_t echoId(const Bytes &frame) { return frame[38] << 8 | frame[39]; }

Bytes udpOut(const std::string &src, uint16_t sport, const std::string &dst, uint16_t dport) {
    return eth(kGw, kRouter, kEthIp, ipv4(ip4(src), ip4(dst), 17, udp(ip4(src), ip4(dst), sport, dport)));
}
Bytes udpIn(const std::string &src, uint16_t sport, const std::string &dst, uint16_t dport) {
    return eth(kRouter, kGw, kEthIp, ipv4(ip4(src), ip4(dst), 17, udp(ip4(src), ip4(dst), sport, dport)));
}
Bytes tcpIn(const std::string &src, uint16_t sport, const std::string &dst, uint16_t dport, uint8_t flags) {
    return eth(kRouter, kGw, kEthIp, ipv4(ip4(src), ip4(dst), 6, tcp(ip4(src), ip4(dst), sport, dport, flags)));
}
Bytes tcpOut(const std::string &src, uint16_t sport, const std::string &dst, uint16_t dport, uint8_t flags) {
    return eth(kGw, kRouter, kEthIp, ipv4(ip4(src), ip4(dst), 6, tcp(ip4(src), ip4(dst), sport, dport, flags)));
}
Bytes pingOut(const std::string &src, const std::string &dst, uint8_t type, uint16_t id) {
    return eth(kGw, kRouter, kEthIp, ipv4(ip4(src), ip4(dst), 1, icmpEcho(type, id, 1)));
}
Bytes pingIn(const std::string &src, const std::string &dst, uint8_t type, uint16_t id) {
    return eth(kRouter, kGw, kEthIp, ipv4(ip4(src), ip4(dst), 1, icmpEcho(type, id, 1)));
}

// nat (module 1): snat 10.0.0.0/24 -> 172.24.4.10, floating IP 172.24.4.50
// <-> 10.0.0.5, dnat 172.24.4.80 -> 10.0.0.8.
class NatTest : public ::testing::TestWithParam<hover::AttachMode> {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        harness_ = std::make_unique<bpftest::ModuleHarness>(GetParam());
        nat_ = std::make_unique<hover::Nat>(harness_->load("nat", 1));
        harness_->netdevPort(1, kInside);
        harness_->netdevPort(1, kOutside);
        ASSERT_TRUE(nat_->addSnat({ip4("10.0.0.0"), 24}, ip4("172.24.4.10")).ok());
        ASSERT_TRUE(nat_->addDnatAndSnat(ip4("172.24.4.50"), ip4("10.0.0.5")).ok());
        ASSERT_TRUE(nat_->addDnat(ip4("172.24.4.80"), ip4("10.0.0.8")).ok());
        ASSERT_TRUE(nat_->addArpExternal(ip4("172.24.4.50"), mac("fa:16:3e:00:00:50")).ok());
    }

    bpftest::RunResult run(uint32_t port, const Bytes &in, uint32_t expect_out_port) {
        const uint64_t before = harness_->txPackets(1, expect_out_port);
        auto r = harness_->runOnPort(1, port, in);
        EXPECT_EQ(r.rc, 0);
        EXPECT_EQ(r.verdict, kRedirect);
        EXPECT_EQ(harness_->txPackets(1, expect_out_port), before + 1) << "expected out of port " << expect_out_port;
        return r;
    }

    std::unique_ptr<bpftest::ModuleHarness> harness_;
    std::unique_ptr<hover::Nat> nat_;
};

TEST_P(NatTest, SnatUdpAndItsReply) {
    auto out = run(kInside, udpOut("10.0.0.1", 1000, "8.8.8.8", 53), kOutside);
    const uint16_t port = srcPort(out.out);
    EXPECT_GE(port, 1024);
    EXPECT_EQ(hex(out.out), hex(udpOut("172.24.4.10", port, "8.8.8.8", 53)));
    auto back = run(kOutside, udpIn("8.8.8.8", 53, "172.24.4.10", port), kInside);
    EXPECT_EQ(hex(back.out), hex(udpIn("8.8.8.8", 53, "10.0.0.1", 1000)));
    // Later packets of the connection reuse the port.
    auto again = run(kInside, udpOut("10.0.0.1", 1000, "8.8.8.8", 53), kOutside);
    EXPECT_EQ(srcPort(again.out), port);
}

TEST_P(NatTest, SnatTcp) {
    auto syn = run(kInside, tcpOut("10.0.0.1", 40000, "1.1.1.1", 443, 0x02), kOutside);
    const uint16_t port = srcPort(syn.out);
    EXPECT_EQ(port, 40000) << "an ephemeral port is kept when free";
    EXPECT_EQ(hex(syn.out), hex(tcpOut("172.24.4.10", port, "1.1.1.1", 443, 0x02)));
    auto synack = run(kOutside, tcpIn("1.1.1.1", 443, "172.24.4.10", port, 0x12), kInside);
    EXPECT_EQ(hex(synack.out), hex(tcpIn("1.1.1.1", 443, "10.0.0.1", 40000, 0x12)));
}

TEST_P(NatTest, SnatPingTranslatesTheEchoId) {
    auto req = run(kInside, pingOut("10.0.0.1", "9.9.9.9", 8, 77), kOutside);
    const uint16_t id = echoId(req.out);
    EXPECT_EQ(hex(req.out), hex(pingOut("172.24.4.10", "9.9.9.9", 8, id)));
    auto reply = run(kOutside, pingIn("9.9.9.9", "172.24.4.10", 0, id), kInside);
    EXPECT_EQ(hex(reply.out), hex(pingIn("9.9.9.9", "10.0.0.1", 0, 77)));
}

TEST_P(NatTest, TwoHostsWithTheSamePortGetDifferentExternalPorts) {
    auto a = run(kInside, udpOut("10.0.0.1", 5000, "8.8.8.8", 53), kOutside);
    auto b = run(kInside, udpOut("10.0.0.2", 5000, "8.8.8.8", 53), kOutside);
    EXPECT_EQ(srcPort(a.out), 5000) << "the first keeps its own port (it is free and in range)";
    EXPECT_NE(srcPort(a.out), srcPort(b.out));
    auto back_b = run(kOutside, udpIn("8.8.8.8", 53, "172.24.4.10", srcPort(b.out)), kInside);
    EXPECT_EQ(hex(back_b.out), hex(udpIn("8.8.8.8", 53, "10.0.0.2", 5000)));
}

TEST_P(NatTest, ExhaustedPortRangeIsACountedDrop) {
    ASSERT_TRUE(nat_->addSnat({ip4("10.0.0.0"), 24}, ip4("172.24.4.10"), 2000, 2000).ok());
    auto first = run(kInside, udpOut("10.0.0.1", 1, "8.8.8.8", 53), kOutside);
    EXPECT_EQ(srcPort(first.out), 2000);
    auto second = harness_->runOnPort(1, kInside, udpOut("10.0.0.2", 1, "8.8.8.8", 53));
    EXPECT_EQ(second.verdict, kShot);
    EXPECT_EQ(harness_->drops(1, IOV_DROP_NAT_NO_PORT), 1u);
}

TEST_P(NatTest, FloatingIpBothWays) {
    auto in = run(kOutside, tcpIn("203.0.113.9", 5555, "172.24.4.50", 22, 0x02), kInside);
    EXPECT_EQ(hex(in.out), hex(tcpIn("203.0.113.9", 5555, "10.0.0.5", 22, 0x02)));
    auto out = run(kInside, tcpOut("10.0.0.5", 22, "203.0.113.9", 5555, 0x12), kOutside);
    EXPECT_EQ(hex(out.out), hex(tcpOut("172.24.4.50", 22, "203.0.113.9", 5555, 0x12)));
    // Connections the floating-IP host starts keep their port too (1:1).
    auto started = run(kInside, udpOut("10.0.0.5", 7777, "8.8.8.8", 53), kOutside);
    EXPECT_EQ(hex(started.out), hex(udpOut("172.24.4.50", 7777, "8.8.8.8", 53)));
}

TEST_P(NatTest, DnatAndItsReplies) {
    auto in = run(kOutside, tcpIn("203.0.113.9", 6000, "172.24.4.80", 80, 0x02), kInside);
    EXPECT_EQ(hex(in.out), hex(tcpIn("203.0.113.9", 6000, "10.0.0.8", 80, 0x02)));
    auto reply = run(kInside, tcpOut("10.0.0.8", 80, "203.0.113.9", 6000, 0x12), kOutside);
    EXPECT_EQ(hex(reply.out), hex(tcpOut("172.24.4.80", 80, "203.0.113.9", 6000, 0x12)));
}

TEST_P(NatTest, UntranslatedTrafficPassesThrough) {
    // To the router's own external address, no connection: handed inside as is.
    auto in = run(kOutside, pingIn("203.0.113.9", "172.24.4.10", 8, 1), kInside);
    EXPECT_EQ(hex(in.out), hex(pingIn("203.0.113.9", "172.24.4.10", 8, 1)));
    // From an inside address no rule covers.
    auto out = run(kInside, udpOut("192.168.9.9", 1, "8.8.8.8", 53), kOutside);
    EXPECT_EQ(hex(out.out), hex(udpOut("192.168.9.9", 1, "8.8.8.8", 53)));
}

TEST_P(NatTest, FragmentsThatNeedPortsAreDropped) {
    Ipv4Options frag;
    frag.frag_off = 0x2000;  // first fragment, more to come
    const uint32_t s = ip4("10.0.0.1"), d = ip4("8.8.8.8");
    auto r = harness_->runOnPort(1, kInside, eth(kGw, kRouter, kEthIp, ipv4(s, d, 17, udp(s, d, 1, 53), frag)));
    EXPECT_EQ(r.verdict, kShot);
    EXPECT_EQ(harness_->drops(1, IOV_DROP_FRAGMENT), 1u);
}

TEST_P(NatTest, OtherProtocolsCannotBeSnatted) {
    const uint32_t s = ip4("10.0.0.1"), d = ip4("8.8.8.8");
    auto r = harness_->runOnPort(1, kInside, eth(kGw, kRouter, kEthIp, ipv4(s, d, 47 /* GRE */, Bytes(8))));
    EXPECT_EQ(r.verdict, kShot);
    EXPECT_EQ(harness_->drops(1, IOV_DROP_NAT_PROTO), 1u);
}

TEST_P(NatTest, AnswersArpForFloatingIpsOutside) {
    const Mac fip_mac = mac("fa:16:3e:00:00:50");
    auto r = run(kOutside, arpRequest(kGw, "172.24.4.1", "172.24.4.50"), kOutside);
    EXPECT_EQ(hex(r.out), hex(eth(kGw, fip_mac, kEthArp, arp(2, fip_mac, ip4("172.24.4.50"), kGw, ip4("172.24.4.1")))));
    // Other ARP crosses the module untouched.
    auto other = run(kOutside, arpRequest(kGw, "172.24.4.1", "172.24.4.10"), kInside);
    EXPECT_EQ(hex(other.out), hex(arpRequest(kGw, "172.24.4.1", "172.24.4.10")));
}

TEST_P(NatTest, ConnectionsAreVisible) {
    run(kInside, udpOut("10.0.0.1", 1000, "8.8.8.8", 53), kOutside);
    auto conns = nat_->connections();
    ASSERT_TRUE(conns.ok());
    EXPECT_EQ(conns->size(), 2u) << "one entry per direction";
}

// An inside address routed from outside (no NAT rule for it) is reached as
// it is, and its replies leave as they are: SNAT is for connections from
// inside, as in OVN. New connections from inside are still SNATed.
TEST_P(NatTest, RoutedInboundConnectionsAreAnsweredUntranslated) {
    const Bytes in = udpIn("8.8.8.8", 53, "10.0.0.1", 1000);
    EXPECT_EQ(run(kOutside, in, kInside).out, in);
    const Bytes reply = udpOut("10.0.0.1", 1000, "8.8.8.8", 53);
    EXPECT_EQ(run(kInside, reply, kOutside).out, reply) << "the reply is not SNATed";
    const Bytes ping_in = pingIn("8.8.8.8", "10.0.0.1", 8, 77);
    EXPECT_EQ(run(kOutside, ping_in, kInside).out, ping_in);
    const Bytes pong = pingOut("10.0.0.1", "8.8.8.8", 0, 77);
    EXPECT_EQ(run(kInside, pong, kOutside).out, pong);
    auto fresh = run(kInside, udpOut("10.0.0.1", 1001, "8.8.8.8", 53), kOutside);
    EXPECT_EQ(Bytes(fresh.out.begin() + 26, fresh.out.begin() + 30), Bytes({172, 24, 4, 10}))
        << "a connection from inside is still SNATed";
    // An unsolicited echo reply from outside opens nothing: the inside's
    // own ping with that id is SNATed.
    run(kOutside, pingIn("8.8.8.8", "10.0.0.2", 0, 99), kInside);
    auto ping = run(kInside, pingOut("10.0.0.2", "8.8.8.8", 8, 99), kOutside);
    EXPECT_EQ(Bytes(ping.out.begin() + 26, ping.out.begin() + 30), Bytes({172, 24, 4, 10}));
}

// Two nat instances share the hook's one connection table, each in its own
// zone: the same 5-tuple is two connections, translated each its own way.
TEST_P(NatTest, InstancesShareOneConnectionTableInTheirOwnZones) {
    hover::Nat other(harness_->load("nat", 2));
    harness_->netdevPort(2, kInside);
    harness_->netdevPort(2, kOutside);
    ASSERT_TRUE(other.addSnat({ip4("10.0.0.0"), 24}, ip4("172.24.4.20")).ok());
    const Bytes out = udpOut("10.0.0.1", 1000, "8.8.8.8", 53);
    auto first = run(kInside, out, kOutside);
    auto r = harness_->runOnPort(2, kInside, out);
    ASSERT_EQ(r.verdict, kRedirect);
    EXPECT_EQ(Bytes(first.out.begin() + 26, first.out.begin() + 30), Bytes({172, 24, 4, 10}));
    EXPECT_EQ(Bytes(r.out.begin() + 26, r.out.begin() + 30), Bytes({172, 24, 4, 20})) << "zone 2's own rule";
    auto mine = nat_->connections(), theirs = other.connections();
    ASSERT_TRUE(mine.ok() && theirs.ok());
    ASSERT_EQ(mine->size(), 2u);
    ASSERT_EQ(theirs->size(), 2u);
    for (const auto &c : *mine) EXPECT_EQ(c.key.zone, 1u);
    for (const auto &c : *theirs) EXPECT_EQ(c.key.zone, 2u);
    auto fill = harness_->chain().conntrackFill();
    ASSERT_TRUE(fill.ok()) << fill.error().message;
    EXPECT_EQ(fill->entries, 4u);
    EXPECT_EQ(fill->zones, (std::map<uint32_t, uint64_t>{{1, 2}, {2, 2}}));
    EXPECT_EQ(fill->max_entries, static_cast<uint32_t>(IOV_CT_DEFAULT_ENTRIES));
    // The reply to instance 2's connection is un-SNATed by instance 2 only.
    auto back = harness_->runOnPort(1, kOutside, udpIn("8.8.8.8", 53, "172.24.4.20", srcPort(r.out)));
    EXPECT_EQ(Bytes(back.out.begin() + 30, back.out.begin() + 34), Bytes({172, 24, 4, 20}))
        << "instance 1 does not know instance 2's connection";
}

// The nat tables are the hook's, shared by the instances under their module
// ids: each instance sees only its own rules, and one that goes takes its
// entries along.
TEST_P(NatTest, InstancesKeepTheirOwnRulesInTheSharedTables) {
    hover::Nat other(harness_->load("nat", 2));
    harness_->netdevPort(2, kInside);
    harness_->netdevPort(2, kOutside);
    ASSERT_TRUE(other.addDnatAndSnat(ip4("172.24.4.50"), ip4("10.0.0.99")).ok());
    const Bytes in = udpIn("8.8.8.8", 53, "172.24.4.50", 4000);
    EXPECT_EQ(hex(run(kOutside, in, kInside).out), hex(udpIn("8.8.8.8", 53, "10.0.0.5", 4000)));
    auto theirs = harness_->runOnPort(2, kOutside, in);
    EXPECT_EQ(hex(theirs.out), hex(udpIn("8.8.8.8", 53, "10.0.0.99", 4000))) << "instance 2's own floating IP";
    auto fip_in = harness_->module(2).tableMap(hover::model::nat::kFipIn.desc.name);
    ASSERT_TRUE(fip_in.ok()) << fip_in.error().message;
    auto entriesOf = [&](uint32_t module) {
        hover::TableMap view = *fip_in;
        view.module = module;
        int n = 0;
        Bytes key(8), next(8);
        for (const void *prev = nullptr; bpf_map_get_next_key(view.fd, prev, next.data()) == 0; prev = key.data()) {
            key = next;
            n += view.tableKey(key).has_value();
        }
        return n;
    };
    EXPECT_EQ(entriesOf(1), 1);
    EXPECT_EQ(entriesOf(2), 1);
    ASSERT_TRUE(harness_->module(2).remove().ok());
    EXPECT_EQ(entriesOf(2), 0) << "a removed instance leaves nothing in the shared tables";
    EXPECT_EQ(entriesOf(1), 1);
    EXPECT_EQ(hex(run(kOutside, in, kInside).out), hex(udpIn("8.8.8.8", 53, "10.0.0.5", 4000)));
}

// Every fixture runs the TC and the XDP build of the module.
INSTANTIATE_TEST_SUITE_P(Hook, NatTest, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp),
                         [](const auto &info) { return info.param == hover::AttachMode::kXdp ? "xdp" : "tc"; });

}  // namespace
