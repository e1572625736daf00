#include "engine/container/networking.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <set>

#include "engine/container/spec_builder.hpp"
#include "engine/container/store.hpp"
#include "engine/log.hpp"
#include "engine/sys/files.hpp"
#include "network/attach.hpp"
#include "network/bridge_rules.hpp"

namespace engine::container {
namespace {

using nlohmann::json;

Error invalid(std::string what) { return Error{EINVAL, std::move(what)}; }

std::string random_id() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("{:016x}{:016x}{:016x}{:016x}", rng(), rng(), rng(), rng());
}

// HostConfig.NetworkMode as Docker reads it: "" and "default" mean the default bridge.
std::string normalized_mode(const json& host_config) {
    std::string mode = host_config.value("NetworkMode", "");
    return mode.empty() || mode == "default" ? "bridge" : mode;
}

bool is_container_mode(const std::string& mode) { return mode.rfind("container:", 0) == 0; }

std::string hostname_of(const ContainerRecord& record) {
    std::string hostname = record.config.value("Hostname", "");
    return hostname.empty() ? record.id.substr(0, 12) : hostname;
}

json endpoint_entry(const network::NetworkRecord& net, const json& config) {
    json aliases = config.value("Aliases", json(nullptr));
    std::string ip;
    if (auto it = config.find("IPAMConfig"); it != config.end() && it->is_object())
        ip = it->value("IPv4Address", "");
    return {{"Name", net.name},       {"NetworkID", net.id}, {"Driver", net.driver},
            {"Aliases", aliases},     {"IPv4Address", ip},   {"EndpointID", ""},
            {"IPAddress", ""},        {"IPPrefixLen", 0},    {"Gateway", ""},
            {"MacAddress", ""},       {"HostVeth", ""},      {"Interface", ""}};
}

// Docker's own checks: addresses and aliases are for user-defined networks only.
Status check_endpoint_config(const network::NetworkRecord& net, const json& config) {
    bool user_defined = !net.predefined();
    std::string ip;
    if (auto it = config.find("IPAMConfig"); it != config.end() && it->is_object())
        ip = it->value("IPv4Address", "");
    if (!ip.empty()) {
        if (!user_defined)
            return invalid("user specified IP address is supported on user defined networks only");
        if (auto parsed = network::parse_ipv4(ip); !parsed) return parsed.error();
    }
    if (auto it = config.find("Aliases"); it != config.end() && it->is_array() && !it->empty() &&
                                            !user_defined)
        return invalid("network-scoped alias is supported only for containers in user defined networks");
    return sys::ok();
}

bool is_plugged(const json& endpoint) { return !endpoint.value("HostVeth", "").empty(); }

}  // namespace

Result<network::BridgeSettings> bridge_settings(const EngineOptions& options) {
    network::BridgeSettings settings;
    settings.default_bridge = options.default_bridge;
    if (!options.address_pools.empty()) {
        auto pools = network::parse_address_pools(options.address_pools);
        if (!pools) return pools.error();
        settings.address_pools = std::move(pools).value();
    }
    return settings;
}

Status apply_network_flags(const std::string& mode, const std::string& ip,
                           const std::vector<std::string>& aliases, json& host_config,
                           json& networking_config) {
    std::string network = mode.empty() ? "bridge" : mode;
    host_config["NetworkMode"] = network;
    if (ip.empty() && aliases.empty()) return sys::ok();
    if (network == "host" || network == "none" || is_container_mode(network))
        return invalid(fmt::format("conflicting options: --ip and --network-alias need a bridge "
                                   "network, not network mode \"{}\"", network));
    json endpoint = json::object();
    if (!ip.empty()) endpoint["IPAMConfig"] = {{"IPv4Address", ip}};
    if (!aliases.empty()) endpoint["Aliases"] = aliases;
    networking_config["EndpointsConfig"][network] = endpoint;
    return sys::ok();
}

namespace {

network::BridgeSettings settings_or_default(const EngineOptions& options, std::string& error) {
    auto settings = bridge_settings(options);
    if (settings) return settings.value();
    error = settings.error().message;
    network::BridgeSettings fallback;
    fallback.default_bridge = options.default_bridge;
    return fallback;
}

}  // namespace

