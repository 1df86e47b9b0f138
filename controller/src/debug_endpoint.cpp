#include "debug_endpoint.h"

#include "iovisor/unix_listener.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace ctl {

DebugEndpoint::~DebugEndpoint() { close(); }

iovisor::Status DebugEndpoint::open(const std::string &path) {
    auto fd = iovisor::listenUnix(path, 16);
    if (!fd.ok()) return fd.error();
    fd_ = *fd;
    path_ = path;
    thread_ = std::thread([this] { serve(); });
    return {};
}

void DebugEndpoint::publish(std::string snapshot) {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot_ = std::move(snapshot);
}

void DebugEndpoint::serve() {
    while (!stopping_) {
        const int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == EINTR) continue;
            break;
        }
        std::string copy;
        {
            std::lock_guard<std::mutex> lock(mu_);
            copy = snapshot_;
        }
        for (size_t off = 0; off < copy.size();) {
            const ssize_t n = send(client, copy.data() + off, copy.size() - off, MSG_NOSIGNAL);
            if (n <= 0) break;
            off += n;
        }
        ::close(client);
    }
}

void DebugEndpoint::close() {
    if (fd_ < 0) return;
    stopping_ = true;
    iovisor::closeUnixListener(fd_, path_);
    fd_ = -1;
    if (thread_.joinable()) thread_.join();
}

}  // namespace ctl
