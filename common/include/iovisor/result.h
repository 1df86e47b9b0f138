// One error style for the whole project: functions that can fail return
// Result<T> (or Status), carrying an Error with a category and a message that
// names the problem and its context. Categories map 1:1 to HTTP statuses in
// hoverd and to exit codes in the CLI.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace iovisor {

enum class Errc {
    kInvalid,       // malformed input (400)
    kForbidden,     // not permitted to this caller or by configuration (403)
    kNotFound,      // unknown id or object (404)
    kConflict,      // duplicate or state conflict (409)
    kTooLarge,      // input over a limit (413)
    kRejected,      // verifier / compiler rejected a program (422)
    kUnavailable,   // a dependency is missing or unreachable (503)
    kInternal,      // a real internal fault (500)
    kFull,          // a table, the module count or another capacity is exhausted (507)
};

struct Error {
    Errc code = Errc::kInternal;
    std::string message;

    // Prefixes the message with what was being done, e.g. "load l2switch: ".
    Error &context(const std::string &what) {
        message = what + ": " + message;
        return *this;
    }
};

inline Error makeError(Errc code, std::string message) { return Error{code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(v_); }
    explicit operator bool() const { return ok(); }

    T &value() & { return std::get<T>(v_); }
    const T &value() const & { return std::get<T>(v_); }
    T &&value() && { return std::get<T>(std::move(v_)); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() { return value(); }
    const T &operator*() const { return value(); }

    const Error &error() const { return std::get<Error>(v_); }
    Error &error() { return std::get<Error>(v_); }

private:
    std::variant<T, Error> v_;
};

// Result for operations that return nothing.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error) : error_(std::move(error)), ok_(false) {}
    static Status success() { return Status(); }

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error &error() const { return error_; }
    Error &error() { return error_; }

private:
    Error error_;
    bool ok_ = true;
};

// Error from a negative errno-style return (libbpf, syscalls).
Error errnoError(int err, const std::string &what);

}  // namespace iovisor