Networking::Networking(const EngineOptions& options)
    : root_(options.root), networks_(options.root, settings_or_default(options, settings_error_)) {}

std::string Networking::endpoints_dir() const { return root_ + "/network/endpoints"; }
std::string Networking::endpoints_path(const std::string& id) const {
    return endpoints_dir() + "/" + id + ".json";
}
std::string Networking::netns_path(const std::string& id) const { return root_ + "/netns/" + id; }

Result<json> Networking::load(const std::string& id) const {
    auto text = sys::read_file(endpoints_path(id));
    if (!text) return text.error();
    try {
        return json::parse(text.value());
    } catch (const json::exception& e) {
        return invalid(fmt::format("parse {}: {}", endpoints_path(id), e.what()));
    }
}

Result<json> Networking::load_or_register(const ContainerRecord& record) {
    if (auto doc = load(record.id)) return doc;
    // A container created before networking was recorded: its mode alone.
    if (auto made = register_container(record, json::object()); !made) return made.error();
    return load(record.id);
}

Status Networking::save(const std::string& id, const json& doc, sys::Durability durability) const {
    if (auto made = sys::make_dirs(endpoints_dir(), 0700); !made) return made;
    return sys::write_file_atomic(endpoints_path(id), doc.dump(2) + "\n", 0600, durability);
}

Result<sys::UniqueFd> Networking::lock_container(const std::string& id) const {
    if (auto made = sys::make_dirs(endpoints_dir(), 0700); !made) return made.error();
    const std::string path = endpoints_dir() + "/" + id + ".lock";
    sys::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return sys::errno_error("open {}", path);
    while (::flock(fd.get(), LOCK_EX) != 0)
        if (errno != EINTR) return sys::errno_error("lock {}", path);
    return fd;
}

Status Networking::register_container(const ContainerRecord& record, const json& networking_config) {
    const std::string mode = normalized_mode(record.host_config);
    json endpoints_config = networking_config.is_object()
                                ? networking_config.value("EndpointsConfig", json::object())
                                : json::object();
    if (!endpoints_config.is_object()) endpoints_config = json::object();
    json doc = {{"Mode", mode}, {"Endpoints", json::array()}};
    if (is_container_mode(mode)) {
        if (mode.size() == std::string("container:").size())
            return invalid("invalid network mode \"container:\": no container named");
        if (!endpoints_config.empty())
            return invalid("conflicting options: container type network can't be used with other networks");
        return save(record.id, doc, durability_of(record));
    }
    auto primary = networks_.store().find(mode);
    if (!primary) return primary.error();
    std::vector<std::pair<network::NetworkRecord, json>> wanted;
    wanted.emplace_back(primary.value(), json::object());
    for (const auto& [name, config] : endpoints_config.items()) {
        auto net = networks_.store().find(name);
        if (!net) return net.error();
        if (net.value().id == primary.value().id) {
            wanted[0].second = config;
            continue;
        }
        if (primary.value().driver != "bridge" || net.value().driver != "bridge")
            return invalid(fmt::format("container cannot be connected to network {} in network "
                                       "mode \"{}\"", net.value().name, mode));
        wanted.emplace_back(net.value(), config);
    }
    for (const auto& [net, config] : wanted) {
        if (auto valid = check_endpoint_config(net, config); !valid) return valid;
        doc["Endpoints"].push_back(endpoint_entry(net, config));
    }
    return save(record.id, doc, durability_of(record));
}

