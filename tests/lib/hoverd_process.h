// A real hoverd for tests: its own unix socket, bpffs pin root, state dir
// and pidfile (custom eBPF allowed unless told otherwise); stopped by PID;
// its pins removed when the test is done.
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

    // Before start(): serve TCP too (HOST:PORT of tcpUrl(), with this token),
    // refuse custom eBPF, extra command-line flags.
    void enableTcp(const std::string &host, const std::string &token);
    void denyCustomBpf() { allow_custom_bpf_ = false; }
    void addArgs(const std::vector<std::string> &args) { extra_args_.insert(extra_args_.end(), args.begin(), args.end()); }
    const std::string &dir() const { return dir_.path(); }

    bool start();      // false: see error()
    void stop();       // SIGTERM by PID, as an operator would
    void crash();      // SIGKILL by PID: no chance to finish anything
    bool restart() { stop(); return start(); }
    const std::string &error() const { return error_; }
    std::string url() const { return "unix:" + socketPath(); }
    std::string socketPath() const { return dir_.path() + "/hoverd.sock"; }
    std::string tcpUrl() const { return "http://" + host_ + ":" + std::to_string(port_); }
    pid_t pid() const { return pid_; }
    const std::string &pinRoot() const { return pin_root_; }
    const std::string &stateDir() const { return state_dir_; }

    HttpReply call(const std::string &method, const std::string &path, const nlohmann::json &body = nullptr) const;
    HttpReply callRaw(const std::string &method, const std::string &path, const std::string &body) const;

private:
    bool startOnce();
    bool tcpAnswers() const;
    TempDir dir_;
    std::string instance_, pin_root_, state_dir_, pidfile_, error_, host_, token_;
    std::vector<std::string> extra_args_;
    bool allow_custom_bpf_ = true;
    int port_ = 0;
    pid_t pid_ = -1;
};

// The source of a custom module (module_type "bpf") with one hash table
// `table` of u32 -> u32 and room for `entries`; it passes packets back or on.
std::string hashModuleSource(const std::string &table, uint32_t entries);

// Percent-encodes a table key (or anything) for a URL path segment.
std::string urlEncode(const std::string &text);

}  // namespace testsupport
