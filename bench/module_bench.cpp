// Per-packet cost of the IOModules with BPF_PROG_TEST_RUN (64-byte UDP,
// repeat >= 1e6), side by side with a minimal one-lookup redirect program
// measured in the same run. Every program runs behind driver.bpf.c, which
// restores the frame each round; the driver's own cost is subtracted.
//   sudo build/bench/module_bench [repeat]
#include <bpf/bpf.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "baseline.skel.h"
#include "hover/l2switch.h"
#include "hover/nat.h"
#include "hover/router.h"
#include "module_harness.h"
#include "prog_driver.h"

namespace {

using namespace testsupport;
using bench::best;
using bench::Driver;
using bench::must;
using bench::row;

const Mac kH1 = mac("02:00:00:00:00:01"), kH2 = mac("02:00:00:00:00:02");
const Mac kR0 = mac("02:00:00:00:aa:00"), kR1 = mac("02:00:00:00:aa:01"), kR2 = mac("02:00:00:00:aa:02");
const Mac kGw = mac("02:00:00:00:00:fe");

Bytes frame64(const Mac &dst, const Mac &src, const std::string &from, const std::string &to) {
    // 14 + 20 + 8 + 18 payload = 60 bytes + 4 FCS on the wire = 64.
    return udpFrame(dst, src, from, to);
}

// sw1 (1): port 0 host1, port 1 host2, port 2 -> router (2) port 0.
// router port 1 -> sw3 (3) port 1, sw3 port 0 -> host 10.0.1.2.
// router port 2 -> nat (4) inside; nat outside -> sw5 (5) port 1,
// sw5 port 0 -> the external gateway 172.24.4.254.
struct Topology {
    bpftest::ModuleHarness h;
    hover::L2Switch sw{h.load("l2switch", 1)}, sw3{h.load("l2switch", 3)}, sw5{h.load("l2switch", 5)};
    hover::Router rt{h.load("router", 2)};
    hover::Nat nat{h.load("nat", 4)};
    uint32_t host1 = 0, out_ifindex = 0;

    Topology() {
        out_ifindex = h.netdevPort(1, 1).ifindex();
        host1 = h.netdevPort(1, 0).ifindex();
        h.netdevPort(3, 0);
        h.netdevPort(5, 0);
        h.link(1, 2, 2, 0);
        h.link(2, 1, 3, 1);
        h.link(2, 2, 4, NAT_PORT_INSIDE);
        h.link(4, NAT_PORT_OUTSIDE, 5, 1);
        for (uint32_t p : {0u, 1u, 2u}) must(sw.setPort(p, {}));
        for (uint32_t p : {0u, 1u}) must(sw3.setPort(p, {})), must(sw5.setPort(p, {}));
        must(sw.addFdb(kH1, 0));
        must(sw.addFdb(kH2, 1));
        must(sw.addFdb(kR0, 2));
        must(sw3.addFdb(kH2, 0));
        must(sw5.addFdb(kGw, 0));
        must(rt.setPort(0, {kR0, {{ip4("10.0.0.254"), 24}}}));
        must(rt.setPort(1, {kR1, {{ip4("10.0.1.254"), 24}}}));
        must(rt.setPort(2, {kR2, {{ip4("172.24.4.1"), 24}}}));
        must(rt.addNeighbor(ip4("10.0.1.2"), kH2));
        must(rt.addNeighbor(ip4("172.24.4.254"), kGw));
        must(rt.addRoute({0, 0}, ip4("172.24.4.254")));
        must(nat.addSnat({ip4("10.0.0.0"), 24}, ip4("172.24.4.1")));
    }
};

struct Figures {
    double driver, base, l2, l2_answering, l2ps, rt, chain, nat, nat_kept, full, l2ps_cached, l2_cached, full_cached;
};

const Bytes kToH2 = frame64(kH2, kH1, "10.0.0.1", "10.0.0.2");
const Bytes kRouted = frame64(kR0, kH1, "10.0.0.1", "10.0.1.2");
const Bytes kToNat = frame64(kGw, kR2, "10.0.0.1", "8.8.8.8");
const Bytes kToInternet = frame64(kR0, kH1, "10.0.0.1", "8.8.8.8");

// Each module's own work, from its chain entry (every packet without a cached flow).
void measureWalks(Topology &t, Driver &drv, int base_fd, int repeat, Figures *f) {
    auto cost = [&](int fd, const Bytes &frame, uint32_t module, uint32_t port) {
        return best([&] { return drv.run(fd, frame, module, port, repeat); }) - f->driver;
    };
    f->base = cost(base_fd, kToH2, 0, 0);
    f->l2 = cost(t.h.module(1).chainProgFd(), kToH2, 1, 0);
    // On a switch with DNS records every UDP packet first meets the
    // detection of what the switch answers (answer_prog_for).
    hover::model::l2switch::DnsRecord record;
    record.name = {3, 'v', 'm', '1', 0};
    must(t.sw.setDns({record}));
    f->l2_answering = cost(t.h.module(1).chainProgFd(), kToH2, 1, 0);
    must(t.sw.setDns({}));
    must(t.sw.setPortSecurity(0, {{kH1, {{ip4("10.0.0.1"), 32}}, {}}}));
    must(t.sw.setPortSecurity(1, {{kH2, {{ip4("10.0.0.2"), 32}}, {}}}));
    f->l2ps = cost(t.h.module(1).chainProgFd(), kToH2, 1, 0);
    f->rt = cost(t.h.module(2).chainProgFd(), kRouted, 2, 0);
    f->chain = cost(t.h.module(1).chainProgFd(), kRouted, 1, 0);
    drv.run(t.h.module(4).chainProgFd(), kToNat, 4, NAT_PORT_INSIDE, 1);  // creates the connection
    f->nat = cost(t.h.module(4).chainProgFd(), kToNat, 4, NAT_PORT_INSIDE);
    // The same from an ephemeral source port, which SNAT keeps when free:
    // only the address (and its checksums) is rewritten.
    const Bytes to_nat_kept = udpFrame(kGw, kR2, "10.0.0.1", "8.8.8.8", 40000, 2000);
    drv.run(t.h.module(4).chainProgFd(), to_nat_kept, 4, NAT_PORT_INSIDE, 1);
    f->nat_kept = cost(t.h.module(4).chainProgFd(), to_nat_kept, 4, NAT_PORT_INSIDE);
    f->full = cost(t.h.module(1).chainProgFd(), kToInternet, 1, 0);
}

// Established flows as they really enter: at a netdev, where the flow cache
// replays what the walks recorded. Returns the replays counted.
uint64_t measureReplays(Topology &t, Driver &drv, int repeat, Figures *f) {
    const uint64_t hits_before = t.h.flowCounter(IOV_FLOW_HIT);
    auto cached = [&](const Bytes &frame) {
        return best([&] { return drv.run(t.h.module(1).netdevProgFd(), frame, 0, 0, repeat, t.host1); }) - f->driver;
    };
    f->l2ps_cached = cached(kToH2);
    must(t.sw.setPortSecurity(0, {}));
    must(t.sw.setPortSecurity(1, {}));
    f->l2_cached = cached(kToH2);
    f->full_cached = cached(kToInternet);
    return t.h.flowCounter(IOV_FLOW_HIT) - hits_before;
}

void report(const Figures &f) {
    std::printf("%-44s %8.1f ns\n", "driver alone (subtracted)", f.driver);
    row("baseline (1 lookup + redirect)", f.base, f.base, 0);
    std::printf("Walk: each module's own work, from its chain entry (every packet without a cached flow)\n");
    row("l2switch", f.l2, f.base, 1.5);
    row("l2switch, DNS records (UDP, no query)", f.l2_answering, f.base, 0);
    row("l2switch + port security", f.l2ps, f.base, 0);
    row("router", f.rt, f.base, 0);
    row("chain switch->router->switch", f.chain, f.base, 0);
    row("nat (established flow)", f.nat, f.base, 0);
    row("nat (established, source port kept)", f.nat_kept, f.base, 0);
    row("chain switch->router->nat->switch", f.full, f.base, 0);
    std::printf("Established flows from the netdev entry (flow cache replay, all counters kept)\n");
    row("l2switch", f.l2_cached, f.base, 1.5);
    row("l2switch + port security", f.l2ps_cached, f.base, 0);
    row("chain switch->router->nat->switch", f.full_cached, f.base, 4.0);
}

}  // namespace

