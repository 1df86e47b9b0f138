// Packet fuzzing (issue 18): seeded random and mutated frames through the
// shared netdev entry and every module type, on the TC and the XDP build,
// with BPF_PROG_TEST_RUN. Each frame must end as one of:
//   - forwarded or answered: the verdict is a redirect and a port's tx
//     counter moved (or, XDP, a devmap flood), the frame out is valid if the
//     frame in was (frame_checks.h);
//   - dropped: the verdict is a drop and a drop reason was counted (or a
//     flood's copies left and the original was consumed).
// No frame ever leaves through the disabled port, no frame from the
// port-secured port reaches another port unless its port security allows
// it, and the static fdb entries survive whatever the learning port sends.
// FUZZ_COUNT frames per hook (default kDefaultFrames), FUZZ_SEED the seed.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <map>
#include <random>

#include "acl_match.h"
#include "dhcp_options.h"
#include "dns_records.h"
#include "frame_checks.h"
#include "fuzz_frames.h"
#include "hover/l2switch.h"
#include "hover/nat.h"
#include "hover/router.h"
#include "module_harness.h"

namespace {

using namespace testsupport;
using namespace bpftest;

constexpr uint64_t kDefaultFrames = 250000;
constexpr uint32_t kSw = 1, kRt = 2, kSw3 = 3, kNat = 4, kSw5 = 5;
constexpr uint32_t kSecuredPort = 0, kDisabledPort = 4;

// Every port counter's tx packets (by counter index) and every drop counted
// (modules and the entry), read in three batch lookups.
struct Counters {
    std::vector<uint64_t> tx;
    uint64_t drops = 0;
};

uint64_t perCpuSum(const uint8_t *values, size_t value_size, size_t field, int cpus) {
    uint64_t sum = 0;
    for (int c = 0; c < cpus; ++c) {
        uint64_t v;
        memcpy(&v, values + size_t(c) * value_size + field, sizeof v);
        sum += v;
    }
    return sum;
}

class CounterReader {
public:
    CounterReader(const hover::ChainMap &chain, uint32_t max_counter)
        : ports_(chain.fdOf("iov_port_counters")), module_drops_(chain.fdOf("iov_module_drops")),
          entry_drops_(chain.fdOf("iov_entry_drops")), cpus_(libbpf_num_possible_cpus()), size_(max_counter + 1) {}

    Counters read() const {
        Counters c;
        const size_t stats = (sizeof(iov_port_stats) + 7) / 8 * 8;
        std::vector<uint8_t> values = arrayBatch(ports_, size_, stats);
        for (uint32_t i = 0; i < size_; ++i)
            c.tx.push_back(perCpuSum(values.data() + i * stats * cpus_, stats, offsetof(iov_port_stats, tx_packets), cpus_));
        values = arrayBatch(entry_drops_, IOV_DROP_MAX, 8);
        for (uint32_t r = 1; r < IOV_DROP_MAX; ++r) c.drops += perCpuSum(values.data() + r * 8 * cpus_, 8, 0, cpus_);
        c.drops += hashDrops();
        return c;
    }

private:
    // Values of keys 0..n-1 of a per-CPU array, in one lookup.
    std::vector<uint8_t> arrayBatch(int fd, uint32_t n, size_t value_size) const {
        std::vector<uint32_t> keys(n);
        std::vector<uint8_t> values(n * value_size * cpus_);
        uint32_t count = n, out_batch = 0;
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        const int rc = bpf_map_lookup_batch(fd, nullptr, &out_batch, keys.data(), values.data(), &count, &opts);
        if ((rc != 0 && errno != ENOENT) || count != n) throw std::runtime_error("batch lookup of a counter array failed");
        return values;
    }
    // Every (module, reason) drop, summed: the map holds reason 0 nowhere.
    uint64_t hashDrops() const {
        uint64_t sum = 0;
        std::vector<iov_drop_key> keys(256);
        std::vector<uint8_t> values(keys.size() * 8 * cpus_);
        iov_drop_key in{}, out{};
        for (bool first = true;; first = false) {
            uint32_t count = keys.size();
            LIBBPF_OPTS(bpf_map_batch_opts, opts);
            const int rc = bpf_map_lookup_batch(module_drops_, first ? nullptr : &in, &out, keys.data(), values.data(),
                                                &count, &opts);
            for (uint32_t i = 0; i < count; ++i) sum += perCpuSum(values.data() + i * 8 * cpus_, 8, 0, cpus_);
            if (rc != 0) break;  // ENOENT: that was the last batch
            in = out;
        }
        return sum;
    }

