// The hook's shared connection table (bpf/lib/conntrack.h), read by hoverd:
// how full it is, and a zone's connections.
#include <bpf/bpf.h>

#include "hover/module.h"

namespace hover {

using iovisor::Result;

namespace {

// Calls `visit` with every entry of the table.
template <typename Visit>
iovisor::Status forEachConnection(int fd, Visit visit) {
    auto table = TypedMap<iov_ct_key, iov_ct_entry>::open(fd);
    if (!table.ok()) return table.error();
    for (const auto &key : table->keys()) {
        auto entry = table->lookup(key);
        if (entry.ok()) visit(key, *entry);  // else evicted meanwhile
    }
    return {};
}

}  // namespace

Result<ChainMap::ConntrackFill> ChainMap::conntrackFill() const {
    const int fd = fdOf("iov_conntrack");
    auto info = mapInfo(fd);
    if (!info.ok()) return info.error();
    ConntrackFill fill;
    fill.max_entries = info->max_entries;
    auto s = forEachConnection(fd, [&](const iov_ct_key &key, const iov_ct_entry &) {
        ++fill.entries;
        ++fill.zones[key.zone];
    });
    if (!s.ok()) return s.error();
    return fill;
}

Result<std::vector<std::pair<iov_ct_key, iov_ct_entry>>> ChainMap::connections(uint32_t zone) const {
    std::vector<std::pair<iov_ct_key, iov_ct_entry>> out;
    auto s = forEachConnection(fdOf("iov_conntrack"), [&](const iov_ct_key &key, const iov_ct_entry &entry) {
        if (key.zone == zone) out.emplace_back(key, entry);
    });
    if (!s.ok()) return s.error();
    return out;
}

Result<std::vector<std::pair<iov_ct_key, iov_ct_entry>>> ChainMap::connections(size_t limit, uint64_t *total) const {
    std::vector<std::pair<iov_ct_key, iov_ct_entry>> out;
    *total = 0;
    auto s = forEachConnection(fdOf("iov_conntrack"), [&](const iov_ct_key &key, const iov_ct_entry &entry) {
        if (++*total <= limit) out.emplace_back(key, entry);
    });
    if (!s.ok()) return s.error();
    return out;
}

}  // namespace hover
