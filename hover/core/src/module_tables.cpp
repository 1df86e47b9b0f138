// Table writes through the typed model (hover/model): the one write path of
// the fixtures, the benchmarks and hoverd's own helpers.
#include <bpf/bpf.h>

#include <cerrno>

#include "hover/module.h"

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Status;

namespace {

// The map must have the sizes the model's types have: a struct changed in
// bpf/lib/tables.h but not rebuilt into the object is caught here.
Status checkSizes(int fd, const model::TableDesc &t) {
    auto info = mapInfo(fd);
    if (!info.ok()) return info.error();
    if (info->key_size == t.key_size && info->value_size == t.value_size) return {};
    return makeError(Errc::kInternal, std::string("table ") + t.name + " has key/value sizes " +
                                          std::to_string(info->key_size) + "/" + std::to_string(info->value_size) +
                                          ", the model " + std::to_string(t.key_size) + "/" +
                                          std::to_string(t.value_size));
}

Status write(int fd, const model::TableBatch &batch) {
    for (const auto &[key, value] : batch.entries) {
        if (batch.kind == model::TableBatch::Kind::kPut) {
            if (bpf_map_update_elem(fd, key.data(), value.data(), BPF_ANY) != 0)
                return iovisor::errnoError(errno, std::string("write in ") + batch.table->name);
        } else if (bpf_map_delete_elem(fd, key.data()) != 0 && errno != ENOENT) {
            return iovisor::errnoError(errno, std::string("delete in ") + batch.table->name);
        }
    }
    return {};
}

}  // namespace

Status Module::apply(const std::vector<model::TableBatch> &batches) const {
    if (batches.empty()) return {};
    for (const auto &batch : batches) {
        auto fd = mapFd(batch.table->name);
        if (!fd.ok()) return fd.error();
        if (auto s = checkSizes(*fd, *batch.table); !s.ok()) return s;
    }
    for (const auto &batch : batches)
        if (auto s = write(*mapFd(batch.table->name), batch); !s.ok()) return changed(s);
    return configChanged();
}

Status Module::sync(const model::ModuleTypeDesc &type, model::Entries *installed, model::Entries desired) const {
    if (auto s = apply(model::diff(type, *installed, desired)); !s.ok()) return s;
    *installed = std::move(desired);
    return {};
}

}  // namespace hover
