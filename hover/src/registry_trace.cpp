// POST /trace: one packet through the real programs, read off the counters.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <cstring>
#include <set>

#include "registry.h"

namespace hover {

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

// The ports whose tx counters moved between two snapshots.
std::vector<uint32_t> portsThatSent(const TraceCounters &before, const TraceCounters &after) {
    std::vector<uint32_t> out;
    for (const auto &[p, stats] : after.ports) {
        auto old = before.ports.find(p);
        if (old != before.ports.end() && stats.tx_packets > old->second.tx_packets) out.push_back(p);
    }
    return out;
}

// The packets each ACL of a switch decided (acl_hits summed over CPUs), by
// ACL number; none for other module types.
std::map<uint32_t, uint64_t> aclHits(const Module &m) {
    std::map<uint32_t, uint64_t> out;
    auto map = m.tableMap("acl_hits");
    auto info = map.ok() ? mapInfo(map->fd) : iovisor::Result<MapInfo>(map.error());
    if (!info.ok()) return out;
    const auto rows = readInBatches(map->fd, *info);
    for (const auto &[key, raw] : rows ? *rows : std::vector<std::pair<Bytes, Bytes>>{}) {
        const auto acl = map->tableKey(key);
        if (!acl) continue;
        uint64_t n = 0;
        for (size_t off = 0; off + sizeof(uint64_t) <= raw.size(); off += sizeof(uint64_t)) {
            uint64_t v;
            std::memcpy(&v, raw.data() + off, sizeof v);
            n += v;
        }
        out[model::fromBytes<uint32_t>(*acl)] = n;
    }
    return out;
}

}  // namespace

Result<TraceResult> Registry::trace(const std::string &from, const Bytes &packet) {
    std::lock_guard<std::mutex> lock(mu_);
    auto start = traceStart(from);
    if (!start.ok()) return start.error();
    const auto [first, in_port] = *start;
    if (first->info.mode != AttachMode::kTc) return makeError(Errc::kInvalid, "trace runs tc modules only");
    if (packet.size() < 14) return makeError(Errc::kInvalid, "a traced packet needs at least an Ethernet header");
    auto before = traceCounters(first->info.id, in_port);
    if (!before.ok()) return before.error();
    TraceResult out;
    if (auto s = traceRun(*first, in_port, packet, &out); !s.ok()) return s.error();
    auto after = traceCounters(first->info.id, in_port);
    if (!after.ok()) return after.error();
    traceWalk(first->info.id, in_port, *before, *after, &out);
    return out;
}

// "m:<module>:<port>" -> the module and port the packet enters by.
Result<std::pair<Registry::ModuleRecord *, uint32_t>> Registry::traceStart(const std::string &from) {
    if (from.rfind("m:", 0) != 0 || from.find(':', 2) == std::string::npos)
        return makeError(Errc::kInvalid, "trace 'from' must be m:<module>:<port>");
    auto rec = find(from.substr(2, from.find(':', 2) - 2));
    if (!rec.ok()) return rec.error();
    const std::string port_text = from.substr(from.find(':', 2) + 1);
    if (port_text.empty() || port_text.size() > 3 || port_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port_text) >= IOV_MAX_PORTS)
        return makeError(Errc::kInvalid, "trace port '" + port_text + "' out of range");
    return std::make_pair(*rec, static_cast<uint32_t>(std::stoul(port_text)));
}

// Every module's port counters (linked ports, and the traced one) and drops.
Result<std::map<uint32_t, TraceCounters>> Registry::traceCounters(uint32_t first, uint32_t in_port) {
    std::map<uint32_t, TraceCounters> all;
    for (auto &[id, m] : modules_) {
        TraceCounters c;
        std::vector<uint32_t> ports;
        for (const auto &p : infoOf(m).ports) ports.push_back(p.first);
        if (id == first) ports.push_back(in_port);
        for (uint32_t port : ports) {
            auto s = m.module->portStats(port);
            if (!s.ok()) return s.error();
            c.ports[port] = *s;
        }
        auto d = m.module->drops();
        if (!d.ok()) return d.error();
        c.drops = *d;
        c.acl_hits = aclHits(*m.module);
        all[id] = c;
    }
    return all;
}

Status Registry::traceRun(const ModuleRecord &first, uint32_t in_port, const Bytes &packet, TraceResult *out) {
    out->output.resize(packet.size() + 256);
    __sk_buff ctx{};
    iov_md md{};
    md.module = first.info.id;
    md.in_port = in_port;
    std::memcpy(ctx.cb, &md, sizeof(md));
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet.data(), .data_out = out->output.data(),
                .data_size_in = static_cast<uint32_t>(packet.size()),
                .data_size_out = static_cast<uint32_t>(out->output.size()), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
                .repeat = 1);
    if (bpf_prog_test_run_opts(first.module->chainProgFd(), &opts) != 0)
        return iovisor::errnoError(errno, "BPF_PROG_TEST_RUN (the kernel refuses packets shorter than their IPv4 header)");
    out->output.resize(opts.data_size_out);
    out->verdict = verdictName(opts.retval);
    return {};
}

// From the first module along the out ports whose tx counters moved.
void Registry::traceWalk(uint32_t first, uint32_t in_port, const std::map<uint32_t, TraceCounters> &before,
                         const std::map<uint32_t, TraceCounters> &after, TraceResult *out) {
    std::set<std::pair<uint32_t, uint32_t>> visited;
    std::vector<std::pair<uint32_t, uint32_t>> todo = {{first, in_port}};
    while (!todo.empty()) {
        auto [id, port] = todo.front();
        todo.erase(todo.begin());
        if (!visited.insert({id, port}).second || !modules_.count(id) || !before.count(id) || !after.count(id)) continue;
        const TraceCounters &b = before.at(id), &a = after.at(id);
        TraceStep step{id, modules_.at(id).info.display_name, modules_.at(id).info.type, {port}, portsThatSent(b, a), {}};
        for (uint32_t r = 1; r < IOV_DROP_MAX; ++r)
            if (a.drops[r] > b.drops[r]) step.drops.emplace_back(dropReasonName(r), a.drops[r] - b.drops[r]);
        for (const auto &[acl, n] : a.acl_hits) {
            auto old = b.acl_hits.find(acl);
            const uint64_t was = old == b.acl_hits.end() ? 0 : old->second;
            if (n > was) step.acls.emplace_back(acl, n - was);
        }
        for (uint32_t p : step.out_ports)
            for (const auto &[lid, link] : links_) {
                const bool from_side = link.info.from.is_module && link.info.from.module == id && link.info.from.port == p;
                const bool to_side = link.info.to.is_module && link.info.to.module == id && link.info.to.port == p;
                if (!from_side && !to_side) continue;
                const Endpoint &peer = from_side ? link.info.to : link.info.from;
                if (peer.is_module) todo.emplace_back(peer.module, peer.port);
                else out->leaves.push_back(peer.ifname);
            }
        out->steps.push_back(step);
    }
}

}  // namespace hover
