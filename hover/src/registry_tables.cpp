// The registry's table I/O (JSON through each map's BTF, or raw bytes as
// the typed model writes them) and counters.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <set>

#include "hover/model/l2switch.h"
#include "registry.h"

namespace hover {

using nlohmann::json;

// One codec per map (by its kernel id): a table shared by a thousand
// instances is one map with one BTF, not a thousand copies of it.
Result<const MapCodec *> Registry::codec(uint32_t module, const TableMap &map, const MapInfo &info) {
    auto it = codecs_.find(info.id);
    if (it == codecs_.end()) {
        auto c = mapCodec(map.fd);
        if (!c.ok()) return c.error();
        it = codecs_.emplace(info.id, std::move(c.value())).first;
        if (!map.shared) own_codecs_[module].push_back(info.id);
    }
    return &it->second;
}

Result<std::vector<TableInfo>> Registry::listTables(const std::string &module) {
    std::vector<TableInfo> out;
    std::vector<std::string> names;
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto rec = find(module);
        if (!rec.ok()) return rec.error();
        names = (*rec)->module->tableNames();
    }
    for (const auto &name : names) {
        auto t = getTable(module, name);
        if (t.ok()) out.push_back(*t);
    }
    return out;
}

Result<TableInfo> Registry::getTable(const std::string &module, const std::string &table) {
    std::lock_guard<std::mutex> lock(mu_);
    auto t = openTable(module, table);
    if (!t.ok()) return t.error();
    const char *type = libbpf_bpf_map_type_str(static_cast<bpf_map_type>(t->info.type));
    // A shared table's room is shared with the other instances of its type,
    // but a shared array's: each has its own slots.
    const uint32_t room = t->map.shared && t->map.shared->slots ? t->map.shared->slots : t->info.max_entries;
    return TableInfo{table, type ? type : "type " + std::to_string(t->info.type), t->key_size, t->info.value_size, room};
}

namespace {
json decodeValue(const MapCodec &c, const MapInfo &info, const Bytes &raw) {
    if (!isPerCpu(info.type)) return c.value.decode(raw.data());
    json per_cpu = json::array();
    const size_t stride = (info.value_size + 7) / 8 * 8;
    for (int cpu = 0; cpu < possibleCpus(); ++cpu) per_cpu.push_back(c.value.decode(raw.data() + cpu * stride));
    return per_cpu;
}
}  // namespace

Result<Registry::TableRef> Registry::openTable(const std::string &module, const std::string &table) {
    auto rec = find(module);
    if (!rec.ok()) return rec.error();
    TableRef t;
    t.module = (*rec)->module.get();
    auto map = t.module->tableMap(table);
    if (!map.ok()) return map.error();
    t.map = *map;
    t.fd = map->fd;
    auto info = mapInfo(t.fd);
    if (!info.ok()) return info.error();
    t.info = *info;
    auto c = codec((*rec)->info.id, t.map, t.info);
    if (!c.ok()) return c.error();
    t.codec = *c;
    t.key_size = t.map.shared ? t.map.shared->key_size : t.info.key_size;
    t.name = table;
    return t;
}

// A shared table's map keys in JSON: {"module": id, "key": <table key>}, or
// for an LPM table the table key's fields with "module" after "prefixlen",
// which counts the module id's 32 bits too; a shared array's index is the
// instance's slot number.
Result<Bytes> Registry::encodeKey(const TableRef &t, const json &key) {
    if (!t.map.shared) return t.codec->key.encode(key);
    if (t.map.shared->slots) {
        auto slot = t.codec->key.encode(key);
        if (!slot.ok()) return slot.error();
        auto index = t.map.mapKey(*slot);
        if (!index) return makeError(Errc::kInvalid, key.dump() + " is outside 0.." + std::to_string(t.map.shared->slots - 1));
        return *index;
    }
    json map_key = json::object();
    if (t.map.shared->lpm) {
        if (!key.is_object() || !key.contains("prefixlen") || !key["prefixlen"].is_number_unsigned())
            return makeError(Errc::kInvalid, "an LPM key needs \"prefixlen\"");
        map_key = key;
        map_key["prefixlen"] = key["prefixlen"].get<uint32_t>() + 32;
    } else {
        map_key["key"] = key;
    }
    map_key["module"] = t.map.module;
    return t.codec->key.encode(map_key);
}

