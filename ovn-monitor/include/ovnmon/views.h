// The monitor's copies of the three databases (ovnmon/state.h), kept up to
// date row by row from the IDL's change tracking, so a change costs the rows
// it touched, not the size of the database. A view is rebuilt whole when it
// was never built, and whenever its row counts disagree with the IDL's: a
// reconnect that resyncs the replica drops rows without reporting them as
// deleted (ovsdb_idl_clear frees the tracked rows).
#pragma once

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ovnmon/state.h"

struct ovsdb_idl;

namespace ovnmon {

class BridgePorts;
class IdlConnection;

// Stops monitoring the Northbound columns the chassis never reads that
// others rewrite all the time (northd's Logical_Switch_Port.up, a CMS's
// external_ids on every update): each rewrite would cost an engine round.
// Before the first run of the connection.
void omitUnreadNbColumns(IdlConnection &nb);

// What the three views share. A view defines sync(idl, whole) (every row or
// the tracked ones) and countsMatch() (its rows against the IDL's), or its
// own rebuild() and update() (false if it cannot follow the tracked rows).
template <typename View, typename State>
class RowView {
public:
    // From the tracked changes (or whole, see above); true if rebuilt.
    bool refresh(const ovsdb_idl *idl) {
        View &view = static_cast<View &>(*this);
        if (built_ && view.update(idl) && view.countsMatch(idl)) return false;
        view.rebuild(idl);
        built_ = true;
        return true;
    }
    void rebuild(const ovsdb_idl *idl) { static_cast<View &>(*this).sync(idl, true); }
    bool update(const ovsdb_idl *idl) {
        static_cast<View &>(*this).sync(idl, false);
        return true;
    }
    // The next refresh() rebuilds it (its tracked rows may have been missed).
    void invalidate() { built_ = false; }
    const State &state() const { return s_; }

protected:
    State s_;
    bool built_ = false;
};

class NbView : public RowView<NbView, NbState> {
public:
    void sync(const ovsdb_idl *idl, bool whole);
    bool countsMatch(const ovsdb_idl *idl) const;

private:
    std::map<std::string, std::string> address_set_names_, port_group_names_, meter_names_;  // uuid -> name
};

class SbView : public RowView<SbView, SbState> {
public:
    void sync(const ovsdb_idl *idl, bool whole);
    bool countsMatch(const ovsdb_idl *idl) const;

private:
    std::map<std::string, std::string> binding_names_, chassis_names_, private_names_;  // uuid -> key
};

// Interfaces on a bridge: the Port row holding an interface (IDL) and the
// bridge holding the port (BridgePorts, which the IDL does not monitor).
class OvsView : public RowView<OvsView, OvsState> {
public:
    explicit OvsView(const BridgePorts *bridges = nullptr) : bridges_(bridges) {}
    void rebuild(const ovsdb_idl *idl);
    // False after the bridge index was replaced whole.
    bool update(const ovsdb_idl *idl);
    bool countsMatch(const ovsdb_idl *idl) const;
    // The interfaces that entered, left or changed in the view since the
    // last call, deletes first (as OvnMonitor::changes()). Interfaces count,
    // not Interface rows: one joins when its port reaches a bridge.
    std::vector<Change> takeChanges();

private:
    void notePort(const std::string &port_uuid, const std::vector<std::string> &interfaces,
                  std::set<std::string> *changed);
    void put(const ovsdb_idl *idl, const std::string &interface_uuid);

    const BridgePorts *bridges_;
    std::map<std::string, std::string> interface_names_;                          // uuid -> name
    std::unordered_map<std::string, std::vector<std::string>> port_interfaces_;  // port -> interface uuids
    std::unordered_map<std::string, std::string> interface_port_;                // interface -> port uuid
    std::vector<Change> deleted_, changed_;
};

}  // namespace ovnmon
