#include "hover/model/module_type.h"

#include <algorithm>

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

const TableDesc *ModuleTypeDesc::findTable(const std::string &table) const {
    for (const TableDesc *t : tables)
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
    for (auto t = type.tables.rbegin(); t != type.tables.rend(); ++t) {
        const TableDesc &table = **t;
        const auto &want = desired.rows(table);
        TableBatch removals{table.array ? TableBatch::Kind::kPut : TableBatch::Kind::kDelete, &table, {}};
        for (const auto &[key, value] : installed.rows(table))
            if (!want.count(key)) removals.entries.emplace_back(key, Bytes(table.array ? table.value_size : 0, 0));
        if (!removals.entries.empty()) out.push_back(std::move(removals));
    }
    for (const TableDesc *table : type.tables) {
        const auto &have = installed.rows(*table);
        TableBatch puts{TableBatch::Kind::kPut, table, {}};
        for (const auto &[key, value] : desired.rows(*table)) {
            auto it = have.find(key);
            if (it == have.end() || it->second != value) puts.entries.emplace_back(key, value);
        }
        if (!puts.entries.empty()) out.push_back(std::move(puts));
    }
    return out;
}

}  // namespace model
}  // namespace hover
