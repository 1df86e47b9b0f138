// The typed model of a module's tables: each table is a constant with its
// key and value types from bpf/lib/tables.h, and an instance's entries are
// kept as the exact bytes the maps hold, so "equal" means "equal in the
// kernel" and a diff needs no knowledge of field names. Production (the
// controller), hoverd and the bpf fixtures all build entries through it.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hover/bytes.h"

namespace hover {

namespace model {

// What the control plane must know of a table beyond its types.
struct TableDesc {
    const char *name;   // the table's name (and its map's, unless shared)
    size_t key_size = 0, value_size = 0;
    bool array = false;  // slots always exist: a removal writes zeros
    // Entries the datapath writes itself (learned): never the control plane's.
    bool (*learned)(const uint8_t *value) = nullptr;
    // Non-null: every instance's entries live in this one map of the hook,
    // shared by the instances of the type, under keys that carry the
    // instance's module id in front of the table's key (an LPM key: after
    // its prefixlen, which then counts 32 more bits; `lpm`). Each instance
    // still sees only its own entries, as if the map were its own.
    const char *shared_map = nullptr;
    bool lpm = false;
    // A shared array (`array` and `shared_map`): each instance owns `slots`
    // consecutive slots of the map, from module id * slots (IOV_PORT_SLOT
    // for port-indexed tables); its keys are 0..slots-1.
    uint32_t slots = 0;
    // Non-null: each instance has a map of its own, made by hoverd from the
    // inner map template of this map-in-map of the hook and kept in it at the
    // instance's module id (the XDP switches' flood devmaps).
    const char *inner_of = nullptr;
};

template <typename K, typename V>
struct Table {
    using Key = K;
    using Value = V;
    TableDesc desc;
};

// A `learned` predicate: the value's `flags` field says the datapath wrote it.
template <typename V, uint32_t kLearned>
bool learnedBy(const uint8_t *value) {
    V v;
    std::memcpy(&v, value, sizeof v);
    return v.flags == kLearned;
}

// A table whose key and value are K and V (sizes taken from them).
template <typename K, typename V>
constexpr Table<K, V> table(const char *name, bool array = false, bool (*learned)(const uint8_t *) = nullptr) {
    return {{name, sizeof(K), sizeof(V), array, learned}};
}

// A table kept in the hook's map `shared_map`, keyed by instance (see TableDesc).
template <typename K, typename V>
constexpr Table<K, V> sharedTable(const char *name, const char *shared_map, bool lpm = false,
                                  bool (*learned)(const uint8_t *) = nullptr) {
    static_assert(alignof(K) <= 4, "the module id in front of the key must not add padding");
    return {{name, sizeof(K), sizeof(V), false, learned, shared_map, lpm}};
}

// A shared array (see TableDesc::slots) of `V` indexed by u32.
template <typename V>
constexpr Table<uint32_t, V> sharedArray(const char *name, const char *shared_map, uint32_t slots) {
    return {{name, sizeof(uint32_t), sizeof(V), true, nullptr, shared_map, false, slots}};
}

// A table each instance keeps in a map of its own, held by the hook's
// map-in-map `outer` (see TableDesc::inner_of).
template <typename K, typename V>
constexpr Table<K, V> innerTable(const char *name, const char *outer) {
    return {{name, sizeof(K), sizeof(V), false, nullptr, nullptr, false, 0, outer}};
}

// The size of the keys of the map holding `t`: its own, or the shared map's
// (the module id in front; a shared array's index is a u32 like its keys).
constexpr size_t mapKeySize(const TableDesc &t) {
    return t.key_size + (t.shared_map && !t.slots ? sizeof(uint32_t) : 0);
}
// The shared map's key for `key` of the instance `module`
// (TableDesc::shared_map); none if `key` is outside the instance's slots.
std::optional<Bytes> sharedKey(const TableDesc &t, uint32_t module, const Bytes &key);
// The table key inside a shared map's key, if the entry is the instance `module`'s.
std::optional<Bytes> instanceKey(const TableDesc &t, uint32_t module, const Bytes &shared_key);

// Bytes of a struct: no padding may hide between fields, or two equal
// entries could differ in the kernel.
template <typename T>
Bytes bytesOf(const T &v) {
    static_assert(std::is_trivially_copyable_v<T> && std::has_unique_object_representations_v<T>,
                  "table structs must have explicit padding");
    Bytes b(sizeof(T));
    std::memcpy(b.data(), &v, sizeof(T));
    return b;
}

template <typename T>
T fromBytes(const Bytes &b) {
    T v{};
    std::memcpy(&v, b.data(), std::min(b.size(), sizeof(T)));
    return v;
}

// The entries of one module instance: table name -> key -> value.
class Entries {
public:
    using Rows = std::map<Bytes, Bytes>;

    // In an array table an all-zero value is an empty slot, so it is no entry.
    template <typename K, typename V>
    void put(const Table<K, V> &t, const K &key, const V &value) {
        putRaw(t.desc, bytesOf(key), bytesOf(value));
    }
    template <typename K, typename V>
    std::optional<V> find(const Table<K, V> &t, const K &key) const {
        const Rows &r = rows(t.desc);
        auto it = r.find(bytesOf(key));
        if (it == r.end()) return std::nullopt;
        return fromBytes<V>(it->second);
    }
    template <typename K, typename V>
    std::vector<std::pair<K, V>> list(const Table<K, V> &t) const {
        std::vector<std::pair<K, V>> out;
        for (const auto &[k, v] : rows(t.desc)) out.emplace_back(fromBytes<K>(k), fromBytes<V>(v));
        return out;
    }

    void putRaw(const TableDesc &t, Bytes key, Bytes value);
    const Rows &rows(const TableDesc &t) const;
    size_t size() const;
    bool operator==(const Entries &o) const { return tables_ == o.tables_; }
    bool operator!=(const Entries &o) const { return !(*this == o); }

private:
    std::map<std::string, Rows> tables_;  // tables without entries are absent
};

}  // namespace model
}  // namespace hover
