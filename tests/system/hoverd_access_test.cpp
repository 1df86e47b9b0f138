// Who may use hoverd's API, and how its unix socket's HTTP server treats
// malformed requests (docs/SECURITY.md).
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "hoverd_process.h"

namespace {

using testsupport::HoverdProcess;

// Sends `bytes` on a fresh connection to hoverd's socket and returns all it
// answers until it closes the connection (or 5 s pass).
std::string rawExchange(const std::string &socket_path, const std::string &bytes) {
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
    if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        close(fd);
        return "connect failed";
    }
    const timeval limit{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    (void)!send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, size_t(n));
    close(fd);
    return out;
}

// As another user would try it: nobody, through curl.
iovisor::CommandResult asNobody(const std::string &command) {
    return testsupport::run({"su", "nobody", "-s", "/bin/sh", "-c", command});
}

// The API is on a unix socket only, mode 0660 and root's: another local user
// cannot connect, let alone change anything; --socket-group lets a group in.
TEST(HoverdAccess, UnixSocketIsRootsUnlessAGroupIsGiven) {
    REQUIRE_ROOT();
    REQUIRE_TOOL("curl", "curl");
    HoverdProcess hoverd;
    ASSERT_TRUE(hoverd.start()) << hoverd.error();
    chmod(hoverd.dir().c_str(), 0755);  // nobody may reach the socket's directory: only the socket's mode decides
    struct stat st{};
    ASSERT_EQ(stat(hoverd.socketPath().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_gid, 0u);
    const std::string create = "curl -s -o /dev/null -w '%{http_code}' --unix-socket " + hoverd.socketPath() +
                               " -X POST -d '{\"module_type\":\"l2switch\",\"display_name\":\"intruder\"}' http://hoverd/modules/";
    auto refused = asNobody(create);
    EXPECT_NE(refused.exit_code, 0) << "nobody connected: " << refused.output;
    EXPECT_EQ(hoverd.call("GET", "/modules/intruder").status, 404) << "nothing created";
    auto root = testsupport::shell(create);
    EXPECT_EQ(root.output, "201") << "root can";

    HoverdProcess shared;
    shared.addArgs({"--socket-group", "nogroup"});
    ASSERT_TRUE(shared.start()) << shared.error();
    chmod(shared.dir().c_str(), 0755);
    auto health = asNobody("curl -s -o /dev/null -w '%{http_code}' --unix-socket " + shared.socketPath() + " http://hoverd/health");
    EXPECT_EQ(health.output, "200") << "a member of the socket's group can";

    HoverdProcess wrong_group;
    wrong_group.addArgs({"--socket-group", "no-such-group-" + std::to_string(getpid())});
    EXPECT_FALSE(wrong_group.start());
    EXPECT_NE(wrong_group.error().find("no such group"), std::string::npos) << wrong_group.error();
}

// TCP is opt-in, and then every client needs the token: loopback is no
// exception, any local user can reach it. Refusals are logged with the peer.
TEST(HoverdAccess, TcpNeedsTheTokenFromEveryClient) {
    REQUIRE_ROOT();
    REQUIRE_TOOL("curl", "curl");
    HoverdProcess open_tcp;
    open_tcp.addArgs({"--listen", "127.0.0.1:1"});
    EXPECT_FALSE(open_tcp.start()) << "--listen without a token";
    EXPECT_NE(open_tcp.error().find("needs --token-file"), std::string::npos) << open_tcp.error();

    HoverdProcess hoverd;
    hoverd.enableTcp("127.0.0.1", "s3cret");
    ASSERT_TRUE(hoverd.start()) << hoverd.error();
    auto status = [&](const std::string &args) {
        return testsupport::shell("curl -s -m 5 -o /dev/null -w '%{http_code}' " + args + " " + hoverd.tcpUrl() + "/health")
            .output;
    };
    EXPECT_EQ(status(""), "401") << "no token from loopback";
    EXPECT_EQ(status("-H 'Authorization: Bearer nope'"), "401");
    EXPECT_EQ(status("-H 'Authorization: Bearer s3cret'"), "200");
    EXPECT_EQ(asNobody("curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' " + hoverd.tcpUrl() + "/modules/").output,
              "401") << "another local user without the token";
    auto body = testsupport::shell("curl -s " + hoverd.tcpUrl() + "/health");
    EXPECT_NE(body.output.find("bearer token"), std::string::npos) << body.output;
    auto log = testsupport::shell("cat " + hoverd.dir() + "/hoverd.log");
    EXPECT_NE(log.output.find("refused GET /health from 127.0.0.1"), std::string::npos) << log.output;
}

// Custom eBPF runs root's compiler and loads any program: refused unless
// hoverd was started with --allow-custom-bpf, whoever asks.
TEST(HoverdAccess, CustomBpfIsAPermissionOfItsOwn) {
    REQUIRE_ROOT();
    HoverdProcess hoverd;
    hoverd.denyCustomBpf();
    ASSERT_TRUE(hoverd.start()) << hoverd.error();
    const nlohmann::json custom = {{"module_type", "bpf"}, {"display_name", "mine"},
                                   {"config", {{"source", "int x;"}}}};
    auto r = hoverd.call("POST", "/modules/", custom);
    EXPECT_EQ(r.status, 403) << r.text;
    EXPECT_NE(r.text.find("--allow-custom-bpf"), std::string::npos) << r.text;
    auto batch = hoverd.call("POST", "/modules/", nlohmann::json::array({{{"module_type", "l2switch"}}, custom}));
    EXPECT_EQ(batch.status, 403) << "a batch with one custom module: none created " << batch.text;
    EXPECT_EQ(hoverd.call("GET", "/modules/").body, nlohmann::json::array()) << "nothing created";
}

// The socket's own HTTP server: what it refuses, and keep-alive.
TEST(HoverdAccess, UnixHttpServerRefusesMalformedRequests) {
    REQUIRE_ROOT();
    HoverdProcess hoverd;
    ASSERT_TRUE(hoverd.start()) << hoverd.error();
    const std::string sock = hoverd.socketPath();
    auto statusOf = [](const std::string &answer) { return answer.substr(0, 12); };
    EXPECT_EQ(statusOf(rawExchange(sock, "GARBAGE\r\n\r\n")), "HTTP/1.1 400");
    EXPECT_EQ(statusOf(rawExchange(sock, "GET health HTTP/1.1\r\n\r\n")), "HTTP/1.1 400") << "not an absolute path";
    EXPECT_EQ(statusOf(rawExchange(sock, "GET /health HTTP/2.0\r\n\r\n")), "HTTP/1.1 400");
    EXPECT_EQ(statusOf(rawExchange(sock, "GET /health HTTP/1.1\r\nBad Header\r\n\r\n")), "HTTP/1.1 400");
    EXPECT_EQ(statusOf(rawExchange(sock, "POST /modules/ HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n")),
              "HTTP/1.1 413");
    EXPECT_EQ(statusOf(rawExchange(sock, "POST /modules/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx")),
              "HTTP/1.1 400");
    EXPECT_EQ(statusOf(rawExchange(sock, "POST /modules/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")),
              "HTTP/1.1 411");
    EXPECT_EQ(statusOf(rawExchange(sock, "GET /" + std::string(70000, 'a') + " HTTP/1.1\r\n\r\n")), "HTTP/1.1 431");
    const std::string two = rawExchange(sock, "GET /health HTTP/1.1\r\n\r\nGET /modules/ HTTP/1.1\r\n\r\n");
    EXPECT_EQ(statusOf(two), "HTTP/1.1 200");
    EXPECT_NE(two.find("HTTP/1.1 200", 12), std::string::npos) << "two requests on one connection: " << two;
    const std::string refused = rawExchange(sock, "GET /%zz HTTP/1.1\r\n\r\n");
    EXPECT_EQ(statusOf(refused), "HTTP/1.1 400");
    EXPECT_NE(refused.find("\"error\""), std::string::npos) << "a JSON error: " << refused;
    EXPECT_EQ(hoverd.call("GET", "/health").status, 200) << "hoverd still serves";
}

}  // namespace
