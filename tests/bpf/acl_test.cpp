// ACL stage fixtures (bpf/lib/acl.h): packet in -> verdict -> packet out ->
// counters, on the TC and the XDP build. Policies are written in OVN's match
// language and compiled as the controller does (controller/src/acl_match.h).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <tuple>
#include <set>
#include <thread>

#include "acl_match.h"
#include "hover/l2switch.h"
#include "switch_fixture.h"

namespace {

using namespace testsupport;
namespace acl = hover::model::acl;
using bpftest::kRedirect;
using bpftest::kShot;

const Mac kMac1 = mac("02:00:00:00:00:01"), kMac2 = mac("02:00:00:00:00:02"), kMac3 = mac("02:00:00:00:00:03");
const std::map<std::string, std::vector<std::string>> kGroups = {{"pg_web", {"vm2"}}, {"neutron_pg_drop", {"vm2"}}};
const std::map<std::string, std::vector<std::string>> kSets = {{"admins", {"10.0.0.3"}}};
const char *kPortNames[] = {"vm1", "vm2", "vm3"};

Bytes tcpFrame(const Mac &dst, const Mac &src, const std::string &from, const std::string &to, uint16_t sport,
               uint16_t dport, uint8_t flags) {
    return eth(dst, src, kEthIp, ipv4(ip4(from), ip4(to), 6, tcp(ip4(from), ip4(to), sport, dport, flags, 1000)));
}
// vm1's ARP reply to vm2: unicast, not IP.
Bytes arpReply() { return eth(kMac2, kMac1, kEthArp, arp(2, kMac1, ip4("10.0.0.1"), kMac2, ip4("10.0.0.2"))); }
constexpr uint8_t kSyn = 0x02, kAck = 0x10, kRst = 0x04;

// A switch (module 1) of three VIF ports: vm1 (port 0, 10.0.0.1), vm2 (port
// 1, 10.0.0.2: the guarded one), vm3 (port 2, 10.0.0.3).
class AclTest : public bpftest::SwitchFixture {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_TOOL("ip", "iproute2");
        startSwitch({kMac1, kMac2, kMac3});
    }

    // Every port's policies from `acls` (as translate_acl does), tracked
    // connections if `track`; `log`: every ACL logs, in bucket `meter`.
    void setAcls(const std::vector<ctl::acl::AclText> &acls, bool track, bool log = false, uint16_t meter = 0) {
        std::map<acl::Policy, uint32_t> ids;
        std::map<uint32_t, acl::Policy> policies;
        std::map<uint32_t, hover::PortAcls> ports;
        for (uint32_t port = 0; port < 3; ++port) {
            ports[port].track = track;
            for (uint8_t dir : {uint8_t(ACL_DIR_FROM_LPORT), uint8_t(ACL_DIR_TO_LPORT)}) {
                auto policy = ctl::acl::policyFor(acls, kPortNames[port], dir, {&kGroups, &kSets});
                ASSERT_TRUE(policy.ok()) << policy.error().message;
                if (policy->rules.empty()) continue;
                for (auto &rule : policy->rules) std::tie(rule.log, rule.meter) = std::make_pair(log, meter);
                const uint32_t id = ids.emplace(*policy, uint32_t(ids.size() + 1)).first->second;
                policies[id] = *policy;
                (dir == ACL_DIR_FROM_LPORT ? ports[port].from : ports[port].to) = id;
            }
        }
        ASSERT_TRUE(sw_->setAcls(policies, ports).ok());
    }

    // Packets ACL number `acl` decided (acl_hits, summed over CPUs).
    uint64_t hits(uint32_t acl) {
        const acl_hit_mkey key{1, acl};
        std::vector<uint64_t> per_cpu(libbpf_num_possible_cpus());
        if (bpf_map_lookup_elem(harness_->chain().fdOf("acl_hits"), &key, per_cpu.data()) != 0) return 0;
        uint64_t n = 0;
        for (uint64_t v : per_cpu) n += v;
        return n;
    }

