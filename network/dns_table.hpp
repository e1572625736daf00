#pragma once

// The names the embedded resolver answers: per network, each container's names (service,
// container name, aliases, hostname) and addresses. A query sees only the names of the networks
// its sender is attached to, so containers on other networks stay unresolvable.

#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "network/ipam.hpp"

namespace network::dns {

/// An address a container has on a network, or sends queries from.
using Address = std::variant<Ipv4Address, Ipv6Address>;

struct NetworkNames {
    /// Search domain of the network ("" for none): "web.<domain>" answers like "web".
    std::string domain;
    /// Internal networks (no outside access) get no forwarding of unknown names.
    bool internal = false;
};

/// One container's attachment to a network.
struct Endpoint {
    /// The container's id: one container sees the names of every network it is attached to,
    /// whichever of its addresses the query comes from (as Docker's per-container resolver).
    std::string id;
    std::vector<std::string> names;
    std::vector<Ipv4Address> ipv4;
    std::vector<Ipv6Address> ipv6;
    /// Resolvers for the names this container's queries forward (its `dns:`); empty means the
    /// server's defaults (the host's resolv.conf).
    std::vector<std::string> upstreams;
    /// Reverse lookups of its addresses answer "<reverse_name>.<network>" (Docker's form); the
    /// first name when empty.
    std::string reverse_name;
};

enum class Family { ipv4, ipv6 };

struct Lookup {
    /// The sender is attached to at least one network we know.
    bool known_source = false;
    /// Some network of the sender has this name (maybe without addresses of the family asked).
    bool name_found = false;
    /// Addresses of the family asked, in an order rotated one step on every lookup (one counter
    /// for the table), so clients taking the first address spread over a scaled service.
    std::vector<Address> addresses;
    /// Whether names that are not found may be forwarded: false when every network of the sender
    /// is internal.
    bool may_forward = false;
    /// The sender's own upstreams (empty: the server's defaults).
    std::vector<std::string> upstreams;
};

/// Thread-safe: the daemon updates it while the server looks names up.
class Table {
public:
    /// Adds a network or changes its settings, keeping its endpoints.
    void set_network(const std::string& network, NetworkNames settings);
    /// Removes a network and all its endpoints.
    void remove_network(const std::string& network);
    /// Adds or replaces the endpoint with this id; error when the network is unknown.
    Status set_endpoint(const std::string& network, Endpoint endpoint);
    void remove_endpoint(const std::string& network, const std::string& id);

    /// The addresses of `name` (case-insensitive, trailing dot ignored) for a query sent from
    /// `source`, looking only at the networks of the container(s) owning `source`.
    Lookup lookup(const Address& source, std::string_view name, Family family) const;

    /// The names a reverse lookup of `target` answers for a query from `source`: one
    /// "<reverse_name>.<network>" per network of the source's container that has `target`.
    /// known_source and may_forward as for lookup; name_found when there are names.
    struct Reverse {
        bool known_source = false;
        bool may_forward = false;
        std::vector<std::string> upstreams;
        std::vector<std::string> names;
    };
    Reverse reverse_lookup(const Address& source, const Address& target) const;

private:
    struct Network {
        NetworkNames settings;
        std::map<std::string, Endpoint> endpoints;             // by id
        std::map<std::string, std::set<std::string>> names;    // lowercase name → endpoint ids
    };

    void index_endpoint(Network& network, const Endpoint& endpoint);
    void unindex_endpoint(Network& network, const std::string& network_name, const Endpoint& endpoint);
    // The networks the container(s) owning `source` are on, with the owning endpoint on each.
    std::vector<std::pair<const std::string*, const Endpoint*>> networks_of(const Address& source) const;

    mutable std::shared_mutex mutex_;
    std::map<std::string, Network> networks_;
    // Sender address → (network, endpoint id) pairs it belongs to.
    std::map<Address, std::set<std::pair<std::string, std::string>>> sources_;
    mutable std::atomic<unsigned> rotation_{0};
};

/// The address a reverse name stands for: "4.3.2.1.in-addr.arpa" is 1.2.3.4, and 32 nibbles
/// before "ip6.arpa" an IPv6 address (case and a trailing dot ignored); nullopt for other names.
std::optional<Address> parse_reverse_name(std::string_view name);

/// Lowercases ASCII letters and drops one trailing dot: the key names are compared by.
std::string normalize_name(std::string_view name);

}  // namespace network::dns
