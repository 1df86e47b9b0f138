#include "rest_server.h"

#include <cpprest/http_listener.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <vector>

#include "api_json.h"
#include "openapi_document.h"
#include "unix_http.h"

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using nlohmann::json;
using web::http::http_request;
using web::http::method;
using web::http::methods;

int httpStatus(Errc code) {
    switch (code) {
    case Errc::kInvalid: return 400;
    case Errc::kForbidden: return 403;
    case Errc::kNotFound: return 404;
    case Errc::kConflict: return 409;
    case Errc::kTooLarge: return 413;
    case Errc::kRejected: return 422;
    case Errc::kUnavailable: return 503;
    case Errc::kInternal: return 500;
    case Errc::kFull: return 507;
    }
    return 500;
}

namespace {

struct Reply {
    int status = 200;
    json body;
    bool read_only = false;  // a POST that changes nothing (trace): the generation stays
};

// Deeper bodies are refused before parsing: handling a JSON value recurses
// (dump, comparisons), and a million brackets would overflow a stack.
constexpr int kMaxJsonDepth = 64;

bool nestedAtMost(const std::string &text, int limit) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return false;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}

Reply error(const iovisor::Error &e) { return {httpStatus(e.code), {{"error", e.message}, {"status", httpStatus(e.code)}}}; }
Reply error(Errc code, const std::string &message) { return error(makeError(code, message)); }

template <typename T>
Reply ok(const iovisor::Result<T> &r, int status = 200) {
    if (!r.ok()) return error(r.error());
    return {status, toJson(*r)};
}

Reply done(const iovisor::Status &s, int status = 204) {
    if (!s.ok()) return error(s.error());
    return {status, nullptr};
}

template <typename T>
json list(const std::vector<T> &items) {
    json out = json::array();
    for (const auto &i : items) out.push_back(toJson(i));
    return out;
}

}  // namespace

struct RestServer::Impl {
    Registry &registry;
    RestOptions options;
    std::unique_ptr<web::http::experimental::listener::http_listener> listener;
    UnixHttpServer unix_server;
    // "<epoch>:<n>": this daemon's start time and how many requests have
    // changed something since. Every reply carries it (X-Hover-Generation) so
    // a client can tell whether anyone but itself changed hoverd.
    const std::string epoch = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
    std::atomic<uint64_t> changes{0};
    std::string generation() const { return epoch + ":" + std::to_string(changes.load()); }

    // The parsed request a handler sees.
    struct Request {
        method verb;
        std::vector<std::string> path;  // decoded segments
        std::string query;              // as sent, e.g. "format=hex"
        json body;
    };

    Reply route(const Request &r) {
        const auto &p = r.path;
        const auto &v = r.verb;
        if (p.size() == 1 && p[0] == "health" && v == methods::GET) {
            const Registry::Counts n = registry.counts();
            return {200, {{"status", n.errors.empty() ? "ok" : "degraded"}, {"errors", n.errors}, {"modules", n.modules},
                          {"links", n.links}, {"generation", generation()}}};
        }
        if (p.size() == 1 && p[0] == "openapi.json" && v == methods::GET) return {200, json::parse(kOpenApiDocument)};
        if (!p.empty() && p[0] == "modules") return modules(r);
        if (!p.empty() && p[0] == "links") return links(r);
        if (p.size() == 1 && p[0] == "trace" && v == methods::POST) {
            if (!r.body.is_object() || !r.body.contains("from") || !r.body.contains("packet") ||
                !r.body["from"].is_string() || !r.body["packet"].is_string())
                return error(Errc::kInvalid, "body must be {\"from\": \"m:<module>:<port>\", \"packet\": \"<hex>\"}");
            const std::string hex = r.body["packet"];
            auto packet = fromHex(hex, hex.size() / 2);
            if (!packet.ok() || hex.size() % 2) return error(Errc::kInvalid, "'packet' must be an even number of hex digits");
            Reply traced = ok(registry.trace(r.body["from"], *packet));
            traced.read_only = true;
            return traced;
        }
        if (p.size() == 1 && p[0] == "conntrack" && v == methods::GET) {
            auto tables = registry.conntrack();
            if (!tables.ok()) return error(tables.error());
            json out = json::array();
            for (const auto &[mode, fill] : *tables) out.push_back(conntrackJson(mode, fill));
            return {200, out};
        }
        if (p.size() == 2 && p[0] == "conntrack" && p[1] == "connections" && v == methods::GET) return connections(r);
        if (p.size() == 1 && p[0] == "flows" && v == methods::GET) {
            auto caches = registry.flows();
            if (!caches.ok()) return error(caches.error());
            return {200, list(*caches)};
        }
        if (p.size() == 1 && p[0] == "external_interfaces" && v == methods::GET)
            return {200, list(registry.externalInterfaces())};
        return error(Errc::kNotFound, "no resource " + r.verb + " /" + join(p) + " (see GET /openapi.json)");
    }

