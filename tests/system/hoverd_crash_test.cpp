// hoverd killed with SIGKILL in the middle of its work (issue 18, crash
// consistency): after a restart, what it answers, what it pinned and what
// it saved agree, and a batch is there whole or not at all.
#include <bpf/bpf.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
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

}  // namespace
