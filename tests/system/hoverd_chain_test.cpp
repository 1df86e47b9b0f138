// A switch -> router -> switch chain between two namespaces built through
// hoverd's REST API alone, then hoverd restarted under a 10 ms ping: no
// packet may be lost, and the API must show the same state afterwards.
#include <thread>

#include "hoverd_process.h"
#include "netns.h"

namespace {

using nlohmann::json;
using testsupport::HoverdProcess;
using testsupport::TestHost;
using testsupport::uniqueName;

const char *kR0 = "02:00:00:00:aa:00", *kR1 = "02:00:00:00:aa:01";
const char *kH1 = "02:00:00:00:00:01", *kH2 = "02:00:00:00:00:02";

class HoverdChain : public ::testing::Test {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_TOOL("ping", "iputils-ping");
        ASSERT_TRUE(hoverd_.start()) << hoverd_.error();
        h1_ = std::make_unique<TestHost>(uniqueName("c"), kH1, "10.0.0.1/24");
        h2_ = std::make_unique<TestHost>(uniqueName("d"), kH2, "10.0.1.2/24");
        ASSERT_TRUE(h1_->ok() && h2_->ok()) << h1_->error() << h2_->error();
        ASSERT_EQ(h1_->exec("ip route add default via 10.0.0.254").exit_code, 0);
        ASSERT_EQ(h2_->exec("ip route add default via 10.0.1.254").exit_code, 0);

        post("/modules/", {{"module_type", "l2switch"}, {"display_name", "sw1"}});
        post("/modules/", {{"module_type", "l2switch"}, {"display_name", "sw2"}});
        post("/modules/", {{"module_type", "router"}, {"display_name", "r"}});
        post("/links/", {{"from", "m:sw1:0"}, {"to", "i:" + h1_->hostIfname()}});
        post("/links/", {{"from", "m:sw1:1"}, {"to", "m:r:0"}});
        post("/links/", {{"from", "m:sw2:0"}, {"to", "i:" + h2_->hostIfname()}});
        post("/links/", {{"from", "m:sw2:1"}, {"to", "m:r:1"}});
        configureSwitch("sw1", kH1, kR0, "10.0.0.254");
        configureSwitch("sw2", kH2, kR1, "10.0.1.254");
        configureRouterPort(0, kR0, "10.0.0.254", "10.0.0.0");
        configureRouterPort(1, kR1, "10.0.1.254", "10.0.1.0");
    }

    void post(const std::string &path, const json &body) {
        auto r = hoverd_.call("POST", path, body);
        ASSERT_EQ(r.status, 201) << path << ": " << r.text;
    }
    void put(const std::string &path, const json &value) {
        auto r = hoverd_.call("PUT", path, value);
        ASSERT_EQ(r.status, 200) << path << ": " << r.text;
    }
    std::string entry(const std::string &module, const std::string &table, const json &key) {
        return "/modules/" + module + "/tables/" + table + "/entries/" + testsupport::urlEncode(key.dump());
    }

    // Port 0: the host, port 1: the router.
    void configureSwitch(const std::string &sw, const char *host_mac, const char *router_mac, const char *router_ip) {
        for (int port : {0, 1}) put(entry(sw, "ports", port), {{"flags", 1}});
        put(entry(sw, "fdb", {{"mac", host_mac}}), {{"port", 0}});
        put(entry(sw, "fdb", {{"mac", router_mac}}), {{"port", 1}});
        put(entry(sw, "arp_responder", router_ip), {{"mac", router_mac}, {"port", 1}});
    }

    void configureRouterPort(int port, const char *mac, const char *ip, const char *network) {
        put(entry("r", "ports", port), {{"mac", mac}, {"flags", 1}, {"ip", ip}});
        put(entry("r", "addrs", ip), {{"port", port}});
        put(entry("r", "routes", {{"prefixlen", 24}, {"addr", network}}),
            {{"type", 0}, {"port", port}, {"nexthop", "0.0.0.0"}, {"src", ip}});
    }

    // Packets module `m` received on `port`.
    uint64_t rxPackets(const std::string &m, int port) {
        const json stats = hoverd_.call("GET", "/modules/" + m + "/stats").body;
        for (const auto &p : stats["ports"])
            if (p["port"] == port) return p["rx_packets"].get<uint64_t>();
        return 0;
    }

    HoverdProcess hoverd_;
    std::unique_ptr<TestHost> h1_, h2_;
};

