// A real hoverd for tests: its own port, bpffs pin root, state dir and
// pidfile; stopped by PID; its pins removed when the test is done.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace testsupport {

struct HttpReply {
    int status = 0;
    nlohmann::json body;  // null when empty or not JSON
    std::string text;
};

class HoverdProcess {
public:
    HoverdProcess();
    ~HoverdProcess();  // stops hoverd, removes its pins and state

    // Before start(): listen elsewhere than 127.0.0.1, extra command-line flags.
    void setListenHost(const std::string &host) { host_ = host; }
    void addArgs(const std::vector<std::string> &args) { extra_args_.insert(extra_args_.end(), args.begin(), args.end()); }
    const std::string &dir() const { return dir_.path(); }

    bool start();      // false: see error()
    void stop();       // SIGTERM by PID, as an operator would
    bool restart() { stop(); return start(); }
    const std::string &error() const { return error_; }
    std::string url() const { return "http://" + host_ + ":" + std::to_string(port_); }
    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    const std::string &pinRoot() const { return pin_root_; }
    const std::string &stateDir() const { return state_dir_; }

    HttpReply call(const std::string &method, const std::string &path, const nlohmann::json &body = nullptr) const;
    HttpReply callRaw(const std::string &method, const std::string &path, const std::string &body) const;

private:
    bool startOnce();
    TempDir dir_;
    std::string instance_, pin_root_, state_dir_, pidfile_, error_, host_ = "127.0.0.1";
    std::vector<std::string> extra_args_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// Percent-encodes a table key (or anything) for a URL path segment.
std::string urlEncode(const std::string &text);

}  // namespace testsupport
