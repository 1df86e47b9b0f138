// The REST API on a unix socket too: cpprestsdk listens on TCP only, so each
// unix connection is relayed to the TCP listener on loopback (which counts as
// local for the bearer-token rule, as a unix socket's file mode already
// decides who may connect).
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "iovisor/result.h"

namespace hover {

class UnixSocketRelay {
public:
    ~UnixSocketRelay();
    // Listens on `path` (mode 0660) and relays to 127.0.0.1:`tcp_port`.
    iovisor::Status open(const std::string &path, int tcp_port);
    void close();

private:
    void acceptLoop();
    std::string path_;
    int tcp_port_ = 0;
    int listen_fd_ = -1;
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;
};

}  // namespace hover
