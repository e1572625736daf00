#include "network/bridge.hpp"

#include "engine/sys/clock.hpp"
#include "network/bridge_rules.hpp"
#include "network/log.hpp"
#include "network/netlink.hpp"

namespace network {
namespace {

Error invalid(std::string what) { return Error{EINVAL, std::move(what)}; }

// Pools are split into at most this many subnets: enough for any test or host.
constexpr std::uint64_t kMaxPoolSubnets = 4096;

Status split_pool(const Ipv4Subnet& pool, int size, std::vector<Ipv4Subnet>& out) {
    std::uint64_t count = std::uint64_t{1} << (size - pool.prefix);
    if (count > kMaxPoolSubnets) count = kMaxPoolSubnets;
    std::uint64_t step = std::uint64_t{1} << (32 - size);
    for (std::uint64_t i = 0; i < count; ++i)
        out.push_back({Ipv4Address{static_cast<std::uint32_t>(pool.base.value + i * step)}, size});
    return engine::sys::ok();
}

Status check_host_routes(const Ipv4Subnet& subnet, const std::vector<Ipv4Subnet>& routes) {
    for (const auto& route : routes)
        if (route.prefix > 0 && route.overlaps(subnet))
            return invalid(fmt::format("subnet \"{}\" overlaps with a host route to {}",
                                       subnet.to_string(), route.to_string()));
    return engine::sys::ok();
}

Status ignore(Status status, int err) {
    if (!status && status.error().sys_errno == err) return engine::sys::ok();
    return status;
}

// Everything a failed create has made so far, undone in reverse on destruction.
struct CreateRollback {
    Networks& networks;
    std::string name;
    std::string bridge;
    bool pool = false;
    bool done = false;
    ~CreateRollback() {
        if (done) return;
        if (!bridge.empty())
            if (auto sock = RouteSocket::open())
                (void)delete_link(sock.value(), bridge);
        if (pool) (void)networks.ipam().remove_network(name);
    }
};

}  // namespace

Result<std::vector<Ipv4Subnet>> parse_address_pools(std::string_view text) {
    std::vector<Ipv4Subnet> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        std::string entry(text.substr(start, comma - start));
        start = comma + 1;
        if (entry.empty()) continue;
        auto bad = [&] { return invalid(fmt::format("invalid address pool \"{}\"", entry)); };
        auto first = entry.find('/');
        auto second = first == std::string::npos ? first : entry.find('/', first + 1);
        auto pool = parse_subnet(entry.substr(0, second));
        if (!pool) return std::move(pool).context(fmt::format("address pool \"{}\"", entry)).error();
        int size = pool.value().prefix;
        if (second != std::string::npos) {
            try {
                size = std::stoi(entry.substr(second + 1));
            } catch (const std::exception&) {
                return bad();
            }
            if (size < pool.value().prefix || size > 30) return bad();
        }
        if (auto split = split_pool(pool.value(), size, out); !split) return split.error();
    }
    return out;
}

Networks::Networks(const std::string& root, BridgeSettings settings)
    : store_(root, settings.default_bridge), ipam_(root), settings_(std::move(settings)) {}

Result<Ipv4Subnet> Networks::choose_subnet(const std::vector<Ipv4Subnet>& host_routes) const {
    auto state = ipam_.load();
    if (!state) return state.error();
    const auto& pools = settings_.address_pools.empty() ? default_pools() : settings_.address_pools;
    for (const auto& pool : pools) {
        bool taken = !check_host_routes(pool, host_routes).ok();
        for (const auto& [name, other] : state.value().networks)
            taken = taken || other.subnet.overlaps(pool);
        if (!taken) return pool;
    }
    return invalid("no available address pool: every pool overlaps a network or a host route");
}

Status Networks::ensure_bridge(const NetworkRecord& record, bool adopt_existing) {
    auto sock = RouteSocket::open();
    if (!sock) return sock.error();
    const std::string bridge = record.bridge_name();
    auto exists = link_exists(sock.value(), bridge);
    if (!exists) return exists.error();
    if (exists.value() && !adopt_existing)
        return Error{EEXIST, fmt::format("bridge \"{}\" already exists", bridge)};
    if (!exists.value())
        if (auto made = create_bridge(sock.value(), bridge, record.mtu()); !made) return made;
    for (const auto& config : record.ipam_config) {
        auto subnet = parse_subnet(config.subnet);
        auto gateway = parse_ipv4(config.gateway);
        if (!subnet || !gateway) continue;
        auto added = add_address(sock.value(), bridge, {gateway.value(), subnet.value().prefix});
        if (auto s = ignore(std::move(added), EEXIST); !s) return s;
    }
    if (auto up = set_link_up(sock.value(), bridge); !up) return up;
    return apply_network_rules(record);
}

