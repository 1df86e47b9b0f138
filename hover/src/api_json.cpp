#include "api_json.h"

#include <cpprest/asyncrt_utils.h>

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
        steps.push_back({{"module", s.module}, {"display_name", s.name}, {"module_type", s.type},
                         {"in_ports", s.in_ports}, {"out_ports", s.out_ports}, {"drops", drops}});
    }
    return {{"verdict", t.verdict}, {"steps", steps}, {"leaves", t.leaves}, {"output", toHex(t.output.data(), t.output.size())}};
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
