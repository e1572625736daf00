// The API client against a canned server on a temporary UNIX socket.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "engine/client/client.hpp"
#include "tests/unit/client/canned_server.hpp"

using namespace engine::client;
using canned::HttpRequest;
using canned::Reply;
using canned::Socket;

namespace {

Reply version_reply(const HttpRequest&, Socket&) { return canned::json_reply(200, R"({"ApiVersion":"1.43"})"); }

ClientOptions options_for(const canned::Server& server) {
    ClientOptions options;
    options.host = server.host();
    options.timeouts.connect = std::chrono::milliseconds(2000);
    options.timeouts.request = std::chrono::milliseconds(2000);
    return options;
}

}  // namespace

TEST_CASE("client: a newer server is spoken to at 1.41, on one keep-alive connection", "[client][negotiate]") {
    canned::Server server(canned::with_ping("1.43", version_reply));
    Client client(options_for(server));
    REQUIRE(client.version().ok());
    REQUIRE(client.info().ok());
    REQUIRE(client.version().ok());
    CHECK(client.api_version().value() == "1.41");
    CHECK(server.requests() ==
          std::vector<std::string>{"HEAD /_ping", "GET /v1.41/version", "GET /v1.41/info", "GET /v1.41/version"});
    CHECK(server.connections() == 1);
    CHECK(client.ping().value()["ApiVersion"] == "1.43");
}

TEST_CASE("client: an older server's version is used; none at all means 1.24", "[client][negotiate]") {
    {
        canned::Server server(canned::with_ping("1.40", version_reply));
        Client client(options_for(server));
        REQUIRE(client.info().ok());
        CHECK(server.requests().back() == "GET /v1.40/info");
    }
    {
        canned::Server server(canned::with_ping("", version_reply));
        Client client(options_for(server));
        REQUIRE(client.info().ok());
        CHECK(server.requests().back() == "GET /v1.24/info");
    }
}

TEST_CASE("client: HEAD /_ping refused, GET /_ping is tried", "[client][negotiate]") {
    canned::Server server([](const HttpRequest& request, Socket& socket) -> Reply {
        if (request.target() == "/_ping" && request.method() == canned::http::verb::head)
            return {"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n"};
        return canned::with_ping("1.41", version_reply)(request, socket);
    });
    Client client(options_for(server));
    REQUIRE(client.info().ok());
    CHECK(server.requests() == std::vector<std::string>{"HEAD /_ping", "GET /_ping", "GET /v1.41/info"});
}

TEST_CASE("client: HTTP errors keep Docker's message and the status", "[client][errors]") {
    canned::Server server(canned::with_ping("1.41", [](const HttpRequest& request, Socket&) -> Reply {
        if (request.target().find("/containers/gone") != std::string::npos)
            return canned::json_reply(404, R"({"message":"No such container: gone"})");
        if (request.target().find("/rename") != std::string::npos)
            return canned::json_reply(409, R"({"message":"name in use"})");
        return {"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 7\r\n\r\nbroken\n"};
    }));
    Client client(options_for(server));
    auto missing = client.container_inspect("gone");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == ErrorKind::http);
    CHECK(missing.error().not_found());
    CHECK(missing.error().message == "No such container: gone");
    auto renamed = client.container_rename("c", "taken");
    REQUIRE_FALSE(renamed.ok());
    CHECK(renamed.error().conflict());
    CHECK(renamed.error().message == "name in use");
    auto plain = client.container_start("c");
    REQUIRE_FALSE(plain.ok());
    CHECK(plain.error().status == 500);
    CHECK(plain.error().message == "broken");
    CHECK(server.connections() == 1);  // error responses keep the connection too
}

TEST_CASE("client: no daemon on the socket is its own kind of error", "[client][errors]") {
    TempDir dir("berth-client");
    ClientOptions options;
    options.host = "unix://" + (dir.root / "none.sock").string();
    Client missing_socket(options);
    auto r = missing_socket.info();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::unreachable);

    // A socket file with nobody listening (a daemon that died): refused, the same kind.
    {
        canned::asio::io_context io;
        canned::asio::local::stream_protocol::acceptor gone(io, canned::asio::local::stream_protocol::endpoint(
                                                                    (dir.root / "dead.sock").string()));
    }
    options.host = "unix://" + (dir.root / "dead.sock").string();
    Client dead(options);
    auto refused = dead.version();
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::unreachable);

    Client tcp(ClientOptions{"tcp://127.0.0.1:2375", {}, "1.41"});
    auto t = tcp.ping();
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().kind == ErrorKind::config);
}

