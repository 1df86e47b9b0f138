#include "acl_log.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "hover/fd.h"
#include "hover/model/l2switch.h"
#include "lib/tables.h"

namespace hover {

namespace {

// Big-endian reads within the captured bytes (0 past them).
struct Frame {
    const uint8_t *p;
    size_t len;
    bool has(size_t off, size_t n) const { return off + n <= len; }
    uint8_t u8(size_t off) const { return has(off, 1) ? p[off] : 0; }
    uint16_t u16(size_t off) const { return has(off, 2) ? uint16_t(p[off] << 8 | p[off + 1]) : 0; }
};

std::string mac(const Frame &f, size_t off) {
    char out[18];
    snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", f.u8(off), f.u8(off + 1), f.u8(off + 2),
             f.u8(off + 3), f.u8(off + 4), f.u8(off + 5));
    return out;
}

std::string ip(const Frame &f, size_t off, int family) {
    char out[INET6_ADDRSTRLEN] = "?";
    uint8_t bytes[16] = {};
    const size_t n = family == AF_INET ? 4 : 16;
    if (f.has(off, n)) std::memcpy(bytes, f.p + off, n);
    inet_ntop(family, bytes, out, sizeof out);
    return out;
}

// OVS's names of the TCP flags, lowest bit first, joined by '|'.
std::string tcpFlags(uint16_t flags) {
    static const char *names[] = {"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns"};
    std::string out;
    for (int bit = 0; bit < 9; ++bit)
        if (flags & (1u << bit)) out += (out.empty() ? "" : "|") + std::string(names[bit]);
    return out.empty() ? "0" : out;
}

// "<proto>" and the fields after the IP header's, OVS-style.
std::string l4Text(const Frame &f, size_t l4, uint8_t proto, bool v6, bool later_fragment, std::string *name) {
    const std::string sfx = v6 ? "6" : "";
    auto ports = [&] {
        return later_fragment ? std::string(",tp_src=0,tp_dst=0")
                              : ",tp_src=" + std::to_string(f.u16(l4)) + ",tp_dst=" + std::to_string(f.u16(l4 + 2));
    };
    if (proto == 6) {
        *name = "tcp" + sfx;
        const uint16_t flags = later_fragment ? 0 : uint16_t((f.u8(l4 + 12) & 1) << 8 | f.u8(l4 + 13));
        return ports() + ",tcp_flags=" + tcpFlags(flags);
    }
    if (proto == 17 || proto == 132) {
        *name = (proto == 17 ? "udp" : "sctp") + sfx;
        return ports();
    }
    if ((proto == 1 && !v6) || (proto == 58 && v6)) {
        *name = v6 ? "icmp6" : "icmp";
        return ",icmp_type=" + std::to_string(later_fragment ? 0 : f.u8(l4)) +
               ",icmp_code=" + std::to_string(later_fragment ? 0 : f.u8(l4 + 1));
    }
    *name = v6 ? "ipv6" : "ip";
    return ",nw_proto=" + std::to_string(proto);
}

std::string ipv4Text(const Frame &f, size_t l3, std::string *name) {
    const uint8_t tos = f.u8(l3 + 1), ihl = uint8_t((f.u8(l3) & 0xf) * 4);
    const uint16_t frag = f.u16(l3 + 6);
    const bool more = frag & 0x2000, later = (frag & 0x1fff) != 0;
    std::string out = ",nw_src=" + ip(f, l3 + 12, AF_INET) + ",nw_dst=" + ip(f, l3 + 16, AF_INET) +
                      ",nw_tos=" + std::to_string(tos & 0xfc) + ",nw_ecn=" + std::to_string(tos & 3) +
                      ",nw_ttl=" + std::to_string(f.u8(l3 + 8)) +
                      ",nw_frag=" + (later ? "later" : more ? "first" : "no");
    return out + l4Text(f, l3 + ihl, f.u8(l3 + 9), false, later, name);
}

std::string ipv6Text(const Frame &f, size_t l3, std::string *name) {
    const uint32_t first = uint32_t(f.u16(l3)) << 16 | f.u16(l3 + 2);
    const uint8_t tclass = uint8_t(first >> 20);
    char label[16];
    snprintf(label, sizeof label, "0x%05x", first & 0xfffff);
    std::string out = ",ipv6_src=" + ip(f, l3 + 8, AF_INET6) + ",ipv6_dst=" + ip(f, l3 + 24, AF_INET6) +
                      ",ipv6_label=" + label + ",nw_tos=" + std::to_string(tclass & 0xfc) +
                      ",nw_ecn=" + std::to_string(tclass & 3) + ",nw_ttl=" + std::to_string(f.u8(l3 + 7)) +
                      ",nw_frag=no";
    return out + l4Text(f, l3 + 40, f.u8(l3 + 6), true, false, name);
}

std::string arpText(const Frame &f, size_t l3, std::string *name) {
    *name = "arp";
    return ",arp_spa=" + ip(f, l3 + 14, AF_INET) + ",arp_tpa=" + ip(f, l3 + 24, AF_INET) +
           ",arp_op=" + std::to_string(f.u16(l3 + 6)) + ",arp_sha=" + mac(f, l3 + 8) + ",arp_tha=" + mac(f, l3 + 18);
}

}  // namespace

