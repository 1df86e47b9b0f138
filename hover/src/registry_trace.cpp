// POST /trace: one packet through the real programs, read off the counters.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <cstring>
#include <set>

#include "registry.h"

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Result;
using iovisor::Status;
using nlohmann::json;

namespace {

const char *verdictName(uint32_t tc_action) {
    switch (tc_action) {
    case TC_ACT_OK: return "pass";
    case TC_ACT_SHOT: return "drop";
    case TC_ACT_REDIRECT: return "redirect";
    default: return "other";
    }
}

struct Counters {
    std::map<uint32_t, iov_port_stats> ports;
    std::array<uint64_t, IOV_DROP_MAX> drops{};
};
}  // namespace

Result<TraceResult> Registry::trace(const std::string &from, const Bytes &packet) {
    std::lock_guard<std::mutex> lock(mu_);
    if (from.rfind("m:", 0) != 0 || from.find(':', 2) == std::string::npos)
        return makeError(Errc::kInvalid, "trace 'from' must be m:<module>:<port>");
    const std::string ref = from.substr(2, from.find(':', 2) - 2);
    auto rec = find(ref);
    if (!rec.ok()) return rec.error();
    const std::string port_text = from.substr(from.find(':', 2) + 1);
    if (port_text.empty() || port_text.size() > 3 || port_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port_text) >= IOV_MAX_PORTS)
        return makeError(Errc::kInvalid, "trace port '" + port_text + "' out of range");
    const uint32_t in_port = std::stoul(port_text);
    ModuleRecord &first = **rec;
    if (first.info.mode != AttachMode::kTc) return makeError(Errc::kInvalid, "trace runs tc modules only");
    if (packet.size() < 14) return makeError(Errc::kInvalid, "a traced packet needs at least an Ethernet header");

    auto snapshot = [&]() -> Result<std::map<uint32_t, Counters>> {
        std::map<uint32_t, Counters> all;
        for (auto &[id, m] : modules_) {
            Counters c;
            for (const auto &p : infoOf(m).ports) {
                auto s = m.module->portStats(p.first);
                if (!s.ok()) return s.error();
                c.ports[p.first] = *s;
            }
            auto s = m.module->portStats(in_port);
            if (s.ok() && id == first.info.id) c.ports[in_port] = *s;
            auto d = m.module->drops();
            if (!d.ok()) return d.error();
            c.drops = *d;
            all[id] = c;
        }
        return all;
    };
    auto before = snapshot();
    if (!before.ok()) return before.error();
    TraceResult out;
    out.output.resize(packet.size() + 256);
    __sk_buff ctx{};
    iov_md md{};
    md.module = first.info.id;
    md.in_port = in_port;
    std::memcpy(ctx.cb, &md, sizeof(md));
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet.data(), .data_out = out.output.data(),
                .data_size_in = static_cast<uint32_t>(packet.size()),
                .data_size_out = static_cast<uint32_t>(out.output.size()), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
                .repeat = 1);
    if (bpf_prog_test_run_opts(first.module->chainProgFd(), &opts) != 0)
        return iovisor::errnoError(errno, "BPF_PROG_TEST_RUN (the kernel refuses packets shorter than their IPv4 header)");
    out.output.resize(opts.data_size_out);
    out.verdict = verdictName(opts.retval);
    auto after = snapshot();
    if (!after.ok()) return after.error();

    // Walk from the first module along out ports whose tx counters moved.
    std::set<std::pair<uint32_t, uint32_t>> visited;
    std::vector<std::pair<uint32_t, uint32_t>> todo = {{first.info.id, in_port}};
    while (!todo.empty()) {
        auto [id, port] = todo.front();
        todo.erase(todo.begin());
        if (!visited.insert({id, port}).second || !modules_.count(id)) continue;
        const Counters &b = (*before)[id], &a = (*after)[id];
        TraceStep step{id, modules_.at(id).info.display_name, modules_.at(id).info.type, {port}, {}, {}};
        for (const auto &[p, stats] : a.ports) {
            auto old = b.ports.find(p);
            if (old != b.ports.end() && stats.tx_packets > old->second.tx_packets) step.out_ports.push_back(p);
        }
        for (uint32_t r = 1; r < IOV_DROP_MAX; ++r)
            if (a.drops[r] > b.drops[r]) step.drops.emplace_back(dropReasonName(r), a.drops[r] - b.drops[r]);
        for (uint32_t p : step.out_ports) {
            for (const auto &[lid, link] : links_) {
                const Endpoint *self = nullptr, *peer = nullptr;
                if (link.info.from.is_module && link.info.from.module == id && link.info.from.port == p)
                    self = &link.info.from, peer = &link.info.to;
                else if (link.info.to.is_module && link.info.to.module == id && link.info.to.port == p)
                    self = &link.info.to, peer = &link.info.from;
                if (!self) continue;
                if (peer->is_module) todo.emplace_back(peer->module, peer->port);
                else out.leaves.push_back(peer->ifname);
            }
        }
        out.steps.push_back(step);
    }
    return out;
}

}  // namespace hover
