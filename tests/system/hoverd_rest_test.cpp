// hoverd's REST contract over real HTTP against a real daemon: resources,
// status codes, error bodies, and that bad input leaves it healthy.
#include <bpf/bpf.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#define _TURN_OFF_PLATFORM_STRING  // cpprestsdk's U() macro breaks gtest
#include <cpprest/asyncrt_utils.h>

#include "hoverd_process.h"
#include "lib/abi.h"
#include "netns.h"

namespace {

using nlohmann::json;
using testsupport::HoverdProcess;
using testsupport::urlEncode;

class HoverdRest : public ::testing::Test {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        ASSERT_TRUE(hoverd_.start()) << hoverd_.error();
    }

    json createSwitch(const std::string &name) {
        auto r = hoverd_.call("POST", "/modules/", {{"module_type", "l2switch"}, {"display_name", name}});
        EXPECT_EQ(r.status, 201) << r.text;
        return r.body;
    }

    // An error reply: the status and a JSON message containing `needle`.
    void expectError(const testsupport::HttpReply &r, int status, const std::string &needle) {
        EXPECT_EQ(r.status, status) << r.text;
        ASSERT_TRUE(r.body.is_object()) << "error bodies are JSON: " << r.text;
        EXPECT_EQ(r.body.value("status", 0), status);
        EXPECT_NE(r.body.value("error", "").find(needle), std::string::npos) << r.text;
    }

    HoverdProcess hoverd_;
};

TEST_F(HoverdRest, HealthAndOpenApi) {
    auto health = hoverd_.call("GET", "/health");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body["status"], "ok");
    auto doc = hoverd_.call("GET", "/openapi.json");
    ASSERT_EQ(doc.status, 200);
    EXPECT_EQ(doc.body["openapi"], "3.0.3");
    for (const char *path : {"/modules/", "/modules/{id}/tables/{name}/entries/{key}", "/links/", "/external_interfaces/"})
        EXPECT_TRUE(doc.body["paths"].contains(path)) << path;
}

TEST_F(HoverdRest, ModuleLifecycle) {
    json sw = createSwitch("sw1");
    const std::string id = std::to_string(sw["id"].get<int>());
    EXPECT_EQ(sw["module_type"], "l2switch");
    EXPECT_EQ(sw["attach"], "tc");
    EXPECT_EQ(hoverd_.call("GET", "/modules/" + id).body["display_name"], "sw1");
    EXPECT_EQ(hoverd_.call("GET", "/modules/sw1").body["id"], sw["id"]) << "names work wherever ids do";
    EXPECT_EQ(hoverd_.call("GET", "/modules/").body.size(), 1u);
    auto renamed = hoverd_.call("PUT", "/modules/" + id, {{"display_name", "edge"}, {"config", {{"note", "x"}}}});
    EXPECT_EQ(renamed.status, 200) << renamed.text;
    EXPECT_EQ(renamed.body["display_name"], "edge");
    EXPECT_EQ(hoverd_.call("DELETE", "/modules/edge").status, 204);
    expectError(hoverd_.call("GET", "/modules/" + id), 404, "no module");
    EXPECT_EQ(hoverd_.call("GET", "/modules/").body.size(), 0u);
}

TEST_F(HoverdRest, BadModuleRequestsGetTheRightStatus) {
    expectError(hoverd_.callRaw("POST", "/modules/", "{not json"), 400, "not valid JSON");
    expectError(hoverd_.call("POST", "/modules/", {{"module_type", 5}}), 400, "module_type");
    expectError(hoverd_.call("POST", "/modules/", {{"module_type", "teleporter"}}), 400, "unknown module_type");
    expectError(hoverd_.call("POST", "/modules/", {{"module_type", "l2switch"}, {"colour", "red"}}), 400, "colour");
    expectError(hoverd_.call("POST", "/modules/", {{"module_type", "l2switch"}, {"display_name", "42"}}), 400,
                "must not be a number");
    expectError(hoverd_.call("POST", "/modules/", {{"module_type", "l2switch"}, {"config", {{"attach", "dpdk"}}}}),
                400, "attach");
    createSwitch("twin");
    expectError(hoverd_.call("POST", "/modules/", {{"module_type", "router"}, {"display_name", "twin"}}), 409,
                "exists");
    expectError(hoverd_.call("DELETE", "/modules/404"), 404, "no module");
    expectError(hoverd_.call("PATCH", "/modules/twin"), 405, "not allowed");
    expectError(hoverd_.call("GET", "/nowhere"), 404, "no resource");
    const std::string huge(17 * 1024 * 1024, ' ');
    expectError(hoverd_.callRaw("POST", "/modules/", huge), 413, "limit");
    // Still healthy and consistent.
    EXPECT_EQ(hoverd_.call("GET", "/health").status, 200);
    EXPECT_EQ(hoverd_.call("GET", "/modules/").body.size(), 1u);
}

