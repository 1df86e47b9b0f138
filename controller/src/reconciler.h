// Desired vs installed: keeps a copy of what hoverd holds for the modules
// the controller owns (a built-in type with an "ovn" config) and
// sends hoverd only the difference, in an order that never exposes a
// half-configured port: stale links go first, then modules, table entries
// (port security before the flag that enforces it), and new links last.
#pragma once

#include <map>
#include <string>

#include "desired_state.h"
#include "hover/client.h"
#include "iovisor/result.h"
#include "port_allocator.h"

namespace ctl {

struct ReconcileStats {
    int module_ops = 0, link_ops = 0, entry_ops = 0;
    int total() const { return module_ops + link_ops + entry_ops; }
};

class Reconciler {
public:
    explicit Reconciler(hover::HoverClient &hover) : hover_(hover) {}

    // (Re)reads hoverd's state; seeds `ports` from the stored configs.
    iovisor::Status load(PortAllocator *ports);
    // Makes hoverd match `desired`. On an error the cache is dropped and the
    // next call reloads it.
    iovisor::Status apply(const DesiredState &desired, ReconcileStats *stats);
    // The same, comparing only what `delta` names (all if it is full, or
    // after a reload).
    iovisor::Status apply(const DesiredState &desired, const DesiredDelta &delta, ReconcileStats *stats);
    // What apply() would send, without sending it.
    iovisor::Result<ReconcileStats> diff(const DesiredState &desired);
    // What hoverd holds, as the controller sees it (for tests and the CLI).
    DesiredState installed() const;
    bool loaded() const { return loaded_; }
    // True if hoverd changed since our last apply() through anyone else (a
    // module deleted by hand, a restarted hoverd that lost its state): the
    // cache is then dropped, and the next apply() reloads and repairs.
    bool changedBehindOurBack();

private:
    struct Module {
        std::string type;
        nlohmann::json config;
        hover::model::Entries tables;
    };
    iovisor::Status loadTables(const std::string &name, const hover::model::ModuleTypeDesc &type, Module *m);
    iovisor::Status applyTables(const std::string &name, const ModuleSpec &want, Module *have, ReconcileStats *stats);
    iovisor::Status applyAll(const DesiredState &desired, ReconcileStats *stats);
    iovisor::Status applyScoped(const DesiredState &desired, const std::set<std::string> &modules,
                                const std::set<LinkSpec> &links, ReconcileStats *stats);
    iovisor::Status removeLink(const LinkSpec &link, ReconcileStats *stats);
    iovisor::Status removeModule(const std::string &name, ReconcileStats *stats);
    iovisor::Status createModules(const DesiredState &desired, const std::set<std::string> &modules,
                                  ReconcileStats *stats);
    iovisor::Status configure(const std::string &name, const ModuleSpec &want, Module *have, ReconcileStats *stats);
    iovisor::Status createLinks(const DesiredState &desired, const std::set<LinkSpec> &links, ReconcileStats *stats);

    hover::HoverClient &hover_;
    bool loaded_ = false;
    bool dry_run_ = false;  // count operations, send nothing
    std::string generation_;  // hoverd's generation after our last apply()
    std::map<std::string, Module> modules_;
    std::map<LinkSpec, int> links_;  // -> hoverd link id
};

}  // namespace ctl
