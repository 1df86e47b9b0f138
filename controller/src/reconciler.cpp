#include "reconciler.h"

#include <algorithm>
#include <vector>

namespace ctl {

using iovisor::Status;
using nlohmann::json;

namespace {

// The controller's modules: a built-in type and an "ovn" config (what
// translate() writes); anything else in hoverd is someone else's.
const hover::model::ModuleTypeDesc *ownedType(const json &module) {
    if (!module.contains("config") || !module["config"].is_object() || !module["config"].contains(kConfigOvn)) return nullptr;
    return hover::model::findModuleType(module.value("module_type", ""));
}

// The batches of a diff as hoverd's PATCH /modules/{id}/tables/ takes them.
json batchesJson(const std::vector<hover::model::TableBatch> &batches) {
    json out = json::array();
    for (const auto &b : batches) {
        const bool remove = b.kind == hover::model::TableBatch::Kind::kDelete;
        json entries = json::array();
        for (const auto &[key, value] : b.entries) {
            json e = {{"key_hex", hover::toHex(key)}};
            if (!remove) e["value_hex"] = hover::toHex(value);
            entries.push_back(std::move(e));
        }
        out.push_back({{"table", b.table->name}, {"op", remove ? "delete" : "put"}, {"entries", std::move(entries)}});
    }
    return out;
}

// "m:<id>:<port>" from hoverd -> "m:<name>:<port>".
std::string byName(const std::string &endpoint, const std::map<int, std::string> &names) {
    if (endpoint.rfind("m:", 0) != 0) return endpoint;
    const auto colon = endpoint.find(':', 2);
    const int id = std::stoi(endpoint.substr(2, colon - 2));
    auto it = names.find(id);
    return it == names.end() ? "" : "m:" + it->second + endpoint.substr(colon);
}

}  // namespace

Status Reconciler::load(PortAllocator *ports) {
    loaded_ = false;
    modules_.clear();
    links_.clear();
    auto modules = hover_.get("/modules/");
    if (!modules.ok()) return modules.error();
    std::map<int, std::string> names;
    for (const auto &m : *modules) {
        const std::string name = m.value("display_name", "");
        names[m["id"].get<int>()] = name;
        const hover::model::ModuleTypeDesc *type = ownedType(m);
        if (!type) continue;
        Module mod{m["module_type"], m["config"], {}};
        if (auto s = loadTables(name, *type, &mod); !s.ok()) return s;
        if (ports && mod.config.contains(kConfigPorts)) {
            std::map<std::string, uint32_t> assigned;
            for (auto it = mod.config[kConfigPorts].begin(); it != mod.config[kConfigPorts].end(); ++it)
                assigned[it.key()] = it.value().get<uint32_t>();
            ports->seed(name, assigned);
        }
        modules_[name] = std::move(mod);
    }
    auto links = hover_.get("/links/");
    if (!links.ok()) return links.error();
    for (const auto &l : *links) {
        const std::string a = byName(l["from"], names), b = byName(l["to"], names);
        auto owned = [&](const std::string &e) {
            if (e.rfind("m:", 0) != 0) return false;
            return modules_.count(e.substr(2, e.find(':', 2) - 2)) > 0;
        };
        if (a.empty() || b.empty() || !(owned(a) || owned(b))) continue;
        links_[makeLink(a, b)] = l["id"].get<int>();
    }
    loaded_ = true;
    return {};
}

Status Reconciler::loadTables(const std::string &name, const hover::model::ModuleTypeDesc &type, Module *m) {
    for (const hover::model::TableDesc *table : type.tables) {
        auto entries = hover_.get("/modules/" + name + "/tables/" + table->name + "/entries/?format=hex");
        if (!entries.ok()) return entries.error();
        for (const auto &e : *entries) {
            auto key = hover::fromHex(e.value("key_hex", ""), table->key_size);
            auto value = hover::fromHex(e.value("value_hex", ""), table->value_size);
            if (!key.ok() || !value.ok())
                return iovisor::makeError(iovisor::Errc::kInternal, "hoverd's " + name + "/" + table->name +
                                                                        " does not hold what the model says: " + e.dump());
            // Entries the datapath learned itself are not the controller's.
            if (table->learned && table->learned(value->data())) continue;
            m->tables.putRaw(*table, std::move(key.value()), std::move(value.value()));
        }
    }
    return {};
}

DesiredState Reconciler::installed() const {
    DesiredState out;
    for (const auto &[name, m] : modules_) out.modules[name] = ModuleSpec{m.type, m.config, m.tables};
    for (const auto &[link, id] : links_) out.links.insert(link);
    return out;
}

Status Reconciler::apply(const DesiredState &desired, ReconcileStats *stats) {
    return apply(desired, DesiredDelta{true, {}, {}}, stats);
}

Status Reconciler::apply(const DesiredState &desired, const DesiredDelta &delta, ReconcileStats *stats) {
    const bool whole = !loaded_ || delta.full;
    if (!loaded_)
        if (auto s = load(nullptr); !s.ok()) return s;
    Status s = whole ? applyAll(desired, stats) : applyScoped(desired, delta.modules, delta.links, stats);
    if (!s.ok()) loaded_ = false;  // unsure what landed: read it all back next time
    generation_ = hover_.generation();
    return s;
}

bool Reconciler::changedBehindOurBack() {
    if (!loaded_ || generation_.empty()) return false;
    auto health = hover_.get("/health");
    if (health.ok() && hover_.generation() == generation_) return false;
    loaded_ = false;
    return true;
}

iovisor::Result<ReconcileStats> Reconciler::diff(const DesiredState &desired) {
    if (!loaded_)
        if (auto s = load(nullptr); !s.ok()) return s.error();
    const auto modules = modules_;
    const auto links = links_;
    ReconcileStats stats;
    dry_run_ = true;
    Status s = applyAll(desired, &stats);
    dry_run_ = false;
    modules_ = modules;
    links_ = links;
    if (!s.ok()) return s.error();
    return stats;
}

// Everything hoverd holds or should hold is compared.
Status Reconciler::applyAll(const DesiredState &desired, ReconcileStats *stats) {
    std::set<std::string> modules;
    std::set<LinkSpec> links = desired.links;
    for (const auto &[name, m] : modules_) modules.insert(name);
    for (const auto &[name, m] : desired.modules) modules.insert(name);
    for (const auto &[link, id] : links_) links.insert(link);
    return applyScoped(desired, modules, links, stats);
}

// Only `modules` and `links` are compared: stale links go first, then the
// modules they held; new modules, their configs and tables; new links last,
// once both ends are configured.
Status Reconciler::applyScoped(const DesiredState &desired, const std::set<std::string> &modules,
                               const std::set<LinkSpec> &links, ReconcileStats *stats) {
    for (const auto &link : links)
        if (!desired.links.count(link))
            if (auto s = removeLink(link, stats); !s.ok()) return s;
    for (const auto &name : modules) {
        auto want = desired.modules.find(name);
        if (want == desired.modules.end() || (modules_.count(name) && modules_.at(name).type != want->second.type))
            if (auto s = removeModule(name, stats); !s.ok()) return s;
    }
    if (auto s = createModules(desired, modules, stats); !s.ok()) return s;
    for (const auto &name : modules)
        if (auto want = desired.modules.find(name); want != desired.modules.end())
            if (auto s = configure(name, want->second, &modules_.at(name), stats); !s.ok()) return s;
    return createLinks(desired, links, stats);
}

Status Reconciler::removeLink(const LinkSpec &link, ReconcileStats *stats) {
    auto it = links_.find(link);
    if (it == links_.end()) return {};
    if (!dry_run_)
        if (auto s = hover_.del("/links/" + std::to_string(it->second)); !s.ok()) return s;
    ++stats->link_ops;
    links_.erase(it);
    return {};
}

Status Reconciler::removeModule(const std::string &name, ReconcileStats *stats) {
    if (!modules_.count(name)) return {};
    if (!dry_run_)
        if (auto s = hover_.del("/modules/" + name); !s.ok()) return s;
    ++stats->module_ops;
    modules_.erase(name);
    return {};
}

// New modules, in one batch (hoverd loads them in parallel).
Status Reconciler::createModules(const DesiredState &desired, const std::set<std::string> &modules,
                                 ReconcileStats *stats) {
    json new_modules = json::array();
    for (const auto &name : modules)
        if (auto want = desired.modules.find(name); want != desired.modules.end() && !modules_.count(name))
            new_modules.push_back({{"module_type", want->second.type}, {"display_name", name}, {"config", want->second.config}});
    if (new_modules.empty()) return {};
    if (!dry_run_)
        if (auto created = hover_.post("/modules/", new_modules); !created.ok()) return created.error();
    stats->module_ops += new_modules.size();
    for (const auto &m : new_modules) modules_.emplace(m["display_name"], Module{m["module_type"], m["config"], {}});
    return {};
}

// A module's config (ports, OVN object), then its tables.
Status Reconciler::configure(const std::string &name, const ModuleSpec &want, Module *have, ReconcileStats *stats) {
    if (have->config != want.config) {
        if (!dry_run_)
            if (auto updated = hover_.put("/modules/" + name, {{"config", want.config}}); !updated.ok())
                return updated.error();
        ++stats->module_ops;
        have->config = want.config;
    }
    return applyTables(name, want, have, stats);
}

// New links, in one batch.
Status Reconciler::createLinks(const DesiredState &desired, const std::set<LinkSpec> &links, ReconcileStats *stats) {
    std::vector<LinkSpec> new_links;
    json batch = json::array();
    for (const auto &link : links) {
        if (!desired.links.count(link) || links_.count(link)) continue;
        new_links.push_back(link);
        batch.push_back({{"from", link.first}, {"to", link.second}});
    }
    stats->link_ops += new_links.size();
    if (dry_run_ || new_links.empty()) return {};
    auto created = hover_.post("/links/", batch);
    if (!created.ok()) return created.error();
    if (!created->is_array() || created->size() != new_links.size())
        return iovisor::makeError(iovisor::Errc::kInternal, "hoverd answered a batch of " +
                                                                 std::to_string(new_links.size()) + " links with " + created->dump());
    for (size_t i = 0; i < new_links.size(); ++i) links_[new_links[i]] = (*created)[i].at("id").get<int>();
    return {};
}

Status Reconciler::applyTables(const std::string &name, const ModuleSpec &want, Module *have, ReconcileStats *stats) {
    const hover::model::ModuleTypeDesc *type = hover::model::findModuleType(want.type);
    if (!type) return iovisor::makeError(iovisor::Errc::kInternal, "module type " + want.type + " has no model");
    const auto batches = hover::model::diff(*type, have->tables, want.tables);
    if (batches.empty()) return {};
    if (!dry_run_)
        if (auto r = hover_.patch("/modules/" + name + "/tables/", batchesJson(batches)); !r.ok()) {
            // Named as OVN knows it: "logical_switch sw0 (ls-<uuid>): table fdb is full (...)".
            const auto ovn = want.config.value(kConfigOvn, nlohmann::json::object());
            return r.error().context(ovn.value("kind", "module") + " " + ovn.value("name", "") + " (" + name + ")");
        }
    for (const auto &b : batches) stats->entry_ops += b.entries.size();
    have->tables = want.tables;
    return {};
}

}  // namespace ctl
