#include "registry.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <thread>

#include "custom_module.h"
#include "hover/l2switch.h"

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Result;
using iovisor::Status;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool isNumber(const std::string &s) {
    return !s.empty() && s.size() < 10 && s.find_first_not_of("0123456789") == std::string::npos;
}

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

std::string mapTypeName(uint32_t type) {
    switch (type) {
    case BPF_MAP_TYPE_HASH: return "hash";
    case BPF_MAP_TYPE_ARRAY: return "array";
    case BPF_MAP_TYPE_PERCPU_HASH: return "percpu_hash";
    case BPF_MAP_TYPE_PERCPU_ARRAY: return "percpu_array";
    case BPF_MAP_TYPE_LPM_TRIE: return "lpm_trie";
    case BPF_MAP_TYPE_LRU_HASH: return "lru_hash";
    case BPF_MAP_TYPE_LRU_PERCPU_HASH: return "lru_percpu_hash";
    case BPF_MAP_TYPE_DEVMAP_HASH: return "devmap_hash";
    case BPF_MAP_TYPE_DEVMAP: return "devmap";
    default: return "type " + std::to_string(type);
    }
}

// Value bytes as the kernel hands them over: per-CPU maps carry one value
// (rounded up to 8 bytes) per possible CPU.
size_t valueBytes(const MapInfo &info) {
    if (!isPerCpu(info.type)) return info.value_size;
    return ((info.value_size + 7) / 8 * 8) * possibleCpus();
}

}  // namespace

Result<std::unique_ptr<Registry>> Registry::open(const RegistryOptions &options) {
    std::unique_ptr<Registry> r(new Registry(options));
    std::error_code ec;
    fs::create_directories(options.pin_root, ec);
    if (ec) return makeError(Errc::kUnavailable, "cannot create " + options.pin_root + " (is bpffs mounted at /sys/fs/bpf?): " + ec.message());
    fs::create_directories(options.state_dir, ec);
    if (ec) return makeError(Errc::kUnavailable, "cannot create " + options.state_dir + ": " + ec.message());
    auto tc = ChainMap::openPinned(options.pin_root + "/chain_tc", AttachMode::kTc);
    if (!tc.ok()) return tc.error();
    auto xdp = ChainMap::openPinned(options.pin_root + "/chain_xdp", AttachMode::kXdp);
    if (!xdp.ok()) return xdp.error();
    r->chain_tc_ = std::move(tc.value());
    r->chain_xdp_ = std::move(xdp.value());

    std::ifstream in(options.state_dir + "/registry.json");
    if (in) {
        json state = json::parse(in, nullptr, false);
        if (state.is_discarded()) return makeError(Errc::kInternal, options.state_dir + "/registry.json is not JSON");
        if (auto s = r->restore(state); !s.ok()) return s.error();
    }
    return r;
}

Registry::~Registry() {
    for (auto &[id, link] : links_)
        if (link.attachment) link.attachment->release();
}

