// hoverd's state: the module instances, the links between module ports and
// netdevs, and their persistence. Every kernel object is pinned under
// <pin_root> and every record is saved under <state_dir> (StateStore), so a
// restarted hoverd adopts everything without touching forwarding.
// Thread-safe: each public call holds one lock, except while the verifier
// checks new modules (their names and ids are reserved first).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include <set>

#include <nlohmann/json.hpp>

#include "hover/attach.h"
#include "hover/btf_json.h"
#include "hover/module.h"
#include "iovisor/result.h"
#include "state_store.h"
#include "undo_journal.h"

namespace hover {

// hoverd's own sources use the project's error style unqualified.
using iovisor::Errc;
using iovisor::makeError;
using iovisor::Result;
using iovisor::Status;

struct RegistryOptions {
    std::string pin_root;         // bpffs directory owned by this hoverd instance
    std::string state_dir;        // the saved records live here
    std::string bpf_include_dir;  // headers custom C modules compile against
    HookSettings hook_settings;         // shared tables of each hook
};

struct CreateModule {
    std::string type;          // l2switch, router, nat, bpf
    std::string display_name;
    AttachMode mode = AttachMode::kTc;
    nlohmann::json config = nlohmann::json::object();
    std::string source;        // type bpf: C source, or
    Bytes object;              // type bpf: ELF object
};

struct ModuleInfo {
    uint32_t id = 0;
    std::string type, display_name;
    AttachMode mode = AttachMode::kTc;
    nlohmann::json config;
    std::vector<std::pair<uint32_t, uint32_t>> ports;  // (port, link id)
};

// One side of a link: a module port or a netdev.
struct Endpoint {
    bool is_module = false;
    uint32_t module = 0;
    uint32_t port = 0;
    std::string ifname;
    uint32_t ifindex = 0;
};

struct LinkInfo {
    uint32_t id = 0;
    Endpoint from, to;
};

struct TableInfo {
    std::string name, type;
    uint32_t key_size = 0, value_size = 0, max_entries = 0;
};

struct TableEntry {
    nlohmann::json key, value;
};

// Writes to one table in raw bytes (the typed model's TableBatch on the wire).
struct RawBatch {
    std::string table;
    bool remove = false;
    std::vector<std::pair<Bytes, Bytes>> entries;  // remove: values unused
};

struct PortStats {
    uint32_t port = 0;
    iov_port_stats counters{};
};

struct ModuleStats {
    std::vector<PortStats> ports;
    std::vector<std::pair<std::string, uint64_t>> drops;  // reason name, packets
};

// The flow cache of one hook (bpf/lib/flow.h): outcomes and the flows it
// would replay now.
struct FlowCacheInfo {
    AttachMode mode = AttachMode::kTc;
    std::array<uint64_t, IOV_FLOW_COUNTERS> counters{};
    std::array<uint64_t, IOV_DROP_MAX> entry_drops{};  // before any module, by reason
    std::vector<iov_flow> flows;
    std::vector<std::vector<uint32_t>> modules;  // per flow: the modules it crosses, in order
};

// One module a traced packet went through, read off its counters.
struct TraceStep {
    uint32_t module = 0;
    std::string name, type;
    std::vector<uint32_t> in_ports, out_ports;
    std::vector<std::pair<std::string, uint64_t>> drops;
    std::vector<std::pair<uint32_t, uint64_t>> acls;  // ACL numbers that decided, packets
};

struct TraceResult {
    std::string verdict;              // pass, drop, redirect
    std::vector<TraceStep> steps;     // in the order the packet went
    std::vector<std::string> leaves;  // interfaces it leaves through
    Bytes output;
};

// One module's counters, before or after a traced packet.
struct TraceCounters {
    std::map<uint32_t, iov_port_stats> ports;
    std::array<uint64_t, IOV_DROP_MAX> drops{};
    std::map<uint32_t, uint64_t> acl_hits;  // ACL number -> packets (switches)
};

struct Interface {
    std::string name;
    uint32_t ifindex = 0;
    std::optional<uint32_t> link;  // link attaching it, if any
};

// A module id as written in a reference ("12"), as opposed to a name.
inline bool isModuleId(const std::string &s) {
    return !s.empty() && s.size() < 10 && s.find_first_not_of("0123456789") == std::string::npos;
}

class Registry {
public:
    // Restores the saved state: adopts pinned modules (or reloads them if
    // the pins are gone), re-binds links to their still-attached netdevs.
    static iovisor::Result<std::unique_ptr<Registry>> open(const RegistryOptions &options);
    // Leaves every module, link and attachment in the kernel: stopping
    // hoverd never stops forwarding.
    ~Registry();

    // How many modules and links there are (cheap: for /health).
    struct Counts {
        size_t modules = 0, links = 0;
        std::vector<std::string> errors;  // datapath bookkeeping that failed (the flows concerned walk)
    };
    Counts counts();

