#include "api_json.h"

#include <cmath>

#include "iovisor/net.h"
#include "lib/ct_timeouts.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cpprest/asyncrt_utils.h>

#include <cstring>

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using nlohmann::json;

std::string endpointText(const Endpoint &e) {
    if (e.is_module) return "m:" + std::to_string(e.module) + ":" + std::to_string(e.port);
    return "i:" + e.ifname;
}

json toJson(const ModuleInfo &m) {
    json ports = json::array();
    for (const auto &[port, link] : m.ports) ports.push_back({{"port", port}, {"link", link}});
    return {{"id", m.id},         {"module_type", m.type}, {"display_name", m.display_name},
            {"attach", attachModeName(m.mode)}, {"config", m.config}, {"ports", ports}};
}

json toJson(const LinkInfo &l) {
    auto port = [](const Endpoint &e) { return e.is_module ? json(e.port) : json(nullptr); };
    return {{"id", l.id},           {"from", endpointText(l.from)}, {"to", endpointText(l.to)},
            {"from_port", port(l.from)}, {"to_port", port(l.to)}};
}

json toJson(const TableInfo &t) {
    return {{"name", t.name},
            {"type", t.type},
            {"key_size", t.key_size},
            {"value_size", t.value_size},
            {"max_entries", t.max_entries}};
}

json toJson(const ModuleStats &s) {
    json ports = json::array();
    for (const auto &p : s.ports)
        ports.push_back({{"port", p.port},
                         {"rx_packets", p.counters.rx_packets},
                         {"rx_bytes", p.counters.rx_bytes},
                         {"tx_packets", p.counters.tx_packets},
                         {"tx_bytes", p.counters.tx_bytes}});
    json drops = json::object();
    for (const auto &[reason, count] : s.drops) drops[reason] = count;
    return {{"ports", ports}, {"drops", drops}};
}

json toJson(const Interface &i) {
    return {{"name", i.name}, {"ifindex", i.ifindex}, {"link", i.link ? json(*i.link) : json(nullptr)}};
}

json toJson(const TraceResult &t) {
    json steps = json::array();
    for (const auto &s : t.steps) {
        json drops = json::object();
        for (const auto &[reason, n] : s.drops) drops[reason] = n;
        json acls = json::array();
        for (const auto &[acl, n] : s.acls) acls.push_back({{"acl", acl}, {"packets", n}});
        steps.push_back({{"module", s.module}, {"display_name", s.name}, {"module_type", s.type},
                         {"in_ports", s.in_ports}, {"out_ports", s.out_ports}, {"drops", drops}, {"acls", acls}});
    }
    return {{"verdict", t.verdict}, {"steps", steps}, {"leaves", t.leaves}, {"output", toHex(t.output.data(), t.output.size())}};
}

namespace {
std::string macText(const uint8_t *bytes) {
    iovisor::Mac mac;
    std::memcpy(mac.data(), bytes, mac.size());
    return iovisor::formatMac(mac);
}
std::string netdevName(uint32_t ifindex) {
    char name[IF_NAMESIZE] = {};
    return if_indextoname(ifindex, name) ? name : "ifindex " + std::to_string(ifindex);
}
// A flow's headers as ovn-trace-like fields; ICMP shows its echo id.
json flowHeaders(const uint8_t *src_mac, const uint8_t *dst_mac, uint32_t saddr, uint32_t daddr, uint8_t proto,
                 uint16_t l4_a, uint16_t l4_b) {
    json h = {{"eth.src", macText(src_mac)}, {"eth.dst", macText(dst_mac)}, {"ip4.src", iovisor::formatIpv4(saddr)},
              {"ip4.dst", iovisor::formatIpv4(daddr)}};
    if (proto == IPPROTO_ICMP) {
        h["icmp4.type"] = l4_b & 0xff;  // first byte on the wire
        h["icmp4.id"] = ntohs(l4_a);
    } else {
        const std::string l4 = proto == IPPROTO_TCP ? "tcp" : "udp";
        h[l4 + ".src"] = ntohs(l4_a);
        h[l4 + ".dst"] = ntohs(l4_b);
    }
    return h;
}
}  // namespace

