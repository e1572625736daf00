// The embedded DNS server over real sockets on 127.0.0.0/8 (no root needed): a fake upstream on
// 127.0.0.2, the server on 127.0.0.3, clients sending from 127.0.0.x addresses registered as
// containers in the table.
#include "network/dns_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "network/dns_message.hpp"
#include "tests/support/busybox_rootfs.hpp"

using namespace network;
using namespace network::dns;
namespace asio = boost::asio;
using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* upstream_name = "upstream.example";

Bytes make_query(std::uint16_t id, const std::string& name, std::uint16_t qtype = type::a) {
    Bytes out = {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    std::size_t start = 0;
    while (start < name.size()) {
        std::size_t dot = std::min(name.find('.', start), name.size());
        out.push_back(static_cast<std::uint8_t>(dot - start));
        out.insert(out.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
        start = dot + 1;
    }
    out.insert(out.end(), {0, static_cast<std::uint8_t>(qtype >> 8), static_cast<std::uint8_t>(qtype), 0, 1});
    return out;
}

// The answer's A records as dotted quads (answers follow the single question).
struct Answer {
    Header header;
    std::vector<std::string> addresses;
};

Answer decode(const Bytes& packet) {
    Answer out;
    out.header = parse_header(packet).value();
    // Re-read the answers by hand: skip the header and question, then fixed-size compressed records.
    std::size_t at = 12;
    while (at < packet.size() && packet[at] != 0) at += packet[at] + 1;
    at += 5;
    for (int i = 0; i < out.header.answer_count && at + 12 <= packet.size(); ++i) {
        std::size_t length = static_cast<std::size_t>(packet[at + 10] << 8 | packet[at + 11]);
        if (length == 4 && at + 16 <= packet.size()) {
            out.addresses.push_back(fmt::format("{}.{}.{}.{}", packet[at + 12], packet[at + 13], packet[at + 14], packet[at + 15]));
        }
        at += 12 + length;
    }
    return out;
}

// A blocking UDP client bound to a chosen source address, as a container would send from.
class UdpClient {
public:
    explicit UdpClient(const std::string& source) {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        inet_pton(AF_INET, source.c_str(), &local.sin_addr);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
        timeval timeout{3, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    }
    ~UdpClient() { ::close(fd_); }

    bool send(const Bytes& packet, std::uint16_t port) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        inet_pton(AF_INET, "127.0.0.3", &to.sin_addr);
        return ::sendto(fd_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) >= 0;
    }

    std::optional<Bytes> ask(const Bytes& query, std::uint16_t port) {
        if (!send(query, port)) return {};
        Bytes reply(65536);
        ssize_t got = ::recv(fd_, reply.data(), reply.size(), 0);
        if (got < 0) return {};
        reply.resize(static_cast<std::size_t>(got));
        return reply;
    }

private:
    int fd_ = -1;
};

// A fake upstream resolver: answers upstream.example with 192.0.2.1 and everything else with
// NXDOMAIN, over UDP and TCP; silent when told to (forwards time out), or with the question's
// letter case changed (an answer that is not ours).
class FakeUpstream {
public:
    enum class Mode { answer, silent, wrong_case };
    FakeUpstream(asio::io_context& io, Mode mode)
        : udp_(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.2"), 0)),
          tcp_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.2"), udp_.local_endpoint().port())),
          mode_(mode) {
        receive();
        accept();
    }
    std::string address() const { return fmt::format("127.0.0.2:{}", udp_.local_endpoint().port()); }
    std::atomic<int> queries{0};

private:
    static Bytes answer(const Bytes& packet) {
        auto query = parse_query(packet);
        if (!query) return {};
        if (query.value().questions.empty() || query.value().questions[0].name != upstream_name) {
            return build_response(query.value(), Rcode::name_error, {}, true, Transport::tcp);
        }
        std::uint8_t address[4] = {192, 0, 2, 1};
        return build_response(query.value(), Rcode::no_error, {address_record(0, address, 30)}, true, Transport::tcp);
    }

    void receive() {
        udp_.async_receive_from(asio::buffer(buffer_), sender_, [this](boost::system::error_code error, std::size_t size) {
            if (error) return;
            ++queries;
            if (mode_ != Mode::silent) {
                Bytes reply = answer(Bytes(buffer_.begin(), buffer_.begin() + static_cast<long>(size)));
                if (mode_ == Mode::wrong_case && reply.size() > 13) reply[13] ^= 0x20;
                udp_.send_to(asio::buffer(reply), sender_);
            }
            receive();
        });
    }

    void accept() {
        tcp_.async_accept([this](boost::system::error_code error, asio::ip::tcp::socket socket) {
            if (error) return;
            ++queries;
            if (mode_ != Mode::silent) {
                // One query per connection is all the server sends.
                std::uint8_t length[2];
                asio::read(socket, asio::buffer(length));
                Bytes packet(static_cast<std::size_t>(length[0] << 8 | length[1]));
                asio::read(socket, asio::buffer(packet));
                Bytes reply = answer(packet);
                std::uint8_t out_length[2] = {static_cast<std::uint8_t>(reply.size() >> 8), static_cast<std::uint8_t>(reply.size())};
                asio::write(socket, asio::buffer(out_length));
                asio::write(socket, asio::buffer(reply));
            } else {
                held_.push_back(std::move(socket));
            }
            accept();
        });
    }

    asio::ip::udp::socket udp_;
    asio::ip::tcp::acceptor tcp_;
    Mode mode_;
    std::array<std::uint8_t, 4096> buffer_{};
    asio::ip::udp::endpoint sender_;
    std::vector<asio::ip::tcp::socket> held_;
};

Ipv4Address v4(const std::string& text) { return parse_ipv4(text).value(); }

// io_context on its own thread, the table, a fake upstream and a server, torn down in order.
struct Fixture {
    explicit Fixture(FakeUpstream::Mode upstream_mode = FakeUpstream::Mode::answer, std::chrono::milliseconds timeout = std::chrono::milliseconds(2000),
                     std::size_t max_forwards = 256)
        : upstream(io, upstream_mode) {
        table.set_network("front", {"front.test", false});
        table.set_network("back", {"", false});
        REQUIRE(table.set_endpoint("front", Endpoint{"web1", {"web", "proj-web-1"}, {v4("127.0.0.10")}, {}, {}}).ok());
        REQUIRE(table.set_endpoint("back", Endpoint{"db1", {"db"}, {v4("127.0.0.11")}, {}, {}}).ok());
        for (int i = 0; i < 3; ++i) {
            REQUIRE(table.set_endpoint("front", Endpoint{fmt::format("worker{}", i), {"worker"},
                                                         {v4(fmt::format("127.0.1.{}", i + 1))}, {}, {}})
                        .ok());
        }
        ServerConfig config;
        config.listen = {asio::ip::make_address("127.0.0.3")};
        config.port = 0;
        config.upstreams = {upstream.address()};
        config.forward_timeout = timeout;
        config.max_forwards = max_forwards;
        server.emplace(io, table, config);
        REQUIRE(server->start().ok());
        thread = std::thread([this] { io.run(); });
    }
    ~Fixture() {
        server->stop();
        work.reset();
        io.stop();
        thread.join();
        server.reset();
    }

    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
    Table table;
    FakeUpstream upstream;
    std::optional<Server> server;
    std::thread thread;
};

long rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
    }
    return 0;
}

}  // namespace