Result<NetworkRecord> Networks::create(const NetworkRequest& request) {
    if (request.driver != "bridge")
        return Error{ENOTSUP, fmt::format("plugin \"{}\" not found", request.driver)};
    if (request.name.empty()) return invalid("network name must not be empty");
    auto lock = store_.lock();
    if (!lock) return lock.error();
    if (store_.find(request.name).ok())
        return Error{EEXIST, fmt::format("network with name {} already exists", request.name)};
    NetworkRecord record;
    record.id = new_network_id();
    record.name = request.name;
    record.created = engine::sys::format_rfc3339_nano(engine::sys::now_ns());
    record.internal = request.internal;
    record.attachable = request.attachable;
    record.labels = request.labels;
    record.options = request.options;
    if (auto valid = validate_link_name(record.bridge_name()); !valid) return valid.error();

    auto sock = RouteSocket::open();
    if (!sock) return sock.error();
    auto routes = host_route_subnets(sock.value());
    if (!routes) return routes.error();
    PoolRequest pool_request = request.pool;
    if (pool_request.subnet) {
        auto subnet = parse_subnet(*pool_request.subnet);
        if (!subnet) return subnet.error();
        // Another network is the likelier clash and the more useful name in the error.
        auto state = ipam_.load();
        if (!state) return state.error();
        for (const auto& [name, other] : state.value().networks)
            if (other.subnet.overlaps(subnet.value()))
                return invalid(fmt::format("subnet \"{}\" overlaps with network \"{}\" ({})",
                                           *pool_request.subnet, name, other.subnet.to_string()));
        if (auto free = check_host_routes(subnet.value(), routes.value()); !free) return free.error();
    } else {
        auto subnet = choose_subnet(routes.value());
        if (!subnet) return subnet.error();
        pool_request.subnet = subnet.value().to_string();
    }
    CreateRollback rollback{*this, record.name, ""};
    auto pool = ipam_.add_network(record.name, pool_request, routes.value());
    if (!pool) return pool.error();
    rollback.pool = true;
    record.ipam_config = {{pool.value().subnet.to_string(), pool.value().gateway.to_string(),
                           pool.value().ip_range ? pool.value().ip_range->to_string() : ""}};
    auto exists = link_exists(sock.value(), record.bridge_name());
    if (!exists) return exists.error();
    if (exists.value())
        return Error{EEXIST, fmt::format("bridge \"{}\" already exists", record.bridge_name())};
    rollback.bridge = record.bridge_name();
    if (auto made = ensure_bridge(record, false); !made) return made.error();
    if (auto added = store_.add(record); !added) return added.error();
    rollback.done = true;
    log().info("[{}] network created, bridge {} subnet {}", record.name, record.bridge_name(),
               record.ipam_config[0].subnet);
    return record;
}

Status Networks::remove(const NetworkRecord& record) {
    if (record.predefined())
        return Error{EPERM, fmt::format("{} is a pre-defined network and cannot be removed",
                                        record.name)};
    remove_network_rules(record);
    auto sock = RouteSocket::open();
    if (!sock) return sock.error();
    if (auto deleted = ignore(delete_link(sock.value(), record.bridge_name()), ENODEV); !deleted)
        return deleted;
    if (auto state = ipam_.load(); state && state.value().networks.count(record.name))
        if (auto removed = ipam_.remove_network(record.name); !removed) return removed;
    return store_.remove(record.id);
}

Result<NetworkRecord> Networks::prepare(const std::string& ref) {
    auto found = store_.find(ref);
    if (!found) return found.error();
    NetworkRecord record = found.value();
    if (record.driver != "bridge")
        return invalid(fmt::format("network {} is not a bridge network", record.name));
    if (record.ipam_config.empty()) {
        // The default bridge's pool is chosen on first use, from the pools of that moment.
        auto lock = store_.lock();
        if (!lock) return lock.error();
        auto again = store_.find(record.id);
        if (!again) return again.error();
        record = again.value();
        if (record.ipam_config.empty()) {
            auto sock = RouteSocket::open();
            if (!sock) return sock.error();
            auto routes = host_route_subnets(sock.value());
            if (!routes) return routes.error();
            auto subnet = choose_subnet(routes.value());
            if (!subnet) return subnet.error();
            PoolRequest request{subnet.value().to_string(), std::nullopt, std::nullopt};
            if (auto state = ipam_.load(); state && state.value().networks.count(record.name))
                (void)ipam_.remove_network(record.name);  // a pool whose record was never saved
            auto pool = ipam_.add_network(record.name, request, routes.value());
            if (!pool) return pool.error();
            record.ipam_config = {{pool.value().subnet.to_string(), pool.value().gateway.to_string(), ""}};
            if (auto saved = store_.save(record); !saved) return saved.error();
        }
    }
    if (auto ready = ensure_bridge(record, true); !ready)
        return std::move(ready).context(fmt::format("network {}", record.name)).error();
    return record;
}

}  // namespace network