    iovisor::Result<ModuleInfo> createModule(const CreateModule &request);
    // All or nothing, saved once: the modules load in parallel (the verifier
    // dominates a load), which is what a controller's full sync waits on.
    iovisor::Result<std::vector<ModuleInfo>> createModules(const std::vector<CreateModule> &requests);
    std::vector<ModuleInfo> listModules();
    iovisor::Result<ModuleInfo> getModule(const std::string &ref);
    iovisor::Result<ModuleInfo> updateModule(const std::string &ref, const std::optional<std::string> &display_name,
                                             const std::optional<nlohmann::json> &config);
    iovisor::Status deleteModule(const std::string &ref);

    // `from`/`to`: "m:<module id or name>[:<port>]" or "i:<netdev>".
    iovisor::Result<LinkInfo> createLink(const std::string &from, const std::string &to);
    // All or nothing, saved once.
    iovisor::Result<std::vector<LinkInfo>> createLinks(const std::vector<std::pair<std::string, std::string>> &links);
    std::vector<LinkInfo> listLinks();
    iovisor::Result<LinkInfo> getLink(uint32_t id);
    iovisor::Status deleteLink(uint32_t id);

    iovisor::Result<std::vector<TableInfo>> listTables(const std::string &module);
    iovisor::Result<TableInfo> getTable(const std::string &module, const std::string &table);
    iovisor::Result<std::vector<TableEntry>> listEntries(const std::string &module, const std::string &table);
    iovisor::Result<nlohmann::json> getEntry(const std::string &module, const std::string &table,
                                             const nlohmann::json &key);
    // Creates or replaces; `must_not_exist` makes an existing key a conflict.
    iovisor::Status putEntry(const std::string &module, const std::string &table, const nlohmann::json &key,
                             const nlohmann::json &value, bool must_not_exist);
    // Creates or replaces many entries: all are checked before any is written.
    iovisor::Status putEntries(const std::string &module, const std::string &table,
                               const std::vector<TableEntry> &entries);
    iovisor::Status deleteEntry(const std::string &module, const std::string &table, const nlohmann::json &key);
    // Raw bytes, as the kernel holds them (per-CPU maps: every CPU's value).
    iovisor::Result<std::vector<std::pair<Bytes, Bytes>>> listRawEntries(const std::string &module,
                                                                         const std::string &table);
    // Writes the batches in order (a removal of a missing key succeeds):
    // every key and value is checked against its table before anything is
    // written, and the configuration changes once.
    iovisor::Status applyBatches(const std::string &module, const std::vector<RawBatch> &batches);

    iovisor::Result<ModuleStats> stats(const std::string &module);
    // The flow caches of the hooks in use (tc; xdp once an XDP module exists).
    iovisor::Result<std::vector<FlowCacheInfo>> flows();
    // How full the connection table of each hook in use is.
    iovisor::Result<std::vector<std::pair<AttachMode, ChainMap::ConntrackFill>>> conntrack();
    // The first `limit` connections of each hook's table (an entry per direction).
    struct Connections {
        AttachMode mode;
        iov_ct_timeouts timeouts;
        uint64_t total = 0;
        std::vector<std::pair<iov_ct_key, iov_ct_entry>> entries;
    };
    iovisor::Result<std::vector<Connections>> connections(size_t limit);
    // Runs `packet` through the real programs from `from` ("m:<module>:<port>")
    // with BPF_PROG_TEST_RUN and reports, module by module, what happened
    // (from their counters). Like a real packet, it counts in the stats and
    // may leave learned or conntrack entries; flooded copies are sent.
    iovisor::Result<TraceResult> trace(const std::string &from, const Bytes &packet);
    std::vector<Interface> externalInterfaces();

private:
    struct ModuleRecord {
        ModuleInfo info;
        std::unique_ptr<Module> module;
    };
    struct LinkRecord {
        LinkInfo info;
        std::unique_ptr<Attachment> attachment;  // netdev side
    };