Status Networking::attach_one(const std::string& id, json& endpoint, int slot, bool primary) {
    auto net = networks_.prepare(endpoint.value("NetworkID", ""));
    if (!net) {
        if (net.error().sys_errno == ENOENT)
            return Error{ENOENT, fmt::format("network {} not found", endpoint.value("Name", ""))};
        return net.error();
    }
    const network::NetworkRecord& record = net.value();
    auto subnet = network::parse_subnet(record.ipam_config.at(0).subnet);
    auto gateway = network::parse_ipv4(record.ipam_config.at(0).gateway);
    if (!subnet || !gateway) return invalid(fmt::format("network {} has no valid subnet", record.name));
    std::optional<network::Ipv4Address> requested;
    if (std::string ip = endpoint.value("IPv4Address", ""); !ip.empty()) {
        auto parsed = network::parse_ipv4(ip);
        if (!parsed) return parsed.error();
        requested = parsed.value();
    }
    auto address = networks_.ipam().allocate(record.name, id, requested);
    if (!address)
        return std::move(address).context(fmt::format("allocate an address on network {}", record.name)).error();
    network::Endpoint veth{record.bridge_name(),
                           network::host_veth_name(id, slot),
                           network::peer_veth_name(id, slot),
                           fmt::format("eth{}", slot),
                           address.value(),
                           subnet.value().prefix,
                           std::nullopt,
                           record.mtu()};
    if (primary && !record.internal) veth.gateway = gateway.value();
    auto mac = network::attach_endpoint(netns_path(id), veth);
    if (!mac) {
        (void)networks_.ipam().release(record.name, address.value());
        return mac.error();
    }
    endpoint["EndpointID"] = random_id();
    endpoint["IPAddress"] = address.value().to_string();
    endpoint["IPPrefixLen"] = subnet.value().prefix;
    endpoint["Gateway"] = record.internal ? "" : gateway.value().to_string();
    endpoint["MacAddress"] = mac.value();
    endpoint["HostVeth"] = veth.host_veth;
    endpoint["Interface"] = veth.interface;
    // The call site for the nftables module's per-attachment rules.
    if (auto rules = network::apply_endpoint_rules(record, id, veth.host_veth,
                                                   address.value().to_string());
        !rules) {
        detach_one(id, endpoint);
        return rules.error();
    }
    return sys::ok();
}

void Networking::detach_one(const std::string& id, json& endpoint) {
    if (!is_plugged(endpoint)) return;
    network::remove_endpoint_rules(endpoint.value("NetworkID", ""), id);
    if (auto removed = network::detach_endpoint(endpoint.value("HostVeth", "")); !removed)
        log().warn("[{}] remove veth: {}", id.substr(0, 12), removed.error().message);
    if (auto address = network::parse_ipv4(endpoint.value("IPAddress", "")))
        (void)networks_.ipam().release(endpoint.value("Name", ""), address.value());
    for (const char* key : {"EndpointID", "IPAddress", "Gateway", "MacAddress", "HostVeth", "Interface"})
        endpoint[key] = "";
    endpoint["IPPrefixLen"] = 0;
}

Status Networking::write_hosts(const ContainerRecord& record, const std::string& container_dir,
                               const json& doc) const {
    std::string text = container_hosts(hostname_of(record));
    std::string addresses;
    for (const auto& endpoint : doc["Endpoints"])
        if (is_plugged(endpoint))
            addresses += endpoint.value("IPAddress", "") + "\t" + hostname_of(record) + "\n";
    // The container's own addresses replace the loopback alias for its hostname, as in Docker.
    if (!addresses.empty()) text = text.substr(0, text.rfind("127.0.1.1")) + addresses;
    // Written in place: a running container has this very inode bind-mounted.
    std::ofstream out(container_dir + "/hosts", std::ios::trunc);
    out << text;
    out.close();
    if (!out) return sys::errno_error("write {}/hosts", container_dir);
    return sys::ok();
}

bool Networking::has_endpoints(const ContainerRecord& record) {
    const std::string mode = normalized_mode(record.host_config);
    return mode != "host" && mode != "none";
}

