// l2switch fixtures: packet in -> verdict -> packet out -> counters.
#include <bpf/bpf.h>

#include <set>

#include "hover/l2switch.h"
#include "switch_fixture.h"

namespace {

using namespace testsupport;
namespace l2 = hover::model::l2switch;
using bpftest::kRedirect;
using bpftest::kShot;

const Mac kMac1 = mac("02:00:00:00:00:01"), kMac2 = mac("02:00:00:00:00:02"), kMac3 = mac("02:00:00:00:00:03");
const Mac kStranger = mac("02:00:00:00:00:99");

// A switch (module 1) with three VIF ports on dummy netdevs:
//   port 0: vm1 02..01 10.0.0.1, port security "02..01 10.0.0.1"
//   port 1: vm2 02..02 10.0.0.2, port security "02..02 10.0.0.2/32"
//   port 2: vm3 02..03 10.0.0.3, no port security
// Runs on the TC and the XDP build; they differ only in floods (TC clones
// to each port; XDP redirects once to a devmap broadcast).
class L2SwitchTest : public bpftest::SwitchFixture {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_TOOL("ip", "iproute2");
        startSwitch({kMac1, kMac2, kMac3});
        const Mac macs[] = {kMac1, kMac2, kMac3};
        for (uint32_t port = 0; port < 3; ++port)
            ASSERT_TRUE(sw_->addArpResponder(ip4("10.0.0." + std::to_string(port + 1)), macs[port], port).ok());
        ASSERT_TRUE(sw_->setPortSecurity(0, {{kMac1, {{ip4("10.0.0.1"), 32}}, {}}}).ok());
        ASSERT_TRUE(sw_->setPortSecurity(1, {{kMac2, {{ip4("10.0.0.2"), 32}}, {}}}).ok());
    }
};

