#include "hover/module.h"

#include <chrono>

#include <bpf/btf.h>
#include <linux/btf.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>

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

bool endsWith(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Writes a `const volatile` global of the object's .rodata before load, found
// by name through the object's BTF.
Status setRodataU32(bpf_object *obj, const char *var, uint32_t value) {
    bpf_map *rodata = nullptr;
    bpf_map *m;
    bpf_object__for_each_map(m, obj) {
        if (endsWith(bpf_map__name(m), ".rodata")) rodata = m;
    }
    const btf *btf = bpf_object__btf(obj);
    if (!rodata || !btf) return makeError(Errc::kInvalid, "object has no .rodata/BTF for " + std::string(var));
    const int sec_id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
    if (sec_id < 0) return makeError(Errc::kInvalid, "no .rodata DATASEC in BTF");
    const btf_type *sec = btf__type_by_id(btf, sec_id);
    const btf_var_secinfo *vsi = btf_var_secinfos(sec);
    size_t size = 0;
    const auto *initial = static_cast<const char *>(bpf_map__initial_value(rodata, &size));
    if (!initial) return makeError(Errc::kInvalid, "object has an empty .rodata");
    std::vector<char> data(initial, initial + size);
    for (int i = 0; i < btf_vlen(sec); ++i, ++vsi) {
        const btf_type *v = btf__type_by_id(btf, vsi->type);
        if (std::strcmp(btf__name_by_offset(btf, v->name_off), var) != 0) continue;
        if (vsi->size != sizeof(value) || vsi->offset + sizeof(value) > size)
            return makeError(Errc::kInvalid, std::string(var) + " is not a u32 in .rodata");
        std::memcpy(data.data() + vsi->offset, &value, sizeof(value));
        if (bpf_map__set_initial_value(rodata, data.data(), data.size()) != 0)
            return errnoError(errno, std::string("set ") + var);
        return {};
    }
    return makeError(Errc::kInvalid, "module object does not define " + std::string(var));
}

}  // namespace

const char *dropReasonName(uint32_t reason) { return reason < IOV_DROP_MAX ? kDropNames[reason] : "UNKNOWN"; }
const char *dropReasonText(uint32_t reason) { return reason < IOV_DROP_MAX ? kDropTexts[reason] : "unknown"; }

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
// to the last one): time in the high bits.
uint64_t freshGeneration() {
    return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) << 16;
}

bool isInternal(const std::string &map_name) { return map_name.find('.') != std::string::npos; }

// A shared table pinned by an earlier hoverd must have the size asked for
// (libbpf would refuse to reuse it with a less helpful message).
Status checkPinnedSize(const std::string &pin, uint32_t entries, const std::string &flag, const std::string &lost) {
    Fd fd(bpf_obj_get(pin.c_str()));
    if (!fd.valid()) return {};
    auto info = mapInfo(fd.get());
    if (!info.ok()) return info.error();
    if (info->max_entries == entries) return {};
    return makeError(Errc::kConflict, pin + " holds " + std::to_string(info->max_entries) + " entries, not " +
                                          std::to_string(entries) + ": start with " + flag + " " +
                                          std::to_string(info->max_entries) + " or remove the pins (" + lost + ")");
}

// Built-in types through their skeleton; others from their ELF bytes, the
// module id (if any) set through BTF.
Result<OpenedObject> openModuleObject(const ModuleType &type, uint32_t id, const bpf_object_open_opts *opts) {
    if (type.open_skeleton) {
        // The skeleton finds its maps by the object's own name.
        bpf_object_open_opts skeleton_opts = *opts;
        skeleton_opts.object_name = nullptr;
        return type.open_skeleton(id, &skeleton_opts);
    }
    bpf_object *obj = bpf_object__open_mem(type.elf, type.elf_size, opts);
    if (!obj) return makeError(Errc::kInvalid, "not a usable eBPF ELF object (" + std::string(std::strerror(errno)) + ")");
    OpenedObject opened{obj, std::shared_ptr<void>(obj, [](void *o) { bpf_object__close(static_cast<bpf_object *>(o)); })};
    if (id)
        if (auto s = setRodataU32(obj, "IOV_MODULE_ID", id); !s.ok()) return s.error();
    return opened;
}

}  // namespace

uint64_t datapathClockNs() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
}

