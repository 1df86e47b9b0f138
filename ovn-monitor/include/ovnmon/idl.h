// RAII wrapper over one OVSDB IDL connection (lib/ovsdb-idl.h from OVS).
// The IDL keeps a replica of the monitored tables; run() pulls updates from
// the server, and the generated <prefix>rec_* accessors read the replica.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "iovisor/result.h"

struct ovsdb_idl;
struct ovsdb_idl_class;
struct ovsdb_idl_column;
struct ovsdb_idl_txn;
struct ovsdb_idl_loop;

namespace ovnmon {

class IdlConnection {
public:
    // Connects to `remote` ("unix:/path", "tcp:127.0.0.1:6641") and monitors
    // `columns` of the schema described by `idl_class` (none: every table
    // and column).
    static iovisor::Result<std::unique_ptr<IdlConnection>> open(const ovsdb_idl_class &idl_class,
                                                                 const std::string &remote,
                                                                 const std::vector<const ovsdb_idl_column *> &columns = {});
    ~IdlConnection();
    IdlConnection(const IdlConnection &) = delete;
    IdlConnection &operator=(const IdlConnection &) = delete;

    // Processes pending messages from the server without blocking.
    void run();
    // Blocks until there is something to run() or `timeout` passes.
    void wait(std::chrono::milliseconds timeout);
    // Registers this connection with the next pollBlock() (several at once).
    void prepareWait();
    // Keeps per-row change records for every monitored column until
    // clearTracked().
    void trackAll();
    void clearTracked();
    // Stops monitoring `column` (before the first run()).
    void omit(const ovsdb_idl_column &column);
    // Switches to another server (e.g. a changed ovn-remote).
    void setRemote(const std::string &remote);

    // Writing, the ovsdb_idl_loop way: beginTxn() runs the IDL and opens a
    // transaction, or returns nullptr while the previous one is still being
    // committed (skip writing this round); commitAndWait() sends it and
    // registers for the next pollBlock().
    ovsdb_idl_txn *beginTxn();
    void commitAndWait();
    // Runs until `done()` is true or `timeout` passes; returns done().
    bool runUntil(const std::function<bool()> &done, std::chrono::milliseconds timeout);

    bool connected() const;
    // Connected and the initial contents have arrived: the replica is the
    // database, not an empty placeholder.
    bool synced() const;
    // Increases each time the replica changes.
    unsigned seqno() const;
    const std::string &remote() const { return remote_; }
    ovsdb_idl *raw() { return idl_; }

private:
    IdlConnection(ovsdb_idl *idl, std::string remote);
    ovsdb_idl *idl_;
    std::unique_ptr<ovsdb_idl_loop> loop_;
    std::string remote_;
    unsigned initial_seqno_ = 0;
    std::vector<const ovsdb_idl_column *> columns_;  // monitored; empty: all
};

// Blocks until a connection registered with prepareWait() has input or
// `timeout_ms` passes.
void pollBlock(int timeout_ms);

}  // namespace ovnmon