TEST_P(L2SwitchTest, UnicastToKnownMacGoesToItsPort) {
    expectForwarded(0, udpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2"), 1);
    expectForwarded(1, udpFrame(kMac3, kMac2, "10.0.0.2", "10.0.0.3"), 2);
    expectForwarded(2, udpFrame(kMac1, kMac3, "10.0.0.3", "10.0.0.1"), 0);
}

TEST_P(L2SwitchTest, BroadcastFloodsEveryPortButIngress) {
    const Bytes packet = eth(kBroadcast, kMac3, kEthIp,
                             ipv4(ip4("10.0.0.3"), ip4("255.255.255.255"), 17, udp(ip4("10.0.0.3"), ip4("255.255.255.255"), 68, 67)));
    auto r = harness_->runOnPort(1, 2, packet);
    ASSERT_EQ(r.rc, 0);
    if (xdp()) return expectXdpFlood(r, packet, l2::kFloodAll.desc.name, {0, 1, 2});  // the kernel skips the ingress netdev
    EXPECT_EQ(r.verdict, kShot) << "the original is consumed after the clones";
    EXPECT_EQ(harness_->txPackets(1, 0), 1u);
    EXPECT_EQ(harness_->txPackets(1, 1), 1u);
    EXPECT_EQ(harness_->txPackets(1, 2), 0u) << "never back out of the ingress port";
    EXPECT_EQ(harness_->totalDrops(1), 0u) << "a flood is not a drop";
}

TEST_P(L2SwitchTest, UnknownUnicastFloodsOnlyWherePortSecurityAllows) {
    // Port 2 (no port security) gets it; ports 0/1 only accept their own MAC.
    auto r = harness_->runOnPort(1, 2, udpFrame(kStranger, kMac3, "10.0.0.3", "10.0.0.50"));
    ASSERT_EQ(r.rc, 0);
    if (xdp()) {
        expectXdpFlood(r, udpFrame(kStranger, kMac3, "10.0.0.3", "10.0.0.50"), l2::kFloodUnknown.desc.name, {2});
        ASSERT_TRUE(sw_->setPortSecurity(1, {}).ok());
        return expectXdpFlood(r, r.out, l2::kFloodUnknown.desc.name, {1, 2});
    }
    EXPECT_EQ(harness_->txPackets(1, 0), 0u);
    EXPECT_EQ(harness_->txPackets(1, 1), 0u);
    ASSERT_TRUE(sw_->setPortSecurity(1, {}).ok());
    r = harness_->runOnPort(1, 2, udpFrame(kStranger, kMac3, "10.0.0.3", "10.0.0.50"));
    EXPECT_EQ(harness_->txPackets(1, 1), 1u) << "without port security port 1 gets unknown unicast";
}

TEST_P(L2SwitchTest, PortSecurityDropsSpoofedSources) {
    expectDropped(0, udpFrame(kMac2, kStranger, "10.0.0.1", "10.0.0.2"), IOV_DROP_PS_SRC_MAC);
    expectDropped(0, udpFrame(kMac2, kMac1, "10.0.0.66", "10.0.0.2"), IOV_DROP_PS_SRC_IP);
    // ARP with a forged sender MAC, then with a forged sender IP.
    expectDropped(0, eth(kBroadcast, kMac1, kEthArp, arp(1, kStranger, ip4("10.0.0.1"), Mac{}, ip4("10.0.0.9"))),
                  IOV_DROP_PS_ARP);
    expectDropped(0, arpRequest(kMac1, "10.0.0.66", "10.0.0.9"), IOV_DROP_PS_ARP);
    // Port 2 has no port security: a changed IP passes.
    expectForwarded(2, udpFrame(kMac1, kMac3, "10.0.0.77", "10.0.0.1"), 0);
}

TEST_P(L2SwitchTest, PortSecurityAllowsDhcpDiscover) {
    const Bytes discover =
        eth(kBroadcast, kMac1, kEthIp, ipv4(0, ip4("255.255.255.255"), 17, udp(0, ip4("255.255.255.255"), 68, 67)));
    auto r = harness_->runOnPort(1, 0, discover);
    ASSERT_EQ(r.rc, 0);
    EXPECT_EQ(harness_->totalDrops(1), 0u);
    if (xdp()) return expectXdpFlood(r, discover, l2::kFloodAll.desc.name, {0, 1, 2});
    EXPECT_EQ(harness_->txPackets(1, 2), 1u);
}

TEST_P(L2SwitchTest, EgressPortSecurityGuardsTheDestination) {
    // Right MAC, but port 1 may only receive for 10.0.0.2.
    expectDropped(2, udpFrame(kMac2, kMac3, "10.0.0.3", "10.0.0.99"), IOV_DROP_PS_DST);
}

TEST_P(L2SwitchTest, DisabledPortDropsEverything) {
    ASSERT_TRUE(sw_->setPort(2, {.enabled = false}).ok());
    expectDropped(2, udpFrame(kMac1, kMac3, "10.0.0.3", "10.0.0.1"), IOV_DROP_PORT_DISABLED);
    // Nothing goes out of it either...
    expectDropped(0, udpFrame(kMac3, kMac1, "10.0.0.1", "10.0.0.3"), IOV_DROP_PORT_DISABLED);
    // ...and floods skip it.
    auto r = harness_->runOnPort(1, 0, arpRequest(kMac1, "10.0.0.1", "10.0.0.200"));
    if (xdp()) return expectXdpFlood(r, arpRequest(kMac1, "10.0.0.1", "10.0.0.200"), l2::kFloodAll.desc.name, {0, 1});
    EXPECT_EQ(harness_->txPackets(1, 2), 0u);
    EXPECT_EQ(harness_->txPackets(1, 1), 1u);
}

TEST_P(L2SwitchTest, ArpResponderAnswersKnownAddresses) {
    auto r = harness_->runOnPort(1, 0, arpRequest(kMac1, "10.0.0.1", "10.0.0.2"));
    ASSERT_EQ(r.rc, 0);
    EXPECT_EQ(r.verdict, kRedirect);
    EXPECT_EQ(harness_->txPackets(1, 0), 1u) << "the reply goes back out of the asking port";
    EXPECT_EQ(harness_->txPackets(1, 1), 0u) << "the request is not flooded";
    const Bytes reply = eth(kMac1, kMac2, kEthArp, arp(2, kMac2, ip4("10.0.0.2"), kMac1, ip4("10.0.0.1")));
    EXPECT_EQ(hex(r.out), hex(reply));
}

// As northd does for localnet ports: requests from a port answered by the
// owners are flooded (the owner answers), not answered by the switch.
TEST_P(L2SwitchTest, ArpAndNsFromALocalnetPortAreFloodedToTheOwners) {
    ASSERT_TRUE(sw_->setPort(2, {.enabled = true, .learn = true, .answered_by_owners = true}).ok());
    ASSERT_TRUE(sw_->addNdResponder(ip6("fd00::2"), kMac2, 1, false).ok());
    const Bytes request = arpRequest(kMac3, "10.0.0.3", "10.0.0.2");
    auto r = harness_->runOnPort(1, 2, request);
    const Ip6 asker = ip6("fd00::3"), group = ip6("ff02::1:ff00:2");
    const Bytes solicit = eth(mac("33:33:ff:00:00:02"), kMac3, kEthIp6,
                              ipv6(asker, group, 58, icmp6(asker, group, neighborDiscovery(135, 0, ip6("fd00::2"), 1, kMac3)), 255));
    auto r6 = harness_->runOnPort(1, 2, solicit);
    if (xdp()) {
        expectXdpFlood(r, request, l2::kFloodAll.desc.name, {0, 1, 2});
        return expectXdpFlood(r6, solicit, l2::kFloodAll.desc.name, {0, 1, 2});
    }
    EXPECT_EQ(r.verdict, kShot) << "every copy is out";
    EXPECT_EQ(harness_->txPackets(1, 1), 2u) << "the ARP request and the NS reach the owner, vm2";
    EXPECT_EQ(harness_->txPackets(1, 0), 2u) << "and every other port";
    EXPECT_EQ(harness_->txPackets(1, 2), 0u) << "nothing is answered back to the localnet port";
    // The same request from a VIF is answered by the switch.
    r = harness_->runOnPort(1, 0, arpRequest(kMac1, "10.0.0.1", "10.0.0.2"));
    EXPECT_EQ(harness_->txPackets(1, 0), 3u) << "answered back to vm1";
    EXPECT_EQ(harness_->txPackets(1, 1), 2u) << "not flooded";
}

TEST_P(L2SwitchTest, ArpForUnknownAddressFloods) {
    auto r = harness_->runOnPort(1, 0, arpRequest(kMac1, "10.0.0.1", "10.0.0.200"));
    if (xdp()) return expectXdpFlood(r, arpRequest(kMac1, "10.0.0.1", "10.0.0.200"), l2::kFloodAll.desc.name, {0, 1, 2});
    EXPECT_EQ(r.verdict, kShot);
    EXPECT_EQ(harness_->txPackets(1, 1), 1u);
    EXPECT_EQ(harness_->txPackets(1, 2), 1u);
}

// As OVN, the switch answers Neighbor Solicitations for the IPv6 addresses
// it knows, with the router flag for a router's.
TEST_P(L2SwitchTest, NdResponderAnswersKnownAddresses) {
    const Mac kRouter = mac("02:00:00:00:aa:00");
    ASSERT_TRUE(sw_->addNdResponder(ip6("fd00::2"), kMac2, 1, false).ok());
    ASSERT_TRUE(sw_->addNdResponder(ip6("fd00::fe"), kRouter, 0, true).ok());
    const Ip6 asker = ip6("fd00::3");
    auto solicit = [&](const char *target, const char *solicited, const Mac &group) {
        return eth(group, kMac3, kEthIp6,
                   ipv6(asker, ip6(solicited), 58, icmp6(asker, ip6(solicited), neighborDiscovery(135, 0, ip6(target), 1, kMac3)), 255));
    };
    auto advert = [&](const char *target, const Mac &owner, uint32_t flags) {
        return eth(kMac3, owner, kEthIp6,
                   ipv6(ip6(target), asker, 58, icmp6(ip6(target), asker, neighborDiscovery(136, flags, ip6(target), 2, owner)), 255));
    };
    auto r = harness_->runOnPort(1, 2, solicit("fd00::2", "ff02::1:ff00:2", mac("33:33:ff:00:00:02")));
    EXPECT_EQ(r.verdict, kRedirect);
    EXPECT_EQ(hex(r.out), hex(advert("fd00::2", kMac2, 0x60000000))) << "solicited + override";
    EXPECT_EQ(harness_->txPackets(1, 2), 1u) << "back out of the asking port";
    r = harness_->runOnPort(1, 2, solicit("fd00::fe", "ff02::1:ff00:fe", mac("33:33:ff:00:00:fe")));
    EXPECT_EQ(hex(r.out), hex(advert("fd00::fe", kRouter, 0xe0000000))) << "router + solicited + override";
    // Unknown targets are flooded like any multicast, never answered.
    r = harness_->runOnPort(1, 2, solicit("fd00::99", "ff02::1:ff00:99", mac("33:33:ff:00:00:99")));
    EXPECT_EQ(harness_->txPackets(1, 2), 2u);
}

TEST_P(L2SwitchTest, LearnsOnPortsThatAcceptUnknown) {
    ASSERT_TRUE(sw_->setPort(2, {.enabled = true, .learn = true}).ok());
    const Mac moved = mac("02:00:00:00:00:42");
    // First packet from the new MAC is learned on port 2...
    harness_->runOnPort(1, 2, udpFrame(kMac1, moved, "10.0.0.42", "10.0.0.1"));
    // ...so traffic to it is unicast there, not flooded.
    expectForwarded(1, udpFrame(moved, kMac2, "10.0.0.2", "10.0.0.42"), 2);
    // A port without learning does not learn.
    harness_->runOnPort(1, 0, udpFrame(kMac3, kMac1, "10.0.0.1", "10.0.0.3"));
    expectForwarded(1, udpFrame(kMac3, kMac2, "10.0.0.2", "10.0.0.3"), 2);
}

TEST_P(L2SwitchTest, MalformedFramesAreDroppedWithAReason) {
    // IPv4 cut inside its header. (TC's BPF_PROG_TEST_RUN refuses IPv4
    // frames shorter than 14 + 20 bytes; XDP's runs them.)
    Bytes cut = udpFrame(kMac1, kMac3, "10.0.0.3", "10.0.0.1");
    cut.resize(14 + 12);
    if (xdp()) expectDropped(2, cut, IOV_DROP_TRUNCATED);
    else EXPECT_NE(harness_->runOnPort(1, 2, cut).rc, 0) << "the kernel now accepts short IPv4: test TRUNCATED here";
    // IHL 4 (< 20 bytes).
    Bytes bad_ihl = udpFrame(kMac1, kMac3, "10.0.0.3", "10.0.0.1");
    bad_ihl[14] = 0x44;
    expectDropped(2, bad_ihl, IOV_DROP_BAD_IHL);
    // IHL 15 (60 bytes) past the end of a small packet.
    Bytes long_ihl = eth(kMac1, kMac3, kEthIp, ipv4(ip4("10.0.0.3"), ip4("10.0.0.1"), 17, Bytes(8)));
    long_ihl[14] = 0x4f;
    expectDropped(2, long_ihl, IOV_DROP_BAD_IHL);
    // Total length beyond the frame.
    Bytes bad_len = udpFrame(kMac1, kMac3, "10.0.0.3", "10.0.0.1");
    bad_len[16] = 0x0f;
    expectDropped(2, bad_len, IOV_DROP_BAD_IP_LEN);
    // 802.1Q tag on an access port.
    expectDropped(2, eth(kMac1, kMac3, kEthVlan, {0x00, 0x05, 0x08, 0x00}), IOV_DROP_VLAN_TAGGED);
    // Multicast source MAC.
    expectDropped(2, udpFrame(kMac1, mac("03:00:00:00:00:01"), "10.0.0.3", "10.0.0.1"), IOV_DROP_SRC_MAC_MULTICAST);
    // Truncated ARP.
    expectDropped(0, eth(kBroadcast, kMac1, kEthArp, Bytes(10)), IOV_DROP_TRUNCATED);
}

TEST_P(L2SwitchTest, LegalOdditiesAreForwarded) {
    // IPv4 options (IHL 6) and a fragment are fine for a switch.
    Ipv4Options opts;
    opts.options = {0x01, 0x01, 0x01, 0x00};  // NOP NOP NOP EOL
    expectForwarded(2, eth(kMac1, kMac3, kEthIp, ipv4(ip4("10.0.0.3"), ip4("10.0.0.1"), 17, Bytes(16), opts)), 0);
    Ipv4Options frag;
    frag.frag_off = 0x2000 | 10;
    expectForwarded(2, eth(kMac1, kMac3, kEthIp, ipv4(ip4("10.0.0.3"), ip4("10.0.0.1"), 17, Bytes(16), frag)), 0);
}

TEST_P(L2SwitchTest, DestinationOnIngressPortIsDropped) {
    // vm3's own MAC as destination, from another host behind the same port.
    expectDropped(2, udpFrame(kMac3, mac("02:00:00:00:00:33"), "10.0.0.33", "10.0.0.3"), IOV_DROP_SAME_PORT);
}

TEST_P(L2SwitchTest, NetdevEntryFindsItsPortOrDrops) {
    // A packet arriving on the netdev bound to port 5 is forwarded to port 0.
    const auto &link = harness_->netdevPort(1, 5);
    ASSERT_TRUE(sw_->setPort(5, {}).ok());
    auto r = harness_->runFromNetdev(1, link.ifindex(), udpFrame(kMac1, kMac3, "10.0.0.3", "10.0.0.1"));
    EXPECT_EQ(r.verdict, kRedirect);
    EXPECT_EQ(harness_->rxPackets(1, 5), 1u);
    // An interface no port is bound to: the shared entry drops it, counted.
    r = harness_->runFromNetdev(1, 1 /* lo */, udpFrame(kMac1, kMac3, "10.0.0.3", "10.0.0.1"));
    EXPECT_EQ(r.verdict, kShot);
    auto entry_drops = harness_->chain().entryDrops();
    ASSERT_TRUE(entry_drops.ok());
    EXPECT_EQ((*entry_drops)[IOV_DROP_NO_INGRESS_PORT], 1u);
}

// Instances are data: a second switch runs the first one's program (loaded
// and verified once per hook) but has rows of its own in the shared tables;
// a removed switch leaves its rows empty for the next instance of its id.
TEST_P(L2SwitchTest, InstancesShareTheProgramButNotTheirPorts) {
    auto progId = [](int fd) {
        bpf_prog_info info{};
        uint32_t len = sizeof info;
        EXPECT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
        return info.id;
    };
    hover::Module &second = harness_->load("l2switch", 2);
    EXPECT_EQ(progId(second.chainProgFd()), progId(harness_->module(1).chainProgFd())) << "one program per type";
    EXPECT_EQ(progId(second.netdevProgFd()), progId(harness_->module(1).netdevProgFd()));
    const Bytes frame = udpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2");  // vm1 -> vm2
    const uint64_t before = harness_->drops(2, IOV_DROP_PORT_DISABLED);
    EXPECT_EQ(harness_->runOnPort(2, 0, frame).verdict, kShot) << "switch 1's ports are not switch 2's";
    EXPECT_EQ(harness_->drops(2, IOV_DROP_PORT_DISABLED), before + 1);
    expectForwarded(0, frame, 1);

    auto enabledPorts = [&](uint32_t id) {
        auto map = second.tableMap(l2::kPorts.desc.name);
        auto info = hover::mapInfo(map->fd);
        auto row = hover::readSlots(map->fd, *info, IOV_PORT_SLOT(id, 0), IOV_MAX_PORTS);
        EXPECT_TRUE(row.ok());
        int n = 0;
        for (const auto &slot : *row) n += hover::model::fromBytes<l2_port>(slot).flags != 0;
        return n;
    };
    EXPECT_EQ(enabledPorts(1), 3);
    EXPECT_EQ(enabledPorts(2), 0);
    ASSERT_TRUE(harness_->module(1).remove().ok());
    EXPECT_EQ(enabledPorts(1), 0) << "a removed switch's row is cleared";
    auto peer = second.peer(0);
    ASSERT_TRUE(peer.ok());
    EXPECT_EQ(peer->kind, uint32_t{IOV_PEER_NONE});
}

INSTANTIATE_TEST_SUITE_P(Hook, L2SwitchTest, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp),
                         [](const auto &info) { return info.param == hover::AttachMode::kXdp ? "xdp" : "tc"; });