    // Neutron's shape: vm2 in neutron_pg_drop (drop IP both ways at 1001)
    // and pg_web (allow-related out, in: TCP 22 and anything from admins).
    void neutronGroups(const std::string &inbound = "outport == @pg_web && ip4 && tcp && tcp.dst == 22") {
        setAcls({{1001, ACL_DROP, ACL_DIR_TO_LPORT, "outport == @neutron_pg_drop && ip"},
                 {1001, ACL_DROP, ACL_DIR_FROM_LPORT, "inport == @neutron_pg_drop && ip"},
                 {1002, ACL_ALLOW_RELATED, ACL_DIR_FROM_LPORT, "inport == @pg_web && ip4"},
                 {1002, ACL_ALLOW_RELATED, ACL_DIR_TO_LPORT, inbound},
                 {1002, ACL_ALLOW_RELATED, ACL_DIR_TO_LPORT, "outport == @pg_web && ip4 && ip4.src == $admins"}},
                true);
    }

};

TEST_P(AclTest, StatelessAclsDecideByPriority) {
    setAcls({{100, ACL_DROP, ACL_DIR_TO_LPORT, "ip4 && tcp.dst == 22"},
             {200, ACL_ALLOW, ACL_DIR_TO_LPORT, "ip4.src == 10.0.0.3 && tcp.dst == 22"}},
            false);
    expectDropped(0, tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 40000, 22, kSyn), IOV_DROP_ACL_DROP, "tcp 22");
    expectForwarded(0, tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 40000, 80, kSyn), 1, "no ACL matches: allowed");
    expectForwarded(2, tcpFrame(kMac2, kMac3, "10.0.0.3", "10.0.0.2", 40000, 22, kSyn), 1, "higher priority allow");
    EXPECT_EQ(hits(1), 1u) << "the drop decided one packet";
    EXPECT_EQ(hits(2), 1u) << "the allow one";
    expectForwarded(0, arpReply(), 1, "non-IP: no ACL matches");
}

TEST_P(AclTest, NeutronSecurityGroupAllowsRelatedBothWays) {
    neutronGroups();
    expectDropped(0, tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 40000, 80, kSyn), IOV_DROP_ACL_DROP, "closed port");
    expectForwarded(0, tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 40000, 22, kSyn), 1, "ssh in");
    expectForwarded(1, tcpFrame(kMac1, kMac2, "10.0.0.2", "10.0.0.1", 22, 40000, kSyn | kAck), 0, "its reply");
    expectForwarded(0, tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 40000, 22, kAck), 1, "established");
    // vm2 opens a connection out; the answer comes back although vm2's
    // inbound ACLs would drop it as a new connection.
    expectForwarded(1, tcpFrame(kMac1, kMac2, "10.0.0.2", "10.0.0.1", 5555, 8080, kSyn), 0, "vm2 out");
    expectForwarded(0, tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 8080, 5555, kSyn | kAck), 1, "reply in");
    expectDropped(0, tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 8081, 5555, kSyn | kAck), IOV_DROP_ACL_DROP,
                  "a reply-looking packet of no connection");
    expectForwarded(2, tcpFrame(kMac2, kMac3, "10.0.0.3", "10.0.0.2", 1, 3306, kSyn), 1, "remote group admins");
}

// As northd (priority 65532): Neighbor Discovery passes every ACL.
TEST_P(AclTest, NeighborDiscoveryPassesEveryAcl) {
    neutronGroups();
    const Ip6 ll1 = iovisor::linkLocal(kMac1), ll2 = iovisor::linkLocal(kMac2);
    auto advert = [&](const Mac &to, const Mac &from, const Ip6 &dst, const Ip6 &src, uint8_t hop_limit) {
        const Bytes na = neighborDiscovery(136, 0x60000000, src, 2, from);
        return eth(to, from, kEthIp6, ipv6(src, dst, 58, na, hop_limit));
    };
    expectForwarded(0, advert(kMac2, kMac1, ll2, ll1, 255), 1, "an advertisement to the guarded port");
    expectForwarded(1, advert(kMac1, kMac2, ll1, ll2, 255), 0, "an advertisement from it");
    expectDropped(0, advert(kMac2, kMac1, ll2, ll1, 64), IOV_DROP_ACL_DROP, "hop limit below 255: not nd");
    const Bytes ping = eth(kMac2, kMac1, kEthIp6, ipv6(ll1, ll2, 58, icmp6(ll1, ll2, {128, 0, 0, 0, 0, 1, 0, 1})));
    expectDropped(0, ping, IOV_DROP_ACL_DROP, "other ICMPv6 meets the ACLs");
}

