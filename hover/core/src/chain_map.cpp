// The maps and programs a hook's module instances share: the chain program
// array with the shared netdev entry, the flow cache, the counters, the
// connection table, and each built-in type's programs (loaded once per hook).
#include "hover/module.h"

#include <chrono>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "module_internal.h"

namespace hover {

using iovisor::Errc;
using iovisor::errnoError;
using iovisor::makeError;
using iovisor::Result;
using iovisor::Status;

namespace {

#define IOV_DROP_NAME_(name, text) #name,
#define IOV_DROP_TEXT_(name, text) text,
const char *const kDropNames[] = {IOV_DROP_REASONS(IOV_DROP_NAME_)};
const char *const kDropTexts[] = {IOV_DROP_REASONS(IOV_DROP_TEXT_)};
#undef IOV_DROP_NAME_
#undef IOV_DROP_TEXT_
}  // namespace

const char *dropReasonName(uint32_t reason) { return reason < IOV_DROP_MAX ? kDropNames[reason] : "UNKNOWN"; }
const char *dropReasonText(uint32_t reason) { return reason < IOV_DROP_MAX ? kDropTexts[reason] : "unknown"; }

// A generation never seen before (the datapath only adds small increments
// to the last one): time in the high bits.
uint64_t freshGeneration() {
    return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) << 16;
}

namespace {

// Per-CPU u64 counters 0..N-1 of the map `fd`, summed over CPUs.
template <size_t N>
Result<std::array<uint64_t, N>> sumCounters(int fd) {
    auto counters = TypedMap<uint32_t, uint64_t>::open(fd);
    if (!counters.ok()) return counters.error();
    std::array<uint64_t, N> sum{};
    for (uint32_t i = 0; i < N; ++i) {
        auto per_cpu = counters->lookupPerCpu(i);
        if (!per_cpu.ok()) return per_cpu.error();
        for (uint64_t v : *per_cpu) sum[i] += v;
    }
    return sum;
}

// A generation never seen before (the datapath only adds small increments

bool isInternal(const std::string &map_name) { return map_name.find('.') != std::string::npos; }

// A shared table pinned by an earlier hoverd must have the size asked for
// (libbpf would refuse to reuse it with a less helpful message).
// A pinned shared map must have this version's layout and the configured
// size; else say what to do (libbpf would refuse it with less to go on).
Status checkPinnedSize(const std::string &pin, uint32_t entries, const std::string &flag, const std::string &lost,
                       uint32_t key_size, uint32_t value_size) {
    Fd fd(bpf_obj_get(pin.c_str()));
    if (!fd.valid()) return {};
    auto info = mapInfo(fd.get());
    if (!info.ok()) return info.error();
    if (info->key_size != key_size || info->value_size != value_size)
        return makeError(Errc::kConflict, pin + " was pinned by another version (" + std::to_string(info->key_size) +
                                              "-byte keys, " + std::to_string(info->value_size) + "-byte values; this one has " +
                                              std::to_string(key_size) + " and " + std::to_string(value_size) +
                                              "): remove the pins (" + lost + ")");
    if (info->max_entries == entries) return {};
    return makeError(Errc::kConflict, pin + " holds " + std::to_string(info->max_entries) + " entries, not " +
                                          std::to_string(entries) + ": start with " + flag + " " +
                                          std::to_string(info->max_entries) + " or remove the pins (" + lost + ")");
}

// Built-in types through their skeleton; others from their ELF bytes, the

bool endsWith(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Built-in types through their skeleton; others from their ELF bytes.
Result<OpenedObject> openModuleObject(const ModuleType &type, const bpf_object_open_opts *opts) {
    if (type.open_skeleton) {
        // The skeleton finds its maps by the object's own name.
        bpf_object_open_opts skeleton_opts = *opts;
        skeleton_opts.object_name = nullptr;
        return type.open_skeleton(&skeleton_opts);
    }
    bpf_object *obj = bpf_object__open_mem(type.elf, type.elf_size, opts);
    if (!obj) return makeError(Errc::kInvalid, "not a usable eBPF ELF object (" + std::string(std::strerror(errno)) + ")");
    return OpenedObject{obj, std::shared_ptr<void>(obj, [](void *o) { bpf_object__close(static_cast<bpf_object *>(o)); })};
}

// Verifier log of a failed load, kept to its last part.
std::string tail(const std::vector<char> &log) {
    std::string text(log.data());
    constexpr size_t kMax = 8192;
    return text.size() > kMax ? "..." + text.substr(text.size() - kMax) : text;
}

// The <name>_netdev and <name>_chain programs of an opened module object,
// of the hook's program type.
Status findEntryPrograms(bpf_object *obj, AttachMode mode, bpf_program **netdev, bpf_program **chain) {
    bpf_program *p;
    bpf_object__for_each_program(p, obj) {
        if (endsWith(bpf_program__name(p), "_netdev")) *netdev = p;
        if (endsWith(bpf_program__name(p), "_chain")) *chain = p;
    }
    if (!*netdev || !*chain) return makeError(Errc::kInvalid, "no <name>_netdev/<name>_chain programs (use IOV_MODULE)");
    const bpf_prog_type want = mode == AttachMode::kXdp ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS;
    if (bpf_program__type(*netdev) != want || bpf_program__type(*chain) != want)
        return makeError(Errc::kInvalid, std::string("programs are not of the ") + attachModeName(mode) +
                                             " type (SEC(\"" + (mode == AttachMode::kXdp ? "xdp" : "tc") + "\"))");
    if (!bpf_object__find_map_by_name(obj, "iov_chain"))
        return makeError(Errc::kInvalid, "no iov_chain map (include lib/chain.h)");
    return {};
}

}  // namespace

uint64_t datapathClockNs() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
}

