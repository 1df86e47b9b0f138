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

class NbView {
public:
    // From the tracked changes (or whole, see above); true if rebuilt.
    bool refresh(const ovsdb_idl *idl);
    void rebuild(const ovsdb_idl *idl);
    const NbState &state() const { return s_; }

private:
    void update(const ovsdb_idl *idl);
    bool countsMatch(const ovsdb_idl *idl) const;
    NbState s_;
    bool built_ = false;
    std::map<std::string, std::string> address_set_names_, port_group_names_;  // uuid -> name
};

class SbView {
public:
    bool refresh(const ovsdb_idl *idl);
    void rebuild(const ovsdb_idl *idl);
    const SbState &state() const { return s_; }

private:
    void update(const ovsdb_idl *idl);
    bool countsMatch(const ovsdb_idl *idl) const;
    SbState s_;
    bool built_ = false;
    std::map<std::string, std::string> binding_names_, chassis_names_, private_names_;  // uuid -> key
};

class OvsView {
public:
    bool refresh(const ovsdb_idl *idl);
    void rebuild(const ovsdb_idl *idl);
    const OvsState &state() const { return s_; }

private:
    // False if the change is one it does not follow row by row (a bridge
    // added, removed or renamed): then the view is rebuilt.
    bool update(const ovsdb_idl *idl);
    bool countsMatch(const ovsdb_idl *idl) const;
    OvsState s_;
    bool built_ = false;
    std::map<std::string, std::string> interface_names_;  // uuid -> name
};

}  // namespace ovnmon
