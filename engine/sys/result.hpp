#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace engine::sys {

/// What an OS or engine operation reports when it fails: the errno (0 if none) and a message
/// in the form "<what failed>: <why>", with caller context prepended by Result::context.
struct Error {
    int sys_errno = 0;
    std::string message;
};

/// Our own small subset of std::expected (GCC 12 in C++20 mode has none): a value or an Error.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::move(value)) {}
    Result(Error error) : state_(std::move(error)) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    const Error& error() const { return std::get<1>(state_); }

    /// Prefixes the error message with "<context>: ", leaving a value untouched.
    Result&& context(const std::string& what) && {
        if (!ok()) std::get<1>(state_).message = what + ": " + std::get<1>(state_).message;
        return std::move(*this);
    }

private:
    std::variant<T, Error> state_;
};

/// Result for operations that return nothing.
struct Unit {};
using Status = Result<Unit>;
inline Status ok() { return Unit{}; }

/// An Error from the current errno: errno_error("mount {} on {}", src, dst) gives
/// "mount proc on /x: Operation not permitted".
template <typename... Args>
Error errno_error(fmt::format_string<Args...> format, Args&&... args) {
    int saved = errno;
    return Error{saved, fmt::format(format, std::forward<Args>(args)...) + ": " +
                            std::string(std::strerror(saved))};
}

}  // namespace engine::sys

namespace engine {
// Every engine module reports through these; spelled without sys:: outside engine::sys.
using sys::Error;
using sys::Result;
using sys::Status;
}  // namespace engine
