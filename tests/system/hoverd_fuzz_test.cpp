// hoverd against generated hostile input (issue 18): malformed and hostile
// requests of every kind, and concurrent conflicting writes. hoverd must
// answer each with a 4xx JSON error naming the problem, stay up, and hold
// afterwards exactly what the accepted requests asked for.
#include <signal.h>

#include <cstdlib>

#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hover/client.h"
#include "hoverd_process.h"
#include "test_support.h"

namespace {

using nlohmann::json;
using testsupport::HoverdProcess;

struct Request {
    std::string method, path, body;
};

using Generator = std::function<Request(std::mt19937 &)>;

std::string pick(std::mt19937 &rng, const std::vector<std::string> &from) { return from[rng() % from.size()]; }

std::string randomBytes(std::mt19937 &rng, size_t max) {
    std::string out(1 + rng() % max, ' ');
    for (char &c : out) c = char(rng() % 256);
    return out;
}

const std::vector<std::string> kHostileNames = {"../../etc/passwd", "a/b", "a:b", ".", "..", "sp ace", "tab\tname",
                                               std::string(65, 'n'), "nul\\u0000", "ünïcode", "m:base:0", "%2e%2e"};
const std::vector<std::string> kHostileValues = {"zz", "-1", "1e400", "[]", "{}", "null", "true", "\"\"",
                                                 "\"02:00:00:00:00\"", "\"10.0.0.0/33\"", "\"fe80::/129\"", "4294967296",
                                                 "\"999.1.1.1\"", "\"02:00:00:00:00:01:02\""};

std::vector<Generator> generators() {
    return {
        // Not JSON at all, or JSON cut short.
        [](std::mt19937 &rng) { return Request{"POST", "/modules/", randomBytes(rng, 200)}; },
        [](std::mt19937 &rng) {
            const std::string valid = R"({"module_type":"l2switch","display_name":"cut","config":{"attach":"tc"}})";
            return Request{"POST", pick(rng, {"/modules/", "/links/"}), valid.substr(0, 1 + rng() % (valid.size() - 2))};
        },
        // Wrong types, unknown fields, hostile names.
        [](std::mt19937 &rng) {
            return Request{"POST", "/modules/", "{\"module_type\":" + pick(rng, kHostileValues) + "}"};
        },
        [](std::mt19937 &rng) {
            return Request{"POST", "/modules/",
                           R"({"module_type":"l2switch","display_name":"x)" + std::to_string(rng()) + R"(","evil":1})"};
        },
        [](std::mt19937 &rng) {
            return Request{"POST", "/modules/", json{{"module_type", "l2switch"}, {"display_name", pick(rng, kHostileNames)}}.dump()};
        },
        [](std::mt19937 &rng) {
            return Request{"PUT", "/modules/base", json{{"display_name", pick(rng, kHostileNames)}}.dump()};
        },
        // Paths: bad percent-encoding, traversal, ids out of range, wrong methods.
        [](std::mt19937 &rng) {
            return Request{pick(rng, {"GET", "DELETE"}),
                           pick(rng, {"/modules/%zz", "/modules/%", "/modules/%g0/tables", "/links/%2", "/modules/base/tables/fdb/entries/%ZZ"}),
                           ""};
        },
        [](std::mt19937 &rng) {
            return Request{pick(rng, {"GET", "DELETE", "PUT"}),
                           pick(rng, {"/modules/../../etc/passwd", "/modules/base/tables/../../../x", "/modules/99999999999999999999",
                                      "/modules/-1", "/links/abc", "/links/4294967296", "/modules/base/stats/x"}),
                           "{}"};
        },
        [](std::mt19937 &rng) {
            return Request{pick(rng, {"PATCH", "PUT", "POST", "DELETE"}), pick(rng, {"/health", "/openapi.json", "/flows"}), "{}"};
        },
        // Table entries with invalid keys and values.
        [](std::mt19937 &rng) {
            const std::string key = "{\"mac\":" + pick(rng, kHostileValues) + "}";
            return Request{"PUT", hover::HoverClient::entryPath("base", "fdb", key), "{\"port\":" + pick(rng, kHostileValues) + "}"};
        },
        [](std::mt19937 &rng) {
            return Request{"PATCH", "/modules/base/tables/",
                           "[{\"table\":\"fdb\",\"op\":\"put\",\"entries\":[{\"key\":{\"mac\":" + pick(rng, kHostileValues) +
                               "},\"value\":{\"port\":1}}]}]"};
        },
        // Links between things that do not exist or cannot be linked.
        [](std::mt19937 &rng) {
            const std::vector<std::string> ends = {"m:", "i:", "m:base:999", "x:y", "i:../../x", "i:" + std::string(20, 'i'),
                                                   "m:nosuch:0", "m:base", "", "m:base:0:0"};
            return Request{"POST", "/links/", json{{"from", pick(rng, ends)}, {"to", pick(rng, ends)}}.dump()};
        },
        // Deep nesting.
        [](std::mt19937 &rng) {
            const size_t depth = 1000 + rng() % 100000;
            return Request{"POST", pick(rng, {"/modules/", "/links/", "/trace"}), std::string(depth, '[') + std::string(depth, ']')};
        },
        // A trace of garbage.
        [](std::mt19937 &rng) {
            return Request{"POST", "/trace", json{{"from", pick(rng, {"m:base:0", "m:nosuch:0", "x"})}, {"packet", pick(rng, {"zz", "0", "abc"})}}.dump()};
        },
    };
}

bool isJsonError(const std::string &text) {
    const json body = json::parse(text, nullptr, false);
    return body.is_object() && body.contains("error") && body["error"].is_string() && !body["error"].get<std::string>().empty();
}

TEST(HoverdFuzz, TenThousandHostileRequestsChangeNothing) {
    REQUIRE_ROOT();
    HoverdProcess hoverd;
    hoverd.denyCustomBpf();
    ASSERT_TRUE(hoverd.start()) << hoverd.error();
    ASSERT_EQ(hoverd.call("POST", "/modules/", {{"module_type", "l2switch"}, {"display_name", "base"}}).status, 201);
    const json modules_before = hoverd.call("GET", "/modules/").body;
    const json fdb_before = hoverd.call("GET", "/modules/base/tables/fdb/entries/").body;

    hover::HoverClient client(hoverd.url());
    // FUZZ_SEED replays another stream; FUZZ_COUNT runs longer than CI does.
    std::mt19937 rng(getenv("FUZZ_SEED") ? testsupport::fuzzSeed() : 20261202);
    const auto gens = generators();
    const uint64_t count = testsupport::fuzzCount(10000);
    uint64_t answered = 0;
    for (uint64_t i = 0; i < count; ++i) {
        const Request r = gens[rng() % gens.size()](rng);
        auto reply = client.request(r.method, r.path, r.body);
        ASSERT_TRUE(reply.ok()) << "request " << i << " " << r.method << " " << r.path << " " << r.body.substr(0, 200) << ": "
                                << reply.error().message;
        ASSERT_GE(reply->status, 400) << i << " " << r.method << " " << r.path << " " << r.body.substr(0, 200);
        ASSERT_LT(reply->status, 500) << i << " " << r.method << " " << r.path << " " << r.body.substr(0, 200) << " -> " << reply->text;
        ASSERT_TRUE(isJsonError(reply->text)) << i << " " << r.method << " " << r.path << " -> " << reply->text.substr(0, 200);
        ++answered;
    }
    // Bodies over the limit, a few.
    for (int i = 0; i < 3; ++i) EXPECT_EQ(client.request("POST", "/modules/", std::string(17 << 20, '{')).value().status, 413);

    EXPECT_EQ(answered, count);
    EXPECT_EQ(kill(hoverd.pid(), 0), 0) << "hoverd is up";
    EXPECT_EQ(hoverd.call("GET", "/health").body.value("status", ""), "ok");
    EXPECT_EQ(hoverd.call("GET", "/modules/").body, modules_before) << "no module created, renamed or removed";
    EXPECT_EQ(hoverd.call("GET", "/modules/base/tables/fdb/entries/").body, fdb_before) << "no entry written";
    EXPECT_EQ(hoverd.call("GET", "/links/").body, json::array()) << "no link made";
}

// Four clients create and delete the same few names at once: every answer
// is one of the expected ones, and afterwards the registry, the pins and a
// restarted hoverd agree.
TEST(HoverdFuzz, ConcurrentConflictingWritesLeaveOneConsistentState) {
    REQUIRE_ROOT();
    HoverdProcess hoverd;
    ASSERT_TRUE(hoverd.start()) << hoverd.error();
    std::vector<std::thread> clients;
    std::vector<std::string> unexpected(4);
    for (int c = 0; c < 4; ++c)
        clients.emplace_back([&, c] {
            hover::HoverClient client(hoverd.url());
            std::mt19937 rng(c);
            for (int i = 0; i < 60; ++i) {
                const std::string name = "c" + std::to_string(rng() % 5);
                const bool create = rng() % 2;
                auto r = create ? client.request("POST", "/modules/", json{{"module_type", "l2switch"}, {"display_name", name}}.dump())
                                : client.request("DELETE", "/modules/" + name, "");
                const int s = r.ok() ? r->status : 0;
                const std::set<int> allowed = create ? std::set<int>{201, 409} : std::set<int>{204, 404};
                if (!allowed.count(s)) unexpected[c] += std::to_string(s) + " ";
            }
        });
    for (auto &t : clients) t.join();
    for (const auto &u : unexpected) EXPECT_EQ(u, "") << "unexpected statuses";

    const json modules = hoverd.call("GET", "/modules/").body;
    ASSERT_TRUE(modules.is_array());
    std::set<std::string> names;
    for (const auto &m : modules) {
        names.insert(m["display_name"]);
        EXPECT_EQ(hoverd.call("GET", "/modules/" + m["display_name"].get<std::string>()).status, 200);
        EXPECT_TRUE(std::filesystem::exists(hoverd.pinRoot() + "/m" + std::to_string(m["id"].get<int>())))
            << "pins of module " << m["id"];
    }
    EXPECT_EQ(names.size(), modules.size()) << "one module per name";
    size_t pinned = 0;
    for (const auto &entry : std::filesystem::directory_iterator(hoverd.pinRoot()))
        if (entry.path().filename().string()[0] == 'm') ++pinned;
    EXPECT_EQ(pinned, modules.size()) << "no pins left behind by deleted modules";
    ASSERT_TRUE(hoverd.restart()) << hoverd.error();
    EXPECT_EQ(hoverd.call("GET", "/modules/").body, modules) << "what was saved is what was answered";
}

}  // namespace