    int ports_, module_drops_, entry_drops_, cpus_;
    uint32_t size_;
};

class PacketFuzz : public ::testing::TestWithParam<hover::AttachMode> {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_TOOL("ip", "iproute2");
        hover::HookSettings small;
        small.drop_keys = 1024;  // read whole after every frame: a small hash is quick to walk
        h_ = std::make_unique<ModuleHarness>(GetParam(), small);
        sw_ = std::make_unique<hover::L2Switch>(h_->load("l2switch", kSw));
        rt_ = std::make_unique<hover::Router>(h_->load("router", kRt));
        sw3_ = std::make_unique<hover::L2Switch>(h_->load("l2switch", kSw3));
        nat_ = std::make_unique<hover::Nat>(h_->load("nat", kNat));
        sw5_ = std::make_unique<hover::L2Switch>(h_->load("l2switch", kSw5));
        for (uint32_t p : {0u, 1u, 3u, 4u}) netdevs_[{kSw, p}] = h_->netdevPort(kSw, p).ifindex();
        netdevs_[{kSw3, 0}] = h_->netdevPort(kSw3, 0).ifindex();
        netdevs_[{kSw5, 0}] = h_->netdevPort(kSw5, 0).ifindex();
        h_->link(kSw, 2, kRt, 0);
        h_->link(kRt, 1, kSw3, 1);
        h_->link(kRt, 2, kNat, NAT_PORT_INSIDE);
        h_->link(kNat, NAT_PORT_OUTSIDE, kSw5, 1);
        ASSERT_NO_FATAL_FAILURE(configureSwitch());
        ASSERT_NO_FATAL_FAILURE(configureRouting());
        for (const auto &[where, ifindex] : netdevs_) counterOf(where);
        for (uint32_t p : {2u}) counterOf({kSw, p});
        counterOf({kSw3, 1});
        counterOf({kSw5, 1});
    }

    // sw: h1 (port 0: port security, DHCPv4, security groups), h2 (port 1:
    // security groups), the router (2), a learning port (3), a disabled
    // port (4); DNS records; ARP and ND answered for h2.
    void configureSwitch() {
        for (uint32_t p : {0u, 1u, 2u}) ASSERT_TRUE(sw_->setPort(p, {}).ok());
        hover::L2PortSettings learning, disabled;
        learning.learn = true;
        disabled.enabled = false;
        ASSERT_TRUE(sw_->setPort(3, learning).ok());
        ASSERT_TRUE(sw_->setPort(kDisabledPort, disabled).ok());
        ASSERT_TRUE(sw_->addFdb(kH1, 0).ok() && sw_->addFdb(kH2, 1).ok() && sw_->addFdb(kR0, 2).ok());
        ASSERT_TRUE(sw_->addFdb(kH4, kDisabledPort).ok());
        ASSERT_TRUE(sw_->addArpResponder(ip4("10.0.0.2"), kH2, 1).ok());
        ASSERT_TRUE(sw_->addNdResponder(ip6("fd00::2"), kH2, 1, false).ok());
        ASSERT_TRUE(sw_->setPortSecurity(kSecuredPort, {{kH1, {{ip4("10.0.0.1"), 32}}, {{ip6("fd00::1"), 128}}}}).ok());
        const ovnmon::DhcpOptions dhcp{"d", "10.0.0.0/24",
                                       {{"lease_time", "3600"}, {"server_id", "10.0.0.254"},
                                        {"server_mac", "02:00:00:00:aa:00"}, {"router", "10.0.0.254"}}};
        auto answers = ctl::dhcp4Answers(dhcp, {}, {{kH1, {{ip4("10.0.0.1"), 32}}, {}}});
        ASSERT_TRUE(answers.ok()) << answers.error().message;
        ASSERT_TRUE(sw_->setDhcp4(kSecuredPort, *answers).ok());
        const ovnmon::Dns dns{"n", {{"vm2.openstack.internal", "10.0.0.2 fd00::2"}}};
        std::vector<ctl::DnsProblem> problems;
        ASSERT_TRUE(sw_->setDns(ctl::dnsRecords({&dns}, &problems)).ok());
        ASSERT_NO_FATAL_FAILURE(securityGroups());
    }

