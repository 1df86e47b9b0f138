// OVN DHCP_Options -> the switch's DHCPv4 answers
// (controller/src/dhcp_options.h): which address is offered, each option
// type's encoding (as OVN's lib/actions.c encodes it), and what OVN would
// refuse.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include "dhcp_options.h"

namespace {

namespace l2 = hover::model::l2switch;
using Bytes = std::vector<uint8_t>;

const iovisor::Mac kMac{2, 0, 0, 0, 0, 1}, kMac2{2, 0, 0, 0, 0, 2};

uint32_t ip(const char *text) { return inet_addr(text); }

ovnmon::DhcpOptions base(ovnmon::StringMap extra = {}) {
    ovnmon::StringMap o = {{"server_id", "10.0.0.1"}, {"server_mac", "02:00:00:00:00:fe"}, {"lease_time", "60"}};
    for (auto &[k, v] : extra) o[k] = v;
    return {"u", "10.0.0.0/24", o};
}

iovisor::Result<std::vector<l2::Dhcp4>> answers(const ovnmon::DhcpOptions &o, const ovnmon::StringMap &lsp = {}) {
    return ctl::dhcp4Answers(o, lsp, {{kMac, {{ip("10.0.0.5"), 32}}, {}}});
}

// The bytes of option `code` in the answer's segments, or none.
Bytes option(const l2::Dhcp4 &d, uint8_t code) {
    for (const Bytes *segment : {&d.boot_alt, &d.boot, &d.lease, &d.rest})
        for (size_t i = 0; i + 1 < segment->size(); i += 2 + (*segment)[i + 1])
            if ((*segment)[i] == code) return Bytes(segment->begin() + i + 2, segment->begin() + i + 2 + (*segment)[i + 1]);
    return {};
}

Bytes encoded(const char *name, const char *value, uint8_t code) {
    auto a = answers(base({{name, value}}));
    EXPECT_TRUE(a.ok()) << name << "=" << value << ": " << (a.ok() ? "" : a.error().message);
    return a.ok() && !a->empty() ? option(a->front(), code) : Bytes{};
}

TEST(DhcpOptions, TheFirstAddressInTheCidrIsOfferedPerMac) {
    auto a = ctl::dhcp4Answers(base(), {},
                               {{kMac, {{ip("192.168.0.9"), 32}, {ip("10.0.0.7"), 32}, {ip("10.0.0.8"), 32}}, {}},
                                {kMac2, {{ip("10.0.0.9"), 32}}, {}},
                                {{2, 0, 0, 0, 0, 3}, {{ip("172.16.0.1"), 32}}, {}}});
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_EQ(a->size(), 2u) << "no offer for an address entry outside the cidr";
    EXPECT_EQ((*a)[0].mac, kMac);
    EXPECT_EQ((*a)[0].offer_ip, ip("10.0.0.7"));
    EXPECT_EQ((*a)[1].offer_ip, ip("10.0.0.9"));
    EXPECT_EQ((*a)[0].server_ip, ip("10.0.0.1"));
    EXPECT_EQ(option((*a)[0], 1), (Bytes{255, 255, 255, 0})) << "netmask from the cidr";
    EXPECT_EQ(option((*a)[0], 54), (Bytes{10, 0, 0, 1})) << "server_id is sent";
    EXPECT_TRUE(option((*a)[0], 0xfe).empty()) << "server_mac is not an option";
}

TEST(DhcpOptions, EachTypeIsEncodedAsOvnDoes) {
    EXPECT_EQ(encoded("mtu", "1442", 26), (Bytes{0x05, 0xa2}));
    EXPECT_EQ(encoded("lease_time", "43200", 51), (Bytes{0, 0, 0xa8, 0xc0}));
    EXPECT_EQ(encoded("ip_forward_enable", "1", 19), (Bytes{1}));
    EXPECT_EQ(encoded("default_ttl", "0x40", 23), (Bytes{64}));
    EXPECT_EQ(encoded("dns_server", "{8.8.8.8, 1.1.1.1}", 6), (Bytes{8, 8, 8, 8, 1, 1, 1, 1}));
    EXPECT_EQ(encoded("router", "10.0.0.1", 3), (Bytes{10, 0, 0, 1}));
    EXPECT_EQ(encoded("domain_name", "\"a \\\"b\\\"\"", 15), (Bytes{'a', ' ', '"', 'b', '"'}));
    EXPECT_EQ(encoded("tftp_server", "10.0.0.9", 66), (Bytes{10, 0, 0, 9}));
    EXPECT_EQ(encoded("tftp_server", "\"tftp\"", 66), (Bytes{'t', 'f', 't', 'p'}));
    // RFC 3442 examples: the significant octets of each destination.
    EXPECT_EQ(encoded("classless_static_route", "{10.0.0.0/8, 10.0.0.1, 10.229.0.128/25, 10.0.0.2, 0.0.0.0/0, 10.0.0.3}",
                      121),
              (Bytes{8, 10, 10, 0, 0, 1, 25, 10, 229, 0, 128, 10, 0, 0, 2, 0, 10, 0, 0, 3}));
    // RFC 1035 with a pointer to a suffix already written.
    EXPECT_EQ(encoded("domain_search_list", "\"abc.com,xyz.abc.com\"", 119),
              (Bytes{3, 'a', 'b', 'c', 3, 'c', 'o', 'm', 0, 3, 'x', 'y', 'z', 0xc0, 0x00}));
}

TEST(DhcpOptions, RepliesAreLaidOutInSegments) {
    auto a = answers(base({{"T1", "30"}, {"T2", "50"}, {"router", "10.0.0.1"}, {"next_server", "10.0.0.7"},
                           {"bootfile_name_alt", "\"alt\""}}));
    ASSERT_TRUE(a.ok()) << a.error().message;
    const l2::Dhcp4 &d = a->front();
    EXPECT_EQ(d.boot_alt, (Bytes{67, 3, 'a', 'l', 't'})) << "the alternative is sent as bootfile_name";
    EXPECT_TRUE(d.boot.empty());
    EXPECT_EQ(d.lease, (Bytes{58, 4, 0, 0, 0, 30, 59, 4, 0, 0, 0, 50, 51, 4, 0, 0, 0, 60, 1, 4, 255, 255, 255, 0}))
        << "T1, T2, lease_time, netmask: what an INFORM's ACK leaves out";
    EXPECT_EQ(d.rest, (Bytes{253, 4, 10, 0, 0, 7, 3, 4, 10, 0, 0, 1, 54, 4, 10, 0, 0, 1})) << "next_server first";
    EXPECT_EQ(d.next_server, ip("10.0.0.7"));
    EXPECT_TRUE(l2::fits(d));
}

TEST(DhcpOptions, ThePortsHostnameWins) {
    auto a = answers(base({{"hostname", "\"row\""}}), {{"hostname", "\"vm1\""}});
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(option(a->front(), 12), (Bytes{'v', 'm', '1'}));
}

TEST(DhcpOptions, WhatOvnRefusesIsAnError) {
    const std::vector<std::pair<ovnmon::DhcpOptions, std::string>> bad = {
        {{"u", "10.0.0.0/24", {{"server_id", "10.0.0.1"}, {"lease_time", "60"}}}, "server_mac"},
        {{"u", "10.0.0.0/24", {{"server_mac", "02:00:00:00:00:fe"}, {"lease_time", "60"}}}, "server_id"},
        {{"u", "10.0.0.0/24", {{"server_id", "10.0.0.1"}, {"server_mac", "02:00:00:00:00:fe"}}}, "lease_time"},
        {{"u", "not-a-cidr", base().options}, "cidr"},
        {base({{"no_such_option", "1"}}), "unknown DHCPv4 option no_such_option"},
        {base({{"domain_name", "openstack.internal."}}), "domain_name"},
        {base({{"mtu", "\"1500\""}}), "mtu requires a numeric value"},
        {base({{"mtu", "70000"}}), "out of range"},
        {base({{"domain_name", "\"unterminated"}}), "unterminated string"},
        {base({{"router", "{10.0.0.1, \"x\"}"}}), "mixes"},
        {base({{"server_mac", "zz"}}), "server_mac"},
        {base({{"hostname", "\"" + std::string(256, 'h') + "\""}}), "at most 255"},
    };
    for (const auto &[options, want] : bad) {
        auto a = answers(options);
        ASSERT_FALSE(a.ok()) << "accepted: " << want;
        EXPECT_NE(a.error().message.find(want), std::string::npos) << a.error().message;
    }
    auto big = base();
    for (const char *name : {"wpad", "path_prefix", "domain_name", "bootfile_name", "hostname"})
        big.options[name] = "\"" + std::string(250, 'x') + "\"";
    auto a = answers(big);
    ASSERT_FALSE(a.ok());
    EXPECT_NE(a.error().message.find("more than a reply holds"), std::string::npos) << a.error().message;
}

TEST(DhcpOptions, NoAddressInTheCidrMeansNoAnswerAndNoError) {
    auto a = ctl::dhcp4Answers(base(), {}, {{kMac, {{ip("192.168.1.1"), 32}}, {}}});
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(a->empty());
}

TEST(Dhcp6Options, SegmentsFollowPinctrlsOrder) {
    const iovisor::Ip6 addr = *iovisor::parseIpv6("fd00::5");
    ovnmon::DhcpOptions o{"u", "fd00::/64", {{"server_id", "02:00:00:00:00:fe"}, {"dns_server", "{fd00::53, fd00::54}"},
                                             {"bootfile_name", "\"ipxe.efi\""}}};
    auto a = ctl::dhcp6Answers(o, {{kMac, {}, {{addr, 128}}}, {kMac2, {}, {{*iovisor::parseIpv6("fd01::1"), 128}}}});
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_EQ(a->size(), 1u) << "no answer for an address outside the cidr";
    const l2::Dhcp6 &d = a->front();
    EXPECT_EQ(d.server_ip, iovisor::linkLocal({2, 0, 0, 0, 0, 0xfe}));
    ASSERT_EQ(d.segments.size(), size_t(L2_DHCP6_SEGMENTS));
    EXPECT_EQ(d.segments[0].bytes.size(), 44u) << "IA_NA with its IA address";
    EXPECT_EQ(Bytes(d.segments[0].bytes.begin() + 20, d.segments[0].bytes.begin() + 36), Bytes(addr.begin(), addr.end()));
    EXPECT_EQ(d.segments[1].needs, L2_DHCP6_NEED_IPXE | L2_DHCP6_NEED_NOT_RELEASE) << "bootfile_name: iPXE only";
    EXPECT_EQ(d.segments[3].bytes.size(), 4u + 32u) << "two DNS servers";
    EXPECT_EQ(d.segments[4].bytes, (Bytes{0, 2, 0, 10, 0, 3, 0, 1, 2, 0, 0, 0, 0, 0xfe})) << "DUID-LL server id";
    EXPECT_EQ(d.segments[5].bytes, (Bytes{0, 13, 0, 2, 0, 0})) << "a Release's success status";
    o.options["dhcpv6_stateless"] = "true";
    auto stateless = ctl::dhcp6Answers(o, {{kMac, {}, {{addr, 128}}}});
    ASSERT_TRUE(stateless.ok());
    EXPECT_TRUE(stateless->front().segments[0].bytes.empty()) << "no address in stateless mode";
}

TEST(Dhcp6Options, WhatOvnRefusesIsAnError) {
    const iovisor::Ip6 addr = *iovisor::parseIpv6("fd00::5");
    const std::vector<std::pair<ovnmon::StringMap, std::string>> bad = {
        {{}, "no server_id"},
        {{{"server_id", "nope"}}, "server_id"},
        {{{"server_id", "02:00:00:00:00:fe"}, {"fqdn", "\"vm1\""}}, "unknown DHCPv6 option fqdn"},
        {{{"server_id", "02:00:00:00:00:fe"}, {"dns_server", "10.0.0.1"}}, "IPv6"},
        {{{"server_id", "02:00:00:00:00:fe"}, {"domain_search", "plain"}}, "domain_search"},
    };
    for (const auto &[options, want] : bad) {
        auto a = ctl::dhcp6Answers({"u", "fd00::/64", options}, {{kMac, {}, {{addr, 128}}}});
        ASSERT_FALSE(a.ok()) << "accepted: " << want;
        EXPECT_NE(a.error().message.find(want), std::string::npos) << a.error().message;
    }
}

}  // namespace
