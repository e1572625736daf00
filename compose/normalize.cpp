#include "compose/normalize.hpp"

#include <set>

#include <fmt/format.h>

namespace compose {
namespace {

constexpr const char* kResourceKinds[] = {"networks", "volumes", "secrets", "configs"};

Tree* field(Tree& parent, const char* key) {
    if (!parent.is_object()) return nullptr;
    auto it = parent.find(key);
    return it == parent.end() ? nullptr : &*it;
}

std::string string_of(const Tree& parent, const char* key) {
    if (!parent.is_object() || !parent.contains(key) || !parent[key].is_string()) return "";
    return parent[key].get<std::string>();
}

void build_defaults(Tree& service) {
    auto* build = field(service, "build");
    if (!build || !build->is_object()) return;
    if (!build->contains("context")) (*build)["context"] = ".";
    if (!build->contains("dockerfile") && !build->contains("dockerfile_inline"))
        (*build)["dockerfile"] = "Dockerfile";
}

struct Implied {
    std::string service;
    bool restart;
    std::string from;  ///< key path of the reference, so errors about it point there
};

void add_dependency(Document& doc, Tree& service, const std::string& path, const Implied& dep) {
    if (dep.service.empty()) return;
    auto& deps = service["depends_on"];
    if (!deps.is_object()) deps = Tree::object();
    if (deps.contains(dep.service)) return;  // an explicit dependency is never overridden
    deps[dep.service] = {{"condition", "service_started"}, {"required", true}};
    // compose-go omits restart when false; keep the printed form.
    if (dep.restart) deps[dep.service]["restart"] = true;
    doc.locations.set(child_path(child_path(path, "depends_on"), dep.service),
                      doc.locations.find(dep.from));
}

// Links and shared namespaces restart with their target; volumes_from does not (compose-go).
// Collected first: adding depends_on may move the other keys of the (vector-backed) mapping.
void implicit_dependencies(Document& doc, Tree& service, const std::string& path) {
    std::vector<Implied> found;
    if (auto* links = field(service, "links"); links && links->is_array()) {
        for (size_t i = 0; i < links->size(); ++i) {
            if (!(*links)[i].is_string()) continue;
            auto text = (*links)[i].get<std::string>();
            found.push_back({text.substr(0, text.find(':')), true,
                             item_path(child_path(path, "links"), i)});
        }
    }
    for (const char* key : {"network_mode", "ipc", "pid", "uts", "cgroup"}) {
        auto value = string_of(service, key);
        if (value.rfind("service:", 0) == 0)
            found.push_back({value.substr(8), true, child_path(path, key)});
    }
    if (auto* from = field(service, "volumes_from"); from && from->is_array()) {
        for (size_t i = 0; i < from->size(); ++i) {
            if (!(*from)[i].is_string()) continue;
            auto text = (*from)[i].get<std::string>();
            if (text.rfind("container:", 0) == 0) continue;
            found.push_back({text.substr(0, text.find(':')), false,
                             item_path(child_path(path, "volumes_from"), i)});
        }
    }
    for (const auto& dep : found) add_dependency(doc, service, path, dep);
}

// pre_start hooks run the service image unless they name their own.
void pre_start_images(Tree& service) {
    auto* hooks = field(service, "pre_start");
    if (!hooks || !hooks->is_array() || !service.contains("image")) return;
    for (auto& hook : *hooks) {
        if (hook.is_object() && !hook.contains("image")) hook["image"] = service["image"];
    }
}

// A service without networks and without network_mode (or provider) joins `default`;
// the implicit network is declared only when some service uses it.
void default_network(Tree& model) {
    bool used = false;
    for (auto& [name, service] : model["services"].items()) {
        if (!service.is_object() || service.contains("provider") ||
            service.contains("network_mode"))
            continue;
        auto* networks = field(service, "networks");
        if (!networks || (networks->is_object() && networks->empty()) || networks->is_null()) {
            service["networks"] = {{"default", nullptr}};
            used = true;
        } else if (networks->is_object() && networks->contains("default")) {
            used = true;
        }
    }
    if (!used) return;
    auto& networks = model["networks"];
    if (!networks.is_object()) networks = Tree::object();
    if (!networks.contains("default")) networks["default"] = nullptr;
}

void collect_sources(const Tree& service, const char* key, std::set<std::string>& out) {
    if (!service.contains(key) || !service[key].is_array()) return;
    for (const auto& ref : service[key]) {
        auto source = string_of(ref, "source");
        if (!source.empty()) out.insert(source);
    }
}

}  // namespace

void remove_unused_resources(Tree& model) {
    if (!model.is_object() || !model.contains("services")) return;
    std::map<std::string, std::set<std::string>> used;
    for (const auto& [name, service] : model["services"].items()) {
        if (!service.is_object()) continue;
        if (service.contains("networks") && service["networks"].is_object())
            for (const auto& [net, config] : service["networks"].items()) used["networks"].insert(net);
        if (service.contains("volumes") && service["volumes"].is_array())
            for (const auto& mount : service["volumes"])
                if (string_of(mount, "type") == "volume" && !string_of(mount, "source").empty())
                    used["volumes"].insert(string_of(mount, "source"));
        collect_sources(service, "secrets", used["secrets"]);
        collect_sources(service, "configs", used["configs"]);
        if (service.contains("build")) collect_sources(service["build"], "secrets", used["secrets"]);
    }
    for (const char* kind : kResourceKinds) {
        auto* resources = field(model, kind);
        if (!resources || !resources->is_object()) continue;
        Tree kept = Tree::object();
        for (auto& [name, r] : resources->items())
            if (used[kind].count(name)) kept[name] = r;
        if (kept.empty()) model.erase(kind);
        else *resources = std::move(kept);
    }
}

namespace {

// Resources without an explicit name are named after their key (compose-go setNameFromKey).
void resource_names(Tree& model, const std::string& project) {
    for (const char* kind : kResourceKinds) {
        auto* resources = field(model, kind);
        if (!resources || !resources->is_object()) continue;
        for (auto& [key, r] : resources->items()) {
            if (!r.is_object()) r = Tree::object();
            if (r.contains("name") && !r["name"].is_null()) continue;
            r["name"] = bool_at(r, "external", false) ? key : project + "_" + key;
        }
    }
}

}  // namespace

void normalize(Document& doc, const NormalizeContext& ctx) {
    auto& model = doc.tree;
    if (!model.is_object()) return;
    model["name"] = ctx.project_name;
    if (!model.contains("services") || !model["services"].is_object())
        model["services"] = Tree::object();
    for (auto& [name, service] : model["services"].items()) {
        if (!service.is_object()) continue;
        if (string_at(service, "pull_policy") == "if_not_present") service["pull_policy"] = "missing";
        build_defaults(service);
        implicit_dependencies(doc, service, child_path("services", name));
        pre_start_images(service);
    }
    default_network(model);
    if (!ctx.all_resources) remove_unused_resources(model);
    resource_names(model, ctx.project_name);
    if (ctx.resolve_paths) resolve_paths(doc, ctx);
    if (ctx.resolve_environment) resolve_environment(doc, ctx);
}

}  // namespace compose
