#include "engine/client/connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <cctype>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace engine::client {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using Socket = asio::local::stream_protocol::socket;

struct Connection::Impl {
    asio::io_context io;
    Socket socket{io};
    boost::beast::flat_buffer buffer;
    std::optional<http::response_parser<http::buffer_body>> parser;  // of the response being read

    /// Runs one asynchronous operation to completion or until `timeout` (0: none); a timed-out
    /// operation is cancelled by closing the socket.
    template <typename Start>
    error_code run(std::chrono::milliseconds timeout, Start start) {
        std::optional<error_code> result;
        start([&result](error_code ec, auto&&...) { result = ec; });
        io.restart();
        if (timeout.count() > 0) {
            io.run_for(timeout);
        } else {
            io.run();
        }
        if (result) return *result;
        error_code ignored;
        socket.close(ignored);
        io.restart();
        io.run();
        return asio::error::timed_out;
    }
};

namespace {

ApiError io_failure(const std::string& what, const error_code& ec) {
    auto kind = ec == asio::error::timed_out ? ErrorKind::timeout : ErrorKind::io;
    return ApiError{kind, 0, what + ": " + ec.message()};
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

http::verb verb_of(const std::string& method) {
    auto v = http::string_to_verb(method);
    return v == http::verb::unknown ? http::verb::get : v;
}

}  // namespace

std::string error_message(const Response& response) {
    auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    if (parsed.is_object() && parsed.contains("message") && parsed["message"].is_string())
        return parsed["message"].get<std::string>();
    std::string text = response.body;
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    return text.empty() ? "status " + std::to_string(response.status) : text;
}

Connection::Connection(std::string socket_path, Timeouts timeouts)
    : socket_path_(std::move(socket_path)), timeouts_(timeouts), impl_(std::make_unique<Impl>()) {}

Connection::~Connection() = default;

bool Connection::is_open() const { return impl_->socket.is_open(); }

int Connection::native_fd() const { return is_open() ? impl_->socket.native_handle() : -1; }

void Connection::close() {
    error_code ignored;
    impl_->socket.close(ignored);
    impl_->buffer.clear();
    impl_->parser.reset();
    responses_ = 0;
}

namespace {

/// A daemon sends nothing on an idle keep-alive connection: readable means it closed it.
bool closed_while_idle(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
}

}  // namespace

ApiStatus Connection::ensure_open() {
    if (is_open() && responses_ > 0 && impl_->buffer.size() == 0 && closed_while_idle(native_fd())) close();
    if (is_open()) return api_ok();
    impl_->buffer.clear();
    responses_ = 0;
    asio::local::stream_protocol::endpoint endpoint(socket_path_);
    error_code ec = impl_->run(timeouts_.connect, [&](auto handler) { impl_->socket.async_connect(endpoint, handler); });
    if (!ec) return api_ok();
    close();
    // No socket file or nobody listening: the daemon is not running (the CLI may start it).
    if (ec == asio::error::connection_refused || ec == asio::error::not_found ||
        ec.value() == ENOENT || ec.value() == ECONNREFUSED)
        return ApiError{ErrorKind::unreachable, 0,
                        "cannot connect to the daemon at unix://" + socket_path_ + ": " + ec.message()};
    return io_failure("connect to unix://" + socket_path_, ec);
}

ApiStatus Connection::send(const Request& request) {
    http::request<http::string_body> message{verb_of(request.method), request.target, 11};
    message.set(http::field::host, "localhost");
    message.set(http::field::user_agent, "berth-client");
    for (const auto& [name, value] : request.headers) message.set(name, value);
    if (!request.content_type.empty()) message.set(http::field::content_type, request.content_type);
    auto& socket = impl_->socket;
    if (request.body_fd < 0) {
        message.body() = request.body;
        message.prepare_payload();
        error_code ec = impl_->run(timeouts_.request, [&](auto h) { http::async_write(socket, message, h); });
        if (ec) return io_failure("send " + request.method + " " + request.target, ec);
        return api_ok();
    }
    // A body from a file or pipe of unknown length goes out chunked, as Docker's client sends it.
    message.chunked(true);
    http::request_serializer<http::string_body> serializer(message);
    error_code ec = impl_->run(timeouts_.request, [&](auto h) { http::async_write_header(socket, serializer, h); });
    std::vector<char> chunk(64 * 1024);
    while (!ec) {
        ssize_t n = ::read(request.body_fd, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return ApiError{ErrorKind::io, 0, "read request body: " + std::string(std::strerror(errno))};
        if (n == 0) {
            ec = impl_->run(timeouts_.request, [&](auto h) { asio::async_write(socket, http::make_chunk_last(), h); });
            break;
        }
        auto piece = http::make_chunk(asio::buffer(chunk.data(), static_cast<std::size_t>(n)));
        ec = impl_->run(timeouts_.request, [&](auto h) { asio::async_write(socket, piece, h); });
    }
    if (ec) return io_failure("send " + request.method + " " + request.target, ec);
    return api_ok();
}

ApiResult<Response> Connection::read_head(bool head) {
    auto& socket = impl_->socket;
    auto& parser = impl_->parser.emplace();
    // No limit (exports and saves are large). Not boost::none: Boost 1.74 compares a
    // Content-Length against an empty optional as "greater" and fails every body.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    // A HEAD response announces a length but carries no body.
    parser.skip(head);
    bool had_bytes = impl_->buffer.size() > 0;
    error_code ec = impl_->run(timeouts_.request,
                               [&](auto h) { http::async_read_header(socket, impl_->buffer, parser, h); });
    if (ec) {
        failed_on_stale_ = !had_bytes && impl_->buffer.size() == 0 && responses_ > 0;
        close();
        return io_failure("read response", ec);
    }
    Response response;
    response.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get())
        response.headers[lowercase(std::string(field.name_string()))] = std::string(field.value());
    return response;
}

ApiStatus Connection::read_body(Response& response, const BodySink* sink, std::chrono::milliseconds body_timeout) {
    if (!impl_->parser) return ApiError{ErrorKind::protocol, 0, "read response body: no response pending"};
    auto& socket = impl_->socket;
    auto& parser = *impl_->parser;
    bool to_sink = sink && response.status < 300;
    std::vector<char> chunk(64 * 1024);
    bool stopped = false;
    while (!parser.is_done()) {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        error_code ec = impl_->run(to_sink ? body_timeout : timeouts_.request,
                                   [&](auto h) { http::async_read_some(socket, impl_->buffer, parser, h); });
        if (ec == http::error::need_buffer) ec = {};
        if (ec) {
            close();
            return io_failure("read response body", ec);
        }
        std::string_view piece(chunk.data(), chunk.size() - parser.get().body().size);
        if (!to_sink) {
            response.body.append(piece);
        } else if (!piece.empty() && !(*sink)(piece)) {
            stopped = true;
            break;
        }
    }
    ++responses_;
    bool keep = !stopped && parser.keep_alive();
    impl_->parser.reset();
    if (!keep) close();
    return api_ok();
}

ApiResult<Response> Connection::read_response(const BodySink* sink, std::chrono::milliseconds body_timeout, bool head) {
    auto response = read_head(head);
    if (!response) return response;
    if (auto st = read_body(response.value(), sink, body_timeout); !st) return st.error();
    return response;
}

ApiResult<Response> Connection::begin(const Request& request) {
    failed_on_stale_ = false;
    if (auto st = ensure_open(); !st) return st.error();
    if (auto st = send(request); !st) {
        close();
        return st.error();
    }
    return read_head(request.method == "HEAD");
}

ApiResult<Response> Connection::exchange(const Request& request) {
    failed_on_stale_ = false;
    if (auto st = ensure_open(); !st) return st.error();
    if (auto st = send(request); !st) {
        failed_on_stale_ = responses_ > 0;
        close();
        return st.error();
    }
    return read_response(nullptr, timeouts_.request, request.method == "HEAD");
}

ApiResult<Response> Connection::stream(const Request& request, const BodySink& sink) {
    failed_on_stale_ = false;
    if (auto st = ensure_open(); !st) return st.error();
    if (auto st = send(request); !st) {
        close();
        return st.error();
    }
    return read_response(&sink, std::chrono::milliseconds(0));
}

ApiResult<HijackedStream> Connection::hijack(Request request) {
    request.headers.emplace_back("Connection", "Upgrade");
    request.headers.emplace_back("Upgrade", "tcp");
    if (auto st = ensure_open(); !st) return st.error();
    if (auto st = send(request); !st) {
        close();
        return st.error();
    }
    auto& socket = impl_->socket;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    error_code ec = impl_->run(timeouts_.request,
                               [&](auto h) { http::async_read_header(socket, impl_->buffer, parser, h); });
    if (ec) {
        close();
        return io_failure("read upgrade response", ec);
    }
    if (parser.get().result_int() != 101) {
        if (!parser.is_done())
            ec = impl_->run(timeouts_.request, [&](auto h) { http::async_read(socket, impl_->buffer, parser, h); });
        Response response{static_cast<int>(parser.get().result_int()), {}, parser.get().body()};
        close();
        return ApiError{ErrorKind::http, response.status, error_message(response)};
    }
    // Bytes the parser read past the headers already belong to the raw stream.
    auto data = impl_->buffer.data();
    std::string already(static_cast<const char*>(data.data()), data.size());
    impl_->buffer.clear();
    error_code ignored;
    int fd = socket.release(ignored);
    // Asio left the descriptor non-blocking for its own use; the caller gets a plain one.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return HijackedStream(sys::UniqueFd(fd), std::move(already));
}

}  // namespace engine::client
