#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "compose/document.hpp"

namespace compose {

/// Which service waits for which: an edge from a service to each service it depends on.
///
///   web --depends_on--> db        order():         db, cache, web
///   web --links-------> cache     reverse_order(): web, cache, db
///                                 levels():        {cache, db}, {web}
///
/// Everything is deterministic: ties are broken by service name.
class DependencyGraph {
public:
    /// Builds the graph of a canonical model (`services` at the top level) from depends_on
    /// plus the implicit dependencies normalization would add (links, volumes_from,
    /// network_mode/ipc/pid/uts/cgroup "service:x"), so it also works under --no-normalize.
    /// A reference to a missing service throws std::invalid_argument naming both services,
    /// except a depends_on entry with `required: false` (its target may be disabled).
    explicit DependencyGraph(const Tree& model);

    /// Every service, sorted by name.
    std::vector<std::string> services() const;
    /// The services `service` depends on directly; empty for an unknown name.
    const std::set<std::string>& dependencies(const std::string& service) const;

    /// Start order: each service after all its dependencies. Throws std::invalid_argument
    /// ("dependency cycle detected: a -> b -> a") when the graph has a cycle.
    std::vector<std::string> order() const;
    /// Stop order: each service before its dependencies (the reverse of order()).
    std::vector<std::string> reverse_order() const;
    /// Groups that can start in parallel: level 0 depends on nothing, level n only on lower
    /// levels. Throws like order() on a cycle.
    std::vector<std::vector<std::string>> levels() const;

    /// The first cycle found searching services in name order, closed on its first service
    /// ({"a", "b", "a"}); empty when there is none.
    std::vector<std::string> find_cycle() const;
    /// "a -> b -> a".
    static std::string render(const std::vector<std::string>& path);

private:
    void require_acyclic() const;
    std::map<std::string, std::set<std::string>> dependencies_;
};

}  // namespace compose
