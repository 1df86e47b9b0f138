// Native DHCPv4 fixtures (bpf/lib/dhcp.h): request in -> verdict -> reply
// out byte for byte -> counters, on the TC and the XDP build. The answers
// come from DHCP_Options through the controller's encoding
// (controller/src/dhcp_options.h); the expected replies are written out
// here byte by byte, as pinctrl would send them.
#include <arpa/inet.h>

#include <cstring>

#include "dhcp_options.h"
#include "hover/l2switch.h"
#include "switch_fixture.h"

namespace {

using namespace testsupport;
using bpftest::kRedirect;
using bpftest::kShot;

const Mac kVm1 = mac("02:00:00:00:00:01"), kVm2 = mac("02:00:00:00:00:02"), kServer = mac("02:00:00:00:00:fe");
constexpr uint8_t kDiscover = 1, kOffer = 2, kRequest = 3, kDecline = 4, kAck = 5, kNak = 6, kRelease = 7,
                  kInform = 8;

// What Neutron writes for a subnet 10.0.0.0/24 (seen from neutron-server 21).
ovnmon::DhcpOptions neutronOptions() {
    return {"uuid", "10.0.0.0/24",
            {{"lease_time", "43200"},
             {"server_id", "10.0.0.1"},
             {"server_mac", "02:00:00:00:00:fe"},
             {"router", "10.0.0.1"},
             {"dns_server", "{8.8.8.8, 1.1.1.1}"},
             {"domain_name", "\"openstack.internal.\""},
             {"mtu", "1442"},
             {"classless_static_route", "{169.254.169.254/32,10.0.0.2, 0.0.0.0/0,10.0.0.1}"}}};
}

// The same options as a reply carries them, in the order the switch sends
// them: the lease part (lease_time, netmask), then the rest by name.
Bytes neutronReplyOptions(bool inform = false) {
    Bytes lease = {51, 4, 0, 0, 0xa8, 0xc0, 1, 4, 255, 255, 255, 0};
    Bytes rest = {121, 14, 32, 169, 254, 169, 254, 10, 0, 0, 2, 0, 10, 0, 0, 1,  // classless_static_route
                  6,   8,  8,  8,   8,   8,   1,   1, 1, 1,                      // dns_server
                  15,  19};                                                     // domain_name
    const std::string domain = "openstack.internal.";
    rest.insert(rest.end(), domain.begin(), domain.end());
    rest.insert(rest.end(), {26, 2, 0x05, 0xa2, 3, 4, 10, 0, 0, 1, 54, 4, 10, 0, 0, 1});  // mtu, router, server_id
    if (inform) return rest;
    lease.insert(lease.end(), rest.begin(), rest.end());
    return lease;
}

void put32(Bytes &b, size_t at, uint32_t network_order) { std::memcpy(&b[at], &network_order, 4); }

// A BOOTP message: the 236-byte header, the cookie, `options` (the end
// option added), padded to 300 bytes as clients send them.
Bytes bootp(uint8_t op, uint32_t xid, uint16_t flags, uint32_t ciaddr, const Mac &chaddr, const Bytes &options) {
    Bytes b(240);
    b[0] = op, b[1] = 1, b[2] = 6;
    put32(b, 4, htonl(xid));
    b[8] = 0, b[9] = 3;  // secs
    b[10] = uint8_t(flags >> 8), b[11] = uint8_t(flags);
    put32(b, 12, ciaddr);
    std::copy(chaddr.begin(), chaddr.end(), b.begin() + 28);
    b[236] = 0x63, b[237] = 0x82, b[238] = 0x53, b[239] = 0x63;
    b.insert(b.end(), options.begin(), options.end());
    return b;
}

Bytes udpNoChecksum(uint16_t sport, uint16_t dport, const Bytes &payload) {
    const uint16_t len = uint16_t(8 + payload.size());
    Bytes u = {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), uint8_t(len >> 8), uint8_t(len), 0, 0};
    u.insert(u.end(), payload.begin(), payload.end());
    return u;
}

