// One IOModule instance: its id in the shared chain program array, its
// type's programs (built-in types: loaded once per hook and shared by every
// instance; custom modules: a program and maps of their own), and typed
// access to its ports, counters and tables. See bpf/lib/abi.h for the
// chaining contract.
#pragma once

#include <bpf/libbpf.h>

#include <array>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "hover/attach.h"
#include "hover/fd.h"
#include "hover/model/module_type.h"
#include "hover/typed_map.h"
#include "iovisor/result.h"
#include "lib/abi.h"
#include "lib/tables.h"

namespace hover {

// An opened, not yet loaded, object and what owns it (its skeleton, or the
// object itself).
struct OpenedObject {
    bpf_object *obj = nullptr;
    std::shared_ptr<void> owner;
    // Maps the object shares with others of the hook (declared
    // LIBBPF_PIN_BY_NAME): not an instance's own tables.
    std::vector<std::string> shared;
};

// Name (as in the REST API) and ELF object of a module type, built for one
// hook: TC and XDP instances of a type are different programs.
struct ModuleType {
    std::string name;
    AttachMode mode = AttachMode::kTc;
    const void *elf = nullptr;
    size_t elf_size = 0;
    // Built-in types open through their libbpf skeleton and load once per
    // hook; custom objects (null) load once per instance.
    iovisor::Result<OpenedObject> (*open_skeleton)(const bpf_object_open_opts *opts) = nullptr;
};

// How to make an instance's own map for a map-in-map of its type (the
// object's inner map template).
struct InnerMapSpec {
    uint32_t type = 0, key_size = 0, value_size = 0, max_entries = 0, flags = 0;
};

// A module object after the verifier: its two entry programs, the maps it
// does not share with the hook (a custom module's tables) and its
// map-in-maps' inner templates by outer map name.
struct ModulePrograms {
    Fd netdev, chain;
    std::vector<std::pair<std::string, Fd>> own_maps;
    std::vector<std::pair<std::string, InnerMapSpec>> inner;
};

// Built-in module types, compiled at build time (l2switch, router, nat, ...).
const ModuleType *findBuiltinModuleType(const std::string &name, AttachMode mode = AttachMode::kTc);
std::vector<std::string> builtinModuleTypeNames();
// Now on the clock the datapath stamps flow records with (expires_ns):
// bpf_ktime_get_coarse_ns, i.e. CLOCK_MONOTONIC_COARSE.
uint64_t datapathClockNs();

// The shared netdev entry program of a hook (bpf/entry.bpf.c): not a module.
const ModuleType &sharedEntryObject(AttachMode mode);

// Symbolic names of the drop reasons, index = enum iov_drop_reason.
const char *dropReasonName(uint32_t reason);
const char *dropReasonText(uint32_t reason);

// What every module instance of a hook shares (bpf/lib/flow.h): the program
// array modules tail-call through, with the shared netdev entry program
// (bpf/entry.bpf.c) in slot IOV_ENTRY_SLOT; netdev -> (module, port); and the
// flow cache with its generation, counters, per-CPU recording and the module
// id -> port counters table. TC and XDP instances need a set each (a program
// array holds one program type). A program array empties when the last
// user-space reference goes, so hoverd pins the maps.
// What hoverd's flags set in a hook's shared tables.
struct HookSettings {
    uint32_t conntrack = IOV_CT_DEFAULT_ENTRIES;    // --conntrack-entries
    uint32_t port_counters = IOV_COUNTERS_DEFAULT;  // --port-counters
    iov_ct_timeouts ct_timeouts{};                  // --ct-timeout (0: the default)
    uint32_t drop_keys = IOV_DROP_KEYS;             // (module, reason) drop counters
};

class ChainMap {
public:
    // Unpinned: the maps go when the last holder of them does (tests).
    static iovisor::Result<std::unique_ptr<ChainMap>> create(AttachMode mode, HookSettings settings = {});
    // The maps pinned in `dir` (libbpf pins them by name, LIBBPF_PIN_BY_NAME
    // in bpf/lib/flow.h and conntrack.h), created there if missing, the
    // shared tables of `settings`; (re)loads the entry program.
    static iovisor::Result<std::unique_ptr<ChainMap>> openPinned(const std::string &dir, AttachMode mode,
                                                                 HookSettings settings = {});
    // Opens an object that uses the shared maps, so that loading it reuses
    // them: libbpf finds the pinned ones by name; an unpinned chain hands its
    // own over by fd.
    iovisor::Result<OpenedObject> openObject(const ModuleType &type, bpf_object_open_opts *opts) const;
    // Loads `type` (the verifier runs; a rejected program gives
    // Errc::kRejected with its log) and keeps the maps it shares.
    iovisor::Result<ModulePrograms> loadPrograms(const ModuleType &type) const;
    // A built-in type's programs on this hook, loaded with its first instance.
    iovisor::Result<const ModulePrograms *> typePrograms(const ModuleType &type) const;
    int fd() const { return fdOf("iov_chain"); }
    // The shared entry program (what every built-in module's netdev program
    // tail-calls): the filter of the hook's shared TC block.
    int entryProgFd() const { return entry_prog_.get(); }
    AttachMode mode() const { return mode_; }
    // The shared map called `name`, or -1 if `name` is a module's own.
    int fdOf(const std::string &name) const;
    // After a module object is loaded: the chain keeps the maps its type
    // shares (the routers' caches, the nat tables) to hand them to the next
    // ones (unpinned) and to find them by name.
    void keepShared(bpf_object *obj, const std::vector<std::string> &names) const;
    const std::vector<std::pair<std::string, Fd>> &maps() const { return maps_; }