Status Registry::restore(const json &state) {
    try {
        next_module_id_ = state.value("next_module_id", 1u);
        next_link_id_ = state.value("next_link_id", 1u);
        for (const auto &m : state.at("modules")) {
            ModuleRecord rec;
            rec.info.id = m.at("id");
            rec.info.type = m.at("type");
            rec.info.display_name = m.value("display_name", "");
            rec.info.config = m.value("config", json::object());
            auto mode = parseAttachMode(m.value("attach", "tc"));
            if (!mode.ok()) return mode.error();
            rec.info.mode = *mode;
            auto adopted = Module::adopt(pinDir(rec.info.id), rec.info.id, rec.info.type, rec.info.mode,
                                         chainFor(rec.info.mode));
            if (adopted.ok()) {
                rec.module = std::move(adopted.value());
            } else {
                // Pins gone (e.g. after a reboot): load afresh, tables start empty.
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
            modules_.emplace(rec.info.id, std::move(rec));
        }
        for (const auto &l : state.at("links")) {
            LinkRecord rec;
            rec.info.id = l.at("id");
            rec.info.from = endpointFrom(l.at("from"));
            rec.info.to = endpointFrom(l.at("to"));
            for (const Endpoint *e : {&rec.info.from, &rec.info.to}) {
                if (!e->is_module && if_nametoindex(e->ifname.c_str()) != e->ifindex) {
                    std::cerr << "hoverd: interface " << e->ifname << " of link " << rec.info.id
                              << " is gone; dropping the link\n";
                    rec.info.id = 0;
                }
            }
            if (rec.info.id == 0) continue;
            if (auto s = wire(rec); !s.ok()) return s.error().context("restore link " + std::to_string(rec.info.id));
            // Re-attaching the same program replaces it atomically (no gap),
            // and repairs an attachment lost in a reboot.
            auto att = attachNetdev(rec.info);
            if (!att.ok()) return att.error().context("restore link " + std::to_string(rec.info.id));
            rec.attachment = std::move(att.value());
            const uint32_t id = rec.info.id;
            LinkRecord &stored = links_.emplace(id, std::move(rec)).first->second;
            if (stored.attachment) stored.attachment->setCreatedQdisc(l.value("created_qdisc", false));
        }
    } catch (const json::exception &e) {
        return makeError(Errc::kInternal, "registry.json is malformed: " + std::string(e.what()));
    }
    return save();
}

Status Registry::save() const {
    json modules = json::array(), links = json::array();
    for (const auto &[id, rec] : modules_)
        modules.push_back({{"id", id}, {"type", rec.info.type}, {"display_name", rec.info.display_name},
                           {"attach", attachModeName(rec.info.mode)}, {"config", rec.info.config}});
    for (const auto &[id, rec] : links_)
        links.push_back({{"id", id}, {"from", endpointJson(rec.info.from)}, {"to", endpointJson(rec.info.to)},
                         {"created_qdisc", rec.attachment && rec.attachment->createdQdisc()}});
    const json state = {{"next_module_id", next_module_id_}, {"next_link_id", next_link_id_},
                        {"modules", modules}, {"links", links}};
    const std::string path = options_.state_dir + "/registry.json";
    {
        std::ofstream out(path + ".tmp");
        out << state.dump(1) << "\n";
        if (!out) return makeError(Errc::kInternal, "cannot write " + path + ".tmp");
    }
    if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0)
        return iovisor::errnoError(errno, "rename to " + path);
    return {};
}

const ChainMap &Registry::chainFor(AttachMode mode) const { return mode == AttachMode::kXdp ? *chain_xdp_ : *chain_tc_; }

std::string Registry::pinDir(uint32_t id) const { return options_.pin_root + "/m" + std::to_string(id); }

ModuleInfo Registry::infoOf(const ModuleRecord &record) const {
    ModuleInfo info = record.info;
    info.ports.clear();
    for (const auto &[id, link] : links_)
        for (const Endpoint *e : {&link.info.from, &link.info.to})
            if (e->is_module && e->module == info.id) info.ports.emplace_back(e->port, id);
    std::sort(info.ports.begin(), info.ports.end());
    return info;
}

