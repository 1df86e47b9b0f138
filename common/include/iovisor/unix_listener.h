// A listening unix stream socket (mode 0660, parent directory created), and
// its teardown that also wakes a thread blocked in accept() on it.
#pragma once

#include <string>

#include "iovisor/result.h"

namespace iovisor {

Result<int> listenUnix(const std::string &path, int backlog);
// Shuts down and closes `fd` (waking accept()), removes `path`.
void closeUnixListener(int fd, const std::string &path);

}  // namespace iovisor
