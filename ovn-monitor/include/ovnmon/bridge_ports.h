// Which bridge each Open_vSwitch Port row is on, from a monitor of
// Bridge {name, ports} of our own. The IDL, given a bridge's changed port set,
// re-parses the whole column and re-links every reference: at 5,000 ports
// that cost ~5 ms of each port added, enough to lose a new VM's first ARP.
// Here an update costs the ports it adds or removes (the server sends a diff).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "iovisor/result.h"

struct iov_cs;
struct json;
struct shash;

namespace ovnmon {

class BridgePorts {
public:
    // Monitors the Open_vSwitch database at `remote` (as IdlConnection).
    static iovisor::Result<std::unique_ptr<BridgePorts>> open(const std::string &remote);
    ~BridgePorts();
    BridgePorts(const BridgePorts &) = delete;
    BridgePorts &operator=(const BridgePorts &) = delete;

    // Applies what the server sent, without blocking.
    void run();
    // Registers the connection with the next pollBlock().
    void prepareWait();

    // The initial contents arrived (since the last reconnect).
    bool synced() const { return synced_; }
    // Increases each time the index changes.
    unsigned seqno() const { return seqno_; }
    // The last run() replaced the contents whole (first sync, reconnect):
    // changedPorts() does not tell everything.
    bool resynced() const { return resynced_; }
    // Ports whose bridge changed in the last run(): added to or removed from
    // a bridge, moved, or on a bridge that was renamed or removed.
    const std::set<std::string> &changedPorts() const { return changed_; }

    // The name of the bridge port `uuid` is on, or nullptr.
    const std::string *bridgeOf(const std::string &port_uuid) const;

private:
    struct Bridge {
        std::string name;
        std::set<std::string> ports;
    };
    explicit BridgePorts(iov_cs *cs) : cs_(cs) {}
    void applyRow(const std::string &uuid, int change, const shash *columns);
    void setPorts(const std::string &bridge_uuid, std::set<std::string> ports);
    void removeBridge(const std::string &bridge_uuid);
    void forget(const std::string &port_uuid, const std::string &bridge_uuid);
    void togglePorts(const std::string &bridge_uuid, const json *diff);

    iov_cs *cs_;
    std::map<std::string, Bridge> bridges_;                         // by uuid
    std::unordered_map<std::string, std::string> bridge_of_port_;  // port uuid -> bridge uuid
    std::set<std::string> changed_;
    bool synced_ = false, resynced_ = false;
    unsigned seqno_ = 0;
};

}  // namespace ovnmon
