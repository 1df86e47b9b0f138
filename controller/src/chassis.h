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
#include <string>

#include "ovnmon/state.h"

struct ovsdb_idl;
struct ovsdb_idl_txn;
struct sbrec_chassis;

namespace ctl {

class ChassisDuties {
public:
    // `name` is the OVS system-id.
    void registerChassis(ovsdb_idl *sb, ovsdb_idl_txn *txn, const ovnmon::OvsState &ovs);
    // cur_cfg follows next_cfg; with `ofports`, interfaces without an ofport
    // get one (a pass over every interface). False without a transaction.
    bool ovsHousekeeping(ovsdb_idl *ovs, ovsdb_idl_txn *txn, bool ofports);
    // `bindings`: logical port -> interface of the VIFs this chassis serves;
    // `programmed`: hoverd holds everything for them. claimPorts writes the
    // Port_Bindings, markInstalled the interfaces' ovn-installed: each a pass
    // over every row, false without a transaction.
    bool claimPorts(ovsdb_idl *sb, ovsdb_idl_txn *sb_txn, const std::map<std::string, std::string> &bindings,
                    bool programmed);
    bool markInstalled(ovsdb_idl *ovs, ovsdb_idl_txn *ovs_txn, const std::map<std::string, std::string> &bindings,
                       bool programmed);
    void reportNbCfg(ovsdb_idl *sb, ovsdb_idl_txn *txn, bool programmed);
    // Releases every binding of this chassis and removes its rows.
    void release(ovsdb_idl *sb, ovsdb_idl_txn *sb_txn, ovsdb_idl *ovs, ovsdb_idl_txn *ovs_txn);
    const std::string &name() const { return name_; }

private:
    void setOtherConfig(const sbrec_chassis *ch, const ovnmon::OvsState &ovs);
    void setEncaps(ovsdb_idl_txn *txn, const sbrec_chassis *ch, const ovnmon::OvsState &ovs);
    std::string name_;
};

}  // namespace ctl