json Registry::decodeKey(const TableRef &t, const Bytes &map_key) {
    if (t.map.shared && t.map.shared->slots) return t.codec->key.decode(t.map.tableKey(map_key).value_or(map_key).data());
    json key = t.codec->key.decode(map_key.data());
    if (!t.map.shared || !key.is_object()) return key;
    if (!t.map.shared->lpm) return key["key"];
    key.erase("module");
    if (key.contains("prefixlen") && key["prefixlen"].is_number())
        key["prefixlen"] = key["prefixlen"].get<uint32_t>() - 32;
    return key;
}

Result<Bytes> Registry::encodeValue(const TableRef &t, const json &value_json) {
    auto value = t.codec->value.encode(value_json);
    if (!value.ok()) return value.error();
    return perCpuValue(t, std::move(value.value()));
}

Bytes Registry::perCpuValue(const TableRef &t, Bytes value) {
    if (!isPerCpu(t.info.type)) return value;
    // Per-CPU maps take one copy per possible CPU, 8-byte aligned.
    const size_t stride = (t.info.value_size + 7) / 8 * 8;
    Bytes raw(stride * possibleCpus(), 0);
    for (int cpu = 0; cpu < possibleCpus(); ++cpu) std::copy(value.begin(), value.end(), raw.begin() + cpu * stride);
    return raw;
}

Status Registry::write(const TableRef &t, const Bytes &key, const Bytes &value, uint64_t flags, const std::string &what) {
    if (bpf_map_update_elem(t.fd, key.data(), value.data(), flags) == 0) return {};
    const int err = errno;
    if (err == EEXIST) return makeError(Errc::kConflict, what + " exists in " + t.name);
    return writeError(err, t.info, t.name, what);
}

std::vector<std::pair<Bytes, Bytes>> Registry::readAll(const TableRef &t) {
    std::vector<std::pair<Bytes, Bytes>> out;
    if (const model::TableDesc *shared = t.map.shared; shared && shared->slots) {
        // The instance's own slots of a shared array.
        const uint32_t first = t.map.module * shared->slots;
        auto values = readSlots(t.fd, t.info, first, shared->slots);
        if (!values.ok()) return out;
        for (uint32_t i = 0; i < values->size(); ++i) out.emplace_back(model::bytesOf(first + i), std::move((*values)[i]));
        return out;
    }
    if (t.map.shared) {
        // A shared hash map holds every instance's entries: read it in
        // batches and keep this instance's.
        if (auto all = readInBatches(t.fd, t.info)) {
            for (auto &entry : *all)
                if (t.map.tableKey(entry.first)) out.push_back(std::move(entry));
            return out;
        }
    }
    Bytes key(t.info.key_size), next(t.info.key_size), value(valueBytes(t.info));
    const bool is_devmap = t.info.type == BPF_MAP_TYPE_DEVMAP || t.info.type == BPF_MAP_TYPE_DEVMAP_HASH;
    for (const void *prev = nullptr; bpf_map_get_next_key(t.fd, prev, next.data()) == 0; prev = key.data()) {
        key = next;
        if (!t.map.tableKey(key)) continue;  // another instance's, in a shared map
        if (bpf_map_lookup_elem(t.fd, key.data(), value.data()) != 0) continue;  // raced delete
        if (is_devmap && value.size() >= 4 && !value[0] && !value[1] && !value[2] && !value[3]) continue;
        out.emplace_back(key, value);
    }
    return out;
}

Result<std::vector<TableEntry>> Registry::listEntries(const std::string &module, const std::string &table) {
    std::lock_guard<std::mutex> lock(mu_);
    auto t = openTable(module, table);
    if (!t.ok()) return t.error();
    std::vector<TableEntry> out;
    for (const auto &[key, value] : readAll(*t)) out.push_back({decodeKey(*t, key), decodeValue(*t->codec, t->info, value)});
    return out;
}

Result<std::vector<std::pair<Bytes, Bytes>>> Registry::listRawEntries(const std::string &module,
                                                                      const std::string &table) {
    std::lock_guard<std::mutex> lock(mu_);
    auto t = openTable(module, table);
    if (!t.ok()) return t.error();
    auto entries = readAll(*t);
    for (auto &entry : entries) entry.first = *t->map.tableKey(entry.first);
    return entries;
}

