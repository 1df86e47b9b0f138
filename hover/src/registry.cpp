// The registry's modules and their persistence (StateStore, pins).
#include "registry.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <thread>

#include "custom_module.h"
#include "hover/model/l2switch.h"

namespace hover {

using nlohmann::json;

namespace {

json endpointJson(const Endpoint &e) {
    if (e.is_module) return {{"module", e.module}, {"port", e.port}};
    return {{"interface", e.ifname}, {"ifindex", e.ifindex}};
}

Endpoint endpointFrom(const json &j) {
    Endpoint e;
    if (j.contains("module")) {
        e.is_module = true;
        e.module = j.at("module").get<uint32_t>();
        e.port = j.at("port").get<uint32_t>();
    } else {
        e.ifname = j.at("interface").get<std::string>();
        e.ifindex = j.at("ifindex").get<uint32_t>();
    }
    return e;
}

}  // namespace

namespace fs = std::filesystem;

Result<std::unique_ptr<Registry>> Registry::open(const RegistryOptions &options) {
    std::unique_ptr<Registry> r(new Registry(options));
    std::error_code ec;
    fs::create_directories(options.pin_root, ec);
    if (ec) return makeError(Errc::kUnavailable, "cannot create " + options.pin_root + " (is bpffs mounted at /sys/fs/bpf?): " + ec.message());
    fs::create_directories(options.state_dir, ec);
    if (ec) return makeError(Errc::kUnavailable, "cannot create " + options.state_dir + ": " + ec.message());
    // The XDP hook's shared maps (tens of MiB) exist once an XDP module does.
    if (auto s = r->openChain(AttachMode::kTc); !s.ok()) return s.error();
    if (fs::exists(options.pin_root + "/xdp"))
        if (auto s = r->openChain(AttachMode::kXdp); !s.ok()) return s.error();

    auto state = r->store_.load();
    if (!state.ok()) return state.error();
    const std::set<uint32_t> cut_short = r->undo_journal_.recover();
    if (auto s = r->restore(*state); !s.ok()) return s.error();
    r->removeUnsavedModules();
    for (uint32_t id : cut_short) r->tablesRolledBack(id);
    return r;
}

// What derives from a module's tables follows them again after a rollback.
void Registry::tablesRolledBack(uint32_t id) {
    auto it = modules_.find(id);
    if (it == modules_.end()) return;
    for (uint32_t port = 0; it->second.info.type == model::l2switch::kType.name && port < IOV_MAX_PORTS; ++port)
        portChanged(it->second, port);
    (void)it->second.module->configChanged();
}

// Modules loaded but never saved (hoverd died in between): nothing refers
// to them; their pins and chain slots go, their ids are free again.
void Registry::removeUnsavedModules() {
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(options_.pin_root, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() < 2 || name[0] != 'm' || name.find_first_not_of("0123456789", 1) != std::string::npos) continue;
        const uint32_t id = static_cast<uint32_t>(std::stoul(name.substr(1)));
        if (modules_.count(id)) continue;
        std::cerr << "hoverd: module " << id << " was loaded but never saved (hoverd stopped in between): removing it\n";
        fs::remove_all(entry.path(), ec);
    }
    // A load killed before it pinned anything still holds its chain slot.
    for (const ChainMap *chain : chains())
        for (uint32_t id = 1; id < IOV_MAX_MODULES; ++id) {
            uint32_t prog_id;
            if (!modules_.count(id) && bpf_map_lookup_elem(chain->fd(), &id, &prog_id) == 0)
                (void)bpf_map_delete_elem(chain->fd(), &id);
        }
}

Registry::~Registry() {
    for (auto &[id, link] : links_)
        if (link.attachment) link.attachment->release();
}

Status Registry::restore(const json &state) {
    try {
        next_module_id_ = state.value("next_module_id", 1u);
        next_link_id_ = state.value("next_link_id", 1u);
        for (const auto &m : state.at("modules"))
            if (auto s = restoreModule(m); !s.ok()) return s;
        for (const auto &l : state.at("links"))
            if (auto s = restoreLink(l); !s.ok()) return s;
    } catch (const json::exception &e) {
        return makeError(Errc::kInternal, "the saved state is malformed: " + std::string(e.what()));
    }
    return {};
}

