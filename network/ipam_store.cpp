#include "network/ipam_store.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <nlohmann/json.hpp>

#include "engine/sys/files.hpp"
#include "engine/sys/unique_fd.hpp"

namespace network {

using engine::sys::UniqueFd;
using json = nlohmann::json;

std::string ipam_to_json(const IpamState& state) {
    json networks = json::object();
    for (const auto& [name, pool] : state.networks) {
        json entry{{"subnet", pool.subnet.to_string()}, {"gateway", pool.gateway.to_string()}};
        if (pool.ip_range) entry["ip_range"] = pool.ip_range->to_string();
        json addresses = json::object();
        for (const auto& [address, owner] : pool.allocated) addresses[address.to_string()] = owner;
        entry["addresses"] = addresses;
        networks[name] = entry;
    }
    return json{{"version", 1}, {"networks", networks}}.dump(2) + "\n";
}

namespace {

Result<NetworkPool> pool_from_json(const json& entry) {
    NetworkPool pool;
    auto subnet = parse_subnet(entry.at("subnet").get<std::string>());
    if (!subnet) return subnet.error();
    pool.subnet = subnet.value();
    auto gateway = parse_ipv4(entry.at("gateway").get<std::string>());
    if (!gateway) return gateway.error();
    pool.gateway = gateway.value();
    if (entry.contains("ip_range")) {
        auto range = parse_subnet(entry["ip_range"].get<std::string>());
        if (!range) return range.error();
        pool.ip_range = range.value();
    }
    const json addresses = entry.value("addresses", json::object());
    for (const auto& [text, owner] : addresses.items()) {
        auto address = parse_ipv4(text);
        if (!address) return address.error();
        pool.allocated.emplace(address.value(), owner.get<std::string>());
    }
    return pool;
}

}  // namespace

Result<IpamState> ipam_from_json(std::string_view text) {
    IpamState state;
    try {
        auto doc = json::parse(text);
        for (const auto& [name, entry] : doc.at("networks").items()) {
            auto pool = pool_from_json(entry);
            if (!pool) return std::move(pool).context(fmt::format("network \"{}\"", name)).error();
            state.networks.emplace(name, std::move(pool).value());
        }
    } catch (const json::exception& e) {
        return Error{EINVAL, fmt::format("parse IPAM state: {}", e.what())};
    }
    return state;
}

IpamStore::IpamStore(std::string root) : dir_(std::move(root) + "/network") {}

std::string IpamStore::state_path() const { return dir_ + "/ipam.json"; }

namespace {

Result<UniqueFd> lock_state(const std::string& dir, int operation) {
    if (auto made = engine::sys::make_dirs(dir, 0700); !made) return made.error();
    auto path = dir + "/ipam.lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return engine::sys::errno_error("open {}", path);
    // flock, not fcntl locks: those are per process, so two threads would share one lock.
    while (::flock(fd.get(), operation) != 0)
        if (errno != EINTR) return engine::sys::errno_error("lock {}", path);
    return fd;
}

Result<IpamState> read_state(const std::string& path) {
    if (!engine::sys::exists(path)) return IpamState{};
    auto text = engine::sys::read_file(path);
    if (!text) return text.error();
    return ipam_from_json(text.value()).context(path);
}

}  // namespace

Result<IpamState> IpamStore::load() const {
    // Shared: readers never block each other, and a reader waits for an update in progress.
    auto lock = lock_state(dir_, LOCK_SH);
    if (!lock) return lock.error();
    return read_state(state_path());
}

Status IpamStore::update(const std::function<Status(IpamState&)>& change) {
    auto lock = lock_state(dir_, LOCK_EX);
    if (!lock) return lock.error();
    auto state = read_state(state_path());
    if (!state) return state.error();
    if (auto changed = change(state.value()); !changed) return changed;
    return engine::sys::write_file_atomic(state_path(), ipam_to_json(state.value()), 0600);
}

Result<NetworkPool> IpamStore::add_network(const std::string& name, const PoolRequest& request,
                                           const std::vector<Ipv4Subnet>& host_routes) {
    std::optional<NetworkPool> added;
    auto status = update([&](IpamState& state) -> Status {
        auto pool = network::add_network(state, name, request, host_routes);
        if (!pool) return pool.error();
        added = std::move(pool).value();
        return engine::sys::ok();
    });
    if (!status) return status.error();
    return *added;
}

Status IpamStore::remove_network(const std::string& name) {
    return update([&](IpamState& state) { return network::remove_network(state, name); });
}

Result<Ipv4Address> IpamStore::allocate(const std::string& name, const std::string& owner,
                                        std::optional<Ipv4Address> requested) {
    Ipv4Address allocated;
    auto status = update([&](IpamState& state) -> Status {
        auto address = allocate_address(state, name, owner, requested);
        if (!address) return address.error();
        allocated = address.value();
        return engine::sys::ok();
    });
    if (!status) return status.error();
    return allocated;
}

Status IpamStore::release(const std::string& name, Ipv4Address address) {
    return update([&](IpamState& state) { return release_address(state, name, address); });
}

}  // namespace network
