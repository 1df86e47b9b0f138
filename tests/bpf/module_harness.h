// Runs a loaded IOModule with BPF_PROG_TEST_RUN: one packet in, the verdict,
// the packet out, and the counters it moved. Netdev ports are throw-away veth
// pairs so flood clones have somewhere real to go.
#pragma once

#include <net/if.h>

#include <memory>
#include <string>
#include <vector>

#include "hover/module.h"
#include "packet.h"
#include "test_support.h"

namespace bpftest {

using testsupport::Bytes;

// Verdicts, as TC spells them; XDP runs are reported with the same values.
inline constexpr uint32_t kRedirect = 7;  // TC_ACT_REDIRECT, XDP_REDIRECT
inline constexpr uint32_t kShot = 2;      // TC_ACT_SHOT, XDP_DROP
inline constexpr uint32_t kOk = 0;        // TC_ACT_OK, XDP_PASS

struct RunResult {
    int rc = -1;          // bpf_prog_test_run_opts() return, 0 on success
    uint32_t verdict = 0; // program return value (XDP's mapped to the TC values above)
    Bytes out;            // packet after the program (without XDP metadata)
};

// A throw-away netdev (veth pair), deleted by the destructor.
class DummyLink {
public:
    explicit DummyLink(const std::string &name);
    ~DummyLink();
    const std::string &name() const { return name_; }
    uint32_t ifindex() const { return ifindex_; }

private:
    std::string name_;
    uint32_t ifindex_ = 0;
};

class ModuleHarness {
public:
    // Shared chain map, modules loaded with load() for `mode`'s hook.
    explicit ModuleHarness(hover::AttachMode mode = hover::AttachMode::kTc, hover::HookSettings settings = {});
    hover::Module &load(const std::string &type, uint32_t id);
    hover::Module &module(uint32_t id);
    // The maps the modules share (chain, flow cache).
    const hover::ChainMap &chain() const { return *chain_; }
    // A flow cache counter (enum iov_flow_counter), summed over CPUs.
    uint64_t flowCounter(uint32_t counter) const;

    // Port `port` of module `id` goes to a fresh dummy netdev; returns it.
    const DummyLink &netdevPort(uint32_t id, uint32_t port);
    void link(uint32_t id_a, uint32_t port_a, uint32_t id_b, uint32_t port_b);

    // Runs module `id`'s chain entry as if a module sent `packet` to `in_port`
    // (the metadata in skb->cb for TC, in front of the packet for XDP).
    RunResult runOnPort(uint32_t id, uint32_t in_port, const Bytes &packet, int repeat = 1);
    // Runs module `id`'s netdev entry as if `packet` arrived on `ifindex`.
    RunResult runFromNetdev(uint32_t id, uint32_t ifindex, const Bytes &packet);

    uint64_t drops(uint32_t id, uint32_t reason);
    uint64_t totalDrops(uint32_t id);
    uint64_t txPackets(uint32_t id, uint32_t port);
    uint64_t rxPackets(uint32_t id, uint32_t port);

private:
    RunResult runXdp(int prog_fd, const Bytes &meta, const Bytes &packet, uint32_t ifindex);

    hover::AttachMode mode_;
    std::unique_ptr<hover::ChainMap> chain_;
    std::vector<std::unique_ptr<hover::Module>> modules_;
    std::vector<std::unique_ptr<DummyLink>> links_;
};

}  // namespace bpftest