    static std::string join(const std::vector<std::string> &p) {
        std::string s;
        for (size_t i = 0; i < p.size(); ++i) s += (i ? "/" : "") + p[i];
        return s;
    }

    static Reply notAllowed(const Request &r) {
        return {405, {{"error", "method " + r.verb + " not allowed on /" + join(r.path)}, {"status", 405}}};
    }

    iovisor::Result<CreateModule> permitted(iovisor::Result<CreateModule> req) const {
        if (req.ok() && req->type == "bpf" && !options.allow_custom_bpf)
            return makeError(Errc::kForbidden, "loading custom eBPF (module_type bpf) is not enabled on this hoverd "
                                               "(start it with --allow-custom-bpf)");
        return req;
    }

    Reply modules(const Request &r) {
        const auto &p = r.path;
        if (p.size() == 1) {
            if (r.verb == methods::GET) return {200, list(registry.listModules())};
            if (r.verb == methods::POST && r.body.is_array()) {
                // Batch: [{"module_type": ..., ...}, ...], all or nothing.
                std::vector<CreateModule> requests;
                for (const auto &m : r.body) {
                    auto req = permitted(createModuleFrom(m));
                    if (!req.ok()) return error(req.error().context("module " + std::to_string(requests.size())));
                    requests.push_back(std::move(req.value()));
                }
                auto created = registry.createModules(requests);
                if (!created.ok()) return error(created.error());
                return {201, list(*created)};
            }
            if (r.verb == methods::POST) {
                auto req = permitted(createModuleFrom(r.body));
                if (!req.ok()) return error(req.error());
                return ok(registry.createModule(*req), 201);
            }
            return notAllowed(r);
        }
        const std::string &id = p[1];
        if (p.size() == 2) {
            if (r.verb == methods::GET) return ok(registry.getModule(id));
            if (r.verb == methods::DEL) return done(registry.deleteModule(id));
            if (r.verb == methods::PUT) {
                if (!r.body.is_object()) return error(Errc::kInvalid, "body must be a JSON object");
                std::optional<std::string> name;
                std::optional<json> config;
                for (auto it = r.body.begin(); it != r.body.end(); ++it) {
                    if (it.key() == "display_name" && it->is_string()) name = it->get<std::string>();
                    else if (it.key() == "config" && it->is_object()) config = *it;
                    else return error(Errc::kInvalid, "field '" + it.key() + "' cannot be changed this way "
                                                       "(display_name: string, config: object)");
                }
                return ok(registry.updateModule(id, name, config));
            }
            return notAllowed(r);
        }
        if (p.size() == 3 && p[2] == "stats") {
            if (r.verb != methods::GET) return notAllowed(r);
            return ok(registry.stats(id));
        }
        if (p[2] != "tables") return error(Errc::kNotFound, "no resource /" + join(p));
        return tables(r);
    }

    // /modules/{id}/tables[/{table}[/entries[/{key}]]]
    Reply tables(const Request &r) {
        const auto &p = r.path;
        const std::string &id = p[1];
        if (p.size() == 3) {
            if (r.verb == methods::PATCH) {
                if (r.body.is_discarded()) return error(Errc::kInvalid, "body is not valid JSON");
                auto batches = rawBatchesFrom(r.body);
                if (!batches.ok()) return error(batches.error());
                return done(registry.applyBatches(id, *batches));
            }
            if (r.verb != methods::GET) return notAllowed(r);
            auto tables = registry.listTables(id);
            if (!tables.ok()) return error(tables.error());
            return {200, list(*tables)};
        }
        const std::string &table = p[3];
        if (p.size() == 4) {
            if (r.verb != methods::GET) return notAllowed(r);
            return ok(registry.getTable(id, table));
        }
        if (p[4] != "entries" || p.size() > 6) return error(Errc::kNotFound, "no resource /" + join(p));
        if (p.size() == 5) return entries(r, id, table);
        const json key = keyFromPath(p[5]);
        if (r.verb == methods::GET) {
            auto value = registry.getEntry(id, table, key);
            if (!value.ok()) return error(value.error());
            return {200, {{"key", key}, {"value", *value}}};
        }
        if (r.verb == methods::PUT) {
            auto s = registry.putEntry(id, table, key, r.body, false);
            if (!s.ok()) return error(s.error());
            return {200, {{"key", key}, {"value", r.body}}};
        }
        if (r.verb == methods::DEL) return done(registry.deleteEntry(id, table, key));
        return notAllowed(r);
    }

