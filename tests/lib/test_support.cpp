#include "test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace testsupport {

namespace fs = std::filesystem;

CommandResult shell(const std::string &command_line) { return run({"/bin/sh", "-c", command_line}); }

std::string findTool(const std::string &tool) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/sbin:/sbin:/usr/local/sbin";
    size_t start = 0;
    while (start <= path.size()) {
        const size_t end = path.find(':', start);
        const std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!dir.empty()) {
            const std::string candidate = dir + "/" + tool;
            if (access(candidate.c_str(), X_OK) == 0) return candidate;
        }
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return "";
}

TempDir::TempDir(const std::string &prefix) {
    std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data())) path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
}

uint64_t fuzzCount(uint64_t fallback) {
    const char *count = getenv("FUZZ_COUNT");
    return count && *count ? std::strtoull(count, nullptr, 10) : fallback;
}

uint32_t fuzzSeed() {
    const char *seed = getenv("FUZZ_SEED");
    return seed && *seed ? uint32_t(std::strtoul(seed, nullptr, 10)) : 1;
}

pid_t readPidfile(const std::string &path) {
    std::ifstream in(path);
    long pid = -1;
    if (!(in >> pid) || pid <= 0) return -1;
    return static_cast<pid_t>(pid);
}

namespace {

// The process exists and has not exited: an exited daemon stays a zombie
// until init reaps it (seconds in some containers), and kill(pid, 0) still
// succeeds on it.
bool running(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto end = line.rfind(')');  // the command name may hold spaces
    return end != std::string::npos && end + 2 < line.size() && line[end + 2] != 'Z' && line[end + 2] != 'X';
}

}  // namespace

void stopPid(pid_t pid, int grace_ms) {
    if (pid <= 0 || kill(pid, SIGTERM) != 0) return;
    for (int waited = 0; waited < grace_ms; waited += 10) {
        waitpid(pid, nullptr, WNOHANG);  // reap if it is our child
        if (!running(pid)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
}

OvsdbServer::OvsdbServer(const std::string &schema) : dir_("iovisor-ovsdb") {
    if (dir_.path().empty()) {
        error_ = "cannot create a temp dir";
        return;
    }
    const std::string db = dir_.path() + "/db.db";
    const std::string pidfile = dir_.path() + "/db.pid";
    socket_ = dir_.path() + "/db.sock";
    auto created = run({"ovsdb-tool", "create", db, schema});
    if (created.exit_code != 0) {
        error_ = "ovsdb-tool create " + schema + ": " + created.output;
        return;
    }
    auto started = run({"ovsdb-server", db, "--remote=punix:" + socket_, "--pidfile=" + pidfile,
                        "--log-file=" + dir_.path() + "/db.log", "--unixctl=" + dir_.path() + "/db.ctl",
                        "--detach", "--no-chdir"});
    if (started.exit_code != 0) {
        error_ = "ovsdb-server: " + started.output;
        return;
    }
    pid_ = readPidfile(pidfile);
    if (pid_ <= 0) error_ = "ovsdb-server wrote no pidfile " + pidfile;
}

OvsdbServer::~OvsdbServer() { stopPid(pid_); }

}  // namespace testsupport
