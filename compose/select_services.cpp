#include "compose/select_services.hpp"

#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "compose/dependency_graph.hpp"

namespace compose {
namespace {

// The named services plus their transitive dependencies.
std::set<std::string> closure(const DependencyGraph& graph, const std::vector<std::string>& names) {
    std::set<std::string> selected;
    std::vector<std::string> pending(names.begin(), names.end());
    while (!pending.empty()) {
        auto name = std::move(pending.back());
        pending.pop_back();
        if (!selected.insert(name).second) continue;
        for (const auto& dependency : graph.dependencies(name)) pending.push_back(dependency);
    }
    return selected;
}

void prune_dependencies(Document& doc, Tree& service, const std::string& path,
                        const std::set<std::string>& selected) {
    if (!service.is_object() || !service.contains("depends_on")) return;
    auto& deps = service["depends_on"];
    if (!deps.is_object()) return;
    std::vector<std::string> outside;
    for (const auto& [name, _] : deps.items())
        if (!selected.count(name)) outside.push_back(name);
    for (const auto& name : outside) {
        deps.erase(name);
        doc.locations.erase_subtree(child_path(child_path(path, "depends_on"), name));
    }
    if (deps.empty()) service.erase("depends_on");
}

}  // namespace

void select_services(Document& doc, const std::vector<std::string>& names) {
    if (names.empty() || !doc.tree.is_object() || !doc.tree.contains("services")) return;
    auto& services = doc.tree["services"];
    for (const auto& name : names)
        if (!services.contains(name))
            throw schema::LoadError({}, "", fmt::format("no such service: {}", name));
    std::set<std::string> selected;
    try {
        selected = closure(DependencyGraph(doc.tree), names);
    } catch (const std::invalid_argument& e) {
        throw schema::LoadError(doc.locations.find("services"), "services", e.what());
    }
    std::vector<std::string> dropped;
    for (auto& [name, service] : services.items()) {
        if (selected.count(name)) prune_dependencies(doc, service, child_path("services", name),
                                                     selected);
        else dropped.push_back(name);
    }
    for (const auto& name : dropped) {
        services.erase(name);
        doc.locations.erase_subtree(child_path("services", name));
    }
}

}  // namespace compose