Result<Registry::ModuleRecord *> Registry::find(const std::string &ref) {
    if (isNumber(ref)) {
        auto it = modules_.find(static_cast<uint32_t>(std::stoul(ref)));
        if (it != modules_.end()) return &it->second;
    } else {
        for (auto &[id, rec] : modules_)
            if (rec.info.display_name == ref) return &rec;
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
    if (isNumber(name)) return makeError(Errc::kInvalid, "display_name '" + name + "' must not be a number (ids are)");
    if (name.empty()) return {};
    for (const auto &[id, rec] : modules_)
        if (id != renamed && rec.info.display_name == name)
            return makeError(Errc::kConflict, "a module named '" + name + "' exists (id " + std::to_string(id) + ")");
    if (batch.count(name)) return makeError(Errc::kConflict, "the name '" + name + "' is given twice");
    return {};
}

Result<ModuleInfo> Registry::createModule(const CreateModule &request) {
    auto created = createModules({request});
    if (!created.ok()) return created.error();
    return created->front();
}

Result<std::vector<ModuleInfo>> Registry::createModules(const std::vector<CreateModule> &requests) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto where = [&](size_t i) {
        return "module " + std::to_string(i) + " ('" + requests[i].display_name + "')";
    };
    const auto failed = [&](size_t i, iovisor::Error e) { return requests.size() > 1 ? e.context(where(i)) : e; };

    // Names and ids first: nothing is loaded for a batch that cannot land.
    std::set<std::string> names;
    std::vector<uint32_t> ids;
    uint32_t id = next_module_id_;
    for (size_t i = 0; i < requests.size(); ++i) {
        if (auto s = checkNewName(requests[i].display_name, names); !s.ok()) return failed(i, s.error());
        names.insert(requests[i].display_name);
        if (modules_.size() + ids.size() >= IOV_MAX_MODULES - 1) return makeError(Errc::kConflict, "no free module id");
        while (modules_.count(id) || id == 0 || id >= IOV_MAX_MODULES ||
               std::find(ids.begin(), ids.end(), id) != ids.end())
            id = id + 1 >= IOV_MAX_MODULES ? 1 : id + 1;
        ids.push_back(id);
    }

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

    std::optional<iovisor::Error> error;
    for (size_t i = 0; i < requests.size() && !error; ++i) {
        if (!loaded[i]->ok()) error = failed(i, loaded[i]->error());
        else if (auto s = (**loaded[i])->pin(pinDir(ids[i])); !s.ok()) error = failed(i, s.error());
    }
    if (error) {
        for (auto &m : loaded)
            if (m->ok()) (void)(**m)->remove();
        return *error;
    }

    std::vector<ModuleInfo> out;
    for (size_t i = 0; i < requests.size(); ++i) {
        const CreateModule &request = requests[i];
        ModuleRecord rec;
        rec.info = ModuleInfo{ids[i], request.type, request.display_name, request.mode, request.config, {}};
        rec.module = std::move(loaded[i]->value());
        out.push_back(infoOf(modules_.emplace(ids[i], std::move(rec)).first->second));
        next_module_id_ = ids[i] + 1;
    }
    if (auto s = save(); !s.ok()) return s.error();
    return out;
}

Registry::Counts Registry::counts() {
    std::lock_guard<std::mutex> lock(mu_);
    return {modules_.size(), links_.size()};
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
        (*rec)->info.display_name = *display_name;
    }
    if (config) (*rec)->info.config = *config;
    if (auto s = save(); !s.ok()) return s.error();
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
    for (auto it = codecs_.begin(); it != codecs_.end();)
        it = it->first.first == id ? codecs_.erase(it) : std::next(it);
    std::error_code ec;
    fs::remove(options_.state_dir + "/m" + std::to_string(id) + ".o", ec);
    modules_.erase(id);
    return save();
}

Result<Endpoint> Registry::parseEndpoint(const std::string &text, const std::optional<Endpoint> &reserved) {
    Endpoint e;
    if (text.rfind("i:", 0) == 0) {
        e.ifname = text.substr(2);
        e.ifindex = if_nametoindex(e.ifname.c_str());
        if (e.ifname.empty() || !e.ifindex) return makeError(Errc::kNotFound, "no network interface '" + e.ifname + "'");
        return e;
    }
    if (text.rfind("m:", 0) != 0)
        return makeError(Errc::kInvalid, "link endpoint '" + text + "' must be m:<module>[:<port>] or i:<interface>");
    std::string ref = text.substr(2), port;
    const auto colon = ref.find(':');
    if (colon != std::string::npos) {
        port = ref.substr(colon + 1);
        ref = ref.substr(0, colon);
    }
    auto rec = find(ref);
    if (!rec.ok()) return rec.error();
    e.is_module = true;
    e.module = (*rec)->info.id;
    std::set<uint32_t> used;
    for (const auto &p : infoOf(**rec).ports) used.insert(p.first);
    if (reserved && reserved->is_module && reserved->module == e.module) used.insert(reserved->port);
    if (!port.empty()) {
        if (!isNumber(port) || std::stoul(port) >= IOV_MAX_PORTS)
            return makeError(Errc::kInvalid, "port '" + port + "' must be 0.." + std::to_string(IOV_MAX_PORTS - 1));
        e.port = std::stoul(port);
        if (used.count(e.port))
            return makeError(Errc::kConflict, "port " + port + " of module " + ref + " is already linked");
        return e;
    }
    while (used.count(e.port)) ++e.port;
    if (e.port >= IOV_MAX_PORTS) return makeError(Errc::kConflict, "module " + ref + " has no free port");
    return e;
}

