// One IDL table as a map of ovnmon/state.h: filled whole, or from the rows
// the IDL tracked as changed since the last clearTracked().
#pragma once

#include <map>
#include <string>

#include "idl_text.h"
#include "openvswitch/hmap.h"
#include "ovsdb-idl-provider.h"
#include "ovsdb-idl.h"

namespace ovnmon {

template <typename Row>
bool deleted(const Row *row) {
    return ovsdb_idl_row_get_seqno(&row->header_, OVSDB_IDL_CHANGE_DELETE) > 0;
}

// Whether the table of `row` (its first) has `n` rows. Its hash holds the
// rows plus those only referenced so far (orphans, rare): equal to `n`, no
// walk needed.
template <typename Row>
bool rowCountIs(const Row *row, const Row *(*next)(const Row *), size_t n) {
    if (!row) return n == 0;
    if (hmap_count(&row->header_.table->rows) == n) return true;
    size_t rows = 0;
    for (; row; row = next(row)) ++rows;
    return rows == n;
}

// A table's rows and tracked rows, and how they fill a map of the state: by
// uuid, or by a name (then `names` remembers each row's, for renames and
// deletes).
template <typename Row, typename T>
struct TableSync {
    const Row *(*first)(const ovsdb_idl *);
    const Row *(*next)(const Row *);
    const Row *(*track_first)(const ovsdb_idl *);
    const Row *(*track_next)(const Row *);
    T (*convert)(const Row *);
    std::string (*name)(const Row *) = nullptr;

    std::string keyOf(const Row *row) const { return name ? name(row) : uuidText(row->header_.uuid); }

    void all(const ovsdb_idl *idl, std::map<std::string, T> *out, std::map<std::string, std::string> *names) const {
        out->clear();
        if (names) names->clear();
        for (const Row *row = first(idl); row; row = next(row)) put(row, out, names);
    }
    void tracked(const ovsdb_idl *idl, std::map<std::string, T> *out, std::map<std::string, std::string> *names) const {
        for (const Row *row = track_first(idl); row; row = track_next(row)) {
            if (names) {
                auto old = names->find(uuidText(row->header_.uuid));
                if (old != names->end()) out->erase(old->second), names->erase(old);
            }
            if (deleted(row)) out->erase(keyOf(row));
            else put(row, out, names);
        }
    }
    // Every row (`whole`) or the tracked ones.
    void fill(const ovsdb_idl *idl, bool whole, std::map<std::string, T> *out,
              std::map<std::string, std::string> *names) const {
        if (whole) all(idl, out, names);
        else tracked(idl, out, names);
    }
    // Whether the table has `n` rows.
    bool countIs(const ovsdb_idl *idl, size_t n) const { return rowCountIs(first(idl), next, n); }

private:
    void put(const Row *row, std::map<std::string, T> *out, std::map<std::string, std::string> *names) const {
        const std::string key = keyOf(row);
        (*out)[key] = convert(row);
        if (names) (*names)[uuidText(row->header_.uuid)] = key;
    }
};

#define IOV_TABLE(prefix, T, convert) \
    TableSync<prefix, T> { prefix##_first, prefix##_next, prefix##_track_get_first, prefix##_track_get_next, convert }


}  // namespace ovnmon
