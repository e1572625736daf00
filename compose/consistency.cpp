#include "compose/consistency.hpp"

#include <map>

#include <fmt/format.h>

#include "compose/dependency_graph.hpp"

namespace compose {
namespace {

// compose-go wraps these with errdefs.ErrInvalid; its text is kept so messages match.
constexpr const char* kInvalid = ": invalid compose project";

class Checker {
public:
    explicit Checker(const Document& doc) : doc_(doc), model_(doc.tree) {}

    void run();
    std::vector<schema::Diagnostic>& errors() { return errors_; }

private:
    void fail(const std::string& path, std::string message) {
        errors_.push_back(doc_.diagnostic(path, std::move(message)));
    }
    bool declared(const char* kind, const std::string& name) const {
        return model_.contains(kind) && model_[kind].is_object() && model_[kind].contains(name);
    }
    void service(const std::string& name, const Tree& s);
    void references(const std::string& name, const Tree& s, const std::string& path);
    void replicas(const std::string& name, const Tree& s, const std::string& path);
    void mounts(const Tree& s, const std::string& path);
    void healthcheck(const Tree& s, const std::string& path);
    void sources(const char* kind, const char* needs);
    void cycles();

    const Document& doc_;
    const Tree& model_;
    std::vector<schema::Diagnostic> errors_;
    std::map<std::string, std::string> container_names_;
    bool dangling_ = false;
};

std::string string_of(const Tree& parent, const char* key) {
    if (!parent.is_object() || !parent.contains(key) || !parent[key].is_string()) return "";
    return parent[key].get<std::string>();
}

const Tree* find_path(const Tree& root, std::initializer_list<const char*> keys) {
    const Tree* node = &root;
    for (const char* key : keys) {
        if (!node->is_object() || !node->contains(key)) return nullptr;
        node = &(*node)[key];
    }
    return node;
}

void Checker::run() {
    if (!model_.is_object() || !model_.contains("services") || !model_["services"].is_object())
        return;
    for (const auto& [name, s] : model_["services"].items()) {
        if (s.is_object()) service(name, s);
    }
    sources("secrets", "`file` or `environment`");
    sources("configs", "`file`, `content` or `environment`");
    cycles();
}

void Checker::service(const std::string& name, const Tree& s) {
    auto path = child_path("services", name);
    if (!s.contains("image") && !s.contains("build") && !s.contains("provider"))
        fail(path, fmt::format("service \"{}\" has neither an image nor a build context "
                               "specified{}", name, kInvalid));
    if (s.contains("network_mode") && s.contains("networks"))
        fail(child_path(path, "network_mode"),
             fmt::format("service {} declares mutually exclusive `network_mode` and `networks`",
                         name));
    references(name, s, path);
    replicas(name, s, path);
    mounts(s, path);
    healthcheck(s, path);
    auto container = string_of(s, "container_name");
    if (container.empty()) return;
    auto [it, fresh] = container_names_.emplace(container, name);
    if (!fresh)
        fail(child_path(path, "container_name"),
             fmt::format("container name \"{}\" is already in use by service \"{}\"{}",
                         container, it->second, kInvalid));
}

void Checker::references(const std::string& name, const Tree& s, const std::string& path) {
    auto undefined = [&](const char* what, const char* kind, const std::string& ref,
                         const std::string& at) {
        if (!declared(kind, ref))
            fail(at, fmt::format("service \"{}\" refers to undefined {} {}{}", name, what, ref,
                                 kInvalid));
    };
    if (auto* nets = find_path(s, {"networks"}); nets && nets->is_object())
        for (const auto& [net, config] : nets->items())
            undefined("network", "networks", net, child_path(child_path(path, "networks"), net));
    if (auto* volumes = find_path(s, {"volumes"}); volumes && volumes->is_array())
        for (size_t i = 0; i < volumes->size(); ++i) {
            const auto& mount = (*volumes)[i];
            if (string_of(mount, "type") == "volume" && !string_of(mount, "source").empty())
                undefined("volume", "volumes", string_of(mount, "source"),
                          item_path(child_path(path, "volumes"), i));
        }
    for (auto [key, what, kind] : {std::tuple{"secrets", "secret", "secrets"},
                                   std::tuple{"configs", "config", "configs"}}) {
        if (auto* refs = find_path(s, {key}); refs && refs->is_array())
            for (size_t i = 0; i < refs->size(); ++i)
                undefined(what, kind, string_of((*refs)[i], "source"),
                          item_path(child_path(path, key), i));
    }
    if (auto* refs = find_path(s, {"build", "secrets"}); refs && refs->is_array())
        for (size_t i = 0; i < refs->size(); ++i)
            undefined("build secret", "secrets", string_of((*refs)[i], "source"),
                      item_path(path + ".build.secrets", i));
    const auto* deps = find_path(s, {"depends_on"});
    if (deps && deps->is_object()) {
        for (const auto& [dep, config] : deps->items()) {
            if (declared("services", dep) || (config.is_object() && !bool_at(config, "required", true)))
                continue;
            dangling_ = true;
            fail(child_path(child_path(path, "depends_on"), dep),
                 fmt::format("service \"{}\" depends on undefined service \"{}\"{}", name, dep,
                             kInvalid));
        }
    }
    for (const char* key : {"network_mode", "ipc", "pid", "uts", "cgroup"}) {
        auto value = string_of(s, key);
        if (value.rfind("service:", 0) != 0) continue;
        auto target = value.substr(8);
        if (declared("services", target) || (deps && deps->is_object() && deps->contains(target)))
            continue;  // an undefined target already in depends_on is reported there
        dangling_ = true;
        fail(child_path(path, key),
             fmt::format("service \"{}\" not found for {} 'service:{}'", target, key, target));
    }
}

void Checker::replicas(const std::string& name, const Tree& s, const std::string& path) {
    const auto* scale = find_path(s, {"scale"});
    const auto* replicas = find_path(s, {"deploy", "replicas"});
    if (scale && scale->is_number_integer() && scale->get<int64_t>() < 0)
        fail(child_path(path, "scale"), "must be greater than or equal to 0");
    if (scale && replicas && scale->is_number() && replicas->is_number() && *scale != *replicas)
        fail(child_path(path, "scale"), fmt::format("can't set distinct values on 'scale' and "
                                                    "'deploy.replicas'{}", kInvalid));
    const auto* count = scale ? scale : replicas;
    if (count && count->is_number_integer() && count->get<int64_t>() > 1 &&
        s.contains("container_name"))
        fail(child_path(path, "container_name"),
             fmt::format("can't set container_name and {} {} on service \"{}\": container "
                         "name must be unique", scale ? "scale" : "deploy.replicas",
                         count->get<int64_t>(), name));
    for (auto [key, limit] : {std::pair{"mem_limit", "memory"}, std::pair{"cpus", "cpus"},
                              std::pair{"pids_limit", "pids"}}) {
        const auto* own = find_path(s, {key});
        const auto* deploy = find_path(s, {"deploy", "resources", "limits", limit});
        if (own && deploy && *own != *deploy)
            fail(child_path(path, key),
                 fmt::format("can't set distinct values on '{}' and 'deploy.resources.limits.{}'{}",
                             key, limit, kInvalid));
    }
}

// compose-go checks tmpfs first, so a volume on a tmpfs target names the tmpfs entry.
void Checker::mounts(const Tree& s, const std::string& path) {
    std::map<std::string, std::string> targets;
    auto claim = [&](const std::string& target, const std::string& at) {
        if (target.empty()) return;
        auto [it, fresh] = targets.emplace(target, at);
        if (!fresh) fail(at, fmt::format("target {} already mounted as {}", target, it->second));
    };
    if (auto* tmpfs = find_path(s, {"tmpfs"}); tmpfs && tmpfs->is_array())
        for (size_t i = 0; i < tmpfs->size(); ++i) {
            if (!(*tmpfs)[i].is_string()) continue;
            auto entry = (*tmpfs)[i].get<std::string>();
            claim(entry.substr(0, entry.find(':')), item_path(child_path(path, "tmpfs"), i));
        }
    if (auto* volumes = find_path(s, {"volumes"}); volumes && volumes->is_array())
        for (size_t i = 0; i < volumes->size(); ++i)
            claim(string_of((*volumes)[i], "target"), item_path(child_path(path, "volumes"), i));
}

void Checker::healthcheck(const Tree& s, const std::string& path) {
    const auto* test = find_path(s, {"healthcheck", "test"});
    if (!test || !test->is_array() || test->empty() || !(*test)[0].is_string()) return;
    auto first = (*test)[0].get<std::string>();
    if (first != "CMD" && first != "CMD-SHELL" && first != "NONE")
        fail(path + ".healthcheck.test",
             "healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"");
}

void Checker::sources(const char* kind, const char* needs) {
    const auto* resources = find_path(model_, {kind});
    if (!resources || !resources->is_object()) return;
    std::string singular(kind, std::string_view(kind).size() - 1);
    for (const auto& [name, r] : resources->items()) {
        if (r.is_object() && (bool_at(r, "external", false) || r.contains("file") ||
                              r.contains("environment") || r.contains("content")))
            continue;
        fail(child_path(kind, name), fmt::format("{} \"{}\" must declare either {}{}", singular,
                                                 name, needs, kInvalid));
    }
}

void Checker::cycles() {
    if (dangling_) return;  // the graph needs every reference to resolve; already reported
    try {
        DependencyGraph graph(model_);
        auto cycle = graph.find_cycle();
        if (!cycle.empty())
            fail(child_path(child_path("services", cycle.front()), "depends_on"),
                 "dependency cycle detected: " + DependencyGraph::render(cycle));
    } catch (const std::invalid_argument& e) {
        fail("services", e.what());
    }
}

}  // namespace

void check_consistency(const Document& doc) {
    Checker checker(doc);
    checker.run();
    if (checker.errors().empty()) return;
    schema::sort_diagnostics(checker.errors());
    throw schema::LoadError(std::move(checker.errors()));
}

}  // namespace compose
