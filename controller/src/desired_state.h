// What the controller wants hoverd to hold, computed from OVN by translate()
// and compared with what hoverd holds by the reconciler. Table entries are
// the typed model's (hover/model): the exact bytes of the maps, built by
// each module type's rules, so equal means equal in the kernel.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "hover/model/module_type.h"

namespace ctl {

// Keys of a module's config that the controller writes (and reads back after
// a restart): the OVN object it stands for (it marks the module as ours),
// and the module port of each OVN port.
inline constexpr const char *kConfigOvn = "ovn";
inline constexpr const char *kConfigPorts = "ports";

struct ModuleSpec {
    std::string type;                // a built-in module type: l2switch, router, nat
    nlohmann::json config;           // ovn object, port names: for the CLI and restarts
    hover::model::Entries tables;
    bool operator==(const ModuleSpec &o) const { return type == o.type && config == o.config && tables == o.tables; }
};

// "m:<module name>:<port>" or "i:<netdev>", the pair ordered.
using LinkSpec = std::pair<std::string, std::string>;
LinkSpec makeLink(const std::string &a, const std::string &b);
std::string modulePort(const std::string &module, uint32_t port);

struct DesiredState {
    std::map<std::string, ModuleSpec> modules;  // by display name
    std::set<LinkSpec> links;
    // Local VIFs to claim: logical port -> interface name.
    std::map<std::string, std::string> bindings;
    // Modules that turned a port away, all their IOV_MAX_PORTS ports taken.
    std::set<std::string> out_of_ports;
    // Address sets the switches' ACLs name (the engine follows their
    // changes; not a part of what hoverd holds).
    std::set<std::string> address_sets_named;

    bool operator==(const DesiredState &o) const {
        return modules == o.modules && links == o.links && bindings == o.bindings;
    }
};

// What changed in a desired state since it was last reconciled.
struct DesiredDelta {
    bool full = false;               // anything may have: compare it all
    std::set<std::string> modules;   // added, changed or removed, by name
    std::set<LinkSpec> links;        // added or removed
    bool empty() const { return !full && modules.empty() && links.empty(); }
};

// The rows a chassis duty must look at: every row, or the named ones.
struct RowScope {
    bool all = false;
    std::set<std::string> names;
    void add(const std::string &name) {
        if (!all) names.insert(name);
    }
    void addAll() {
        all = true;
        names.clear();
    }
    void merge(const RowScope &other) {
        if (other.all) addAll();
        for (const auto &name : other.names) add(name);
    }
    bool empty() const { return !all && names.empty(); }
};

// Bindings that changed: their logical ports and interfaces (old and new).
struct BindingChanges {
    RowScope ports, interfaces;
};

// Calls `f(name, spec)` for each module of `desired` that `delta` names
// (every module if it is full); removed ones are not there to visit.
template <typename F>
void forEachChanged(const DesiredState &desired, const DesiredDelta &delta, F &&f) {
    if (delta.full) {
        for (const auto &[name, m] : desired.modules) f(name, m);
        return;
    }
    for (const auto &name : delta.modules)
        if (auto it = desired.modules.find(name); it != desired.modules.end()) f(name, it->second);
}

}  // namespace ctl
