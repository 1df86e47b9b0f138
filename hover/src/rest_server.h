// hoverd's REST API over cpprestsdk: routes requests to handlers that parse,
// call the Registry and map the result to an HTTP status. Every error is a
// JSON object {"error": "...", "status": N}.
#pragma once

#include <memory>
#include <string>

#include "iovisor/result.h"
#include "registry.h"

namespace hover {

struct RestOptions {
    std::string listen = "127.0.0.1:5002";
    std::string token;  // bearer token required from non-loopback peers ("" = none)
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