    // Neutron's shape on h1 and h2: IP dropped both ways unless allowed;
    // out: anything IPv4 (tracked); in: TCP 22 and ICMP.
    void securityGroups() {
        namespace acl = hover::model::acl;
        const std::map<std::string, std::vector<std::string>> groups = {{"pg_sg", {"h1", "h2"}},
                                                                        {"neutron_pg_drop", {"h1", "h2"}}};
        const std::map<std::string, std::vector<std::string>> sets;
        const std::vector<ctl::acl::AclText> acls = {
            {1001, ACL_DROP, ACL_DIR_TO_LPORT, "outport == @neutron_pg_drop && ip"},
            {1001, ACL_DROP, ACL_DIR_FROM_LPORT, "inport == @neutron_pg_drop && ip"},
            {1002, ACL_ALLOW_RELATED, ACL_DIR_FROM_LPORT, "inport == @pg_sg && ip4"},
            {1002, ACL_ALLOW_RELATED, ACL_DIR_TO_LPORT, "outport == @pg_sg && ip4 && tcp && tcp.dst == 22"},
            {1002, ACL_ALLOW_RELATED, ACL_DIR_TO_LPORT, "outport == @pg_sg && ip4 && icmp4"}};
        std::map<acl::Policy, uint32_t> ids;
        std::map<uint32_t, acl::Policy> policies;
        std::map<uint32_t, hover::PortAcls> ports;
        const char *names[] = {"h1", "h2"};
        for (uint32_t port = 0; port < 2; ++port) {
            ports[port].track = true;
            for (uint8_t dir : {uint8_t(ACL_DIR_FROM_LPORT), uint8_t(ACL_DIR_TO_LPORT)}) {
                auto policy = ctl::acl::policyFor(acls, names[port], dir, {&groups, &sets});
                ASSERT_TRUE(policy.ok()) << policy.error().message;
                const uint32_t id = ids.emplace(*policy, uint32_t(ids.size() + 1)).first->second;
                policies[id] = *policy;
                (dir == ACL_DIR_FROM_LPORT ? ports[port].from : ports[port].to) = id;
            }
        }
        ASSERT_TRUE(sw_->setAcls(policies, ports).ok());
    }

    // The router between sw (10.0.0.254, fd00::fe), sw3 (10.0.1.254) and the
    // NAT gateway (172.24.4.1, default route via 172.24.4.254); SNAT of
    // 10.0.0.0/24 and a floating IP for h2.
    void configureRouting() {
        for (uint32_t p : {0u, 1u}) ASSERT_TRUE(sw3_->setPort(p, {}).ok() && sw5_->setPort(p, {}).ok());
        ASSERT_TRUE(sw3_->addFdb(kH3, 0).ok() && sw3_->addFdb(kR1, 1).ok());
        ASSERT_TRUE(sw5_->addFdb(kGw, 0).ok() && sw5_->addFdb(kR2, 1).ok());
        ASSERT_TRUE(rt_->setPort(0, {kR0, {{ip4("10.0.0.254"), 24}}, true, {{ip6("fd00::fe"), 64}}}).ok());
        ASSERT_TRUE(rt_->setPort(1, {kR1, {{ip4("10.0.1.254"), 24}}}).ok());
        ASSERT_TRUE(rt_->setPort(2, {kR2, {{ip4("172.24.4.1"), 24}}}).ok());
        ASSERT_TRUE(rt_->addNeighbor(ip4("10.0.0.1"), kH1).ok() && rt_->addNeighbor(ip4("10.0.0.2"), kH2).ok());
        ASSERT_TRUE(rt_->addNeighbor(ip4("10.0.1.2"), kH3).ok() && rt_->addNeighbor(ip4("172.24.4.254"), kGw).ok());
        ASSERT_TRUE(rt_->addNeighbor6(ip6("fd00::1"), kH1).ok());
        ASSERT_TRUE(rt_->addRoute({0, 0}, ip4("172.24.4.254")).ok());
        ASSERT_TRUE(nat_->addSnat({ip4("10.0.0.0"), 24}, ip4("172.24.4.1")).ok());
        ASSERT_TRUE(nat_->addDnatAndSnat(ip4("172.24.4.50"), ip4("10.0.0.2")).ok());
        ASSERT_TRUE(nat_->addArpExternal(ip4("172.24.4.50"), kR2).ok());
    }

    // The counter index of a module port (iov_ports), remembered by index.
    void counterOf(std::pair<uint32_t, uint32_t> where) {
        iov_port port{};
        const uint32_t slot = IOV_PORT_SLOT(where.first, where.second);
        ASSERT_EQ(bpf_map_lookup_elem(h_->chain().fdOf("iov_ports"), &slot, &port), 0);
        ASSERT_NE(port.counter, 0u) << "port " << where.first << "/" << where.second << " has counters";
        port_of_counter_[port.counter] = where;
    }

    std::unique_ptr<ModuleHarness> h_;
    std::unique_ptr<hover::L2Switch> sw_, sw3_, sw5_;
    std::unique_ptr<hover::Router> rt_;
    std::unique_ptr<hover::Nat> nat_;
    std::map<std::pair<uint32_t, uint32_t>, uint32_t> netdevs_;           // (module, port) -> ifindex
    std::map<uint32_t, std::pair<uint32_t, uint32_t>> port_of_counter_;   // counter index -> (module, port)
};

// What happened to one frame, from its verdict and the counters it moved.
struct Outcome {
    bool run = false;  // false: the kernel's test run refused the frame (too short for TC)
    bool redirected = false, dropped_counted = false;
    std::vector<std::pair<uint32_t, uint32_t>> sent;  // (module, port) whose tx moved
};

