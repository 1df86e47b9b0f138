#include "unix_http.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <map>
#include <variant>

#include <nlohmann/json.hpp>

namespace hover {

namespace {

constexpr size_t kMaxHead = 64 * 1024;  // request line and headers
constexpr size_t kMaxConnections = 64;
constexpr int kIdleSeconds = 30;        // a connection silent this long is closed

// The request line and headers (names lower-case).
struct Head {
    std::string method, target, version;
    std::map<std::string, std::string> headers;
    size_t size = 0;  // bytes up to and including the blank line
};

// A refusal: the status, what was wrong, and that the connection ends.
struct Refusal {
    int status;
    std::string message;
};

const char *reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

std::string response(int status, const std::string &body, const std::string &generation, bool keep_alive) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
    if (!body.empty()) out += "Content-Type: application/json\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    if (!generation.empty()) out += "X-Hover-Generation: " + generation + "\r\n";
    if (!keep_alive) out += "Connection: close\r\n";
    return out + "\r\n" + body;
}

std::string refusalResponse(const Refusal &r) {
    const nlohmann::json body = {{"error", r.message}, {"status", r.status}};
    return response(r.status, body.dump(), "", false);
}

bool writeAll(int fd, const std::string &data) {
    for (size_t off = 0; off < data.size();) {
        const ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += size_t(n);
    }
    return true;
}

// Reads until `buf` holds at least `want` bytes; false at EOF, on error or timeout.
bool readAtLeast(int fd, std::string *buf, size_t want) {
    char chunk[16384];
    while (buf->size() < want) {
        const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buf->append(chunk, size_t(n));
    }
    return true;
}

bool tokenChars(const std::string &s, const char *allowed_extra) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               std::strchr(allowed_extra, c) != nullptr;
    });
}

// Parses what precedes the blank line; `text` ends with "\r\n\r\n".
iovisor::Result<Head> parseHead(const std::string &text) {
    auto bad = [](const std::string &m) { return iovisor::makeError(iovisor::Errc::kInvalid, m); };
    Head head;
    head.size = text.size();
    size_t eol = text.find("\r\n");
    const std::string line = text.substr(0, eol);
    const size_t a = line.find(' '), b = line.rfind(' ');
    if (a == std::string::npos || a == b) return bad("malformed request line");
    head.method = line.substr(0, a);
    head.target = line.substr(a + 1, b - a - 1);
    head.version = line.substr(b + 1);
    if (!tokenChars(head.method, "")) return bad("malformed method");
    if (head.target.empty() || head.target[0] != '/' || !tokenChars(head.target, "/?&=%-._~:@!$'()*+,;[]{}\"|^`\\"))
        return bad("malformed request target (an absolute path, printable ASCII)");
    if (head.version != "HTTP/1.1" && head.version != "HTTP/1.0") return bad("unsupported version " + head.version);
    for (size_t pos = eol + 2; pos + 2 < text.size(); pos = eol + 2) {
        eol = text.find("\r\n", pos);
        const std::string field = text.substr(pos, eol - pos);
        const size_t colon = field.find(':');
        if (colon == std::string::npos || !tokenChars(field.substr(0, colon), "-_"))
            return bad("malformed header line");
        std::string name = field.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        const size_t start = field.find_first_not_of(" \t", colon + 1);
        const size_t end = field.find_last_not_of(" \t");
        const std::string value = start == std::string::npos ? "" : field.substr(start, end - start + 1);
        if (head.headers.count(name) && name == "content-length") return bad("more than one Content-Length");
        head.headers[name] = value;
    }
    return head;
}

