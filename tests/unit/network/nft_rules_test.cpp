// The compiled nft script for berth's state: tables replaced atomically, egress masquerade,
// internal networks, isolation, DNAT for published ports, x-allow sets, Docker's DOCKER-USER.
#include "network/nft_rules.hpp"

#include <catch2/catch.hpp>

using namespace network;

namespace {

Ipv4Address ip(const char* text) { return parse_ipv4(text).value(); }
Ipv4Subnet subnet(const char* text) { return parse_subnet(text).value(); }

PortBinding port(std::string host_ip, std::uint16_t host, std::uint16_t container,
                 Protocol protocol = Protocol::tcp) {
    return PortBinding{std::move(host_ip), host, container, protocol, std::nullopt};
}

NftState sample_state() {
    NftState state;
    state.networks = {{"front", "berth1", subnet("10.88.1.0/24"), false},
                      {"back", "berth2", subnet("10.88.2.0/24"), true}};
    state.endpoints = {
        {"web", "front", ip("10.88.1.2"),
         {port("", 8080, 80), port("127.0.0.1", 5353, 53, Protocol::udp), port("::1", 8081, 80)}},
        {"db", "back", ip("10.88.2.2"), {port("", 5432, 5432)}},
        {"api", "front", ip("10.88.1.3"), {}},
    };
    state.protections = {{ip("10.88.1.2"), {{{ip("10.88.1.3")}, Protocol::tcp, 80}}}};
    return state;
}

}  // namespace

TEST_CASE("nft rules: the state compiles to one script replacing berth's tables", "[nft]") {
    const std::string expected = R"(table inet berth
delete table inet berth
table bridge berth
delete table bridge berth
table inet berth {
	set bridges {
		type ifname
		elements = { "berth1", "berth2" }
	}
	set protected {
		type ipv4_addr
		elements = { 10.88.1.2 }
	}
	set allowed {
		type ipv4_addr . inet_proto . inet_service . ipv4_addr
		elements = { 10.88.1.3 . tcp . 80 . 10.88.1.2 }
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local jump publish
	}
	chain output {
		type nat hook output priority -100; policy accept;
		fib daddr type local jump publish
	}
	chain publish {
		meta nfproto ipv4 tcp dport 8080 dnat ip to 10.88.1.2:80 comment "web 8080/tcp"
		ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.88.1.2:53 comment "web 5353/udp"
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.88.1.0/24 oifname != "berth1" masquerade
		oifname "berth1" ct status dnat ip saddr 10.88.1.0/24 masquerade
		oifname "berth1" ip saddr 127.0.0.0/8 masquerade
		oifname "berth2" ct status dnat ip saddr 10.88.2.0/24 masquerade
		oifname "berth2" ip saddr 127.0.0.0/8 masquerade
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		iifname "berth1" oifname != "berth1" oifname @bridges drop
		iifname "berth2" oifname != "berth2" drop
		oifname "berth2" iifname != "berth2" drop
		ip daddr @protected jump permit
	}
	chain permit {
		ip saddr . meta l4proto . th dport . ip daddr @allowed accept
		ct status dnat accept
		drop
	}
}
)";
    CHECK(compile_ruleset(sample_state()) == expected);
}

TEST_CASE("nft rules: without br_netfilter permissions go to the bridge family", "[nft]") {
    auto state = sample_state();
    state.permission_family = PermissionFamily::bridge;
    auto script = compile_ruleset(state);
    auto bridge = script.substr(script.find("table bridge berth {"));
    auto inet = script.substr(0, script.find("table bridge berth {"));
    CHECK(inet.find("jump permit") == std::string::npos);
    CHECK(bridge == R"(table bridge berth {
	set protected {
		type ipv4_addr
		elements = { 10.88.1.2 }
	}
	set allowed {
		type ipv4_addr . inet_proto . inet_service . ipv4_addr
		elements = { 10.88.1.3 . tcp . 80 . 10.88.1.2 }
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		ether type ip ip daddr @protected jump permit
	}
	chain permit {
		ip saddr . meta l4proto . th dport . ip daddr @allowed accept
		ip daddr . meta l4proto . th sport . ip saddr @allowed accept
		tcp flags & (syn | ack) != syn accept
		drop
	}
}
)");
}

TEST_CASE("nft rules: an empty state still replaces the tables", "[nft]") {
    auto script = compile_ruleset({});
    CHECK(script.rfind("table inet berth\ndelete table inet berth\n", 0) == 0);
    CHECK(script.find("set bridges {\n\t\ttype ifname\n\t}") != std::string::npos);
    CHECK(script.find("table bridge berth {") == std::string::npos);
    CHECK(teardown_script() ==
          "table inet berth\ndelete table inet berth\ntable bridge berth\ndelete table bridge berth\n");
}

TEST_CASE("nft rules: a host port published twice is an error naming the holder", "[nft]") {
    NftState state = sample_state();
    CHECK(check_published_conflicts(state));
    SECTION("same port, wildcard against an address") {
        state.endpoints.push_back({"other", "front", ip("10.88.1.9"), {port("10.0.0.1", 8080, 80)}});
        auto conflict = check_published_conflicts(state);
        REQUIRE_FALSE(conflict);
        CHECK(conflict.error().sys_errno == EADDRINUSE);
        CHECK(conflict.error().message == "port 8080/tcp is already published by container \"web\"");
    }
    SECTION("same port on different addresses or protocols is fine") {
        state.endpoints.push_back({"other", "front", ip("10.88.1.9"),
                                   {port("10.0.0.1", 5353, 53, Protocol::udp),
                                    port("", 5432, 1, Protocol::udp)}});
        CHECK(check_published_conflicts(state));
    }
}

TEST_CASE("nft rules: DOCKER-USER gets one accept per bridge and direction, found by comment",
          "[nft]") {
    CHECK(docker_user_rules(sample_state()) ==
          std::vector<std::string>{
              "insert rule ip filter DOCKER-USER iifname \"berth1\" accept comment \"berth\"",
              "insert rule ip filter DOCKER-USER oifname \"berth1\" accept comment \"berth\"",
              "insert rule ip filter DOCKER-USER iifname \"berth2\" accept comment \"berth\"",
              "insert rule ip filter DOCKER-USER oifname \"berth2\" accept comment \"berth\""});
    const std::string listing = R"(table ip filter {
	chain DOCKER-USER { # handle 7
		oifname "berth1" accept comment "berth" # handle 12
		iifname "berth1" accept comment "berth" # handle 11
		iifname "eth0" counter packets 0 bytes 0 drop # handle 4
		counter packets 3 bytes 180 return # handle 3
	}
}
)";
    CHECK(berth_rule_handles(listing) == std::vector<int>{12, 11});
}