json toJson(const FlowCacheInfo &cache) {
    const uint64_t now_ns = datapathClockNs();
    json flows = json::array();
    for (size_t n = 0; n < cache.flows.size(); ++n) {
        const iov_flow &f = cache.flows[n];
        const json modules = n < cache.modules.size() ? json(cache.modules[n]) : json::array();
        const auto &k = f.key;
        flows.push_back({{"in", netdevName(k.ifindex)},
                         {"match", flowHeaders(k.src_mac, k.dst_mac, k.saddr, k.daddr, k.proto, k.l4_a, k.l4_b)},
                         {"modules", modules},
                         {"out", netdevName(f.ifindex)},
                         {"leaves_as", flowHeaders(f.src_mac, f.dst_mac, f.saddr, f.daddr, k.proto, f.l4_a, f.l4_b)},
                         {"ttl_decrement", f.ttl_dec},
                         {"expires_in_ms", f.expires_ns > now_ns ? (f.expires_ns - now_ns) / 1000000 : 0}});
    }
    json drops = json::object();
    for (uint32_t r = 1; r < IOV_DROP_MAX; ++r)
        if (cache.entry_drops[r]) drops[dropReasonName(r)] = cache.entry_drops[r];
    return {{"hook", attachModeName(cache.mode)}, {"replayed", cache.counters[IOV_FLOW_HIT]},
            {"walked", cache.counters[IOV_FLOW_MISS]}, {"stored", cache.counters[IOV_FLOW_STORED]},
            {"entry_drops", drops}, {"flows", flows}};
}

namespace {

iovisor::Result<Bytes> hexField(const json &entry, const char *field) {
    if (!entry.contains(field) || !entry[field].is_string())
        return makeError(Errc::kInvalid, std::string("'") + field + "' must be a hex string");
    const std::string hex = entry[field];
    if (hex.size() % 2) return makeError(Errc::kInvalid, std::string("'") + field + "' has an odd number of digits");
    return fromHex(hex, hex.size() / 2);
}

iovisor::Result<RawBatch> rawBatchFrom(const json &b) {
    const bool op_known = b.is_object() && (b.value("op", "") == "put" || b.value("op", "") == "delete");
    if (!op_known || !b.contains("table") || !b["table"].is_string() || !b.contains("entries") ||
        !b["entries"].is_array() || b.size() != 3)
        return makeError(Errc::kInvalid, "must be {\"table\": name, \"op\": \"put\"|\"delete\", \"entries\": [...]}");
    RawBatch batch{b["table"], b["op"] == "delete", {}};
    for (const auto &e : b["entries"]) {
        const std::string where = "entry " + std::to_string(batch.entries.size());
        if (!e.is_object() || e.size() != (batch.remove ? 1u : 2u))
            return makeError(Errc::kInvalid, where + " must be {\"key_hex\": ...}" + (batch.remove ? "" : " with \"value_hex\""));
        auto key = hexField(e, "key_hex");
        if (!key.ok()) return key.error().context(where);
        auto value = batch.remove ? iovisor::Result<Bytes>(Bytes{}) : hexField(e, "value_hex");
        if (!value.ok()) return value.error().context(where);
        batch.entries.emplace_back(std::move(key.value()), std::move(value.value()));
    }
    return batch;
}


// A zone as the API names it: "<module id>" (a nat instance's), or
// "<module id>:<port>" (a switch port's ACL stage).
std::string zoneName(uint32_t zone) {
    if (!(zone & IOV_CT_ZONE_PORT)) return std::to_string(zone);
    const uint32_t slot = zone & ~IOV_CT_ZONE_PORT;
    return std::to_string(slot / IOV_MAX_PORTS) + ":" + std::to_string(slot % IOV_MAX_PORTS);
}

json connectionJson(const iov_ct_key &k, const iov_ct_entry &e, const iov_ct_timeouts &timeouts, uint64_t now_ns) {
    const bool v6 = k.family == 6;
    json state = json::array();
    const std::pair<uint8_t, const char *> flags[] = {{IOV_CT_REPLIED, "replied"}, {IOV_CT_BLOCKED, "blocked"},
                                                      {IOV_CT_FIN_ORIG, "fin"}, {IOV_CT_FIN_REPLY, "fin_reply"},
                                                      {IOV_CT_RST, "rst"}};
    for (const auto &[bit, name] : flags)
        if (e.flags & bit) state.push_back(name);
    const uint64_t idle = now_ns > e.last_seen_ns ? now_ns - e.last_seen_ns : 0;
    const uint64_t timeout = iov_ct_timeout(&timeouts, k.proto, e.flags);
    json out = {{"zone", zoneName(k.zone)},
                {"proto", k.proto},
                {"src", v6 ? iovisor::formatIpv6(*reinterpret_cast<const iovisor::Ip6 *>(k.saddr6)) : iovisor::formatIpv4(k.saddr)},
                {"dst", v6 ? iovisor::formatIpv6(*reinterpret_cast<const iovisor::Ip6 *>(k.daddr6)) : iovisor::formatIpv4(k.daddr)},
                {"sport", ntohs(k.sport)},
                {"dport", ntohs(k.dport)},
                {"direction", e.flags & IOV_CT_REPLY ? "reply" : "original"},
                {"state", state},
                {"idle_s", idle / IOV_SEC_NS},
                {"expires_in_s", idle >= timeout ? 0 : (timeout - idle) / IOV_SEC_NS}};
    if (e.rewrite != NAT_REWRITE_NONE || !(e.flags & IOV_CT_ACL))
        out["nat"] = {{"rewrite", e.rewrite == NAT_REWRITE_SRC ? "src" : e.rewrite == NAT_REWRITE_DST ? "dst" : "none"},
                      {"addr", iovisor::formatIpv4(e.addr)},
                      {"port", ntohs(e.port)}};
    return out;
}

}  // namespace