// How many body bytes follow the head, or why the request is refused.
std::variant<size_t, Refusal> bodyLength(const Head &head, size_t max_body) {
    if (head.headers.count("transfer-encoding"))
        return Refusal{411, "send the body with Content-Length (no Transfer-Encoding)"};
    auto it = head.headers.find("content-length");
    if (it == head.headers.end()) return size_t(0);
    const std::string &n = it->second;
    if (n.empty() || n.size() > 12 || n.find_first_not_of("0123456789") != std::string::npos)
        return Refusal{400, "malformed Content-Length"};
    const size_t length = std::stoull(n);
    if (length > max_body)
        return Refusal{413, "body of " + n + " bytes is over the " + std::to_string(max_body) + "-byte limit"};
    return length;
}

bool wantsBody(const std::string &method) { return method == "POST" || method == "PUT" || method == "PATCH"; }

}  // namespace

UnixHttpServer::~UnixHttpServer() { close(); }

iovisor::Status UnixHttpServer::open(const std::string &path, const iovisor::UnixSocketAccess &access,
                                     size_t max_body, ApiHandler handler) {
    auto fd = iovisor::listenUnix(path, 64, access);
    if (!fd.ok()) return fd.error();
    listen_fd_ = *fd;
    path_ = path;
    max_body_ = max_body;
    handler_ = std::move(handler);
    stopping_ = false;
    acceptor_ = std::thread([this] { acceptLoop(); });
    return {};
}

void UnixHttpServer::acceptLoop() {
    while (!stopping_) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (stopping_) return;
            // EMFILE and the like: the next accept may succeed; not in a busy loop.
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        const timeval idle{kIdleSeconds, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof idle);
        std::lock_guard<std::mutex> lock(mutex_);
        if (connections_.size() >= kMaxConnections) {
            writeAll(fd, refusalResponse({503, "too many connections"}));
            ::close(fd);
            continue;
        }
        connections_.insert(fd);
        std::thread([this, fd] {
            serve(fd);
            std::lock_guard<std::mutex> done(mutex_);
            connections_.erase(fd);
            ::close(fd);
            idle_.notify_all();
        }).detach();
    }
}

// Requests one after another on one connection, until the client closes,
// asks to, or sends something this server refuses.
void UnixHttpServer::serve(int fd) {
    std::string buf;
    for (;;) {
        size_t end;
        while ((end = buf.find("\r\n\r\n")) == std::string::npos && buf.size() <= kMaxHead)
            if (!readAtLeast(fd, &buf, buf.size() + 1)) return;
        if (end == std::string::npos || end + 4 > kMaxHead) {
            writeAll(fd, refusalResponse({431, "request line and headers over 64 KiB"}));
            return;
        }
        auto head = parseHead(buf.substr(0, end + 4));
        if (!head.ok()) {
            writeAll(fd, refusalResponse({400, head.error().message}));
            return;
        }
        const auto length = bodyLength(*head, max_body_);
        if (const Refusal *r = std::get_if<Refusal>(&length)) {
            writeAll(fd, refusalResponse(*r));
            return;
        }
        const size_t body_size = std::get<size_t>(length);
        if (body_size && head->headers["expect"] == "100-continue" && !writeAll(fd, "HTTP/1.1 100 Continue\r\n\r\n"))
            return;
        if (!readAtLeast(fd, &buf, head->size + body_size)) return;
        const std::string body = buf.substr(head->size, body_size);
        buf.erase(0, head->size + body_size);
        const ApiReply reply = handler_({head->method, head->target, wantsBody(head->method) ? &body : nullptr});
        const bool keep_alive = head->version == "HTTP/1.1" && head->headers["connection"] != "close";
        if (!writeAll(fd, response(reply.status, reply.body, reply.generation, keep_alive)) || !keep_alive) return;
    }
}

void UnixHttpServer::close() {
    if (listen_fd_ < 0) return;
    stopping_ = true;
    iovisor::closeUnixListener(listen_fd_, path_);
    listen_fd_ = -1;
    if (acceptor_.joinable()) acceptor_.join();
    std::unique_lock<std::mutex> lock(mutex_);
    for (int fd : connections_) shutdown(fd, SHUT_RDWR);
    idle_.wait(lock, [this] { return connections_.empty(); });
}

}  // namespace hover
