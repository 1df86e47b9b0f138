// The controller's view for iovisorctl: which module serves which logical
// switch/router/NAT, which module port and interface each logical port has,
// its binding state, and how far nb_cfg got.
#pragma once

#include <nlohmann/json.hpp>

#include "desired_state.h"
#include "ovnmon/state.h"

namespace ctl {

struct SnapshotInput {
    const ovnmon::NbState &nb;
    const ovnmon::SbState &sb;
    const ovnmon::OvsState &ovs;
    const DesiredState &desired;
    std::string chassis, hover_url, last_error;
    bool programmed = false;
};

nlohmann::json snapshot(const SnapshotInput &in);

}  // namespace ctl