// Adopts the module's pins, or loads it afresh (tables empty) if they are
// gone, e.g. after a reboot.
Status Registry::restoreModule(const json &m) {
    ModuleRecord rec;
    rec.info.id = m.at("id");
    rec.info.type = m.at("type");
    rec.info.display_name = m.value("display_name", "");
    rec.info.config = m.value("config", json::object());
    auto mode = parseAttachMode(m.value("attach", "tc"));
    if (!mode.ok()) return mode.error();
    rec.info.mode = *mode;
    if (auto s = openChain(rec.info.mode); !s.ok()) return s;
    auto adopted = Module::adopt(pinDir(rec.info.id), rec.info.id, rec.info.type, rec.info.mode, chainFor(rec.info.mode));
    if (adopted.ok()) {
        rec.module = std::move(adopted.value());
    } else {
        std::cerr << "hoverd: " << adopted.error().message << "; reloading module " << rec.info.id << "\n";
        CreateModule again{rec.info.type, rec.info.display_name, rec.info.mode, rec.info.config, "", {}};
        if (rec.info.type == "bpf") {
            std::ifstream elf(options_.state_dir + "/m" + std::to_string(rec.info.id) + ".o", std::ios::binary);
            again.object.assign(std::istreambuf_iterator<char>(elf), {});
        }
        auto loaded = loadModule(again, rec.info.id);
        if (!loaded.ok()) return loaded.error().context("restore module " + std::to_string(rec.info.id));
        rec.module = std::move(loaded.value());
    }
    indexModule(rec.info, true);
    modules_.emplace(rec.info.id, std::move(rec));
    return {};
}

// Rewires and reattaches a link; one to an interface that is gone is dropped.
Status Registry::restoreLink(const json &l) {
    LinkRecord rec;
    rec.info.id = l.at("id");
    rec.info.from = endpointFrom(l.at("from"));
    rec.info.to = endpointFrom(l.at("to"));
    for (const Endpoint *e : {&rec.info.from, &rec.info.to}) {
        if (!e->is_module && if_nametoindex(e->ifname.c_str()) != e->ifindex) {
            std::cerr << "hoverd: interface " << e->ifname << " of link " << rec.info.id << " is gone; dropping the link\n";
            return store_.dropLink(rec.info.id);
        }
    }
    if (auto s = wire(rec); !s.ok()) return s.error().context("restore link " + std::to_string(rec.info.id));
    // Re-attaching the same program replaces it atomically (no gap), and
    // repairs an attachment lost in a reboot.
    auto att = attachNetdev(rec.info);
    if (!att.ok()) return att.error().context("restore link " + std::to_string(rec.info.id));
    rec.attachment = std::move(att.value());
    const uint32_t id = rec.info.id;
    indexLink(rec.info, true);
    LinkRecord &stored = links_.emplace(id, std::move(rec)).first->second;
    if (stored.attachment) stored.attachment->setCreatedQdisc(l.value("created_qdisc", false));
    return {};
}

Status Registry::saveModule(const ModuleRecord &rec) {
    const ModuleInfo &m = rec.info;
    return store_.putModule(m.id, {{"id", m.id}, {"type", m.type}, {"display_name", m.display_name},
                                   {"attach", attachModeName(m.mode)}, {"config", m.config}});
}

Status Registry::saveLink(const LinkRecord &rec) {
    return store_.putLink(rec.info.id, {{"id", rec.info.id}, {"from", endpointJson(rec.info.from)},
                                        {"to", endpointJson(rec.info.to)},
                                        {"created_qdisc", rec.attachment && rec.attachment->createdQdisc()}});
}

Status Registry::saveNextIds() { return store_.putNextIds(next_module_id_, next_link_id_); }

const ChainMap &Registry::chainFor(AttachMode mode) const { return mode == AttachMode::kXdp ? *chain_xdp_ : *chain_tc_; }