Status Networking::attach(const ContainerRecord& record, const std::string& container_dir,
                          runtime::ContainerSpec& spec, const RunningPid& running_pid) {
    if (!has_endpoints(record)) {  // no locks or files: `run --network none` stays as fast as before
        spec.host_network = normalized_mode(record.host_config) == "host";
        return sys::ok();
    }
    auto lock = lock_container(record.id);
    if (!lock) return lock.error();
    teardown_locked(record.id);
    auto doc = load_or_register(record);
    if (!doc) return doc.error();
    json& state = doc.value();
    const std::string mode = state.value("Mode", "none");
    if (is_container_mode(mode)) {
        auto pid = running_pid(mode.substr(std::string("container:").size()));
        if (!pid) return pid.error();
        spec.netns_path = fmt::format("/proc/{}/ns/net", pid.value());
        return sys::ok();
    }
    bool any_bridge = false;
    for (const auto& endpoint : state["Endpoints"])
        any_bridge = any_bridge || endpoint.value("Driver", "") == "bridge";
    if (!any_bridge) return sys::ok();  // "none": the runtime's own empty namespace
    if (!settings_error_.empty()) return invalid(settings_error_);
    if (auto created = network::create_netns(netns_path(record.id)); !created) return created;
    int slot = 0;
    for (auto& endpoint : state["Endpoints"]) {
        if (endpoint.value("Driver", "") != "bridge") continue;
        if (auto made = attach_one(record.id, endpoint, slot, slot == 0); !made) {
            (void)save(record.id, state);
            teardown_locked(record.id);
            return std::move(made).context(fmt::format("attach container {} to network {}",
                                                       record.name, endpoint.value("Name", "")));
        }
        ++slot;
    }
    state["Netns"] = netns_path(record.id);
    if (auto saved = save(record.id, state); !saved) {
        teardown_locked(record.id);
        return saved;
    }
    if (auto hosts = write_hosts(record, container_dir, state); !hosts) return hosts;
    spec.netns_path = netns_path(record.id);
    return sys::ok();
}

void Networking::teardown(const std::string& id) {
    auto lock = lock_container(id);
    if (!lock) log().warn("[{}] {}", id.substr(0, 12), lock.error().message);
    teardown_locked(id);
}

void Networking::teardown_locked(const std::string& id) {
    if (auto doc = load(id)) {
        bool changed = false;
        for (auto& endpoint : doc.value()["Endpoints"]) {
            changed = changed || is_plugged(endpoint);
            detach_one(id, endpoint);
        }
        if (doc.value().contains("Netns")) {
            doc.value().erase("Netns");
            changed = true;
        }
        if (changed) (void)save(id, doc.value());
    }
    if (auto removed = network::remove_netns(netns_path(id)); !removed)
        log().warn("[{}] {}", id.substr(0, 12), removed.error().message);
    release_leftover_addresses(id);
}

void Networking::release_leftover_addresses(const std::string& id) {
    // Addresses a crash left allocated between IPAM and the endpoint file: IPAM knows their owner.
    auto owns_any = [&](const network::IpamState& state) {
        for (const auto& [name, pool] : state.networks)
            for (const auto& [address, owner] : pool.allocated)
                if (owner == id) return true;
        return false;
    };
    auto state = networks_.ipam().load();
    if (!state || !owns_any(state.value())) return;
    auto released = networks_.ipam().update([&](network::IpamState& current) -> Status {
        for (auto& [name, pool] : current.networks)
            std::erase_if(pool.allocated, [&](const auto& entry) { return entry.second == id; });
        return sys::ok();
    });
    if (!released) log().warn("[{}] release addresses: {}", id.substr(0, 12), released.error().message);
}

void Networking::forget(const std::string& id) {
    auto lock = lock_container(id);
    teardown_locked(id);
    ::unlink(endpoints_path(id).c_str());
    ::unlink((endpoints_dir() + "/" + id + ".lock").c_str());
}

void Networking::sweep(const std::function<bool(const std::string& id)>& container_exists) {
    std::set<std::string> ids;
    for (const std::string& dir : {endpoints_dir(), root_ + "/netns"}) {
        DIR* d = ::opendir(dir.c_str());
        if (!d) continue;
        while (dirent* entry = ::readdir(d)) {
            std::string name = entry->d_name;
            if (name.ends_with(".json")) name.resize(name.size() - 5);
            if (name.size() == 64) ids.insert(name);
        }
        ::closedir(d);
    }
    if (auto state = networks_.ipam().load())
        for (const auto& [name, pool] : state.value().networks)
            for (const auto& [address, owner] : pool.allocated)
                if (owner.size() == 64) ids.insert(owner);
    for (const auto& id : ids)
        if (!container_exists(id)) forget(id);
}

