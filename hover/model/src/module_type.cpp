#include "hover/model/module_type.h"

#include <algorithm>
#include <cstring>

#include "hover/model/l2switch.h"
#include "hover/model/nat.h"
#include "hover/model/router.h"

namespace hover {

namespace model {

const Entries::Rows &Entries::rows(const TableDesc &t) const {
    static const Rows kNone;
    auto it = tables_.find(t.name);
    return it == tables_.end() ? kNone : it->second;
}

void Entries::putRaw(const TableDesc &t, Bytes key, Bytes value) {
    const bool empty_slot = t.array && std::all_of(value.begin(), value.end(), [](uint8_t b) { return b == 0; });
    if (!empty_slot) {
        tables_[t.name][std::move(key)] = std::move(value);
        return;
    }
    auto it = tables_.find(t.name);
    if (it == tables_.end()) return;
    it->second.erase(key);
    if (it->second.empty()) tables_.erase(it);
}

size_t Entries::size() const {
    size_t n = 0;
    for (const auto &[name, rows] : tables_) n += rows.size();
    return n;
}

namespace {

std::optional<Bytes> slotKey(const TableDesc &t, uint32_t module, const Bytes &key) {
    uint32_t slot;
    if (key.size() != sizeof slot) return std::nullopt;
    std::memcpy(&slot, key.data(), sizeof slot);
    if (slot >= t.slots) return std::nullopt;
    const uint32_t index = module * t.slots + slot;
    return Bytes(reinterpret_cast<const uint8_t *>(&index), reinterpret_cast<const uint8_t *>(&index) + 4);
}

}  // namespace

// A shared key: [module][key], or for an LPM key [prefixlen + 32][module][rest],
// or a shared array's index.
std::optional<Bytes> sharedKey(const TableDesc &t, uint32_t module, const Bytes &key) {
    if (t.slots) return slotKey(t, module, key);
    Bytes out(key.size() + 4);
    uint8_t *at = out.data();
    const uint8_t *from = key.data();
    size_t rest = key.size();
    if (t.lpm && key.size() >= 4) {
        uint32_t prefixlen;
        std::memcpy(&prefixlen, from, 4);
        prefixlen += 32;
        std::memcpy(at, &prefixlen, 4);
        at += 4, from += 4, rest -= 4;
    }
    std::memcpy(at, &module, 4);
    std::memcpy(at + 4, from, rest);
    return out;
}

std::optional<Bytes> instanceKey(const TableDesc &t, uint32_t module, const Bytes &shared_key) {
    if (t.slots) {
        uint32_t index;
        if (shared_key.size() != sizeof index) return std::nullopt;
        std::memcpy(&index, shared_key.data(), sizeof index);
        if (index / t.slots != module) return std::nullopt;
        const uint32_t slot = index % t.slots;
        return Bytes(reinterpret_cast<const uint8_t *>(&slot), reinterpret_cast<const uint8_t *>(&slot) + 4);
    }
    const size_t at = t.lpm ? 4 : 0;
    if (shared_key.size() < at + 4) return std::nullopt;
    uint32_t owner;
    std::memcpy(&owner, shared_key.data() + at, 4);
    if (owner != module) return std::nullopt;
    Bytes key(shared_key.begin(), shared_key.begin() + at);
    key.insert(key.end(), shared_key.begin() + at + 4, shared_key.end());
    if (t.lpm) {
        uint32_t prefixlen;
        std::memcpy(&prefixlen, key.data(), 4);
        prefixlen = prefixlen >= 32 ? prefixlen - 32 : 0;
        std::memcpy(key.data(), &prefixlen, 4);
    }
    return key;
}

const TableDesc *ModuleTypeDesc::findTable(const std::string &table) const {
    for (const auto *list : {&tables, &kept})
        for (const TableDesc *t : *list)
            if (table == t->name) return t;
    return nullptr;
}

const std::vector<const ModuleTypeDesc *> &builtinModuleTypes() {
    static const std::vector<const ModuleTypeDesc *> types = {&l2switch::kType, &router::kType, &nat::kType};
    return types;
}

const ModuleTypeDesc *findModuleType(const std::string &name) {
    for (const ModuleTypeDesc *t : builtinModuleTypes())
        if (name == t->name) return t;
    return nullptr;
}

std::vector<TableBatch> diff(const ModuleTypeDesc &type, const Entries &installed, const Entries &desired) {
    std::vector<TableBatch> out;
    for (const TableDesc *table : type.tables) {
        const auto &have = installed.rows(*table);
        TableBatch puts{TableBatch::Kind::kPut, table, {}};
        for (const auto &[key, value] : desired.rows(*table)) {
            auto it = have.find(key);
            if (it == have.end() || it->second != value) puts.entries.emplace_back(key, value);
        }
        if (!puts.entries.empty()) out.push_back(std::move(puts));
    }
    for (auto t = type.tables.rbegin(); t != type.tables.rend(); ++t) {
        const TableDesc &table = **t;
        const auto &want = desired.rows(table);
        TableBatch removals{table.array ? TableBatch::Kind::kPut : TableBatch::Kind::kDelete, &table, {}};
        for (const auto &[key, value] : installed.rows(table))
            if (!want.count(key)) removals.entries.emplace_back(key, Bytes(table.array ? table.value_size : 0, 0));
        if (!removals.entries.empty()) out.push_back(std::move(removals));
    }
    return out;
}

}  // namespace model
}  // namespace hover