void Registry::portChanged(ModuleRecord &record, uint32_t port) {
    // XDP switches flood through devmaps that follow their netdev ports.
    if (record.info.type == "l2switch") (void)L2Switch(*record.module).syncFloodPort(port);
}

Status Registry::wire(const LinkRecord &link) {
    const Endpoint &a = link.info.from, &b = link.info.to;
    auto connect = [&](const Endpoint &self, const Endpoint &peer) -> Status {
        if (!self.is_module) return {};
        ModuleRecord &rec = modules_.at(self.module);
        Status s = peer.is_module ? rec.module->connectModule(self.port, peer.module, peer.port)
                                  : rec.module->connectNetdev(self.port, peer.ifindex);
        if (s.ok()) portChanged(rec, self.port);
        return s;
    };
    if (auto s = connect(a, b); !s.ok()) return s;
    return connect(b, a);
}

Result<std::unique_ptr<Attachment>> Registry::attachNetdev(const LinkInfo &link) {
    const Endpoint &module_side = link.from.is_module ? link.from : link.to;
    const Endpoint &netdev_side = link.from.is_module ? link.to : link.from;
    if (netdev_side.is_module) return std::unique_ptr<Attachment>();
    const ModuleRecord &m = modules_.at(module_side.module);
    return Attachment::attach(netdev_side.ifindex, m.module->netdevProgFd(), m.info.mode);
}

Result<LinkInfo> Registry::createLink(const std::string &from, const std::string &to) {
    auto created = createLinks({{from, to}});
    if (!created.ok()) return created.error();
    return created->front();
}

Result<std::vector<LinkInfo>> Registry::createLinks(const std::vector<std::pair<std::string, std::string>> &links) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<uint32_t> created;
    for (size_t i = 0; i < links.size(); ++i) {
        auto id = addLink(links[i].first, links[i].second);
        if (!id.ok()) {
            for (auto it = created.rbegin(); it != created.rend(); ++it) (void)removeLink(*it);
            if (links.size() == 1) return id.error();
            return id.error().context("link " + std::to_string(i) + " (" + links[i].first + " - " + links[i].second + ")");
        }
        created.push_back(*id);
    }
    if (auto s = save(); !s.ok()) return s.error();
    std::vector<LinkInfo> out;
    for (uint32_t id : created) out.push_back(links_.at(id).info);
    return out;
}

Result<uint32_t> Registry::addLink(const std::string &from, const std::string &to) {
    auto a = parseEndpoint(from, std::nullopt);
    if (!a.ok()) return a.error().context("from");
    auto b = parseEndpoint(to, *a);
    if (!b.ok()) return b.error().context("to");
    if (!a->is_module && !b->is_module) return makeError(Errc::kInvalid, "a link needs at least one module side");
    if (a->is_module && b->is_module) {
        if (modules_.at(a->module).info.mode != modules_.at(b->module).info.mode)
            return makeError(Errc::kInvalid, "cannot link a tc module to an xdp module (tail calls stay in one hook)");
    }
    for (const Endpoint *e : {&*a, &*b}) {
        if (e->is_module) continue;
        for (const auto &[id, link] : links_)
            for (const Endpoint *o : {&link.info.from, &link.info.to})
                if (!o->is_module && o->ifindex == e->ifindex)
                    return makeError(Errc::kConflict, "interface " + e->ifname + " is already linked (link " +
                                                          std::to_string(id) + ")");
    }
    LinkRecord rec;
    rec.info = LinkInfo{next_link_id_, *a, *b};
    if (auto s = wire(rec); !s.ok()) return s.error();
    auto att = attachNetdev(rec.info);
    if (!att.ok()) {
        const Endpoint &module_side = a->is_module ? *a : *b;
        ModuleRecord &m = modules_.at(module_side.module);
        (void)m.module->disconnect(module_side.port);
        portChanged(m, module_side.port);
        return att.error();
    }
    rec.attachment = std::move(att.value());
    const uint32_t id = next_link_id_++;
    links_.emplace(id, std::move(rec));
    return id;
}

