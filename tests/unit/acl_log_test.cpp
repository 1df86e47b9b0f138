// hoverd's ACL log lines (hover/src/acl_log.cpp): frames in OVS's flow
// notation, as ovn-controller's acl_log prints them, and cut frames.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "acl_log.h"

namespace {

using Bytes = std::vector<uint8_t>;

Bytes eth(uint16_t type) {
    return {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, uint8_t(type >> 8), uint8_t(type)};
}

// An IPv4 header 10.0.0.1 -> 10.0.0.2 with `proto`, TTL 64, DSCP 46 + ECN 1.
Bytes ipv4(uint8_t proto, uint16_t frag = 0) {
    return {0x45, 0xb9, 0, 0, 0, 0, uint8_t(frag >> 8), uint8_t(frag), 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
}

std::string text(std::vector<Bytes> parts) {
    Bytes frame;
    for (const auto &p : parts) frame.insert(frame.end(), p.begin(), p.end());
    return hover::flowText(frame.data(), frame.size());
}

TEST(AclLog, FramesInOvsFlowNotation) {
    EXPECT_EQ(text({eth(0x0800), ipv4(1), {8, 0, 0, 0, 0, 1, 0, 1}}),
              "icmp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,nw_src=10.0.0.1,"
              "nw_dst=10.0.0.2,nw_tos=184,nw_ecn=1,nw_ttl=64,nw_frag=no,icmp_type=8,icmp_code=0");
    const Bytes syn_ack = {0x9c, 0x40, 0, 22, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x12, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(text({eth(0x0800), ipv4(6), syn_ack}),
              "tcp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,nw_src=10.0.0.1,"
              "nw_dst=10.0.0.2,nw_tos=184,nw_ecn=1,nw_ttl=64,nw_frag=no,tp_src=40000,tp_dst=22,tcp_flags=syn|ack");
    EXPECT_EQ(text({eth(0x0800), ipv4(17, 0x0010), {0, 53, 0, 53}}),
              "udp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,nw_src=10.0.0.1,"
              "nw_dst=10.0.0.2,nw_tos=184,nw_ecn=1,nw_ttl=64,nw_frag=later,tp_src=0,tp_dst=0");
    Bytes v6 = {0x60, 0, 0, 0, 0, 8, 17, 255};
    for (int i = 0; i < 32; ++i) v6.push_back(i == 0 ? 0xfd : i == 15 ? 1 : i == 16 ? 0xfd : i == 31 ? 2 : 0);
    EXPECT_EQ(text({eth(0x86dd), v6, {0x10, 0x00, 0, 53}}),
              "udp6,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,ipv6_src=fd00::1,"
              "ipv6_dst=fd00::2,ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=255,nw_frag=no,tp_src=4096,tp_dst=53");
    const Bytes arp = {0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
    EXPECT_EQ(text({eth(0x0806), arp}),
              "arp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,arp_spa=10.0.0.1,"
              "arp_tpa=10.0.0.2,arp_op=1,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00");
}

// The ring carries the frame's first bytes: what is missing reads as zeros,
// never past the capture.
TEST(AclLog, CutFramesAreNamedNotOverread) {
    EXPECT_EQ(text({{1, 2, 3}}), "(a frame of 3 bytes)");
    const std::string cut = text({eth(0x0800), {0x45, 0}});
    EXPECT_EQ(cut.rfind("icmp,", 0), std::string::npos) << cut;
    EXPECT_NE(cut.find("nw_src=0.0.0.0"), std::string::npos) << cut;
}

// A flood through an unmetered logged ACL: at most kMaxLinesPerSecond lines
// a second, and one line counting what was left out.
TEST(AclLog, LinesPastTheSecondsLimitAreCountedNotWritten) {
    std::mutex mu;
    std::vector<std::string> lines;
    hover::AclLogger logger("/nonexistent-pin-root", [&](const std::string &line) {
        std::lock_guard<std::mutex> lock(mu);
        lines.push_back(line);
    });
    // Start at the beginning of a second, so that the flood fits in one.
    const auto second = [] {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    };
    for (const auto s0 = second(); second() == s0;) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const uint64_t flood = hover::AclLogger::kMaxLinesPerSecond + 500;
    for (uint64_t i = 0; i < flood; ++i) logger.emit("line " + std::to_string(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the reader ends the second
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(lines.size(), hover::AclLogger::kMaxLinesPerSecond + 1);
    EXPECT_EQ(lines.back(), "acl_log|WARN|500 ACL log lines left out (over 1000 a second)");
}

}  // namespace