    // Makes every recorded flow stale. hoverd calls it after each change of
    // a table, a link or the set of modules. A failure is logged and returned.
    iovisor::Status invalidateFlows() const;
    // Flow cache outcomes (enum iov_flow_counter) summed over CPUs.
    iovisor::Result<std::array<uint64_t, IOV_FLOW_COUNTERS>> flowCounters() const;
    // Packets the entry dropped before any module, by reason, summed over CPUs.
    iovisor::Result<std::array<uint64_t, IOV_DROP_MAX>> entryDrops() const;
    // Ingress netdev `ifindex` feeds `port` of module `module` (0: none).
    iovisor::Status bindNetdev(uint32_t ifindex, uint32_t module, uint32_t port) const;
    // The flows each CPU would replay now (current generation, not expired).
    iovisor::Result<std::vector<iov_flow>> liveFlows() const;

    // How full the shared connection table is: in all and per zone (the
    // module id of the instance tracking them).
    struct ConntrackFill {
        uint32_t max_entries = 0;
        uint64_t entries = 0;
        std::map<uint32_t, uint64_t> zones;
    };
    iovisor::Result<ConntrackFill> conntrackFill() const;
    // The idle timeouts in force (those written at open, iov_ct_timeouts).
    const iov_ct_timeouts &ctTimeouts() const { return settings_.ct_timeouts; }
    // Every tracked connection of a zone.
    iovisor::Result<std::vector<std::pair<iov_ct_key, iov_ct_entry>>> connections(uint32_t zone) const;
    // The first `limit` tracked connections of every zone (an entry per
    // direction), and how many there are.
    iovisor::Result<std::vector<std::pair<iov_ct_key, iov_ct_entry>>> connections(size_t limit, uint64_t *total) const;