Result<std::unique_ptr<ChainMap>> ChainMap::create(AttachMode mode, HookSizes sizes) {
    return openPinned("", mode, sizes);
}

Result<std::unique_ptr<ChainMap>> ChainMap::openPinned(const std::string &dir, AttachMode mode, HookSizes sizes) {
    std::unique_ptr<ChainMap> chain(new ChainMap());
    chain->pin_dir_ = dir;
    chain->mode_ = mode;
    chain->sizes_ = sizes;
    std::error_code ec;
    if (!dir.empty() && (std::filesystem::create_directories(dir, ec), ec))
        return makeError(Errc::kUnavailable, "cannot create " + dir + ": " + ec.message());
    if (auto s = checkPinnedSize(dir + "/iov_conntrack", sizes.conntrack, "--conntrack-entries", "connections are lost");
        !s.ok())
        return s.error();
    if (auto s = checkPinnedSize(dir + "/iov_port_counters", sizes.port_counters, "--port-counters", "counters restart");
        !s.ok())
        return s.error();
    // The entry object creates the shared maps (or libbpf reuses the pinned ones).
    const ModuleType &entry = sharedEntryObject(mode);
    LIBBPF_OPTS(bpf_object_open_opts, opts);
    auto obj = chain->openObject(entry, 0, &opts);
    if (!obj.ok()) return obj.error().context("entry program");
    if (bpf_object__load(obj->obj) != 0) return errnoError(errno, "load the entry program");
    bpf_map *map;
    bpf_object__for_each_map(map, obj->obj) {
        if (!isInternal(bpf_map__name(map))) chain->maps_.emplace_back(bpf_map__name(map), Fd(dup(bpf_map__fd(map))));
    }
    if (auto s = chain->invalidateFlows(); !s.ok()) return s.error();  // also: a generation that is never 0

    bpf_program *prog = bpf_object__find_program_by_name(obj->obj, "iov_entry");
    if (!prog) return makeError(Errc::kInternal, "entry object without iov_entry");
    chain->entry_prog_ = Fd(dup(bpf_program__fd(prog)));
    const uint32_t slot = IOV_ENTRY_SLOT;
    const int prog_fd = chain->entry_prog_.get();
    if (bpf_map_update_elem(chain->fd(), &slot, &prog_fd, BPF_ANY) != 0)
        return errnoError(errno, "insert the entry program into iov_chain");
    return chain;
}

Result<OpenedObject> ChainMap::openObject(const ModuleType &type, uint32_t id, bpf_object_open_opts *opts) const {
    if (!pin_dir_.empty()) opts->pin_root_path = pin_dir_.c_str();
    auto opened = openModuleObject(type, id, opts);
    if (!opened.ok()) return opened;
    for (const auto &[name, entries] : {std::pair<const char *, uint32_t>{"iov_conntrack", sizes_.conntrack},
                                        {"iov_port_counters", sizes_.port_counters}})
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

namespace {

// Verifier log of a failed load, kept to its last part.
std::string tail(const std::vector<char> &log) {
    std::string text(log.data());
    constexpr size_t kMax = 8192;
    return text.size() > kMax ? "..." + text.substr(text.size() - kMax) : text;
}

}  // namespace

Result<std::unique_ptr<Module>> Module::load(const ModuleType &type, uint32_t id, const ChainMap &chain) {
    if (id == 0 || id >= IOV_MAX_MODULES)
        return makeError(Errc::kInvalid, "module id " + std::to_string(id) + " outside 1.." +
                                             std::to_string(IOV_MAX_MODULES - 1));
    const std::string what = "load " + type.name + " as module " + std::to_string(id);
    std::vector<char> log(256 * 1024, '\0');
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = type.name.c_str(), .kernel_log_buf = log.data(),
                .kernel_log_size = log.size());
    auto opened = chain.openObject(type, id, &opts);
    if (!opened.ok()) return opened.error().context(what);
    bpf_object *obj = opened->obj;

    bpf_program *netdev = nullptr, *chain_prog = nullptr, *p;
    bpf_object__for_each_program(p, obj) {
        if (endsWith(bpf_program__name(p), "_netdev")) netdev = p;
        if (endsWith(bpf_program__name(p), "_chain")) chain_prog = p;
    }
    if (!netdev || !chain_prog)
        return makeError(Errc::kInvalid, what + ": no <name>_netdev/<name>_chain programs (use IOV_MODULE)");
    const bpf_prog_type want = type.mode == AttachMode::kXdp ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS;
    if (bpf_program__type(netdev) != want || bpf_program__type(chain_prog) != want)
        return makeError(Errc::kInvalid, what + ": programs are not of the " + attachModeName(type.mode) +
                                             " type (SEC(\"" + (type.mode == AttachMode::kXdp ? "xdp" : "tc") + "\"))");
    if (!bpf_object__find_map_by_name(obj, "iov_chain"))
        return makeError(Errc::kInvalid, what + ": no iov_chain map (include lib/chain.h)");
    if (bpf_object__load(obj) != 0) {
        const int err = errno;
        return makeError(Errc::kRejected, what + ": rejected (" + std::strerror(err) + "). Verifier log:\n" + tail(log));
    }

    std::unique_ptr<Module> m(new Module());
    m->id_ = id;
    m->type_name_ = type.name;
    m->mode_ = type.mode;
    m->chain_ = &chain;
    m->netdev_prog_ = Fd(dup(bpf_program__fd(netdev)));
    m->chain_prog_ = Fd(dup(bpf_program__fd(chain_prog)));
    m->model_ = type.open_skeleton ? model::findModuleType(type.name) : nullptr;
    chain.keepShared(obj, opened->shared);
    const auto &shared = opened->shared;
    bpf_map *map;
    bpf_object__for_each_map(map, obj) {
        const std::string name = bpf_map__name(map);
        if (!isInternal(name) && std::find(shared.begin(), shared.end(), name) == shared.end())
            m->maps_.emplace_back(name, Fd(dup(bpf_map__fd(map))));
    }
    if (auto s = m->joinChain(); !s.ok()) return s.error().context(what);
    return m;
}