struct Request {
    uint8_t type = kDiscover;
    uint32_t xid = 0x12345678;
    uint16_t flags = 0;
    std::string src = "0.0.0.0", dst = "255.255.255.255";
    uint32_t ciaddr = 0;
    Bytes extra;  // options after the message type
    Mac from = kVm1;
};

Bytes requestFrame(const Request &r) {
    Bytes options = {53, 1, r.type};
    options.insert(options.end(), r.extra.begin(), r.extra.end());
    options.push_back(255);
    Bytes msg = bootp(1, r.xid, r.flags, r.ciaddr, r.from, options);
    msg.resize(std::max<size_t>(msg.size(), 300));
    const auto dst_mac = r.dst == "255.255.255.255" ? kBroadcast : kServer;
    return eth(dst_mac, r.from, kEthIp, ipv4(ip4(r.src), ip4(r.dst), 17, udp(ip4(r.src), ip4(r.dst), 68, 67, msg)));
}

// The reply as pinctrl builds it: the request's BOOTP header with op 2,
// yiaddr and siaddr, the message type, `options`, 4 pad bytes, end, 4 pad.
Bytes replyFrame(const Request &r, uint8_t type, uint32_t yiaddr, const Bytes &options, uint32_t siaddr = 0,
                 const std::string &to = "10.0.0.5") {
    Bytes opts = {53, 1, type};
    opts.insert(opts.end(), options.begin(), options.end());
    opts.insert(opts.end(), {0, 0, 0, 0, 255, 0, 0, 0, 0});
    Bytes msg = bootp(2, r.xid, r.flags, r.ciaddr, r.from, opts);
    put32(msg, 16, yiaddr);
    put32(msg, 20, siaddr);
    return eth(r.from, kServer, kEthIp, ipv4(ip4("10.0.0.1"), ip4(to), 17, udpNoChecksum(67, 68, msg)));
}

// A switch (module 1) of two VIF ports: vm1 (port 0, 10.0.0.5) with
// Neutron's DHCP options, vm2 (port 1) without.
class DhcpTest : public bpftest::SwitchFixture {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_TOOL("ip", "iproute2");
        startSwitch({kVm1, kVm2});
        setOptions(neutronOptions());
    }

    void setOptions(const ovnmon::DhcpOptions &options, const ovnmon::StringMap &port_options = {}) {
        auto answers = ctl::dhcp4Answers(options, port_options, {{kVm1, {{ip4("10.0.0.5"), 32}}, {}}});
        ASSERT_TRUE(answers.ok()) << answers.error().message;
        ASSERT_EQ(answers->size(), 1u);
        ASSERT_TRUE(sw_->setDhcp4(0, *answers).ok());
    }

    // `request` from vm1 comes back as `reply` out of vm1's port.
    void expectReply(const Request &request, const Bytes &reply, const std::string &what) {
        expectAnswered(0, requestFrame(request), reply, what);
    }
};

TEST_P(DhcpTest, DiscoverGetsAnOfferWithEveryOption) {
    const Request discover{kDiscover, 0xcafe0001, 0, "0.0.0.0", "255.255.255.255", 0, {55, 3, 1, 3, 6}};
    expectReply(discover, replyFrame(discover, kOffer, ip4("10.0.0.5"), neutronReplyOptions()), "DISCOVER");
}

TEST_P(DhcpTest, RequestForTheOfferIsAckedAnyOtherNaked) {
    const Request request{kRequest, 7, 0, "0.0.0.0", "255.255.255.255", 0, {50, 4, 10, 0, 0, 5, 54, 4, 10, 0, 0, 1}};
    expectReply(request, replyFrame(request, kAck, ip4("10.0.0.5"), neutronReplyOptions()), "REQUEST 10.0.0.5");
    const Request other{kRequest, 8, 0, "0.0.0.0", "255.255.255.255", 0, {50, 4, 10, 0, 0, 9}};
    expectReply(other, replyFrame(other, kNak, 0, {}), "REQUEST 10.0.0.9 (not the port's)");
}

