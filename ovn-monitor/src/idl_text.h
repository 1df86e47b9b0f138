// Reading IDL row fields as the plain strings and maps of ovnmon/state.h.
#pragma once

#include <string>
#include <vector>

#include <config.h>
#include "smap.h"
#include "uuid.h"

#include "ovnmon/state.h"

namespace ovnmon {

inline std::string uuidText(const struct uuid &u) {
    char buf[UUID_LEN + 1];
    std::snprintf(buf, sizeof buf, UUID_FMT, UUID_ARGS(&u));
    return buf;
}

inline std::string str(const char *s) { return s ? s : ""; }

inline std::vector<std::string> strings(char **items, size_t n) { return std::vector<std::string>(items, items + n); }

inline StringMap toMap(const struct smap *m) {
    StringMap out;
    // SMAP_FOR_EACH needs GNU typeof; smap_sort() works in standard C++.
    const struct smap_node **nodes = smap_sort(m);
    for (size_t i = 0; i < smap_count(m); ++i) out[nodes[i]->key] = nodes[i]->value;
    free(nodes);
    return out;
}

inline std::string smapGet(const struct smap *m, const char *key) { return str(smap_get(m, key)); }

inline bool enabledFlag(const bool *enabled, size_t n) { return n == 0 || enabled[0]; }

// The uuids of a reference column's rows.
template <typename Row>
std::vector<std::string> uuids(Row *const *rows, size_t n) {
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) out.push_back(uuidText(rows[i]->header_.uuid));
    return out;
}

}  // namespace ovnmon