std::vector<LinkInfo> Registry::listLinks() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<LinkInfo> out;
    for (const auto &[id, rec] : links_) out.push_back(rec.info);
    return out;
}

Result<LinkInfo> Registry::getLink(uint32_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = links_.find(id);
    if (it == links_.end()) return makeError(Errc::kNotFound, "no link " + std::to_string(id));
    return it->second.info;
}

Status Registry::deleteLink(uint32_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto s = removeLink(id); !s.ok()) return s;
    return save();
}

Status Registry::removeLink(uint32_t id) {
    auto it = links_.find(id);
    if (it == links_.end()) return makeError(Errc::kNotFound, "no link " + std::to_string(id));
    if (it->second.attachment) {
        if (auto s = it->second.attachment->detach(); !s.ok()) return s;
    }
    for (const Endpoint *e : {&it->second.info.from, &it->second.info.to}) {
        if (!e->is_module) continue;
        ModuleRecord &rec = modules_.at(e->module);
        if (auto s = rec.module->disconnect(e->port); !s.ok()) return s;
        portChanged(rec, e->port);
    }
    links_.erase(it);
    return {};
}

Result<const MapCodec *> Registry::codec(ModuleRecord &record, const std::string &table, int *fd) {
    auto map_fd = record.module->mapFd(table);
    if (!map_fd.ok()) return map_fd.error();
    *fd = *map_fd;
    const auto key = std::make_pair(record.info.id, table);
    auto it = codecs_.find(key);
    if (it == codecs_.end()) {
        auto c = mapCodec(*map_fd);
        if (!c.ok()) return c.error();
        it = codecs_.emplace(key, std::move(c.value())).first;
    }
    return &it->second;
}

Result<std::vector<TableInfo>> Registry::listTables(const std::string &module) {
    std::vector<TableInfo> out;
    std::vector<std::string> names;
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto rec = find(module);
        if (!rec.ok()) return rec.error();
        names = (*rec)->module->tableNames();
    }
    for (const auto &name : names) {
        auto t = getTable(module, name);
        if (t.ok()) out.push_back(*t);
    }
    return out;
}

Result<TableInfo> Registry::getTable(const std::string &module, const std::string &table) {
    std::lock_guard<std::mutex> lock(mu_);
    auto rec = find(module);
    if (!rec.ok()) return rec.error();
    auto fd = (*rec)->module->mapFd(table);
    if (!fd.ok()) return fd.error();
    auto info = mapInfo(*fd);
    if (!info.ok()) return info.error();
    return TableInfo{table, mapTypeName(info->type), info->key_size, info->value_size, info->max_entries};
}

namespace {
json decodeValue(const MapCodec &c, const MapInfo &info, const Bytes &raw) {
    if (!isPerCpu(info.type)) return c.value.decode(raw.data());
    json per_cpu = json::array();
    const size_t stride = (info.value_size + 7) / 8 * 8;
    for (int cpu = 0; cpu < possibleCpus(); ++cpu) per_cpu.push_back(c.value.decode(raw.data() + cpu * stride));
    return per_cpu;
}
}  // namespace

Result<Registry::TableRef> Registry::openTable(const std::string &module, const std::string &table) {
    auto rec = find(module);
    if (!rec.ok()) return rec.error();
    TableRef t;
    t.module = (*rec)->module.get();
    auto c = codec(**rec, table, &t.fd);
    if (!c.ok()) return c.error();
    t.codec = *c;
    auto info = mapInfo(t.fd);
    if (!info.ok()) return info.error();
    t.info = *info;
    t.name = table;
    return t;
}

