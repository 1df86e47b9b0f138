// Cost of the ACL stage (security groups) per packet with BPF_PROG_TEST_RUN
// (64-byte UDP, repeat >= 1e6), side by side with a minimal one-lookup
// redirect program measured in the same run: the walk through a filtered
// port with 1 to 10,000 ACLs and with a 10,000-address remote group (it must
// not grow with them), and an established flow from its netdev (flow cache).
//   sudo build/bench/acl_bench [repeat]
#include <unistd.h>

#include <chrono>

#include "acl_match.h"
#include "baseline.skel.h"
#include "hover/l2switch.h"
#include "module_harness.h"
#include "prog_driver.h"

namespace {

using namespace testsupport;
using bench::best;
using bench::Driver;
using bench::must;
namespace acl = hover::model::acl;

const Mac kH1 = mac("02:00:00:00:00:01"), kH2 = mac("02:00:00:00:00:02");
const Bytes kToH2 = udpFrame(kH2, kH1, "10.0.0.1", "10.0.0.2", 1000, 2000);

// vm2's security groups, as Neutron writes them: IP dropped at 1001, the
// rules at 1002 (`rules` of them, the one this UDP flow meets last).
acl::Policy securityGroup(int rules, bool remote_group) {
    std::map<std::string, std::vector<std::string>> groups = {{"pg", {"vm2"}}}, sets = {{"big", {}}};
    for (int i = 0; i < 10000; ++i)
        sets["big"].push_back("10." + std::to_string(1 + i / 65536) + "." + std::to_string(i / 256 % 256) + "." +
                              std::to_string(i % 256));
    sets["big"].push_back("10.0.0.1");
    std::vector<ctl::acl::AclText> acls = {{1001, ACL_DROP, ACL_DIR_TO_LPORT, "outport == @pg && ip"}};
    for (int i = 1; i < rules; ++i)
        acls.push_back({1002, ACL_ALLOW_RELATED, ACL_DIR_TO_LPORT,
                        "outport == @pg && ip4 && tcp && tcp.dst == " + std::to_string(i)});
    acls.push_back({1002, ACL_ALLOW_RELATED, ACL_DIR_TO_LPORT,
                    remote_group ? "outport == @pg && ip4 && ip4.src == $big" : "outport == @pg && ip4 && udp && udp.dst == 2000"});
    auto policy = ctl::acl::policyFor(acls, "vm2", ACL_DIR_TO_LPORT, {&groups, &sets});
    if (!policy.ok()) must(policy.error());
    return *policy;
}

struct Case {
    const char *name;
    int rules;
    bool remote_group;
    bool track = true;
};

// The walk through vm2's port with each case's security groups in force.
void walkCases(hover::L2Switch &sw, const std::function<double()> &walk) {
    std::printf("Walk through vm2's port: stateful, the connection's packets each classified (OVN\n"
                "re-checks every non-reply packet), compiled entries and compile time alongside\n");
    double one = 0;
    const Case cases[] = {{"1 ACL", 1, false}, {"100 ACLs", 100, false}, {"1,000 ACLs", 1000, false},
                          {"10,000 ACLs", 10000, false}, {"remote group of 10,001 addresses", 1, true},
                          {"1 ACL, connections not tracked", 1, false, false}};
    for (const auto &c : cases) {
        const auto started = std::chrono::steady_clock::now();
        acl::Policy policy = securityGroup(c.rules, c.remote_group);
        hover::model::Entries entries;
        uint16_t fields = 0;
        must(acl::compile(entries, 1, policy, fields));
        const double compile_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        must(sw.setAcls({{1, policy}}, {{0, {0, 0, c.track}}, {1, {0, 1, c.track}}}));
        const double ns = walk();
        if (!one) one = ns;
        std::printf("  %-36s %8.1f ns  %5.2fx 1 ACL  %6zu entries  %7.1f ms compile%s\n", c.name, ns, ns / one,
                    entries.size(), compile_ms, c.rules == 10000 ? (ns / one <= 1.3 ? "   target <= 1.3x ok" : "   target <= 1.3x MISSED") : "");
    }
}

}  // namespace

int main(int argc, char **argv) {
    if (geteuid() != 0) {
        std::fprintf(stderr, "acl_bench needs root (BPF_PROG_TEST_RUN)\n");
        return 1;
    }
    const int repeat = argc > 1 ? std::atoi(argv[1]) : 1000000;
    baseline *base = baseline::open_and_load();
    if (!base) return std::fprintf(stderr, "cannot load baseline: %s\n", std::strerror(errno)), 1;
    bpftest::ModuleHarness h(hover::AttachMode::kTc);
    hover::L2Switch sw(h.load("l2switch", 1));
    const uint32_t host1 = h.netdevPort(1, 0).ifindex(), out_ifindex = h.netdevPort(1, 1).ifindex();
    for (uint32_t p : {0u, 1u}) must(sw.setPort(p, {}));
    must(sw.addFdb(kH1, 0));
    must(sw.addFdb(kH2, 1));
    struct {
        uint8_t mac[6];
        uint16_t pad;
    } key{};  // struct mac_key of baseline.bpf.c
    std::memcpy(key.mac, kH2.data(), 6);
    bpf_map_update_elem(bpf_map__fd(base->maps.baseline_fdb), &key, &out_ifindex, BPF_ANY);

    Driver drv;
    const double driver = best([&] { return drv.run(-1, kToH2, 0, 0, repeat); });
    const double baseline = best([&] { return drv.run(bpf_program__fd(base->progs.baseline), kToH2, 0, 0, repeat); }) - driver;
    auto walk = [&] { return best([&] { return drv.run(h.module(1).chainProgFd(), kToH2, 1, 0, repeat); }) - driver; };
    std::printf("BPF_PROG_TEST_RUN, %zu-byte UDP frames (64 on the wire), repeat %d, best of 3, driver subtracted\n",
                kToH2.size(), repeat);
    std::printf("  %-52s %8.1f ns\n", "baseline (1 lookup + redirect)", baseline);
    const double plain = walk();
    std::printf("  %-52s %8.1f ns  %5.2fx baseline\n", "l2switch walk, no ACL", plain, plain / baseline);
    walkCases(sw, walk);
    const double cached = best([&] { return drv.run(h.module(1).netdevProgFd(), kToH2, 0, 0, repeat, host1); }) - driver;
    std::printf("Established flow from its netdev (flow cache replay), 10,001-address group in force\n");
    std::printf("  %-52s %8.1f ns  %5.2fx baseline   target <= 1.5x %s\n", "l2switch + security groups", cached,
                cached / baseline, cached / baseline <= 1.5 ? "ok" : "MISSED");
    if (h.txPackets(1, 1) < static_cast<uint64_t>(repeat)) {
        std::fprintf(stderr, "the filtered port did not receive every round\n");
        return 1;
    }
    baseline::destroy(base);
    return 0;
}
