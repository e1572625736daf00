// Port specs: every docker -p form, every error, `berth port` lines, /proc socket tables and the
// bind-based busy check (on 127.0.0.1, which needs no root and sends nothing).
#include "network/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/sys/unique_fd.hpp"

using namespace network;

namespace {

PortSpec parse(std::string_view spec) {
    auto parsed = parse_port_spec(spec);
    INFO(spec << ": " << (parsed ? "" : parsed.error().message));
    REQUIRE(parsed);
    return parsed.value();
}

std::string error_of(std::string_view spec) {
    auto parsed = parse_port_spec(spec);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().sys_errno == EINVAL);
    return parsed.error().message;
}

std::vector<std::string> expanded(std::string_view spec) {
    std::vector<std::string> out;
    for (const auto& binding : expand_port_spec(parse(spec))) out.push_back(binding.to_string());
    return out;
}

// A TCP listener on 127.0.0.1 at a kernel-chosen port.
struct Listener {
    engine::sys::UniqueFd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    std::uint16_t port = 0;
    Listener() {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd.get(), 1) == 0);
        socklen_t length = sizeof address;
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length);
        port = ntohs(address.sin_port);
    }
};

}  // namespace

TEST_CASE("ports: every -p form parses", "[ports]") {
    SECTION("container port only: ephemeral host port on every address") {
        auto spec = parse("80");
        CHECK(spec.host_ip.empty());
        CHECK(spec.host == PortRange{0, 0});
        CHECK(spec.container == PortRange{80, 80});
        CHECK(spec.protocol == Protocol::tcp);
    }
    SECTION("host and container port") {
        auto spec = parse("8080:80");
        CHECK(spec.host == PortRange{8080, 8080});
        CHECK(spec.container == PortRange{80, 80});
    }
    SECTION("host IP, IPv4 and loopback") {
        CHECK(parse("127.0.0.1:8080:80").host_ip == "127.0.0.1");
        CHECK(parse("0.0.0.0:8080:80/udp").protocol == Protocol::udp);
    }
    SECTION("host IP with an ephemeral port") {
        auto spec = parse("127.0.0.1::80");
        CHECK(spec.host_ip == "127.0.0.1");
        CHECK(spec.host == PortRange{0, 0});
    }
    SECTION("IPv6 host IP, bracketed or not") {
        CHECK(parse("[::1]:8080:80").host_ip == "::1");
        CHECK(parse("[2001:db8::1]::80/udp").host_ip == "2001:db8::1");
        CHECK(parse("::1:8080:80").host_ip == "::1");
    }
    SECTION("protocols") {
        CHECK(parse("53/udp").protocol == Protocol::udp);
        CHECK(parse("53/tcp").protocol == Protocol::tcp);
        CHECK(parse("9/sctp").protocol == Protocol::sctp);
    }
    SECTION("ranges") {
        auto spec = parse("8000-8002:9000-9002/udp");
        CHECK(spec.host == PortRange{8000, 8002});
        CHECK(spec.container == PortRange{9000, 9002});
        CHECK(parse("9000-9001").container == PortRange{9000, 9001});
        CHECK(parse("8000-8010:80").host == PortRange{8000, 8010});
    }
}

TEST_CASE("ports: specs expand to one binding per container port", "[ports]") {
    CHECK(expanded("8000-8001:90-91/udp") ==
          std::vector<std::string>{"0.0.0.0:8000->90/udp", "0.0.0.0:8001->91/udp"});
    CHECK(expanded("[::1]:8080:80") == std::vector<std::string>{"[::1]:8080->80/tcp"});
    CHECK(expanded("127.0.0.1::80") == std::vector<std::string>{"127.0.0.1:0->80/tcp"});
    auto from_range = expand_port_spec(parse("8000-8010:80"));
    REQUIRE(from_range.size() == 1);
    CHECK(from_range[0].host_port == 0);
    CHECK(from_range[0].host_range == PortRange{8000, 8010});
}