std::vector<const ChainMap *> Registry::chains() const {
    std::vector<const ChainMap *> out{chain_tc_.get()};
    if (chain_xdp_) out.push_back(chain_xdp_.get());
    return out;
}

Status Registry::openChain(AttachMode mode) {
    std::unique_ptr<ChainMap> &chain = mode == AttachMode::kXdp ? chain_xdp_ : chain_tc_;
    if (chain) return {};
    auto opened = ChainMap::openPinned(options_.pin_root + "/" + attachModeName(mode), mode, options_.hook_settings);
    if (!opened.ok()) return opened.error();
    chain = std::move(opened.value());
    if (mode == AttachMode::kTc)
        tc_block_ = std::make_unique<SharedTcBlock>(SharedTcBlock::indexFor(options_.pin_root), chain->entryProgFd());
    return {};
}

std::string Registry::pinDir(uint32_t id) const { return options_.pin_root + "/m" + std::to_string(id); }

ModuleInfo Registry::infoOf(const ModuleRecord &record) const {
    ModuleInfo info = record.info;
    info.ports.clear();
    if (auto links = links_of_module_.find(info.id); links != links_of_module_.end())
        for (uint32_t id : links->second) {
            const LinkInfo &link = links_.at(id).info;
            for (const Endpoint *e : {&link.from, &link.to})
                if (e->is_module && e->module == info.id) info.ports.emplace_back(e->port, id);
        }
    std::sort(info.ports.begin(), info.ports.end());
    return info;
}

void Registry::indexModule(const ModuleInfo &info, bool add) {
    if (info.display_name.empty()) return;
    if (add) module_by_name_[info.display_name] = info.id;
    else module_by_name_.erase(info.display_name);
}

void Registry::indexLink(const LinkInfo &info, bool add) {
    for (const Endpoint *e : {&info.from, &info.to}) {
        if (e->is_module && add) links_of_module_[e->module].insert(info.id);
        else if (e->is_module) {
            auto links = links_of_module_.find(e->module);
            if (links != links_of_module_.end() && (links->second.erase(info.id), links->second.empty()))
                links_of_module_.erase(links);
        } else if (add) link_of_netdev_[e->ifindex] = info.id;
        else link_of_netdev_.erase(e->ifindex);
    }
}

Result<Registry::ModuleRecord *> Registry::find(const std::string &ref) {
    if (isModuleId(ref)) {
        auto it = modules_.find(static_cast<uint32_t>(std::stoul(ref)));
        if (it != modules_.end()) return &it->second;
    } else if (auto named = module_by_name_.find(ref); named != module_by_name_.end()) {
        return &modules_.at(named->second);
    }
    return makeError(Errc::kNotFound, "no module '" + ref + "'");
}

Result<std::unique_ptr<Module>> Registry::loadModule(const CreateModule &request, uint32_t id) {
    if (request.type != "bpf") {
        const ModuleType *type = findBuiltinModuleType(request.type, request.mode);
        if (!type) {
            std::string known;
            for (const auto &n : builtinModuleTypeNames()) known += n + ", ";
            return makeError(Errc::kInvalid, "unknown module_type '" + request.type + "' (known: " + known + "bpf)");
        }
        return Module::load(*type, id, chainFor(request.mode));
    }
    Bytes elf = request.object;
    if (elf.empty()) {
        if (request.source.empty())
            return makeError(Errc::kInvalid, "module_type bpf needs config.source (C) or config.object (base64 ELF)");
        auto compiled = compileCustomModule(request.source, request.mode, options_.bpf_include_dir);
        if (!compiled.ok()) return compiled.error();
        elf = std::move(compiled.value());
    }
    ModuleType type{"bpf", request.mode, elf.data(), elf.size()};
    auto m = Module::load(type, id, chainFor(request.mode));
    if (m.ok()) {
        // Kept to reload the module if its pins vanish (reboot).
        std::ofstream out(options_.state_dir + "/m" + std::to_string(id) + ".o", std::ios::binary);
        out.write(reinterpret_cast<const char *>(elf.data()), elf.size());
    }
    return m;
}