Status Registry::applyBatches(const std::string &module, const std::vector<RawBatch> &batches) {
    std::lock_guard<std::mutex> lock(mu_);
    auto rec = find(module);
    if (!rec.ok()) return rec.error();
    // Everything is checked before anything is written.
    std::vector<TableRef> tables;
    for (size_t i = 0; i < batches.size(); ++i) {
        auto t = openTable(module, batches[i].table);
        if (!t.ok()) return t.error().context("batch " + std::to_string(i));
        for (const auto &[key, value] : batches[i].entries) {
            if (key.size() != t->key_size || (!batches[i].remove && value.size() != t->info.value_size))
                return makeError(Errc::kInvalid, "batch " + std::to_string(i) + ": table " + t->name + " takes " +
                                                     std::to_string(t->key_size) + "-byte keys and " +
                                                     std::to_string(t->info.value_size) + "-byte values");
            if (!t->map.mapKey(key))
                return makeError(Errc::kInvalid, "batch " + std::to_string(i) + ": key " + toHex(key) +
                                                     " is outside table " + t->name);
        }
        tables.push_back(*t);
    }
    std::vector<PlannedWrite> writes;
    for (size_t i = 0; i < batches.size(); ++i)
        for (const auto &[key, value] : batches[i].entries)
            writes.push_back({&tables[i], key, *tables[i].map.mapKey(key),
                              batches[i].remove ? Bytes() : perCpuValue(tables[i], value), batches[i].remove,
                              "batch " + std::to_string(i) + " entry " + toHex(key)});
    return writeWhole(**rec, writes);
}

// Saves what the writes replace, then writes them: a failure puts it all
// back, and so does the next start if hoverd dies in between (undo.bin).
Status Registry::writeWhole(ModuleRecord &record, const std::vector<PlannedWrite> &writes) {
    UndoLog undo;
    for (const auto &w : writes) undo.remember(w.table->fd, w.table->info, w.map_key);
    const bool journaled = writes.size() > 1;  // one write is whole by itself
    if (journaled)
        if (auto s = undo_journal_.save(undo, {record.info.id}); !s.ok()) return s.error().context("nothing written");
    Status result;
    for (const auto &w : writes) {
        if (w.remove) {
            if (bpf_map_delete_elem(w.table->fd, w.map_key.data()) != 0 && errno != ENOENT)
                result = iovisor::errnoError(errno, "delete " + w.what + " in " + w.table->name);
        } else {
            result = write(*w.table, w.map_key, w.value, BPF_ANY, w.what);
        }
        if (!result.ok()) break;
    }
    if (!result.ok()) undo.rollBack();  // nothing of the request stays half applied
    if (journaled) undo_journal_.clear();
    for (const auto &w : writes) entryChanged(record, *w.table, w.key);
    return record.module->changed(result);
}

// XDP switches' flood devmaps follow their ports table.
void Registry::entryChanged(ModuleRecord &record, const TableRef &t, const Bytes &key) {
    if (record.info.type == model::l2switch::kType.name && t.name == model::l2switch::kPorts.desc.name &&
        key.size() == sizeof(uint32_t))
        portChanged(record, model::fromBytes<uint32_t>(key));
}

Result<json> Registry::getEntry(const std::string &module, const std::string &table, const json &key_json) {
    std::lock_guard<std::mutex> lock(mu_);
    auto t = openTable(module, table);
    if (!t.ok()) return t.error();
    auto key = encodeKey(*t, key_json);
    if (!key.ok()) return key.error().context("key");
    Bytes value(valueBytes(t->info));
    if (bpf_map_lookup_elem(t->fd, key->data(), value.data()) != 0)
        return makeError(Errc::kNotFound, "no entry " + key_json.dump() + " in table " + table);
    return decodeValue(*t->codec, t->info, value);
}

Status Registry::putEntry(const std::string &module, const std::string &table, const json &key_json,
                          const json &value_json, bool must_not_exist) {
    std::lock_guard<std::mutex> lock(mu_);
    auto t = openTable(module, table);
    if (!t.ok()) return t.error();
    auto key = encodeKey(*t, key_json);
    if (!key.ok()) return key.error().context("key");
    auto value = encodeValue(*t, value_json);
    if (!value.ok()) return value.error().context("value");
    auto s = write(*t, *key, *value, must_not_exist ? BPF_NOEXIST : BPF_ANY, "entry " + key_json.dump());
    if (!s.ok()) return s;
    if (auto rec = find(module); rec.ok()) entryChanged(**rec, *t, t->map.tableKey(*key).value_or(Bytes()));
    return t->module->configChanged();
}

