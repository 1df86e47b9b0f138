// Runs a command as a child process and collects what it printed.
#pragma once

#include <string>
#include <vector>

namespace iovisor {

// Outcome of a finished child process.
struct CommandResult {
    int exit_code = -1;  // 127: could not be run; 128 + N: killed by signal N
    std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] (looked up in PATH) and waits for it.
CommandResult runCommand(const std::vector<std::string> &argv);

}  // namespace iovisor