Status Networking::connect(const ContainerRecord& record, bool running,
                           const std::string& container_dir, const std::string& network_ref,
                           const std::string& ip, const std::vector<std::string>& aliases) {
    auto lock = lock_container(record.id);
    if (!lock) return lock.error();
    auto doc = load_or_register(record);
    if (!doc) return doc.error();
    json& state = doc.value();
    const std::string mode = state.value("Mode", "none");
    auto net = networks_.store().find(network_ref);
    if (!net) return net.error();
    if (mode == "host" || mode == "none" || is_container_mode(mode) || net.value().driver != "bridge")
        return invalid(fmt::format("container {} in network mode \"{}\" cannot be connected to "
                                   "network {}", record.name, mode, net.value().name));
    std::set<std::string> used;
    for (const auto& endpoint : state["Endpoints"]) {
        if (endpoint.value("NetworkID", "") == net.value().id)
            return Error{EEXIST, fmt::format("endpoint with name {} already exists in network {}",
                                             record.name, net.value().name)};
        if (is_plugged(endpoint)) used.insert(endpoint.value("Interface", ""));
    }
    json config = json::object();
    if (!ip.empty()) config["IPAMConfig"] = {{"IPv4Address", ip}};
    if (!aliases.empty()) config["Aliases"] = aliases;
    if (auto valid = check_endpoint_config(net.value(), config); !valid) return valid;
    json endpoint = endpoint_entry(net.value(), config);
    if (running && network::netns_mounted(netns_path(record.id))) {
        int slot = 0;
        while (used.count(fmt::format("eth{}", slot))) ++slot;
        if (auto made = attach_one(record.id, endpoint, slot, used.empty()); !made) return made;
    }
    state["Endpoints"].push_back(endpoint);
    if (auto saved = save(record.id, state); !saved) return saved;
    if (running) return write_hosts(record, container_dir, state);
    return sys::ok();
}

Status Networking::disconnect(const ContainerRecord& record, bool running,
                              const std::string& container_dir, const std::string& network_ref) {
    auto net = networks_.store().find(network_ref);
    if (!net) return net.error();
    auto lock = lock_container(record.id);
    if (!lock) return lock.error();
    auto doc = load(record.id);
    if (!doc)
        return invalid(fmt::format("container {} is not connected to network {}", record.id,
                                   net.value().name));
    json& endpoints = doc.value()["Endpoints"];
    for (auto it = endpoints.begin(); it != endpoints.end(); ++it) {
        if (it->value("NetworkID", "") != net.value().id) continue;
        if (net.value().driver != "bridge")
            return invalid(fmt::format("container cannot be disconnected from network {}",
                                       net.value().name));
        detach_one(record.id, *it);
        endpoints.erase(it);
        if (auto saved = save(record.id, doc.value()); !saved) return saved;
        if (running) return write_hosts(record, container_dir, doc.value());
        return sys::ok();
    }
    return invalid(fmt::format("container {} is not connected to network {}", record.id,
                               net.value().name));
}