Result<std::unique_ptr<ChainMap>> ChainMap::create(AttachMode mode, HookSettings settings) {
    return openPinned("", mode, settings);
}

Result<std::unique_ptr<ChainMap>> ChainMap::openPinned(const std::string &dir, AttachMode mode, HookSettings settings) {
    std::unique_ptr<ChainMap> chain(new ChainMap());
    chain->pin_dir_ = dir;
    chain->mode_ = mode;
    chain->settings_ = settings;
    std::error_code ec;
    if (!dir.empty() && (std::filesystem::create_directories(dir, ec), ec))
        return makeError(Errc::kUnavailable, "cannot create " + dir + ": " + ec.message());
    if (auto s = checkPinnedSize(dir + "/iov_conntrack", settings.conntrack, "--conntrack-entries", "connections are lost",
                                 sizeof(iov_ct_key), sizeof(iov_ct_entry));
        !s.ok())
        return s.error();
    if (auto s = checkPinnedSize(dir + "/iov_port_counters", settings.port_counters, "--port-counters", "counters restart",
                                 sizeof(uint32_t), sizeof(iov_port_stats));
        !s.ok())
        return s.error();
    // The entry object creates the shared maps (or libbpf reuses the pinned ones).
    const ModuleType &entry = sharedEntryObject(mode);
    LIBBPF_OPTS(bpf_object_open_opts, opts);
    auto obj = chain->openObject(entry, &opts);
    if (!obj.ok()) return obj.error().context("entry program");
    if (bpf_object__load(obj->obj) != 0) return errnoError(errno, "load the entry program");
    bpf_map *map;
    bpf_object__for_each_map(map, obj->obj) {
        if (!isInternal(bpf_map__name(map))) chain->maps_.emplace_back(bpf_map__name(map), Fd(dup(bpf_map__fd(map))));
    }
    if (auto s = chain->invalidateFlows(); !s.ok()) return s.error();  // also: a generation that is never 0
    const uint32_t zero = 0;
    if (bpf_map_update_elem(chain->fdOf("iov_ct_timeouts"), &zero, &settings.ct_timeouts, BPF_ANY) != 0)
        return errnoError(errno, "write iov_ct_timeouts");

    bpf_program *prog = bpf_object__find_program_by_name(obj->obj, "iov_entry");
    if (!prog) return makeError(Errc::kInternal, "entry object without iov_entry");
    chain->entry_prog_ = Fd(dup(bpf_program__fd(prog)));
    const uint32_t slot = IOV_ENTRY_SLOT;
    const int prog_fd = chain->entry_prog_.get();
    if (bpf_map_update_elem(chain->fd(), &slot, &prog_fd, BPF_ANY) != 0)
        return errnoError(errno, "insert the entry program into iov_chain");
    return chain;
}

