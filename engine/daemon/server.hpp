#pragma once

// The HTTP/1.1 server of berthd: Beast on an Asio UNIX socket, one coroutine per connection,
// keep-alive, request body and time limits, and Docker's JSON errors. Handlers run on the io
// thread and move anything that blocks onto the thread pool with Exchange::blocking.

#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <vector>
#include <string>

#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "engine/daemon/query.hpp"
#include "engine/daemon/router.hpp"
#include "engine/sys/result.hpp"

namespace engine::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using Stream = beast::basic_stream<asio::local::stream_protocol>;
using Clock = std::chrono::steady_clock;

struct Request {
    http::request<http::string_body> message;
    std::string path;  ///< without the version prefix
    Query query;
    Params params;
};

/// Values handed from other threads to a coroutine on the io thread, with a wait that ends on
/// a new value, on close, or at a deadline.
template <typename T>
class Mailbox : public std::enable_shared_from_this<Mailbox<T>> {
public:
    explicit Mailbox(asio::any_io_executor executor) : executor_(executor), timer_(executor) {}

    /// Thread-safe.
    void put(T item) {
        asio::post(executor_, [self = this->shared_from_this(), item = std::move(item)]() mutable {
            self->items_.push_back(std::move(item));
            self->timer_.cancel();
        });
    }
    /// Thread-safe: wakes the waiter for good.
    void close() {
        asio::post(executor_, [self = this->shared_from_this()] {
            self->closed_ = true;
            self->timer_.cancel();
        });
    }
    bool closed() const { return closed_; }
    std::deque<T>& items() { return items_; }

    awaitable<void> wait(Clock::time_point deadline) {
        if (!items_.empty() || closed_) co_return;
        timer_.expires_at(deadline);
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }

private:
    asio::any_io_executor executor_;
    asio::steady_timer timer_;
    std::deque<T> items_;
    bool closed_ = false;
};

/// One request and its response, as a handler sees it.
class Exchange {
public:
    Exchange(std::shared_ptr<Stream> stream, Request& request, asio::thread_pool& pool, const bool& stopping)
        : stream_(std::move(stream)), request_(request), pool_(pool), stopping_(stopping) {}

    const Request& request() const { return request_; }
    const Query& query() const { return request_.query; }
    const std::string& param(const std::string& name) const { return request_.params.at(name); }
    bool responded() const { return responded_; }
    /// False once the response was a stream or failed: the connection then closes.
    bool keep_alive() const { return keep_alive_; }
    bool stopping() const { return stopping_; }
    asio::any_io_executor executor() { return stream_->get_executor(); }

    /// An extra header for the response.
    void header(std::string name, std::string value) { extra_headers_.emplace_back(std::move(name), std::move(value)); }
    awaitable<void> json(http::status status, const nlohmann::json& body);
    awaitable<void> empty(http::status status);
    awaitable<void> text(http::status status, const std::string& content_type, const std::string& body);
    /// Docker's error shape: {"message": "..."}.
    awaitable<void> error(http::status status, const std::string& message);

    /// Sends the head of a chunked response at once (wait and events depend on it).
    awaitable<bool> begin_stream(http::status status, const std::string& content_type);
    /// False when the client is gone.
    awaitable<bool> chunk(const std::string& data);
    awaitable<void> end_stream();

    /// Closes `mailbox` when the client closes its end of the connection (or the daemon stops),
    /// so that a handler waiting on it notices.
    template <typename T>
    void close_on_disconnect(const std::shared_ptr<Mailbox<T>>& mailbox) {
        watch_disconnect([mailbox] { mailbox->close(); });
    }

    /// Runs `fn` on the thread pool and resumes here with its result; exceptions travel along.
    /// Coroutine parameters are references throughout: GCC 12 destroys a non-trivial prvalue
    /// argument of a coroutine called in a co_await expression twice.
    template <typename Fn>
    awaitable<std::invoke_result_t<Fn&>> blocking(Fn&& fn) {
        using T = std::invoke_result_t<Fn&>;
        std::optional<T> result;
        std::exception_ptr failure;
        auto io = executor();
        co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
            [&](auto handler) {
                asio::post(pool_, [&, io, handler = std::move(handler)]() mutable {
                    try {
                        result.emplace(fn());
                    } catch (...) {
                        failure = std::current_exception();
                    }
                    asio::post(io, std::move(handler));
                });
            },
            asio::use_awaitable);
        if (failure) std::rethrow_exception(failure);
        co_return std::move(*result);
    }

    /// Runs `fn` on the thread pool without waiting for it.
    template <typename Fn>
    void spawn_blocking(Fn fn) {
        asio::post(pool_, std::move(fn));
    }

private:
    void watch_disconnect(std::function<void()> on_gone);
    template <typename Response>
    void add_headers(Response& response) const;

    std::shared_ptr<Stream> stream_;
    Request& request_;
    asio::thread_pool& pool_;
    const bool& stopping_;
    std::vector<std::pair<std::string, std::string>> extra_headers_;
    bool responded_ = false;
    bool keep_alive_ = true;
};

using Handler = std::function<awaitable<void>(Exchange&)>;

struct ServerOptions {
    std::string socket_path = "/run/berth.sock";
    std::uint64_t body_limit = 16 << 20;                  ///< bytes of a request body
    std::chrono::seconds request_timeout{60};             ///< to receive a whole request, idle included
    size_t max_connections = 1024;                        ///< more are closed at once
};

class Server {
public:
    Server(asio::io_context& io, asio::thread_pool& pool, Router<Handler> router, ServerOptions options);

    /// Binds the socket (mode 0660); the caller removed any stale file.
    Status listen();
    /// Starts accepting on the io context.
    void start();
    /// Stops accepting and ends idle connections and streams; requests being served finish.
    void stop();

private:
    struct Session {
        std::shared_ptr<Stream> stream;
        bool in_request = false;
    };
    awaitable<void> accept_loop();
    awaitable<void> serve(std::shared_ptr<Session> session);
    awaitable<void> dispatch(const std::shared_ptr<Stream>& stream, Request& request, bool& keep_alive);

    asio::io_context& io_;
    asio::thread_pool& pool_;
    Router<Handler> router_;
    ServerOptions options_;
    asio::local::stream_protocol::acceptor acceptor_;
    std::set<std::shared_ptr<Session>> sessions_;
    bool stopping_ = false;
};

}  // namespace engine::daemon
