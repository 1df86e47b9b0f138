// ovn-monitor: follows the OVN NB and SB databases and the local
// Open_vSwitch database through the OVSDB IDL, with change tracking, and
// keeps plain copies of their contents up to date row by row. Connections retry forever; a
// restarted server is resynced by the IDL. The SB remote defaults to the
// Open_vSwitch row's external_ids:ovn-remote, as ovn-controller does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "iovisor/result.h"
#include "ovnmon/bridge_ports.h"
#include "ovnmon/idl.h"
#include "ovnmon/state.h"
#include "ovnmon/views.h"

namespace ovnmon {

// The files for ssl: remotes, as ovn-controller takes them (-p, -c, -C,
// --bootstrap-ca-cert).
struct SslFiles {
    std::string private_key, certificate, ca_cert;
    bool bootstrap_ca_cert = false;  // ca_cert is fetched from the server on first connect
    bool any() const { return !private_key.empty() || !certificate.empty() || !ca_cert.empty(); }
};

struct MonitorOptions {
    std::string ovs_remote = "unix:/var/run/openvswitch/db.sock";
    std::string nb_remote = "unix:/var/run/ovn/ovnnb_db.sock";
    std::string sb_remote;  // "" = external_ids:ovn-remote of the local Open_vSwitch row
    SslFiles ssl;
};

// Sets the OVS library's SSL files; an error names what is missing or
// unreadable (an ssl: remote without them would only fail at connect).
iovisor::Status configureSsl(const SslFiles &ssl);

class OvnMonitor {
public:
    static iovisor::Result<std::unique_ptr<OvnMonitor>> open(const MonitorOptions &options);

    // Processes what the servers sent; true if any replica changed. Opens
    // write transactions on SB and Open_vSwitch (sbTxn()/ovsTxn(), nullptr
    // while an earlier one is still in flight).
    bool run();
    // Commits the open transactions, then blocks until a server has
    // something for us or `timeout_ms` passes.
    void wait(int timeout_ms);
    ovsdb_idl_txn *sbTxn() const { return sb_txn_; }
    ovsdb_idl_txn *ovsTxn() const { return ovs_txn_; }

    // The databases' contents as of the last run(), kept up to date row by
    // row (src/views.h).
    const NbState &nb() const { return nb_view_.state(); }
    const SbState &sb() const { return sb_view_.state(); }
    int64_t sbNbCfg() const { return sb_view_.state().nb_cfg; }
    const OvsState &ovs() const { return ovs_view_.state(); }
    // Changes seen by the last run(), deletes first.
    const std::vector<Change> &changes() const { return changes_; }
    // The last run() rebuilt a copy whole (first sync, resync): changes()
    // does not tell everything that changed.
    bool rebuilt() const { return rebuilt_; }

    // All three replicas hold their database: only then may the controller
    // act on them (an empty replica would mean "delete everything").
    bool ready() const { return nb_->synced() && ovsSynced() && sb_ && sb_->synced(); }
    bool nbConnected() const { return nb_->connected(); }
    bool sbConnected() const { return sb_ && sb_->connected(); }
    bool ovsConnected() const { return ovs_->connected(); }
    const std::string &sbRemote() const { return sb_remote_; }

    IdlConnection &nbIdl() { return *nb_; }
    IdlConnection *sbIdl() { return sb_.get(); }
    IdlConnection &ovsIdl() { return *ovs_; }
    const BridgePorts &bridgePorts() const { return *bridges_; }

private:
    OvnMonitor() = default;
    void collectChanges();
    void refreshViews();
    void followSbRemote();
    void followSslRecord();
    bool ovsSynced() const { return ovs_->synced() && bridges_->synced(); }

    MonitorOptions options_;
    std::unique_ptr<IdlConnection> nb_, sb_, ovs_;
    std::unique_ptr<BridgePorts> bridges_;  // Bridge.ports, which ovs_ does not monitor
    std::string sb_remote_;
    unsigned nb_seqno_ = 0, sb_seqno_ = 0, ovs_seqno_ = 0, bridges_seqno_ = 0;
    unsigned nb_view_seqno_ = 0, sb_view_seqno_ = 0, ovs_view_seqno_ = 0;  // what each view last followed
    std::vector<Change> changes_;
    NbView nb_view_;
    SbView sb_view_;
    OvsView ovs_view_;
    bool nb_stale_ = true, sb_stale_ = true, ovs_stale_ = true, rebuilt_ = false;
    ovsdb_idl_txn *sb_txn_ = nullptr, *ovs_txn_ = nullptr;
};

}  // namespace ovnmon
