// Typed client of hoverd's REST API (see hover/openapi.json). Errors carry
// the HTTP status mapped back to an Errc and hoverd's message.
//
// hoverd is reached at "unix:/path/to/hoverd.sock" (its default transport:
// who may connect is the socket's file mode) or "http://host:port" (opt-in
// TCP, where every request carries the bearer token).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "iovisor/result.h"

namespace hover {

// The default endpoint of the default instance (hoverd --socket).
inline constexpr const char *kDefaultEndpoint = "unix:/var/run/iovisor-ovn/hoverd.sock";

class HoverClient {
public:
    explicit HoverClient(const std::string &endpoint = kDefaultEndpoint, std::string token = "");
    HoverClient(HoverClient &&) noexcept;
    ~HoverClient();
    const std::string &url() const { return url_; }

    iovisor::Result<nlohmann::json> get(const std::string &path);
    iovisor::Result<nlohmann::json> post(const std::string &path, const nlohmann::json &body);
    iovisor::Result<nlohmann::json> put(const std::string &path, const nlohmann::json &body);
    iovisor::Result<nlohmann::json> patch(const std::string &path, const nlohmann::json &body);
    iovisor::Status del(const std::string &path);

    // One exchange as sent and received, for callers that look at the
    // status and text themselves (tests of the API).
    struct Reply {
        int status = 0;
        std::string text;
    };
    iovisor::Result<Reply> request(const std::string &method, const std::string &path, const std::string &body);

    // hoverd's X-Hover-Generation from the last reply: changes when anyone
    // changes hoverd, and when hoverd restarts.
    const std::string &generation() const { return generation_; }

    static std::string entryPath(const std::string &module, const std::string &table, const std::string &key_json);

private:
    iovisor::Result<nlohmann::json> call(const std::string &method, const std::string &path, const nlohmann::json *body);
    std::string url_;
    std::string generation_;
    struct Transport;
    std::unique_ptr<Transport> transport_;
};

}  // namespace hover