TEST_P(AclTest, AnAclChangeStopsAnEstablishedConnection) {
    neutronGroups();
    expectForwarded(0, tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 40000, 22, kSyn), 1, "ssh in");
    expectForwarded(1, tcpFrame(kMac1, kMac2, "10.0.0.2", "10.0.0.1", 22, 40000, kSyn | kAck), 0, "its reply");
    neutronGroups("outport == @pg_web && ip4 && tcp && tcp.dst == 2222");  // the rule for 22 is gone
    expectDropped(0, tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 40000, 22, kAck), IOV_DROP_ACL_DROP,
                  "next packet of the connection");
    expectDropped(1, tcpFrame(kMac1, kMac2, "10.0.0.2", "10.0.0.1", 22, 40000, kAck), IOV_DROP_ACL_BLOCKED,
                  "and its replies");
    neutronGroups();  // allowed again: the connection is committed anew
    expectForwarded(0, tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 40000, 22, kAck), 1, "allowed again");
    expectForwarded(1, tcpFrame(kMac1, kMac2, "10.0.0.2", "10.0.0.1", 22, 40000, kAck), 0, "replies too");
}

// Idle timeouts follow the configuration (hoverd --ct-timeout writes
// iov_ct_timeouts): a UDP flow idle past its timeout is a new connection.
TEST_P(AclTest, ConnectionsExpireAfterTheConfiguredTimeout) {
    neutronGroups();
    iov_ct_timeouts timeouts{};
    timeouts.udp = 1;
    const uint32_t zero = 0;
    ASSERT_EQ(bpf_map_update_elem(harness_->chain().fdOf("iov_ct_timeouts"), &zero, &timeouts, BPF_ANY), 0);
    const Bytes out = udpFrame(kMac1, kMac2, "10.0.0.2", "10.0.0.1", 5000, 53);
    const Bytes back = udpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 53, 5000);
    expectForwarded(1, out, 0, "vm2 asks");
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    expectDropped(0, back, IOV_DROP_ACL_DROP, "an answer after the 1 s timeout");
    expectForwarded(1, out, 0, "vm2 asks again");
    expectForwarded(0, back, 1, "a timely answer");
}

TEST_P(AclTest, RelatedIcmpErrorsPass) {
    neutronGroups();
    // vm2 sends UDP to vm1; vm1 answers with port unreachable quoting it.
    const Bytes datagram = udpFrame(kMac1, kMac2, "10.0.0.2", "10.0.0.1", 5000, 53);
    expectForwarded(1, datagram, 0, "udp out");
    Bytes quoted(datagram.begin() + 14, datagram.begin() + 14 + 28);
    Bytes icmp = {3, 3, 0, 0, 0, 0, 0, 0};
    icmp.insert(icmp.end(), quoted.begin(), quoted.end());
    const uint16_t c = inetChecksum(icmp.data(), icmp.size());
    icmp[2] = uint8_t(c >> 8);
    icmp[3] = uint8_t(c);
    expectForwarded(0, eth(kMac2, kMac1, kEthIp, ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), 1, icmp)), 1, "related error");
    Bytes other = icmp;
    other[8 + 12] = 9;  // quotes a datagram from 9.0.0.2: no connection
    expectDropped(0, eth(kMac2, kMac1, kEthIp, ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), 1, other)), IOV_DROP_ACL_DROP,
                  "unrelated error");
}

