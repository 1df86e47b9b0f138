// RAII wrapper over one OVSDB IDL connection (lib/ovsdb-idl.h from OVS).
// The IDL keeps a replica of the monitored tables; run() pulls updates from
// the server, and the generated <prefix>rec_* accessors read the replica.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "iovisor/result.h"

struct ovsdb_idl;
struct ovsdb_idl_class;

namespace ovnmon {

class IdlConnection {
public:
    // Connects to `remote` ("unix:/path", "tcp:127.0.0.1:6641") and monitors
    // every table and column of the schema described by `idl_class`.
    static iovisor::Result<std::unique_ptr<IdlConnection>> open(const ovsdb_idl_class &idl_class,
                                                                 const std::string &remote);
    ~IdlConnection();
    IdlConnection(const IdlConnection &) = delete;
    IdlConnection &operator=(const IdlConnection &) = delete;

    // Processes pending messages from the server without blocking.
    void run();
    // Blocks until there is something to run() or `timeout` passes.
    void wait(std::chrono::milliseconds timeout);
    // Runs until `done()` is true or `timeout` passes; returns done().
    bool runUntil(const std::function<bool()> &done, std::chrono::milliseconds timeout);

    bool connected() const;
    // Increases each time the replica changes.
    unsigned seqno() const;
    const std::string &remote() const { return remote_; }
    ovsdb_idl *raw() { return idl_; }

private:
    IdlConnection(ovsdb_idl *idl, std::string remote) : idl_(idl), remote_(std::move(remote)) {}
    ovsdb_idl *idl_;
    std::string remote_;
};

}  // namespace ovnmon