Status Registry::checkNewName(const std::string &name, const std::set<std::string> &batch, uint32_t renamed) const {
    if (isModuleId(name)) return makeError(Errc::kInvalid, "display_name '" + name + "' must not be a number (ids are)");
    if (name.empty()) return {};
    // Names stand in URL paths and in link ends (m:NAME:PORT): no separators,
    // no dot-only names.
    const bool plain = name.size() <= 64 && name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                                    "0123456789._-") == std::string::npos;
    if (!plain || name.find_first_not_of('.') == std::string::npos)
        return makeError(Errc::kInvalid, "display_name '" + name.substr(0, 64) + (name.size() > 64 ? "...'" : "'") +
                                             " must be up to 64 of A-Z a-z 0-9 . _ - (and not only dots)");
    if (auto named = module_by_name_.find(name); named != module_by_name_.end() && named->second != renamed)
        return makeError(Errc::kConflict, "a module named '" + name + "' exists (id " + std::to_string(named->second) + ")");
    if (batch.count(name)) return makeError(Errc::kConflict, "the name '" + name + "' is given twice");
    if (loading_names_.count(name)) return makeError(Errc::kConflict, "a module named '" + name + "' is being loaded");
    return {};
}

Result<ModuleInfo> Registry::createModule(const CreateModule &request) {
    auto created = createModules({request});
    if (!created.ok()) return created.error();
    return created->front();
}

Result<std::vector<uint32_t>> Registry::reserve(const std::vector<CreateModule> &requests) {
    for (const auto &request : requests)
        if (auto s = openChain(request.mode); !s.ok()) return s.error();
    std::set<std::string> names;
    std::vector<uint32_t> ids;
    uint32_t id = next_module_id_;
    for (size_t i = 0; i < requests.size(); ++i) {
        if (auto s = checkNewName(requests[i].display_name, names); !s.ok())
            return requests.size() > 1 ? s.error().context("module " + std::to_string(i)) : s.error();
        names.insert(requests[i].display_name);
        if (modules_.size() + loading_ids_.size() + ids.size() >= IOV_MAX_MODULES - 1)
            return makeError(Errc::kFull, "module limit reached: " + std::to_string(IOV_MAX_MODULES - 1) +
                                              " modules (and chain slots) per hoverd");
        while (modules_.count(id) || loading_ids_.count(id) || id == 0 || id >= IOV_MAX_MODULES ||
               std::find(ids.begin(), ids.end(), id) != ids.end())
            id = id + 1 >= IOV_MAX_MODULES ? 1 : id + 1;
        ids.push_back(id);
    }
    names.erase("");
    loading_names_.insert(names.begin(), names.end());
    loading_ids_.insert(ids.begin(), ids.end());
    next_module_id_ = id + 1 >= IOV_MAX_MODULES ? 1 : id + 1;
    return ids;
}

