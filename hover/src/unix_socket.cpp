#include "unix_socket.h"

#include "iovisor/unix_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hover {

using iovisor::Errc;
using iovisor::makeError;

namespace {

// Copies bytes both ways until either side closes.
void relay(int a, int b) {
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    char buf[16384];
    for (;;) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
        bool closed = false;
        for (int i = 0; i < 2 && !closed; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) closed = true;
            else {
                for (ssize_t off = 0; off < n;) {
                    const ssize_t w = write(fds[1 - i].fd, buf + off, n - off);
                    if (w <= 0) {
                        closed = true;
                        break;
                    }
                    off += w;
                }
            }
        }
        if (closed) break;
    }
    ::close(a);
    ::close(b);
}

}  // namespace

UnixSocketRelay::~UnixSocketRelay() { close(); }

iovisor::Status UnixSocketRelay::open(const std::string &path, int tcp_port) {
    auto fd = iovisor::listenUnix(path, 64);
    if (!fd.ok()) return fd.error();
    listen_fd_ = *fd;
    path_ = path;
    tcp_port_ = tcp_port;
    acceptor_ = std::thread([this] { acceptLoop(); });
    return {};
}

void UnixSocketRelay::acceptLoop() {
    while (!stopping_) {
        const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == EINTR) continue;
            break;
        }
        const int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(tcp_port_);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(upstream, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
            ::close(upstream);
            ::close(client);
            continue;
        }
        std::thread(relay, client, upstream).detach();
    }
}

void UnixSocketRelay::close() {
    if (listen_fd_ < 0) return;
    stopping_ = true;
    iovisor::closeUnixListener(listen_fd_, path_);
    listen_fd_ = -1;
    if (acceptor_.joinable()) acceptor_.join();
}

}  // namespace hover
