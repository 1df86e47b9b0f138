// The packet fuzzer's frames: valid seeds per place a frame can enter the
// test topology (packet_fuzz_test.cpp), each cut at every length, then
// seeded mutations of them (bytes and header fields set to edge values,
// truncations, extensions, spoofed sources, random bytes); and the report
// of what became of them.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "module_harness.h"
#include "packet.h"

namespace bpftest {

using testsupport::Bytes;
using testsupport::Mac;

// h1-h4: hosts on the switches; r0-r2: the router's ports; gw: the gateway.
inline const Mac kH1 = testsupport::mac("02:00:00:00:00:01"), kH2 = testsupport::mac("02:00:00:00:00:02"),
                 kH3 = testsupport::mac("02:00:00:00:00:03"), kH4 = testsupport::mac("02:00:00:00:00:04");
inline const Mac kR0 = testsupport::mac("02:00:00:00:aa:00"), kR1 = testsupport::mac("02:00:00:00:aa:01"),
                 kR2 = testsupport::mac("02:00:00:00:aa:02"), kGw = testsupport::mac("02:00:00:00:00:fe");

// Where frames enter: a netdev port of a module (through the shared entry)
// or a module port (as if a peer module sent them).
struct Ingress {
    std::string name;
    uint32_t module, port;
    bool module_port = false;  // run the module's chain entry, not the netdev entry
    bool secured = false;      // the port-secured port: what leaves it is checked
    std::vector<Bytes> seeds;
};

std::vector<Ingress> fuzzIngresses();
// Every seed of every ingress cut at every length below its own.
std::vector<std::pair<const Ingress *, Bytes>> truncations(const std::vector<Ingress> &ingresses);
// A seed of `in` with one to three mutations.
Bytes mutatedFrame(std::mt19937 &rng, const Ingress &in);

// Frames by ingress and verdict, and the first failures with their bytes.
class FuzzReport {
public:
    void count(const Ingress &in, uint32_t verdict) { ++verdicts_[in.name][verdict]; }
    // A failure (`what` empty: nothing failed).
    void note(const std::string &what, const Ingress &in, const Bytes &frame, const RunResult &r);
    size_t failures() const { return failures_; }
    std::string firstFailures() const { return first_; }
    void print(const std::string &hook, uint64_t frames, uint32_t seed) const;
    uint64_t refused = 0;  // frames the kernel's test run does not take (TC, too short)

private:
    std::map<std::string, std::map<uint32_t, uint64_t>> verdicts_;
    size_t failures_ = 0;
    std::string first_;
};

}  // namespace bpftest
