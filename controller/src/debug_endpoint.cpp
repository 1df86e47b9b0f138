#include "debug_endpoint.h"

#include "iovisor/unix_listener.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace ctl {

DebugEndpoint::~DebugEndpoint() { close(); }

iovisor::Status DebugEndpoint::open(const std::string &path) {
    // Root's only: it shows the whole logical network and the chassis' state.
    auto fd = iovisor::listenUnix(path, 16, {0600, ""});
    if (!fd.ok()) return fd.error();
    fd_ = *fd;
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    path_ = path;
    thread_ = std::thread([this] { serve(); });
    return {};
}

bool DebugEndpoint::requested() {
    uint64_t waiting = 0;
    return wake_fd_ >= 0 && read(wake_fd_, &waiting, sizeof waiting) == sizeof waiting && waiting > 0;
}

void DebugEndpoint::publish(std::string snapshot) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        snapshot_ = std::move(snapshot);
        ++version_;
    }
    published_.notify_all();
}

void DebugEndpoint::serve() {
    while (!stopping_) {
        const int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == EINTR) continue;
            break;
        }
        // Ask the daemon's loop for a fresh one; a busy or not yet ready
        // daemon answers with the last it made.
        std::string copy;
        {
            std::unique_lock<std::mutex> lock(mu_);
            const uint64_t seen = version_, one = 1;
            if (write(wake_fd_, &one, sizeof one) == sizeof one)
                published_.wait_for(lock, std::chrono::seconds(2), [&] { return version_ != seen || stopping_; });
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
    published_.notify_all();
    iovisor::closeUnixListener(fd_, path_);
    fd_ = -1;
    if (thread_.joinable()) thread_.join();
    if (wake_fd_ >= 0) ::close(wake_fd_);
    wake_fd_ = -1;
}

}  // namespace ctl
