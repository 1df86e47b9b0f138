// The monitor's copies of the three databases (ovnmon/state.h), kept up to
// date row by row from the IDL's change tracking, so a change costs the rows
// it touched, not the size of the database. A view is rebuilt whole when it
// was never built, and whenever its row counts disagree with the IDL's: a
// reconnect that resyncs the replica drops rows without reporting them as
// deleted (ovsdb_idl_clear frees the tracked rows).
#pragma once

#include <map>
#include <string>

#include "ovnmon/state.h"

struct ovsdb_idl;

namespace ovnmon {

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

class OvsView : public RowView<OvsView, OvsState> {
public:
    void rebuild(const ovsdb_idl *idl);
    // False for what it does not follow row by row (a bridge added, removed
    // or renamed, ports moved between bridges).
    bool update(const ovsdb_idl *idl);
    bool countsMatch(const ovsdb_idl *idl) const;

private:
    std::map<std::string, std::string> interface_names_;  // uuid -> name
};

}  // namespace ovnmon
