// hoverd's connection tables over REST against a real daemon: one per hook
// for the whole host, sized and timed by configuration, fill and
// connections visible.
#include <bpf/bpf.h>
#include <unistd.h>

#include <filesystem>

#include "hoverd_process.h"
#include "lib/tables.h"

namespace {

using nlohmann::json;
using testsupport::HoverdProcess;

// One connection table per hook for the whole host, sized by configuration,
// its fill level visible; a restart may not silently resize it.
TEST(HoverdConntrack, SizedByConfigurationAndItsFillVisible) {
    REQUIRE_ROOT();
    HoverdProcess hoverd;
    hoverd.addArgs({"--conntrack-entries", "4096", "--ct-timeout", "udp=7", "--ct-timeout", "tcp_established=3600"});
    ASSERT_TRUE(hoverd.start()) << hoverd.error();
    {  // the datapath reads its timeouts from the hook's iov_ct_timeouts
        const int fd = bpf_obj_get((hoverd.pinRoot() + "/tc/iov_ct_timeouts").c_str());
        ASSERT_GE(fd, 0);
        iov_ct_timeouts t{};
        const uint32_t zero = 0;
        ASSERT_EQ(bpf_map_lookup_elem(fd, &zero, &t), 0);
        close(fd);
        EXPECT_EQ(t.udp, 7u);
        EXPECT_EQ(t.tcp_established, 3600u);
        EXPECT_EQ(t.tcp_close, 0u) << "0: Linux's default";
    }
    auto r = hoverd.call("GET", "/conntrack");
    ASSERT_EQ(r.status, 200) << r.text;
    ASSERT_EQ(r.body.size(), 1u) << "tc only: the xdp hook's shared maps come with its first module";
    EXPECT_FALSE(std::filesystem::exists(hoverd.pinRoot() + "/xdp"));
    // Two nat instances add no table of their own: still one pinned per hook.
    ASSERT_EQ(hoverd.call("POST", "/modules/", json::array({{{"module_type", "nat"}}, {{"module_type", "nat"}},
                                                           {{"module_type", "nat"}, {"config", {{"attach", "xdp"}}}}}))
                  .status,
              201);
    EXPECT_EQ(hoverd.call("GET", "/modules/1/tables/iov_conntrack").status, 404) << "not a module's own table";
    EXPECT_TRUE(std::filesystem::exists(hoverd.pinRoot() + "/tc/iov_conntrack"));
    EXPECT_TRUE(std::filesystem::exists(hoverd.pinRoot() + "/xdp/iov_conntrack"));
    r = hoverd.call("GET", "/conntrack");
    ASSERT_EQ(r.body.size(), 2u) << "tc and xdp: " << r.text;
    for (const auto &hook : r.body) {
        EXPECT_EQ(hook["max_entries"], 4096);
        EXPECT_EQ(hook["entries"], 0);
        EXPECT_EQ(hook["fill_percent"], 0);
    }
    r = hoverd.call("GET", "/conntrack/connections?limit=10");
    ASSERT_EQ(r.status, 200) << r.text;
    ASSERT_EQ(r.body.size(), 2u);
    EXPECT_EQ(r.body[0]["total"], 0);
    EXPECT_TRUE(r.body[0]["connections"].empty());
    r = hoverd.call("GET", "/conntrack/connections?limit=ten");
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.text.find("limit=N"), std::string::npos) << r.text;
    hoverd.stop();
    hoverd.addArgs({"--conntrack-entries", "8192"});
    EXPECT_FALSE(hoverd.start());
    EXPECT_NE(hoverd.error().find("--conntrack-entries 4096"), std::string::npos) << hoverd.error();
}

// A connection table pinned by another version (its key was 16 bytes before
// IPv6) is refused by name, with what to do, and left untouched.
TEST(HoverdConntrack, ATablePinnedByAnotherVersionIsRefused) {
    REQUIRE_ROOT();
    HoverdProcess hoverd;
    std::filesystem::create_directories(hoverd.pinRoot() + "/tc");
    const int old = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "iov_conntrack", 16, 16, 1024, nullptr);
    ASSERT_GE(old, 0);
    const std::string pin = hoverd.pinRoot() + "/tc/iov_conntrack";
    ASSERT_EQ(bpf_obj_pin(old, pin.c_str()), 0);
    close(old);
    hoverd.addArgs({"--conntrack-entries", "1024"});
    EXPECT_FALSE(hoverd.start());
    EXPECT_NE(hoverd.error().find("was pinned by another version (16-byte keys"), std::string::npos) << hoverd.error();
    EXPECT_NE(hoverd.error().find("remove the pins"), std::string::npos) << hoverd.error();
    EXPECT_TRUE(std::filesystem::exists(pin)) << "nothing removed behind the operator's back";
    std::filesystem::remove(pin);
}

TEST(HoverdConntrack, BadSizesAreRefused) {
    auto r = testsupport::shell(std::string(HOVERD_BINARY) + " --conntrack-entries 12x 2>&1");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("--conntrack-entries takes a whole number from 1024"), std::string::npos) << r.output;
    r = testsupport::shell(std::string(HOVERD_BINARY) + " --ct-timeout tcp_estab=5 2>&1");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("STATE one of tcp_syn_sent"), std::string::npos) << r.output;
    r = testsupport::shell(std::string(HOVERD_BINARY) + " --ct-timeout udp=0 2>&1");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("--ct-timeout udp takes a whole number from 1"), std::string::npos) << r.output;
}

}  // namespace