TEST_CASE("dns server: container names answered for senders on the same network only", "[dns]") {
    Fixture fixture;
    std::uint16_t port = fixture.server->port();
    UdpClient web("127.0.0.10"), db("127.0.0.11");

    auto reply = web.ask(make_query(0x4242, "proj-web-1"), port);
    REQUIRE(reply);
    Answer answer = decode(*reply);
    CHECK(answer.header.id == 0x4242);
    CHECK(answer.header.rcode == Rcode::no_error);
    CHECK(answer.header.authoritative);
    CHECK(answer.addresses == std::vector<std::string>{"127.0.0.10"});
    CHECK(decode(*web.ask(make_query(1, "WEB.front.test"), port)).addresses == std::vector<std::string>{"127.0.0.10"});

    // db is on the other network: web's query goes upstream, which does not know it.
    Answer hidden = decode(*web.ask(make_query(2, "db"), port));
    CHECK(hidden.header.rcode == Rcode::name_error);
    CHECK(hidden.addresses.empty());
    CHECK(decode(*db.ask(make_query(3, "db"), port)).addresses == std::vector<std::string>{"127.0.0.11"});
    CHECK(decode(*db.ask(make_query(4, "web"), port)).header.rcode == Rcode::name_error);
}

TEST_CASE("dns server: a scaled service answers every replica, first one rotating", "[dns]") {
    Fixture fixture;
    UdpClient web("127.0.0.10");
    std::set<std::string> firsts;
    for (int i = 0; i < 3; ++i) {
        Answer answer = decode(*web.ask(make_query(static_cast<std::uint16_t>(i), "worker"), fixture.server->port()));
        CHECK(answer.addresses.size() == 3);
        if (!answer.addresses.empty()) firsts.insert(answer.addresses.front());
    }
    CHECK(firsts.size() == 3);
}