json Networking::settings(const ContainerRecord& record) const {
    auto doc = load(record.id);
    json networks = json::object();
    json settings = {{"Bridge", ""}, {"SandboxID", ""}, {"SandboxKey", ""}, {"HairpinMode", false},
                     {"LinkLocalIPv6Address", ""}, {"LinkLocalIPv6PrefixLen", 0},
                     {"Ports", json::object()}, {"SecondaryIPAddresses", nullptr},
                     {"SecondaryIPv6Addresses", nullptr}, {"EndpointID", ""}, {"Gateway", ""},
                     {"GlobalIPv6Address", ""}, {"GlobalIPv6PrefixLen", 0}, {"IPAddress", ""},
                     {"IPPrefixLen", 0}, {"IPv6Gateway", ""}, {"MacAddress", ""}};
    if (!doc) {
        settings["Networks"] = networks;
        return settings;
    }
    if (doc.value().contains("Netns")) settings["SandboxKey"] = doc.value()["Netns"];
    for (const auto& endpoint : doc.value()["Endpoints"]) {
        json ipam_config = nullptr;
        if (std::string ip = endpoint.value("IPv4Address", ""); !ip.empty())
            ipam_config = {{"IPv4Address", ip}};
        json entry = {{"IPAMConfig", ipam_config},
                      {"Links", nullptr},
                      {"Aliases", endpoint.value("Aliases", json(nullptr))},
                      {"NetworkID", endpoint.value("NetworkID", "")},
                      {"EndpointID", endpoint.value("EndpointID", "")},
                      {"Gateway", endpoint.value("Gateway", "")},
                      {"IPAddress", endpoint.value("IPAddress", "")},
                      {"IPPrefixLen", endpoint.value("IPPrefixLen", 0)},
                      {"IPv6Gateway", ""},
                      {"GlobalIPv6Address", ""},
                      {"GlobalIPv6PrefixLen", 0},
                      {"MacAddress", endpoint.value("MacAddress", "")},
                      {"DriverOpts", nullptr}};
        // Docker mirrors the default bridge's endpoint at the top level (deprecated fields).
        if (endpoint.value("Name", "") == "bridge")
            for (const char* key : {"EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "MacAddress"})
                settings[key] = entry[key];
        networks[endpoint.value("Name", "")] = entry;
    }
    settings["Networks"] = networks;
    return settings;
}

json Networking::attached_containers(const std::string& network_id,
                          const std::function<std::string(const std::string&)>& name_of) const {
    json out = json::object();
    DIR* d = ::opendir(endpoints_dir().c_str());
    if (!d) return out;
    std::vector<std::string> ids;
    while (dirent* entry = ::readdir(d)) {
        std::string name = entry->d_name;
        if (name.size() == 64 + 5 && name.ends_with(".json")) ids.push_back(name.substr(0, 64));
    }
    ::closedir(d);
    for (const auto& id : ids) {
        auto doc = load(id);
        if (!doc) continue;
        for (const auto& endpoint : doc.value()["Endpoints"])
            if (endpoint.value("NetworkID", "") == network_id && is_plugged(endpoint))
                out[id] = {{"Name", name_of(id)},
                           {"EndpointID", endpoint.value("EndpointID", "")},
                           {"MacAddress", endpoint.value("MacAddress", "")},
                           {"IPv4Address", fmt::format("{}/{}", endpoint.value("IPAddress", ""),
                                                       endpoint.value("IPPrefixLen", 0))},
                           {"IPv6Address", ""}};
    }
    return out;
}

std::vector<std::string> Networking::users(const std::string& network_id) const {
    std::vector<std::string> out;
    DIR* d = ::opendir(endpoints_dir().c_str());
    if (!d) return out;
    std::vector<std::string> ids;
    while (dirent* entry = ::readdir(d)) {
        std::string name = entry->d_name;
        if (name.size() == 64 + 5 && name.ends_with(".json")) ids.push_back(name.substr(0, 64));
    }
    ::closedir(d);
    for (const auto& id : ids)
        if (auto doc = load(id))
            for (const auto& endpoint : doc.value()["Endpoints"])
                if (endpoint.value("NetworkID", "") == network_id) out.push_back(id);
    return out;
}

Status Networking::remove_network(const std::string& ref) {
    auto net = networks_.store().find(ref);
    if (!net) return net.error();
    if (net.value().predefined())
        return Error{EPERM, fmt::format("{} is a pre-defined network and cannot be removed",
                                        net.value().name)};
    auto lock = networks_.store().lock();
    if (!lock) return lock.error();
    if (!users(net.value().id).empty())
        return Error{EBUSY, fmt::format("error while removing network: network {} id {} has active "
                                        "endpoints", net.value().name, net.value().id)};
    return networks_.remove(net.value());
}

void forget_networking(const EngineOptions& options, const std::string& id) {
    Networking(options).forget(id);
}

}  // namespace engine::container