Status Module::joinChain() {
    const int fd = chain_prog_.get();
    if (bpf_map_update_elem(chain_->fd(), &id_, &fd, BPF_ANY) != 0) return errnoError(errno, "insert into iov_chain");
    return chain_->invalidateFlows();
}

Result<std::unique_ptr<Module>> Module::adopt(const std::string &dir, uint32_t id, const std::string &type_name,
                                              AttachMode mode, const ChainMap &chain) {
    const std::string what = "adopt module " + std::to_string(id) + " from " + dir;
    std::unique_ptr<Module> m(new Module());
    m->id_ = id;
    m->type_name_ = type_name;
    m->mode_ = mode;
    m->chain_ = &chain;
    m->pin_dir_ = dir;
    m->model_ = model::findModuleType(type_name);
    m->netdev_prog_ = Fd(bpf_obj_get((dir + "/prog_netdev").c_str()));
    m->chain_prog_ = Fd(bpf_obj_get((dir + "/prog_chain").c_str()));
    if (!m->netdev_prog_.valid() || !m->chain_prog_.valid()) return errnoError(errno, what + ": programs");
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto &entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string file = entry.path().filename().string();
        if (file.rfind("map_", 0) == 0) names.push_back(file.substr(4));
    }
    if (ec) return makeError(Errc::kNotFound, what + ": " + ec.message());
    std::sort(names.begin(), names.end());
    for (const auto &name : names) {
        Fd fd(bpf_obj_get((dir + "/map_" + name).c_str()));
        if (!fd.valid()) return errnoError(errno, what + ": map " + name);
        m->maps_.emplace_back(name, std::move(fd));
    }
    // The chain entry survived in the pinned chain map; re-insert in case
    // the chain map was recreated.
    if (auto s = m->joinChain(); !s.ok()) return s.error().context(what);
    m->claimCounters();
    return m;
}

Status Module::pin(const std::string &dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return makeError(Errc::kInternal, "create " + dir + ": " + ec.message());
    auto pinOne = [&](int fd, const std::string &file) -> Status {
        const std::string path = dir + "/" + file;
        unlink(path.c_str());
        if (bpf_obj_pin(fd, path.c_str()) != 0) return errnoError(errno, "pin " + path);
        return {};
    };
    if (auto s = pinOne(netdev_prog_.get(), "prog_netdev"); !s.ok()) return s;
    if (auto s = pinOne(chain_prog_.get(), "prog_chain"); !s.ok()) return s;
    for (const auto &[name, fd] : maps_)
        if (auto s = pinOne(fd.get(), "map_" + name); !s.ok()) return s;
    pin_dir_ = dir;
    return {};
}

