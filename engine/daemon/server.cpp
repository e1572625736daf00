#include "engine/daemon/server.hpp"

#include <sys/stat.h>

#include "engine/daemon/log.hpp"

namespace engine::daemon {

using nlohmann::json;

namespace {

constexpr std::uint32_t kHeaderLimit = 64 * 1024;

const char* server_header() { return "Berth/" BERTH_VERSION " (linux)"; }

bool is_timeout_or_close(const boost::system::error_code& ec) {
    return ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::error::bad_descriptor;
}

}  // namespace

template <typename Response>
void Exchange::add_headers(Response& response) const {
    response.set("Api-Version", "1.41");
    response.set("Docker-Experimental", "false");
    response.set("Ostype", "linux");
    response.set(http::field::server, server_header());
    for (const auto& [name, value] : extra_headers_) response.set(name, value);
    response.keep_alive(keep_alive_ && request_.message.keep_alive());
}

awaitable<void> Exchange::text(http::status status, const std::string& content_type, const std::string& body) {
    http::response<http::string_body> response{status, request_.message.version()};
    add_headers(response);
    if (!content_type.empty()) response.set(http::field::content_type, content_type);
    response.body() = body;
    response.prepare_payload();
    responded_ = true;
    boost::system::error_code ec;
    co_await http::async_write(*stream_, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) keep_alive_ = false;
}

awaitable<void> Exchange::json(http::status status, const nlohmann::json& body) {
    co_await text(status, "application/json", body.dump() + "\n");
}

awaitable<void> Exchange::empty(http::status status) {
    http::response<http::empty_body> response{status, request_.message.version()};
    add_headers(response);
    responded_ = true;
    boost::system::error_code ec;
    co_await http::async_write(*stream_, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) keep_alive_ = false;
}

awaitable<void> Exchange::error(http::status status, const std::string& message) {
    nlohmann::json body = {{"message", message}};
    co_await json(status, body);
}

awaitable<bool> Exchange::begin_stream(http::status status, const std::string& content_type) {
    keep_alive_ = false;
    http::response<http::empty_body> response{status, request_.message.version()};
    add_headers(response);
    if (!content_type.empty()) response.set(http::field::content_type, content_type);
    response.chunked(true);
    response.keep_alive(false);
    http::response_serializer<http::empty_body> serializer{response};
    responded_ = true;
    boost::system::error_code ec;
    co_await http::async_write_header(*stream_, serializer, asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
}

awaitable<bool> Exchange::chunk(const std::string& data) {
    if (data.empty()) co_return true;  // an empty chunk would end the stream
    boost::system::error_code ec;
    co_await asio::async_write(*stream_, http::make_chunk(asio::buffer(data)),
                               asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
}

awaitable<void> Exchange::end_stream() {
    boost::system::error_code ec;
    co_await asio::async_write(*stream_, http::make_chunk_last(), asio::redirect_error(asio::use_awaitable, ec));
}

void Exchange::watch_disconnect(std::function<void()> on_gone) {
    // The clients send nothing more on a streaming request, so any read completion (EOF, reset,
    // the socket closed at shutdown) means the client is gone.
    asio::co_spawn(
        executor(),
        [stream = stream_, on_gone = std::move(on_gone)]() -> awaitable<void> {
            char byte;
            boost::system::error_code ec;
            co_await stream->socket().async_read_some(asio::buffer(&byte, 1),
                                                      asio::redirect_error(asio::use_awaitable, ec));
            on_gone();
        },
        asio::detached);
}

Server::Server(asio::io_context& io, asio::thread_pool& pool, Router<Handler> router, ServerOptions options)
    : io_(io), pool_(pool), router_(std::move(router)), options_(std::move(options)), acceptor_(io) {}

Status Server::listen() {
    boost::system::error_code ec;
    asio::local::stream_protocol::endpoint endpoint(options_.socket_path);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Error{ec.value(), fmt::format("listen on {}: {}", options_.socket_path, ec.message())};
    if (::chmod(options_.socket_path.c_str(), 0660) != 0)
        return sys::errno_error("chmod {}", options_.socket_path);
    return sys::ok();
}

void Server::start() { asio::co_spawn(io_, accept_loop(), asio::detached); }

void Server::stop() {
    stopping_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (const auto& session : sessions_)
        if (!session->in_request) session->stream->socket().close(ec);
}

awaitable<void> Server::accept_loop() {
    while (!stopping_) {
        boost::system::error_code ec;
        auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (stopping_ || ec == asio::error::operation_aborted) break;
            log().warn("accept on {}: {}", options_.socket_path, ec.message());
            continue;
        }
        if (sessions_.size() >= options_.max_connections) {
            log().warn("{} connections open: refusing another", sessions_.size());
            socket.close(ec);
            continue;
        }
        auto session = std::make_shared<Session>();
        session->stream = std::make_shared<Stream>(std::move(socket));
        sessions_.insert(session);
        asio::co_spawn(io_, serve(session), asio::detached);
    }
}

awaitable<void> Server::serve(std::shared_ptr<Session> session) {
    auto stream = session->stream;
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(options_.body_limit);
        parser.header_limit(kHeaderLimit);
        // One deadline for the whole request, idle time before it included: a client that
        // sends half a request, or nothing, is cut off.
        stream->expires_after(options_.request_timeout);
        boost::system::error_code ec;
        co_await http::async_read(*stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        stream->expires_never();
        if (ec) {
            if (is_timeout_or_close(ec) || stopping_) break;
            Request bad;
            bad.message.version(11);
            bad.message.keep_alive(false);
            Exchange exchange(stream, bad, pool_, stopping_);
            if (ec == http::error::body_limit)
                co_await exchange.error(http::status::payload_too_large,
                                        fmt::format("request body is larger than {} bytes", options_.body_limit));
            else if (ec == http::error::header_limit)
                co_await exchange.error(http::status::request_header_fields_too_large, "request header is too large");
            else
                co_await exchange.error(http::status::bad_request, "malformed HTTP request: " + ec.message());
            break;
        }
        session->in_request = true;
        Request request;
        request.message = parser.release();
        bool keep_alive = true;
        co_await dispatch(stream, request, keep_alive);
        session->in_request = false;
        if (!keep_alive || !request.message.keep_alive() || stopping_) break;
    }
    boost::system::error_code ignored;
    stream->socket().shutdown(asio::socket_base::shutdown_both, ignored);
    stream->socket().close(ignored);
    sessions_.erase(session);
}

awaitable<void> Server::dispatch(const std::shared_ptr<Stream>& stream, Request& request, bool& keep_alive) {
    auto raw_target = request.message.target();
    std::string_view target(raw_target.data(), raw_target.size());
    size_t question = target.find('?');
    request.path = strip_version_prefix(target.substr(0, question));
    if (question != std::string_view::npos) request.query = Query::parse(target.substr(question + 1));
    Exchange exchange(stream, request, pool_, stopping_);
    auto method_view = request.message.method_string();
    std::string method(method_view.data(), method_view.size());
    auto match = router_.match(method, request.path);
    log().debug("{} {}", method, std::string(target));
    if (match.kind == Router<Handler>::Match::Kind::kNotFound) {
        co_await exchange.error(http::status::not_found, "page not found");
    } else if (match.kind == Router<Handler>::Match::Kind::kMethodNotAllowed) {
        co_await exchange.error(http::status::method_not_allowed, "method not allowed");
    } else {
        for (auto& [name, value] : match.params) value = url_decode(value, false);
        request.params = std::move(match.params);
        std::optional<std::pair<http::status, std::string>> failure;
        try {
            co_await (*match.handler)(exchange);
        } catch (const nlohmann::json::exception& e) {
            failure = {http::status::bad_request, e.what()};
        } catch (const std::exception& e) {
            failure = {http::status::internal_server_error, e.what()};
        }
        if (failure) log().error("{} {}: {}", method, request.path, failure->second);
        if (failure && !exchange.responded()) co_await exchange.error(failure->first, failure->second);
        if (!failure && !exchange.responded())
            co_await exchange.error(http::status::internal_server_error, "the handler sent no response");
    }
    keep_alive = exchange.keep_alive();
}

}  // namespace engine::daemon
