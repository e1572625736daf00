#pragma once

#include <string>
#include <utility>
#include <variant>

#include "engine/sys/result.hpp"

namespace engine::client {

/// Why an API call failed, so that callers can react: `unreachable` means no daemon listens on
/// the socket (the CLI then starts berthd), `http` carries the daemon's status (404 vs 409).
enum class ErrorKind { unreachable, http, timeout, protocol, io, config };

struct ApiError {
    ErrorKind kind = ErrorKind::io;
    int status = 0;  // the HTTP status for ErrorKind::http, else 0
    std::string message;

    bool not_found() const { return kind == ErrorKind::http && status == 404; }
    bool conflict() const { return kind == ErrorKind::http && status == 409; }
    /// The same failure as an engine Error, for code that only reports it.
    sys::Error to_error() const { return sys::Error{0, message}; }
};

/// engine::Result's shape with an ApiError: a value or the reason the call failed.
template <typename T>
class [[nodiscard]] ApiResult {
public:
    ApiResult(T value) : state_(std::move(value)) {}
    ApiResult(ApiError error) : state_(std::move(error)) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    const ApiError& error() const { return std::get<1>(state_); }

    ApiResult&& context(const std::string& what) && {
        if (!ok()) std::get<1>(state_).message = what + ": " + std::get<1>(state_).message;
        return std::move(*this);
    }

private:
    std::variant<T, ApiError> state_;
};

using ApiStatus = ApiResult<sys::Unit>;
inline ApiStatus api_ok() { return sys::Unit{}; }

}  // namespace engine::client
