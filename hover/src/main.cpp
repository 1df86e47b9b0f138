// hoverd: the per-hypervisor daemon that owns every eBPF IOModule on the node
// and exposes them through a Hover-like REST API (see hover/openapi.json).
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <algorithm>

#include <pplx/threadpool.h>

#include "registry.h"
#include "rest_server.h"
#include "unix_socket.h"

namespace {

const char kUsage[] =
    "usage: hoverd [options]\n"
    "\n"
    "Loads, chains and configures eBPF IOModules; REST API (GET /openapi.json).\n"
    "  --listen HOST:PORT   address to listen on (default 127.0.0.1:5002)\n"
    "  --instance NAME      names the pin and state directories (default: default)\n"
    "  --pin-root DIR       bpffs directory for pins (default /sys/fs/bpf/iovisor/NAME)\n"
    "  --state-dir DIR      registry directory (default /var/lib/iovisor-ovn/hoverd-NAME)\n"
    "  --unix PATH          also serve the API on this unix socket (relayed to the TCP listener,\n"
    "                       which then must be on loopback)\n"
    "  --token-file FILE    require 'Authorization: Bearer <token>' from non-loopback clients\n"
    "  --bpf-include DIR    headers for custom modules (default: the source tree's bpf/)\n"
    "  --pidfile FILE       write the daemon's PID here\n"
    "  --help               this text\n";

// Whether `dir`, or its nearest existing ancestor, is on a bpffs.
bool onBpffs(std::string dir) {
    struct statfs fs {};
    while (statfs(dir.c_str(), &fs) != 0) {
        const auto slash = dir.find_last_of('/');
        if (slash == std::string::npos || slash == 0) return false;
        dir = dir.substr(0, slash);
    }
    return fs.f_type == BPF_FS_MAGIC;
}

}  // namespace

int main(int argc, char **argv) {
    hover::RestOptions rest;
    std::string instance = "default", pin_root, state_dir, token_file, pidfile, unix_path;
    std::string bpf_include = IOV_BPF_INCLUDE_DIR;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](std::string *out) {
            if (i + 1 >= argc) {
                std::cerr << "hoverd: " << arg << " needs a value\n" << kUsage;
                std::exit(2);
            }
            *out = argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        } else if (arg == "--listen") value(&rest.listen);
        else if (arg == "--instance") value(&instance);
        else if (arg == "--pin-root") value(&pin_root);
        else if (arg == "--state-dir") value(&state_dir);
        else if (arg == "--token-file") value(&token_file);
        else if (arg == "--unix") value(&unix_path);
        else if (arg == "--bpf-include") value(&bpf_include);
        else if (arg == "--pidfile") value(&pidfile);
        else {
            std::cerr << "hoverd: unknown argument '" << arg << "'\n" << kUsage;
            return 2;
        }
    }
    if (pin_root.empty()) pin_root = "/sys/fs/bpf/iovisor/" + instance;
    if (state_dir.empty()) state_dir = "/var/lib/iovisor-ovn/hoverd-" + instance;
    if (!onBpffs(pin_root)) {
        std::cerr << "hoverd: " << pin_root << " is not on a bpffs: mount one with 'mount -t bpf bpf /sys/fs/bpf' "
                     "(scripts/install-deps.sh does) or pass --pin-root\n";
        return 1;
    }
    if (geteuid() != 0) std::cerr << "hoverd: warning: not root; loading eBPF programs needs CAP_BPF and CAP_NET_ADMIN\n";
    if (!token_file.empty()) {
        std::ifstream in(token_file);
        if (!(in >> rest.token)) {
            std::cerr << "hoverd: cannot read a token from " << token_file << "\n";
            return 1;
        }
    }

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    // cpprestsdk's default pool has 40 threads; on a hypervisor's few cores
    // their hand-offs cost more than the requests themselves.
    crossplat::threadpool::initialize_with_threads(std::max(2u, std::thread::hardware_concurrency()));

    auto registry = hover::Registry::open({pin_root, state_dir, bpf_include});
    if (!registry.ok()) {
        std::cerr << "hoverd: " << registry.error().message << "\n";
        return 1;
    }
    hover::RestServer server(**registry, rest);
    if (auto s = server.open(); !s.ok()) {
        std::cerr << "hoverd: " << s.error().message << "\n";
        return 1;
    }
    hover::UnixSocketRelay unix_relay;
    if (!unix_path.empty()) {
        const auto colon = rest.listen.rfind(':');
        if (rest.listen.rfind("127.", 0) != 0 && rest.listen.rfind("localhost", 0) != 0) {
            std::cerr << "hoverd: --unix needs --listen on loopback (127.x.x.x:PORT)\n";
            return 1;
        }
        if (auto s = unix_relay.open(unix_path, std::stoi(rest.listen.substr(colon + 1))); !s.ok()) {
            std::cerr << "hoverd: " << s.error().message << "\n";
            return 1;
        }
    }
    if (!pidfile.empty()) std::ofstream(pidfile) << getpid() << "\n";
    std::cerr << "hoverd: listening on http://" << rest.listen << " (pins " << pin_root << ", state " << state_dir
              << ")\n";
    int sig = 0;
    sigwait(&signals, &sig);
    std::cerr << "hoverd: " << strsignal(sig) << ", stopping (modules and links stay in the kernel)\n";
    unix_relay.close();
    server.close();
    if (!pidfile.empty()) unlink(pidfile.c_str());
    return 0;
}
