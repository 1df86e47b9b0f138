// A switch under test (module 1) with one VIF port per MAC on dummy netdevs
// (port i: macs[i]), on the TC or the XDP build, and the checks its
// fixtures share: packet in -> verdict -> packet out -> counters.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hover/l2switch.h"
#include "module_harness.h"

namespace bpftest {

class SwitchFixture : public ::testing::TestWithParam<hover::AttachMode> {
protected:
    // The switch with its ports and their MACs in the fdb (REQUIRE_ROOT first).
    void startSwitch(const std::vector<testsupport::Mac> &macs) {
        harness_ = std::make_unique<ModuleHarness>(GetParam());
        sw_ = std::make_unique<hover::L2Switch>(harness_->load("l2switch", 1));
        for (uint32_t port = 0; port < macs.size(); ++port) {
            harness_->netdevPort(1, port);
            ASSERT_TRUE(sw_->setPort(port, {}).ok());
            ASSERT_TRUE(sw_->addFdb(macs[port], port).ok());
        }
    }

    // Runs `packet` in on `in_port`: out of `out_port` unchanged, no drop counted.
    void expectForwarded(uint32_t in_port, const testsupport::Bytes &packet, uint32_t out_port,
                         const std::string &what = "") {
        const uint64_t tx_before = harness_->txPackets(1, out_port);
        const uint64_t drops_before = harness_->totalDrops(1);
        auto r = harness_->runOnPort(1, in_port, packet);
        ASSERT_EQ(r.rc, 0);
        EXPECT_EQ(r.verdict, kRedirect) << "expected a redirect " << what;
        EXPECT_EQ(harness_->txPackets(1, out_port), tx_before + 1) << "expected out of port " << out_port << " " << what;
        EXPECT_EQ(r.out, packet) << "forwarding must not change the frame " << what;
        EXPECT_EQ(harness_->totalDrops(1), drops_before) << "no drop may be counted " << what;
    }

    // Runs `request` in on `port`: answered by the switch, `reply` goes back
    // out of the same port, no drop counted.
    void expectAnswered(uint32_t port, const testsupport::Bytes &request, const testsupport::Bytes &reply,
                        const std::string &what) {
        const uint64_t tx_before = harness_->txPackets(1, port), drops_before = harness_->totalDrops(1);
        auto r = harness_->runOnPort(1, port, request);
        ASSERT_EQ(r.rc, 0);
        EXPECT_EQ(r.verdict, kRedirect) << what;
        EXPECT_EQ(testsupport::hex(r.out), testsupport::hex(reply)) << what;
        EXPECT_EQ(harness_->txPackets(1, port), tx_before + 1) << what << ": the answer leaves by the asking port";
        EXPECT_EQ(harness_->totalDrops(1), drops_before) << what;
    }

    void expectDropped(uint32_t in_port, const testsupport::Bytes &packet, uint32_t reason, const std::string &what = "") {
        const uint64_t before = harness_->drops(1, reason);
        auto r = harness_->runOnPort(1, in_port, packet);
        ASSERT_EQ(r.rc, 0) << "test run refused a " << packet.size() << "-byte packet";
        EXPECT_EQ(r.verdict, kShot) << what;
        EXPECT_EQ(harness_->drops(1, reason), before + 1)
            << what << ": expected drop reason " << hover::dropReasonName(reason);
    }

    bool xdp() const { return GetParam() == hover::AttachMode::kXdp; }

    // XDP floods: one broadcast redirect through a devmap of the ports that
    // may receive it; `devmap` is flood_all or flood_unknown.
    void expectXdpFlood(const RunResult &r, const testsupport::Bytes &packet, const std::string &devmap,
                        const std::set<uint32_t> &ports) {
        EXPECT_EQ(r.verdict, kRedirect) << "one devmap broadcast redirect";
        EXPECT_EQ(r.out, packet);
        auto map = harness_->module(1).map<uint32_t, uint32_t>(devmap);
        ASSERT_TRUE(map.ok()) << map.error().message;
        const auto keys = map->keys();
        EXPECT_EQ(std::set<uint32_t>(keys.begin(), keys.end()), ports) << devmap;
    }

    std::unique_ptr<ModuleHarness> harness_;
    std::unique_ptr<hover::L2Switch> sw_;
};

}  // namespace bpftest
