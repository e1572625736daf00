// Compiles berth's network state into one nft script. Written by hand: libnftables takes text
// and no library models a netavark-like ruleset.
//
// table inet berth
//   prerouting (nat, dstnat) ── fib daddr type local ─┐
//   output     (nat, dstnat) ── fib daddr type local ─┴─► publish: dnat to container:port
//   postrouting (nat, srcnat): subnet leaving by another interface → masquerade (egress);
//                              DNAT'd from its own subnet → masquerade (hairpin);
//                              127.0.0.0/8 into a bridge → masquerade (route_localnet)
//   forward (filter): established → accept; internal bridges sealed; berth bridges isolated
//                     from each other; protected address → permit (x-allow) else accept
// table bridge berth (only without br_netfilter): forward: protected address → permit
#include "network/nft_rules.hpp"

#include <map>
#include <set>
#include <sstream>

namespace network {

namespace {

using Lines = std::vector<std::string>;

const NftNetwork* find_network(const NftState& state, const std::string& name) {
    for (const auto& network : state.networks)
        if (network.name == name) return &network;
    return nullptr;
}

bool is_ipv6(const std::string& ip) { return ip.find(':') != std::string::npos; }

// "" and "0.0.0.0" both mean every IPv4 address.
std::string ipv4_host(const std::string& host_ip) { return host_ip == "0.0.0.0" ? "" : host_ip; }

std::string quoted_list(const std::set<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "\"" : ", \"") + item + "\"";
    return out;
}

// One DNAT rule per published port. IPv6 host addresses get none: containers have IPv4
// addresses only, and NAT64 is not something berth does.
Lines publish_rules(const NftState& state) {
    Lines rules;
    for (const auto& endpoint : state.endpoints) {
        auto* network = find_network(state, endpoint.network);
        if (!network || network->internal) continue;
        for (const auto& port : endpoint.ports) {
            if (is_ipv6(port.host_ip) || port.host_port == 0) continue;
            auto host = ipv4_host(port.host_ip);
            auto proto = to_string(port.protocol);
            rules.push_back(fmt::format(
                "{}{} dport {} dnat ip to {}:{} comment \"{} {}/{}\"",
                host.empty() ? "meta nfproto ipv4 " : "ip daddr " + host + " ", proto,
                port.host_port, endpoint.address.to_string(), port.container_port,
                endpoint.container, port.host_port, proto));
        }
    }
    return rules;
}

Lines postrouting_rules(const NftState& state) {
    Lines rules;
    for (const auto& network : state.networks) {
        auto subnet = network.subnet.to_string();
        if (!network.internal)
            rules.push_back(fmt::format("ip saddr {} oifname != \"{}\" masquerade", subnet,
                                        network.bridge));
        // Hairpin: a container reaching a published port of its own network must see the
        // reply come back from the host address it dialled, not from its neighbour directly.
        rules.push_back(fmt::format("oifname \"{}\" ct status dnat ip saddr {} masquerade",
                                    network.bridge, subnet));
        // The host dialling 127.0.0.1:port: route_localnet lets the packet leave, but its
        // source must not stay 127.0.0.1 (the container would answer its own loopback).
        rules.push_back(fmt::format("oifname \"{}\" ip saddr 127.0.0.0/8 masquerade", network.bridge));
    }
    return rules;
}

Lines forward_rules(const NftState& state) {
    Lines rules{"ct state established,related accept"};
    std::set<std::string> bridges;
    for (const auto& network : state.networks) bridges.insert(network.bridge);
    for (const auto& network : state.networks) {
        const auto& bridge = network.bridge;
        if (network.internal) {
            rules.push_back(fmt::format("iifname \"{0}\" oifname != \"{0}\" drop", bridge));
            rules.push_back(fmt::format("oifname \"{0}\" iifname != \"{0}\" drop", bridge));
        } else if (bridges.size() > 1) {
            // Like Docker, containers of different networks do not reach each other.
            rules.push_back(fmt::format("iifname \"{0}\" oifname != \"{0}\" oifname @bridges drop",
                                        bridge));
        }
    }
    if (state.permission_family == PermissionFamily::inet && !state.protections.empty())
        rules.push_back("ip daddr @protected jump permit");
    return rules;
}

// The permit chain: listed (source, proto, port) pairs, published ports (DNAT'd from the host
// or outside), nothing else. The host itself reaches containers through output, not forward.
Lines permit_rules(PermissionFamily family) {
    Lines rules{"ip saddr . meta l4proto . th dport . ip daddr @allowed accept"};
    if (family == PermissionFamily::inet) {
        rules.push_back("ct status dnat accept");
    } else {
        // No conntrack here: a reply is a packet from the allowed port back to the allowed
        // source, the same set looked up the other way round. TCP segments other than a bare
        // SYN cannot open a connection, so they pass (replies to connections the protected
        // container opened); UDP replies from unlisted peers are lost in this mode.
        rules.push_back("ip daddr . meta l4proto . th sport . ip saddr @allowed accept");
        rules.push_back("tcp flags & (syn | ack) != syn accept");
    }
    rules.push_back("drop");
    return rules;
}

std::string allowed_elements(const NftState& state) {
    std::set<std::string> elements;
    for (const auto& protection : state.protections)
        for (const auto& allow : protection.allow)
            for (const auto& source : allow.sources)
                elements.insert(fmt::format("{} . {} . {} . {}", source.to_string(),
                                            to_string(allow.protocol), allow.port,
                                            protection.address.to_string()));
    std::string out;
    for (const auto& element : elements) out += (out.empty() ? "" : ", ") + element;
    return out;
}

std::string protected_elements(const NftState& state) {
    std::set<std::string> addresses;
    for (const auto& protection : state.protections)
        addresses.insert(protection.address.to_string());
    std::string out;
    for (const auto& address : addresses) out += (out.empty() ? "" : ", ") + address;
    return out;
}

void write_set(std::ostringstream& out, std::string_view name, std::string_view type,
               const std::string& elements) {
    out << fmt::format("\tset {} {{\n\t\ttype {}\n", name, type);
    if (!elements.empty()) out << fmt::format("\t\telements = {{ {} }}\n", elements);
    out << "\t}\n";
}

void write_chain(std::ostringstream& out, std::string_view name, std::string_view hook,
                 const Lines& rules) {
    out << fmt::format("\tchain {} {{\n", name);
    if (!hook.empty()) out << fmt::format("\t\t{}\n", hook);
    for (const auto& rule : rules) out << "\t\t" << rule << "\n";
    out << "\t}\n";
}

void write_permission_sets(std::ostringstream& out, const NftState& state) {
    write_set(out, "protected", "ipv4_addr", protected_elements(state));
    write_set(out, "allowed", "ipv4_addr . inet_proto . inet_service . ipv4_addr",
              allowed_elements(state));
}

void write_inet_table(std::ostringstream& out, const NftState& state) {
    std::set<std::string> bridges;
    for (const auto& network : state.networks) bridges.insert(network.bridge);
    out << "table inet berth {\n";
    write_set(out, "bridges", "ifname", quoted_list(bridges));
    write_permission_sets(out, state);
    const Lines to_publish{"fib daddr type local jump publish"};
    write_chain(out, "prerouting", "type nat hook prerouting priority dstnat; policy accept;",
                to_publish);
    write_chain(out, "output", "type nat hook output priority -100; policy accept;", to_publish);
    write_chain(out, "publish", "", publish_rules(state));
    write_chain(out, "postrouting", "type nat hook postrouting priority srcnat; policy accept;",
                postrouting_rules(state));
    write_chain(out, "forward", "type filter hook forward priority filter; policy accept;",
                forward_rules(state));
    write_chain(out, "permit", "", permit_rules(PermissionFamily::inet));
    out << "}\n";
}

void write_bridge_table(std::ostringstream& out, const NftState& state) {
    out << "table bridge berth {\n";
    write_permission_sets(out, state);
    write_chain(out, "forward", "type filter hook forward priority filter; policy accept;",
                {"ether type ip ip daddr @protected jump permit"});
    write_chain(out, "permit", "", permit_rules(PermissionFamily::bridge));
    out << "}\n";
}

}  // namespace

