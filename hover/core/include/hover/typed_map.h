// Typed access to one eBPF map: the key and value types are checked against
// the kernel's bpf_map_info once, at open, so later calls cannot silently
// read or write the wrong layout.
#pragma once

#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "hover/bytes.h"
#include "iovisor/result.h"

namespace hover {

struct MapInfo {
    uint32_t id = 0;  // the kernel's, unique while the map lives
    std::string name;
    uint32_t type = 0;
    uint32_t key_size = 0;
    uint32_t value_size = 0;
    uint32_t max_entries = 0;
    uint32_t btf_key_type_id = 0;
    uint32_t btf_value_type_id = 0;
};

iovisor::Result<MapInfo> mapInfo(int fd);
bool isPerCpu(uint32_t map_type);
int possibleCpus();
// Bytes of one value as the syscalls read and write it (a per-CPU map's: one
// 8-byte aligned copy per possible CPU).
size_t valueBytes(const MapInfo &info);

// What the writes of one request replaced, to put back if a later write of
// it fails: a request applies whole or not at all.
class UndoLog {
public:
    struct Entry {
        int fd;
        uint32_t map_id;  // the kernel's (hoverd keeps the log on disk by it)
        Bytes key;
        std::optional<Bytes> old_value;  // none: the key was absent
    };
    // Remembers what `key` of the map holds now, before it is written or deleted.
    void remember(int fd, const MapInfo &info, const Bytes &key);
    void add(Entry entry) { entries_.push_back(std::move(entry)); }
    void rollBack() const;  // newest first
    const std::vector<Entry> &entries() const { return entries_; }

private:
    std::vector<Entry> entries_;
};

// A write that failed, named: a full hash (E2BIG) is a limit (507), not a fault.
iovisor::Error writeError(int err, const MapInfo &info, const std::string &table, const std::string &what);

// Every (key, value) of a map, a few thousand a syscall (a map shared by
// many instances is read whole to find one's entries); none if the kernel
// cannot batch this map type (LPM tries: walk with get_next_key).
std::optional<std::vector<std::pair<Bytes, Bytes>>> readInBatches(int fd, const MapInfo &info);
// Every key of a map, read before the caller deletes any.
std::vector<Bytes> mapKeys(int fd, const MapInfo &info);
// The values of `count` consecutive slots of an array map from `first`, and
// zeroing them: one syscall each.
iovisor::Result<std::vector<Bytes>> readSlots(int fd, const MapInfo &info, uint32_t first, uint32_t count);
iovisor::Status clearSlots(int fd, const MapInfo &info, uint32_t first, uint32_t count);

template <typename K, typename V>
class TypedMap {
public:
    static iovisor::Result<TypedMap> open(int fd) {
        auto info = mapInfo(fd);
        if (!info.ok()) return info.error();
        if (info->key_size != sizeof(K) || info->value_size != sizeof(V))
            return iovisor::makeError(iovisor::Errc::kInternal,
                                      "map " + info->name + " has key/value sizes " + std::to_string(info->key_size) +
                                          "/" + std::to_string(info->value_size) + ", expected " +
                                          std::to_string(sizeof(K)) + "/" + std::to_string(sizeof(V)));
        return TypedMap(fd, info->name, isPerCpu(info->type));
    }

    iovisor::Status update(const K &key, const V &value, uint64_t flags = BPF_ANY) const {
        if (per_cpu_) {
            std::vector<V> values(possibleCpus(), value);
            return check(bpf_map_update_elem(fd_, &key, values.data(), flags), "update");
        }
        return check(bpf_map_update_elem(fd_, &key, &value, flags), "update");
    }

    iovisor::Result<V> lookup(const K &key) const {
        V value{};
        if (bpf_map_lookup_elem(fd_, &key, &value) != 0) return iovisor::errnoError(errno, "lookup in " + name_);
        return value;
    }

    // One value per possible CPU (per-CPU maps only).
    iovisor::Result<std::vector<V>> lookupPerCpu(const K &key) const {
        std::vector<V> values(possibleCpus());
        if (bpf_map_lookup_elem(fd_, &key, values.data()) != 0)
            return iovisor::errnoError(errno, "lookup in " + name_);
        return values;
    }

    iovisor::Status remove(const K &key) const { return check(bpf_map_delete_elem(fd_, &key), "delete"); }

    // Every key, collected before the caller changes anything (deleting
    // while walking with get_next_key restarts the walk).
    std::vector<K> keys() const {
        std::vector<K> out;
        K key{}, next{};
        for (const K *prev = nullptr; bpf_map_get_next_key(fd_, prev, &next) == 0; prev = &key) {
            key = next;
            out.push_back(key);
        }
        return out;
    }

    int fd() const { return fd_; }
    const std::string &name() const { return name_; }

private:
    TypedMap(int fd, std::string name, bool per_cpu) : fd_(fd), name_(std::move(name)), per_cpu_(per_cpu) {}
    iovisor::Status check(int rc, const char *what) const {
        if (rc == 0) return {};
        return iovisor::errnoError(errno, std::string(what) + " in " + name_);
    }
    int fd_;
    std::string name_;
    bool per_cpu_;
};

}  // namespace hover
