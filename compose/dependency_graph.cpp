#include "compose/dependency_graph.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace compose {
namespace {

std::string string_of(const Tree& parent, const char* key) {
    if (!parent.is_object() || !parent.contains(key) || !parent[key].is_string()) return "";
    return parent[key].get<std::string>();
}

// A service's references to other services, with whether a missing target is an error.
std::vector<std::pair<std::string, bool>> references(const Tree& service) {
    std::vector<std::pair<std::string, bool>> out;
    if (service.contains("depends_on") && service["depends_on"].is_object()) {
        for (const auto& [name, dep] : service["depends_on"].items())
            out.emplace_back(name, !dep.is_object() || bool_at(dep, "required", true));
    } else if (service.contains("depends_on") && service["depends_on"].is_array()) {
        for (const auto& name : service["depends_on"])
            if (name.is_string()) out.emplace_back(name.get<std::string>(), true);
    }
    for (const char* key : {"links", "volumes_from"}) {
        if (!service.contains(key) || !service[key].is_array()) continue;
        for (const auto& ref : service[key]) {
            if (!ref.is_string()) continue;
            auto text = ref.get<std::string>();
            if (text.rfind("container:", 0) == 0) continue;
            out.emplace_back(text.substr(0, text.find(':')), true);
        }
    }
    for (const char* key : {"network_mode", "ipc", "pid", "uts", "cgroup"}) {
        auto value = string_of(service, key);
        if (value.rfind("service:", 0) == 0) out.emplace_back(value.substr(8), true);
    }
    return out;
}

}  // namespace

DependencyGraph::DependencyGraph(const Tree& model) {
    if (!model.is_object() || !model.contains("services") || !model["services"].is_object())
        return;
    const auto& services = model["services"];
    for (const auto& [name, service] : services.items()) dependencies_[name];
    for (const auto& [name, service] : services.items()) {
        if (!service.is_object()) continue;
        for (const auto& [target, required] : references(service)) {
            if (services.contains(target)) {
                dependencies_[name].insert(target);
            } else if (required) {
                throw std::invalid_argument(fmt::format(
                    "service \"{}\" depends on undefined service \"{}\"", name, target));
            }
        }
    }
}

std::vector<std::string> DependencyGraph::services() const {
    std::vector<std::string> out;
    for (const auto& [name, deps] : dependencies_) out.push_back(name);
    return out;
}

const std::set<std::string>& DependencyGraph::dependencies(const std::string& service) const {
    static const std::set<std::string> kNone;
    auto it = dependencies_.find(service);
    return it == dependencies_.end() ? kNone : it->second;
}

std::vector<std::string> DependencyGraph::find_cycle() const {
    enum class Mark { unseen, active, done };
    std::map<std::string, Mark> marks;
    std::vector<std::string> stack;
    std::vector<std::string> cycle;
    // Depth-first search; meeting an `active` service again closes a cycle on the stack.
    std::function<bool(const std::string&)> visit = [&](const std::string& name) {
        marks[name] = Mark::active;
        stack.push_back(name);
        for (const auto& dep : dependencies(name)) {
            if (marks[dep] == Mark::active) {
                auto start = std::find(stack.begin(), stack.end(), dep);
                cycle.assign(start, stack.end());
                cycle.push_back(dep);
                return true;
            }
            if (marks[dep] == Mark::unseen && visit(dep)) return true;
        }
        stack.pop_back();
        marks[name] = Mark::done;
        return false;
    };
    for (const auto& [name, deps] : dependencies_) {
        if (marks[name] == Mark::unseen && visit(name)) return cycle;
    }
    return {};
}

std::string DependencyGraph::render(const std::vector<std::string>& path) {
    return fmt::format("{}", fmt::join(path, " -> "));
}

void DependencyGraph::require_acyclic() const {
    auto cycle = find_cycle();
    if (!cycle.empty())
        throw std::invalid_argument("dependency cycle detected: " + render(cycle));
}

std::vector<std::vector<std::string>> DependencyGraph::levels() const {
    require_acyclic();
    std::map<std::string, size_t> level;
    std::function<size_t(const std::string&)> depth = [&](const std::string& name) -> size_t {
        if (auto it = level.find(name); it != level.end()) return it->second;
        size_t d = 0;
        for (const auto& dep : dependencies(name)) d = std::max(d, depth(dep) + 1);
        return level[name] = d;
    };
    std::vector<std::vector<std::string>> out;
    for (const auto& [name, deps] : dependencies_) {
        auto d = depth(name);
        if (out.size() <= d) out.resize(d + 1);
        out[d].push_back(name);  // names arrive sorted, so each level is sorted
    }
    return out;
}

std::vector<std::string> DependencyGraph::order() const {
    std::vector<std::string> out;
    for (const auto& level : levels()) out.insert(out.end(), level.begin(), level.end());
    return out;
}

std::vector<std::string> DependencyGraph::reverse_order() const {
    auto out = order();
    std::reverse(out.begin(), out.end());
    return out;
}

}  // namespace compose
