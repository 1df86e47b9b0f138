// A listening unix stream socket, and its teardown that also wakes a thread
// blocked in accept() on it. Who may connect is the socket's file mode (and
// group): it is created with that mode, never wider.
#pragma once

#include <string>

#include "iovisor/result.h"

namespace iovisor {

struct UnixSocketAccess {
    unsigned mode = 0600;  // 0600: its owner (root) only; 0660: and `group`
    std::string group;     // "" = the owner's group
};

// Creates the parent directory if needed; replaces a stale socket at `path`
// but refuses to replace anything else.
Result<int> listenUnix(const std::string &path, int backlog, const UnixSocketAccess &access);
// Shuts down and closes `fd` (waking accept()), removes `path`.
void closeUnixListener(int fd, const std::string &path);

}  // namespace iovisor
