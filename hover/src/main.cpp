// hoverd: the per-hypervisor daemon that owns every eBPF IOModule on the node
// and exposes them through a Hover-like REST API.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <cpprest/http_listener.h>
#include <nlohmann/json.hpp>

namespace {

using web::http::http_request;
using web::http::methods;
using web::http::status_code;
using web::http::status_codes;

const char kUsage[] =
    "usage: hoverd [--listen HOST:PORT] [--help]\n"
    "\n"
    "Loads, chains and configures eBPF IOModules; REST API on HOST:PORT.\n"
    "  --listen HOST:PORT   address to listen on (default 127.0.0.1:5002)\n"
    "  --help               this text\n";

void replyJson(const http_request &req, status_code status, const nlohmann::json &body) {
    req.reply(status, body.dump(), "application/json");
}

void handle(const http_request &req) {
    const auto path = req.relative_uri().path();
    if (req.method() == methods::GET && (path == "/health" || path == "/health/")) {
        replyJson(req, status_codes::OK, {{"status", "ok"}});
        return;
    }
    replyJson(req, status_codes::NotFound, {{"error", "no resource " + req.method() + " " + path}});
}

}  // namespace

int main(int argc, char **argv) {
    std::string listen = "127.0.0.1:5002";
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        } else if (arg == "--listen" && i + 1 < argc) {
            listen = argv[++i];
        } else {
            std::cerr << "hoverd: unknown argument '" << arg << "'\n" << kUsage;
            return 2;
        }
    }

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    web::http::experimental::listener::http_listener listener("http://" + listen);
    listener.support(handle);
    try {
        listener.open().wait();
    } catch (const std::exception &e) {
        std::cerr << "hoverd: cannot listen on " << listen << ": " << e.what() << "\n";
        return 1;
    }
    std::cerr << "hoverd: listening on http://" << listen << "\n";
    int sig = 0;
    sigwait(&signals, &sig);
    std::cerr << "hoverd: " << strsignal(sig) << ", stopping\n";
    listener.close().wait();
    return 0;
}
