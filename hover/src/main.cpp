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
#include "iovisor/text.h"
#include "acl_log.h"
#include "rest_server.h"

namespace {

const char kUsage[] =
    "usage: hoverd [options]\n"
    "\n"
    "Loads, chains and configures eBPF IOModules; REST API (GET /openapi.json).\n"
    "  --socket PATH        the API's unix socket (default /var/run/iovisor-ovn/hoverd.sock, or\n"
    "                       hoverd-NAME.sock for --instance NAME); mode 0660, owner root\n"
    "  --socket-group NAME  the group that may use the socket too (default: root's)\n"
    "  --listen HOST:PORT   also serve the API on TCP (off by default); needs --token-file\n"
    "  --token-file FILE    the bearer token every TCP request must carry, loopback included\n"
    "  --allow-custom-bpf   permit modules of type bpf (root's compiler, any program; off by default)\n"
    "  --instance NAME      names the pin and state directories (default: default)\n"
    "  --pin-root DIR       bpffs directory for pins (default /sys/fs/bpf/iovisor/NAME)\n"
    "  --state-dir DIR      registry directory (default /var/lib/iovisor-ovn/hoverd-NAME)\n"
    "  --bpf-include DIR    headers for custom modules (default: the source tree's bpf/)\n"
    "  --conntrack-entries N  connections tracked per hook, shared by every module (default 262144)\n"
    "  --port-counters N    module ports counted per hook (default 16384; 32 bytes per CPU each)\n"
    "  --ct-timeout STATE=SECONDS  idle timeout of connections tracked for ACLs (repeatable; Linux's\n"
    "                       nf_conntrack defaults otherwise): tcp_syn_sent 120, tcp_established\n"
    "                       432000, tcp_fin_wait 120, tcp_close 10, udp 30, udp_stream 120, icmp 30,\n"
    "                       generic 600\n"
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

struct Options {
    hover::RestOptions rest;
    std::string instance = "default", pin_root, state_dir, token_file, pidfile;
    std::string bpf_include = IOV_BPF_INCLUDE_DIR;
    hover::HookSettings hook_settings;
};

// A whole number in [min, max], or exit 2 naming the option.
uint32_t count(const std::string &option, const std::string &text, uint32_t min, uint32_t max) {
    char *end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end || text[0] == '-' || v < min || v > max) {
        std::cerr << "hoverd: " << option << " takes a whole number from " << min << " to " << max << ", not '"
                  << text << "'\n";
        std::exit(2);
    }
    return static_cast<uint32_t>(v);
}

// --ct-timeout STATE=SECONDS into the hook settings.
void ctTimeout(const std::string &text, iov_ct_timeouts *t) {
    const std::pair<const char *, uint32_t *> states[] = {
        {"tcp_syn_sent", &t->tcp_syn_sent}, {"tcp_established", &t->tcp_established}, {"tcp_fin_wait", &t->tcp_fin_wait},
        {"tcp_close", &t->tcp_close},       {"udp", &t->udp},                         {"udp_stream", &t->udp_stream},
        {"icmp", &t->icmp},                 {"generic", &t->generic}};
    const auto eq = text.find('=');
    for (const auto &[name, field] : states)
        if (eq != std::string::npos && text.compare(0, eq, name) == 0 && eq == std::strlen(name)) {
            *field = count("--ct-timeout " + std::string(name), text.substr(eq + 1), 1, 30u * 86400);
            return;
        }
    std::cerr << "hoverd: --ct-timeout takes STATE=SECONDS with STATE one of tcp_syn_sent, tcp_established, "
                 "tcp_fin_wait, tcp_close, udp, udp_stream, icmp, generic; not '" << text << "'\n";
    std::exit(2);
}

