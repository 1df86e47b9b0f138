// hoverd's REST API over cpprestsdk: routes requests to handlers that parse,
// call the Registry and map the result to an HTTP status. Every error is a
// JSON object {"error": "...", "status": N}.
#pragma once

#include <memory>
#include <string>

#include "iovisor/result.h"
#include "iovisor/unix_listener.h"
#include "registry.h"

namespace hover {

struct RestOptions {
    // The unix socket: the API's default transport; its mode and group say
    // who may use it.
    std::string socket_path;
    iovisor::UnixSocketAccess socket_access{0660, ""};
    // Opt-in TCP ("addr:port", "" = none): every request, loopback included,
    // must carry `Authorization: Bearer <token>`.
    std::string listen;
    std::string token;
    // Modules of type `bpf` run root's compiler and load any program: a
    // permission of its own, off unless hoverd is started with it.
    bool allow_custom_bpf = false;
    size_t max_body = 16 * 1024 * 1024;
};

class RestServer {
public:
    RestServer(Registry &registry, RestOptions options);
    ~RestServer();
    iovisor::Status open();
    void close();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

int httpStatus(iovisor::Errc code);

}  // namespace hover
