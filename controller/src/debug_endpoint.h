// iovisor-ovnd's local debug endpoint: a unix socket that hands out a
// snapshot of the controller's state (JSON) to whoever connects, then
// closes. iovisorctl's `ovn` and `status` read it. The snapshot is as big as
// the whole state, so the daemon makes one only when asked: a connection
// wakes its loop (wakeFd), the loop publishes, the client gets that one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "iovisor/result.h"

namespace ctl {

class DebugEndpoint {
public:
    ~DebugEndpoint();
    iovisor::Status open(const std::string &path);
    // Readable while a client waits for a snapshot (-1 before open()).
    int wakeFd() const { return wake_fd_; }
    // A client waits: the caller should publish() (clears the wake fd).
    bool requested();
    void publish(std::string snapshot);
    void close();

private:
    void serve();
    std::string path_;
    int fd_ = -1, wake_fd_ = -1;
    std::atomic<bool> stopping_{false};
    std::mutex mu_;
    std::condition_variable published_;
    uint64_t version_ = 0;
    std::string snapshot_ = "{}";
    std::thread thread_;
};

}  // namespace ctl