Status Module::remove() {
    if (chain_) {
        bpf_map_delete_elem(chain_->fd(), &id_);
        if (auto s = chain_->invalidateFlows(); !s.ok()) return s;
        releaseCounters();
        purgeSharedTables();
        chain_ = nullptr;
    }
    if (!pin_dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(pin_dir_, ec);
        if (ec) return makeError(Errc::kInternal, "unpin " + pin_dir_ + ": " + ec.message());
        pin_dir_.clear();
    }
    return {};
}

Module::~Module() {
    if (pin_dir_.empty()) (void)remove();
}

std::vector<std::string> Module::tableNames() const {
    std::vector<std::string> names;
    for (const auto &entry : maps_) names.push_back(entry.first);
    if (model_)
        for (const model::TableDesc *t : model_->tables)
            if (t->shared_map) names.push_back(t->name);
    return names;
}

Result<int> Module::mapFd(const std::string &name) const {
    for (const auto &[map_name, fd] : maps_)
        if (map_name == name) return fd.get();
    return makeError(Errc::kNotFound, "module " + std::to_string(id_) + " has no table " + name);
}

Status Module::configChanged() const {
    Status flows = chain_ ? chain_->invalidateFlows() : Status();
    auto fd = mapFd("iov_config_gen");
    if (!fd.ok()) return flows;
    const uint32_t zero = 0;
    const uint64_t gen = freshGeneration();
    if (bpf_map_update_elem(*fd, &zero, &gen, BPF_ANY) != 0)
        return errnoError(errno, "renew the configuration generation of module " + std::to_string(id_));
    return flows;
}

Status Module::changed(Status s) const {
    Status bumped = configChanged();
    return s.ok() ? bumped : s;
}

// Flows through a port whose peer changes are stale: every wiring change is
// a configuration change.
Status Module::connectNetdev(uint32_t port, uint32_t ifindex) { return changed(wireNetdev(port, ifindex)); }
Status Module::connectModule(uint32_t port, uint32_t peer_module, uint32_t peer_port) {
    return changed(wireModule(port, peer_module, peer_port));
}
Status Module::disconnect(uint32_t port) { return changed(unwire(port)); }

Status Module::wireNetdev(uint32_t port, uint32_t ifindex) {
    if (port >= IOV_MAX_PORTS) return makeError(Errc::kInvalid, "port " + std::to_string(port) + " out of range");
    auto ports = map<uint32_t, iov_port>("iov_ports");
    if (!ports.ok()) return ports.error();
    if (!chain_) return makeError(Errc::kInvalid, "module " + std::to_string(id_) + " is out of the chain");
    auto counter = portCounter(port);
    if (!counter.ok()) return counter.error();
    iov_port peer{};
    peer.kind = IOV_PEER_NETDEV;
    peer.ifindex = ifindex;
    peer.counter = *counter;
    if (auto s = chain_->bindNetdev(ifindex, id_, port); !s.ok()) return s;
    return ports->update(port, peer);
}

Status Module::wireModule(uint32_t port, uint32_t peer_module, uint32_t peer_port) {
    if (port >= IOV_MAX_PORTS || peer_port >= IOV_MAX_PORTS)
        return makeError(Errc::kInvalid, "port out of range 0.." + std::to_string(IOV_MAX_PORTS - 1));
    auto ports = map<uint32_t, iov_port>("iov_ports");
    if (!ports.ok()) return ports.error();
    auto counter = portCounter(port);
    if (!counter.ok()) return counter.error();
    iov_port peer{};
    peer.kind = IOV_PEER_MODULE;
    peer.peer_module = peer_module;
    peer.peer_port = peer_port;
    peer.counter = *counter;
    return ports->update(port, peer);
}

Status Module::unwire(uint32_t port) {
    auto ports = map<uint32_t, iov_port>("iov_ports");
    if (!ports.ok()) return ports.error();
    auto old = ports->lookup(port);
    if (old.ok() && old->kind == IOV_PEER_NETDEV && chain_) (void)chain_->bindNetdev(old->ifindex, 0, 0);
    iov_port none{};
    none.counter = old.ok() ? old->counter : 0;  // its counts stay with the port
    return ports->update(port, none);
}

}  // namespace hover
