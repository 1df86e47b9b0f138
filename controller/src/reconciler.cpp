#include "reconciler.h"

#include <algorithm>
#include <vector>

namespace ctl {

using iovisor::Status;
using nlohmann::json;

namespace {

bool ownedName(const std::string &name) {
    return name.rfind("ls-", 0) == 0 || name.rfind("lr-", 0) == 0 || name.rfind("nat-", 0) == 0;
}

// Order in which tables are written (reverse for removals): what a port may
// send is restricted before the port is enabled, and unrestricted after.
const std::vector<std::string> kTableOrder = {
    "ps_macs", "ps_ipv4_hosts", "ps_ipv6_hosts", "ps_ipv4", "ps_ipv6", "fdb", "arp_responder", "nd_responder",  // l2switch
    "addrs", "routes", "neighbors", "addrs6", "routes6", "neighbors6",                          // router
    "snat_rules", "dnat_rules", "fip_in", "fip_out", "arp_external",                            // nat
    "ports"};

// The zero of a field as hoverd spells it: a MAC, an IPv6 or IPv4 address, a number.
json zeroLike(const json &v) {
    if (!v.is_string()) return 0;
    const std::string text = v;
    if (std::count(text.begin(), text.end(), ':') == 5 && text.size() == 17) return "00:00:00:00:00:00";
    if (text.find(':') != std::string::npos) return "::";
    return "0.0.0.0";
}

bool isZero(const json &v) {
    if (v.is_number()) return v.get<double>() == 0;
    if (v.is_string()) return v == zeroLike(v);
    if (v.is_object() || v.is_array()) {
        for (const auto &item : v) if (!isZero(item)) return false;
        return true;
    }
    return v.is_null();
}

// Entries the datapath learned itself are not the controller's to remove.
bool learned(const std::string &table, const json &value) {
    return (table == "fdb" || table == "neighbors" || table == "neighbors6") && value.is_object() &&
           value.value("flags", 0) == 1;
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
        if (!ownedName(name) || !m["config"].contains("ovn")) continue;
        Module mod{m["module_type"], m["config"], {}};
        if (auto s = loadTables(name, &mod); !s.ok()) return s;
        if (ports && mod.config.contains("ports")) {
            std::map<std::string, uint32_t> assigned;
            for (auto it = mod.config["ports"].begin(); it != mod.config["ports"].end(); ++it)
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

Status Reconciler::loadTables(const std::string &name, Module *m) {
    for (const auto &table : managedTables(m->type)) {
        auto entries = hover_.get("/modules/" + name + "/tables/" + table + "/entries/");
        if (!entries.ok()) return entries.error();
        auto &t = m->tables[table];
        for (const auto &e : *entries) {
            // Array slots always exist: an all-zero one is an empty one.
            if ((table == "ports" && isZero(e["value"])) || learned(table, e["value"])) continue;
            t[e["key"].dump()] = e["value"];
        }
        if (t.empty()) m->tables.erase(table);
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
    if (!loaded_)
        if (auto s = load(nullptr); !s.ok()) return s;
    Status s = applyAll(desired, stats);
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

Status Reconciler::applyAll(const DesiredState &desired, ReconcileStats *stats) {
    // 1. Links that should not be there.
    for (auto it = links_.begin(); it != links_.end();) {
        if (desired.links.count(it->first)) {
            ++it;
            continue;
        }
        if (!dry_run_)
            if (auto s = hover_.del("/links/" + std::to_string(it->second)); !s.ok()) return s;
        ++stats->link_ops;
        it = links_.erase(it);
    }
    // 2. Modules that should not be there.
    for (auto it = modules_.begin(); it != modules_.end();) {
        auto want = desired.modules.find(it->first);
        if (want != desired.modules.end() && want->second.type == it->second.type) {
            ++it;
            continue;
        }
        if (!dry_run_)
            if (auto s = hover_.del("/modules/" + it->first); !s.ok()) return s;
        ++stats->module_ops;
        it = modules_.erase(it);
    }
    // 3. New modules, in one batch (hoverd loads them in parallel).
    json new_modules = json::array();
    for (const auto &[name, want] : desired.modules)
        if (!modules_.count(name))
            new_modules.push_back({{"module_type", want.type}, {"display_name", name}, {"config", want.config}});
    if (!new_modules.empty()) {
        if (!dry_run_)
            if (auto created = hover_.post("/modules/", new_modules); !created.ok()) return created.error();
        stats->module_ops += new_modules.size();
        for (const auto &m : new_modules) modules_.emplace(m["display_name"], Module{m["module_type"], m["config"], {}});
    }
    // 4. Changed configs, table entries.
    for (const auto &[name, want] : desired.modules) {
        Module &have = modules_.at(name);
        if (have.config != want.config) {
            if (!dry_run_) {
                auto updated = hover_.put("/modules/" + name, {{"config", want.config}});
                if (!updated.ok()) return updated.error();
            }
            ++stats->module_ops;
            have.config = want.config;
        }
        if (auto s = applyTables(name, want, &have, stats); !s.ok()) return s;
    }
    // 5. New links, once both ends are configured, in one batch.
    std::vector<LinkSpec> new_links;
    json batch = json::array();
    for (const auto &link : desired.links) {
        if (links_.count(link)) continue;
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
    static const std::map<std::string, json> kEmpty;
    auto wanted = [&](const std::string &table) -> const std::map<std::string, json> & {
        auto it = want.tables.find(table);
        return it == want.tables.end() ? kEmpty : it->second;
    };
    // Removals, in reverse order (the enforcing port flag goes first).
    for (auto t = kTableOrder.rbegin(); t != kTableOrder.rend(); ++t) {
        auto table = have->tables.find(*t);
        if (table == have->tables.end()) continue;
        for (auto e = table->second.begin(); e != table->second.end();) {
            if (wanted(*t).count(e->first)) {
                ++e;
                continue;
            }
            const std::string path = hover::HoverClient::entryPath(name, *t, e->first);
            Status s;
            if (dry_run_) {
            } else if (*t == "ports") {
                // Array slots cannot be deleted: zero them.
                json zero = e->second;
                for (auto &field : zero.items()) field.value() = zeroLike(field.value());
                auto r = hover_.put(path, zero);
                if (!r.ok()) s = r.error();
            } else {
                s = hover_.del(path);
                if (!s.ok() && s.error().code == iovisor::Errc::kNotFound) s = {};  // already gone (e.g. LRU)
            }
            if (!s.ok()) return s;
            ++stats->entry_ops;
            e = table->second.erase(e);
        }
    }
    // Additions and changes, in order, one batch per table.
    for (const auto &t : kTableOrder) {
        auto &current = have->tables[t];
        json batch = json::array();
        for (const auto &[key, value] : wanted(t)) {
            auto e = current.find(key);
            if (e != current.end() && e->second == value) continue;
            batch.push_back({{"key", json::parse(key)}, {"value", value}});
        }
        if (!batch.empty()) {
            if (!dry_run_) {
                auto r = hover_.post("/modules/" + name + "/tables/" + t + "/entries/", batch);
                if (!r.ok()) return r.error();
            }
            stats->entry_ops += batch.size();
            for (const auto &e : batch) current[e["key"].dump()] = e["value"];
        }
        if (current.empty()) have->tables.erase(t);
    }
    return {};
}

}  // namespace ctl