    explicit Registry(RegistryOptions options) : options_(std::move(options)) {}
    iovisor::Result<ModuleRecord *> find(const std::string &ref);
    // `reserved`: a (module, port) the other side of the same link takes.
    iovisor::Result<Endpoint> parseEndpoint(const std::string &text, const std::optional<Endpoint> &reserved);
    iovisor::Result<std::unique_ptr<Module>> loadModule(const CreateModule &request, uint32_t id);
    // Takes names and ids for a batch of modules about to load (mu_ held).
    iovisor::Result<std::vector<uint32_t>> reserve(const std::vector<CreateModule> &requests);
    // Loads (verifies) them in parallel, without mu_.
    std::vector<iovisor::Result<std::unique_ptr<Module>>> loadAll(const std::vector<CreateModule> &requests,
                                                                  const std::vector<uint32_t> &ids);
    // A name a module may take: not a number, not another module's (but
    // `renamed`'s own), not twice in one batch.
    iovisor::Status checkNewName(const std::string &name, const std::set<std::string> &batch, uint32_t renamed = 0) const;
    // Creates or removes one link (mu_ held, not saved).
    iovisor::Result<uint32_t> addLink(const std::string &from, const std::string &to);
    iovisor::Status removeLink(uint32_t id);
    iovisor::Status wire(const LinkRecord &link);
    // Attaches the module side's program to the netdev side, if there is one.
    iovisor::Result<std::unique_ptr<Attachment>> attachNetdev(const LinkInfo &link);
    void portChanged(ModuleRecord &record, uint32_t port);
    // The codec of `map` (of module `module`), by its kernel id.
    iovisor::Result<const MapCodec *> codec(uint32_t module, const TableMap &map, const MapInfo &info);
    // One table of one module, ready for entry operations (mu_ held).
    struct TableRef {
        const Module *module = nullptr;
        int fd = -1;
        TableMap map;                // where its entries are (own or shared map)
        const MapCodec *codec = nullptr;
        MapInfo info;                // of the map
        uint32_t key_size = 0;       // the table's key (a shared map's keys are longer)
        std::string name;
    };
    static iovisor::Result<Bytes> encodeKey(const TableRef &table, const nlohmann::json &key);
    static nlohmann::json decodeKey(const TableRef &table, const Bytes &map_key);
    iovisor::Result<TableRef> openTable(const std::string &module, const std::string &table);
    static iovisor::Result<Bytes> encodeValue(const TableRef &table, const nlohmann::json &value);
    static Bytes perCpuValue(const TableRef &table, Bytes value);
    static std::vector<std::pair<Bytes, Bytes>> readAll(const TableRef &table);
    // One entry of a table request, checked and encoded.
    struct PlannedWrite {
        const TableRef *table;
        Bytes key;      // the table's
        Bytes map_key;  // in its map (a shared map's keys hold the module)
        Bytes value;    // as the map takes it; none to delete
        bool remove;
        std::string what;  // for errors
    };
    // All the writes or none, also across a crash (undo_journal_).
    iovisor::Status writeWhole(ModuleRecord &record, const std::vector<PlannedWrite> &writes);
    void entryChanged(ModuleRecord &record, const TableRef &table, const Bytes &key);
    static iovisor::Status write(const TableRef &table, const Bytes &key, const Bytes &value, uint64_t flags,
                                 const std::string &what);
    // The steps of trace() (mu_ held).
    iovisor::Result<std::pair<ModuleRecord *, uint32_t>> traceStart(const std::string &from);
    iovisor::Result<std::map<uint32_t, TraceCounters>> traceCounters(uint32_t first, uint32_t in_port);
    static iovisor::Status traceRun(const ModuleRecord &first, uint32_t in_port, const Bytes &packet, TraceResult *out);
    void traceWalk(uint32_t first, uint32_t in_port, const std::map<uint32_t, TraceCounters> &before,
                   const std::map<uint32_t, TraceCounters> &after, TraceResult *out);
    // The hook's shared maps: open (mu_ held) before a module of the hook loads.
    const ChainMap &chainFor(AttachMode mode) const;
    std::vector<const ChainMap *> chains() const;  // the hooks in use, tc first
    std::vector<const ChainMap *> lockedChains();
    iovisor::Status openChain(AttachMode mode);
    std::string pinDir(uint32_t id) const;
    // What changed is saved, record by record.
    iovisor::Status saveModule(const ModuleRecord &rec);
    iovisor::Status saveLink(const LinkRecord &rec);
    iovisor::Status saveNextIds();
    ModuleInfo infoOf(const ModuleRecord &record) const;
    iovisor::Status restore(const nlohmann::json &state);
    iovisor::Status restoreModule(const nlohmann::json &module);
    iovisor::Status restoreLink(const nlohmann::json &link);
    void removeUnsavedModules();
    void tablesRolledBack(uint32_t module);

    RegistryOptions options_;
    StateStore store_{options_.state_dir};
    UndoJournal undo_journal_{options_.state_dir + "/undo.bin"};
    std::mutex mu_;
    std::unique_ptr<ChainMap> chain_tc_, chain_xdp_;
    std::unique_ptr<SharedTcBlock> tc_block_;  // with chain_tc_
    std::map<uint32_t, ModuleRecord> modules_;
    std::map<uint32_t, LinkRecord> links_;
    // Indexes over the two, kept where they change (index*), so that a
    // request costs the same beside 5 modules or 5,000.
    void indexModule(const ModuleInfo &info, bool add);
    void indexLink(const LinkInfo &info, bool add);
    std::map<std::string, uint32_t> module_by_name_;
    std::map<uint32_t, std::set<uint32_t>> links_of_module_;
    std::map<uint32_t, uint32_t> link_of_netdev_;  // ifindex -> link
    std::map<uint32_t, MapCodec> codecs_;                  // by map id
    std::map<uint32_t, std::vector<uint32_t>> own_codecs_;  // module id -> its own maps' ids
    uint32_t next_module_id_ = 1, next_link_id_ = 1;
    // Modules being loaded outside the lock: their names and ids are taken.
    std::set<std::string> loading_names_;
    std::set<uint32_t> loading_ids_;
};

}  // namespace hover