std::vector<Result<std::unique_ptr<Module>>> Registry::loadAll(const std::vector<CreateModule> &requests,
                                                               const std::vector<uint32_t> &ids) {
    // One loader thread per core; each load has its own bpf_object.
    std::vector<std::optional<Result<std::unique_ptr<Module>>>> loaded(requests.size());
    std::atomic<size_t> next{0};
    auto loader = [&] {
        for (size_t i; (i = next++) < requests.size();) loaded[i] = loadModule(requests[i], ids[i]);
    };
    const size_t workers = std::min<size_t>(requests.size(), std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::thread> threads;
    for (size_t w = 1; w < workers; ++w) threads.emplace_back(loader);
    loader();
    for (auto &t : threads) t.join();
    std::vector<Result<std::unique_ptr<Module>>> out;
    for (auto &m : loaded) out.push_back(std::move(*m));
    return out;
}

Result<std::vector<ModuleInfo>> Registry::createModules(const std::vector<CreateModule> &requests) {
    // Names and ids are taken under the lock; the verifier runs without it,
    // so /health and reads are not kept waiting by a full sync.
    Result<std::vector<uint32_t>> ids = [&] {
        std::lock_guard<std::mutex> lock(mu_);
        return reserve(requests);
    }();
    if (!ids.ok()) return ids.error();
    auto loaded = loadAll(requests, *ids);

    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < requests.size(); ++i) {
        loading_ids_.erase((*ids)[i]);
        loading_names_.erase(requests[i].display_name);
    }
    std::optional<iovisor::Error> error;
    for (size_t i = 0; i < requests.size() && !error; ++i) {
        if (!loaded[i].ok()) error = loaded[i].error();
        else if (auto s = (*loaded[i])->pin(pinDir((*ids)[i])); !s.ok()) error = s.error();
        if (error && requests.size() > 1) error->context("module " + std::to_string(i) + " ('" + requests[i].display_name + "')");
    }
    if (error) {
        for (auto &m : loaded)
            if (m.ok()) (void)(*m)->remove();
        return *error;
    }
    std::vector<ModuleInfo> out;
    StateStore::Batch saved(store_);  // the whole batch, or none of it after a crash
    for (size_t i = 0; i < requests.size(); ++i) {
        const CreateModule &request = requests[i];
        ModuleRecord rec{ModuleInfo{(*ids)[i], request.type, request.display_name, request.mode, request.config, {}},
                         std::move(loaded[i].value())};
        indexModule(rec.info, true);
        const ModuleRecord &stored = modules_.emplace((*ids)[i], std::move(rec)).first->second;
        if (auto s = saveModule(stored); !s.ok()) return s.error();
        out.push_back(infoOf(stored));
    }
    if (auto s = saveNextIds(); !s.ok()) return s.error();
    if (auto s = saved.commit(); !s.ok()) return s.error();
    return out;
}

Registry::Counts Registry::counts() {
    std::lock_guard<std::mutex> lock(mu_);
    Counts counts{modules_.size(), links_.size(), {}};
    return counts;
}

std::vector<ModuleInfo> Registry::listModules() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<ModuleInfo> out;
    for (const auto &[id, rec] : modules_) out.push_back(infoOf(rec));
    return out;
}

Result<ModuleInfo> Registry::getModule(const std::string &ref) {
    std::lock_guard<std::mutex> lock(mu_);
    auto rec = find(ref);
    if (!rec.ok()) return rec.error();
    return infoOf(**rec);
}

Result<ModuleInfo> Registry::updateModule(const std::string &ref, const std::optional<std::string> &display_name,
                                          const std::optional<json> &config) {
    std::lock_guard<std::mutex> lock(mu_);
    auto rec = find(ref);
    if (!rec.ok()) return rec.error();
    if (display_name) {
        if (auto s = checkNewName(*display_name, {}, (*rec)->info.id); !s.ok()) return s.error();
        indexModule((*rec)->info, false);
        (*rec)->info.display_name = *display_name;
        indexModule((*rec)->info, true);
    }
    if (config) (*rec)->info.config = *config;
    if (auto s = saveModule(**rec); !s.ok()) return s.error();
    return infoOf(**rec);
}

Status Registry::deleteModule(const std::string &ref) {
    std::lock_guard<std::mutex> lock(mu_);
    auto rec = find(ref);
    if (!rec.ok()) return rec.error();
    const uint32_t id = (*rec)->info.id;
    const ModuleInfo info = infoOf(**rec);
    if (!info.ports.empty())
        return makeError(Errc::kConflict, "module " + std::to_string(id) + " still has " +
                                              std::to_string(info.ports.size()) + " link(s): delete them first");
    if (auto s = (*rec)->module->remove(); !s.ok()) return s;
    for (uint32_t map_id : own_codecs_[id]) codecs_.erase(map_id);
    own_codecs_.erase(id);
    std::error_code ec;
    fs::remove(options_.state_dir + "/m" + std::to_string(id) + ".o", ec);
    indexModule((*rec)->info, false);
    modules_.erase(id);
    return store_.dropModule(id);
}

}  // namespace hover