Result<Bytes> Registry::encodeValue(const TableRef &t, const json &value_json) {
    auto value = t.codec->value.encode(value_json);
    if (!value.ok()) return value.error();
    if (!isPerCpu(t.info.type)) return value;
    // Per-CPU maps take one copy per possible CPU, 8-byte aligned.
    const size_t stride = (t.info.value_size + 7) / 8 * 8;
    Bytes raw(stride * possibleCpus(), 0);
    for (int cpu = 0; cpu < possibleCpus(); ++cpu) std::copy(value->begin(), value->end(), raw.begin() + cpu * stride);
    return raw;
}

Status Registry::write(const TableRef &t, const Bytes &key, const Bytes &value, uint64_t flags, const std::string &what) {
    if (bpf_map_update_elem(t.fd, key.data(), value.data(), flags) == 0) return {};
    const int err = errno;
    if (err == EEXIST) return makeError(Errc::kConflict, what + " exists in " + t.name);
    if (err == E2BIG) return makeError(Errc::kConflict, "table " + t.name + " is full at " + what);
    return iovisor::errnoError(err, "write " + what + " in " + t.name);
}

Result<std::vector<TableEntry>> Registry::listEntries(const std::string &module, const std::string &table) {
    std::lock_guard<std::mutex> lock(mu_);
    auto t = openTable(module, table);
    if (!t.ok()) return t.error();
    std::vector<TableEntry> out;
    Bytes key(t->info.key_size), next(t->info.key_size), value(valueBytes(t->info));
    const bool is_devmap = t->info.type == BPF_MAP_TYPE_DEVMAP || t->info.type == BPF_MAP_TYPE_DEVMAP_HASH;
    for (const void *prev = nullptr; bpf_map_get_next_key(t->fd, prev, next.data()) == 0; prev = key.data()) {
        key = next;
        if (bpf_map_lookup_elem(t->fd, key.data(), value.data()) != 0) continue;  // raced delete
        if (is_devmap && value.size() >= 4 && !value[0] && !value[1] && !value[2] && !value[3]) continue;
        out.push_back({t->codec->key.decode(key.data()), decodeValue(*t->codec, t->info, value)});
    }
    return out;
}

Result<json> Registry::getEntry(const std::string &module, const std::string &table, const json &key_json) {
    std::lock_guard<std::mutex> lock(mu_);
    auto t = openTable(module, table);
    if (!t.ok()) return t.error();
    auto key = t->codec->key.encode(key_json);
    if (!key.ok()) return key.error().context("key");
    Bytes value(valueBytes(t->info));
    if (bpf_map_lookup_elem(t->fd, key->data(), value.data()) != 0)
        return makeError(Errc::kNotFound, "no entry " + key_json.dump() + " in table " + table);
    return decodeValue(*t->codec, t->info, value);
}

Status Registry::putEntry(const std::string &module, const std::string &table, const json &key_json,
                          const json &value_json, bool must_not_exist) {
    std::lock_guard<std::mutex> lock(mu_);
    auto t = openTable(module, table);
    if (!t.ok()) return t.error();
    auto key = t->codec->key.encode(key_json);
    if (!key.ok()) return key.error().context("key");
    auto value = encodeValue(*t, value_json);
    if (!value.ok()) return value.error().context("value");
    auto s = write(*t, *key, *value, must_not_exist ? BPF_NOEXIST : BPF_ANY, "entry " + key_json.dump());
    if (s.ok()) t->module->configChanged();
    return s;
}

Status Registry::putEntries(const std::string &module, const std::string &table,
                            const std::vector<TableEntry> &entries) {
    std::lock_guard<std::mutex> lock(mu_);
    auto t = openTable(module, table);
    if (!t.ok()) return t.error();
    std::vector<std::pair<Bytes, Bytes>> encoded;
    for (size_t i = 0; i < entries.size(); ++i) {
        auto key = t->codec->key.encode(entries[i].key);
        if (!key.ok()) return key.error().context("entry " + std::to_string(i) + " key");
        auto value = encodeValue(*t, entries[i].value);
        if (!value.ok()) return value.error().context("entry " + std::to_string(i) + " value");
        encoded.emplace_back(std::move(key.value()), std::move(value.value()));
    }
    Status result;
    size_t written = 0;
    for (; written < encoded.size(); ++written) {
        result = write(*t, encoded[written].first, encoded[written].second, BPF_ANY, "entry " + std::to_string(written));
        if (!result.ok()) break;
    }
    if (written > 0) t->module->configChanged();  // once for the whole batch
    return result;
}

