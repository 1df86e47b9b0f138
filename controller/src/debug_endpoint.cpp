#include "debug_endpoint.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ctl {

DebugEndpoint::~DebugEndpoint() { close(); }

iovisor::Status DebugEndpoint::open(const std::string &path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof(addr.sun_path))
        return iovisor::makeError(iovisor::Errc::kInvalid, "debug socket path too long: " + path);
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    path_ = path;
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    unlink(path.c_str());
    if (bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 || listen(fd_, 16) != 0)
        return iovisor::errnoError(errno, "debug socket " + path);
    chmod(path.c_str(), 0660);
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
    shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    fd_ = -1;
    if (thread_.joinable()) thread_.join();
    unlink(path_.c_str());
}

}  // namespace ctl
