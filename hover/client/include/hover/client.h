// Typed client of hoverd's REST API (see hover/openapi.json). Errors carry
// the HTTP status mapped back to an Errc and hoverd's message.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "iovisor/result.h"

namespace web::http::client {
class http_client;
}

namespace hover {

class HoverClient {
public:
    explicit HoverClient(const std::string &url);
    ~HoverClient();
    const std::string &url() const { return url_; }

    iovisor::Result<nlohmann::json> get(const std::string &path);
    iovisor::Result<nlohmann::json> post(const std::string &path, const nlohmann::json &body);
    iovisor::Result<nlohmann::json> put(const std::string &path, const nlohmann::json &body);
    iovisor::Result<nlohmann::json> patch(const std::string &path, const nlohmann::json &body);
    iovisor::Status del(const std::string &path);

    // hoverd's X-Hover-Generation from the last reply: changes when anyone
    // changes hoverd, and when hoverd restarts.
    const std::string &generation() const { return generation_; }

    static std::string entryPath(const std::string &module, const std::string &table, const std::string &key_json);

private:
    iovisor::Result<nlohmann::json> call(const std::string &method, const std::string &path, const nlohmann::json *body);
    std::string url_;
    std::string generation_;
    std::unique_ptr<web::http::client::http_client> client_;
};

}  // namespace hover