    // Port counters (iov_port_counters, per CPU): every module port gets an
    // index when it is first connected (kept in its iov_ports entry) and
    // gives it back when its module goes. Index 0 is the sink of ports
    // without one.
    iovisor::Result<uint32_t> allocateCounter(uint32_t module, uint32_t port) const;
    // A counter found in a pinned module's ports after a restart.
    void claimCounter(uint32_t index, uint32_t module, uint32_t port) const;
    void releaseCounter(uint32_t index) const;
    // Summed over CPUs (zeros for index 0).
    iovisor::Result<iov_port_stats> counter(uint32_t index) const;
    // The (module, port) a counter index belongs to, if any (for /flows).
    std::optional<std::pair<uint32_t, uint32_t>> counterOwner(uint32_t index) const;
    // Module `module`'s drops by reason, summed over CPUs; forget: when it goes.
    iovisor::Result<std::array<uint64_t, IOV_DROP_MAX>> moduleDrops(uint32_t module) const;
    void forgetModuleDrops(uint32_t module) const;

private:
    ChainMap() = default;

    AttachMode mode_ = AttachMode::kTc;
    std::string pin_dir_;  // empty: not pinned
    HookSettings settings_;
    std::vector<std::pair<std::string, Fd>> maps_;
    mutable std::mutex type_shared_mu_;
    // Maps shared by the instances of a type (router caches, nat/router/
    // l2switch tables), found after a load or by their pins.
    mutable std::vector<std::pair<std::string, Fd>> type_shared_;
    Fd entry_prog_;
    mutable std::mutex counters_mu_;
    mutable std::map<uint32_t, std::pair<uint32_t, uint32_t>> counter_owners_;  // index -> (module, port)
    mutable uint32_t next_counter_ = 1;  // where the search for a free index starts
    mutable std::mutex types_mu_;
    mutable std::map<const ModuleType *, std::unique_ptr<ModulePrograms>> types_;
};

// Where a module's table is kept: a map of its own, or one of the hook's
// maps shared by the instances of its type, under the instance's keys
// (model::TableDesc::shared_map). Keys given and returned are the table's.
struct TableMap {
    int fd = -1;
    const model::TableDesc *shared = nullptr;  // null: the module's own map
    uint32_t module = 0;

    // None: the key is outside the instance's slots of a shared array.
    std::optional<Bytes> mapKey(const Bytes &key) const {
        return shared ? model::sharedKey(*shared, module, key) : std::optional<Bytes>(key);
    }
    // The table key of a map key, if the entry is this module's.
    std::optional<Bytes> tableKey(const Bytes &map_key) const {
        return shared ? model::instanceKey(*shared, module, map_key) : std::optional<Bytes>(map_key);
    }
};

class Module {
public:
    // Makes module `id` (1..IOV_MAX_MODULES-1) of `type` in `chain`: a
    // built-in type's instance is a slot in the chain and entries in the
    // hook's maps (its program is loaded with the hook's first instance); a
    // custom type's is a program of its own. A program the verifier rejects
    // gives Errc::kRejected with its log.
    static iovisor::Result<std::unique_ptr<Module>> load(const ModuleType &type, uint32_t id, const ChainMap &chain);
    // Takes over a module pinned by pin() in `dir` (after a hoverd restart):
    // nothing is reloaded, forwarding never stops.
    static iovisor::Result<std::unique_ptr<Module>> adopt(const std::string &dir, uint32_t id,
                                                          const std::string &type_name, AttachMode mode,
                                                          const ChainMap &chain);
    // An unpinned module leaves the chain when destroyed; a pinned one stays
    // in the kernel until remove().
    ~Module();
    Module(const Module &) = delete;
    Module &operator=(const Module &) = delete;

    // Pins its programs and tables under `dir` (created).
    iovisor::Status pin(const std::string &dir);
    // Takes the module out of the chain and removes its pins: the kernel
    // frees its programs and maps once nothing else holds them.
    iovisor::Status remove();

    uint32_t id() const { return id_; }
    // The maps it shares with the other instances of its hook (null once
    // out of the chain).
    const ChainMap *chain() const { return chain_; }
    const std::string &typeName() const { return type_name_; }
    AttachMode mode() const { return mode_; }
    int netdevProgFd() const { return netdev_prog_.get(); }
    int chainProgFd() const { return chain_prog_.get(); }

