// hoverd at scale: 1,000 module instances and 100,000 table entries written
// through REST, next to the same entries written straight into the maps
// (bpf_map_update_elem, the floor any API sits on), measured in one run.
//   sudo build/bench/hoverd_bench [modules] [entries] [clients]
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "hover/model/module_type.h"
#include "hoverd_process.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

long rssKib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

// A minimal HTTP/1.1 keep-alive client: the writes measure hoverd, not a
// client library's thread pool.
class KeepAliveClient {
public:
    explicit KeepAliveClient(const std::string &socket_path) : fd_(socket(AF_UNIX, SOCK_STREAM, 0)) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
        if (connect(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) fd_ = -1;
    }
    ~KeepAliveClient() {
        if (fd_ >= 0) close(fd_);
    }

    // Returns the HTTP status, 0 on a transport error.
    int request(const std::string &method, const std::string &path, const std::string &body) {
        const std::string req = method + " " + path + " HTTP/1.1\r\nHost: hoverd\r\nContent-Type: application/json\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        if (fd_ < 0 || send(fd_, req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) return 0;
        // Read the head, then Content-Length bytes of body.
        size_t head_end;
        while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos)
            if (!fill()) return 0;
        const int status = std::atoi(buf_.c_str() + 9);
        size_t length = 0;
        const auto cl = buf_.find("Content-Length: ");
        if (cl != std::string::npos && cl < head_end) length = std::stoul(buf_.substr(cl + 16));
        while (buf_.size() < head_end + 4 + length)
            if (!fill()) return 0;
        buf_.erase(0, head_end + 4 + length);
        return status;
    }

private:
    bool fill() {
        char chunk[4096];
        const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buf_.append(chunk, n);
        return true;
    }
    int fd_;
    std::string buf_;
};

std::string macFor(int i) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "02:%02x:%02x:%02x:00:01", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    return buf;
}

// Kernel memory of the maps pinned in `dir` (fdinfo memlock), and the part
// held by per-CPU maps (it grows with the CPU count).
struct Memlock {
    double total_mib = 0, per_cpu_mib = 0;
};

Memlock memlockOf(const std::string &dir) {
    Memlock m;
    for (const auto &entry : std::filesystem::directory_iterator(dir)) {
        const int fd = bpf_obj_get(entry.path().c_str());
        if (fd < 0) continue;
        std::ifstream info("/proc/self/fdinfo/" + std::to_string(fd));
        long long bytes = 0;
        int type = -1;  // stays -1 for a program (its pins are the type's, shared)
        for (std::string line; std::getline(info, line);) {
            if (line.rfind("memlock:", 0) == 0) bytes = std::atoll(line.c_str() + 8);
            if (line.rfind("map_type:", 0) == 0) type = std::atoi(line.c_str() + 9);
        }
        close(fd);
        if (type < 0) continue;
        const bool per_cpu = type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
                             type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
        m.total_mib += bytes / 1048576.0;
        if (per_cpu) m.per_cpu_mib += bytes / 1048576.0;
    }
    return m;
}

// The rows an instance of `type` owns in the hook's shared arrays (its ports,
// its peers...): slots x value size (array values are 8-byte aligned).
double rowsKib(const hover::model::ModuleTypeDesc &type) {
    double bytes = 0;
    std::vector<const hover::model::TableDesc *> tables = {&hover::model::kPeers.desc};
    for (const auto *list : {&type.tables, &type.kept})
        for (const auto *t : *list)
            if (t->slots) tables.push_back(t);
    for (const auto *t : tables) bytes += double(t->slots) * ((t->value_size + 7) / 8 * 8);
    return bytes / 1024;
}

// One instance of each built-in type: what each costs in kernel memory (maps
// of its own, its rows in the shared arrays; its other entries take what
// they use in the shared hashes), and what the instances of a hook share.
bool printMemory(testsupport::HoverdProcess &hoverd) {
    std::printf("kernel memory (map memlock) on %u possible CPUs\n", libbpf_num_possible_cpus());
    for (const auto *type : hover::model::builtinModuleTypes()) {
        auto r = hoverd.call("POST", "/modules/", {{"module_type", type->name}});
        if (r.status != 201) {
            std::fprintf(stderr, "%s: %s\n", type->name, r.text.c_str());
            return false;
        }
        const Memlock m = memlockOf(hoverd.pinRoot() + "/m" + std::to_string(r.body["id"].get<int>()));
        std::printf("  per %-8s instance  %7.2f MiB own maps + %.0f KiB of rows in the shared arrays\n", type->name,
                    m.total_mib, rowsKib(*type));
        hoverd.call("DELETE", "/modules/" + std::to_string(r.body["id"].get<int>()));
    }
    const Memlock tc = memlockOf(hoverd.pinRoot() + "/tc");
    std::printf("  shared per hook        %7.2f MiB (%.2f MiB of it per-CPU; once per hook in use)\n", tc.total_mib,
                tc.per_cpu_mib);
    return true;
}

