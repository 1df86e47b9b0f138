#include "hover/client.h"

#include <curl/curl.h>

#include <mutex>

#include "iovisor/net.h"

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using nlohmann::json;

namespace {
Errc fromHttp(int status) {
    switch (status) {
    case 400: return Errc::kInvalid;
    case 401:
    case 403: return Errc::kForbidden;
    case 404: return Errc::kNotFound;
    case 409: return Errc::kConflict;
    case 413: return Errc::kTooLarge;
    case 422: return Errc::kRejected;
    case 503: return Errc::kUnavailable;
    default: return Errc::kInternal;
    }
}

const std::string kUnixPrefix = "unix:";

size_t appendBody(char *data, size_t size, size_t n, void *out) {
    static_cast<std::string *>(out)->append(data, size * n);
    return size * n;
}

size_t readGeneration(char *data, size_t size, size_t n, void *out) {
    const std::string line(data, size * n);
    const std::string name = "x-hover-generation:";
    if (line.size() > name.size() && strncasecmp(line.c_str(), name.c_str(), name.size()) == 0) {
        const size_t start = line.find_first_not_of(' ', name.size());
        const size_t end = line.find_last_not_of("\r\n");
        if (start != std::string::npos && end != std::string::npos && end >= start)
            *static_cast<std::string *>(out) = line.substr(start, end - start + 1);
    }
    return size * n;
}
}  // namespace

// One libcurl handle, kept for its connection (keep-alive), used by one
// request at a time.
struct HoverClient::Transport {
    std::mutex mutex;
    CURL *curl = nullptr;
    std::string base;         // "http://host:port" (for unix sockets: "http://hoverd")
    std::string socket_path;  // "" for TCP
    std::string authorization;
    ~Transport() {
        if (curl) curl_easy_cleanup(curl);
    }
};

HoverClient::HoverClient(const std::string &endpoint, std::string token)
    : url_(endpoint), transport_(std::make_unique<Transport>()) {
    static std::once_flag global;
    std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (endpoint.compare(0, kUnixPrefix.size(), kUnixPrefix) == 0) {
        transport_->socket_path = endpoint.substr(kUnixPrefix.size());
        transport_->base = "http://hoverd";
    } else {
        transport_->base = endpoint;
    }
    while (!transport_->base.empty() && transport_->base.back() == '/') transport_->base.pop_back();
    if (!token.empty()) transport_->authorization = "Authorization: Bearer " + token;
    transport_->curl = curl_easy_init();
}

HoverClient::HoverClient(HoverClient &&) noexcept = default;
HoverClient::~HoverClient() = default;

std::string HoverClient::entryPath(const std::string &module, const std::string &table, const std::string &key_json) {
    return "/modules/" + module + "/tables/" + table + "/entries/" + iovisor::percentEncode(key_json);
}

iovisor::Result<HoverClient::Reply> HoverClient::request(const std::string &method, const std::string &path,
                                                         const std::string &body) {
    Transport &t = *transport_;
    std::lock_guard<std::mutex> lock(t.mutex);
    if (!t.curl) return makeError(Errc::kInternal, "libcurl could not be initialised");
    CURL *c = t.curl;
    curl_easy_reset(c);
    const std::string url = t.base + path;
    Reply reply;
    curl_slist *headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    if (!t.authorization.empty()) headers = curl_slist_append(headers, t.authorization.c_str());
    if (!t.socket_path.empty()) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, t.socket_path.c_str());
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.size()));
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, appendBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.text);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, readGeneration);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &generation_);
    const CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK)
        return makeError(Errc::kUnavailable, "hoverd at " + url_ + " unreachable (" + curl_easy_strerror(rc) +
                                                 "): is hoverd running, and may this user use its socket?");
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    reply.status = int(status);
    return reply;
}

iovisor::Result<json> HoverClient::call(const std::string &method, const std::string &path, const json *body) {
    auto reply = request(method, path, body ? body->dump() : std::string());
    if (!reply.ok()) return reply.error();
    json parsed = json::parse(reply->text, nullptr, false);
    if (parsed.is_discarded()) parsed = nullptr;
    if (reply->status >= 300) {
        const std::string message = parsed.is_object() ? parsed.value("error", reply->text) : reply->text;
        return makeError(fromHttp(reply->status), method + " " + path + ": " + message);
    }
    return parsed;
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
