// The ACL match compiler (controller/src/acl_match.h) and the classifier
// (hover/model/acl.h), judged against a plain evaluation of the rules on
// packets: each packet's field bytes are laid out as the datapath's
// acl_field_data does (bpf/lib/acl_parse.h), the classifier is looked up as
// the datapath does (longest prefix per field, then the rule).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "acl_match.h"
#include "hover/model/acl.h"
#include "hover/model/l2switch.h"
#include "iovisor/net.h"

namespace {

namespace model = hover::model::acl;
namespace l2 = hover::model::l2switch;
using model::Prefix;

struct Pkt {
    uint16_t ethertype = 0x0800;
    std::array<uint8_t, 16> src{}, dst{};
    uint8_t proto = 0;
    uint16_t l4_src = 0, l4_dst = 0;  // ports, or ICMP type and code
    uint8_t ttl = 64;
    iovisor::Mac eth_src{0x02, 0, 0, 0, 0, 1}, eth_dst{0x02, 0, 0, 0, 0, 2};
};

Pkt ip4(const std::string &src, const std::string &dst, uint8_t proto = 6, uint16_t sport = 40000, uint16_t dport = 22) {
    Pkt p;
    const uint32_t s = *iovisor::parseIpv4(src), d = *iovisor::parseIpv4(dst);
    std::memcpy(p.src.data(), &s, 4);
    std::memcpy(p.dst.data(), &d, 4);
    p.proto = proto;
    p.l4_src = sport;
    p.l4_dst = dport;
    return p;
}

Pkt ip6(const std::string &src, const std::string &dst, uint8_t proto = 6, uint16_t sport = 40000, uint16_t dport = 22) {
    Pkt p;
    p.ethertype = 0x86dd;
    const auto s = *iovisor::parseIpv6(src), d = *iovisor::parseIpv6(dst);
    std::memcpy(p.src.data(), s.data(), 16);
    std::memcpy(p.dst.data(), d.data(), 16);
    p.proto = proto;
    p.l4_src = sport;
    p.l4_dst = dport;
    return p;
}

Pkt nsPacket() {
    Pkt p = ip6("fe80::1", "ff02::1:ff00:2", 58, 135, 0);
    p.ttl = 255;
    return p;
}

Pkt arp() {
    Pkt p;
    p.ethertype = 0x0806;
    return p;
}

uint8_t reversed(uint8_t b) {
    uint8_t r = 0;
    for (int i = 0; i < 8; ++i)
        if (b & (1 << i)) r |= uint8_t(0x80 >> i);
    return r;
}

// The bytes the datapath looks up for `field` (acl_field_data).
std::array<uint8_t, ACL_CLASS_DATA> fieldData(const Pkt &p, uint8_t field) {
    std::array<uint8_t, ACL_CLASS_DATA> d{};
    const bool ip = p.ethertype == 0x0800 || p.ethertype == 0x86dd;
    if (field == ACL_F_ETH_SRC || field == ACL_F_ETH_DST) {
        const auto &mac = field == ACL_F_ETH_SRC ? p.eth_src : p.eth_dst;
        for (int i = 0; i < 6; ++i) d[i] = reversed(mac[i]);
    } else if (field == ACL_F_IP_TTL) {
        d[0] = ip ? p.ttl : 0;
    } else if (field == ACL_F_L4_SRC || field == ACL_F_L4_DST) {
        const uint16_t v = ip ? (field == ACL_F_L4_SRC ? p.l4_src : p.l4_dst) : 0;
        d[0] = ip ? p.proto : 0;
        d[1] = uint8_t(v >> 8);
        d[2] = uint8_t(v);
    } else {
        d[0] = uint8_t(p.ethertype >> 8);
        d[1] = uint8_t(p.ethertype);
        const auto &a = field == ACL_F_IP_SRC ? p.src : p.dst;
        if (ip) std::memcpy(&d[2], a.data(), p.ethertype == 0x0800 ? 4 : 16);
    }
    return d;
}

bool under(const Prefix &pre, const std::array<uint8_t, ACL_CLASS_DATA> &d) {
    for (uint32_t i = 0; i < pre.len; ++i) {
        const uint8_t bit = 0x80 >> (i % 8);
        if ((pre.data[i / 8] & bit) != (d[i / 8] & bit)) return false;
    }
    return true;
}

bool termMatches(const model::Term &t, const Pkt &p) {
    return std::all_of(t.begin(), t.end(), [&](const model::Literal &l) {
        const auto d = fieldData(p, l.field);
        const bool in = std::any_of(l.prefixes.begin(), l.prefixes.end(), [&](const Prefix &x) { return under(x, d); });
        return in != l.negate;
    });
}

bool matches(const std::vector<model::Term> &terms, const Pkt &p) {
    return std::any_of(terms.begin(), terms.end(), [&](const model::Term &t) { return termMatches(t, p); });
}

const std::map<std::string, std::vector<std::string>> kGroups = {{"pg_web", {"vm1", "vm2"}}, {"neutron_pg_drop", {"vm1", "vm2", "vm3"}}};
const std::map<std::string, std::vector<std::string>> kSets = {
    {"pg_web_ip4", {"10.0.0.11", "10.0.0.12"}}, {"pg_web_ip6", {"fd00::11"}}, {"empty", {}}};

std::vector<model::Term> terms(const std::string &match, const std::string &port = "vm1", uint8_t dir = ACL_DIR_TO_LPORT) {
    auto e = ctl::acl::parseMatch(match, {&kGroups, &kSets});
    EXPECT_TRUE(e.ok()) << match << ": " << (e.ok() ? "" : e.error().message);
    if (!e.ok()) return {};
    auto t = ctl::acl::termsFor(*e, port, dir);
    EXPECT_TRUE(t.ok()) << match << ": " << (t.ok() ? "" : t.error().message);
    return t.ok() ? *t : std::vector<model::Term>{};
}

std::string errorOf(const std::string &match, uint8_t dir = ACL_DIR_TO_LPORT) {
    auto e = ctl::acl::parseMatch(match, {&kGroups, &kSets});
    if (!e.ok()) return e.error().message;
    auto t = ctl::acl::termsFor(*e, "vm1", dir);
    return t.ok() ? "" : t.error().message;
}

TEST(AclMatch, NeutronSecurityGroupRules) {
    const auto ssh = terms("outport == @pg_web && ip4 && tcp && tcp.dst == 22");
    EXPECT_TRUE(matches(ssh, ip4("192.0.2.1", "10.0.0.11", 6, 40000, 22)));
    EXPECT_FALSE(matches(ssh, ip4("192.0.2.1", "10.0.0.11", 6, 40000, 23)));
    EXPECT_FALSE(matches(ssh, ip4("192.0.2.1", "10.0.0.11", 17, 40000, 22))) << "UDP 22 is not tcp.dst 22";
    EXPECT_FALSE(matches(ssh, ip6("fd00::1", "fd00::11", 6, 40000, 22)));
    EXPECT_TRUE(terms("outport == @pg_web && ip4 && tcp && tcp.dst == 22", "vm3").empty()) << "vm3 is not in pg_web";

    const auto cidr = terms("outport == @pg_web && ip4 && ip4.src == 10.2.0.0/24 && tcp && tcp.dst == 80");
    EXPECT_TRUE(matches(cidr, ip4("10.2.0.200", "10.0.0.11", 6, 1, 80)));
    EXPECT_FALSE(matches(cidr, ip4("10.2.1.1", "10.0.0.11", 6, 1, 80)));

    const auto remote = terms("outport == @pg_web && ip4 && ip4.src == $pg_web_ip4");
    EXPECT_TRUE(matches(remote, ip4("10.0.0.12", "10.0.0.11")));
    EXPECT_FALSE(matches(remote, ip4("10.0.0.13", "10.0.0.11")));
    EXPECT_TRUE(matches(terms("outport == @pg_web && ip6 && ip6.src == $pg_web_ip6"), ip6("fd00::11", "fd00::12")));

    const auto range = terms("outport == @pg_web && ip4 && tcp && tcp.dst >= 1000 && tcp.dst <= 2000");
    for (uint16_t port : {999, 1000, 1500, 2000, 2001})
        EXPECT_EQ(matches(range, ip4("1.1.1.1", "10.0.0.11", 6, 1, port)), port >= 1000 && port <= 2000) << port;

    const auto echo = terms("outport == @pg_web && ip4 && icmp4 && icmp4.type == 8 && icmp4.code == 0");
    EXPECT_TRUE(matches(echo, ip4("1.1.1.1", "10.0.0.11", 1, 8, 0)));
    EXPECT_FALSE(matches(echo, ip4("1.1.1.1", "10.0.0.11", 1, 0, 0)));
    EXPECT_TRUE(matches(terms("outport == @pg_web && ip4 && ip.proto == 47"), ip4("1.1.1.1", "10.0.0.11", 47, 0, 0)));

    const auto drop = terms("inport == @neutron_pg_drop && ip", "vm3", ACL_DIR_FROM_LPORT);
    EXPECT_TRUE(matches(drop, ip4("10.0.0.3", "1.1.1.1")));
    EXPECT_TRUE(matches(drop, ip6("fd00::3", "fd00::1")));
    EXPECT_FALSE(matches(drop, arp()));
}

TEST(AclMatch, NegationKeepsPrerequisites) {
    // As OVN: `!tcp` is `ip && ip.proto != 6`, `tcp.dst != 80` is `tcp && tcp.dst != 80`.
    const auto not_tcp = terms("!tcp");
    EXPECT_TRUE(matches(not_tcp, ip4("1.1.1.1", "2.2.2.2", 17)));
    EXPECT_FALSE(matches(not_tcp, ip4("1.1.1.1", "2.2.2.2", 6)));
    EXPECT_FALSE(matches(not_tcp, arp()));
    const auto not_80 = terms("tcp.dst != 80");
    EXPECT_TRUE(matches(not_80, ip4("1.1.1.1", "2.2.2.2", 6, 1, 81)));
    EXPECT_FALSE(matches(not_80, ip4("1.1.1.1", "2.2.2.2", 6, 1, 80)));
    EXPECT_FALSE(matches(not_80, ip4("1.1.1.1", "2.2.2.2", 17, 1, 81)));
    const auto demorgan = terms("!(ip4.src == 10.0.0.0/8 && tcp.dst == 22)");
    EXPECT_TRUE(matches(demorgan, ip4("11.0.0.1", "2.2.2.2", 6, 1, 22)));
    EXPECT_TRUE(matches(demorgan, ip4("10.0.0.1", "2.2.2.2", 6, 1, 23)));
    EXPECT_FALSE(matches(demorgan, ip4("10.0.0.1", "2.2.2.2", 6, 1, 22)));
}

TEST(AclMatch, SetsMasksAndTheRestOfTheLanguage) {
    const auto set = terms("tcp.dst == {22, 80} || udp.dst == 53");
    EXPECT_TRUE(matches(set, ip4("1.1.1.1", "2.2.2.2", 6, 1, 80)));
    EXPECT_TRUE(matches(set, ip4("1.1.1.1", "2.2.2.2", 17, 1, 53)));
    EXPECT_FALSE(matches(set, ip4("1.1.1.1", "2.2.2.2", 17, 1, 80)));
    EXPECT_FALSE(matches(terms("tcp.dst != {22, 80}"), ip4("1.1.1.1", "2.2.2.2", 6, 1, 22)));
    EXPECT_TRUE(matches(terms("ip4.dst == 10.0.0.0/255.0.0.0"), ip4("1.1.1.1", "10.9.9.9")));
    const auto unicast_src = terms("eth.src == 00:00:00:00:00:00/01:00:00:00:00:00");
    Pkt p = arp();
    EXPECT_TRUE(matches(unicast_src, p));
    p.eth_src[0] = 0x03;
    EXPECT_FALSE(matches(unicast_src, p));
    EXPECT_TRUE(matches(terms("arp"), arp()));
    EXPECT_TRUE(matches(terms("1"), arp()));
    EXPECT_TRUE(terms("0").empty());
    EXPECT_TRUE(terms("ip4.src == $empty").empty() || !matches(terms("ip4.src == $empty"), ip4("1.1.1.1", "2.2.2.2")));
    EXPECT_TRUE(matches(terms("outport == \"vm1\" && icmp6"), ip6("fd00::1", "fd00::2", 58, 128, 0)));
    EXPECT_TRUE(matches(terms("sctp.src < 1024"), ip4("1.1.1.1", "2.2.2.2", 132, 1023, 1)));
    EXPECT_FALSE(matches(terms("sctp.src < 1024"), ip4("1.1.1.1", "2.2.2.2", 132, 1024, 1)));
    // Neighbor Discovery: ICMPv6 135/136 code 0 with a hop limit of 255.
    Pkt ns = ip6("fe80::1", "ff02::1:ff00:2", 58, 135, 0);
    ns.ttl = 255;
    EXPECT_TRUE(matches(terms("nd"), ns));
    EXPECT_TRUE(matches(terms("nd_ns"), ns));
    EXPECT_FALSE(matches(terms("nd_na"), ns));
    ns.ttl = 64;
    EXPECT_FALSE(matches(terms("nd"), ns)) << "forwarded ND is no ND";
    EXPECT_TRUE(matches(terms("ip.ttl <= 64 && ip.ttl > 1"), ns));
    EXPECT_FALSE(matches(terms("ip.ttl < 64"), ns));
}

TEST(AclMatch, WhatCannotBeCompiledIsNamed) {
    EXPECT_NE(errorOf("nd.target == fe80::1").find("nd.target"), std::string::npos);
    EXPECT_NE(errorOf("tcp.dst == ").find("expected a value"), std::string::npos);
    EXPECT_NE(errorOf("ip4.src == $nope").find("$nope"), std::string::npos);
    EXPECT_NE(errorOf("inport == @nope").find("@nope"), std::string::npos);
    EXPECT_NE(errorOf("eth.src == 00:00:00:00:00:00/f0:00:00:00:00:00").find("not supported"), std::string::npos);
    EXPECT_NE(errorOf("ip4.src < 10.0.0.1").find("needs one number"), std::string::npos);
    EXPECT_NE(errorOf("(tcp").find("')'"), std::string::npos);
    EXPECT_NE(errorOf("inport == \"vm1\"").find("other direction"), std::string::npos) << "to-lport ACL on inport";
    EXPECT_NE(errorOf("tcp.dst == 70000").find("16 bits"), std::string::npos);
    EXPECT_NE(errorOf("ip.ttl > 256").find("out of range"), std::string::npos);
}

// ---- the classifier ----------------------------------------------------------

// The datapath's lookup over the compiled entries.
uint8_t classify(const hover::model::Entries &e, uint32_t policy, uint16_t fields, const Pkt &p) {
    acl_rule_key key{};
    key.policy = policy;
    for (uint8_t f = 0; f < ACL_FIELDS; ++f) {
        if (!(fields & (1u << f))) continue;
        const auto d = fieldData(p, f);
        uint32_t best_len = 0;
        bool found = false;
        for (const auto &[k, v] : e.list(l2::kAclClasses)) {
            if (k.policy != policy || k.field != f) continue;
            Prefix pre;
            pre.len = k.prefixlen - 48;
            std::memcpy(pre.data.data(), k.data, ACL_CLASS_DATA);
            if (under(pre, d) && (!found || pre.len >= best_len)) {
                best_len = pre.len;
                found = true;
                key.classes[f] = uint16_t(v.id);
            }
        }
    }
    auto v = e.find(l2::kAclRules, key);
    return v ? v->action : 0;
}

// The plain evaluation, packet by packet: in each stage the first rule of
// the highest priority that matches; a block in the first stage decides,
// then one in the second; else the allow (the second stage's if it tracks
// where the first would not).
uint8_t evaluate(const model::Policy &policy, const Pkt &p) {
    std::vector<const model::Rule *> order;
    for (const auto &r : policy.rules) order.push_back(&r);
    std::stable_sort(order.begin(), order.end(), [](auto *a, auto *b) { return a->priority > b->priority; });
    auto stage = [&](model::Stage s) -> uint8_t {
        for (const auto *r : order)
            if (r->stage == s && matches(r->any, p)) return r->action;
        return 0;
    };
    const uint8_t first = stage(model::kBeforeLb), second = stage(model::kAfterLb);
    auto blocks = [](uint8_t a) { return a == ACL_DROP || a == ACL_REJECT || a == ACL_UNSUPPORTED; };
    if (blocks(first) || !second) return first;
    if (blocks(second) || !first) return second;
    return second == ACL_ALLOW_RELATED && first == ACL_ALLOW ? second : first;
}

TEST(AclClassifier, GivesTheHighestPriorityRuleOfEachStageForEveryPacket) {
    const std::vector<std::string> matches_pool = {
        "ip", "ip4", "ip6", "arp", "tcp", "udp.dst == 53", "tcp.dst == 22", "tcp.dst >= 1000 && tcp.dst <= 2000",
        "ip4.src == 10.0.0.0/8", "ip4.src == 10.1.0.0/16 && tcp", "ip4.src == $pg_web_ip4", "!tcp",
        "ip4.dst == 10.0.0.11 || ip6.dst == fd00::11", "icmp4.type == 8", "tcp.src != 40000",
        "eth.src == 00:00:00:00:00:00/01:00:00:00:00:00 && ip4", "ip4.src != 10.0.0.0/8", "ip.ttl < 64", "nd"};
    const std::vector<Pkt> packets = {
        ip4("10.0.0.11", "10.0.0.12"), ip4("10.1.2.3", "10.0.0.11", 6, 1, 1500), ip4("10.1.2.3", "10.0.0.11", 17, 5, 53),
        ip4("192.0.2.1", "10.0.0.11", 1, 8, 0), ip4("192.0.2.1", "10.0.0.11", 6, 40000, 2001),
        ip6("fd00::1", "fd00::11", 6, 1, 22), ip6("fd00::1", "fd00::12", 17, 1, 53), arp(), nsPacket()};
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
        model::Policy policy;
        const int n = 1 + int(rng() % 6);
        for (int i = 0; i < n; ++i) {
            const auto &m = matches_pool[rng() % matches_pool.size()];
            policy.rules.push_back({int64_t(rng() % 4), uint8_t(1 + rng() % 5), uint32_t(i + 1), terms(m)});
            policy.rules.back().stage = rng() % 3 ? model::kBeforeLb : model::kAfterLb;  // options:apply-after-lb
        }
        hover::model::Entries e;
        uint16_t fields = 0;
        ASSERT_TRUE(model::compile(e, 7, policy, fields).ok());
        for (const auto &p : packets) ASSERT_EQ(classify(e, 7, fields, p), evaluate(policy, p)) << "round " << round;
    }
}

TEST(AclClassifier, TenThousandRulesStayOneLookupPerField) {
    model::Policy policy;
    for (uint32_t i = 0; i < 10000; ++i)
        policy.rules.push_back({1002, ACL_ALLOW_RELATED, i + 1, terms("tcp.dst == " + std::to_string(i + 1))});
    hover::model::Entries e;
    uint16_t fields = 0;
    ASSERT_TRUE(model::compile(e, 1, policy, fields).ok());
    EXPECT_EQ(fields, (1u << ACL_F_IP_SRC) | (1u << ACL_F_L4_DST)) << "ethertype and protocol+port only";
    EXPECT_EQ(e.list(l2::kAclRules).size(), 10000u) << "one verdict per port class";
}

}  // namespace
