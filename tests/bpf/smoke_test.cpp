// Loads the smoke program through its skeleton and runs it with
// BPF_PROG_TEST_RUN: an IPv4 frame passes and is counted, an ARP frame drops.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "smoke.skel.h"
#include "test_support.h"

namespace {

struct SkelDeleter {
    void operator()(smoke *s) const { smoke::destroy(s); }
};

std::vector<uint8_t> frame(uint16_t ethertype) {
    std::vector<uint8_t> f(64, 0);
    f[12] = ethertype >> 8;
    f[13] = ethertype & 0xff;
    return f;
}

int testRun(int prog_fd, std::vector<uint8_t> data, uint32_t *retval) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data.data(), .data_size_in = (uint32_t)data.size(),
                .repeat = 1);
    int err = bpf_prog_test_run_opts(prog_fd, &opts);
    *retval = opts.retval;
    return err;
}

TEST(BpfSmoke, LoadsAndRunsWithTestRun) {
    REQUIRE_ROOT();
    std::unique_ptr<smoke, SkelDeleter> skel(smoke::open_and_load());
    ASSERT_TRUE(skel) << "loading smoke.bpf.o failed: " << strerror(errno);
    const int prog_fd = bpf_program__fd(skel->progs.smoke);

    uint32_t retval = 0;
    ASSERT_EQ(testRun(prog_fd, frame(0x0800), &retval), 0) << strerror(errno);
    EXPECT_EQ(retval, 0u) << "IPv4 must pass (TC_ACT_OK)";
    ASSERT_EQ(testRun(prog_fd, frame(0x0806), &retval), 0) << strerror(errno);
    EXPECT_EQ(retval, 2u) << "ARP must drop (TC_ACT_SHOT)";

    uint32_t key = 0;
    uint64_t count = 0;
    ASSERT_EQ(bpf_map_lookup_elem(bpf_map__fd(skel->maps.ipv4_frames), &key, &count), 0);
    EXPECT_EQ(count, 1u) << "exactly one IPv4 frame was run";
}

}  // namespace