TEST_P(DhcpTest, RenewalsByUnicastOrBroadcastFlagAreAcked) {
    const Request renew{kRequest, 9, 0, "10.0.0.5", "10.0.0.1", ip4("10.0.0.5"), {}};
    expectReply(renew, replyFrame(renew, kAck, ip4("10.0.0.5"), neutronReplyOptions()), "renewal to the server");
    const Request broadcast{kRequest, 10, 0x8000, "10.0.0.5", "255.255.255.255", ip4("10.0.0.5"), {}};
    expectReply(broadcast,
                replyFrame(broadcast, kAck, ip4("10.0.0.5"), neutronReplyOptions(), 0, "255.255.255.255"),
                "broadcast flag: the reply is broadcast");
}

TEST_P(DhcpTest, InformIsAckedWithoutAddressNetmaskOrLeaseTimes) {
    const Request inform{kInform, 11, 0, "10.0.0.5", "255.255.255.255", ip4("10.0.0.5"), {}};
    expectReply(inform, replyFrame(inform, kAck, 0, neutronReplyOptions(true)), "INFORM");
}

TEST_P(DhcpTest, ReleaseAndDeclineGetNoReply) {
    for (uint8_t type : {kRelease, kDecline}) {
        const Request r{type, 12, 0, "10.0.0.5", "10.0.0.1", ip4("10.0.0.5"), {}};
        expectDropped(0, requestFrame(r), IOV_DROP_DHCP_NO_REPLY, "message type " + std::to_string(type));
    }
}

TEST_P(DhcpTest, MalformedRequestsAreDroppedWithAReason) {
    const Bytes good = requestFrame({});
    const size_t bootp_at = 14 + 20 + 8;
    auto corrupt = [&](size_t at, uint8_t value) {
        Bytes b = good;
        b[at] = value;
        return b;
    };
    expectDropped(0, corrupt(bootp_at, 2), IOV_DROP_DHCP_MALFORMED, "op is not a request");
    expectDropped(0, corrupt(bootp_at + 1, 6), IOV_DROP_DHCP_MALFORMED, "hardware type is not Ethernet");
    expectDropped(0, corrupt(bootp_at + 236, 0), IOV_DROP_DHCP_MALFORMED, "bad magic cookie");
    expectDropped(0, corrupt(bootp_at + 241, 200), IOV_DROP_DHCP_MALFORMED, "option length past the end");
    expectDropped(0, corrupt(bootp_at + 240, 60), IOV_DROP_DHCP_MALFORMED, "no message type");
    Bytes cut(good.begin(), good.begin() + bootp_at + 200);
    Bytes truncated = eth(kBroadcast, kVm1, kEthIp,
                          ipv4(0, ip4("255.255.255.255"), 17, udp(0, ip4("255.255.255.255"), 68, 67,
                                                                  Bytes(cut.begin() + bootp_at, cut.end()))));
    expectDropped(0, truncated, IOV_DROP_DHCP_MALFORMED, "BOOTP header cut short");
}

// OVN answers only what its match names: the port's MAC, from 0.0.0.0 or
// the offered address. Anything else takes the normal L2 path.
TEST_P(DhcpTest, OnlyWhatOvnMatchesIsAnswered) {
    Request foreign_mac;
    foreign_mac.from = mac("02:00:00:00:00:99");
    Request foreign_ip;
    foreign_ip.src = "10.0.0.9";
    for (const Request &r : {foreign_mac, foreign_ip}) {
        const uint64_t answered = harness_->txPackets(1, 0);
        auto out = harness_->runOnPort(1, 0, requestFrame(r));
        ASSERT_EQ(out.rc, 0);
        EXPECT_EQ(harness_->txPackets(1, 0), answered) << "no reply to the asking port";
        EXPECT_EQ(harness_->drops(1, IOV_DROP_DHCP_MALFORMED) + harness_->drops(1, IOV_DROP_DHCP_NO_REPLY), 0u);
    }
    Request from_vm2;
    from_vm2.from = kVm2;
    const uint64_t answered = harness_->txPackets(1, 1);
    auto out = harness_->runOnPort(1, 1, requestFrame(from_vm2));
    ASSERT_EQ(out.rc, 0);
    EXPECT_EQ(harness_->txPackets(1, 1), answered) << "a port without options is not answered";
}

