#include "ovnmon/bridge_ports.h"

#include <config.h>
#include "openvswitch/json.h"
#include "openvswitch/shash.h"

#include "idl_text.h"
#include "ovsdb_cs_shim.h"

namespace ovnmon {

namespace {

const char *const kColumns[] = {"name", "ports"};

// The uuids of a set of references (or of a set diff): ["set", [["uuid",
// U], ...]], or a single ["uuid", U].
std::set<std::string> uuidsOf(const json *datum) {
    std::set<std::string> out;
    auto atom = [&](const json *a) {
        if (a->type != JSON_ARRAY || a->array.n != 2 || a->array.elems[1]->type != JSON_STRING) return;
        out.insert(json_string(a->array.elems[1]));
    };
    if (!datum || datum->type != JSON_ARRAY || datum->array.n != 2) return out;
    const json *tag = datum->array.elems[0];
    if (tag->type == JSON_STRING && std::string(json_string(tag)) == "set") {
        const json *items = datum->array.elems[1];
        if (items->type == JSON_ARRAY)
            for (size_t i = 0; i < items->array.n; ++i) atom(items->array.elems[i]);
    } else {
        atom(datum);
    }
    return out;
}

const json *column(const shash *columns, const char *name) {
    return static_cast<const json *>(shash_find_data(columns, name));
}

}  // namespace

iovisor::Result<std::unique_ptr<BridgePorts>> BridgePorts::open(const std::string &remote) {
    return std::unique_ptr<BridgePorts>(
        new BridgePorts(iov_cs_open("Open_vSwitch", "Bridge", kColumns, 2, remote.c_str())));
}

BridgePorts::~BridgePorts() { iov_cs_close(cs_); }

void BridgePorts::prepareWait() { iov_cs_wait(cs_); }

const std::string *BridgePorts::bridgeOf(const std::string &port_uuid) const {
    auto port = bridge_of_port_.find(port_uuid);
    if (port == bridge_of_port_.end()) return nullptr;
    auto bridge = bridges_.find(port->second);
    return bridge == bridges_.end() ? nullptr : &bridge->second.name;
}

void BridgePorts::run() {
    changed_.clear();
    resynced_ = false;
    iov_cs_handler handler;
    handler.aux = this;
    handler.reconnected = [](void *self) { static_cast<BridgePorts *>(self)->synced_ = false; };
    handler.cleared = [](void *self) {
        auto *me = static_cast<BridgePorts *>(self);
        me->bridges_.clear();
        me->bridge_of_port_.clear();
        me->resynced_ = true;
    };
    handler.row = [](void *self, const uuid *row, iov_cs_row_change change, const shash *columns) {
        static_cast<BridgePorts *>(self)->applyRow(uuidText(*row), change, columns);
    };
    handler.synced = [](void *self) { static_cast<BridgePorts *>(self)->synced_ = true; };
    iov_cs_run(cs_, &handler);
    if (resynced_ || !changed_.empty()) ++seqno_;
}

void BridgePorts::applyRow(const std::string &uuid, int change, const shash *columns) {
    if (change == IOV_CS_ROW_DELETE) return removeBridge(uuid);
    Bridge &bridge = bridges_[uuid];
    if (const json *name = column(columns, "name"); name && name->type == JSON_STRING && bridge.name != json_string(name)) {
        bridge.name = json_string(name);
        changed_.insert(bridge.ports.begin(), bridge.ports.end());
    }
    const json *ports = column(columns, "ports");
    if (change == IOV_CS_ROW_DIFF) togglePorts(uuid, ports);
    else if (ports) setPorts(uuid, uuidsOf(ports));
}

void BridgePorts::setPorts(const std::string &bridge_uuid, std::set<std::string> ports) {
    Bridge &bridge = bridges_[bridge_uuid];
    for (const auto &port : bridge.ports) {
        if (ports.count(port)) continue;
        changed_.insert(port);
        forget(port, bridge_uuid);
    }
    for (const auto &port : ports)
        if (!bridge.ports.count(port)) bridge_of_port_[port] = bridge_uuid, changed_.insert(port);
    bridge.ports = std::move(ports);
}

// A set diff names the elements to add or remove: each one toggles.
void BridgePorts::togglePorts(const std::string &bridge_uuid, const json *diff) {
    Bridge &bridge = bridges_[bridge_uuid];
    for (const auto &port : uuidsOf(diff)) {
        changed_.insert(port);
        if (bridge.ports.erase(port)) {
            forget(port, bridge_uuid);
        } else {
            bridge.ports.insert(port);
            bridge_of_port_[port] = bridge_uuid;
        }
    }
}

// A port that left a bridge, unless an update seen first put it on another.
void BridgePorts::forget(const std::string &port_uuid, const std::string &bridge_uuid) {
    auto where = bridge_of_port_.find(port_uuid);
    if (where != bridge_of_port_.end() && where->second == bridge_uuid) bridge_of_port_.erase(where);
}

void BridgePorts::removeBridge(const std::string &bridge_uuid) {
    auto bridge = bridges_.find(bridge_uuid);
    if (bridge == bridges_.end()) return;
    for (const auto &port : bridge->second.ports) {
        changed_.insert(port);
        forget(port, bridge_uuid);
    }
    bridges_.erase(bridge);
}

}  // namespace ovnmon
