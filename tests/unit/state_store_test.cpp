// hoverd's saved state: every change is one journal line; a reload replays
// them over the snapshot, ignores a line cut short by a crash, folds the
// journal into the snapshot, and takes over an earlier hoverd's registry.json.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "state_store.h"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class StateStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("iovisor-state-" + std::to_string(getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    json reload() {
        hover::StateStore store(dir_.string());
        auto state = store.load();
        EXPECT_TRUE(state.ok()) << state.error().message;
        return state.ok() ? *state : json();
    }
    size_t journalLines() {
        std::ifstream in(dir_ / "journal.jsonl");
        size_t n = 0;
        for (std::string line; std::getline(in, line);) ++n;
        return n;
    }
    fs::path dir_;
};

TEST_F(StateStoreTest, ChangesSurviveAReloadInOrder) {
    {
        hover::StateStore store(dir_.string());
        ASSERT_TRUE(store.load().ok());
        EXPECT_EQ(reload(), json({{"next_module_id", 1}, {"next_link_id", 1}, {"modules", json::array()},
                                  {"links", json::array()}}))
            << "nothing saved yet";
        ASSERT_TRUE(store.putModule(1, {{"id", 1}, {"type", "l2switch"}}).ok());
        ASSERT_TRUE(store.putModule(2, {{"id", 2}, {"type", "router"}}).ok());
        ASSERT_TRUE(store.putModule(1, {{"id", 1}, {"type", "l2switch"}, {"display_name", "sw"}}).ok());
        ASSERT_TRUE(store.putLink(7, {{"id", 7}}).ok());
        ASSERT_TRUE(store.dropModule(2).ok());
        ASSERT_TRUE(store.putNextIds(3, 8).ok());
        EXPECT_EQ(journalLines(), 6u) << "one line per change, nothing rewritten";
    }
    const json state = reload();
    EXPECT_EQ(state["modules"], json::array({{{"id", 1}, {"type", "l2switch"}, {"display_name", "sw"}}}));
    EXPECT_EQ(state["links"], json::array({{{"id", 7}}}));
    EXPECT_EQ(state["next_module_id"], 3);
    EXPECT_EQ(state["next_link_id"], 8);
    EXPECT_EQ(journalLines(), 0u) << "a reload folds the journal into the snapshot";
}

TEST_F(StateStoreTest, ALineCutShortByACrashIsIgnored) {
    {
        hover::StateStore store(dir_.string());
        ASSERT_TRUE(store.load().ok());
        ASSERT_TRUE(store.putModule(1, {{"id", 1}}).ok());
    }
    std::ofstream(dir_ / "journal.jsonl", std::ios::app) << R"({"op":"module","id":2,"rec)";
    const json state = reload();
    ASSERT_EQ(state["modules"].size(), 1u);
    EXPECT_EQ(state["modules"][0]["id"], 1);
}

TEST_F(StateStoreTest, TheJournalIsFoldedWhenItOutgrowsTheRecords) {
    hover::StateStore store(dir_.string());
    ASSERT_TRUE(store.load().ok());
    for (uint32_t i = 0; i < 3000; ++i) ASSERT_TRUE(store.putModule(1, {{"id", 1}, {"n", i}}).ok());
    EXPECT_LT(journalLines(), 1100u);
    EXPECT_EQ(reload()["modules"][0]["n"], 2999);
}

TEST_F(StateStoreTest, AnEarlierRegistryJsonIsTakenOver) {
    std::ofstream(dir_ / "registry.json")
        << json({{"next_module_id", 5}, {"next_link_id", 2}, {"modules", {{{"id", 4}}}}, {"links", {{{"id", 1}}}}}).dump();
    const json state = reload();
    EXPECT_EQ(state["next_module_id"], 5);
    EXPECT_EQ(state["modules"][0]["id"], 4);
    EXPECT_FALSE(fs::exists(dir_ / "registry.json"));
    EXPECT_EQ(reload()["links"][0]["id"], 1) << "from the snapshot now";
}

TEST_F(StateStoreTest, AMalformedSnapshotIsAnErrorNotAnEmptyState) {
    std::ofstream(dir_ / "state.json") << "{not json";
    hover::StateStore store(dir_.string());
    auto state = store.load();
    ASSERT_FALSE(state.ok());
    EXPECT_NE(state.error().message.find("state.json"), std::string::npos);
}

// A batch is one journal line: cut short anywhere by a crash, a reload has
// all of it or none of it (never the first modules of a batch without the
// rest, nor its ids without its modules).
TEST_F(StateStoreTest, ABatchCutAnywhereIsAllOrNothing) {
    {
        hover::StateStore store(dir_.string());
        ASSERT_TRUE(store.load().ok());
        ASSERT_TRUE(store.putModule(1, {{"id", 1}}).ok());
        hover::StateStore::Batch batch(store);
        for (uint32_t id = 2; id <= 5; ++id) ASSERT_TRUE(store.putModule(id, {{"id", id}}).ok());
        ASSERT_TRUE(store.putNextIds(6, 1).ok());
        ASSERT_TRUE(batch.commit().ok());
    }
    std::string journal;
    {
        std::ifstream in(dir_ / "journal.jsonl");
        journal.assign(std::istreambuf_iterator<char>(in), {});
    }
    const size_t batch_start = journal.find('\n') + 1;
    ASSERT_EQ(journalLines(), 2u) << "the batch is one line";
    const std::string snapshot = (dir_ / "state.json").string();
    for (size_t cut = batch_start; cut <= journal.size(); ++cut) {
        fs::remove(snapshot);
        std::ofstream(dir_ / "journal.jsonl") << journal.substr(0, cut);
        const json state = reload();
        const size_t modules = state["modules"].size();
        EXPECT_TRUE(modules == 1 || modules == 5) << "cut at byte " << cut << ": " << modules << " modules";
        EXPECT_EQ(state["next_module_id"], modules == 5 ? 6 : 1) << "cut at byte " << cut;
    }
}

}  // namespace