Result<OpenedObject> ChainMap::openObject(const ModuleType &type, bpf_object_open_opts *opts) const {
    if (!pin_dir_.empty()) opts->pin_root_path = pin_dir_.c_str();
    auto opened = openModuleObject(type, opts);
    if (!opened.ok()) return opened;
    for (const auto &[name, entries] : {std::pair<const char *, uint32_t>{"iov_conntrack", settings_.conntrack},
                                        {"iov_port_counters", settings_.port_counters},
                                        {"iov_module_drops", settings_.drop_keys}})
        if (bpf_map *map = bpf_object__find_map_by_name(opened->obj, name))
            if (bpf_map__set_max_entries(map, entries) != 0) return errnoError(errno, std::string("size ") + name);
    bpf_map *map;
    bpf_object__for_each_map(map, opened->obj) {
        if (bpf_map__pin_path(map)) opened->shared.push_back(bpf_map__name(map));
    }
    if (!pin_dir_.empty()) return opened;
    // Unpinned (tests, benchmarks): the shared maps are handed over by fd.
    bpf_object__for_each_map(map, opened->obj) {
        if (bpf_map__set_pin_path(map, nullptr) != 0) return errnoError(errno, "unpin " + std::string(bpf_map__name(map)));
        const int shared = fdOf(bpf_map__name(map));
        if (shared >= 0 && bpf_map__reuse_fd(map, shared) != 0)
            return errnoError(errno, "share " + std::string(bpf_map__name(map)));
    }
    return opened;
}

Status ChainMap::bindNetdev(uint32_t ifindex, uint32_t module, uint32_t port) const {
    const int fd = fdOf("iov_netdev_ports");
    if (module == 0) {
        if (bpf_map_delete_elem(fd, &ifindex) != 0 && errno != ENOENT) return errnoError(errno, "unbind netdev");
        return {};
    }
    const iov_netdev_port where{module, port};
    if (bpf_map_update_elem(fd, &ifindex, &where, BPF_ANY) != 0) return errnoError(errno, "bind netdev");
    return {};
}

Result<std::array<uint64_t, IOV_DROP_MAX>> ChainMap::entryDrops() const {
    return sumCounters<IOV_DROP_MAX>(fdOf("iov_entry_drops"));
}

int ChainMap::fdOf(const std::string &name) const {
    for (const auto &[map_name, fd] : maps_)
        if (map_name == name) return fd.get();
    std::lock_guard<std::mutex> lock(type_shared_mu_);
    for (const auto &[map_name, fd] : type_shared_)
        if (map_name == name) return fd.get();
    // A map of the types' (e.g. the nat tables) pinned by an earlier load,
    // maybe by an earlier hoverd.
    if (pin_dir_.empty() || name.find('/') != std::string::npos) return -1;
    Fd pinned(bpf_obj_get((pin_dir_ + "/" + name).c_str()));
    if (!pinned.valid()) return -1;
    type_shared_.emplace_back(name, std::move(pinned));
    return type_shared_.back().second.get();
}

void ChainMap::keepShared(bpf_object *obj, const std::vector<std::string> &names) const {
    for (const auto &name : names) {
        bpf_map *map = bpf_object__find_map_by_name(obj, name.c_str());
        if (!map || fdOf(name) >= 0) continue;
        std::lock_guard<std::mutex> lock(type_shared_mu_);
        type_shared_.emplace_back(name, Fd(dup(bpf_map__fd(map))));
    }
}

