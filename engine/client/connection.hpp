#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/client/api_error.hpp"
#include "engine/client/hijack.hpp"

namespace engine::client {

/// Zero means no limit.
struct Timeouts {
    std::chrono::milliseconds connect{5000};
    std::chrono::milliseconds request{120000};
};

struct Request {
    std::string method = "GET";
    std::string target;  // path and query
    std::string body;
    std::string content_type;  // set when there is a body
    int body_fd = -1;          // when >= 0, the body is read from it and sent chunked
    std::vector<std::pair<std::string, std::string>> headers;
};

struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;  // error responses and whole-body calls only

    std::string header(const std::string& lowercase_name) const {
        auto it = headers.find(lowercase_name);
        return it == headers.end() ? "" : it->second;
    }
};

/// Receives a response body piece by piece; returns false to stop reading (the connection is
/// then closed).
using BodySink = std::function<bool(std::string_view)>;

/// One HTTP/1.1 connection to the daemon's UNIX socket, reused while the server keeps it alive.
/// Synchronous for the caller; each socket operation runs on a private io_context for at most
/// its timeout (Asio's blocking calls have none).
class Connection {
public:
    Connection(std::string socket_path, Timeouts timeouts);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    bool is_open() const;
    /// Connects unless already connected.
    ApiStatus open() { return ensure_open(); }
    /// The socket's descriptor (-1 when closed), for shutting a stream down from another thread.
    int native_fd() const;
    void close();
    /// How many responses this connection has read since it was opened.
    int responses() const { return responses_; }

    /// Sends `request` and reads the whole response body into Response::body.
    ApiResult<Response> exchange(const Request& request);
    /// Sends `request`; a 2xx body goes to `sink` as it arrives (no read timeout once the
    /// headers are in), an error body into Response::body.
    ApiResult<Response> stream(const Request& request, const BodySink& sink);
    /// Sends `request` and reads only the response's headers (Docker sends wait's at once and
    /// its body when the container exits); read_body() then reads the body.
    ApiResult<Response> begin(const Request& request);
    /// The body of the response begin() started: to `sink` for a 2xx response, else into
    /// Response::body. `body_timeout` bounds each read of a 2xx body (0: none).
    ApiStatus read_body(Response& response, const BodySink* sink, std::chrono::milliseconds body_timeout);
    /// Sends `request` with `Upgrade: tcp`; on 101 the socket is handed over, else the error
    /// response (status and body) is returned as an ApiError.
    ApiResult<HijackedStream> hijack(Request request);

    /// True when the last failure happened before any response byte arrived on a connection
    /// that had served requests before: the server may have closed it while idle.
    bool failed_on_stale() const { return failed_on_stale_; }

private:
    struct Impl;
    ApiStatus ensure_open();
    ApiStatus send(const Request& request);
    ApiResult<Response> read_head(bool head);
    ApiResult<Response> read_response(const BodySink* sink, std::chrono::milliseconds body_timeout, bool head = false);

    std::string socket_path_;
    Timeouts timeouts_;
    std::unique_ptr<Impl> impl_;
    int responses_ = 0;
    bool failed_on_stale_ = false;
};

/// The daemon's error message from an error response: its JSON `message`, else the body.
std::string error_message(const Response& response);

}  // namespace engine::client
