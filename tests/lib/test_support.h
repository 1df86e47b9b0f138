// Helpers shared by the test suites: preconditions that fail loudly (never
// skip), commands run as child processes, and throw-away OVSDB servers.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "iovisor/process.h"

namespace testsupport {

using iovisor::CommandResult;

// Runs argv[0] (looked up in PATH) and waits for it.
inline CommandResult run(const std::vector<std::string> &argv) { return iovisor::runCommand(argv); }
// Runs a shell command line (for pipelines in tests).
CommandResult shell(const std::string &command_line);

// Absolute path of `tool` in PATH (plus /usr/sbin, /sbin), or "" if absent.
std::string findTool(const std::string &tool);

// A fresh directory under $TMPDIR, removed (recursively) by the destructor.
class TempDir {
public:
    explicit TempDir(const std::string &prefix = "iovisor-test");
    ~TempDir();
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    const std::string &path() const { return path_; }

private:
    std::string path_;
};

// An ovsdb-server on a fresh database file, listening on a unix socket in its
// own temp dir; stopped by PID (from its pidfile) in the destructor.
class OvsdbServer {
public:
    // `schema` is the path of an .ovsschema file.
    explicit OvsdbServer(const std::string &schema);
    ~OvsdbServer();
    OvsdbServer(const OvsdbServer &) = delete;
    OvsdbServer &operator=(const OvsdbServer &) = delete;

    bool started() const { return pid_ > 0; }
    const std::string &error() const { return error_; }
    std::string remote() const { return "unix:" + socket_; }
    pid_t pid() const { return pid_; }

private:
    TempDir dir_;
    std::string socket_;
    std::string error_;
    pid_t pid_ = -1;
};

// Fuzzers: how many inputs (FUZZ_COUNT, else `fallback`: what CI runs) and
// the seed (FUZZ_SEED, else 1): a failure is replayed with the same seed.
uint64_t fuzzCount(uint64_t fallback);
uint32_t fuzzSeed();

// Reads a pidfile; -1 if missing or malformed.
pid_t readPidfile(const std::string &path);
// SIGTERM, then SIGKILL after `grace_ms`; waits until the process is gone.
void stopPid(pid_t pid, int grace_ms = 2000);

}  // namespace testsupport

// Preconditions: a test that cannot run fails with a message saying why and
// how to fix it. Use as the first statement of a test or SetUp().
#define REQUIRE_ROOT()                                                                     \
    do {                                                                                   \
        if (geteuid() != 0) GTEST_FAIL() << "this test needs root (CAP_BPF, CAP_NET_ADMIN): " \
                                            "run it as root, e.g. sudo ctest";             \
    } while (0)

#define REQUIRE_TOOL(tool, package)                                                       \
    do {                                                                                  \
        if (testsupport::findTool(tool).empty())                                          \
            GTEST_FAIL() << "this test needs '" << (tool) << "': apt-get install " << (package) \
                         << " (or run scripts/install-deps.sh)";                          \
    } while (0)