Status Registry::deleteEntry(const std::string &module, const std::string &table, const json &key_json) {
    std::lock_guard<std::mutex> lock(mu_);
    auto t = openTable(module, table);
    if (!t.ok()) return t.error();
    auto key = t->codec->key.encode(key_json);
    if (!key.ok()) return key.error().context("key");
    if (bpf_map_delete_elem(t->fd, key->data()) != 0) {
        const int err = errno;
        if (err == ENOENT) return makeError(Errc::kNotFound, "no entry " + key_json.dump() + " in table " + table);
        if (err == EINVAL) return makeError(Errc::kInvalid, "entries of array table " + table + " cannot be deleted; write zeros");
        return iovisor::errnoError(err, "delete entry in " + table);
    }
    t->module->configChanged();
    return {};
}

Result<ModuleStats> Registry::stats(const std::string &module) {
    std::lock_guard<std::mutex> lock(mu_);
    auto rec = find(module);
    if (!rec.ok()) return rec.error();
    ModuleStats out;
    std::set<uint32_t> linked;
    for (const auto &p : infoOf(**rec).ports) linked.insert(p.first);
    for (uint32_t port = 0; port < IOV_MAX_PORTS; ++port) {
        auto s = (*rec)->module->portStats(port);
        if (!s.ok()) return s.error();
        if (linked.count(port) || s->rx_packets || s->tx_packets) out.ports.push_back({port, *s});
    }
    auto drops = (*rec)->module->drops();
    if (!drops.ok()) return drops.error();
    for (uint32_t r = 1; r < IOV_DROP_MAX; ++r)
        if ((*drops)[r]) out.drops.emplace_back(dropReasonName(r), (*drops)[r]);
    return out;
}

Result<std::vector<FlowCacheInfo>> Registry::flows() const {
    std::vector<FlowCacheInfo> out;
    for (AttachMode mode : {AttachMode::kTc, AttachMode::kXdp}) {
        FlowCacheInfo info;
        info.mode = mode;
        auto counters = chainFor(mode).flowCounters();
        if (!counters.ok()) return counters.error();
        info.counters = *counters;
        auto drops = chainFor(mode).entryDrops();
        if (!drops.ok()) return drops.error();
        info.entry_drops = *drops;
        auto live = chainFor(mode).liveFlows();
        if (!live.ok()) return live.error();
        info.flows = std::move(live.value());
        out.push_back(std::move(info));
    }
    return out;
}

namespace {
struct Counters {
    std::map<uint32_t, iov_port_stats> ports;
    std::array<uint64_t, IOV_DROP_MAX> drops{};
};
}  // namespace