int main(int argc, char **argv) {
    if (geteuid() != 0) {
        std::fprintf(stderr, "module_bench needs root (BPF_PROG_TEST_RUN)\n");
        return 1;
    }
    const int repeat = argc > 1 ? std::atoi(argv[1]) : 1000000;
    baseline *base = baseline::open_and_load();
    if (!base) {
        std::fprintf(stderr, "cannot load baseline: %s\n", std::strerror(errno));
        return 1;
    }
    Topology t;
    struct {
        uint8_t mac[6];
        uint16_t pad;
    } key{};  // struct mac_key of baseline.bpf.c
    std::memcpy(key.mac, kH2.data(), 6);
    bpf_map_update_elem(bpf_map__fd(base->maps.baseline_fdb), &key, &t.out_ifindex, BPF_ANY);
    std::printf("BPF_PROG_TEST_RUN, %zu-byte UDP frames (64 on the wire), repeat %d, best of 3,\n"
                "driver overhead (frame restore + tail call) subtracted\n",
                kToH2.size(), repeat);
    Driver drv;
    Figures f{};
    f.driver = best([&] { return drv.run(-1, kToH2, 0, 0, repeat); });
    measureWalks(t, drv, bpf_program__fd(base->progs.baseline), repeat, &f);
    const uint64_t hits = measureReplays(t, drv, repeat, &f);
    // Sanity: the chains really crossed every module every round, and the
    // cached runs were replayed (all but the first round of each run).
    if (t.h.txPackets(3, 0) < static_cast<uint64_t>(repeat) || t.h.txPackets(5, 0) < static_cast<uint64_t>(repeat)) {
        std::fprintf(stderr, "a chain did not deliver every round (%llu, %llu of %d)\n",
                     (unsigned long long)t.h.txPackets(3, 0), (unsigned long long)t.h.txPackets(5, 0), repeat);
        return 1;
    }
    if (hits < 9ull * (repeat - 1)) {
        std::fprintf(stderr, "the flow cache replayed %llu of %d rounds\n", (unsigned long long)hits, 9 * repeat);
        return 1;
    }
    report(f);
    baseline::destroy(base);
    return 0;
}
