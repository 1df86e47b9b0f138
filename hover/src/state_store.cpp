#include "state_store.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <utility>

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Result;
using iovisor::Status;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Folded into the snapshot when longer than this and than twice the records.
constexpr size_t kMinJournalLines = 1024;

}  // namespace

Result<json> StateStore::load() {
    const std::string snapshot_path = dir_ + "/state.json", legacy = dir_ + "/registry.json";
    const std::string path = fs::exists(snapshot_path) ? snapshot_path : legacy;
    if (std::ifstream in(path); in) {
        json saved = json::parse(in, nullptr, false);
        if (saved.is_discarded()) return makeError(Errc::kInternal, path + " is not JSON");
        for (const auto &m : saved.value("modules", json::array())) modules_[m.at("id").get<uint32_t>()] = m;
        for (const auto &l : saved.value("links", json::array())) links_[l.at("id").get<uint32_t>()] = l;
        next_ids_ = {{"next_module_id", saved.value("next_module_id", 1u)},
                     {"next_link_id", saved.value("next_link_id", 1u)}};
    }
    if (std::ifstream in(dir_ + "/journal.jsonl"); in) {
        for (std::string line; std::getline(in, line);) {
            json change = json::parse(line, nullptr, false);
            if (!change.is_discarded() && change.is_object()) apply(change);  // else cut short by a crash
        }
    }
    if (next_ids_.empty()) next_ids_ = {{"next_module_id", 1u}, {"next_link_id", 1u}};
    if (auto s = compact(); !s.ok()) return s.error();  // also opens the journal
    if (path == legacy) fs::remove(legacy);
    return snapshot();
}

Status StateStore::putModule(uint32_t id, const json &record) {
    return append({{"op", "module"}, {"id", id}, {"record", record}});
}
Status StateStore::dropModule(uint32_t id) { return append({{"op", "drop_module"}, {"id", id}}); }
Status StateStore::putLink(uint32_t id, const json &record) {
    return append({{"op", "link"}, {"id", id}, {"record", record}});
}
Status StateStore::dropLink(uint32_t id) { return append({{"op", "drop_link"}, {"id", id}}); }
Status StateStore::putNextIds(uint32_t next_module_id, uint32_t next_link_id) {
    return append({{"op", "next"}, {"next_module_id", next_module_id}, {"next_link_id", next_link_id}});
}

void StateStore::apply(const json &change) {
    const std::string op = change.value("op", "");
    const uint32_t id = change.value("id", 0u);
    if (op == "module") modules_[id] = change.at("record");
    else if (op == "drop_module") modules_.erase(id);
    else if (op == "link") links_[id] = change.at("record");
    else if (op == "drop_link") links_.erase(id);
    else if (op == "next") next_ids_ = {{"next_module_id", change.value("next_module_id", 1u)},
                                        {"next_link_id", change.value("next_link_id", 1u)}};
    else if (op == "batch")
        for (const auto &c : change.value("changes", json::array())) apply(c);
}

Status StateStore::append(const json &change) {
    apply(change);
    if (!batching_) return write(change);
    batch_.push_back(change);
    return {};
}

Status StateStore::Batch::commit() {
    store_.batching_ = false;
    if (store_.batch_.empty()) return {};
    const json line = {{"op", "batch"}, {"changes", std::exchange(store_.batch_, json::array())}};
    return store_.write(line);
}

// One line, flushed: a crash may cut it short, and load() skips a line that
// is not whole JSON.
Status StateStore::write(const json &change) {
    if (!journal_) return makeError(Errc::kInternal, "the state store is not loaded");
    const std::string line = change.dump() + "\n";
    if (fwrite(line.data(), 1, line.size(), journal_.get()) != line.size() || fflush(journal_.get()) != 0)
        return iovisor::errnoError(errno, "append to " + dir_ + "/journal.jsonl");
    if (++journal_lines_ > std::max(kMinJournalLines, 2 * (modules_.size() + links_.size()))) return compact();
    return {};
}

json StateStore::snapshot() const {
    json state = next_ids_;
    state["modules"] = json::array();
    state["links"] = json::array();
    for (const auto &[id, m] : modules_) state["modules"].push_back(m);
    for (const auto &[id, l] : links_) state["links"].push_back(l);
    return state;
}

Status StateStore::compact() {
    const std::string path = dir_ + "/state.json";
    {
        std::ofstream out(path + ".tmp");
        out << snapshot().dump() << "\n";
        if (!out) return makeError(Errc::kInternal, "cannot write " + path + ".tmp");
    }
    if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0) return iovisor::errnoError(errno, "rename to " + path);
    journal_.reset(fopen((dir_ + "/journal.jsonl").c_str(), "w"));
    if (!journal_) return iovisor::errnoError(errno, "open " + dir_ + "/journal.jsonl");
    journal_lines_ = 0;
    return {};
}

}  // namespace hover
