// hoverd's saved state: a snapshot (<state_dir>/state.json, replaced
// atomically) and a journal of the changes since (<state_dir>/journal.jsonl,
// one JSON line appended per change). A change costs one append, so creating
// the thousandth module costs what the first did; the journal is folded into
// the snapshot when it outgrows it. A line cut short by a crash is ignored.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "iovisor/result.h"

namespace hover {

class StateStore {
public:
    explicit StateStore(std::string state_dir) : dir_(std::move(state_dir)) {}

    // {"next_module_id", "next_link_id", "modules": [...], "links": [...]}
    // (records by id; none and ids from 1 if nothing was saved). Takes over
    // the registry.json of an earlier hoverd. Call once, before any change.
    iovisor::Result<nlohmann::json> load();

    iovisor::Status putModule(uint32_t id, const nlohmann::json &record);
    iovisor::Status dropModule(uint32_t id);
    iovisor::Status putLink(uint32_t id, const nlohmann::json &record);
    iovisor::Status dropLink(uint32_t id);
    iovisor::Status putNextIds(uint32_t next_module_id, uint32_t next_link_id);

    // The changes made while it lives are saved as one journal line (on
    // commit(), or when it goes): after a crash, all of them or none.
    class Batch {
    public:
        explicit Batch(StateStore &store) : store_(store) { store_.batching_ = true; }
        ~Batch() { (void)commit(); }
        iovisor::Status commit();

    private:
        StateStore &store_;
    };

private:
    // Applies one journal line to the state held here.
    void apply(const nlohmann::json &change);
    iovisor::Status append(const nlohmann::json &change);
    iovisor::Status write(const nlohmann::json &line);
    // Writes the snapshot and empties the journal.
    iovisor::Status compact();
    nlohmann::json snapshot() const;

    std::string dir_;
    std::map<uint32_t, nlohmann::json> modules_, links_;
    nlohmann::json next_ids_ = nlohmann::json::object();
    std::unique_ptr<FILE, int (*)(FILE *)> journal_{nullptr, fclose};
    size_t journal_lines_ = 0;
    bool batching_ = false;
    nlohmann::json batch_ = nlohmann::json::array();  // changes of the open Batch
};

}  // namespace hover
