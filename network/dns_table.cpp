#include "network/dns_table.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>

#include <fmt/format.h>

namespace network::dns {

namespace {

std::vector<Address> addresses_of(const Endpoint& endpoint) {
    std::vector<Address> out(endpoint.ipv4.begin(), endpoint.ipv4.end());
    out.insert(out.end(), endpoint.ipv6.begin(), endpoint.ipv6.end());
    return out;
}

// The name with the network's search domain removed, or "" when it does not end in it.
std::string_view without_domain(std::string_view name, const std::string& domain) {
    if (domain.empty() || name.size() <= domain.size() + 1) return {};
    if (!name.ends_with(domain) || name[name.size() - domain.size() - 1] != '.') return {};
    return name.substr(0, name.size() - domain.size() - 1);
}

}  // namespace

std::string normalize_name(std::string_view name) {
    if (name.ends_with('.')) name.remove_suffix(1);
    std::string out(name);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

void Table::set_network(const std::string& network, NetworkNames settings) {
    std::unique_lock lock(mutex_);
    settings.domain = normalize_name(settings.domain);
    networks_[network].settings = std::move(settings);
}

void Table::remove_network(const std::string& network) {
    std::unique_lock lock(mutex_);
    auto found = networks_.find(network);
    if (found == networks_.end()) return;
    for (const auto& [id, endpoint] : found->second.endpoints) unindex_endpoint(found->second, network, endpoint);
    networks_.erase(found);
}

Status Table::set_endpoint(const std::string& network, Endpoint endpoint) {
    std::unique_lock lock(mutex_);
    auto found = networks_.find(network);
    if (found == networks_.end()) {
        return Error{0, fmt::format("add dns names of \"{}\": network \"{}\" is unknown", endpoint.id, network)};
    }
    Network& net = found->second;
    if (auto old = net.endpoints.find(endpoint.id); old != net.endpoints.end()) {
        unindex_endpoint(net, network, old->second);
        net.endpoints.erase(old);
    }
    for (auto& name : endpoint.names) name = normalize_name(name);
    for (const Address& address : addresses_of(endpoint)) sources_[address].emplace(network, endpoint.id);
    index_endpoint(net, endpoint);
    std::string id = endpoint.id;
    net.endpoints.emplace(std::move(id), std::move(endpoint));
    return engine::sys::ok();
}

void Table::remove_endpoint(const std::string& network, const std::string& id) {
    std::unique_lock lock(mutex_);
    auto net = networks_.find(network);
    if (net == networks_.end()) return;
    auto found = net->second.endpoints.find(id);
    if (found == net->second.endpoints.end()) return;
    unindex_endpoint(net->second, network, found->second);
    net->second.endpoints.erase(found);
}

void Table::index_endpoint(Network& network, const Endpoint& endpoint) {
    for (const auto& name : endpoint.names) {
        if (!name.empty()) network.names[name].insert(endpoint.id);
    }
}

void Table::unindex_endpoint(Network& network, const std::string& network_name, const Endpoint& endpoint) {
    for (const auto& name : endpoint.names) {
        auto ids = network.names.find(name);
        if (ids == network.names.end()) continue;
        ids->second.erase(endpoint.id);
        if (ids->second.empty()) network.names.erase(ids);
    }
    for (const Address& address : addresses_of(endpoint)) {
        auto owners = sources_.find(address);
        if (owners == sources_.end()) continue;
        owners->second.erase({network_name, endpoint.id});
        if (owners->second.empty()) sources_.erase(owners);
    }
}

std::vector<std::pair<const std::string*, const Endpoint*>> Table::networks_of(const Address& source) const {
    std::vector<std::pair<const std::string*, const Endpoint*>> out;
    auto owners = sources_.find(source);
    if (owners == sources_.end()) return out;
    std::set<std::string> containers;
    for (const auto& owner : owners->second) containers.insert(owner.second);
    for (const auto& [network_name, network] : networks_) {
        for (const auto& id : containers) {
            auto self = network.endpoints.find(id);
            if (self == network.endpoints.end()) continue;
            out.emplace_back(&network_name, &self->second);
            break;
        }
    }
    return out;
}

Lookup Table::lookup(const Address& source, std::string_view name, Family family) const {
    std::string key = normalize_name(name);
    std::shared_lock lock(mutex_);
    Lookup result;
    auto attached = networks_of(source);
    if (attached.empty()) return result;
    result.known_source = true;

    std::set<Address> seen;  // one address once, even when several names or networks give it
    for (const auto& [network_name, self] : attached) {
        const Network& network = networks_.at(*network_name);
        if (!network.settings.internal) result.may_forward = true;
        if (result.upstreams.empty()) result.upstreams = self->upstreams;
        auto ids = network.names.find(key);
        if (ids == network.names.end()) {
            std::string_view bare = without_domain(key, network.settings.domain);
            if (bare.empty()) continue;
            ids = network.names.find(std::string(bare));
            if (ids == network.names.end()) continue;
        }
        result.name_found = true;
        for (const auto& id : ids->second) {
            const Endpoint& endpoint = network.endpoints.at(id);
            if (family == Family::ipv4) {
                for (const auto& a : endpoint.ipv4) {
                    if (seen.insert(a).second) result.addresses.push_back(a);
                }
            } else {
                for (const auto& a : endpoint.ipv6) {
                    if (seen.insert(a).second) result.addresses.push_back(a);
                }
            }
        }
    }
    if (result.addresses.size() > 1) {
        auto shift = rotation_.fetch_add(1, std::memory_order_relaxed) % result.addresses.size();
        std::rotate(result.addresses.begin(), result.addresses.begin() + static_cast<long>(shift),
                    result.addresses.end());
    }
    return result;
}

Table::Reverse Table::reverse_lookup(const Address& source, const Address& target) const {
    std::shared_lock lock(mutex_);
    Reverse result;
    auto attached = networks_of(source);
    if (attached.empty()) return result;
    result.known_source = true;
    for (const auto& [network_name, self] : attached) {
        const Network& network = networks_.at(*network_name);
        if (!network.settings.internal) result.may_forward = true;
        if (result.upstreams.empty()) result.upstreams = self->upstreams;
        // A scan: networks hold tens of endpoints, and reverse lookups are rare.
        for (const auto& [id, endpoint] : network.endpoints) {
            auto addresses = addresses_of(endpoint);
            if (std::find(addresses.begin(), addresses.end(), target) == addresses.end()) continue;
            const std::string& name = endpoint.reverse_name.empty()
                                          ? (endpoint.names.empty() ? endpoint.id : endpoint.names.front())
                                          : endpoint.reverse_name;
            result.names.push_back(name + "." + *network_name);
        }
    }
    return result;
}

std::optional<Address> parse_reverse_name(std::string_view text) {
    std::string name = normalize_name(text);
    std::vector<std::string_view> labels;
    std::string_view rest = name;
    while (!rest.empty()) {
        std::size_t dot = std::min(rest.find('.'), rest.size());
        labels.push_back(rest.substr(0, dot));
        rest.remove_prefix(std::min(dot + 1, rest.size()));
    }
    auto ends_with = [&](std::initializer_list<std::string_view> suffix) {
        return labels.size() >= suffix.size() &&
               std::equal(suffix.begin(), suffix.end(), labels.end() - static_cast<long>(suffix.size()));
    };
    if (labels.size() == 6 && ends_with({"in-addr", "arpa"})) {
        std::uint32_t value = 0;
        for (int i = 3; i >= 0; --i) {
            const auto& label = labels[static_cast<std::size_t>(i)];
            if (label.empty() || label.size() > 3 || label.find_first_not_of("0123456789") != std::string_view::npos) {
                return std::nullopt;
            }
            unsigned octet = static_cast<unsigned>(std::stoul(std::string(label)));
            if (octet > 255) return std::nullopt;
            value = value << 8 | octet;
        }
        return Ipv4Address{value};
    }
    if (labels.size() == 34 && ends_with({"ip6", "arpa"})) {
        Ipv6Address address;
        for (std::size_t i = 0; i < 32; ++i) {
            const auto& label = labels[i];
            if (label.size() != 1 || !std::isxdigit(static_cast<unsigned char>(label[0]))) return std::nullopt;
            unsigned nibble = static_cast<unsigned>(std::stoul(std::string(label), nullptr, 16));
            std::size_t position = 31 - i;  // the first label is the lowest nibble
            address.bytes[position / 2] |= static_cast<std::uint8_t>(position % 2 ? nibble : nibble << 4);
        }
        return address;
    }
    return std::nullopt;
}

}  // namespace network::dns
