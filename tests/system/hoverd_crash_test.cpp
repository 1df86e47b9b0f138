// hoverd killed with SIGKILL in the middle of its work (issue 18, crash
// consistency): after a restart, what it answers, what it pinned and what
// it saved agree, and a batch is there whole or not at all.
#include <bpf/bpf.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/abi.h"
#include "hover/client.h"
#include "hoverd_process.h"
#include "test_support.h"

namespace {

using nlohmann::json;
using testsupport::HoverdProcess;

// The module ids with pins under the pin root (m<ID> directories).
std::set<int> pinnedIds(const std::string &pin_root) {
    std::set<int> ids;
    for (const auto &entry : std::filesystem::directory_iterator(pin_root)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > 1 && name[0] == 'm' && name.find_first_not_of("0123456789", 1) == std::string::npos)
            ids.insert(std::stoi(name.substr(1)));
    }
    return ids;
}

// The module ids whose slot of the TC chain holds a program.
std::set<int> chainSlots(const std::string &pin_root) {
    std::set<int> ids;
    const int chain = bpf_obj_get((pin_root + "/tc/iov_chain").c_str());
    for (uint32_t id = 1; chain >= 0 && id < IOV_MAX_MODULES; ++id) {
        uint32_t prog_id;
        if (bpf_map_lookup_elem(chain, &id, &prog_id) == 0) ids.insert(int(id));
    }
    if (chain >= 0) close(chain);
    return ids;
}

TEST(HoverdCrash, KilledMidBatchRestartsWithRegistryPinsAndStateAgreeing) {
    REQUIRE_ROOT();
    HoverdProcess hoverd;
    ASSERT_TRUE(hoverd.start()) << hoverd.error();
    std::mt19937 rng(testsupport::fuzzSeed());
    const int rounds = int(testsupport::fuzzCount(20));
    constexpr int kBatch = 16;
    int killed_mid_batch = 0;
    // How long a batch takes here, so that the kills land inside one.
    json warm_up = json::array();
    for (int i = 0; i < kBatch; ++i) warm_up.push_back({{"module_type", "l2switch"}, {"display_name", "w" + std::to_string(i)}});
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(hoverd.call("POST", "/modules/", warm_up).status, 201);
    const auto batch_us = std::max<long>(
        1, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
    for (int round = 0; round < rounds; ++round) {
        json batch = json::array();
        for (int i = 0; i < kBatch; ++i)
            batch.push_back({{"module_type", "l2switch"}, {"display_name", "r" + std::to_string(round) + "-" + std::to_string(i)}});
        std::thread client([&] { (void)hover::HoverClient(hoverd.url()).request("POST", "/modules/", batch.dump()); });
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % batch_us));  // somewhere inside the batch
        hoverd.crash();
        client.join();
        ASSERT_TRUE(hoverd.start()) << "round " << round << ": " << hoverd.error();

        const json modules = hoverd.call("GET", "/modules/").body;
        ASSERT_TRUE(modules.is_array()) << "round " << round;
        std::set<int> listed;
        int of_this_round = 0;
        for (const auto &m : modules) {
            listed.insert(m["id"].get<int>());
            of_this_round += m["display_name"].get<std::string>().rfind("r" + std::to_string(round) + "-", 0) == 0;
            EXPECT_EQ(hoverd.call("GET", "/modules/" + std::to_string(m["id"].get<int>()) + "/tables/").status, 200)
                << "module " << m["id"] << " answers with its tables";
        }
        EXPECT_TRUE(of_this_round == 0 || of_this_round == kBatch)
            << "round " << round << ": " << of_this_round << " of the batch's " << kBatch << " modules survived the crash";
        killed_mid_batch += of_this_round == 0;
        EXPECT_EQ(pinnedIds(hoverd.pinRoot()), listed) << "round " << round << ": pins = modules, none leaked";
        EXPECT_EQ(chainSlots(hoverd.pinRoot()), listed) << "round " << round << ": chain slots = modules";
    }
    EXPECT_GT(killed_mid_batch, 0) << "no kill landed before a batch was saved: the test proved nothing";
}

// The window the test above rarely hits, made on purpose: a module whose pins
// exist but whose record was never saved (hoverd killed between the two) is
// removed at the next start, pins and chain slot, and its id can be used again.
TEST(HoverdCrash, ModulePinnedButNeverSavedIsRemovedAtStart) {
    REQUIRE_ROOT();
    HoverdProcess hoverd;
    ASSERT_TRUE(hoverd.start()) << hoverd.error();
    ASSERT_EQ(hoverd.call("POST", "/modules/", {{"module_type", "l2switch"}, {"display_name", "kept"}}).status, 201);
    const auto orphan = hoverd.call("POST", "/modules/", {{"module_type", "l2switch"}, {"display_name", "orphan"}});
    ASSERT_EQ(orphan.status, 201);
    const uint32_t id = orphan.body["id"].get<uint32_t>();
    ASSERT_TRUE(hoverd.restart()) << hoverd.error();  // folds the journal into state.json
    hoverd.stop();
    const std::string state_path = hoverd.stateDir() + "/state.json";
    json state = json::parse(std::ifstream(state_path), nullptr, false);
    ASSERT_TRUE(state.is_object());
    json &modules = state["modules"];
    modules.erase(std::remove_if(modules.begin(), modules.end(), [&](const json &m) { return m["id"] == id; }),
                  modules.end());
    std::ofstream(state_path) << state.dump();
    ASSERT_TRUE(std::filesystem::exists(hoverd.pinRoot() + "/m" + std::to_string(id))) << "the orphan's pins";

    ASSERT_TRUE(hoverd.start()) << hoverd.error();
    EXPECT_FALSE(std::filesystem::exists(hoverd.pinRoot() + "/m" + std::to_string(id))) << "its pins are gone";
    const int chain = bpf_obj_get((hoverd.pinRoot() + "/tc/iov_chain").c_str());
    ASSERT_GE(chain, 0);
    uint32_t prog_id = 0;
    EXPECT_NE(bpf_map_lookup_elem(chain, &id, &prog_id), 0) << "its chain slot is empty";
    close(chain);
    EXPECT_EQ(hoverd.call("GET", "/modules/orphan").status, 404);
    EXPECT_EQ(hoverd.call("GET", "/modules/kept").status, 200);
    const auto again = hoverd.call("POST", "/modules/", {{"module_type", "l2switch"}, {"display_name", "again"}});
    EXPECT_EQ(again.status, 201) << again.text;
}