// One instance at a time through REST (one keep-alive connection, as a
// controller keeps); the seconds it took, or < 0.
double createModules(testsupport::HoverdProcess &hoverd, int modules) {
    KeepAliveClient client(hoverd.socketPath());
    const std::string body = json({{"module_type", "l2switch"}}).dump();
    const auto t0 = Clock::now();
    for (int i = 0; i < modules; ++i) {
        if (const int status = client.request("POST", "/modules/", body); status != 201) {
            std::fprintf(stderr, "module %d: HTTP %d\n", i, status);
            return -1;
        }
    }
    return seconds(t0);
}

// `clients` connections writing fdb entries spread over the modules.
double restWrites(testsupport::HoverdProcess &hoverd, int modules, int entries, int clients, std::atomic<int> *failures) {
    std::atomic<int> next{0};
    const auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
        threads.emplace_back([&] {
            KeepAliveClient client(hoverd.socketPath());
            for (int i; (i = next++) < entries;) {
                const int module = 1 + i % modules;
                const std::string path = "/modules/" + std::to_string(module) + "/tables/fdb/entries/" +
                                         testsupport::urlEncode(json({{"mac", macFor(i)}}).dump());
                if (client.request("PUT", path, json({{"port", i % 200}}).dump()) != 200) ++*failures;
            }
        });
    for (auto &t : threads) t.join();
    return seconds(t0);
}

// Reference: the same number of writes straight into the switches' shared
// fdb, under module 1.
double directWrites(int fd, int entries) {
    const auto t0 = Clock::now();
    for (int i = 0; i < entries; ++i) {
        struct {
            uint32_t module;
            uint8_t mac[6];
            uint16_t pad;
        } key{1, {0x06, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i), 0, 1}, 0};
        struct {
            uint32_t port, flags;
        } value{uint32_t(i % 200), 0};
        if (bpf_map_update_elem(fd, &key, &value, BPF_ANY) != 0) return -1;
    }
    return seconds(t0);
}

}  // namespace

int main(int argc, char **argv) {
    if (geteuid() != 0) {
        std::fprintf(stderr, "hoverd_bench needs root\n");
        return 1;
    }
    const int modules = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int entries = argc > 2 ? std::atoi(argv[2]) : 100000;
    const int clients = argc > 3 ? std::atoi(argv[3]) : 4;
    testsupport::HoverdProcess hoverd;
    if (!hoverd.start()) {
        std::fprintf(stderr, "%s\n", hoverd.error().c_str());
        return 1;
    }
    const pid_t pid = hoverd.pid();
    const long rss_empty = rssKib(pid);
    const double create_s = createModules(hoverd, modules);
    if (create_s < 0) return 1;
    std::atomic<int> failures{0};
    const double rest_s = restWrites(hoverd, modules, entries, clients, &failures);
    const long rss_full = rssKib(pid);
    const int fd = bpf_obj_get((hoverd.pinRoot() + "/tc/l2_fdb").c_str());
    const double direct_s = directWrites(fd, entries);
    if (fd < 0 || direct_s < 0) {
        std::fprintf(stderr, "direct writes into %s/tc/l2_fdb failed\n", hoverd.pinRoot().c_str());
        return 1;
    }
    auto t0 = Clock::now();
    auto listed = hoverd.call("GET", "/modules/");
    const double list_s = seconds(t0);
    t0 = Clock::now();
    auto health = hoverd.call("GET", "/health");
    const double health_s = seconds(t0);

    std::printf("hoverd with %d l2switch modules and %d fdb entries (%d REST clients)\n", modules, entries, clients);
    std::printf("  instance creations     %8.1f /s   target >= 1000/s %s   (%.2f s for %d, one request each)\n",
                modules / create_s, modules / create_s >= 1000 ? "ok" : "MISSED", create_s, modules);
    std::printf("  entry writes via REST  %8.0f /s   target >= 5000/s %s   (%d failed)\n", entries / rest_s,
                entries / rest_s >= 5000 ? "ok" : "MISSED", failures.load());
    std::printf("  entry writes direct    %8.0f /s   (bpf_map_update_elem, same entries; REST is %.1fx slower)\n",
                entries / direct_s, direct_s > 0 ? (rest_s / direct_s) : 0.0);
    std::printf("  GET /modules/ (%zu)   %8.1f ms;  GET /health %.1f ms\n", listed.body.size(), list_s * 1e3,
                health_s * 1e3);
    std::printf("  hoverd RSS             %8.1f MiB empty, %.1f MiB at scale\n", rss_empty / 1024.0, rss_full / 1024.0);
    close(fd);
    // Clean up: links none; delete modules so the kernel frees them.
    for (int i = 1; i <= modules; ++i) hoverd.call("DELETE", "/modules/" + std::to_string(i));
    if (!printMemory(hoverd)) return 1;
    return failures.load() ? 1 : 0;
}