TEST_CASE("ports: bad specs are rejected with the reason", "[ports]") {
    CHECK(error_of("") == "invalid port spec \"\": no container port");
    CHECK(error_of("8080:") == "invalid port spec \"8080:\": no container port");
    CHECK(error_of("http") == "invalid port spec \"http\": invalid container port \"http\"");
    CHECK(error_of("0") == "invalid port spec \"0\": container port 0 is out of range 1-65535");
    CHECK(error_of("70000") == "invalid port spec \"70000\": invalid container port \"70000\"");
    CHECK(error_of("x:80") == "invalid port spec \"x:80\": invalid host port \"x\"");
    CHECK(error_of("-1:80") == "invalid port spec \"-1:80\": invalid host port \"-1\"");
    CHECK(error_of("80/icmp") == "invalid port spec \"80/icmp\": invalid protocol \"icmp\"");
    CHECK(error_of("80/") == "invalid port spec \"80/\": invalid protocol \"\"");
    CHECK(error_of("1.2.3:80:80") == "invalid port spec \"1.2.3:80:80\": invalid host IP \"1.2.3\"");
    CHECK(error_of("[::1:80:80") == "invalid port spec \"[::1:80:80\": invalid host IP \"[::1\"");
    CHECK(error_of("90-80") ==
          "invalid port spec \"90-80\": invalid container port range \"90-80\": end before start");
    CHECK(error_of("8000-8001:80-82") ==
          "invalid port spec \"8000-8001:80-82\": host range 8000-8001 and container range 80-82 "
          "differ in size");
    CHECK(error_of("0-10:80") == "invalid port spec \"0-10:80\": host port range may not start at 0");
    CHECK(error_of("80-") == "invalid port spec \"80-\": invalid container port \"80-\"");
}

TEST_CASE("ports: `berth port` lines follow docker's form", "[ports]") {
    std::vector<PortBinding> bindings{{"", 8080, 80, Protocol::tcp, std::nullopt},
                                      {"::1", 5353, 53, Protocol::udp, std::nullopt},
                                      {"127.0.0.1", 9000, 9000, Protocol::tcp, std::nullopt}};
    CHECK(port_lines(bindings) == std::vector<std::string>{"80/tcp -> 0.0.0.0:8080",
                                                           "53/udp -> [::1]:5353",
                                                           "9000/tcp -> 127.0.0.1:9000"});
}

TEST_CASE("ports: /proc/net socket tables yield listening ports and inodes", "[ports]") {
    const std::string table =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0\n"
        "   1: 0100007F:0050 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0\n"
        "garbage\n";
    auto tcp = parse_proc_net_sockets(table, true);
    REQUIRE(tcp.size() == 1);
    CHECK(tcp[0].port == 8080);
    CHECK(tcp[0].inode == 4242);
    CHECK(parse_proc_net_sockets(table, false).size() == 2);  // UDP has no LISTEN state
}

TEST_CASE("ports: a busy port names its holder, a free one passes", "[ports]") {
    Listener listener;
    auto busy = check_port_free("127.0.0.1", listener.port, Protocol::tcp);
    REQUIRE_FALSE(busy);
    CHECK(busy.error().sys_errno == EADDRINUSE);
    auto comm = std::string(program_invocation_short_name).substr(0, 15);
    CHECK(busy.error().message == fmt::format("port 127.0.0.1:{}/tcp is already in use by pid {} ({})",
                                              listener.port, ::getpid(), comm));
    // The wildcard address conflicts with the loopback listener too.
    CHECK_FALSE(check_port_free("", listener.port, Protocol::tcp));
    CHECK(check_port_free("127.0.0.1", listener.port, Protocol::udp));
}

TEST_CASE("ports: ephemeral and range bindings get free host ports", "[ports]") {
    Listener listener;
    std::vector<PortBinding> bindings{
        {"127.0.0.1", 0, 80, Protocol::tcp, std::nullopt},
        {"127.0.0.1", 0, 81, Protocol::tcp, PortRange{listener.port, listener.port}},
    };
    auto none_free = resolve_host_ports(bindings);
    REQUIRE_FALSE(none_free);
    CHECK(none_free.error().message ==
          fmt::format("no free host port in range {0}-{0} for 81/tcp", listener.port));

    bindings[1].host_range = PortRange{listener.port, static_cast<std::uint16_t>(listener.port + 1)};
    auto resolved = resolve_host_ports(bindings, {});
    if (!resolved) WARN(resolved.error().message);  // listener.port + 1 may be taken by chance
    if (resolved) {
        CHECK(resolved.value()[0].host_port != 0);
        CHECK(resolved.value()[1].host_port == listener.port + 1);
        CHECK_FALSE(resolved.value()[1].host_range);
    }
    auto taken = resolve_host_ports({{"127.0.0.1", 8080, 80, Protocol::tcp, std::nullopt}}, {8080});
    REQUIRE_FALSE(taken);
    CHECK(taken.error().message == "port 8080/tcp is already published by berth");
}