    // /modules/{id}/tables/{table}/entries/
    Reply entries(const Request &r, const std::string &id, const std::string &table) {
        if (r.verb == methods::GET) {
            json out = json::array();
            if (r.query == "format=hex") {
                auto raw = registry.listRawEntries(id, table);
                if (!raw.ok()) return error(raw.error());
                for (const auto &[k, v] : *raw) out.push_back({{"key_hex", toHex(k)}, {"value_hex", toHex(v)}});
                return {200, out};
            }
            if (!r.query.empty()) return error(Errc::kInvalid, "unknown query '" + r.query + "' (format=hex)");
            auto entries = registry.listEntries(id, table);
            if (!entries.ok()) return error(entries.error());
            for (const auto &e : *entries) out.push_back({{"key", e.key}, {"value", e.value}});
            return {200, out};
        }
        if (r.verb == methods::POST && r.body.is_array()) {
            // Batch: [{"key": ..., "value": ...}, ...], created or replaced.
            std::vector<TableEntry> entries;
            for (const auto &e : r.body) {
                if (!e.is_object() || !e.contains("key") || !e.contains("value") || e.size() != 2)
                    return error(Errc::kInvalid, "entry " + std::to_string(entries.size()) +
                                                     " must be {\"key\": ..., \"value\": ...}");
                entries.push_back({e["key"], e["value"]});
            }
            auto s = registry.putEntries(id, table, entries);
            if (!s.ok()) return error(s.error());
            return {200, {{"written", entries.size()}}};
        }
        if (r.verb == methods::POST) {
            if (!r.body.is_object() || !r.body.contains("key") || !r.body.contains("value") || r.body.size() != 2)
                return error(Errc::kInvalid, "body must be {\"key\": ..., \"value\": ...} or a list of them");
            auto s = registry.putEntry(id, table, r.body["key"], r.body["value"], true);
            if (!s.ok()) return error(s.error());
            return {201, r.body};
        }
        return notAllowed(r);
    }

    Reply links(const Request &r) {
        const auto &p = r.path;
        if (p.size() == 1) {
            if (r.verb == methods::GET) return {200, list(registry.listLinks())};
            if (r.verb == methods::POST) {
                // One link, or a batch (a list of them, all or nothing).
                const bool batch = r.body.is_array();
                std::vector<std::pair<std::string, std::string>> requests;
                for (const json &l : batch ? r.body : json::array({r.body})) {
                    if (!l.is_object() || !l.contains("from") || !l.contains("to") || !l["from"].is_string() ||
                        !l["to"].is_string() || l.size() != 2)
                        return error(Errc::kInvalid, std::string(batch ? "link " + std::to_string(requests.size()) + ": " : "") +
                                                         "body must be {\"from\": \"m:<module>[:<port>]|i:<netdev>\", \"to\": ...}"
                                                         + (batch ? "" : " or a list of them"));
                    requests.emplace_back(l["from"], l["to"]);
                }
                auto created = registry.createLinks(requests);
                if (!created.ok()) return error(created.error());
                if (batch) return {201, list(*created)};
                return {201, toJson(created->front())};
            }
            return notAllowed(r);
        }
        if (p.size() != 2) return error(Errc::kNotFound, "no resource /" + join(p));
        const std::string &id = p[1];
        if (id.empty() || id.size() > 9 || id.find_first_not_of("0123456789") != std::string::npos)
            return error(Errc::kNotFound, "no link '" + id + "'");
        if (r.verb == methods::GET) return ok(registry.getLink(std::stoul(id)));
        if (r.verb == methods::DEL) return done(registry.deleteLink(std::stoul(id)));
        return notAllowed(r);
    }

