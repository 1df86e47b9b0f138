#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iostream>

#include "cli.h"

namespace iovisorctl {

// iovisor-ovnd's state snapshot from its debug socket.
iovisor::Result<json> ovndState(const std::string &path) {
    const auto unreachable = iovisor::makeError(
        iovisor::Errc::kUnavailable, "iovisor-ovnd not reachable at " + path +
                                         ": start it (iovisor-ovnd --debug-socket " + path + " ...) or pass --ovnd");
    sockaddr_un addr{};
    if (path.size() >= sizeof(addr.sun_path)) return unreachable;
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        close(fd);
        return unreachable;
    }
    std::string text;
    char buf[65536];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) text.append(buf, n);
    close(fd);
    json state = json::parse(text, nullptr, false);
    if (state.is_discarded()) return iovisor::makeError(iovisor::Errc::kInternal, "iovisor-ovnd sent no JSON");
    return state;
}

int fail(const iovisor::Error &e) {
    std::cerr << "iovisorctl: " << e.message << "\n";
    return e.code == iovisor::Errc::kUnavailable ? kUnreachable : kRefused;
}

// Plain text for a JSON scalar (strings without quotes).
std::string text(const json &v) {
    if (v.is_null()) return "-";
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

// Prints rows as aligned columns under a header.
void table(const std::vector<std::string> &header, const std::vector<std::vector<std::string>> &rows) {
    std::vector<size_t> width(header.size());
    for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
    for (const auto &row : rows)
        for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
    auto print = [&](const std::vector<std::string> &row) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        std::cout << line << "\n";
    };
    print(header);
    for (const auto &row : rows) print(row);
}

int show(const Cli &cli, const json &body, const std::function<void()> &human) {
    if (cli.as_json) std::cout << body.dump(2) << "\n";
    else human();
    return kOk;
}

}  // namespace iovisorctl