TEST_CASE("client: a keep-alive connection the server dropped is replaced", "[client][keepalive]") {
    canned::Server server(canned::with_ping("1.41", version_reply));
    server.close_silently = true;
    Client client(options_for(server));
    REQUIRE(client.version().ok());
    REQUIRE(client.version().ok());
    REQUIRE(client.info().ok());
    // A POST is never repeated, but a close that already arrived is seen before sending it.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(client.container_start("c1").ok());
    CHECK(server.connections() == 5);  // the ping and each call on a new one
}

TEST_CASE("client: a server slower than the timeout fails with a timeout", "[client][timeout]") {
    canned::Server server(canned::with_ping("1.41", [](const HttpRequest&, Socket&) -> Reply {
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        return canned::json_reply(200, "{}");
    }));
    auto options = options_for(server);
    options.timeouts.request = std::chrono::milliseconds(150);
    Client client(options);
    auto started = std::chrono::steady_clock::now();
    auto r = client.info();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::timeout);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(600));
}

TEST_CASE("client: logs are demultiplexed, or passed raw for a TTY container", "[client][logs]") {
    bool tty = false;
    canned::Server server(canned::with_ping("1.41", [&tty](const HttpRequest& request, Socket&) -> Reply {
        if (request.target().find("/json") != std::string::npos)
            return canned::json_reply(200, tty ? R"({"Config":{"Tty":true}})" : R"({"Config":{"Tty":false}})");
        if (tty) return canned::chunked_reply({"raw line\r\n"});
        std::string wire = canned::frame(1, "out1\n") + canned::frame(2, "err1\n") + canned::frame(1, "out2\n");
        return canned::chunked_reply({wire.substr(0, 3), wire.substr(3, 10), wire.substr(13)});
    }));
    Client client(options_for(server));
    std::string out, err;
    auto sink = [&](StreamId id, std::string_view bytes) { (id == StreamId::stderr_ ? err : out).append(bytes); };
    REQUIRE(client.container_logs("c1", LogsOptions{}, sink).ok());
    CHECK(out == "out1\nout2\n");
    CHECK(err == "err1\n");
    CHECK(server.requests().back() == "GET /v1.41/containers/c1/logs?stdout=1&stderr=1&follow=0&timestamps=0&tail=all");

    tty = true;
    out.clear();
    err.clear();
    REQUIRE(client.container_logs("c1", LogsOptions{}, sink).ok());
    CHECK(out == "raw line\r\n");
    CHECK(err.empty());
}

TEST_CASE("client: events arrive one JSON object each, until the caller stops", "[client][events]") {
    canned::Server server(canned::with_ping("1.41", [](const HttpRequest&, Socket& socket) -> Reply {
        std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        boost::system::error_code ec;
        canned::asio::write(socket, canned::asio::buffer(head + canned::chunk("{\"Action\":\"create\"}\n{\"Act") +
                                                         canned::chunk("ion\":\"start\"}\n")), ec);
        // Then silence until the client goes away, like a daemon with nothing more to report.
        char byte;
        socket.read_some(canned::asio::buffer(&byte, 1), ec);
        return {"", true};
    }));
    Client client(options_for(server));

    std::vector<std::string> actions;
    auto status = client.events({{{"type", {"container"}}}, "", ""}, [&](const nlohmann::json& event) {
        actions.push_back(event.value("Action", ""));
        return actions.size() < 2;
    });
    REQUIRE(status.ok());
    CHECK(actions == std::vector<std::string>{"create", "start"});
    CHECK(server.requests().back() == "GET /v1.41/events?filters=%7B%22type%22%3A%7B%22container%22%3Atrue%7D%7D");

    // Stopped from another thread while the stream is idle.
    StreamStopper stopper;
    actions.clear();
    std::thread stop_later([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        stopper.stop();
    });
    status = client.events({}, [&](const nlohmann::json& event) {
        actions.push_back(event.value("Action", ""));
        return true;
    }, &stopper);
    stop_later.join();
    CHECK(status.ok());
    CHECK(actions.size() == 2);
}