Status ChainMap::invalidateFlows() const {
    const uint32_t zero = 0;
    const uint64_t gen = freshGeneration();
    if (bpf_map_update_elem(fdOf("iov_flow_gen"), &zero, &gen, BPF_ANY) == 0) return {};
    const iovisor::Error e = errnoError(errno, "renew the flow generation (cached flows may be stale)");
    std::cerr << "hoverd: " << e.message << "\n";
    return e;
}

Result<std::array<uint64_t, IOV_FLOW_COUNTERS>> ChainMap::flowCounters() const {
    return sumCounters<IOV_FLOW_COUNTERS>(fdOf("iov_flow_stats"));
}

Result<std::vector<iov_flow>> ChainMap::liveFlows() const {
    auto cache = TypedMap<uint32_t, iov_flow>::open(fdOf("iov_flow_cache"));
    auto gens = TypedMap<uint32_t, uint64_t>::open(fdOf("iov_flow_gen"));
    if (!cache.ok()) return cache.error();
    if (!gens.ok()) return gens.error();
    auto gen = gens->lookup(0);
    if (!gen.ok()) return gen.error();
    const uint64_t now_ns = datapathClockNs();
    std::vector<iov_flow> live;
    for (uint32_t i = 0; i < IOV_FLOW_CACHE_SIZE; ++i) {
        auto per_cpu = cache->lookupPerCpu(i);
        if (!per_cpu.ok()) return per_cpu.error();
        for (const auto &f : *per_cpu)
            if (f.key.ifindex != 0 && f.gen == *gen && f.expires_ns >= now_ns) live.push_back(f);
    }
    return live;
}

Result<ModulePrograms> ChainMap::loadPrograms(const ModuleType &type) const {
    std::vector<char> log(256 * 1024, '\0');
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = type.name.c_str(), .kernel_log_buf = log.data(),
                .kernel_log_size = log.size());
    auto opened = openObject(type, &opts);
    if (!opened.ok()) return opened.error();
    bpf_object *obj = opened->obj;
    bpf_program *netdev = nullptr, *chain_prog = nullptr;
    if (auto s = findEntryPrograms(obj, type.mode, &netdev, &chain_prog); !s.ok()) return s.error();
    ModulePrograms programs;
    bpf_map *map;
    bpf_object__for_each_map(map, obj) {  // libbpf drops the inner templates once it made the maps
        if (const bpf_map *inner = bpf_map__inner_map(map))
            programs.inner.emplace_back(bpf_map__name(map),
                                        InnerMapSpec{bpf_map__type(inner), bpf_map__key_size(inner),
                                                     bpf_map__value_size(inner), bpf_map__max_entries(inner),
                                                     bpf_map__map_flags(inner)});
    }
    if (bpf_object__load(obj) != 0) {
        const int err = errno;
        return makeError(Errc::kRejected, std::string("rejected (") + std::strerror(err) + "). Verifier log:\n" + tail(log));
    }
    keepShared(obj, opened->shared);
    programs.netdev = Fd(dup(bpf_program__fd(netdev)));
    programs.chain = Fd(dup(bpf_program__fd(chain_prog)));
    const auto &shared = opened->shared;
    bpf_object__for_each_map(map, obj) {
        const std::string name = bpf_map__name(map);
        if (!isInternal(name) && std::find(shared.begin(), shared.end(), name) == shared.end())
            programs.own_maps.emplace_back(name, Fd(dup(bpf_map__fd(map))));
    }
    return programs;
}

Result<const ModulePrograms *> ChainMap::typePrograms(const ModuleType &type) const {
    // One load at a time: the first instance of a type loads it, the others
    // of its batch wait for it.
    std::lock_guard<std::mutex> lock(types_mu_);
    auto it = types_.find(&type);
    if (it != types_.end()) return it->second.get();
    auto loaded = loadPrograms(type);
    if (!loaded.ok()) return loaded.error();
    return types_.emplace(&type, std::make_unique<ModulePrograms>(std::move(loaded.value()))).first->second.get();
}

}  // namespace hover