std::string flowText(const uint8_t *frame, size_t len) {
    const Frame f{frame, len};
    if (!f.has(0, 14)) return "(a frame of " + std::to_string(len) + " bytes)";
    size_t l3 = 14;
    uint16_t type = f.u16(12), tci = 0;
    if (type == 0x8100) {
        tci = uint16_t(f.u16(14) | 0x1000);  // OVS shows a present tag with its CFI bit
        type = f.u16(16);
        l3 = 18;
    }
    char vlan[32];
    snprintf(vlan, sizeof vlan, ",vlan_tci=0x%04x", tci);
    const std::string eth = vlan + std::string(",dl_src=") + mac(f, 6) + ",dl_dst=" + mac(f, 0);
    std::string name, rest;
    if (type == 0x0800) rest = ipv4Text(f, l3, &name);
    else if (type == 0x86dd) rest = ipv6Text(f, l3, &name);
    else if (type == 0x0806) rest = arpText(f, l3, &name);
    else {
        char text[32];
        snprintf(text, sizeof text, ",dl_type=0x%04x", type);
        return eth.substr(1) + text;
    }
    return name + eth + rest;
}

std::string AclLogger::line(const void *data, size_t size, int info_fd) {
    acl_log_event e{};
    std::memcpy(&e, data, std::min(size, sizeof e));
    acl_log_mkey key{e.module, e.acl};
    acl_log_info info{};
    const bool known = bpf_map_lookup_elem(info_fd, &key, &info) == 0;
    const std::string name(info.name, strnlen(info.name, sizeof info.name));
    const char *verdict = e.action == ACL_DROP || e.action == ACL_UNSUPPORTED ? "drop"
                          : e.action == ACL_REJECT                         ? "reject"
                                                                           : "allow";
    return "acl_log|INFO|name=\"" + (name.empty() ? std::string("<unnamed>") : name) + "\", verdict=" + verdict +
           ", severity=" + hover::model::l2switch::severityName(known ? info.severity : 6) +
           ", direction=" + (e.dir == ACL_DIR_TO_LPORT ? "to-lport" : "from-lport") + ": " +
           flowText(e.data, std::min<size_t>(e.len, sizeof e.data));
}

AclLogger::AclLogger(std::string pin_root, std::function<void(const std::string &)> write)
    : pin_root_(std::move(pin_root)), write_(std::move(write)), thread_([this] { run(); }) {}

AclLogger::~AclLogger() {
    stop_ = true;
    thread_.join();
}

namespace {

// One hook's ring and names, once a switch of that hook has pinned them.
struct HookLog {
    std::string dir;
    Fd ring, info;
    AclLogger *logger = nullptr;
};

int onEvent(void *ctx, void *data, size_t size) {
    auto *hook = static_cast<HookLog *>(ctx);
    hook->logger->emit(AclLogger::line(data, size, hook->info.get()));
    return 0;
}

uint64_t nowSecond() {
    const auto since = std::chrono::steady_clock::now().time_since_epoch();
    return uint64_t(std::chrono::duration_cast<std::chrono::seconds>(since).count());
}

}  // namespace

void AclLogger::run() {
    std::vector<std::unique_ptr<HookLog>> hooks;
    for (const char *dir : {"/tc", "/xdp"}) hooks.push_back(std::make_unique<HookLog>(HookLog{pin_root_ + dir}));
    std::unique_ptr<ring_buffer, void (*)(ring_buffer *)> rings(nullptr, ring_buffer__free);
    while (!stop_) {
        for (auto &h : hooks) {
            if (h->ring.valid()) continue;
            Fd ring(bpf_obj_get((h->dir + "/acl_log_ring").c_str())), info(bpf_obj_get((h->dir + "/acl_logs").c_str()));
            if (!ring.valid() || !info.valid()) continue;
            h->logger = this;
            if (!rings) rings.reset(ring_buffer__new(ring.get(), onEvent, h.get(), nullptr));
            else if (ring_buffer__add(rings.get(), ring.get(), onEvent, h.get()) != 0) continue;
            if (!rings) continue;
            h->ring = std::move(ring);
            h->info = std::move(info);
        }
        if (rings) (void)ring_buffer__poll(rings.get(), 200);
        else std::this_thread::sleep_for(std::chrono::milliseconds(200));
        std::lock_guard<std::mutex> lock(mu_);
        if (nowSecond() != second_) endSecond();
    }
}

void AclLogger::emit(const std::string &line) {
    std::lock_guard<std::mutex> lock(mu_);
    if (nowSecond() != second_) endSecond();
    if (written_ >= kMaxLinesPerSecond) {
        ++left_out_;
        return;
    }
    ++written_;
    write_(line);
}

void AclLogger::endSecond() {
    if (left_out_)
        write_("acl_log|WARN|" + std::to_string(left_out_) + " ACL log lines left out (over " +
               std::to_string(kMaxLinesPerSecond) + " a second)");
    second_ = nowSecond();
    written_ = left_out_ = 0;
}

}  // namespace hover
