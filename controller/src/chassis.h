// The duties OVN expects from a chassis (see ../shared/DESIGN.md):
//   - SB Chassis + Chassis_Private rows from the local Open_vSwitch row;
//   - Port_Binding claims: chassis, then up=true once the datapath is
//     programmed, and Interface external_ids:ovn-installed=true;
//   - Chassis_Private.nb_cfg = SB_Global.nb_cfg once programmed, which is
//     what makes `ovn-nbctl --wait=hv` return;
//   - ovs-vsctl keeps working without ovs-vswitchd: cur_cfg follows next_cfg
//     and interfaces get an ofport;
//   - bindings released on a clean shutdown.
// Each call writes into the open IDL transactions (skipped when null).
#pragma once

#include <map>
#include <set>
#include <string>

#include "desired_state.h"
#include "ovnmon/state.h"

struct ovsdb_idl;
struct ovsdb_idl_txn;
struct sbrec_chassis;
struct ovsrec_interface;

namespace ctl {

class ChassisDuties {
public:
    // `name` is the OVS system-id.
    void registerChassis(ovsdb_idl *sb, ovsdb_idl_txn *txn, const ovnmon::OvsState &ovs);
    // The duties below look at the rows their scope names (by interface or
    // logical port name, found through the replicas' views), or at every row:
    // a port add costs the same at 5,000 ports as at 5. Each returns false
    // without a transaction (the caller keeps the scope for the next round).
    //
    // cur_cfg follows next_cfg; interfaces in `ofports` without an ofport get one.
    bool ovsHousekeeping(ovsdb_idl *ovs, ovsdb_idl_txn *txn, const ovnmon::OvsState &state, const RowScope &ofports);
    // `bindings`: logical port -> interface of the VIFs this chassis serves;
    // `programmed`: hoverd holds everything for them. claimPorts writes the
    // Port_Bindings, markInstalled the interfaces' ovn-installed.
    bool claimPorts(ovsdb_idl *sb, ovsdb_idl_txn *sb_txn, const ovnmon::SbState &state,
                    const std::map<std::string, std::string> &bindings, bool programmed, const RowScope &scope);
    bool markInstalled(ovsdb_idl *ovs, ovsdb_idl_txn *ovs_txn, const ovnmon::OvsState &state,
                       const std::map<std::string, std::string> &bindings, bool programmed, const RowScope &scope);
    void reportNbCfg(ovsdb_idl *sb, ovsdb_idl_txn *txn, bool programmed);
    // Releases every binding of this chassis and removes its rows.
    void release(ovsdb_idl *sb, ovsdb_idl_txn *sb_txn, ovsdb_idl *ovs, ovsdb_idl_txn *ovs_txn);
    const std::string &name() const { return name_; }

private:
    void setOtherConfig(const sbrec_chassis *ch, const ovnmon::OvsState &ovs);
    void setEncaps(ovsdb_idl_txn *txn, const sbrec_chassis *ch, const ovnmon::OvsState &ovs);
    void giveOfport(const std::string &bridge, const ovsrec_interface *itf);

    // ofports in use per bridge (from the last pass over every row, plus
    // those given since) and where the search for a free one goes on.
    struct OfportsInUse {
        std::set<int64_t> numbers;
        int64_t next = 1;
    };
    std::map<std::string, OfportsInUse> ofports_used_;
    std::string name_;
};

}  // namespace ctl