// TC: each flood copy goes through its port's to-lport ACLs. XDP floods in
// one devmap redirect: ports with to-lport ACLs get no copies (fail closed).
TEST_P(AclTest, FloodCopiesMeetEachPortsAcls) {
    neutronGroups();
    auto broadcast = [](const Mac &src, const std::string &from) {
        return eth(kBroadcast, src, kEthIp, ipv4(ip4(from), ip4("255.255.255.255"), 17,
                                                 udp(ip4(from), ip4("255.255.255.255"), 5353, 5353)));
    };
    if (xdp()) {
        auto r = harness_->runOnPort(1, 0, broadcast(kMac1, "10.0.0.1"));
        ASSERT_EQ(r.rc, 0);
        auto all = harness_->module(1).map<uint32_t, uint32_t>("flood_all");
        ASSERT_TRUE(all.ok());
        const auto keys = all->keys();
        EXPECT_EQ(std::set<uint32_t>(keys.begin(), keys.end()), (std::set<uint32_t>{0, 2})) << "vm2 filtered out";
        return;
    }
    const uint64_t dropped = harness_->drops(1, IOV_DROP_ACL_DROP);
    auto r = harness_->runOnPort(1, 0, broadcast(kMac1, "10.0.0.1"));
    ASSERT_EQ(r.rc, 0);
    EXPECT_EQ(harness_->txPackets(1, 2), 1u) << "vm3 takes it";
    EXPECT_EQ(harness_->txPackets(1, 1), 0u) << "vm2's groups do not let it in";
    EXPECT_EQ(harness_->drops(1, IOV_DROP_ACL_DROP), dropped + 1);
    r = harness_->runOnPort(1, 2, broadcast(kMac3, "10.0.0.3"));
    ASSERT_EQ(r.rc, 0);
    EXPECT_EQ(harness_->txPackets(1, 1), 1u) << "from the admin group it does";
    EXPECT_EQ(harness_->txPackets(1, 0), 1u);
}

// The reply a reject sends back, byte for byte: RST|ACK for a SYN, ICMP port
// unreachable quoting the IP header and 8 bytes for UDP.
TEST_P(AclTest, RejectAnswersFromThePort) {
    setAcls({{100, ACL_REJECT, ACL_DIR_TO_LPORT, "ip4"}}, false);
    const uint64_t rejected = harness_->drops(1, IOV_DROP_ACL_REJECT);
    auto r = harness_->runOnPort(1, 0, tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 40000, 22, kSyn));
    ASSERT_EQ(r.rc, 0);
    EXPECT_EQ(r.verdict, kRedirect);
    EXPECT_EQ(harness_->txPackets(1, 0), 1u) << "back out of the sender's port";
    EXPECT_EQ(harness_->drops(1, IOV_DROP_ACL_REJECT), rejected + 1);
    Bytes rst = tcp(ip4("10.0.0.2"), ip4("10.0.0.1"), 22, 40000, kRst | kAck, 0);
    rst[8] = 0, rst[9] = 0, rst[10] = 0x03, rst[11] = 0xe9;  // ack = 1000 + 1 (the SYN)
    rst[14] = rst[15] = rst[16] = rst[17] = 0;               // window 0, checksum again below
    Ipv4Options o;
    o.ttl = 255;
    o.id = 0;
    Bytes ip = ipv4(ip4("10.0.0.2"), ip4("10.0.0.1"), 6, rst, o);
    uint32_t pseudo = 0;
    for (int i = 12; i < 20; i += 2) pseudo += uint32_t(ip[i] << 8 | ip[i + 1]);
    pseudo += 6 + 20;
    const uint16_t c = inetChecksum(ip.data() + 20, 20, pseudo);
    ip[36] = uint8_t(c >> 8), ip[37] = uint8_t(c);
    EXPECT_EQ(hex(r.out), hex(eth(kMac1, kMac2, kEthIp, ip)));

    const Bytes datagram = udpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 5000, 53);
    r = harness_->runOnPort(1, 0, datagram);
    ASSERT_EQ(r.rc, 0);
    EXPECT_EQ(r.verdict, kRedirect);
    Bytes icmp = {3, 3, 0, 0, 0, 0, 0, 0};
    icmp.insert(icmp.end(), datagram.begin() + 14, datagram.begin() + 14 + 28);
    const uint16_t ic = inetChecksum(icmp.data(), icmp.size());
    icmp[2] = uint8_t(ic >> 8), icmp[3] = uint8_t(ic);
    EXPECT_EQ(hex(r.out), hex(eth(kMac1, kMac2, kEthIp, ipv4(ip4("10.0.0.2"), ip4("10.0.0.1"), 1, icmp, o))));
}

