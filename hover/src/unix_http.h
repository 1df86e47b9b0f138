// hoverd's API on a unix socket: cpprestsdk listens on TCP only, so this is
// a small HTTP/1.1 server of its own (request line, headers, a body of
// Content-Length bytes, keep-alive) that hands each request to the same
// routes as the TCP listener. Who may connect is the socket's file mode.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "iovisor/result.h"
#include "iovisor/unix_listener.h"

namespace hover {

// A request as the routes take it, whatever carried it.
struct ApiRequest {
    std::string method;
    std::string target;  // path and query, as sent ("/modules/?x=y")
    const std::string *body = nullptr;  // null when the request has none
};

struct ApiReply {
    int status = 200;
    std::string body;  // JSON text; empty for 204
    std::string generation;
};

using ApiHandler = std::function<ApiReply(const ApiRequest &)>;

class UnixHttpServer {
public:
    ~UnixHttpServer();
    iovisor::Status open(const std::string &path, const iovisor::UnixSocketAccess &access, size_t max_body,
                         ApiHandler handler);
    void close();

private:
    void acceptLoop();
    void serve(int fd);
    std::string path_;
    size_t max_body_ = 0;
    ApiHandler handler_;
    int listen_fd_ = -1;
    std::thread acceptor_;
    // Open connections, so close() can end them and wait for their threads.
    std::mutex mutex_;
    std::condition_variable idle_;
    std::set<int> connections_;
    std::atomic<bool> stopping_{false};
};

}  // namespace hover
