#include "log.h"

#include <config.h>
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(iovisor_ovnd);

namespace ctl::log {

namespace {
// 5 a minute, bursts of 5.
struct vlog_rate_limit warnings = VLOG_RATE_LIMIT_INIT(5, 5);
}  // namespace

void setUp(bool verbose) {
    vlog_set_levels(nullptr, VLF_ANY_DESTINATION, VLL_WARN);
    vlog_set_levels(&this_module, VLF_CONSOLE, verbose ? VLL_DBG : VLL_INFO);
    // Milliseconds: a round's steps are told apart in the log (-v).
    vlog_set_pattern(VLF_CONSOLE, "%D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c%T|%p|%m");
}

void debug(const std::string &message) { VLOG_DBG("%s", message.c_str()); }
void info(const std::string &message) { VLOG_INFO("%s", message.c_str()); }
void warn(const std::string &message) { VLOG_WARN("%s", message.c_str()); }
void error(const std::string &message) { VLOG_ERR("%s", message.c_str()); }
void warnRateLimited(const std::string &message) { VLOG_WARN_RL(&warnings, "%s", message.c_str()); }

}  // namespace ctl::log
