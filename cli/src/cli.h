// What iovisorctl's commands share: the client, the output helpers, the
// exit codes, and iovisor-ovnd's state snapshot.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hover/client.h"
#include "iovisor/result.h"

namespace iovisorctl {

using nlohmann::json;

enum Exit { kOk = 0, kRefused = 1, kBadUsage = 2, kUnreachable = 3 };

struct Cli {
    hover::HoverClient client;
    bool as_json = false;
    std::string ovnd_socket;
};

// iovisor-ovnd's state snapshot from its debug socket.
iovisor::Result<json> ovndState(const std::string &path);
int usage(const std::string &problem);
int fail(const iovisor::Error &e);
// Plain text for a JSON scalar (strings without quotes).
std::string text(const json &v);
// Prints rows as aligned columns under a header.
void table(const std::vector<std::string> &header, const std::vector<std::vector<std::string>> &rows);
// `body` as JSON with --json, else what `human` prints.
int show(const Cli &cli, const json &body, const std::function<void()> &human);

// The commands over iovisor-ovnd's state (ovn_commands.cpp).
int acl(Cli &cli, const std::string &port);
int ovn(Cli &cli);
int status(Cli &cli);

}  // namespace iovisorctl