json connectionsJson(const Registry::Connections &c, uint64_t now_ns) {
    json list = json::array();
    for (const auto &[k, e] : c.entries) list.push_back(connectionJson(k, e, c.timeouts, now_ns));
    return {{"hook", attachModeName(c.mode)}, {"total", c.total}, {"connections", list}};
}

json conntrackJson(AttachMode mode, const ChainMap::ConntrackFill &fill) {
    json zones = json::object();
    for (const auto &[zone, n] : fill.zones) zones[zoneName(zone)] = n;
    const double percent = fill.max_entries ? 100.0 * fill.entries / fill.max_entries : 0;
    return {{"hook", attachModeName(mode)}, {"max_entries", fill.max_entries}, {"entries", fill.entries},
            {"fill_percent", std::round(percent * 10) / 10}, {"zones", zones}};
}

iovisor::Result<std::vector<RawBatch>> rawBatchesFrom(const json &body) {
    if (!body.is_array()) return makeError(Errc::kInvalid, "body must be a list of table batches");
    std::vector<RawBatch> out;
    for (const auto &b : body) {
        auto batch = rawBatchFrom(b);
        if (!batch.ok()) return batch.error().context("batch " + std::to_string(out.size()));
        out.push_back(std::move(batch.value()));
    }
    return out;
}

iovisor::Result<CreateModule> createModuleFrom(const json &body) {
    if (!body.is_object()) return makeError(Errc::kInvalid, "body must be a JSON object");
    CreateModule req;
    for (auto it = body.begin(); it != body.end(); ++it)
        if (it.key() != "module_type" && it.key() != "display_name" && it.key() != "config")
            return makeError(Errc::kInvalid, "unknown field '" + it.key() + "' (module_type, display_name, config)");
    if (!body.contains("module_type") || !body["module_type"].is_string())
        return makeError(Errc::kInvalid, "'module_type' (string) is required");
    req.type = body["module_type"];
    if (body.contains("display_name")) {
        if (!body["display_name"].is_string()) return makeError(Errc::kInvalid, "'display_name' must be a string");
        req.display_name = body["display_name"];
    }
    if (body.contains("config")) {
        if (!body["config"].is_object()) return makeError(Errc::kInvalid, "'config' must be an object");
        req.config = body["config"];
    }
    if (req.config.contains("attach")) {
        if (!req.config["attach"].is_string()) return makeError(Errc::kInvalid, "'config.attach' must be tc or xdp");
        auto mode = parseAttachMode(req.config["attach"]);
        if (!mode.ok()) return mode.error().context("config.attach");
        req.mode = *mode;
        req.config.erase("attach");
    }
    if (req.config.contains("source")) {
        if (!req.config["source"].is_string()) return makeError(Errc::kInvalid, "'config.source' must be a string");
        req.source = req.config["source"];
        req.config.erase("source");
    }
    if (req.config.contains("object")) {
        if (!req.config["object"].is_string())
            return makeError(Errc::kInvalid, "'config.object' must be a base64 string");
        try {
            req.object = utility::conversions::from_base64(req.config["object"].get<std::string>());
        } catch (const std::exception &) {
            return makeError(Errc::kInvalid, "'config.object' is not valid base64");
        }
        if (req.object.empty()) return makeError(Errc::kInvalid, "'config.object' is empty");
        req.config.erase("object");
    }
    if (req.type != "bpf" && (!req.source.empty() || !req.object.empty()))
        return makeError(Errc::kInvalid, "config.source/config.object are for module_type bpf only");
    return req;
}

json keyFromPath(const std::string &segment) {
    json parsed = json::parse(segment, nullptr, false);
    if (!parsed.is_discarded()) return parsed;
    return segment;
}

}  // namespace hover