// Two switches chained through module ports (tail calls): port 1 of each is
// linked to the other; both send kMac2 towards switch 2's port 0.
class L2SwitchChain : public ::testing::Test {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        a_ = std::make_unique<hover::L2Switch>(h_.load("l2switch", 1));
        b_ = std::make_unique<hover::L2Switch>(h_.load("l2switch", 2));
        h_.link(1, 1, 2, 1);
        for (auto *sw : {a_.get(), b_.get()}) {
            ASSERT_TRUE(sw->setPort(0, {}).ok());
            ASSERT_TRUE(sw->setPort(1, {}).ok());
        }
        ASSERT_TRUE(a_->addFdb(kMac2, 1).ok());
        ASSERT_TRUE(b_->addFdb(kMac2, 0).ok());
    }
    bpftest::ModuleHarness h_;
    std::unique_ptr<hover::L2Switch> a_, b_;
};

TEST_F(L2SwitchChain, PacketsCrossToAPeerModule) {
    h_.netdevPort(1, 0);
    h_.netdevPort(2, 0);
    auto r = h_.runOnPort(1, 0, udpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2"));
    EXPECT_EQ(r.verdict, kRedirect);
    EXPECT_EQ(h_.txPackets(1, 1), 1u) << "out of switch 1 towards switch 2";
    EXPECT_EQ(h_.rxPackets(2, 1), 1u) << "into switch 2 on its linked port";
    EXPECT_EQ(h_.txPackets(2, 0), 1u) << "out of switch 2 to the VIF";

    // A broadcast from switch 1 reaches switch 2's VIF too.
    r = h_.runOnPort(1, 0, arpRequest(kMac1, "10.0.0.1", "10.0.0.2"));
    EXPECT_EQ(h_.txPackets(2, 0), 2u);
}

TEST_F(L2SwitchChain, LoopsStopAtTheHopLimitWithACountedDrop) {
    // Misconfiguration: port 0 of each switch linked to the other as well, so
    // kMac2 goes 1:port1 -> 2:port1, 2:port0 -> 1:port0, and round again.
    h_.link(1, 0, 2, 0);
    auto r = h_.runOnPort(1, 0, udpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2"));
    EXPECT_EQ(r.verdict, kShot);
    EXPECT_EQ(h_.drops(1, IOV_DROP_CHAIN_DEPTH) + h_.drops(2, IOV_DROP_CHAIN_DEPTH), 1u);
}

TEST(L2SwitchChainEnd, TailCallToAnUnloadedModuleIsCounted) {
    REQUIRE_ROOT();
    bpftest::ModuleHarness h;
    hover::L2Switch a(h.load("l2switch", 1));
    ASSERT_TRUE(a.setPort(0, {}).ok());
    ASSERT_TRUE(a.setPort(1, {}).ok());
    ASSERT_TRUE(h.module(1).connectModule(1, 77, 0).ok());
    ASSERT_TRUE(a.addFdb(kMac2, 1).ok());
    auto r = h.runOnPort(1, 0, udpFrame(kMac2, kMac1, "10.0.0.1", "10.0.0.2"));
    EXPECT_EQ(r.verdict, kShot);
    EXPECT_EQ(h.drops(1, IOV_DROP_CHAIN_MISSING), 1u);
}

}  // namespace