TEST_F(HoverdRest, TablesAndEntries) {
    createSwitch("sw");
    auto tables = hoverd_.call("GET", "/modules/sw/tables/");
    ASSERT_EQ(tables.status, 200);
    bool has_fdb = false;
    for (const auto &t : tables.body) has_fdb |= t["name"] == "fdb";
    EXPECT_TRUE(has_fdb) << tables.text;
    EXPECT_EQ(hoverd_.call("GET", "/modules/sw/tables/fdb").body["type"], "hash");
    expectError(hoverd_.call("GET", "/modules/sw/tables/nope"), 404, "no table nope");

    const json key = {{"mac", "02:00:00:00:00:01"}};
    const std::string entry = "/modules/sw/tables/fdb/entries/" + urlEncode(key.dump());
    EXPECT_EQ(hoverd_.call("POST", "/modules/sw/tables/fdb/entries/", {{"key", key}, {"value", {{"port", 1}}}}).status, 201);
    expectError(hoverd_.call("POST", "/modules/sw/tables/fdb/entries/", {{"key", key}, {"value", {{"port", 1}}}}), 409,
                "exists");
    EXPECT_EQ(hoverd_.call("GET", entry).body["value"], json({{"port", 1}, {"flags", 0}}));
    EXPECT_EQ(hoverd_.call("PUT", entry, {{"port", 2}, {"flags", 1}}).status, 200);
    EXPECT_EQ(hoverd_.call("GET", entry).body["value"]["port"], 2);
    EXPECT_EQ(hoverd_.call("GET", "/modules/sw/tables/fdb/entries/").body.size(), 1u);
    // Plain scalar keys: an IPv4 address in the URL.
    EXPECT_EQ(hoverd_.call("PUT", "/modules/sw/tables/arp_responder/entries/10.0.0.1",
                           {{"mac", "02:00:00:00:00:01"}, {"port", 1}}).status, 200);
    EXPECT_EQ(hoverd_.call("GET", "/modules/sw/tables/arp_responder/entries/10.0.0.1").body["value"]["mac"],
              "02:00:00:00:00:01");
    EXPECT_EQ(hoverd_.call("DELETE", entry).status, 204);
    expectError(hoverd_.call("DELETE", entry), 404, "no entry");

    expectError(hoverd_.call("PUT", entry, {{"port", 1}, {"colour", 3}}), 400, "colour");
    expectError(hoverd_.call("PUT", "/modules/sw/tables/fdb/entries/" + urlEncode(R"({"mac":"zz"})"), {{"port", 1}}),
                400, "zz");
    expectError(hoverd_.call("PUT", "/modules/sw/tables/ports/entries/1", {{"flags", -1}}), 400, "does not fit");
    expectError(hoverd_.call("POST", "/modules/sw/tables/fdb/entries/", {{"key", key}}), 400, "key");
    expectError(hoverd_.call("DELETE", "/modules/sw/tables/ports/entries/1"), 400, "array");
    // Batches: all checked before any is written.
    const json two = json::array({{{"key", {{"mac", "02:00:00:00:00:0a"}}}, {"value", {{"port", 3}}}},
                                  {{"key", {{"mac", "02:00:00:00:00:0b"}}}, {"value", {{"port", 4}}}}});
    auto batch = hoverd_.call("POST", "/modules/sw/tables/fdb/entries/", two);
    EXPECT_EQ(batch.status, 200) << batch.text;
    EXPECT_EQ(batch.body["written"], 2);
    const json bad = json::array({{{"key", {{"mac", "02:00:00:00:00:0c"}}}, {"value", {{"port", 5}}}},
                                  {{"key", {{"mac", "nope"}}}, {"value", {{"port", 6}}}}});
    expectError(hoverd_.call("POST", "/modules/sw/tables/fdb/entries/", bad), 400, "entry 1");
    expectError(hoverd_.call("GET", "/modules/sw/tables/fdb/entries/" + urlEncode(R"({"mac":"02:00:00:00:00:0c"})")),
                404, "no entry");
}

