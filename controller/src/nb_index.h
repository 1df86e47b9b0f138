// The lookups translation needs across rows (the switch of a port, a router
// port by name, the switch port peering a router port, the interface whose
// iface-id names a logical port), kept up to date with the rows that changed:
// a port added to a loaded chassis updates a few entries, it does not
// re-index the Northbound database.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ovnmon/monitor.h"
#include "ovnmon/state.h"
#include "translate_acl.h"

namespace ctl {

struct TranslateInput;

class NbIndex {
public:
    void build(const TranslateInput &in);
    // After `changes`: the rows of switches, their ports, routers, their
    // ports and interfaces that changed (the rest is not indexed).
    void update(const TranslateInput &in, const std::vector<ovnmon::Change> &changes);
    // `changes` but those to bindings and interfaces that leave what
    // translation reads of them as it was (a claim, the port up, the
    // ofport or ovn-installed written: most of the rows a port add
    // changes), and remembers what it now reads.
    std::vector<ovnmon::Change> readChanges(const TranslateInput &in, const std::vector<ovnmon::Change> &changes);

    // "" if none.
    std::string switchOfPort(const std::string &lsp_uuid) const { return find(switch_of_port_, lsp_uuid); }
    std::string portByName(const std::string &lsp_name) const { return find(port_by_name_, lsp_name); }
    const ovnmon::LogicalRouterPort *routerPort(const std::string &lrp_name) const;
    const ovnmon::LogicalRouter *routerOfPort(const std::string &lrp_uuid) const;
    // The switch port of type router whose router-port is `lrp_name`.
    std::string switchPortOf(const std::string &lrp_name) const { return find(switch_port_of_lrp_, lrp_name); }
    // The local interface whose iface-id is `lsp_name`.
    std::string vif(const std::string &lsp_name) const { return find(vif_of_iface_id_, lsp_name); }
    // The iface-id of an interface, as last indexed.
    std::string ifaceIdOf(const std::string &ifname) const { return find(iface_id_of_, ifname); }
    const std::map<std::string, std::string> &bridgeOfNetwork() const { return bridge_of_network_; }
    // What ACL matches name (every port group's ports and addresses) and
    // the matches parsed: made at the first switch a round translates, kept
    // until a port, a port group, an address set or an ACL changes.
    const AclNames &aclNames() const;
    // What the last update changed of port groups: the ports that joined
    // or left one (all of a group's ports when its ACLs or name changed),
    // and the address sets northd derives from groups (<pg>_ip4, _ip6)
    // whose addresses may have changed, with the group's ports or with a
    // member port's addresses.
    struct Regrouped {
        std::set<std::string> ports, address_sets;
    };
    const Regrouped &regrouped() const { return regrouped_; }

private:
    static std::string find(const std::map<std::string, std::string> &m, const std::string &key) {
        auto it = m.find(key);
        return it == m.end() ? "" : it->second;
    }
    void indexSwitch(const ovnmon::NbState &nb, const std::string &ls_uuid);
    void indexPort(const ovnmon::NbState &nb, const std::string &lsp_uuid);
    void indexInterface(const ovnmon::OvsState &ovs, const std::string &ifname);
    void indexRouters(const ovnmon::NbState &nb);
    void indexGroup(const ovnmon::NbState &nb, const std::string &uuid, const std::string &name);
    void groupSetsChanged(const std::string &group_name);
    // What translation reads of a binding or an interface ("" if none).
    static std::string readOfBinding(const TranslateInput &in, const std::string &logical_port);
    static std::string readOfInterface(const TranslateInput &in, const std::string &ifname);
    // Whether it differs from what was last remembered, remembering it.
    static bool differs(std::map<std::string, std::string> *seen, const std::string &key, std::string now);

    const ovnmon::NbState *nb_ = nullptr;
    std::map<std::string, std::string> switch_of_port_;    // LSP uuid -> LS uuid
    std::map<std::string, std::vector<std::string>> ports_of_switch_;  // as last indexed
    std::map<std::string, std::string> port_by_name_;      // LSP name -> uuid
    std::map<std::string, std::pair<std::string, std::string>> port_names_;  // LSP uuid -> (name, router-port)
    std::map<std::string, std::string> switch_port_of_lrp_;  // LRP name -> LSP uuid
    std::map<std::string, std::string> router_port_by_name_;  // LRP name -> uuid
    std::map<std::string, std::string> router_of_port_;       // LRP uuid -> LR uuid
    std::map<std::string, std::string> vif_of_iface_id_;      // iface-id -> interface name
    std::map<std::string, std::string> iface_id_of_;          // interface name -> iface-id, as last indexed
    std::map<std::string, std::string> bridge_of_network_;    // physnet -> bridge
    std::map<std::string, std::string> binding_read_;         // logical port -> readOfBinding, as last seen
    std::map<std::string, std::string> interface_read_;       // interface name -> readOfInterface, as last seen
    mutable std::optional<AclNames> acl_names_;
    struct Group {
        std::string name;
        std::vector<std::string> ports, acls;
    };
    std::map<std::string, Group> groups_;                          // PG uuid -> as last indexed
    std::map<std::string, std::set<std::string>> groups_of_port_;  // LSP uuid -> PG uuids, as last indexed
    Regrouped regrouped_;
};

}  // namespace ctl