Status Registry::putEntries(const std::string &module, const std::string &table,
                            const std::vector<TableEntry> &entries) {
    std::lock_guard<std::mutex> lock(mu_);
    auto t = openTable(module, table);
    if (!t.ok()) return t.error();
    std::vector<std::pair<Bytes, Bytes>> encoded;
    for (size_t i = 0; i < entries.size(); ++i) {
        auto key = encodeKey(*t, entries[i].key);
        if (!key.ok()) return key.error().context("entry " + std::to_string(i) + " key");
        auto value = encodeValue(*t, entries[i].value);
        if (!value.ok()) return value.error().context("entry " + std::to_string(i) + " value");
        encoded.emplace_back(std::move(key.value()), std::move(value.value()));
    }
    std::vector<PlannedWrite> writes;
    for (size_t i = 0; i < encoded.size(); ++i)
        writes.push_back({&*t, t->map.tableKey(encoded[i].first).value_or(Bytes()), encoded[i].first, encoded[i].second, false,
                          "entry " + std::to_string(i)});
    auto rec = find(module);
    if (!rec.ok()) return rec.error();
    return writeWhole(**rec, writes);
}

Status Registry::deleteEntry(const std::string &module, const std::string &table, const json &key_json) {
    std::lock_guard<std::mutex> lock(mu_);
    auto t = openTable(module, table);
    if (!t.ok()) return t.error();
    auto key = encodeKey(*t, key_json);
    if (!key.ok()) return key.error().context("key");
    if (bpf_map_delete_elem(t->fd, key->data()) != 0) {
        const int err = errno;
        if (err == ENOENT) return makeError(Errc::kNotFound, "no entry " + key_json.dump() + " in table " + table);
        if (err == EINVAL) return makeError(Errc::kInvalid, "entries of array table " + table + " cannot be deleted; write zeros");
        return iovisor::errnoError(err, "delete entry in " + table);
    }
    return t->module->configChanged();
}

Result<ModuleStats> Registry::stats(const std::string &module) {
    std::lock_guard<std::mutex> lock(mu_);
    auto rec = find(module);
    if (!rec.ok()) return rec.error();
    ModuleStats out;
    std::set<uint32_t> linked;
    for (const auto &p : infoOf(**rec).ports) linked.insert(p.first);
    for (uint32_t port = 0; port < IOV_MAX_PORTS; ++port) {
        auto s = (*rec)->module->portStats(port);
        if (!s.ok()) return s.error();
        if (linked.count(port) || s->rx_packets || s->tx_packets) out.ports.push_back({port, *s});
    }
    auto drops = (*rec)->module->drops();
    if (!drops.ok()) return drops.error();
    for (uint32_t r = 1; r < IOV_DROP_MAX; ++r)
        if ((*drops)[r]) out.drops.emplace_back(dropReasonName(r), (*drops)[r]);
    return out;
}

Result<std::vector<FlowCacheInfo>> Registry::flows() {
    std::vector<FlowCacheInfo> out;
    for (const ChainMap *chain : lockedChains()) {
        FlowCacheInfo info;
        info.mode = chain->mode();
        auto counters = chain->flowCounters();
        if (!counters.ok()) return counters.error();
        info.counters = *counters;
        auto drops = chain->entryDrops();
        if (!drops.ok()) return drops.error();
        info.entry_drops = *drops;
        auto live = chain->liveFlows();
        if (!live.ok()) return live.error();
        info.flows = std::move(live.value());
        for (const auto &f : info.flows) {
            std::vector<uint32_t> modules;
            for (uint32_t i = 0; i < f.nslots && i < IOV_FLOW_MAX_SLOTS; ++i) {
                const auto owner = chain->counterOwner(IOV_FLOW_SLOT_COUNTER(f.slots[i]));
                if (owner && (modules.empty() || modules.back() != owner->first)) modules.push_back(owner->first);
            }
            info.modules.push_back(std::move(modules));
        }
        out.push_back(std::move(info));
    }
    return out;
}

Result<std::vector<std::pair<AttachMode, ChainMap::ConntrackFill>>> Registry::conntrack() {
    std::vector<std::pair<AttachMode, ChainMap::ConntrackFill>> out;
    for (const ChainMap *chain : lockedChains()) {
        auto fill = chain->conntrackFill();
        if (!fill.ok()) return fill.error();
        out.emplace_back(chain->mode(), std::move(fill.value()));
    }
    return out;
}

Result<std::vector<Registry::Connections>> Registry::connections(size_t limit) {
    std::vector<Connections> out;
    for (const ChainMap *chain : lockedChains()) {
        Connections c{chain->mode(), chain->ctTimeouts(), 0, {}};
        auto entries = chain->connections(limit, &c.total);
        if (!entries.ok()) return entries.error();
        c.entries = std::move(entries.value());
        out.push_back(std::move(c));
    }
    return out;
}

// Chains are never closed once open: their pointers outlive the lock.
std::vector<const ChainMap *> Registry::lockedChains() {
    std::lock_guard<std::mutex> lock(mu_);
    return chains();
}

}  // namespace hover
