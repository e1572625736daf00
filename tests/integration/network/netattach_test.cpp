// Bridge networks and container attachment end to end through the berth binary: reachability on
// a network, isolation of an internal one, the none/host modes, hot connect/disconnect, restart,
// and that rm leaves no veth, bridge, namespace mount or address behind. Every test uses its own
// bridge names and 10.213.x.0/24 subnets; the bridges are deleted by RAII even on failure.
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/berth_cli.hpp"

using nlohmann::json;
using test_support::BerthCli;
using test_support::Outcome;

namespace {

std::string random_suffix() {
    std::random_device rd;
    return fmt::format("{:05x}", rd() & 0xfffff);
}

/// The engine-wide network settings for one test (env of every berth it runs), and the
/// deletion of every bridge the test made.
struct NetworkEnv {
    std::string suffix = random_suffix();
    std::string default_bridge = "bt" + suffix + "d";
    explicit NetworkEnv(const std::string& pool) {
        ::setenv("BERTH_BRIDGE", default_bridge.c_str(), 1);
        ::setenv("BERTH_ADDRESS_POOL", pool.c_str(), 1);
    }
    ~NetworkEnv() {
        ::unsetenv("BERTH_BRIDGE");
        ::unsetenv("BERTH_ADDRESS_POOL");
        for (const auto& name : bridges())
            (void)std::system(("ip link del " + name + " >/dev/null 2>&1").c_str());
    }
    /// A user network's bridge name, owned by this test.
    std::string bridge(const std::string& tag) const { return "bt" + suffix + tag; }
    std::vector<std::string> bridges() const {
        std::vector<std::string> out;
        std::istringstream links(links_text());
        for (std::string line; std::getline(links, line);) {
            auto start = line.find(": ") + 2;
            auto name = line.substr(start, line.find_first_of(":@", start) - start);
            if (name.rfind("bt" + suffix, 0) == 0) out.push_back(name);
        }
        return out;
    }
    static std::string links_text() { return test_support::run_capture("ip -o link"); }
};

bool has_link(const std::string& name) {
    return NetworkEnv::links_text().find(" " + name + ":") != std::string::npos ||
           NetworkEnv::links_text().find(" " + name + "@") != std::string::npos;
}

std::string mounts() {
    std::ifstream in("/proc/mounts");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

Outcome ok(const BerthCli& berth, const std::vector<std::string>& args) {
    auto o = berth.run(args);
    INFO(args.at(0) << (args.size() > 1 ? " " + args[1] : "") << ": " << o.err);
    REQUIRE(o.code == 0);
    return o;
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

std::string ip_of(const BerthCli& berth, const std::string& container, const std::string& network) {
    return trimmed(ok(berth, {"inspect", "-f", "{{.NetworkSettings.Networks." + network + ".IPAddress}}",
                              container}).out);
}

int ping(const BerthCli& berth, const std::string& from, const std::string& address) {
    return berth.run({"exec", from, "ping", "-c1", "-W1", address}).code;
}

void create_network(const BerthCli& berth, const NetworkEnv& env, const std::string& name,
                    const std::string& subnet, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"network", "create", "--subnet", subnet, "-o",
                                     "com.docker.network.bridge.name=" + env.bridge(name.substr(0, 4))};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(name);
    ok(berth, args);
}

std::string sleeper(const BerthCli& berth, const std::vector<std::string>& flags) {
    std::vector<std::string> args = {"run", "-d"};
    args.insert(args.end(), flags.begin(), flags.end());
    for (const char* a : {"busybox", "sleep", "300"}) args.push_back(a);
    return trimmed(ok(berth, args).out);
}

}  // namespace

TEST_CASE("netattach: containers on a network reach each other, others do not", "[.root][netattach]") {
    REQUIRE_ROOT();
    NetworkEnv env("10.213.110.0/24");
    BerthCli berth;
    berth.import_busybox();
    create_network(berth, env, "front", "10.213.111.0/24", {"-o", "com.docker.network.driver.mtu=1400"});
    create_network(berth, env, "back", "10.213.112.0/24", {"--internal"});
    CHECK(has_link(env.bridge("fron")));
    sleeper(berth, {"--name", "web", "--network", "front"});
    sleeper(berth, {"--name", "db", "--network", "front", "--ip", "10.213.111.50",
                    "--network-alias", "database"});
    sleeper(berth, {"--name", "lonely", "--network", "back"});
    CHECK(ip_of(berth, "db", "front") == "10.213.111.50");
    CHECK(ping(berth, "web", ip_of(berth, "db", "front")) == 0);
    CHECK(ok(berth, {"exec", "web", "ip", "-o", "link", "show", "eth0"}).out.find("mtu 1400") != std::string::npos);
    CHECK(ping(berth, "db", ip_of(berth, "web", "front")) == 0);
    // An internal network has no route out of its subnet.
    CHECK(ping(berth, "lonely", ip_of(berth, "web", "front")) != 0);

    auto doc = json::parse(ok(berth, {"inspect", "db"}).out)[0];
    auto endpoint = doc["NetworkSettings"]["Networks"]["front"];
    CHECK(endpoint["Gateway"] == "10.213.111.1");
    CHECK(endpoint["IPPrefixLen"] == 24);
    CHECK(endpoint["Aliases"] == json{"database"});
    CHECK(endpoint["IPAMConfig"]["IPv4Address"] == "10.213.111.50");
    CHECK(endpoint["MacAddress"].get<std::string>().size() == 17);
    CHECK(endpoint["EndpointID"].get<std::string>().size() == 64);
    auto hosts = ok(berth, {"exec", "db", "cat", "/etc/hosts"}).out;
    CHECK(hosts.find("10.213.111.50\t") != std::string::npos);

    auto net = json::parse(ok(berth, {"network", "inspect", "front"}).out)[0];
    CHECK(net["IPAM"]["Config"][0]["Subnet"] == "10.213.111.0/24");
    CHECK(net["Containers"].size() == 2);
    auto busy = berth.run({"network", "rm", "front"});
    CHECK(busy.code != 0);
    CHECK(busy.err.find("has active endpoints") != std::string::npos);
    auto overlap = berth.run({"network", "create", "--subnet", "10.213.111.128/25", "other"});
    CHECK(overlap.code != 0);
    CHECK(overlap.err.find("front") != std::string::npos);
    auto clash = berth.run({"network", "create", "front"});
    CHECK(clash.err.find("network with name front already exists") != std::string::npos);
}

TEST_CASE("netattach: the default bridge, none and host", "[.root][netattach]") {
    REQUIRE_ROOT();
    NetworkEnv env("10.213.120.0/24");
    BerthCli berth;
    berth.import_busybox();
    auto def = ok(berth, {"run", "--rm", "busybox", "ip", "-o", "-4", "addr"}).out;
    CHECK(def.find("eth0") != std::string::npos);
    CHECK(def.find("10.213.120.") != std::string::npos);
    CHECK(has_link(env.default_bridge));
    auto none = ok(berth, {"run", "--rm", "--network", "none", "busybox", "ip", "-o", "link"}).out;
    CHECK(none.find("lo:") != std::string::npos);
    CHECK(none.find("eth0") == std::string::npos);
    auto host = ok(berth, {"run", "--rm", "--network", "host", "busybox", "ip", "-o", "link"}).out;
    CHECK(host.find(env.default_bridge) != std::string::npos);
    sleeper(berth, {"--name", "first"});
    auto doc = json::parse(ok(berth, {"inspect", "first"}).out)[0];
    CHECK(doc["NetworkSettings"]["IPAddress"].get<std::string>().rfind("10.213.120.", 0) == 0);
    CHECK(doc["HostConfig"]["NetworkMode"] == "bridge");
    // Sharing another container's namespace sees its address.
    auto shared = ok(berth, {"run", "--rm", "--network", "container:first", "busybox", "ip", "-o", "-4", "addr"}).out;
    CHECK(shared.find(doc["NetworkSettings"]["IPAddress"].get<std::string>()) != std::string::npos);
    CHECK(berth.run({"run", "--rm", "--ip", "10.213.120.9", "busybox", "true"}).code != 0);
}

TEST_CASE("netattach: connect and disconnect a running container, restart", "[.root][netattach]") {
    REQUIRE_ROOT();
    NetworkEnv env("10.213.130.0/24");
    BerthCli berth;
    berth.import_busybox();
    // Internal: no default route, so "right" is reachable only while connected (isolation
    // between networks that do have one is the packet filter's).
    create_network(berth, env, "left", "10.213.131.0/24", {"--internal"});
    create_network(berth, env, "right", "10.213.132.0/24");
    sleeper(berth, {"--name", "mover", "--network", "left"});
    sleeper(berth, {"--name", "target", "--network", "right", "--ip", "10.213.132.20"});
    ok(berth, {"network", "connect", "--alias", "mv", "right", "mover"});
    auto addrs = ok(berth, {"exec", "mover", "ip", "-o", "-4", "addr"}).out;
    CHECK(addrs.find("eth1") != std::string::npos);
    CHECK(ping(berth, "mover", "10.213.132.20") == 0);
    auto doubled = berth.run({"network", "connect", "right", "mover"});
    CHECK(doubled.code != 0);
    ok(berth, {"network", "disconnect", "right", "mover"});
    CHECK(ok(berth, {"exec", "mover", "ip", "-o", "link"}).out.find("eth1") == std::string::npos);
    CHECK(ping(berth, "mover", "10.213.132.20") != 0);
    CHECK(berth.run({"network", "disconnect", "right", "mover"}).code != 0);

    // A static address survives a restart; the attachment is rebuilt.
    ok(berth, {"restart", "-t", "0", "target"});
    CHECK(ip_of(berth, "target", "right") == "10.213.132.20");
    ok(berth, {"network", "connect", "right", "mover"});
    CHECK(ping(berth, "mover", "10.213.132.20") == 0);
    ok(berth, {"stop", "-t", "0", "target"});
    auto id = trimmed(ok(berth, {"inspect", "-f", "{{.Id}}", "target"}).out);
    CHECK(!has_link("vb" + id.substr(0, 9) + "-0"));
    ok(berth, {"start", "target"});
    CHECK(ok(berth, {"inspect", "-f", "{{.NetworkSettings.Networks.right.MacAddress}}", "target"}).out ==
          "02:42:0a:d5:84:14\n");
    CHECK(ping(berth, "mover", "10.213.132.20") == 0);
}

TEST_CASE("netattach: rm leaves no veth, namespace or address", "[.root][netattach]") {
    REQUIRE_ROOT();
    NetworkEnv env("10.213.140.0/24");
    BerthCli berth;
    berth.import_busybox();
    create_network(berth, env, "solo", "10.213.141.0/24");
    auto id = sleeper(berth, {"--network", "solo"});
    ok(berth, {"network", "connect", "bridge", id});
    CHECK(has_link("vb" + id.substr(0, 9) + "-0"));
    CHECK(has_link("vb" + id.substr(0, 9) + "-1"));
    CHECK(mounts().find(berth.root() + "/netns/" + id) != std::string::npos);
    ok(berth, {"rm", "-f", id});
    CHECK(!has_link("vb" + id.substr(0, 9) + "-0"));
    CHECK(!has_link("vb" + id.substr(0, 9) + "-1"));
    CHECK(mounts().find(berth.root() + "/netns/") == std::string::npos);
    auto ipam = json::parse(test_support::run_capture("cat " + berth.root() + "/network/ipam.json"));
    CHECK(ipam["networks"]["solo"]["addresses"].empty());
    CHECK(ipam["networks"]["bridge"]["addresses"].empty());
    // run --rm, detached: the next command sweeps what its shim could not undo.
    auto gone = trimmed(ok(berth, {"run", "-d", "--rm", "--network", "solo", "busybox", "true"}).out);
    ok(berth, {"run", "--rm", "--network", "solo", "busybox", "true"});
    for (int i = 0; i < 200 && berth.run({"inspect", gone}).code == 0; ++i) ::usleep(10000);
    ok(berth, {"network", "rm", "solo"});
    CHECK(!has_link(env.bridge("solo")));
    CHECK(NetworkEnv::links_text().find("vb") == std::string::npos);
    CHECK(mounts().find(berth.root() + "/netns/") == std::string::npos);
}

TEST_CASE("netattach: 50 create/connect/rm cycles leak nothing", "[.root][netattach]") {
    REQUIRE_ROOT();
    NetworkEnv env("10.213.150.0/24");
    BerthCli berth;
    berth.import_busybox();
    create_network(berth, env, "loop", "10.213.151.0/24");
    ok(berth, {"run", "--rm", "busybox", "true"});  // the default bridge exists from here on
    auto links_before = NetworkEnv::links_text();
    std::size_t lines_before = std::count(links_before.begin(), links_before.end(), '\n') + 1;
    for (int i = 0; i < 50; ++i) {
        auto id = trimmed(ok(berth, {"create", "--network", "loop", "busybox", "sleep", "300"}).out);
        ok(berth, {"start", id});
        ok(berth, {"network", "connect", "bridge", id});
        ok(berth, {"rm", "-f", id});
    }
    auto links_after = NetworkEnv::links_text();
    CHECK(std::size_t(std::count(links_after.begin(), links_after.end(), '\n') + 1) <= lines_before);
    CHECK(mounts().find(berth.root() + "/netns/") == std::string::npos);
    auto ipam = json::parse(test_support::run_capture("cat " + berth.root() + "/network/ipam.json"));
    CHECK(ipam["networks"]["loop"]["addresses"].empty());
    CHECK(ipam["networks"]["bridge"]["addresses"].empty());
}

TEST_CASE("netattach: network ls, filters, inspect -f, prune, and a failed create undone",
          "[.root][netattach]") {
    REQUIRE_ROOT();
    NetworkEnv env("10.213.160.0/24");
    BerthCli berth;
    create_network(berth, env, "alpha", "10.213.161.0/24",
                   {"--label", "tier=web", "--gateway", "10.213.161.254", "--ip-range", "10.213.161.128/25"});
    create_network(berth, env, "beta", "10.213.162.0/24");
    auto table = ok(berth, {"network", "ls"}).out;
    CHECK(table.rfind("NETWORK ID", 0) == 0);
    for (const char* name : {"alpha", "beta", "bridge", "host", "none"})
        CHECK(table.find(name) != std::string::npos);
    CHECK(ok(berth, {"network", "ls", "--filter", "label=tier=web", "--format", "{{.Name}}"}).out == "alpha\n");
    CHECK(ok(berth, {"network", "ls", "-f", "type=custom", "--format", "{{.Name}}"}).out == "alpha\nbeta\n");
    auto quiet = ok(berth, {"network", "ls", "-q", "--no-trunc", "-f", "name=bet"}).out;
    CHECK(quiet.size() == 65);
    CHECK(ok(berth, {"network", "inspect", "-f", "{{json .IPAM.Config}}", "alpha"}).out ==
          "[{\"Gateway\":\"10.213.161.254\",\"IPRange\":\"10.213.161.128/25\",\"Subnet\":\"10.213.161.0/24\"}]\n");
    auto alpha = json::parse(ok(berth, {"network", "inspect", "alpha"}).out)[0];
    CHECK(alpha["IPAM"]["Config"][0]["Gateway"] == "10.213.161.254");
    CHECK(alpha["IPAM"]["Config"][0]["IPRange"] == "10.213.161.128/25");
    CHECK(alpha["Labels"]["tier"] == "web");
    CHECK(ok(berth, {"network", "inspect", "-f", "{{.Name}}", quiet.substr(0, 6)}).out == "beta\n");

    // A bridge name already taken: the create fails and leaves no record and no pool.
    auto taken = berth.run({"network", "create", "--subnet", "10.213.163.0/24", "-o",
                            "com.docker.network.bridge.name=" + env.bridge("alph"), "gamma"});
    CHECK(taken.code != 0);
    CHECK(taken.err.find("already exists") != std::string::npos);
    CHECK(berth.run({"network", "inspect", "gamma"}).code != 0);
    auto ipam = json::parse(test_support::run_capture("cat " + berth.root() + "/network/ipam.json"));
    CHECK(!ipam["networks"].contains("gamma"));
    CHECK(berth.run({"network", "rm", "bridge"}).code != 0);

    auto pruned = ok(berth, {"network", "prune", "-f"}).out;
    CHECK(pruned == "Deleted Networks:\nalpha\nbeta\n");
    CHECK(!has_link(env.bridge("alph")));
    CHECK(!has_link(env.bridge("beta")));
}
