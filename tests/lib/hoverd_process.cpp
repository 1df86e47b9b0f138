#include "hoverd_process.h"

#include "iovisor/net.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <fstream>

#include "hover/client.h"

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

void HoverdProcess::enableTcp(const std::string &host, const std::string &token) {
    host_ = host;
    token_ = token;
    std::ofstream(dir_.path() + "/token") << token << "\n";
}

bool HoverdProcess::start() {
    // A TCP port can still be taken by something else: try a few.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (startOnce()) return true;
        if (host_.empty() || error_.find("cannot listen") == std::string::npos) return false;
        port_ = 20000 + (port_ - 20000 + 997) % 12000;
    }
    return false;
}

bool HoverdProcess::startOnce() {
    std::vector<std::string> args = {hoverdBinary(), "--socket", socketPath(), "--instance", instance_,
                                     "--state-dir", state_dir_, "--pidfile", pidfile_};
    if (allow_custom_bpf_) args.push_back("--allow-custom-bpf");
    if (!host_.empty())
        args.insert(args.end(), {"--listen", host_ + ":" + std::to_string(port_), "--token-file", dir_.path() + "/token"});
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string log = dir_.path() + "/hoverd.log";
        FILE *f = freopen(log.c_str(), "a", stderr);
        (void)f;
        std::vector<char *> argv;
        for (auto &a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    pid_ = pid;
    for (int i = 0; i < 100; ++i) {
        if (call("GET", "/health").status > 0 && (host_.empty() || tcpAnswers())) return true;
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

bool HoverdProcess::tcpAnswers() const {
    return hover::HoverClient(tcpUrl(), token_).request("GET", "/health", "").ok();
}

void HoverdProcess::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

void HoverdProcess::crash() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

HttpReply HoverdProcess::callRaw(const std::string &method, const std::string &path, const std::string &body) const {
    HttpReply out;
    auto reply = hover::HoverClient(url()).request(method, path, body);
    if (!reply.ok()) {
        out.text = reply.error().message;
        return out;
    }
    out.status = reply->status;
    out.text = reply->text;
    out.body = nlohmann::json::parse(out.text, nullptr, false);
    if (out.body.is_discarded()) out.body = nullptr;
    return out;
}

HttpReply HoverdProcess::call(const std::string &method, const std::string &path, const nlohmann::json &body) const {
    return callRaw(method, path, body.is_null() ? "" : body.dump());
}

std::string urlEncode(const std::string &text) { return iovisor::percentEncode(text); }

std::string hashModuleSource(const std::string &table, uint32_t entries) {
    return "#include \"lib/chain.h\"\n"
           "struct {\n"
           "    __uint(type, BPF_MAP_TYPE_HASH);\n"
           "    __uint(max_entries, " + std::to_string(entries) + ");\n"
           "    __type(key, __u32);\n"
           "    __type(value, __u32);\n"
           "} " + table + " SEC(\".maps\");\n"
           "static __always_inline int pass(struct iov_ctx *ctx, struct iov_md *md) {\n"
           "    __u32 k = 0;\n"
           "    if (bpf_map_lookup_elem(&" + table + ", &k)) return iov_send(ctx, md, md->in_port);\n"
           "    return iov_send(ctx, md, md->in_port ^ 1);\n"
           "}\n"
           "IOV_MODULE(" + table + ", pass);\n";
}

}  // namespace testsupport
