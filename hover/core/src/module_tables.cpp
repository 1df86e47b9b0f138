// Table writes through the typed model (hover/model): the one write path of
// the fixtures, the benchmarks and hoverd's own helpers.
#include <bpf/bpf.h>

#include <cerrno>

#include "hover/module.h"

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Result;
using iovisor::Status;

namespace {

// The map must have the sizes the model's types have: a struct changed in
// bpf/lib/tables.h but not rebuilt into the object is caught here.
Status checkSizes(const TableMap &map, const model::TableDesc &t) {
    auto info = mapInfo(map.fd);
    if (!info.ok()) return info.error();
    const size_t key_size = model::mapKeySize(t);
    if (info->key_size == key_size && info->value_size == t.value_size) return {};
    return makeError(Errc::kInternal, std::string("table ") + t.name + " has key/value sizes " +
                                          std::to_string(info->key_size) + "/" + std::to_string(info->value_size) +
                                          ", the model " + std::to_string(key_size) + "/" +
                                          std::to_string(t.value_size));
}

Status write(const TableMap &map, const MapInfo &info, const model::TableBatch &batch, UndoLog *undo) {
    for (const auto &[key, value] : batch.entries) {
        const auto map_key = map.mapKey(key);
        if (!map_key) return makeError(Errc::kInvalid, "key " + toHex(key) + " outside table " + batch.table->name);
        undo->remember(map.fd, info, *map_key);
        if (batch.kind == model::TableBatch::Kind::kPut) {
            if (bpf_map_update_elem(map.fd, map_key->data(), value.data(), BPF_ANY) != 0)
                return writeError(errno, info, batch.table->name, "entry " + toHex(key));
        } else if (bpf_map_delete_elem(map.fd, map_key->data()) != 0 && errno != ENOENT) {
            return iovisor::errnoError(errno, std::string("delete in ") + batch.table->name);
        }
    }
    return {};
}

}  // namespace

std::vector<const model::TableDesc *> Module::sharedTables() const {
    std::vector<const model::TableDesc *> out;
    if (model_)
        for (const auto *list : {&model_->tables, &model_->kept})
            for (const model::TableDesc *t : *list)
                if (t->shared_map) out.push_back(t);
    out.push_back(&model::kPeers.desc);  // every module's, custom ones too
    return out;
}

Result<TableMap> Module::tableMap(const std::string &name) const {
    const model::TableDesc *t = name == model::kPeers.desc.name ? &model::kPeers.desc
                                : model_                          ? model_->findTable(name)
                                                                  : nullptr;
    if (!t || !t->shared_map) {
        auto fd = mapFd(name);
        if (!fd.ok()) return fd.error();
        return TableMap{*fd, nullptr, id_};
    }
    const int fd = chain_ ? chain_->fdOf(t->shared_map) : -1;
    if (fd < 0) return makeError(Errc::kNotFound, "module " + std::to_string(id_) + ": no shared map " + t->shared_map);
    return TableMap{fd, t, id_};
}

void Module::purgeSharedTables() const {
    for (const model::TableDesc *t : sharedTables()) {
        auto map = tableMap(t->name);
        auto info = map.ok() ? mapInfo(map->fd) : iovisor::Result<MapInfo>(map.error());
        if (!info.ok()) continue;
        if (t->slots) {
            (void)clearSlots(map->fd, *info, id_ * t->slots, t->slots);
            continue;
        }
        for (const Bytes &key : mapKeys(map->fd, *info))
            if (map->tableKey(key)) bpf_map_delete_elem(map->fd, key.data());
    }
}

Status Module::apply(const std::vector<model::TableBatch> &batches) const {
    if (batches.empty()) return {};
    std::vector<TableMap> maps;
    std::vector<MapInfo> infos;
    for (const auto &batch : batches) {
        auto map = tableMap(batch.table->name);
        if (!map.ok()) return map.error();
        if (auto s = checkSizes(*map, *batch.table); !s.ok()) return s;
        auto info = mapInfo(map->fd);
        if (!info.ok()) return info.error();
        maps.push_back(*map);
        infos.push_back(*info);
    }
    UndoLog undo;
    for (size_t i = 0; i < batches.size(); ++i)
        if (auto s = write(maps[i], infos[i], batches[i], &undo); !s.ok()) {
            undo.rollBack();  // nothing of the request stays half applied
            return changed(s);
        }
    return configChanged();
}

Status Module::sync(const model::ModuleTypeDesc &type, model::Entries *installed, model::Entries desired) const {
    if (auto s = apply(model::diff(type, *installed, desired)); !s.ok()) return s;
    *installed = std::move(desired);
    return {};
}

}  // namespace hover