// bootfile_name_alt goes to clients other than iPXE (as pinctrl), next_server
// becomes siaddr and is sent as option 253.
TEST_P(DhcpTest, BootOptionsFollowTheClient) {
    auto options = neutronOptions();
    options.options = {{"lease_time", "3600"}, {"server_id", "10.0.0.1"}, {"server_mac", "02:00:00:00:00:fe"},
                       {"bootfile_name", "\"ipxe.efi\""}, {"bootfile_name_alt", "\"boot.ipxe\""},
                       {"next_server", "10.0.0.7"}};
    setOptions(options);
    const Bytes lease = {51, 4, 0, 0, 0x0e, 0x10, 1, 4, 255, 255, 255, 0};
    auto reply = [&](const std::string &file) {
        Bytes o = {67, uint8_t(file.size())};
        o.insert(o.end(), file.begin(), file.end());
        o.insert(o.end(), lease.begin(), lease.end());
        o.insert(o.end(), {253, 4, 10, 0, 0, 7, 54, 4, 10, 0, 0, 1});
        return o;
    };
    const Request plain{kDiscover, 1, 0, "0.0.0.0", "255.255.255.255", 0, {}};
    expectReply(plain, replyFrame(plain, kOffer, ip4("10.0.0.5"), reply("boot.ipxe"), ip4("10.0.0.7")), "PXE");
    const Request ipxe{kDiscover, 2, 0, "0.0.0.0", "255.255.255.255", 0, {175, 2, 1, 1}};
    expectReply(ipxe, replyFrame(ipxe, kOffer, ip4("10.0.0.5"), reply("ipxe.efi"), ip4("10.0.0.7")), "iPXE");
}

// ---- DHCPv6 ------------------------------------------------------------

constexpr uint8_t kSolicit = 1, kAdvertise = 2, kRequest6 = 3, kRenew6 = 5, kReply6 = 7, kRelease6 = 8, kInfoRequest = 11;
const Ip6 kVm1Ll = iovisor::linkLocal(kVm1), kServerLl = iovisor::linkLocal(kServer);

Bytes option6(uint16_t code, const Bytes &value) {
    Bytes o = {uint8_t(code >> 8), uint8_t(code), uint8_t(value.size() >> 8), uint8_t(value.size())};
    o.insert(o.end(), value.begin(), value.end());
    return o;
}
Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto &p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}
const Bytes kClientId = option6(1, {0, 3, 0, 1, 2, 0, 0, 0, 0, 1});
const Bytes kIaid = {0xde, 0xad, 0xbe, 0xef};

Bytes request6(uint8_t type, const Bytes &options) {
    const Bytes msg = concat({{type, 0x12, 0x34, 0x56}, options});
    const Ip6 all_servers = ip6("ff02::1:2");
    return eth(mac("33:33:00:01:00:02"), kVm1, kEthIp6, ipv6(kVm1Ll, all_servers, 17, udp6(kVm1Ll, all_servers, 546, 547, msg), 1));
}
Bytes reply6(uint8_t type, const Bytes &options) {
    const Bytes msg = concat({{type, 0x12, 0x34, 0x56}, kClientId, options});
    return eth(kVm1, kServer, kEthIp6, ipv6(kServerLl, kVm1Ll, 17, udp6(kServerLl, kVm1Ll, 547, 546, msg), 1));
}