    // The module's tables: its own maps (but the internal ones) and its
    // type's tables in the hook's shared maps.
    std::vector<std::string> tableNames() const;
    iovisor::Result<TableMap> tableMap(const std::string &name) const;
    // A map of its own (not a shared table).
    iovisor::Result<int> mapFd(const std::string &name) const;
    // After writing its tables: a fresh configuration generation for modules
    // that cache derived lookups (bpf/lib/config_gen.h, if the module has
    // one) and for the flow cache.
    iovisor::Status configChanged() const;
    // `s`, after the configuration change it made (whether or not it
    // failed half way): the first error of the two.
    iovisor::Status changed(iovisor::Status s) const;
    template <typename K, typename V>
    iovisor::Result<TypedMap<K, V>> map(const std::string &name) const {
        auto fd = mapFd(name);
        if (!fd.ok()) return fd.error();
        return TypedMap<K, V>::open(*fd);
    }

    // Writes `batches` (model::diff's output) in order; the configuration
    // changes once for all of them. A removal of an entry already gone
    // succeeds (LRU eviction, a concurrent delete).
    iovisor::Status apply(const std::vector<model::TableBatch> &batches) const;
    // Makes the module hold `desired` where it holds `*installed` (the
    // entries written through this call so far) and updates `*installed`.
    iovisor::Status sync(const model::ModuleTypeDesc &type, model::Entries *installed, model::Entries desired) const;

    // Port wiring (`iov_ports`, and the shared `iov_netdev_ports`).
    iovisor::Status connectNetdev(uint32_t port, uint32_t ifindex);
    iovisor::Status connectModule(uint32_t port, uint32_t peer_module, uint32_t peer_port);
    iovisor::Status disconnect(uint32_t port);

    // The peer `port` is wired to (kind IOV_PEER_NONE: none).
    iovisor::Result<iov_port> peer(uint32_t port) const;

    // Counters summed over CPUs.
    iovisor::Result<iov_port_stats> portStats(uint32_t port) const;
    iovisor::Result<std::array<uint64_t, IOV_DROP_MAX>> drops() const;

private:
    Module() = default;
    iovisor::Status joinChain();
    iovisor::Status wireNetdev(uint32_t port, uint32_t ifindex);
    iovisor::Status wireModule(uint32_t port, uint32_t peer_module, uint32_t peer_port);
    iovisor::Status unwire(uint32_t port);
    iovisor::Status setPeer(uint32_t port, const iov_port &peer) const;
    // Its own maps for its type's map-in-maps (inner_of tables), held there
    // at its id; and their removal.
    iovisor::Status makeInnerMaps(const std::vector<std::pair<std::string, InnerMapSpec>> &inner);
    void dropInnerMaps() const;
    // `port`'s counter index, allocated on its first wiring.
    iovisor::Result<uint32_t> portCounter(uint32_t port) const;
    std::vector<std::pair<uint32_t, uint32_t>> countedPorts() const;  // (port, counter index)
    void claimCounters() const;    // adopted: its ports' counters are taken
    void releaseCounters() const;  // leaving the chain

    // Deletes its entries from its type's shared tables and clears its
    // slots of the shared arrays (its peers among them).
    void purgeSharedTables() const;
    // The shared tables it has entries in.
    std::vector<const model::TableDesc *> sharedTables() const;

    Fd netdev_prog_, chain_prog_;
    const model::ModuleTypeDesc *model_ = nullptr;  // a built-in type's tables
    std::vector<std::pair<std::string, Fd>> maps_;  // by name, in object order
    const ChainMap *chain_ = nullptr;               // null once out of the chain
    uint32_t id_ = 0;
    std::string type_name_;
    AttachMode mode_ = AttachMode::kTc;
    std::string pin_dir_;  // empty: not pinned
};

}  // namespace hover
