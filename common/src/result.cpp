#include "iovisor/result.h"

#include <cerrno>
#include <cstring>

namespace iovisor {

Error errnoError(int err, const std::string &what) {
    if (err < 0) err = -err;
    Errc code = Errc::kInternal;
    switch (err) {
    case EINVAL: code = Errc::kInvalid; break;
    case ENOENT: case ENODEV: code = Errc::kNotFound; break;
    case EEXIST: case EBUSY: code = Errc::kConflict; break;
    case E2BIG: code = Errc::kTooLarge; break;
    case EACCES: case EPERM: code = Errc::kRejected; break;
    default: break;
    }
    return Error{code, what + ": " + std::strerror(err)};
}

}  // namespace iovisor
