#include "hover/client.h"

#include <cpprest/http_client.h>

#include "iovisor/net.h"

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using nlohmann::json;

namespace {
Errc fromHttp(int status) {
    switch (status) {
    case 400: return Errc::kInvalid;
    case 404: return Errc::kNotFound;
    case 409: return Errc::kConflict;
    case 413: return Errc::kTooLarge;
    case 422: return Errc::kRejected;
    case 503: return Errc::kUnavailable;
    default: return Errc::kInternal;
    }
}

}  // namespace

HoverClient::HoverClient(const std::string &url) : url_(url) {
    web::http::client::http_client_config config;
    config.set_timeout(std::chrono::seconds(30));
    client_ = std::make_unique<web::http::client::http_client>(url, config);
}

HoverClient::~HoverClient() = default;

std::string HoverClient::entryPath(const std::string &module, const std::string &table, const std::string &key_json) {
    return "/modules/" + module + "/tables/" + table + "/entries/" + iovisor::percentEncode(key_json);
}

iovisor::Result<json> HoverClient::call(const std::string &method, const std::string &path, const json *body) {
    try {
        web::http::http_request req(method);
        req.set_request_uri(path);
        if (body) req.set_body(body->dump(), "application/json");
        auto resp = client_->request(req).get();
        if (auto g = resp.headers().find("X-Hover-Generation"); g != resp.headers().end()) generation_ = g->second;
        const std::string text = resp.extract_string(true).get();
        json parsed = json::parse(text, nullptr, false);
        if (parsed.is_discarded()) parsed = nullptr;
        if (resp.status_code() >= 300) {
            const std::string message = parsed.is_object() ? parsed.value("error", text) : text;
            return makeError(fromHttp(resp.status_code()), method + " " + path + ": " + message);
        }
        return parsed;
    } catch (const std::exception &e) {
        return makeError(Errc::kUnavailable, "hoverd at " + url_ + " unreachable (" + e.what() +
                                                 "): start it with 'hoverd --listen ...'");
    }
}

iovisor::Result<json> HoverClient::get(const std::string &path) { return call("GET", path, nullptr); }
iovisor::Result<json> HoverClient::post(const std::string &path, const json &body) { return call("POST", path, &body); }
iovisor::Result<json> HoverClient::put(const std::string &path, const json &body) { return call("PUT", path, &body); }
iovisor::Result<json> HoverClient::patch(const std::string &path, const json &body) { return call("PATCH", path, &body); }
iovisor::Status HoverClient::del(const std::string &path) {
    auto r = call("DELETE", path, nullptr);
    if (!r.ok()) return r.error();
    return {};
}

}  // namespace hover
