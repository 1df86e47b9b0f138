// Module instances: a slot in the hook's chain, its entries in the hook's
// maps and its type's programs (see module.h).
#include "hover/module.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "module_internal.h"

namespace hover {

using iovisor::Errc;
using iovisor::errnoError;
using iovisor::makeError;
using iovisor::Result;
using iovisor::Status;

Result<std::unique_ptr<Module>> Module::load(const ModuleType &type, uint32_t id, const ChainMap &chain) {
    if (id == 0 || id >= IOV_MAX_MODULES)
        return makeError(Errc::kInvalid, "module id " + std::to_string(id) + " outside 1.." +
                                             std::to_string(IOV_MAX_MODULES - 1));
    const std::string what = "load " + type.name + " as module " + std::to_string(id);
    ModulePrograms own;
    const ModulePrograms *programs = &own;
    if (type.open_skeleton) {
        auto shared = chain.typePrograms(type);
        if (!shared.ok()) return shared.error().context(what);
        programs = *shared;
    } else {
        auto loaded = chain.loadPrograms(type);
        if (!loaded.ok()) return loaded.error().context(what);
        own = std::move(loaded.value());
    }
    std::unique_ptr<Module> m(new Module());
    m->id_ = id;
    m->type_name_ = type.name;
    m->mode_ = type.mode;
    m->chain_ = &chain;
    m->netdev_prog_ = Fd(dup(programs->netdev.get()));
    m->chain_prog_ = Fd(dup(programs->chain.get()));
    m->model_ = type.open_skeleton ? model::findModuleType(type.name) : nullptr;
    m->maps_ = std::move(own.own_maps);
    if (auto s = m->makeInnerMaps(programs->inner); !s.ok()) return s.error().context(what);
    if (auto s = m->joinChain(); !s.ok()) return s.error().context(what);
    // A fresh generation: what an earlier instance with this id cached is stale.
    if (auto s = m->configChanged(); !s.ok()) return s.error().context(what);
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
        dropInnerMaps();
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
    for (const model::TableDesc *t : sharedTables()) names.push_back(t->name);
    return names;
}

Result<int> Module::mapFd(const std::string &name) const {
    for (const auto &[map_name, fd] : maps_)
        if (map_name == name) return fd.get();
    return makeError(Errc::kNotFound, "module " + std::to_string(id_) + " has no table " + name);
}

Status Module::configChanged() const {
    Status flows = chain_ ? chain_->invalidateFlows() : Status();
    if (!model_ || !model_->findTable(model::kConfigGen.desc.name)) return flows;
    auto gen = tableMap(model::kConfigGen.desc.name);
    const auto key = gen.ok() ? gen->mapKey(model::bytesOf(uint32_t{0})) : std::nullopt;
    const uint64_t fresh = freshGeneration();
    if (!key || bpf_map_update_elem(gen->fd, key->data(), &fresh, BPF_ANY) != 0)
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
    if (!chain_) return makeError(Errc::kInvalid, "module " + std::to_string(id_) + " is out of the chain");
    auto counter = portCounter(port);
    if (!counter.ok()) return counter.error();
    iov_port peer{};
    peer.kind = IOV_PEER_NETDEV;
    peer.ifindex = ifindex;
    peer.counter = *counter;
    if (auto s = chain_->bindNetdev(ifindex, id_, port); !s.ok()) return s;
    return setPeer(port, peer);
}

Status Module::wireModule(uint32_t port, uint32_t peer_module, uint32_t peer_port) {
    if (port >= IOV_MAX_PORTS || peer_port >= IOV_MAX_PORTS)
        return makeError(Errc::kInvalid, "port out of range 0.." + std::to_string(IOV_MAX_PORTS - 1));
    auto counter = portCounter(port);
    if (!counter.ok()) return counter.error();
    iov_port peer{};
    peer.kind = IOV_PEER_MODULE;
    peer.peer_module = peer_module;
    peer.peer_port = peer_port;
    peer.counter = *counter;
    return setPeer(port, peer);
}

Status Module::unwire(uint32_t port) {
    auto old = peer(port);
    if (old.ok() && old->kind == IOV_PEER_NETDEV && chain_) (void)chain_->bindNetdev(old->ifindex, 0, 0);
    iov_port none{};
    none.counter = old.ok() ? old->counter : 0;  // its counts stay with the port
    return setPeer(port, none);
}

Result<iov_port> Module::peer(uint32_t port) const {
    if (port >= IOV_MAX_PORTS) return makeError(Errc::kInvalid, "port " + std::to_string(port) + " out of range");
    if (!chain_) return makeError(Errc::kInvalid, "module " + std::to_string(id_) + " is out of the chain");
    auto peers = TypedMap<uint32_t, iov_port>::open(chain_->fdOf(model::kPeers.desc.shared_map));
    if (!peers.ok()) return peers.error();
    return peers->lookup(IOV_PORT_SLOT(id_, port));
}

Status Module::setPeer(uint32_t port, const iov_port &peer) const {
    if (!chain_) return makeError(Errc::kInvalid, "module " + std::to_string(id_) + " is out of the chain");
    auto peers = TypedMap<uint32_t, iov_port>::open(chain_->fdOf(model::kPeers.desc.shared_map));
    if (!peers.ok()) return peers.error();
    return peers->update(IOV_PORT_SLOT(id_, port), peer);
}

Status Module::makeInnerMaps(const std::vector<std::pair<std::string, InnerMapSpec>> &inner) {
    if (!model_) return {};
    for (const model::TableDesc *t : model_->kept) {
        auto spec = std::find_if(inner.begin(), inner.end(), [&](const auto &i) { return t->inner_of && i.first == t->inner_of; });
        if (spec == inner.end()) continue;  // not in this hook's build (e.g. TC switches flood by cloning)
        const InnerMapSpec &is = spec->second;
        LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = is.flags);
        Fd map(bpf_map_create(static_cast<bpf_map_type>(is.type), t->name, is.key_size, is.value_size, is.max_entries, &opts));
        if (!map.valid()) return errnoError(errno, std::string("create table ") + t->name);
        const int fd = map.get();
        if (bpf_map_update_elem(chain_->fdOf(t->inner_of), &id_, &fd, BPF_ANY) != 0)
            return errnoError(errno, std::string("insert table ") + t->name + " into " + t->inner_of);
        maps_.emplace_back(t->name, std::move(map));
    }
    return {};
}

void Module::dropInnerMaps() const {
    if (!model_) return;
    for (const model::TableDesc *t : model_->kept)
        if (t->inner_of && chain_->fdOf(t->inner_of) >= 0) bpf_map_delete_elem(chain_->fdOf(t->inner_of), &id_);
}

}  // namespace hover
