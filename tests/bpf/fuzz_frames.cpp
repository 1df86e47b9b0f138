#include "fuzz_frames.h"

#include <algorithm>
#include <cstdio>

namespace bpftest {

using namespace testsupport;

namespace {

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto &p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes udp4(const Mac &dst, const Mac &src, const std::string &from, const std::string &to, uint16_t sport,
           uint16_t dport, const Bytes &payload = Bytes(18, 0x5a), const Ipv4Options &o = {}) {
    return eth(dst, src, kEthIp, ipv4(ip4(from), ip4(to), 17, udp(ip4(from), ip4(to), sport, dport, payload), o));
}
Bytes tcp4(const Mac &dst, const Mac &src, const std::string &from, const std::string &to, uint16_t sport,
           uint16_t dport, uint8_t flags) {
    return eth(dst, src, kEthIp, ipv4(ip4(from), ip4(to), 6, tcp(ip4(from), ip4(to), sport, dport, flags)));
}
Bytes ping4(const Mac &dst, const Mac &src, const std::string &from, const std::string &to) {
    return eth(dst, src, kEthIp, ipv4(ip4(from), ip4(to), 1, icmpEcho(8, 7, 1)));
}
Bytes ping6(const Mac &dst, const Mac &src, const std::string &from, const std::string &to) {
    return eth(dst, src, kEthIp6, ipv6(ip6(from), ip6(to), 58, icmp6(ip6(from), ip6(to), {128, 0, 0, 0, 0, 7, 0, 1})));
}

// DHCPDISCOVER from h1, broadcast.
Bytes dhcpDiscover() {
    Bytes bootp = {1, 1, 6, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0x80, 0};
    bootp.resize(28, 0);
    bootp.insert(bootp.end(), kH1.begin(), kH1.end());
    bootp.resize(236, 0);
    bootp.insert(bootp.end(), {99, 130, 83, 99, 53, 1, 1, 55, 3, 1, 3, 6, 255});
    return udp4(kBroadcast, kH1, "0.0.0.0", "255.255.255.255", 68, 67, bootp);
}

// A DNS query for vm2's A record.
Bytes dnsQuery() {
    Bytes q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    for (const std::string label : {"vm2", "openstack", "internal"}) {
        q.push_back(uint8_t(label.size()));
        q.insert(q.end(), label.begin(), label.end());
    }
    q.insert(q.end(), {0, 0, 1, 0, 1});
    return udp4(kR0, kH1, "10.0.0.1", "10.0.0.53", 33333, 53, q);
}

// A Neighbor Solicitation for `target` from h1, to its solicited-node group.
Bytes neighborSolicitation(const std::string &target) {
    const Ip6 t = ip6(target);
    Ip6 group = ip6("ff02::1:ff00:0");
    std::copy(t.begin() + 13, t.end(), group.begin() + 13);
    const Mac dst = {0x33, 0x33, 0xff, t[13], t[14], t[15]};
    return eth(dst, kH1, kEthIp6,
               ipv6(ip6("fd00::1"), group, 58, icmp6(ip6("fd00::1"), group, neighborDiscovery(135, 0, t, 1, kH1)), 255));
}

std::vector<Bytes> fromH1() {
    Ipv4Options options;
    options.options = {0x94, 0x04, 0, 0};  // router alert
    Ipv4Options fragment;
    fragment.frag_off = 0x2000;  // more fragments
    Bytes tagged = udp4(kH2, kH1, "10.0.0.1", "10.0.0.2", 1000, 2000);
    tagged.insert(tagged.begin() + 12, {0x81, 0x00, 0x00, 0x0a});
    // An echo request behind a hop-by-hop header (PadN).
    const Bytes echo = icmp6(ip6("fd00::1"), ip6("fd00::2"), {128, 0, 0, 0, 0, 7, 0, 1});
    const Bytes hop_by_hop = eth(kH2, kH1, kEthIp6,
                                 ipv6(ip6("fd00::1"), ip6("fd00::2"), 0, concat({{58, 0, 1, 4, 0, 0, 0, 0}, echo})));
    return {arpRequest(kH1, "10.0.0.1", "10.0.0.254"), arpRequest(kH1, "10.0.0.1", "10.0.0.2"),
            udp4(kH2, kH1, "10.0.0.1", "10.0.0.2", 1000, 2000), tcp4(kH2, kH1, "10.0.0.1", "10.0.0.2", 40000, 22, 0x02),
            tcp4(kH2, kH1, "10.0.0.1", "10.0.0.2", 40001, 80, 0x02), ping4(kR0, kH1, "10.0.0.1", "10.0.0.254"),
            udp4(kR0, kH1, "10.0.0.1", "10.0.1.2", 1000, 2000), tcp4(kR0, kH1, "10.0.0.1", "8.8.8.8", 40002, 443, 0x02),
            dhcpDiscover(), dnsQuery(), neighborSolicitation("fd00::2"), neighborSolicitation("fd00::fe"),
            ping6(kH2, kH1, "fd00::1", "fd00::2"), ping6(kR0, kH1, "fd00::1", "fd00::fe"),
            udp4(kBroadcast, kH1, "10.0.0.1", "255.255.255.255", 9, 9), udp4(kH2, kH1, "10.0.0.1", "10.0.0.2", 1, 2, Bytes(18), options),
            udp4(kH2, kH1, "10.0.0.1", "10.0.0.2", 1, 2, Bytes(64), fragment), tagged,
            eth(kBroadcast, kH1, 0x88cc, Bytes(46, 0x11)), hop_by_hop};
}

std::vector<Bytes> fromGateway() {
    return {tcp4(kR2, kGw, "172.24.4.254", "172.24.4.50", 50000, 22, 0x02),
            udp4(kR2, kGw, "172.24.4.254", "172.24.4.1", 53, 1024), arpRequest(kGw, "172.24.4.254", "172.24.4.50"),
            ping4(kR2, kGw, "172.24.4.254", "172.24.4.1"), tcp4(kR2, kGw, "172.24.4.254", "172.24.4.50", 443, 40000, 0x12)};
}

}  // namespace

std::vector<Ingress> fuzzIngresses() {
    return {
        {"h1 (port security)", 1, 0, false, true, fromH1()},
        {"h2", 1, 1, false, false,
         {tcp4(kH1, kH2, "10.0.0.2", "10.0.0.1", 22, 40000, 0x12), udp4(kH1, kH2, "10.0.0.2", "10.0.0.1", 2000, 1000),
          ping4(kR0, kH2, "10.0.0.2", "10.0.0.254"), ping6(kH1, kH2, "fd00::2", "fd00::1"),
          arpRequest(kH2, "10.0.0.2", "10.0.0.1")}},
        {"learning port", 1, 3, false, false,
         {udp4(kH2, mac("02:00:00:00:00:33"), "10.0.0.33", "10.0.0.2", 5, 6), arpRequest(kH1, "10.0.0.1", "10.0.0.2"),
          udp4(kH1, kH2, "10.0.0.2", "10.0.0.1", 5, 6)}},
        {"disabled port", 1, 4, false, false, {udp4(kH1, kH4, "10.0.0.4", "10.0.0.1", 5, 6)}},
        {"sw3 host", 3, 0, false, false,
         {udp4(kR1, kH3, "10.0.1.2", "10.0.0.1", 7, 8), arpRequest(kH3, "10.0.1.2", "10.0.1.254"),
          ping4(kR1, kH3, "10.0.1.2", "172.24.4.254")}},
        {"gateway", 5, 0, false, false, fromGateway()},
        {"router port 0", 2, 0, true, false,
         {udp4(kR0, kH1, "10.0.0.1", "10.0.1.2", 1000, 2000), ping4(kR0, kH1, "10.0.0.1", "10.0.0.254"),
          tcp4(kR0, kH1, "10.0.0.1", "8.8.8.8", 40003, 443, 0x02), ping6(kR0, kH1, "fd00::1", "fd00::fe")}},
        {"nat outside", 4, 1, true, false, fromGateway()},
    };
}

std::vector<std::pair<const Ingress *, Bytes>> truncations(const std::vector<Ingress> &ingresses) {
    std::vector<std::pair<const Ingress *, Bytes>> out;
    for (const auto &in : ingresses)
        for (const auto &seed : in.seeds)
            for (size_t len = 0; len < seed.size(); ++len) out.emplace_back(&in, Bytes(seed.begin(), seed.begin() + long(len)));
    return out;
}

namespace {

// Offsets of the header fields a parser trusts (Ethernet, IPv4/IPv6, L4).
constexpr size_t kFieldOffsets[] = {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 30, 34, 35, 36, 37, 38, 39,
                                    40, 41, 42, 43, 46, 47, 53, 54, 55, 56, 57};
constexpr uint8_t kEdgeValues[] = {0x00, 0x01, 0x04, 0x05, 0x06, 0x0f, 0x11, 0x3a, 0x40, 0x45, 0x46, 0x4f,
                                   0x60, 0x7f, 0x80, 0x86, 0x88, 0xdd, 0xfe, 0xff};

void mutate(std::mt19937 &rng, Bytes &f) {
    auto byte = [&] { return uint8_t(rng()); };
    switch (rng() % 8) {
        case 0:  // one byte anywhere
            if (!f.empty()) f[rng() % f.size()] = byte();
            break;
        case 1:
        case 2: {  // a header field to an edge value
            const size_t at = kFieldOffsets[rng() % std::size(kFieldOffsets)];
            if (at < f.size()) f[at] = kEdgeValues[rng() % std::size(kEdgeValues)];
            break;
        }
        case 3:  // cut short
            f.resize(f.empty() ? 0 : rng() % f.size());
            break;
        case 4:  // longer than its headers say
            for (size_t n = 1 + rng() % 64; n; --n) f.push_back(byte());
            break;
        case 5: {  // a spoofed source: Ethernet, ARP sender, IPv4 or IPv6 source
            const size_t at = std::vector<size_t>{6, 11, 22, 27, 28, 31, 26, 29, 22, 37}[rng() % 10];
            if (at < f.size()) f[at] ^= uint8_t(1 + rng() % 255);
            break;
        }
        case 6:  // random bytes after a plausible Ethernet header
            f.resize(14 + rng() % 300);
            for (size_t i = 14; i < f.size(); ++i) f[i] = byte();
            break;
        default: {  // a run of random bytes inside
            if (f.empty()) break;
            const size_t at = rng() % f.size();
            for (size_t i = at; i < std::min(f.size(), at + 1 + rng() % 8); ++i) f[i] = byte();
        }
    }
}

}  // namespace

Bytes mutatedFrame(std::mt19937 &rng, const Ingress &in) {
    Bytes f = in.seeds[rng() % in.seeds.size()];
    if (rng() % 20 == 0) return f;  // unchanged now and then: it sets up connections, flows, learned entries
    for (int n = 1 + int(rng() % 3); n; --n) mutate(rng, f);
    return f;
}

void FuzzReport::note(const std::string &what, const Ingress &in, const Bytes &frame, const RunResult &r) {
    if (what.empty()) return;
    if (++failures_ > 10) return;
    first_ += "\n" + what + " (from " + in.name + ", verdict " + std::to_string(r.verdict) + ")\n  in:  " +
              hex(frame) + "\n  out: " + hex(r.out);
}

void FuzzReport::print(const std::string &hook, uint64_t frames, uint32_t seed) const {
    std::printf("%s: %llu frames (FUZZ_SEED=%u), %llu refused by the kernel's test run, %zu failures\n", hook.c_str(),
                static_cast<unsigned long long>(frames), seed, static_cast<unsigned long long>(refused), failures_);
    std::printf("  %-22s %12s %12s\n", "from", "redirected", "dropped");
    for (const auto &[name, by] : verdicts_) {
        auto get = [&](uint32_t v) { auto it = by.find(v); return it == by.end() ? 0ull : (unsigned long long)it->second; };
        std::printf("  %-22s %12llu %12llu\n", name.c_str(), get(kRedirect), get(kShot));
    }
}

}  // namespace bpftest