    // GET /conntrack/connections[?limit=N]: the first N (1000) entries of
    // each hook's connection table.
    Reply connections(const Request &r) {
        size_t limit = 1000;
        if (!r.query.empty()) {
            const std::string prefix = "limit=";
            const std::string n = r.query.compare(0, prefix.size(), prefix) == 0 ? r.query.substr(prefix.size()) : "";
            if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos)
                return error(Errc::kInvalid, "unknown query '" + r.query + "' (limit=N, N up to 999999)");
            limit = std::stoul(n);
        }
        auto tables = registry.connections(limit);
        if (!tables.ok()) return error(tables.error());
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
        const uint64_t now_ns = uint64_t(now.tv_sec) * 1000000000ull + uint64_t(now.tv_nsec);
        json out = json::array();
        for (const auto &c : *tables) out.push_back(connectionsJson(c, now_ns));
        return {200, out};
    }

    // Any transport's request: parsed, routed, answered with the generation.
    ApiReply serve(const ApiRequest &in) {
        Reply reply = guarded(in);
        if (in.method != methods::GET && !reply.read_only && reply.status < 300) ++changes;
        return toApi(reply);
    }

    ApiReply toApi(const Reply &r) const {
        return {r.status, r.status == 204 ? std::string() : r.body.dump(), generation()};
    }

    Reply guarded(const ApiRequest &in) {
        try {
            return process(in);
        } catch (const std::exception &e) {
            return error(Errc::kInternal, std::string("internal error: ") + e.what());
        }
    }

    Reply process(const ApiRequest &in) {
        Request r;
        r.verb = in.method;
        const size_t question = in.target.find('?');
        try {
            for (const auto &segment : web::uri::split_path(in.target.substr(0, question)))
                r.path.push_back(web::uri::decode(segment));
        } catch (const std::exception &) {
            return error(Errc::kInvalid, "malformed percent-encoding in " + in.target);
        }
        if (question != std::string::npos) r.query = in.target.substr(question + 1);
        if (in.body) {
            if (in.body->size() > options.max_body) return error(Errc::kTooLarge, "body is over the size limit");
            if (!nestedAtMost(*in.body, kMaxJsonDepth))
                return error(Errc::kInvalid, "body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
            r.body = json::parse(*in.body, nullptr, false);
            // PATCH is taken on one resource only: elsewhere it is "not allowed", whatever the body.
            if (r.body.is_discarded() && r.verb != methods::PATCH)
                return error(Errc::kInvalid, "body is not valid JSON" + (in.body->empty() ? std::string(" (empty)") : ""));
        }
        return route(r);
    }

    // The TCP listener: every request carries the token, loopback included
    // (any local user can reach loopback).
    void handleTcp(http_request req) {
        auto auth = req.headers().find("Authorization");
        if (auth == req.headers().end() || auth->second != "Bearer " + options.token) {
            std::cerr << "hoverd: refused " << req.method() << " " << req.relative_uri().path() << " from "
                      << req.remote_address() << ": no valid bearer token\n";
            reply(req, toApi({401, {{"error", "a bearer token is required (Authorization: Bearer <token>)"},
                                     {"status", 401}}}));
            return;
        }
        const std::string target = req.relative_uri().to_string();
        const bool has_body = req.method() == methods::POST || req.method() == methods::PUT || req.method() == methods::PATCH;
        if (!has_body) {
            reply(req, serve({req.method(), target, nullptr}));
            return;
        }
        const auto length = req.headers().content_length();
        if (length > options.max_body) {
            reply(req, toApi(error(Errc::kTooLarge, "body of " + std::to_string(length) + " bytes is over the " +
                                                         std::to_string(options.max_body) + "-byte limit")));
            return;
        }
        // Never block a pool thread waiting for the body: continue when it
        // has arrived (blocking here starves cpprestsdk's small pool).
        req.extract_string(true).then([this, req, target](pplx::task<std::string> body) mutable {
            std::string text;
            try {
                text = body.get();
            } catch (const std::exception &e) {
                reply(req, toApi(error(Errc::kInvalid, std::string("cannot read the body: ") + e.what())));
                return;
            }
            reply(req, serve({req.method(), target, &text}));
        });
    }

    static void reply(http_request &req, const ApiReply &answer) {
        try {
            web::http::http_response response(answer.status);
            response.headers().add("X-Hover-Generation", answer.generation);
            if (!answer.body.empty()) response.set_body(answer.body, "application/json");
            req.reply(response);
        } catch (const std::exception &) {
            // The client went away; nothing to tell it.
        }
    }
};

RestServer::RestServer(Registry &registry, RestOptions options)
    : impl_(new Impl{registry, std::move(options), nullptr}) {}

RestServer::~RestServer() { close(); }

iovisor::Status RestServer::open() {
    Impl &impl = *impl_;
    if (!impl.options.socket_path.empty()) {
        auto s = impl.unix_server.open(impl.options.socket_path, impl.options.socket_access, impl.options.max_body,
                                       [&impl](const ApiRequest &r) { return impl.serve(r); });
        if (!s.ok()) return s;
    }
    if (impl.options.listen.empty()) return {};
    if (impl.options.token.empty()) return makeError(Errc::kInvalid, "TCP (--listen) needs a token (--token-file)");
    try {
        impl.listener = std::make_unique<web::http::experimental::listener::http_listener>("http://" + impl.options.listen);
        impl.listener->support([&impl](http_request req) { impl.handleTcp(std::move(req)); });
        impl.listener->open().wait();
    } catch (const std::exception &e) {
        return makeError(Errc::kUnavailable, "cannot listen on " + impl.options.listen + ": " + e.what());
    }
    return {};
}

void RestServer::close() {
    impl_->unix_server.close();
    if (!impl_->listener) return;
    try {
        impl_->listener->close().wait();
    } catch (const std::exception &) {
    }
    impl_->listener.reset();
}

}  // namespace hover