// The kernel's test run refuses frames shorter than an Ethernet header, and
// for TC shorter than their network header too (EINVAL): no program sees them.
bool testRunRefuses(const Bytes &frame, bool xdp) {
    if (frame.size() < 14) return true;
    const uint16_t type = uint16_t(frame[12] << 8 | frame[13]);
    return !xdp && ((type == kEthIp && frame.size() < 34) || (type == kEthIp6 && frame.size() < 54));
}

TEST_P(PacketFuzz, EveryFrameForwardedValidOrDroppedCounted) {
    const uint64_t frames = fuzzCount(kDefaultFrames);
    const uint32_t seed = fuzzSeed();
    std::mt19937 rng(seed);
    const bool xdp = GetParam() == hover::AttachMode::kXdp;
    const CounterReader reader(h_->chain(), port_of_counter_.rbegin()->first);
    const SecuredPort secured{kH1, ip4("10.0.0.1"), ip6("fd00::1")};
    const std::vector<Ingress> ingresses = fuzzIngresses();
    const auto cut = truncations(ingresses);  // first every seed cut at every length
    FuzzReport report;
    Counters before = reader.read();
    for (uint64_t i = 0; i < frames; ++i) {
        const Ingress &in = i < cut.size() ? *cut[i].first : ingresses[i % ingresses.size()];
        const Bytes frame = i < cut.size() ? cut[i].second : mutatedFrame(rng, in);
        RunResult r;
        if (in.module_port) r = h_->runOnPort(in.module, in.port, frame);
        else r = h_->runFromNetdev(in.module, netdevs_.at({in.module, in.port}), frame);
        if (r.rc != 0) {
            const bool refused = r.rc == -EINVAL && testRunRefuses(frame, xdp);
            report.note(refused ? "" : "test run failed rc " + std::to_string(r.rc), in, frame, r);
            if (refused) ++report.refused;
            continue;
        }
        const Counters after = reader.read();
        bool sent_elsewhere = false, sent_any = false;
        for (size_t c = 1; c < after.tx.size(); ++c) {
            if (after.tx[c] == before.tx[c]) continue;
            sent_any = true;
            const auto where = port_of_counter_.count(c) ? port_of_counter_.at(c) : std::make_pair(0u, 0u);
            if (where == std::make_pair(kSw, kDisabledPort)) report.note("sent out of the disabled port", in, frame, r);
            if (where != std::make_pair(in.module, in.port)) sent_elsewhere = true;
        }
        const bool counted_drop = after.drops > before.drops;
        before = after;
        report.count(in, r.verdict);
        if (r.verdict != kRedirect && r.verdict != kShot) report.note("verdict " + std::to_string(r.verdict), in, frame, r);
        if (r.verdict == kShot && !counted_drop && !sent_any) report.note("dropped without a reason counted", in, frame, r);
        // XDP floods leave through a devmap broadcast that counts no port.
        const bool xdp_flood = xdp && r.verdict == kRedirect && !sent_any;
        if (r.verdict == kRedirect && !sent_any && !xdp_flood) report.note("redirected, no port counted", in, frame, r);
        if (r.verdict == kRedirect && validFrame(frame) && !validFrame(r.out)) report.note("invalid frame out", in, frame, r);
        if (in.secured && (sent_elsewhere || xdp_flood) && !portSecurityAllows(secured, frame))
            report.note("spoofed frame let through port security", in, frame, r);
    }
    report.print(GetParam() == hover::AttachMode::kXdp ? "XDP" : "TC", frames, seed);
    EXPECT_EQ(report.failures(), 0u) << report.firstFailures();
    // What the control plane wrote stays: a learning port cannot take a VM's MAC.
    auto fdb = hover::TypedMap<l2_fdb_mkey, l2_fdb_entry>::open(h_->chain().fdOf("l2_fdb"));
    ASSERT_TRUE(fdb.ok()) << fdb.error().message;
    for (const auto &[mac, port] : std::vector<std::pair<Mac, uint32_t>>{{kH1, 0}, {kH2, 1}, {kR0, 2}}) {
        l2_fdb_mkey key{kSw, {}};
        std::copy(mac.begin(), mac.end(), key.key.mac);
        auto entry = fdb->lookup(key);
        ASSERT_TRUE(entry.ok()) << "static fdb entry gone";
        EXPECT_EQ(entry->port, port);
        EXPECT_EQ(entry->flags, L2_FDB_STATIC);
    }
}

INSTANTIATE_TEST_SUITE_P(Hooks, PacketFuzz, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp),
                         [](const auto &info) { return info.param == hover::AttachMode::kTc ? "TC" : "XDP"; });

}  // namespace
