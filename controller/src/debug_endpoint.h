// iovisor-ovnd's local debug endpoint: a unix socket that hands out the
// latest snapshot of the controller's state (JSON) to whoever connects, then
// closes. iovisorctl's `ovn` and `status` read it.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "iovisor/result.h"

namespace ctl {

class DebugEndpoint {
public:
    ~DebugEndpoint();
    iovisor::Status open(const std::string &path);
    void publish(std::string snapshot);
    void close();

private:
    void serve();
    std::string path_;
    int fd_ = -1;
    std::atomic<bool> stopping_{false};
    std::mutex mu_;
    std::string snapshot_ = "{}";
    std::thread thread_;
};

}  // namespace ctl