TEST_CASE("client: exec start hijacks the socket, with half-close", "[client][hijack]") {
    canned::Server server(canned::with_ping("1.41", [](const HttpRequest& request, Socket& socket) -> Reply {
        if (request.target().find("/start") == std::string::npos)
            return canned::json_reply(201, R"({"Id":"e1"})");
        // The 101 and the first output in one write: the client must keep bytes read past the headers.
        std::string head = "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                           "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
        boost::system::error_code ec;
        canned::asio::write(socket, canned::asio::buffer(head + canned::frame(1, "hello ")), ec);
        std::string input;
        char buf[256];
        for (std::size_t n; (n = socket.read_some(canned::asio::buffer(buf), ec)), !ec;) input.append(buf, n);
        return {canned::frame(1, input) + canned::frame(2, "bye"), true};
    }));
    Client client(options_for(server));
    auto exec = client.exec_create("c1", {{"Cmd", {"cat"}}, {"AttachStdin", true}});
    REQUIRE(exec.ok());
    CHECK(exec.value() == "e1");
    auto stream = client.exec_start(exec.value(), false);
    REQUIRE(stream.ok());
    REQUIRE(stream.value().write_all("ping\n").ok());
    REQUIRE(stream.value().close_write().ok());
    std::string out, err;
    REQUIRE(stream.value()
                .pump_output(false, [&](StreamId id, std::string_view b) { (id == StreamId::stderr_ ? err : out).append(b); })
                .ok());
    CHECK(out == "hello ping\n");
    CHECK(err == "bye");
    CHECK(server.last_body() == R"({"Detach":false,"Tty":false})");
}

TEST_CASE("client: an import body is streamed chunked from a file; stream errors fail the call", "[client][upload]") {
    canned::Server server(canned::with_ping("1.41", [](const HttpRequest& request, Socket&) -> Reply {
        if (request[canned::http::field::transfer_encoding] != "chunked") return canned::json_reply(400, "{}");
        if (request.body() == "fail") return canned::chunked_reply({R"({"errorDetail":{"message":"boom"},"error":"boom"})" "\n"});
        return canned::chunked_reply({"{\"status\":\"sha256:", std::to_string(request.body().size()) + "\"}\n"});
    }));
    Client client(options_for(server));
    TempDir dir("berth-client");
    std::string content(300 * 1024, 'x');
    auto file = dir.write("rootfs.tar", content);
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    auto imported = client.image_import(fd, "imported", "v1");
    ::close(fd);
    REQUIRE(imported.ok());
    CHECK(imported.value() == nlohmann::json::parse(R"([{"status":"sha256:307200"}])"));
    CHECK(server.last_body() == content);
    CHECK(server.requests().back() == "POST /v1.41/images/create?fromSrc=-&repo=imported&tag=v1");

    auto failing = dir.write("fail.tar", "fail");
    fd = ::open(failing.c_str(), O_RDONLY | O_CLOEXEC);
    auto failed = client.image_load(fd);
    ::close(fd);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().message == "boom");
}

TEST_CASE("client: a wait is registered before the start, its result read after", "[client][wait]") {
    std::atomic<bool> started{false};
    canned::Server server(canned::with_ping("1.41", [&started](const HttpRequest& request, Socket& socket) -> Reply {
        if (request.target().find("/start") != std::string::npos) {
            started = true;
            return {"HTTP/1.1 204 No Content\r\n\r\n"};
        }
        // Headers at once, the body when the container "exits": only after the start.
        boost::system::error_code ec;
        canned::asio::write(socket, canned::asio::buffer(std::string(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")), ec);
        for (int i = 0; i < 200 && !started; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return {canned::chunk(started ? R"({"Error":null,"StatusCode":7})" : R"({"StatusCode":-1})") + "0\r\n\r\n"};
    }));
    Client client(options_for(server));
    auto pending = client.container_wait_begin("c1", "next-exit");
    REQUIRE(pending.ok());
    REQUIRE(client.container_start("c1").ok());
    auto result = pending.value().result();
    REQUIRE(result.ok());
    CHECK(result.value()["StatusCode"] == 7);
    CHECK(server.requests()[1] == "POST /v1.41/containers/c1/wait?condition=next-exit");
}