// What pinctrl sends for fd00::5 with dns_server and domain_search (the
// search list in RFC 1035 labels, where pinctrl sends one label).
Bytes iaNa(const std::string &addr) {
    const Ip6 a = ip6(addr);
    const Bytes forever = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return option6(3, concat({kIaid, forever, option6(5, concat({Bytes(a.begin(), a.end()), forever}))}));
}
Bytes dnsAndDomain() {
    const Ip6 dns = ip6("fd00::53");
    const Bytes search = {9, 'o', 'p', 'e', 'n', 's', 't', 'a', 'c', 'k', 8, 'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0};
    return concat({option6(23, Bytes(dns.begin(), dns.end())), option6(24, search)});
}
const Bytes kServerId = option6(2, {0, 3, 0, 1, 2, 0, 0, 0, 0, 0xfe});

class Dhcp6Test : public DhcpTest {
protected:
    void setOptions6(bool stateless) {
        ovnmon::DhcpOptions o{"u6", "fd00::/64",
                              {{"server_id", "02:00:00:00:00:fe"}, {"dns_server", "{fd00::53}"},
                               {"domain_search", "\"openstack.internal\""}}};
        if (stateless) o.options["dhcpv6_stateless"] = "true";
        auto answers = ctl::dhcp6Answers(o, {{kVm1, {}, {{ip6("fd00::5"), 128}}}});
        ASSERT_TRUE(answers.ok()) << answers.error().message;
        ASSERT_EQ(answers->size(), 1u);
        ASSERT_TRUE(sw_->setDhcp6(0, *answers).ok());
    }
    void expectReply6(const Bytes &request, const Bytes &reply, const std::string &what) {
        expectAnswered(0, request, reply, what);
    }
};

TEST_P(Dhcp6Test, StatefulSolicitRequestAndRelease) {
    setOptions6(false);
    const Bytes ia = option6(3, concat({kIaid, Bytes(8)}));
    const Bytes elapsed = option6(8, {0, 0});
    expectReply6(request6(kSolicit, concat({kClientId, ia, elapsed})),
                 reply6(kAdvertise, concat({iaNa("fd00::5"), dnsAndDomain(), kServerId})), "Solicit");
    expectReply6(request6(kRequest6, concat({kClientId, kServerId, ia, elapsed})),
                 reply6(kReply6, concat({iaNa("fd00::5"), dnsAndDomain(), kServerId})), "Request");
    expectReply6(request6(kRelease6, concat({kClientId, kServerId, ia})),
                 reply6(kReply6, concat({kServerId, option6(13, {0, 0})})), "Release: a success status");
    expectDropped(0, request6(kRenew6, concat({kClientId, kServerId, ia})), IOV_DROP_DHCP_NO_REPLY, "Renew");
    expectDropped(0, request6(kSolicit, concat({ia, elapsed})), IOV_DROP_DHCP_MALFORMED, "no client id");
    expectDropped(0, request6(kSolicit, concat({kClientId, elapsed})), IOV_DROP_DHCP_MALFORMED, "no IA_NA");
    Bytes overlong = request6(kSolicit, concat({kClientId, ia}));
    overlong[14 + 40 + 8 + 4 + 3] = 200;  // the client id's length runs past the end
    expectDropped(0, overlong, IOV_DROP_DHCP_MALFORMED, "an option past the end");
}

TEST_P(Dhcp6Test, StatelessInformationRequest) {
    setOptions6(true);
    expectReply6(request6(kInfoRequest, concat({kClientId, option6(8, {0, 0})})),
                 reply6(kReply6, concat({dnsAndDomain(), kServerId})), "Information-request");
    const Bytes ia = option6(3, concat({kIaid, Bytes(8)}));
    expectReply6(request6(kSolicit, concat({kClientId, ia})), reply6(kAdvertise, concat({dnsAndDomain(), kServerId})),
                 "Solicit: no address in stateless mode");
}

INSTANTIATE_TEST_SUITE_P(Hook, Dhcp6Test, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp),
                         [](const auto &info) { return info.param == hover::AttachMode::kTc ? "tc" : "xdp"; });

INSTANTIATE_TEST_SUITE_P(Hook, DhcpTest, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp),
                         [](const auto &info) { return info.param == hover::AttachMode::kTc ? "tc" : "xdp"; });

}  // namespace