TEST_CASE("dns server: other names are forwarded upstream, ids mapped back", "[dns]") {
    Fixture fixture;
    UdpClient web("127.0.0.10");
    auto reply = web.ask(make_query(0xBEEF, upstream_name), fixture.server->port());
    REQUIRE(reply);
    Answer answer = decode(*reply);
    CHECK(answer.header.id == 0xBEEF);
    CHECK(answer.header.rcode == Rcode::no_error);
    CHECK(answer.addresses == std::vector<std::string>{"192.0.2.1"});
    CHECK(fixture.upstream.queries == 1);
    CHECK(fixture.server->stats().forwarded == 1);
}

TEST_CASE("dns server: unknown senders are refused, non-queries ignored, other opcodes NOTIMP", "[dns]") {
    Fixture fixture;
    std::uint16_t port = fixture.server->port();
    UdpClient stranger("127.0.0.99");
    CHECK(decode(*stranger.ask(make_query(5, "web"), port)).header.rcode == Rcode::refused);

    UdpClient web("127.0.0.10");
    Bytes status_query = make_query(6, "web");
    status_query[2] = 0x10;  // opcode 2 (STATUS)
    CHECK(decode(*web.ask(status_query, port)).header.rcode == Rcode::not_implemented);
    Bytes garbage = {0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12};
    CHECK(decode(*web.ask(garbage, port)).header.rcode == Rcode::format_error);
    // A response sent to the server must not be answered (no reflection loops); the next query
    // still is.
    Bytes response = make_query(8, "web");
    response[2] |= 0x80;
    REQUIRE(web.send(response, port));
    CHECK(decode(*web.ask(make_query(9, "web"), port)).header.id == 9);
}

TEST_CASE("dns server: upstream timeout gives SERVFAIL within the bound", "[dns]") {
    Fixture fixture(FakeUpstream::Mode::silent, std::chrono::milliseconds(200));
    UdpClient web("127.0.0.10");
    auto start = Clock::now();
    auto reply = web.ask(make_query(0x0101, upstream_name), fixture.server->port());
    auto took = Clock::now() - start;
    REQUIRE(reply);
    CHECK(decode(*reply).header.rcode == Rcode::server_failure);
    CHECK(decode(*reply).header.id == 0x0101);
    CHECK(took >= std::chrono::milliseconds(190));
    CHECK(took < std::chrono::milliseconds(1000));
    CHECK(fixture.server->stats().forward_failures == 1);
}

