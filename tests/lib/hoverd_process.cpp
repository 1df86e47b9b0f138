#include "hoverd_process.h"

#include "iovisor/net.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#define _TURN_OFF_PLATFORM_STRING  // cpprestsdk's U() macro breaks gtest
#include <cpprest/http_client.h>

namespace testsupport {

namespace {
std::string hoverdBinary() { return HOVERD_BINARY; }
}  // namespace

HoverdProcess::HoverdProcess() : dir_("iovisor-hoverd") {
    instance_ = "test" + std::to_string(getpid());
    pin_root_ = "/sys/fs/bpf/iovisor/" + instance_;
    state_dir_ = dir_.path() + "/state";
    pidfile_ = dir_.path() + "/hoverd.pid";
    // Below the ephemeral range (32768+), where a client socket could hold it.
    port_ = 20000 + getpid() % 12000;
}

HoverdProcess::~HoverdProcess() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(pin_root_, ec);
}

bool HoverdProcess::start() {
    // A port can still be taken by something else: try a few.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (startOnce()) return true;
        if (error_.find("cannot listen") == std::string::npos) return false;
        port_ = 20000 + (port_ - 20000 + 997) % 12000;
    }
    return false;
}

bool HoverdProcess::startOnce() {
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string log = dir_.path() + "/hoverd.log";
        FILE *f = freopen(log.c_str(), "a", stderr);
        (void)f;
        std::vector<std::string> args = {hoverdBinary(), "--listen", host_ + ":" + std::to_string(port_),
                                          "--instance", instance_, "--state-dir", state_dir_, "--pidfile", pidfile_};
        args.insert(args.end(), extra_args_.begin(), extra_args_.end());
        std::vector<char *> argv;
        for (auto &a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    pid_ = pid;
    for (int i = 0; i < 100; ++i) {
        if (call("GET", "/health").status > 0) return true;  // any HTTP answer: up (401 with a token)
        int status;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            error_ = "hoverd exited at start; log: " + shell("cat " + dir_.path() + "/hoverd.log").output;
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    error_ = "hoverd did not answer GET /health within 5 s";
    return false;
}

void HoverdProcess::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

HttpReply HoverdProcess::callRaw(const std::string &method, const std::string &path, const std::string &body) const {
    HttpReply out;
    try {
        web::http::client::http_client_config config;
        config.set_timeout(std::chrono::seconds(60));
        web::http::client::http_client client(url(), config);
        web::http::http_request req(method);
        req.set_request_uri(path);
        if (!body.empty()) req.set_body(body, "application/json");
        auto resp = client.request(req).get();
        out.status = resp.status_code();
        out.text = resp.extract_string(true).get();
        out.body = nlohmann::json::parse(out.text, nullptr, false);
        if (out.body.is_discarded()) out.body = nullptr;
    } catch (const std::exception &e) {
        out.status = 0;
        out.text = e.what();
    }
    return out;
}

HttpReply HoverdProcess::call(const std::string &method, const std::string &path, const nlohmann::json &body) const {
    return callRaw(method, path, body.is_null() ? "" : body.dump());
}

std::string urlEncode(const std::string &text) { return iovisor::percentEncode(text); }

}  // namespace testsupport