// A nat's tables live in the hook's maps shared by every nat instance: through
// the API each instance still has its own tables, keys as before.
TEST_F(HoverdRest, SharedTablesLookLikeAnInstancesOwn) {
    for (const char *name : {"n1", "n2"})
        ASSERT_EQ(hoverd_.call("POST", "/modules/", {{"module_type", "nat"}, {"display_name", name}}).status, 201);
    auto put = hoverd_.call("PUT", "/modules/n1/tables/fip_in/entries/172.24.4.50", {{"addr", "10.0.0.5"}});
    ASSERT_EQ(put.status, 200) << put.text;
    ASSERT_EQ(hoverd_.call("PUT", "/modules/n2/tables/fip_in/entries/172.24.4.50", {{"addr", "10.0.0.99"}}).status, 200);
    const json prefix = {{"prefixlen", 24}, {"addr", "10.0.0.0"}};
    auto snat = hoverd_.call("POST", "/modules/n1/tables/snat_rules/entries/",
                             json::array({{{"key", prefix}, {"value", {{"external_ip", "172.24.4.1"}, {"port_min", 1024}, {"port_max", 65535}}}}}));
    ASSERT_EQ(snat.status, 200) << snat.text;
    auto n1 = hoverd_.call("GET", "/modules/n1/tables/fip_in/entries/");
    ASSERT_EQ(n1.body.size(), 1u) << n1.text;
    EXPECT_EQ(n1.body[0]["key"], "172.24.4.50");
    EXPECT_EQ(n1.body[0]["value"]["addr"], "10.0.0.5");
    EXPECT_EQ(hoverd_.call("GET", "/modules/n2/tables/fip_in/entries/172.24.4.50").body["value"]["addr"], "10.0.0.99");
    auto rules = hoverd_.call("GET", "/modules/n1/tables/snat_rules/entries/");
    ASSERT_EQ(rules.body.size(), 1u) << rules.text;
    EXPECT_EQ(rules.body[0]["key"], prefix) << "the prefix as written, without the module id";
    EXPECT_EQ(hoverd_.call("GET", "/modules/n2/tables/snat_rules/entries/").body.size(), 0u);
    auto info = hoverd_.call("GET", "/modules/n1/tables/fip_in");
    EXPECT_EQ(info.body["key_size"], 4) << info.text;
    EXPECT_EQ(hoverd_.call("DELETE", "/modules/n2").status, 204);
    EXPECT_EQ(hoverd_.call("GET", "/modules/n1/tables/fip_in/entries/").body.size(), 1u);
    expectError(hoverd_.call("PUT", "/modules/n1/tables/snat_rules/entries/" + urlEncode(json{{"addr", "10.0.0.0"}}.dump()),
                             {{"external_ip", "172.24.4.1"}}),
                400, "prefixlen");
}