// A custom module "t" with one big hash table, "big": keys 0..kEntries-1,
// each request writes one value to all of them.
class BigTable {
public:
    static constexpr uint32_t kEntries = 20000;
    explicit BigTable(const HoverdProcess &hoverd) : hoverd_(hoverd) {}

    bool create() const {
        const std::string source = testsupport::hashModuleSource("big", 65536);
        return hoverd_.call("POST", "/modules/", {{"module_type", "bpf"}, {"display_name", "t"}, {"config", {{"source", source}}}})
                   .status == 201;
    }
    static std::string hex32(uint32_t v) {
        char out[9];
        snprintf(out, sizeof out, "%02x%02x%02x%02x", v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24);
        return out;
    }
    static std::string request(uint32_t value) {  // a PATCH body
        json entries = json::array();
        for (uint32_t k = 0; k < kEntries; ++k) entries.push_back({{"key_hex", hex32(k)}, {"value_hex", hex32(value)}});
        return json::array({{{"table", "big"}, {"op", "put"}, {"entries", entries}}}).dump();
    }
    std::map<std::string, uint32_t> values() const {  // value -> how many entries hold it
        std::map<std::string, uint32_t> seen;
        for (const auto &e : hoverd_.call("GET", "/modules/t/tables/big/entries/?format=hex").body)
            ++seen[e.value("value_hex", "")];
        return seen;
    }

private:
    const HoverdProcess &hoverd_;
};

// Whether hoverd's undo log holds a request being written (its header).
bool undoPending(const std::string &path) {
    char magic[8] = {};
    std::ifstream(path, std::ios::binary).read(magic, sizeof magic);
    return std::string(magic, sizeof magic) == "IOVUNDO1";
}

// Waits (up to 5 s) until a request is being written, or no longer is.
void waitUntil(const std::string &path, bool pending) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (undoPending(path) != pending && std::chrono::steady_clock::now() < give_up) {}
}

// A table request of many entries cut short by SIGKILL: after the restart
// the table holds all of it or none of it (hoverd puts back what a request
// cut short had replaced, from <state dir>/undo.bin).
TEST(HoverdCrash, KilledMidTableRequestLeavesItWholeOrAbsent) {
    REQUIRE_ROOT();
    HoverdProcess hoverd;
    ASSERT_TRUE(hoverd.start()) << hoverd.error();
    BigTable big(hoverd);
    ASSERT_TRUE(big.create());
    // The writes begin once hoverd has saved what they replace (undo.bin)
    // and end when it clears it: how long that takes here, so that the
    // kills land inside (or just after) the writes.
    const std::string undo_file = hoverd.stateDir() + "/undo.bin";
    std::thread warm_up([&] { EXPECT_EQ(hoverd.callRaw("PATCH", "/modules/t/tables/", big.request(0)).status, 204); });
    waitUntil(undo_file, true);
    const auto t0 = std::chrono::steady_clock::now();
    waitUntil(undo_file, false);
    const long write_us = std::max<long>(
        1, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
    warm_up.join();
    std::mt19937 rng(testsupport::fuzzSeed());
    int killed_mid_write = 0;
    uint32_t before = 0;  // the value every entry holds
    for (uint32_t round = 1; round <= testsupport::fuzzCount(20); ++round) {
        const std::string body = BigTable::request(round);
        std::thread client([&] { (void)hover::HoverClient(hoverd.url()).request("PATCH", "/modules/t/tables/", body); });
        waitUntil(undo_file, true);
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % (write_us + write_us / 4)));
        hoverd.crash();
        client.join();
        killed_mid_write += undoPending(undo_file);
        ASSERT_TRUE(hoverd.start()) << "round " << round << ": " << hoverd.error();
        EXPECT_FALSE(undoPending(undo_file)) << "round " << round << ": the undo log was used up";
        const auto seen = big.values();
        ASSERT_EQ(seen.size(), 1u) << "round " << round << ": the table mixes values of two requests";
        EXPECT_EQ(seen.begin()->second, BigTable::kEntries) << "round " << round;
        const std::string now = seen.begin()->first;
        ASSERT_TRUE(now == BigTable::hex32(before) || now == BigTable::hex32(round)) << "round " << round << ": " << now;
        if (now == BigTable::hex32(round)) before = round;
    }
    std::cout << "kills while a request was being written: " << killed_mid_write << "\n";
    EXPECT_GT(killed_mid_write, 0) << "no kill landed while a request was written: the test proved nothing";
}

}  // namespace