Result<TraceResult> Registry::trace(const std::string &from, const Bytes &packet) {
    std::lock_guard<std::mutex> lock(mu_);
    if (from.rfind("m:", 0) != 0 || from.find(':', 2) == std::string::npos)
        return makeError(Errc::kInvalid, "trace 'from' must be m:<module>:<port>");
    const std::string ref = from.substr(2, from.find(':', 2) - 2);
    auto rec = find(ref);
    if (!rec.ok()) return rec.error();
    const std::string port_text = from.substr(from.find(':', 2) + 1);
    if (port_text.empty() || port_text.size() > 3 || port_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port_text) >= IOV_MAX_PORTS)
        return makeError(Errc::kInvalid, "trace port '" + port_text + "' out of range");
    const uint32_t in_port = std::stoul(port_text);
    ModuleRecord &first = **rec;
    if (first.info.mode != AttachMode::kTc) return makeError(Errc::kInvalid, "trace runs tc modules only");
    if (packet.size() < 14) return makeError(Errc::kInvalid, "a traced packet needs at least an Ethernet header");

    auto snapshot = [&]() -> Result<std::map<uint32_t, Counters>> {
        std::map<uint32_t, Counters> all;
        for (auto &[id, m] : modules_) {
            Counters c;
            for (const auto &p : infoOf(m).ports) {
                auto s = m.module->portStats(p.first);
                if (!s.ok()) return s.error();
                c.ports[p.first] = *s;
            }
            auto s = m.module->portStats(in_port);
            if (s.ok() && id == first.info.id) c.ports[in_port] = *s;
            auto d = m.module->drops();
            if (!d.ok()) return d.error();
            c.drops = *d;
            all[id] = c;
        }
        return all;
    };
    auto before = snapshot();
    if (!before.ok()) return before.error();
    TraceResult out;
    out.output.resize(packet.size() + 256);
    __sk_buff ctx{};
    iov_md md{};
    md.module = first.info.id;
    md.in_port = in_port;
    std::memcpy(ctx.cb, &md, sizeof(md));
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet.data(), .data_out = out.output.data(),
                .data_size_in = static_cast<uint32_t>(packet.size()),
                .data_size_out = static_cast<uint32_t>(out.output.size()), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
                .repeat = 1);
    if (bpf_prog_test_run_opts(first.module->chainProgFd(), &opts) != 0)
        return iovisor::errnoError(errno, "BPF_PROG_TEST_RUN (the kernel refuses packets shorter than their IPv4 header)");
    out.output.resize(opts.data_size_out);
    out.verdict = opts.retval == 0 ? "pass" : opts.retval == 2 ? "drop" : opts.retval == 7 ? "redirect" : "other";
    auto after = snapshot();
    if (!after.ok()) return after.error();

    // Walk from the first module along out ports whose tx counters moved.
    std::set<std::pair<uint32_t, uint32_t>> visited;
    std::vector<std::pair<uint32_t, uint32_t>> todo = {{first.info.id, in_port}};
    while (!todo.empty()) {
        auto [id, port] = todo.front();
        todo.erase(todo.begin());
        if (!visited.insert({id, port}).second || !modules_.count(id)) continue;
        const Counters &b = (*before)[id], &a = (*after)[id];
        TraceStep step{id, modules_.at(id).info.display_name, modules_.at(id).info.type, {port}, {}, {}};
        for (const auto &[p, stats] : a.ports) {
            auto old = b.ports.find(p);
            if (old != b.ports.end() && stats.tx_packets > old->second.tx_packets) step.out_ports.push_back(p);
        }
        for (uint32_t r = 1; r < IOV_DROP_MAX; ++r)
            if (a.drops[r] > b.drops[r]) step.drops.emplace_back(dropReasonName(r), a.drops[r] - b.drops[r]);
        for (uint32_t p : step.out_ports) {
            for (const auto &[lid, link] : links_) {
                const Endpoint *self = nullptr, *peer = nullptr;
                if (link.info.from.is_module && link.info.from.module == id && link.info.from.port == p)
                    self = &link.info.from, peer = &link.info.to;
                else if (link.info.to.is_module && link.info.to.module == id && link.info.to.port == p)
                    self = &link.info.to, peer = &link.info.from;
                if (!self) continue;
                if (peer->is_module) todo.emplace_back(peer->module, peer->port);
                else out.leaves.push_back(peer->ifname);
            }
        }
        out.steps.push_back(step);
    }
    return out;
}

std::vector<Interface> Registry::externalInterfaces() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Interface> out;
    struct if_nameindex *all = ::if_nameindex();
    for (struct if_nameindex *i = all; i && i->if_index; ++i) {
        if (std::string(i->if_name) == "lo") continue;
        Interface itf{i->if_name, i->if_index, std::nullopt};
        for (const auto &[id, link] : links_)
            for (const Endpoint *e : {&link.info.from, &link.info.to})
                if (!e->is_module && e->ifindex == i->if_index) itf.link = id;
        out.push_back(itf);
    }
    if_freenameindex(all);
    return out;
}

}  // namespace hover