// The typed model's writes: batches of raw entries (what iovisor-ovnd sends),
// applied in order, all checked first; raw reads give the same bytes back.
TEST_F(HoverdRest, RawTableBatches) {
    createSwitch("sw");
    // fdb 02:00:00:00:00:01 -> port 3 (static), ports[3] = enabled.
    const json put = json::array(
        {{{"table", "fdb"}, {"op", "put"}, {"entries", {{{"key_hex", "0200000000010000"}, {"value_hex", "0300000000000000"}}}}},
         {{"table", "ports"}, {"op", "put"}, {"entries", {{{"key_hex", "03000000"}, {"value_hex", "01000000"}}}}}});
    auto r = hoverd_.call("PATCH", "/modules/sw/tables/", put);
    EXPECT_EQ(r.status, 204) << r.text;
    EXPECT_EQ(hoverd_.call("GET", "/modules/sw/tables/fdb/entries/").body[0]["value"], json({{"port", 3}, {"flags", 0}}));
    EXPECT_EQ(hoverd_.call("GET", "/modules/sw/tables/fdb/entries/?format=hex").body,
              json::array({{{"key_hex", "0200000000010000"}, {"value_hex", "0300000000000000"}}}));
    expectError(hoverd_.call("GET", "/modules/sw/tables/fdb/entries/?format=xml"), 400, "format=hex");

    // Nothing of a batch list lands if any part is wrong.
    const json wrong_size = json::array(
        {{{"table", "fdb"}, {"op", "delete"}, {"entries", {{{"key_hex", "0200000000010000"}}}}},
         {{"table", "ports"}, {"op", "put"}, {"entries", {{{"key_hex", "03000000"}, {"value_hex", "01"}}}}}});
    expectError(hoverd_.call("PATCH", "/modules/sw/tables/", wrong_size), 400, "batch 1: table ports takes 4-byte keys");
    EXPECT_EQ(hoverd_.call("GET", "/modules/sw/tables/fdb/entries/").body.size(), 1u) << "the delete did not land";
    expectError(hoverd_.call("PATCH", "/modules/sw/tables/", json::array({{{"table", "nope"}, {"op", "put"},
                                                                           {"entries", json::array()}}})),
                404, "no table nope");
    expectError(hoverd_.call("PATCH", "/modules/sw/tables/", json::array({{{"table", "fdb"}, {"op", "move"},
                                                                           {"entries", json::array()}}})),
                400, "batch 0");
    expectError(hoverd_.call("PATCH", "/modules/sw/tables/", json::array({{{"table", "fdb"}, {"op", "delete"},
                                                                           {"entries", {{{"key_hex", "0x"}}}}}})),
                400, "entry 0");
    expectError(hoverd_.call("PATCH", "/modules/sw/tables/", json{{"table", "fdb"}}), 400, "list of table batches");

    // Removals of keys already gone succeed (the controller's view may lag an LRU eviction).
    const json del = json::array(
        {{{"table", "fdb"}, {"op", "delete"}, {"entries", {{{"key_hex", "0200000000010000"}}, {{"key_hex", "0200000000990000"}}}}}});
    EXPECT_EQ(hoverd_.call("PATCH", "/modules/sw/tables/", del).status, 204);
    EXPECT_TRUE(hoverd_.call("GET", "/modules/sw/tables/fdb/entries/").body.empty());
}

TEST_F(HoverdRest, LinksNamePortsAndRefuseConflicts) {
    createSwitch("a");
    hoverd_.call("POST", "/modules/", {{"module_type", "router"}, {"display_name", "r"}});
    auto link = hoverd_.call("POST", "/links/", {{"from", "m:a"}, {"to", "m:r"}});
    ASSERT_EQ(link.status, 201) << link.text;
    EXPECT_EQ(link.body["from"], "m:" + std::to_string(hoverd_.call("GET", "/modules/a").body["id"].get<int>()) + ":0");
    EXPECT_EQ(link.body["from_port"], 0);
    EXPECT_EQ(link.body["to_port"], 0);
    auto second = hoverd_.call("POST", "/links/", {{"from", "m:a"}, {"to", "m:r:5"}});
    EXPECT_EQ(second.body["from_port"], 1) << "the next free port";
    EXPECT_EQ(second.body["to_port"], 5);
    expectError(hoverd_.call("POST", "/links/", {{"from", "m:a:0"}, {"to", "m:r:9"}}), 409, "already linked");
    expectError(hoverd_.call("POST", "/links/", {{"from", "m:ghost"}, {"to", "m:r"}}), 404, "no module");
    expectError(hoverd_.call("POST", "/links/", {{"from", "m:a"}, {"to", "i:no-such-if0"}}), 404, "no network interface");
    expectError(hoverd_.call("POST", "/links/", {{"from", "i:lo"}, {"to", "i:lo"}}), 400, "module side");
    expectError(hoverd_.call("POST", "/links/", {{"from", "x:a"}, {"to", "m:r"}}), 400, "m:<module>");
    expectError(hoverd_.call("POST", "/links/", {{"from", "m:a:999"}, {"to", "m:r"}}), 400, "port");
    expectError(hoverd_.call("POST", "/links/", {{"from", "m:a"}}), 400, "\"to\"");
    expectError(hoverd_.call("DELETE", "/modules/a"), 409, "link");
    auto module = hoverd_.call("GET", "/modules/a");
    EXPECT_EQ(module.body["ports"].size(), 2u);
    const std::string first = "/links/" + std::to_string(link.body["id"].get<int>());
    EXPECT_EQ(hoverd_.call("GET", first).status, 200);
    EXPECT_EQ(hoverd_.call("DELETE", first).status, 204);
    expectError(hoverd_.call("GET", first), 404, "no link");
    EXPECT_EQ(hoverd_.call("GET", "/links/").body.size(), 1u);
    expectError(hoverd_.call("GET", "/links/abc"), 404, "no link");
}

