// The REST API's JSON shapes (see hover/openapi.json), both ways.
#pragma once

#include <nlohmann/json.hpp>

#include "iovisor/result.h"
#include "registry.h"

namespace hover {

nlohmann::json toJson(const ModuleInfo &module);
nlohmann::json toJson(const LinkInfo &link);
nlohmann::json toJson(const TableInfo &table);
nlohmann::json toJson(const ModuleStats &stats);
nlohmann::json toJson(const Interface &itf);
nlohmann::json toJson(const TraceResult &trace);
nlohmann::json toJson(const FlowCacheInfo &cache);
nlohmann::json conntrackJson(AttachMode mode, const ChainMap::ConntrackFill &fill);
// `now_ns`: CLOCK_MONOTONIC_COARSE, the datapath's clock.
nlohmann::json connectionsJson(const Registry::Connections &c, uint64_t now_ns);
std::string endpointText(const Endpoint &e);

// POST /modules/ body -> request; errors name the offending field.
iovisor::Result<CreateModule> createModuleFrom(const nlohmann::json &body);
// PATCH /modules/{id}/tables/ body -> batches:
//   [{"table": t, "op": "put"|"delete", "entries": [{"key_hex": h, "value_hex": h}]}]
iovisor::Result<std::vector<RawBatch>> rawBatchesFrom(const nlohmann::json &body);
// A table key as written in a URL path segment: JSON if it parses as JSON,
// else the plain string ("10.0.0.1", "02:00:00:00:00:01", "0x0a000001").
nlohmann::json keyFromPath(const std::string &segment);

}  // namespace hover
