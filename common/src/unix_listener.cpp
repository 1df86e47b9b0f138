#include "iovisor/unix_listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace iovisor {

Result<int> listenUnix(const std::string &path, int backlog) {
    sockaddr_un addr{};
    if (path.size() >= sizeof(addr.sun_path)) return makeError(Errc::kInvalid, "unix socket path too long: " + path);
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errnoError(errno, "socket for " + path);
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    unlink(path.c_str());
    if (bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 || listen(fd, backlog) != 0) {
        const int err = errno;
        close(fd);
        return errnoError(err, "listen on unix socket " + path);
    }
    chmod(path.c_str(), 0660);
    return fd;
}

void closeUnixListener(int fd, const std::string &path) {
    if (fd < 0) return;
    shutdown(fd, SHUT_RDWR);
    close(fd);
    unlink(path.c_str());
}

}  // namespace iovisor