TEST_F(HoverdRest, CustomModulesFromSourceAndObject) {
    const std::string good = R"(
#include "lib/chain.h"
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} hits SEC(".maps");
static __always_inline int pass_through(struct iov_ctx *ctx, struct iov_md *md) {
    __u32 zero = 0;
    __u64 *n = bpf_map_lookup_elem(&hits, &zero);
    if (n) *n += 1;
    return iov_send(ctx, md, md->in_port ^ 1);  /* port 0 <-> port 1 */
}
IOV_MODULE(wire, pass_through);
)";
    auto ok = hoverd_.call("POST", "/modules/", {{"module_type", "bpf"}, {"display_name", "wire"}, {"config", {{"source", good}}}});
    ASSERT_EQ(ok.status, 201) << ok.text;
    EXPECT_EQ(ok.body["module_type"], "bpf");
    EXPECT_FALSE(ok.body["config"].contains("source")) << "the source is not echoed back";
    EXPECT_EQ(hoverd_.call("GET", "/modules/wire/tables/iov_ports").status, 200);
    // Its own per-CPU table comes back one value per CPU.
    auto hits = hoverd_.call("GET", "/modules/wire/tables/hits/entries/0");
    EXPECT_TRUE(hits.body["value"].is_array()) << hits.text;

    expectError(hoverd_.call("POST", "/modules/", {{"module_type", "bpf"}, {"config", {{"source", "int oops( {"}}}}), 422,
                "clang rejected");
    // Compiles, but reads past the packet without a bounds check.
    const std::string unsafe = R"(
#include "lib/chain.h"
static __always_inline int peek(struct iov_ctx *ctx, struct iov_md *md) {
    unsigned char *data = (unsigned char *)(long)ctx->data;
    if (data[100] == 1) return CTX_PASS;
    return CTX_DROP;
}
IOV_MODULE(peek, peek);
)";
    expectError(hoverd_.call("POST", "/modules/", {{"module_type", "bpf"}, {"config", {{"source", unsafe}}}}), 422,
                "Verifier log");
    expectError(hoverd_.call("POST", "/modules/", {{"module_type", "bpf"}, {"config", {{"object", "!!!"}}}}), 400,
                "base64");
    expectError(hoverd_.call("POST", "/modules/", {{"module_type", "bpf"}, {"config", {{"object", "aGVsbG8="}}}}), 400,
                "ELF");
    expectError(hoverd_.call("POST", "/modules/", {{"module_type", "bpf"}}), 400, "config.source");

    // A prebuilt object (the l2switch from the build tree), base64.
    std::ifstream elf(L2SWITCH_OBJECT, std::ios::binary);
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(elf)), {});
    ASSERT_FALSE(bytes.empty());
    auto from_object = hoverd_.call("POST", "/modules/", {{"module_type", "bpf"}, {"config", {{"object", utility::conversions::to_base64(bytes)}}}});
    EXPECT_EQ(from_object.status, 201) << from_object.text.substr(0, 500);
    EXPECT_EQ(hoverd_.call("GET", "/modules/").body.size(), 2u) << "rejected modules leave nothing behind";
}

TEST_F(HoverdRest, StateSurvivesARestart) {
    createSwitch("sw");
    hoverd_.call("POST", "/modules/", {{"module_type", "router"}, {"display_name", "r"}});
    auto link = hoverd_.call("POST", "/links/", {{"from", "m:sw"}, {"to", "m:r"}});
    ASSERT_EQ(link.status, 201);
    ASSERT_EQ(hoverd_.call("PUT", "/modules/sw/tables/arp_responder/entries/10.0.0.9", {{"mac", "02:00:00:00:00:09"}, {"port", 0}}).status, 200);
    const json modules = hoverd_.call("GET", "/modules/").body, links = hoverd_.call("GET", "/links/").body;

    ASSERT_TRUE(hoverd_.restart()) << hoverd_.error();
    EXPECT_EQ(hoverd_.call("GET", "/modules/").body, modules);
    EXPECT_EQ(hoverd_.call("GET", "/links/").body, links);
    EXPECT_EQ(hoverd_.call("GET", "/modules/sw/tables/arp_responder/entries/10.0.0.9").body["value"]["mac"],
              "02:00:00:00:00:09");
    // New objects get new ids, not reused ones.
    auto third = hoverd_.call("POST", "/modules/", {{"module_type", "nat"}});
    EXPECT_GT(third.body["id"].get<int>(), modules.back()["id"].get<int>());
}

