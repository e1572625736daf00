#include "compose/profiles.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace compose {
namespace {

using Diagnostics = std::vector<schema::Diagnostic>;

std::vector<std::string> profiles_of(const Tree& service) {
    std::vector<std::string> out;
    if (!service.is_object() || !service.contains("profiles")) return out;
    const auto& profiles = service["profiles"];
    if (!profiles.is_array()) return out;
    for (const auto& p : profiles)
        if (p.is_string()) out.push_back(p.get<std::string>());
    return out;
}

bool enabled(const Tree& service, const std::set<std::string>& active) {
    auto profiles = profiles_of(service);
    if (profiles.empty() || active.count("*")) return true;
    return std::any_of(profiles.begin(), profiles.end(),
                       [&](const std::string& p) { return active.count(p) > 0; });
}

// The profiles in effect: the active ones plus those of every service asked for by name
// (compose-go WithServicesEnabled).
std::set<std::string> effective_profiles(const Tree& services,
                                         const std::vector<std::string>& active,
                                         const std::vector<std::string>& requested) {
    std::set<std::string> out(active.begin(), active.end());
    const std::set<std::string> given = out;
    for (const auto& name : requested) {
        if (!services.contains(name) || enabled(services[name], given)) continue;
        for (auto& p : profiles_of(services[name])) out.insert(std::move(p));
    }
    return out;
}

/// Checks the references of one enabled service against the disabled ones.
class References {
public:
    References(Document& doc, const std::set<std::string>& disabled, Diagnostics& errors)
        : doc_(doc), disabled_(disabled), errors_(errors) {}

    void check(const std::string& name, Tree& service);

private:
    void require(const std::string& name, const std::string& target, const std::string& path);
    void check_depends_on(const std::string& name, Tree& depends_on, const std::string& path);

    Document& doc_;
    const std::set<std::string>& disabled_;
    Diagnostics& errors_;
};

void References::require(const std::string& name, const std::string& target,
                         const std::string& path) {
    if (!disabled_.count(target)) return;
    auto profiles = profiles_of(doc_.tree["services"][target]);
    errors_.push_back(doc_.diagnostic(
        path, fmt::format("service \"{}\" is required by \"{}\" but is disabled (profiles: {})",
                          target, name, fmt::join(profiles, ", "))));
}

void References::check_depends_on(const std::string& name, Tree& depends_on,
                                  const std::string& path) {
    if (depends_on.is_array()) {
        for (size_t i = 0; i < depends_on.size(); ++i) {
            if (depends_on[i].is_string())
                require(name, depends_on[i].get<std::string>(), item_path(path, i));
        }
        return;
    }
    if (!depends_on.is_object()) return;
    std::vector<std::string> optional;
    for (auto it = depends_on.begin(); it != depends_on.end(); ++it) {
        const auto& dep = it.value();
        bool required = !dep.is_object() || bool_at(dep, "required", true);
        if (required) require(name, it.key(), child_path(path, it.key()));
        else if (disabled_.count(it.key())) optional.push_back(it.key());
    }
    // A dependency that is not required may be disabled: compose-go drops it from the graph.
    for (const auto& dep : optional) {
        depends_on.erase(dep);
        doc_.locations.erase_subtree(child_path(path, dep));
    }
}

void References::check(const std::string& name, Tree& service) {
    if (!service.is_object()) return;
    const auto path = child_path("services", name);
    if (service.contains("depends_on"))
        check_depends_on(name, service["depends_on"], child_path(path, "depends_on"));
    for (const char* key : {"network_mode", "ipc", "pid", "uts", "cgroup"}) {
        auto value = service.value(key, Tree());
        if (value.is_string() && value.get<std::string>().rfind("service:", 0) == 0)
            require(name, value.get<std::string>().substr(8), child_path(path, key));
    }
    for (const char* key : {"links", "volumes_from"}) {
        auto list = service.value(key, Tree());
        for (size_t i = 0; list.is_array() && i < list.size(); ++i) {
            if (!list[i].is_string()) continue;
            // "svc", "svc:alias", "svc:ro"; "container:x" names no service.
            auto text = list[i].get<std::string>();
            auto target = text.substr(0, text.find(':'));
            if (target != "container") require(name, target, item_path(child_path(path, key), i));
        }
    }
}

}  // namespace

void apply_profiles(Document& doc, const std::vector<std::string>& active,
                    const std::vector<std::string>& requested_services) {
    if (!doc.tree.is_object() || !doc.tree.contains("services")) return;
    Tree& services = doc.tree["services"];
    if (!services.is_object()) return;
    auto profiles = effective_profiles(services, active, requested_services);
    std::set<std::string> disabled;
    for (auto it = services.begin(); it != services.end(); ++it)
        if (!enabled(it.value(), profiles)) disabled.insert(it.key());
    Diagnostics errors;
    References references(doc, disabled, errors);
    for (auto it = services.begin(); it != services.end(); ++it)
        if (!disabled.count(it.key())) references.check(it.key(), it.value());
    if (!errors.empty()) throw schema::LoadError(std::move(errors));
    for (const auto& name : disabled) {
        services.erase(name);
        doc.locations.erase_subtree(child_path("services", name));
    }
}

void apply_profiles(Tree& model, const std::vector<std::string>& active,
                    const std::vector<std::string>& requested_services) {
    Document doc;
    doc.tree = std::move(model);
    try {
        apply_profiles(doc, active, requested_services);
    } catch (...) {
        model = std::move(doc.tree);
        throw;
    }
    model = std::move(doc.tree);
}

std::vector<std::string> all_profiles(const Tree& model) {
    std::set<std::string> out;
    if (model.is_object() && model.contains("services") && model["services"].is_object())
        for (const auto& [_, service] : model["services"].items())
            for (auto& p : profiles_of(service)) out.insert(std::move(p));
    return {out.begin(), out.end()};
}

}  // namespace compose