TEST_CASE("dns server: forwards beyond the in-flight limit fail at once", "[dns]") {
    Fixture fixture(FakeUpstream::Mode::silent, std::chrono::milliseconds(500), 2);
    std::uint16_t port = fixture.server->port();
    UdpClient a("127.0.0.10"), b("127.0.0.11"), c("127.0.1.1");
    Bytes q = make_query(1, upstream_name);
    // Two fill the limit (answered SERVFAIL after the timeout); the third fails immediately.
    std::optional<Bytes> first_reply, second_reply;
    std::thread first([&] { first_reply = a.ask(q, port); });
    std::thread second([&] { second_reply = b.ask(q, port); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto start = Clock::now();
    auto third = c.ask(q, port);
    auto took = Clock::now() - start;
    first.join();
    second.join();
    REQUIRE(third);
    CHECK(decode(*third).header.rcode == Rcode::server_failure);
    CHECK(took < std::chrono::milliseconds(300));
    REQUIRE(first_reply);
    REQUIRE(second_reply);
    CHECK(decode(*first_reply).header.rcode == Rcode::server_failure);
    CHECK(decode(*second_reply).header.rcode == Rcode::server_failure);
    CHECK(fixture.upstream.queries == 2);
}

TEST_CASE("dns server: TCP queries, answered and forwarded", "[dns]") {
    Fixture fixture;
    asio::io_context client_io;
    auto ask = [&](const Bytes& query) {
        asio::ip::tcp::socket socket(client_io);
        socket.open(asio::ip::tcp::v4());
        socket.bind(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.10"), 0));
        socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.3"), fixture.server->port()));
        std::uint8_t length[2] = {static_cast<std::uint8_t>(query.size() >> 8), static_cast<std::uint8_t>(query.size())};
        asio::write(socket, asio::buffer(length));
        asio::write(socket, asio::buffer(query));
        asio::read(socket, asio::buffer(length));
        Bytes reply(static_cast<std::size_t>(length[0] << 8 | length[1]));
        asio::read(socket, asio::buffer(reply));
        return reply;
    };
    CHECK(decode(ask(make_query(10, "web"))).addresses == std::vector<std::string>{"127.0.0.10"});
    Answer forwarded = decode(ask(make_query(11, upstream_name)));
    CHECK(forwarded.header.id == 11);
    CHECK(forwarded.addresses == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("dns server: 1000 queries with bounded memory, median latency printed", "[dns]") {
    Fixture fixture;
    std::uint16_t port = fixture.server->port();
    UdpClient web("127.0.0.10");
    // Warm up allocator and sockets before measuring.
    for (int i = 0; i < 50; ++i) REQUIRE(web.ask(make_query(static_cast<std::uint16_t>(i), upstream_name), port));
    long before = rss_kib();
    std::vector<double> local_us, forwarded_us;
    for (int i = 0; i < 1000; ++i) {
        bool forward = i % 2 == 1;
        auto start = Clock::now();
        auto reply = web.ask(make_query(static_cast<std::uint16_t>(i), forward ? upstream_name : "worker"), port);
        double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
        REQUIRE(reply);
        REQUIRE(decode(*reply).header.id == static_cast<std::uint16_t>(i));
        (forward ? forwarded_us : local_us).push_back(us);
    }
    long after = rss_kib();
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    WARN(fmt::format("dns latency median: local {:.0f} us, forwarded {:.0f} us; rss {} -> {} KiB",
                     median(local_us), median(forwarded_us), before, after));
    CHECK(after - before < 2048);
    CHECK(fixture.server->stats().forwards_in_flight == 0);
}

TEST_CASE("dns server: busybox nslookup resolves names through it", "[dns]") {
    Fixture fixture;
    // nslookup sends from the loopback's primary address: make that a container on "front".
    REQUIRE(fixture.table.set_endpoint("front", Endpoint{"shell", {"shell"}, {v4("127.0.0.1")}, {}, {}}).ok());
    std::string server = fmt::format("127.0.0.3:{}", fixture.server->port());
    std::string out = test_support::run_capture(
        fmt::format("{} nslookup -type=a proj-web-1 {} 2>&1", test_support::kBusybox, server));
    CHECK_THAT(out, Catch::Contains("127.0.0.10"));
    std::string forwarded = test_support::run_capture(
        fmt::format("{} nslookup -type=a {} {} 2>&1", test_support::kBusybox, upstream_name, server));
    CHECK_THAT(forwarded, Catch::Contains("192.0.2.1"));
}

TEST_CASE("dns server: stop closes connections and abandons forwards, so the io_context drains", "[dns]") {
    // A silent upstream: a bound socket nobody reads.
    asio::io_context upstream_io;
    asio::ip::udp::socket silent(upstream_io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.2"), 0));

    asio::io_context io;
    Table table;
    table.set_network("net", {});
    REQUIRE(table.set_endpoint("net", Endpoint{"web1", {"web"}, {v4("127.0.0.10")}, {}, {}}).ok());
    ServerConfig config;
    config.listen = {asio::ip::make_address("127.0.0.3")};
    config.port = 0;
    config.upstreams = {fmt::format("127.0.0.2:{}", silent.local_endpoint().port())};
    config.forward_timeout = std::chrono::seconds(5);
    Server server(io, table, config);
    REQUIRE(server.start().ok());
    std::thread thread([&] { io.run(); });

    asio::io_context client_io;
    asio::ip::tcp::socket idle_connection(client_io);
    idle_connection.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.3"), server.port()));
    UdpClient web("127.0.0.10");
    REQUIRE(web.send(make_query(1, upstream_name), server.port()));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(server.stats().forwards_in_flight == 1);
    CHECK(server.stats().tcp_connections == 1);

    auto start = Clock::now();
    server.stop();
    thread.join();  // returns only once no handler is left pending
    CHECK(Clock::now() - start < std::chrono::seconds(1));
    CHECK(server.stats().forwards_in_flight == 0);
    CHECK(server.stats().tcp_connections == 0);
}

TEST_CASE("dns server: TCP connections beyond the limit are closed, idle ones time out", "[dns]") {
    asio::io_context io;
    Table table;
    ServerConfig config;
    config.listen = {asio::ip::make_address("127.0.0.3")};
    config.port = 0;
    config.max_tcp_connections = 2;
    config.tcp_idle_timeout = std::chrono::milliseconds(200);
    Server server(io, table, config);
    REQUIRE(server.start().ok());
    auto work = asio::make_work_guard(io);
    std::thread thread([&] { io.run(); });

    asio::io_context client_io;
    std::vector<asio::ip::tcp::socket> sockets;
    for (int i = 0; i < 3; ++i) {
        sockets.emplace_back(client_io);
        sockets.back().connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.3"), server.port()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(server.stats().tcp_connections == 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    CHECK(server.stats().tcp_connections == 0);
    std::uint8_t byte = 0;
    boost::system::error_code error;
    for (auto& socket : sockets) {
        asio::read(socket, asio::buffer(&byte, 1), error);
        CHECK(error == asio::error::eof);
    }
    server.stop();
    work.reset();
    thread.join();
}

TEST_CASE("dns server: reverse lookups of container addresses", "[dns]") {
    Fixture fixture;
    UdpClient db("127.0.0.11");
    auto reply = db.ask(make_query(0x0202, "11.0.0.127.in-addr.arpa", type::ptr), fixture.server->port());
    REQUIRE(reply);
    Answer answer = decode(*reply);
    CHECK(answer.header.rcode == Rcode::no_error);
    CHECK(answer.header.answer_count == 1);
    std::string name(reply->end() - 9, reply->end());
    CHECK(name == std::string("\x02" "db" "\x04" "back" "\x00", 9));
    // web's address is on another network: forwarded, and the upstream does not know it.
    auto hidden = db.ask(make_query(0x0203, "10.0.0.127.in-addr.arpa", type::ptr), fixture.server->port());
    REQUIRE(hidden);
    CHECK(decode(*hidden).header.rcode == Rcode::name_error);
}

TEST_CASE("dns server: an upstream answer that does not echo the question is not taken", "[dns]") {
    Fixture fixture(FakeUpstream::Mode::wrong_case, std::chrono::milliseconds(200));
    UdpClient web("127.0.0.10");
    auto reply = web.ask(make_query(0x0303, upstream_name), fixture.server->port());
    REQUIRE(reply);
    CHECK(decode(*reply).header.rcode == Rcode::server_failure);
}

TEST_CASE("dns server: a TCP message that gets no answer closes the connection", "[dns]") {
    Fixture fixture;
    asio::io_context client_io;
    asio::ip::tcp::socket socket(client_io);
    socket.open(asio::ip::tcp::v4());
    socket.bind(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.10"), 0));
    socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.3"), fixture.server->port()));
    std::uint8_t empty[2] = {0, 0};
    asio::write(socket, asio::buffer(empty));
    boost::system::error_code error;
    asio::read(socket, asio::buffer(empty), error);
    CHECK(error == asio::error::eof);
}

TEST_CASE("dns server: IPv6 listener, sender and AAAA answers", "[dns]") {
    asio::io_context io;
    Table table;
    table.set_network("net", {});
    REQUIRE(table.set_endpoint("net", Endpoint{"web1", {"web"}, {v4("10.5.0.2")}, {parse_ipv6("::1").value()}, {}}).ok());
    ServerConfig config;
    config.listen = {asio::ip::make_address("::1")};
    config.port = 0;
    Server server(io, table, config);
    REQUIRE(server.start().ok());
    auto work = asio::make_work_guard(io);
    std::thread thread([&] { io.run(); });

    asio::io_context client_io;
    asio::ip::udp::socket client(client_io, asio::ip::udp::endpoint(asio::ip::make_address("::1"), 0));
    client.send_to(asio::buffer(make_query(0x0606, "web", type::aaaa)),
                   asio::ip::udp::endpoint(asio::ip::make_address("::1"), server.port()));
    Bytes reply(512);
    reply.resize(client.receive(asio::buffer(reply)));
    Header header = parse_header(reply).value();
    CHECK(header.rcode == Rcode::no_error);
    CHECK(header.answer_count == 1);
    REQUIRE(reply.size() >= 16);
    Bytes loopback(16, 0);
    loopback[15] = 1;
    CHECK(Bytes(reply.end() - 16, reply.end()) == loopback);

    server.stop();
    work.reset();
    thread.join();
}