// Writes through hoverd renew the generation a router's FIB cache checks.
TEST_F(HoverdRest, TableWritesRenewTheConfigGeneration) {
    ASSERT_EQ(hoverd_.call("POST", "/modules/", {{"module_type", "router"}, {"display_name", "r"}}).status, 201);
    auto generation = [&] { return hoverd_.call("GET", "/modules/r/tables/iov_config_gen/entries/0").body["value"]; };
    const json before = generation();
    ASSERT_EQ(hoverd_.call("PUT", "/modules/r/tables/neighbors/entries/10.0.0.9",
                           {{"mac", "02:00:00:00:00:09"}, {"flags", 0}}).status, 200);
    const json after_write = generation();
    EXPECT_NE(after_write, before);
    EXPECT_EQ(hoverd_.call("DELETE", "/modules/r/tables/neighbors/entries/10.0.0.9").status, 204);
    EXPECT_NE(generation(), after_write);
}

// The verifier runs outside hoverd's lock: /health and reads answer while a
// batch of modules loads (the first router of the hook is verified, the
// others are made), and a name being loaded is already taken.
TEST_F(HoverdRest, ReadsAnswerWhileModulesLoad) {
    constexpr int kRouters = 400;
    json batch = json::array();
    for (int i = 0; i < kRouters; ++i)
        batch.push_back({{"module_type", "router"}, {"display_name", "r" + std::to_string(i)}});
    std::atomic<bool> loading{true};
    std::thread load([&] {
        auto created = hoverd_.call("POST", "/modules/", batch);
        EXPECT_EQ(created.status, 201) << created.text.substr(0, 300);
        loading = false;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    int answered_while_loading = 0;
    bool taken_checked = false;
    while (loading) {
        auto health = hoverd_.call("GET", "/health");
        EXPECT_EQ(health.status, 200);
        if (!loading) break;
        ++answered_while_loading;
        if (!taken_checked) {
            expectError(hoverd_.call("POST", "/modules/", {{"module_type", "l2switch"}, {"display_name", "r7"}}), 409,
                        "r7");
            taken_checked = true;
        }
    }
    load.join();
    EXPECT_GT(answered_while_loading, 0) << "every /health waited for the whole batch";
    EXPECT_TRUE(taken_checked);
    EXPECT_EQ(hoverd_.call("GET", "/modules/").body.size(), size_t{kRouters});
}

// A trace runs the programs but changes no configuration: clients watching
// the generation (iovisor-ovnd) must not reload everything after one.
TEST_F(HoverdRest, TraceIsNotAConfigurationChange) {
    createSwitch("sw");
    const std::string before = hoverd_.call("GET", "/health").body["generation"];
    const std::string frame = "ffffffffffff020000000001" "0800" + std::string(92, '0');  // broadcast, IPv4 type
    auto traced = hoverd_.call("POST", "/trace", {{"from", "m:sw:0"}, {"packet", frame}});
    ASSERT_EQ(traced.status, 200) << traced.text;
    EXPECT_TRUE(traced.body["verdict"] == "drop" || traced.body["verdict"] == "pass" ||
                traced.body["verdict"] == "redirect") << traced.text;
    EXPECT_EQ(hoverd_.call("GET", "/health").body["generation"], before);
    createSwitch("sw2");
    EXPECT_NE(hoverd_.call("GET", "/health").body["generation"], before) << "a real change moves it";
}

TEST_F(HoverdRest, BatchesAreAllOrNothing) {
    // Modules: a list is created in one request, loaded in parallel.
    json batch = json::array();
    for (int i = 0; i < 6; ++i)
        batch.push_back({{"module_type", i % 2 ? "router" : "l2switch"}, {"display_name", "b" + std::to_string(i)}});
    auto created = hoverd_.call("POST", "/modules/", batch);
    ASSERT_EQ(created.status, 201) << created.text;
    ASSERT_EQ(created.body.size(), 6u);
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(created.body[i]["display_name"], "b" + std::to_string(i)) << "replies in request order";
        EXPECT_EQ(hoverd_.call("GET", "/modules/b" + std::to_string(i)).body["module_type"], i % 2 ? "router" : "l2switch");
    }
    // One bad item: nothing of the batch lands, and the error names the item.
    const size_t modules_before = hoverd_.call("GET", "/modules/").body.size();
    expectError(hoverd_.call("POST", "/modules/", json::array({{{"module_type", "l2switch"}, {"display_name", "ok1"}},
                                                               {{"module_type", "teleporter"}, {"display_name", "bad"}}})),
                400, "module 1");
    expectError(hoverd_.call("POST", "/modules/", json::array({{{"module_type", "l2switch"}, {"display_name", "dup"}},
                                                               {{"module_type", "router"}, {"display_name", "dup"}}})),
                409, "given twice");
    expectError(hoverd_.call("POST", "/modules/", json::array({{{"module_type", "l2switch"}, {"display_name", "b0"}}})),
                409, "exists");
    EXPECT_EQ(hoverd_.call("GET", "/modules/").body.size(), modules_before);
    expectError(hoverd_.call("GET", "/modules/ok1"), 404, "no module");

    // Links: same contract; ports are allocated in order within the batch.
    auto links = hoverd_.call("POST", "/links/", json::array({{{"from", "m:b0"}, {"to", "m:b1"}},
                                                              {{"from", "m:b0"}, {"to", "m:b3"}}}));
    ASSERT_EQ(links.status, 201) << links.text;
    ASSERT_EQ(links.body.size(), 2u);
    EXPECT_EQ(links.body[0]["from_port"], 0);
    EXPECT_EQ(links.body[1]["from_port"], 1);
    expectError(hoverd_.call("POST", "/links/", json::array({{{"from", "m:b2"}, {"to", "m:b5"}},
                                                             {{"from", "m:b2"}, {"to", "m:ghost"}}})),
                404, "link 1");
    expectError(hoverd_.call("POST", "/links/", json::array({{{"from", "m:b2"}}})), 400, "link 0");
    EXPECT_EQ(hoverd_.call("GET", "/links/").body.size(), 2u) << "the failed batch's first link was undone";
    EXPECT_EQ(hoverd_.call("GET", "/modules/b2").body["ports"].size(), 0u);
}

TEST_F(HoverdRest, DeletingLeavesNoKernelObjects) {
    auto count_progs = [] {
        int n = 0;
        for (__u32 id = 0; bpf_prog_get_next_id(id, &id) == 0;) ++n;
        return n;
    };
    auto count_maps = [] {
        int n = 0;
        for (__u32 id = 0; bpf_map_get_next_id(id, &id) == 0;) ++n;
        return n;
    };
    // Programs are freed by an RCU grace period after their last reference goes.
    auto settled = [&](int progs, int maps) {
        for (int i = 0; i < 100 && (count_progs() != progs || count_maps() != maps); ++i) usleep(20000);
        return count_progs() == progs && count_maps() == maps;
    };
    // The first switch creates the maps every switch of the hook shares (they
    // stay pinned with the hook): one comes and goes before the count.
    createSwitch("first");
    ASSERT_EQ(hoverd_.call("DELETE", "/modules/first").status, 204);
    // Objects of earlier tests may still be on their way out: start from a
    // steady count.
    for (int i = 0, last = -1; i < 30 && count_progs() + count_maps() != last; ++i) {
        last = count_progs() + count_maps();
        usleep(100000);
    }
    const int progs = count_progs(), maps = count_maps();
    const std::string pins = hoverd_.pinRoot() + "/m" + std::to_string(createSwitch("tmp")["id"].get<int>());
    EXPECT_TRUE(std::filesystem::exists(pins + "/prog_chain"));
    EXPECT_EQ(count_progs(), progs) << "a switch runs its type's program: it loads none of its own";
    EXPECT_EQ(count_maps(), maps) << "a TC switch's tables are rows of the hook's maps";
    auto veth = testsupport::shell("ip link add iovt" + std::to_string(getpid() % 10000) + "q type veth peer name iovt" +
                                   std::to_string(getpid() % 10000) + "r");
    ASSERT_EQ(veth.exit_code, 0) << veth.output;
    const std::string ifname = "iovt" + std::to_string(getpid() % 10000) + "q";
    auto link = hoverd_.call("POST", "/links/", {{"from", "m:tmp"}, {"to", "i:" + ifname}});
    ASSERT_EQ(link.status, 201) << link.text;
    EXPECT_NE(testsupport::shell("tc qdisc show dev " + ifname).output.find("clsact"), std::string::npos);
    EXPECT_EQ(hoverd_.call("DELETE", "/links/" + std::to_string(link.body["id"].get<int>())).status, 204);
    EXPECT_EQ(testsupport::shell("tc qdisc show dev " + ifname).output.find("clsact"), std::string::npos)
        << "the clsact qdisc hoverd added is gone";
    EXPECT_EQ(hoverd_.call("DELETE", "/modules/tmp").status, 204);
    EXPECT_FALSE(std::filesystem::exists(pins)) << "the module's pins are gone";
    testsupport::run({"ip", "link", "del", ifname});
    EXPECT_TRUE(settled(progs, maps)) << "programs " << count_progs() << " (was " << progs << "), maps " << count_maps()
                                      << " (was " << maps << ")";
}

// A table that is full is a limit, not a fault: 507 naming the table and
// its size, and nothing of the request stays written (issue 18).
TEST_F(HoverdRest, FullTableIs507AndNothingOfTheRequestLands) {
    const std::string tiny = testsupport::hashModuleSource("tiny", 4);
    ASSERT_EQ(hoverd_.call("POST", "/modules/", {{"module_type", "bpf"}, {"display_name", "t"}, {"config", {{"source", tiny}}}})
                  .status, 201);
    json two = json::array(), six = json::array();
    for (int i = 1; i <= 6; ++i) (i <= 2 ? two : six).push_back({{"key_hex", "0" + std::to_string(i) + "000000"}, {"value_hex", "01000000"}});
    ASSERT_EQ(hoverd_.call("PATCH", "/modules/t/tables/", json::array({{{"table", "tiny"}, {"op", "put"}, {"entries", two}}})).status, 204);
    expectError(hoverd_.call("PATCH", "/modules/t/tables/", json::array({{{"table", "tiny"}, {"op", "put"}, {"entries", six}}})),
                507, "table tiny is full (4 entries");
    EXPECT_EQ(hoverd_.call("GET", "/modules/t/tables/tiny/entries/?format=hex").body.size(), 2u)
        << "the two written before stay, none of the failed request's four";
    // The same through the JSON entry routes: a list, then single entries
    // once the table is full.
    json three = json::array();
    for (int k = 10; k < 13; ++k) three.push_back({{"key", k}, {"value", 1}});
    expectError(hoverd_.call("POST", "/modules/t/tables/tiny/entries/", three), 507, "table tiny is full (4 entries");
    EXPECT_EQ(hoverd_.call("GET", "/modules/t/tables/tiny/entries/").body.size(), 2u) << "none of the list's three";
    ASSERT_EQ(hoverd_.call("POST", "/modules/t/tables/tiny/entries/", json::array({{{"key", 3}, {"value", 1}}, {{"key", 4}, {"value", 1}}}))
                  .status, 200);
    expectError(hoverd_.call("POST", "/modules/t/tables/tiny/entries/", {{"key", 5}, {"value", 1}}), 507,
                "table tiny is full (4 entries");
    expectError(hoverd_.call("PUT", "/modules/t/tables/tiny/entries/5", json(1)), 507, "table tiny is full (4 entries");
    EXPECT_EQ(hoverd_.call("PUT", "/modules/t/tables/tiny/entries/4", json(7)).status, 200) << "replacing still works";
    EXPECT_EQ(hoverd_.call("GET", "/modules/t/tables/tiny/entries/").body.size(), 4u);
}

// The module count: 4,095 instances a hoverd (one chain slot each). A batch
// that would pass the limit is refused whole; room freed is room again.
TEST_F(HoverdRest, ModuleLimitIs507AndABatchPastItLandsNothing) {
    auto batch = [](const std::string &prefix, int count) {
        json modules = json::array();
        for (int i = 0; i < count; ++i) modules.push_back({{"module_type", "l2switch"}, {"display_name", prefix + std::to_string(i)}});
        return modules;
    };
    const int limit = IOV_MAX_MODULES - 1;
    ASSERT_EQ(hoverd_.call("POST", "/modules/", batch("a", limit - 10)).status, 201);
    expectError(hoverd_.call("POST", "/modules/", batch("b", 11)), 507, "module limit reached: 4095 modules");
    EXPECT_EQ(hoverd_.call("GET", "/modules/").body.size(), size_t(limit - 10)) << "none of the refused batch";
    ASSERT_EQ(hoverd_.call("POST", "/modules/", batch("c", 10)).status, 201);
    expectError(hoverd_.call("POST", "/modules/", {{"module_type", "l2switch"}, {"display_name", "one-more"}}), 507,
                "module limit reached");
    ASSERT_EQ(hoverd_.call("DELETE", "/modules/a0").status, 204);
    EXPECT_EQ(hoverd_.call("POST", "/modules/", {{"module_type", "l2switch"}, {"display_name", "one-more"}}).status, 201);
}

}  // namespace
