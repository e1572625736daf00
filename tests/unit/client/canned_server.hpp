#pragma once

// A tiny HTTP server on a temporary UNIX socket that answers with canned raw responses, for
// testing the API client without a daemon. One thread per connection; everything is stopped and
// joined on destruction.

#include <sys/socket.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "tests/support/temp_dir.hpp"

namespace canned {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Socket = asio::local::stream_protocol::socket;
using HttpRequest = http::request<http::string_body>;

/// What the handler sends back: raw bytes written as they are; `close` ends the connection after.
struct Reply {
    std::string raw;
    bool close = false;
};

inline std::string reason(int status) { return status == 101 ? "UPGRADED" : status < 400 ? "OK" : "Error"; }

inline Reply json_reply(int status, const std::string& body) {
    return {"HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
            "\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body};
}

inline std::string chunk(const std::string& piece) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    return std::string(size) + "\r\n" + piece + "\r\n";
}

/// A 200 response with a chunked body, one chunk per piece.
inline Reply chunked_reply(const std::vector<std::string>& pieces) {
    std::string raw = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (const auto& p : pieces) raw += chunk(p);
    return {raw + "0\r\n\r\n"};
}

inline std::string frame(char stream, const std::string& payload) {
    auto n = static_cast<std::uint32_t>(payload.size());
    std::string header{stream, 0, 0, 0, static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                       static_cast<char>(n >> 8), static_cast<char>(n)};
    return header + payload;
}

class Server {
public:
    using Handler = std::function<Reply(const HttpRequest&, Socket&)>;

    explicit Server(Handler handler)
        : dir_("berth-client"), path_((dir_.root / "api.sock").string()), handler_(std::move(handler)),
          acceptor_(io_, asio::local::stream_protocol::endpoint(path_)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~Server() {
        stopping_ = true;
        {
            Socket wake(io_);
            boost::system::error_code ec;
            wake.connect(asio::local::stream_protocol::endpoint(path_), ec);
        }
        thread_.join();
        {
            std::lock_guard lock(mutex_);
            for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
        }
        for (auto& t : workers_) t.join();
    }

    std::string host() const { return "unix://" + path_; }
    int connections() const { return connections_; }
    std::vector<std::string> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    /// The body of the last request, as the server received it (de-chunked).
    std::string last_body() const {
        std::lock_guard lock(mutex_);
        return last_body_;
    }
    /// Close each connection after one response, without saying so (a keep-alive gone stale).
    bool close_silently = false;

private:
    void serve() {
        for (;;) {
            Socket socket(io_);
            boost::system::error_code ec;
            acceptor_.accept(socket, ec);
            if (stopping_ || ec) return;
            ++connections_;
            std::lock_guard lock(mutex_);
            fds_.push_back(socket.native_handle());
            workers_.emplace_back([this, s = std::move(socket)]() mutable { handle(s); });
        }
    }

    void handle(Socket& socket) {
        serve_requests(socket);
        // Forget the descriptor before the socket closes, so the destructor never shuts down a
        // reused number.
        std::lock_guard lock(mutex_);
        std::erase(fds_, socket.native_handle());
    }

    void serve_requests(Socket& socket) {
        boost::beast::flat_buffer buffer;
        for (;;) {
            HttpRequest request;
            boost::system::error_code ec;
            http::read(socket, buffer, request, ec);
            if (ec) return;
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(std::string(request.method_string()) + " " + std::string(request.target()));
                last_body_ = request.body();
            }
            Reply reply = handler_(request, socket);
            asio::write(socket, asio::buffer(reply.raw), ec);
            if (ec || reply.close || close_silently) {
                socket.shutdown(Socket::shutdown_both, ec);
                return;
            }
        }
    }

    TempDir dir_;
    std::string path_;
    Handler handler_;
    asio::io_context io_;
    asio::local::stream_protocol::acceptor acceptor_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> connections_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> requests_;
    std::string last_body_;
    std::vector<int> fds_;
    std::vector<std::thread> workers_;
};

/// Answers HEAD/GET /_ping with `api_version` (none when empty); other requests go to `rest`.
inline Server::Handler with_ping(std::string api_version, Server::Handler rest) {
    return [api_version, rest](const HttpRequest& request, Socket& socket) -> Reply {
        if (request.target() != "/_ping") return rest(request, socket);
        std::string header = api_version.empty() ? "" : "Api-Version: " + api_version + "\r\n";
        if (request.method() == http::verb::head)
            return {"HTTP/1.1 200 OK\r\n" + header + "Content-Length: 0\r\n\r\n"};
        return {"HTTP/1.1 200 OK\r\n" + header + "Content-Length: 2\r\n\r\nOK"};
    };
}

}  // namespace canned