// Exits on --help (0) and on a usage error (2).
Options parse(int argc, char **argv) {
    Options o;
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
            std::exit(0);
        } else if (arg == "--listen") value(&o.rest.listen);
        else if (arg == "--instance") value(&o.instance);
        else if (arg == "--pin-root") value(&o.pin_root);
        else if (arg == "--state-dir") value(&o.state_dir);
        else if (arg == "--token-file") value(&o.token_file);
        else if (arg == "--socket") value(&o.rest.socket_path);
        else if (arg == "--socket-group") value(&o.rest.socket_access.group);
        else if (arg == "--allow-custom-bpf") o.rest.allow_custom_bpf = true;
        else if (arg == "--bpf-include") value(&o.bpf_include);
        else if (arg == "--pidfile") value(&o.pidfile);
        else if (arg == "--conntrack-entries") {
            std::string text;
            value(&text);
            o.hook_settings.conntrack = count(arg, text, 1024, 1u << 26);
        } else if (arg == "--ct-timeout") {
            std::string text;
            value(&text);
            ctTimeout(text, &o.hook_settings.ct_timeouts);
        } else if (arg == "--port-counters") {
            std::string text;
            value(&text);
            o.hook_settings.port_counters = count(arg, text, 256, 1u << 24);
        }
        else {
            std::cerr << "hoverd: unknown argument '" << arg << "'\n" << kUsage;
            std::exit(2);
        }
    }
    if (o.pin_root.empty()) o.pin_root = "/sys/fs/bpf/iovisor/" + o.instance;
    if (o.state_dir.empty()) o.state_dir = "/var/lib/iovisor-ovn/hoverd-" + o.instance;
    if (o.rest.socket_path.empty())
        o.rest.socket_path = "/var/run/iovisor-ovn/" +
                             (o.instance == "default" ? std::string("hoverd") : "hoverd-" + o.instance) + ".sock";
    return o;
}

// What must hold before anything is loaded: a bpffs, the token for TCP.
bool prepare(Options *o) {
    if (!onBpffs(o->pin_root)) {
        std::cerr << "hoverd: " << o->pin_root << " is not on a bpffs: mount one with 'mount -t bpf bpf /sys/fs/bpf' "
                     "(scripts/install-deps.sh does) or pass --pin-root\n";
        return false;
    }
    if (geteuid() != 0) std::cerr << "hoverd: warning: not root; loading eBPF programs needs CAP_BPF and CAP_NET_ADMIN\n";
    if (!o->rest.listen.empty() && o->token_file.empty()) {
        std::cerr << "hoverd: --listen serves the API to anyone who can reach HOST:PORT: it needs --token-file\n";
        return false;
    }
    if (o->token_file.empty()) return true;
    auto token = iovisor::readToken(o->token_file);
    if (token.ok()) o->rest.token = *token;
    else std::cerr << "hoverd: " << token.error().message << "\n";
    return token.ok();
}

}  // namespace

int main(int argc, char **argv) {
    Options options = parse(argc, argv);
    if (!prepare(&options)) return 1;
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // A client that hangs up before its answer is written costs the answer,
    // not the daemon (SIGPIPE's default action ends the process silently).
    signal(SIGPIPE, SIG_IGN);
    // cpprestsdk's default pool has 40 threads; on a hypervisor's few cores
    // their hand-offs cost more than the requests themselves.
    crossplat::threadpool::initialize_with_threads(std::max(2u, std::thread::hardware_concurrency()));

    auto registry = hover::Registry::open(
        {options.pin_root, options.state_dir, options.bpf_include, options.hook_settings});
    if (!registry.ok()) {
        std::cerr << "hoverd: " << registry.error().message << "\n";
        return 1;
    }
    hover::RestServer server(**registry, options.rest);
    if (auto s = server.open(); !s.ok()) {
        std::cerr << "hoverd: " << s.error().message << "\n";
        return 1;
    }
    // The lines of ACLs with `log`, in hoverd's log (one write each: whole lines).
    hover::AclLogger acl_log(options.pin_root, [](const std::string &line) {
        const std::string text = "hoverd: " + line + "\n";
        (void)!write(STDERR_FILENO, text.data(), text.size());
    });
    if (!options.pidfile.empty()) std::ofstream(options.pidfile) << getpid() << "\n";
    std::cerr << "hoverd: API on unix:" << options.rest.socket_path
              << (options.rest.listen.empty() ? "" : " and http://" + options.rest.listen + " (token)") << " (pins "
              << options.pin_root << ", state " << options.state_dir << ")\n";
    int sig = 0;
    sigwait(&signals, &sig);
    std::cerr << "hoverd: " << strsignal(sig) << ", stopping (modules and links stay in the kernel)\n";
    server.close();
    if (!options.pidfile.empty()) unlink(options.pidfile.c_str());
    return 0;
}