TEST_P(AclTest, WhatCannotBeCompiledFailsClosed) {
    acl::Policy unsupported{{acl::Rule{100, ACL_UNSUPPORTED, 1, {acl::Term{}}}}};
    ASSERT_TRUE(sw_->setAcls({{1, unsupported}}, {{1, {0, 1, false}}}).ok());
    expectDropped(0, tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 40000, 80, kSyn), IOV_DROP_ACL_UNSUPPORTED, "tcp");
    expectDropped(0, arpReply(), IOV_DROP_ACL_UNSUPPORTED, "even ARP");
}

TEST_P(AclTest, MalformedPacketsAreDroppedWithAReason) {
    neutronGroups();
    // TCP claimed, 8 bytes of it: the ports are there, the flags are not.
    Bytes short_tcp = tcp(ip4("10.0.0.1"), ip4("10.0.0.2"), 40000, 22, kSyn, 1000);
    short_tcp.resize(8);
    expectDropped(0, eth(kMac2, kMac1, kEthIp, ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), 6, short_tcp)), IOV_DROP_BAD_L4,
                  "truncated TCP");
}

INSTANTIATE_TEST_SUITE_P(Hook, AclTest, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp));

// ACLs with `log`: each packet they decide reaches the hook's ring (the
// frame's first bytes, the ACL, its action and port), as many as the log
// meter lets through: its burst at once, then its rate.
TEST_P(AclTest, LoggedAclsReachTheRingAtTheirMetersRate) {
    setAcls({{100, ACL_DROP, ACL_DIR_TO_LPORT, "ip4 && tcp.dst == 22"}}, false, true, 1);
    ASSERT_TRUE(sw_->setAclLogs({{1, {"deny-ssh", 1}}}, {{1, acl_meter{2, 3}}}).ok());
    std::vector<acl_log_event> events;
    auto keep = [](void *ctx, void *data, size_t size) {
        auto *out = static_cast<std::vector<acl_log_event> *>(ctx);
        out->emplace_back();
        std::memcpy(&out->back(), data, std::min(size, sizeof(acl_log_event)));
        return 0;
    };
    std::unique_ptr<ring_buffer, void (*)(ring_buffer *)> ring(
        ring_buffer__new(harness_->chain().fdOf("acl_log_ring"), keep, &events, nullptr), ring_buffer__free);
    ASSERT_TRUE(ring);
    (void)ring_buffer__consume(ring.get());  // an earlier test's
    events.clear();
    const Bytes syn = tcpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2", 40000, 22, kSyn);
    for (int i = 0; i < 10; ++i) expectDropped(0, syn, IOV_DROP_ACL_DROP, "ssh");
    ASSERT_GE(ring_buffer__consume(ring.get()), 0);
    ASSERT_EQ(events.size(), 3u) << "the burst: 3 of 10";
    const acl_log_event &e = events[0];
    EXPECT_EQ(e.module, 1u);
    EXPECT_EQ(e.acl, 1u);
    EXPECT_EQ(e.action, ACL_DROP);
    EXPECT_EQ(e.dir, ACL_DIR_TO_LPORT);
    EXPECT_EQ(e.port, 1u) << "judged on its way to vm2";
    ASSERT_EQ(e.len, std::min<size_t>(syn.size(), ACL_LOG_BYTES));
    EXPECT_EQ(Bytes(e.data, e.data + e.len), Bytes(syn.begin(), syn.begin() + e.len)) << "the frame as it came";
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // 2 per second
    events.clear();
    for (int i = 0; i < 10; ++i) expectDropped(0, syn, IOV_DROP_ACL_DROP, "ssh");
    ASSERT_GE(ring_buffer__consume(ring.get()), 0);
    EXPECT_EQ(events.size(), 2u) << "a second at 2 per second";
    ASSERT_TRUE(sw_->setAclLogs({{1, {"deny-ssh", 1}}}, {}).ok());  // bucket 1 has no rate: unmetered
    events.clear();
    for (int i = 0; i < 10; ++i) expectDropped(0, syn, IOV_DROP_ACL_DROP, "ssh");
    ASSERT_GE(ring_buffer__consume(ring.get()), 0);
    EXPECT_EQ(events.size(), 10u);
}

}  // namespace
