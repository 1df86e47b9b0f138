#include "hover/typed_map.h"

#include <bpf/libbpf.h>

#include <algorithm>

namespace hover {

iovisor::Result<MapInfo> mapInfo(int fd) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return iovisor::errnoError(errno, "bpf_map_info");
    MapInfo out;
    out.id = info.id;
    out.name = info.name;
    out.type = info.type;
    out.key_size = info.key_size;
    out.value_size = info.value_size;
    out.max_entries = info.max_entries;
    out.btf_key_type_id = info.btf_key_type_id;
    out.btf_value_type_id = info.btf_value_type_id;
    return out;
}

bool isPerCpu(uint32_t map_type) {
    return map_type == BPF_MAP_TYPE_PERCPU_ARRAY || map_type == BPF_MAP_TYPE_PERCPU_HASH ||
           map_type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

int possibleCpus() {
    static const int n = libbpf_num_possible_cpus();
    return n > 0 ? n : 1;
}

size_t valueBytes(const MapInfo &info) {
    if (!isPerCpu(info.type)) return info.value_size;
    return ((info.value_size + 7) / 8 * 8) * possibleCpus();
}

std::optional<std::vector<std::pair<Bytes, Bytes>>> readInBatches(int fd, const MapInfo &info) {
    const bool hash = info.type == BPF_MAP_TYPE_HASH || info.type == BPF_MAP_TYPE_LRU_HASH ||
                      info.type == BPF_MAP_TYPE_PERCPU_HASH || info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
    if (!hash) return std::nullopt;
    constexpr uint32_t kBatch = 4096;
    const size_t key_size = info.key_size, value_size = valueBytes(info);
    Bytes keys(key_size * kBatch), values(value_size * kBatch), token(std::max<size_t>(key_size, 8));
    std::vector<std::pair<Bytes, Bytes>> out;
    for (bool first = true, more = true; more; first = false) {
        uint32_t count = kBatch;
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        const int rc = bpf_map_lookup_batch(fd, first ? nullptr : token.data(), token.data(), keys.data(),
                                            values.data(), &count, &opts);
        if (rc != 0 && errno != ENOENT) {
            if (first) return std::nullopt;  // no batch support here
            break;
        }
        more = rc == 0;
        for (uint32_t i = 0; i < count; ++i)
            out.emplace_back(Bytes(keys.begin() + i * key_size, keys.begin() + (i + 1) * key_size),
                             Bytes(values.begin() + i * value_size, values.begin() + (i + 1) * value_size));
    }
    return out;
}

std::vector<Bytes> mapKeys(int fd, const MapInfo &info) {
    std::vector<Bytes> keys;
    if (auto entries = readInBatches(fd, info)) {
        for (auto &entry : *entries) keys.push_back(std::move(entry.first));
        return keys;
    }
    Bytes key(info.key_size), next(info.key_size);
    for (const void *prev = nullptr; bpf_map_get_next_key(fd, prev, next.data()) == 0; prev = key.data()) {
        key = next;
        keys.push_back(key);
    }
    return keys;
}

iovisor::Result<std::vector<Bytes>> readSlots(int fd, const MapInfo &info, uint32_t first, uint32_t count) {
    const size_t value_size = valueBytes(info);
    std::vector<uint32_t> keys(count);
    Bytes values(value_size * count);
    uint32_t prev = first - 1, out_token = 0, read = count;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    // The batch starts after its token: the slot before `first`.
    const int rc = bpf_map_lookup_batch(fd, first ? &prev : nullptr, &out_token, keys.data(), values.data(), &read, &opts);
    if (rc != 0 && errno != ENOENT) return iovisor::errnoError(errno, "read slots of " + info.name);
    if (read != count) return iovisor::makeError(iovisor::Errc::kInternal, "short read of the slots of " + info.name);
    std::vector<Bytes> out;
    for (uint32_t i = 0; i < count; ++i)
        out.emplace_back(values.begin() + i * value_size, values.begin() + (i + 1) * value_size);
    return out;
}

iovisor::Status clearSlots(int fd, const MapInfo &info, uint32_t first, uint32_t count) {
    std::vector<uint32_t> keys(count);
    for (uint32_t i = 0; i < count; ++i) keys[i] = first + i;
    const Bytes zeros(valueBytes(info) * count, 0);
    uint32_t written = count;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    if (bpf_map_update_batch(fd, keys.data(), zeros.data(), &written, &opts) != 0)
        return iovisor::errnoError(errno, "clear slots of " + info.name);
    return {};
}

void UndoLog::remember(int fd, const MapInfo &info, const Bytes &key) {
    Bytes value(valueBytes(info));
    const bool present = bpf_map_lookup_elem(fd, key.data(), value.data()) == 0;
    entries_.push_back({fd, info.id, key, present ? std::optional<Bytes>(std::move(value)) : std::nullopt});
}

void UndoLog::rollBack() const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
        if (it->old_value) (void)bpf_map_update_elem(it->fd, it->key.data(), it->old_value->data(), BPF_ANY);
        else (void)bpf_map_delete_elem(it->fd, it->key.data());
    }
}

iovisor::Error writeError(int err, const MapInfo &info, const std::string &table, const std::string &what) {
    const bool array = info.type == BPF_MAP_TYPE_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
    if ((err == E2BIG || err == ENOSPC) && !array)
        return iovisor::makeError(iovisor::Errc::kFull, "table " + table + " is full (" + std::to_string(info.max_entries) +
                                                            " entries, shared by every module of its type and hook) at " + what);
    return iovisor::errnoError(err, "write " + what + " in " + table);
}

}  // namespace hover
