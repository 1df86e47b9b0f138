// A table request's undo log, kept in a file while the request is written
// to the maps (issue 18, crash consistency). The maps outlive hoverd, its
// memory does not: if hoverd dies in the middle of a request, the next start
// puts back what the request had replaced, so after a crash a request is
// there whole or not at all.
//
// One file, overwritten in place: the log, then its header (magic, length,
// checksum), written before the first map write; a zero header after the
// last. No rename, unlink or fsync on the request's
// path (directory updates cost milliseconds on a busy ext4): pinned maps do
// not survive a reboot either, and what write(2) accepted survives the
// process. A log without its header was cut short before any map write:
// nothing to put back.
#pragma once

#include <set>
#include <string>

#include "hover/typed_map.h"
#include "iovisor/result.h"

namespace hover {

class UndoJournal {
public:
    explicit UndoJournal(std::string path) : path_(std::move(path)) {}
    ~UndoJournal();
    UndoJournal(const UndoJournal &) = delete;
    UndoJournal &operator=(const UndoJournal &) = delete;

    // Before a request's writes: what they replace, and the modules they touch.
    iovisor::Status save(const UndoLog &undo, const std::set<uint32_t> &modules);
    // After them: the request is whole (applied, or rolled back in memory).
    void clear();
    // At start: rolls back a request that a crash cut short and returns the
    // modules it touched (none if there was none). Entries whose map is gone
    // or changed shape are skipped: they belong to maps that no longer exist.
    std::set<uint32_t> recover();

private:
    iovisor::Status open();
    std::set<uint32_t> rollBackCutShort() const;
    std::string path_;
    int fd_ = -1;
};

}  // namespace hover
