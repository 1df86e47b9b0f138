// iovisor-ovnd's one logger, over OVS's vlog (already linked for the IDL):
// levels, "module|LEVEL|message" lines on stderr, and rate limiting for what
// a broken dependency would otherwise repeat every loop.
#pragma once

#include <string>

namespace ctl::log {

// Console level: info, or debug with `verbose` (iovisor-ovnd -v). The OVS
// library's own modules log warnings and worse.
void setUp(bool verbose);

void debug(const std::string &message);
void info(const std::string &message);
void warn(const std::string &message);
void error(const std::string &message);
// At most a few a minute, however often it is called (retry loops).
void warnRateLimited(const std::string &message);

}  // namespace ctl::log