Status check_published_conflicts(const NftState& state) {
    // (protocol, port) → host ip → container; "" is the wildcard.
    std::map<std::pair<Protocol, std::uint16_t>, std::map<std::string, std::string>> seen;
    for (const auto& endpoint : state.endpoints) {
        for (const auto& port : endpoint.ports) {
            auto& holders = seen[{port.protocol, port.host_port}];
            auto host = ipv4_host(port.host_ip);
            for (const auto& [ip, container] : holders) {
                if (!(ip == host || ip.empty() || host.empty()) || container == endpoint.container)
                    continue;
                return Error{EADDRINUSE,
                             fmt::format("port {}/{} is already published by container \"{}\"",
                                         port.host_port, to_string(port.protocol), container)};
            }
            holders.emplace(host, endpoint.container);
        }
    }
    return engine::sys::ok();
}

std::string compile_ruleset(const NftState& state) {
    std::ostringstream out;
    out << "table inet berth\ndelete table inet berth\n";
    out << "table bridge berth\ndelete table bridge berth\n";
    write_inet_table(out, state);
    if (state.permission_family == PermissionFamily::bridge && !state.protections.empty())
        write_bridge_table(out, state);
    return out.str();
}

std::string teardown_script() {
    return "table inet berth\ndelete table inet berth\n"
           "table bridge berth\ndelete table bridge berth\n";
}

std::vector<std::string> docker_user_rules(const NftState& state) {
    std::set<std::string> bridges;
    for (const auto& network : state.networks) bridges.insert(network.bridge);
    std::vector<std::string> rules;
    // Plain iifname/oifname/accept/comment rules: iptables-nft can still list and edit the
    // chain (it maps them to -i/-o/-j ACCEPT/-m comment).
    for (const auto& bridge : bridges) {
        for (const char* direction : {"iifname", "oifname"})
            rules.push_back(fmt::format("insert rule ip filter DOCKER-USER {} \"{}\" accept "
                                        "comment \"{}\"",
                                        direction, bridge, kForeignRuleComment));
    }
    return rules;
}

std::vector<int> berth_rule_handles(std::string_view listing) {
    std::vector<int> handles;
    const auto marker = fmt::format("comment \"{}\" # handle ", kForeignRuleComment);
    std::istringstream lines{std::string(listing)};
    for (std::string line; std::getline(lines, line);) {
        auto at = line.find(marker);
        if (at == std::string::npos) continue;
        handles.push_back(std::atoi(line.c_str() + at + marker.size()));
    }
    return handles;
}

}  // namespace network
