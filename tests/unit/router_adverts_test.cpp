// A router port's ipv6_ra_configs -> its router advertisements
// (controller/src/router_adverts.h): the flags of each address mode, the
// options' encodings (as OVN's lib/actions.c and pinctrl lay them out), the
// periodic frame and its intervals (as northd clamps them), refusals.
#include <gtest/gtest.h>

#include "router_adverts.h"

namespace {

using Bytes = std::vector<uint8_t>;

ovnmon::LogicalRouterPort port(ovnmon::StringMap ra, std::vector<std::string> networks = {"fd00:10::1/64"}) {
    ovnmon::LogicalRouterPort lrp;
    lrp.name = "lrp0";
    lrp.mac = "00:00:00:00:ff:01";
    lrp.networks = std::move(networks);
    lrp.ipv6_ra_configs = std::move(ra);
    return lrp;
}

// The option of `type` in an ICMPv6 advertisement, or none.
Bytes option(const Bytes &message, uint8_t type) {
    for (size_t at = 16; at + 2 <= message.size() && message[at + 1];) {
        const size_t len = message[at + 1] * 8u;
        if (message[at] == type) return Bytes(message.begin() + long(at), message.begin() + long(at + len));
        at += len;
    }
    return {};
}

TEST(RouterAdverts, NoAddressModeNoAdvertisement) {
    auto ra = ctl::routerAdverts(port({{"mtu", "1500"}}));
    ASSERT_TRUE(ra.ok());
    EXPECT_FALSE(ra->solicited);
    EXPECT_FALSE(ra->periodic);
}

TEST(RouterAdverts, AddressModesSetTheFlagsAndThePrefixes) {
    struct Case {
        const char *mode;
        uint8_t flags, prefix_flags;
    } cases[] = {{"slaac", 0, 0xc0}, {"dhcpv6_stateless", 0x40, 0xc0}, {"dhcpv6_stateful", 0x80, 0x80}};
    for (const auto &c : cases) {
        auto ra = ctl::routerAdverts(port({{"address_mode", c.mode}}, {"fd00:10::1/64", "10.0.0.1/24", "fd00:20::9/48"}));
        ASSERT_TRUE(ra.ok()) << c.mode;
        ASSERT_TRUE(ra->solicited) << c.mode;
        const Bytes &m = ra->solicited->message;
        EXPECT_EQ(Bytes(m.begin(), m.begin() + 16), (Bytes{134, 0, 0, 0, 255, c.flags, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}))
            << c.mode;
        const Bytes prefix = option(m, 3);
        ASSERT_EQ(prefix.size(), 32u) << c.mode;
        EXPECT_EQ(prefix[2], 64) << c.mode;
        EXPECT_EQ(prefix[3], c.prefix_flags) << c.mode << ": on-link, autonomous unless managed";
        EXPECT_EQ(m.size(), 16u + 8 + 2 * 32) << c.mode << ": source link-layer address and two prefixes";
        EXPECT_EQ(option(m, 1), (Bytes{1, 1, 0, 0, 0, 0, 0xff, 1}));
        EXPECT_FALSE(ra->periodic) << c.mode;
    }
}

TEST(RouterAdverts, OptionsAsOvnEncodesThem) {
    auto ra = ctl::routerAdverts(port({{"address_mode", "slaac"},
                                       {"mtu", "1000"},  // below 1280: left out
                                       {"router_preference", "LOW"},
                                       {"dnssl", "a.b,c"},
                                       {"route_info", "LOW-fd00:99::/64,HIGH-fd00:98::/96-fd00:97::/0,MEDIUM-10.0.0.0/8"}}));
    ASSERT_TRUE(ra.ok()) << ra.error().message;
    const Bytes &m = ra->solicited->message;
    EXPECT_EQ(m[5], 0x18) << "router preference low";
    EXPECT_TRUE(option(m, 5).empty()) << "no MTU option";
    EXPECT_EQ(option(m, 31), (Bytes{31, 2, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 'a', 1, 'b', 0, 1, 'c', 0}));
    const Bytes routes = {24, 2, 64, 0x18, 0xff, 0xff, 0xff, 0xff, 0xfd, 0, 0, 0x99, 0, 0, 0, 0,               // /64 low
                         24, 3, 96, 0x08, 0xff, 0xff, 0xff, 0xff, 0xfd, 0, 0, 0x98, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // /96 high
                         24, 1, 0, 0x08, 0xff, 0xff, 0xff, 0xff};  // ::/0, its entry's preference; an IPv4 route ends the list
    const auto at = std::search(m.begin(), m.end(), routes.begin(), routes.end());
    EXPECT_NE(at, m.end()) << "route information options";
    EXPECT_EQ(m.end() - at, long(routes.size() + 32)) << "then the prefix, nothing from the IPv4 route";
}

TEST(RouterAdverts, PeriodicFrameAndIntervals) {
    auto ra = ctl::routerAdverts(port({{"address_mode", "dhcpv6_stateful"}, {"send_periodic", "true"}, {"mtu", "1442"},
                                       {"rdnss", "fd00::53"}, {"max_interval", "1"}}));
    ASSERT_TRUE(ra.ok()) << ra.error().message;
    ASSERT_TRUE(ra->periodic);
    EXPECT_EQ(ra->periodic->max_interval, 4) << "clamped to northd's minimum";
    EXPECT_EQ(ra->periodic->min_interval, 3);
    const Bytes &f = ra->periodic->frame;
    const Bytes head = {0x33, 0x33, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 1, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 16 + 8 + 8 + 32 + 24, 58, 255,
                        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0xff, 0xfe, 0, 0xff, 1,  // fe80::200:ff:fe00:ff01
                        0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};             // ff02::1
    ASSERT_EQ(f.size(), head.size() + 16 + 8 + 8 + 32 + 24);
    EXPECT_EQ(Bytes(f.begin(), f.begin() + long(head.size())), head);
    const Bytes message(f.begin() + long(head.size()), f.end());
    EXPECT_EQ(message[5], 0x80) << "managed";
    // pinctrl's order: source link-layer address, MTU, prefixes, RDNSS.
    EXPECT_EQ(Bytes(message.begin() + 16, message.begin() + 32), (Bytes{1, 1, 0, 0, 0, 0, 0xff, 1, 5, 1, 0, 0, 0, 0, 5, 0xa2}));
    EXPECT_EQ(message[32], 3);
    EXPECT_EQ(message[64], 25);
    // The checksum covers the pseudo-header: summing it all in gives 0xffff.
    uint32_t sum = 58 + uint32_t(message.size());
    for (size_t i = 22; i < 54; i += 2) sum += uint32_t(f[i] << 8 | f[i + 1]);
    for (size_t i = 0; i < message.size(); i += 2) sum += uint32_t(message[i] << 8 | message[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    EXPECT_EQ(sum, 0xffffu);

    auto defaults = ctl::routerAdverts(port({{"address_mode", "slaac"}, {"send_periodic", "true"}}));
    ASSERT_TRUE(defaults.ok());
    EXPECT_EQ(defaults->periodic->max_interval, 600);
    EXPECT_EQ(defaults->periodic->min_interval, 200);
}

TEST(RouterAdverts, WhatOvnRefusesIsAnError) {
    EXPECT_FALSE(ctl::routerAdverts(port({{"address_mode", "stateful"}})).ok());
    EXPECT_FALSE(ctl::routerAdverts(port({{"address_mode", "slaac"}, {"rdnss", "8.8.8.8"}})).ok());
    auto no_prefix = ctl::routerAdverts(port({{"address_mode", "slaac"}, {"send_periodic", "true"}}, {"10.0.0.1/24"}));
    ASSERT_TRUE(no_prefix.ok());
    EXPECT_FALSE(no_prefix->solicited) << "northd answers solicitations only with a prefix to advertise";
    EXPECT_TRUE(no_prefix->periodic);
}

}  // namespace
