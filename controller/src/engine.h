// The desired IOModule graph, kept up to date incrementally (as
// ovn-controller's incremental processing does): a round recomputes only the
// datapaths the changed rows reach, and those that become local, and tells
// the reconciler which modules and links changed. recompute() does the same
// for every local datapath; the two must always agree (unit tests hold the
// engine to it, `iovisor-ovnd --check` the running daemon).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "desired_state.h"
#include "nb_index.h"
#include "ovnmon/monitor.h"
#include "port_allocator.h"
#include "translate.h"

namespace ctl {

class Engine {
public:
    // Every local datapath, from scratch.
    void recompute(const TranslateInput &in, PortAllocator &ports);
    // The datapaths `changes` (rows changed since the last round) reach.
    // Falls back to recompute() for what it does not follow row by row (a
    // new chassis name or bridge mappings, or before the first recompute).
    void update(const TranslateInput &in, const std::vector<ovnmon::Change> &changes, PortAllocator &ports);
    const DesiredState &desired() const { return desired_; }
    DesiredDelta takeDelta();
    // What changed in desired().bindings since the last call: every binding
    // (after a recompute) or these logical ports and their interfaces, old
    // and new (the chassis duties look at those rows only).
    BindingChanges takeBindingChanges();

private:
    std::set<std::string> directlyTouched(const TranslateInput &in, const std::vector<ovnmon::Change> &changes) const;
    std::set<std::string> withNeighbours(const std::set<std::string> &direct) const;
    std::set<std::string> regroupedSwitches() const;
    // Locality and adjacency of these datapaths; true if any changed.
    bool refreshGraph(const TranslateInput &in, const std::set<std::string> &datapaths);
    static void setEdges(std::map<std::string, std::set<std::string>> *edges,
                         std::map<std::string, std::set<std::string>> *reverse, const std::string &from,
                         std::set<std::string> to);
    std::set<std::string> localClosure() const;
    void translate(const TranslateInput &in, PortAllocator &ports, const std::set<std::string> &datapaths,
                   const std::set<std::string> &removed, bool whole_round);
    void retryOutOfPorts(const TranslateInput &in, PortAllocator &ports,
                         std::map<std::string, DesiredState> *outputs) const;
    void replaceOutput(const std::string &datapath, DesiredState out);
    void refLink(const LinkSpec &link, int by);
    void noteBindingChanges(const std::map<std::string, std::string> &before,
                            const std::map<std::string, std::string> &after);

    NbIndex index_;
    DesiredState desired_;
    // What each datapath produced, by uuid: its links and bindings, and the
    // names of its modules (the modules themselves are in desired_).
    std::map<std::string, DesiredState> outputs_;
    std::map<LinkSpec, int> link_refs_;            // datapaths asking for each link
    std::map<std::string, std::set<std::string>> set_readers_;  // address set -> switches whose ACLs name it
    std::set<std::string> local_;                  // local datapaths
    std::set<std::string> seeds_;                  // switches with a port here
    std::set<std::string> localnet_switches_;
    std::map<std::string, std::set<std::string>> switch_routers_, router_switches_;
    std::map<std::string, std::set<std::string>> router_peers_, peered_by_;
    std::string chassis_, bridge_mappings_;
    DesiredDelta delta_;
    BindingChanges binding_changes_{{true, {}}, {true, {}}};
    bool built_ = false;
};

}  // namespace ctl
