#include "hover/module.h"

#include <bpf/btf.h>
#include <linux/btf.h>

#include <cstring>

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

Result<std::unique_ptr<ChainMap>> ChainMap::create() {
    const int fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "iov_chain", sizeof(uint32_t), sizeof(uint32_t),
                                  IOV_MAX_MODULES, nullptr);
    if (fd < 0) return errnoError(errno, "create chain program array");
    return std::unique_ptr<ChainMap>(new ChainMap(fd));
}

ChainMap::~ChainMap() { close(fd_); }

Result<std::unique_ptr<Module>> Module::load(const ModuleType &type, uint32_t id, const ChainMap &chain) {
    if (id == 0 || id >= IOV_MAX_MODULES)
        return makeError(Errc::kInvalid, "module id " + std::to_string(id) + " outside 1.." +
                                             std::to_string(IOV_MAX_MODULES - 1));
    std::unique_ptr<Module> m(new Module());
    m->id_ = id;
    m->type_name_ = type.name;
    m->chain_fd_ = chain.fd();
    const std::string what = "load " + type.name + " as module " + std::to_string(id);

    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = type.name.c_str());
    m->obj_ = bpf_object__open_mem(type.elf, type.elf_size, &opts);
    if (!m->obj_) return errnoError(errno, what + ": open");

    bpf_program *p;
    bpf_object__for_each_program(p, m->obj_) {
        if (endsWith(bpf_program__name(p), "_netdev")) m->netdev_prog_ = p;
        if (endsWith(bpf_program__name(p), "_chain")) m->chain_prog_ = p;
    }
    if (!m->netdev_prog_ || !m->chain_prog_)
        return makeError(Errc::kInvalid, what + ": no <name>_netdev/<name>_chain programs (use IOV_MODULE)");
    auto status = setRodataU32(m->obj_, "IOV_MODULE_ID", id);
    if (!status.ok()) return status.error().context(what);
    bpf_map *chain_map = bpf_object__find_map_by_name(m->obj_, "iov_chain");
    if (!chain_map) return makeError(Errc::kInvalid, what + ": no iov_chain map (include lib/chain.h)");
    if (bpf_map__reuse_fd(chain_map, chain.fd()) != 0) return errnoError(errno, what + ": share iov_chain");
    if (bpf_object__load(m->obj_) != 0) return errnoError(errno, what + ": verifier");

    const int chain_prog_fd = bpf_program__fd(m->chain_prog_);
    if (bpf_map_update_elem(chain.fd(), &id, &chain_prog_fd, BPF_ANY) != 0)
        return errnoError(errno, what + ": insert into iov_chain");
    return m;
}

Module::~Module() {
    if (obj_ && chain_fd_ >= 0) {
        // Only remove our own slot if it still holds our program.
        bpf_map_delete_elem(chain_fd_, &id_);
    }
    bpf_object__close(obj_);
}

Result<int> Module::mapFd(const std::string &name) const {
    const bpf_map *m = bpf_object__find_map_by_name(obj_, name.c_str());
    if (!m) return makeError(Errc::kNotFound, "module " + std::to_string(id_) + " has no table " + name);
    return bpf_map__fd(m);
}

Status Module::connectNetdev(uint32_t port, uint32_t ifindex) {
    if (port >= IOV_MAX_PORTS) return makeError(Errc::kInvalid, "port " + std::to_string(port) + " out of range");
    auto ports = map<uint32_t, iov_port>("iov_ports");
    auto netdevs = map<uint32_t, uint32_t>("iov_netdevs");
    if (!ports.ok()) return ports.error();
    if (!netdevs.ok()) return netdevs.error();
    iov_port peer{};
    peer.kind = IOV_PEER_NETDEV;
    peer.ifindex = ifindex;
    if (auto s = netdevs->update(ifindex, port); !s.ok()) return s;
    return ports->update(port, peer);
}

Status Module::connectModule(uint32_t port, uint32_t peer_module, uint32_t peer_port) {
    if (port >= IOV_MAX_PORTS || peer_port >= IOV_MAX_PORTS)
        return makeError(Errc::kInvalid, "port out of range 0.." + std::to_string(IOV_MAX_PORTS - 1));
    auto ports = map<uint32_t, iov_port>("iov_ports");
    if (!ports.ok()) return ports.error();
    iov_port peer{};
    peer.kind = IOV_PEER_MODULE;
    peer.peer_module = peer_module;
    peer.peer_port = peer_port;
    return ports->update(port, peer);
}

Status Module::disconnect(uint32_t port) {
    auto ports = map<uint32_t, iov_port>("iov_ports");
    auto netdevs = map<uint32_t, uint32_t>("iov_netdevs");
    if (!ports.ok()) return ports.error();
    if (!netdevs.ok()) return netdevs.error();
    auto old = ports->lookup(port);
    if (old.ok() && old->kind == IOV_PEER_NETDEV) (void)netdevs->remove(old->ifindex);
    return ports->update(port, iov_port{});
}

Result<iov_port_stats> Module::portStats(uint32_t port) const {
    auto stats = map<uint32_t, iov_port_stats>("iov_port_stats");
    if (!stats.ok()) return stats.error();
    auto per_cpu = stats->lookupPerCpu(port);
    if (!per_cpu.ok()) return per_cpu.error();
    iov_port_stats sum{};
    for (const auto &s : *per_cpu) {
        sum.rx_packets += s.rx_packets;
        sum.rx_bytes += s.rx_bytes;
        sum.tx_packets += s.tx_packets;
        sum.tx_bytes += s.tx_bytes;
    }
    return sum;
}

Result<std::array<uint64_t, IOV_DROP_MAX>> Module::drops() const {
    auto drops = map<uint32_t, uint64_t>("iov_drops");
    if (!drops.ok()) return drops.error();
    std::array<uint64_t, IOV_DROP_MAX> sum{};
    for (uint32_t r = 0; r < IOV_DROP_MAX; ++r) {
        auto per_cpu = drops->lookupPerCpu(r);
        if (!per_cpu.ok()) return per_cpu.error();
        for (uint64_t v : *per_cpu) sum[r] += v;
    }
    return sum;
}

}  // namespace hover