// A broadcast on a switch with several router peers reaches every one of
// them, as in OVN (a tail call reaches one; the others get recirculated
// copies), and the hosts still get theirs.
TEST_F(HoverdChain, AFloodReachesEveryModulePeer) {
    for (const char *r : {"r2", "r3"}) {
        post("/modules/", {{"module_type", "router"}, {"display_name", r}});
        put(entry(r, "ports", 0), {{"mac", "02:00:00:00:ee:00"}, {"flags", 1}, {"ip", "10.0.0.200"}});
    }
    post("/links/", {{"from", "m:sw1:2"}, {"to", "m:r2:0"}});
    post("/links/", {{"from", "m:sw1:3"}, {"to", "m:r3:0"}});
    for (int port : {2, 3}) put(entry("sw1", "ports", port), {{"flags", 1}});
    const uint64_t before[] = {rxPackets("r", 0), rxPackets("r2", 0), rxPackets("r3", 0)};
    // ARP requests for an address nobody answers: broadcasts, flooded.
    h1_->exec("ping -c 2 -W 1 10.0.0.99");
    EXPECT_GE(rxPackets("r", 0), before[0] + 2);
    EXPECT_GE(rxPackets("r2", 0), before[1] + 2) << "second router peer";
    EXPECT_GE(rxPackets("r3", 0), before[2] + 2) << "third router peer";
    const json drops = hoverd_.call("GET", "/modules/sw1/stats").body["drops"];
    EXPECT_FALSE(drops.contains("FLOOD_PEER_LIMIT")) << drops.dump();
    EXPECT_TRUE(h1_->ping("10.0.1.2")) << "unicast through the chain unchanged";
}

TEST_F(HoverdChain, TrafficFlowsAndSurvivesARestart) {
    ASSERT_TRUE(h1_->ping("10.0.1.2")) << "no traffic through the chain built over REST";
    // Established: replayed by the flow cache from h1's netdev through
    // sw1, r and sw2 to h2's, as GET /flows shows.
    ASSERT_EQ(h1_->exec("ping -q -i 0.05 -c 10 10.0.1.2").exit_code, 0);
    const json caches = hoverd_.call("GET", "/flows").body;
    ASSERT_TRUE(caches.is_array() && caches.size() == 1) << "tc only (no xdp module): " << caches.dump();
    EXPECT_EQ(caches[0]["hook"], "tc");
    EXPECT_GE(caches[0]["replayed"].get<uint64_t>(), 8u) << caches.dump(2);
    bool seen = false;
    for (const auto &f : caches[0]["flows"])
        if (f["in"] == h1_->hostIfname() && f["out"] == h2_->hostIfname() && f["match"]["ip4.dst"] == "10.0.1.2" &&
            f["modules"].size() == 3 && f["leaves_as"]["eth.dst"] == kH2 && f["ttl_decrement"] == 1)
            seen = true;
    EXPECT_TRUE(seen) << "no h1 -> h2 flow through sw1, r, sw2 in " << caches.dump(2);
    const json modules = hoverd_.call("GET", "/modules/").body, links = hoverd_.call("GET", "/links/").body;
    const json fdb = hoverd_.call("GET", "/modules/sw1/tables/fdb/entries/").body;

    // 10 ms ping across the chain while hoverd restarts.
    testsupport::CommandResult ping;
    std::thread pinger([&] { ping = h1_->exec("ping -q -i 0.01 -c 300 -W 1 10.0.1.2"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    const bool restarted = hoverd_.restart();
    pinger.join();
    ASSERT_TRUE(restarted) << hoverd_.error();
    EXPECT_NE(ping.output.find(" 0% packet loss"), std::string::npos) << "packets lost during the restart:\n"
                                                                      << ping.output;
    EXPECT_EQ(hoverd_.call("GET", "/modules/").body, modules);
    EXPECT_EQ(hoverd_.call("GET", "/links/").body, links);
    EXPECT_EQ(hoverd_.call("GET", "/modules/sw1/tables/fdb/entries/").body, fdb);
    // Still programmable after the restart: cut host2 off at its switch.
    ASSERT_EQ(hoverd_.call("PUT", entry("sw2", "ports", 0), {{"flags", 0}}).status, 200);
    EXPECT_FALSE(h1_->ping("10.0.1.2", 2));
    auto stats = hoverd_.call("GET", "/modules/sw2/stats");
    EXPECT_GT(stats.body["drops"].value("PORT_DISABLED", 0), 0) << stats.text;
}

}  // namespace
