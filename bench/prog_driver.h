// What the BPF_PROG_TEST_RUN benchmarks share: the driver that runs a
// program behind driver.bpf.c (restoring the frame each round, its own cost
// measured to be subtracted), best-of-3 runs and the report row.
#pragma once

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "driver.skel.h"
#include "hover/module.h"
#include "lib/abi.h"
#include "packet.h"

namespace bench {

using testsupport::Bytes;

inline void must(const iovisor::Status &s) {
    if (!s.ok()) {
        std::fprintf(stderr, "setup failed: %s\n", s.error().message.c_str());
        std::exit(1);
    }
}

// Runs `target_fd` (or nothing, if -1) behind the driver; returns ns/round.
class Driver {
public:
    Driver() : skel_(driver::open_and_load()) {
        if (!skel_) {
            std::fprintf(stderr, "cannot load the bench driver: %s\n", std::strerror(errno));
            std::exit(1);
        }
    }
    ~Driver() { driver::destroy(skel_); }

    // `ifindex`: the netdev the frame arrives on (for netdev entries).
    double run(int target_fd, const Bytes &frame, uint32_t module, uint32_t in_port, int repeat,
               uint32_t ifindex = 0) {
        uint32_t zero = 0;
        bench_round round{};
        if (frame.size() != sizeof(round.frame)) {
            std::fprintf(stderr, "bench frames must be %zu bytes\n", sizeof(round.frame));
            std::exit(1);
        }
        std::memcpy(round.frame, frame.data(), frame.size());
        iov_md md{};
        md.module = module;
        md.in_port = in_port;
        std::memcpy(round.cb, &md, sizeof(md));
        bpf_map_update_elem(bpf_map__fd(skel_->maps.bench_round), &zero, &round, BPF_ANY);
        const int targets = bpf_map__fd(skel_->maps.bench_target);
        if (target_fd < 0) bpf_map_delete_elem(targets, &zero);
        else bpf_map_update_elem(targets, &zero, &target_fd, BPF_ANY);

        Bytes in = frame, out(frame.size() + 128);
        __sk_buff ctx{};
        ctx.ifindex = ifindex;
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_out = out.data(),
                    .data_size_in = (uint32_t)in.size(), .data_size_out = (uint32_t)out.size(), .ctx_in = &ctx,
                    .ctx_size_in = sizeof(ctx), .repeat = repeat);
        if (bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.bench_driver), &opts) != 0) {
            std::fprintf(stderr, "test run failed: %s\n", std::strerror(errno));
            std::exit(1);
        }
        return opts.duration;  // average ns per round
    }

private:
    struct bench_round {  // struct bench_round of driver.bpf.c
        uint8_t frame[60];
        uint32_t cb[5];
    };
    driver *skel_;
};

// Best of 3 to damp noise from the other core.
inline double best(const std::function<double()> &run) {
    double b = run();
    for (int i = 0; i < 2; ++i) b = std::min(b, run());
    return b;
}

inline void row(const char *name, double ns, double base, double target) {
    const double ratio = ns / base;
    std::printf("  %-42s %8.1f ns  %5.2fx", name, ns, ratio);
    if (target > 0) std::printf("   target <= %.1fx %s", target, ratio <= target ? "ok" : "MISSED");
    std::printf("\n");
}

}  // namespace bench
