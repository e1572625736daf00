// Canonical forms of the service keys other than mounts and ports.
#include <fmt/format.h>

#include "compose/canonical_rules.hpp"
#include "compose/short_syntax.hpp"

namespace compose::canonical {
namespace {

Tree* field(Tree& parent, const char* key) {
    if (!parent.is_object()) return nullptr;
    auto it = parent.find(key);
    return it == parent.end() ? nullptr : &*it;
}

void mapping(Context& c, Tree& parent, const char* key, const std::string& path, Bare bare) {
    if (auto* v = field(parent, key)) to_mapping(c, *v, child_path(path, key), bare);
}

void list(Tree& parent, const char* key) {
    if (auto* v = field(parent, key)) string_to_list(*v);
}

// A numeric string becomes a number ("0.5" cpus); anything else is left for the schema.
void number(Tree& parent, const char* key) {
    auto* v = field(parent, key);
    if (!v || !v->is_string()) return;
    try {
        size_t used = 0;
        double d = std::stod(v->get<std::string>(), &used);
        if (used == v->get_ref<const std::string&>().size()) *v = d;
    } catch (const std::exception&) {
    }
}

// compose-go splits a string command like a shell would; a list is kept as written.
void command(Context& c, Tree& parent, const char* key, const std::string& path) {
    auto* v = field(parent, key);
    if (!v || !v->is_string()) return;
    try {
        *v = shell_split(v->get<std::string>());
    } catch (const SyntaxError& e) {
        if (!c.lenient()) c.fail(child_path(path, key), e.what());
    }
}

void depends_on(Context& c, Tree& service, const std::string& path) {
    auto* v = field(service, "depends_on");
    if (!v) return;
    auto at = child_path(path, "depends_on");
    if (v->is_array()) {
        Tree out = Tree::object();
        for (size_t i = 0; i < v->size(); ++i) {
            if (!(*v)[i].is_string()) return;
            auto name = (*v)[i].get<std::string>();
            out[name] = {{"condition", "service_started"}, {"required", true}};
            c.relocate(item_path(at, i), child_path(at, name));
        }
        *v = std::move(out);
        return;
    }
    if (!v->is_object() || !c.fill_defaults()) return;
    for (auto& [name, dep] : v->items()) {
        if (!dep.is_object()) continue;
        if (!dep.contains("condition")) dep["condition"] = "service_started";
        if (!dep.contains("required")) dep["required"] = true;
    }
}

// `networks: [a]` and `models: [m]` name entries whose long form has no required field.
void names_to_mapping(Context& c, Tree& service, const char* key, const std::string& path) {
    auto* v = field(service, key);
    if (!v || !v->is_array()) return;
    auto at = child_path(path, key);
    Tree out = Tree::object();
    for (size_t i = 0; i < v->size(); ++i) {
        if (!(*v)[i].is_string()) return;
        out[(*v)[i].get<std::string>()] = nullptr;
        c.relocate(item_path(at, i), child_path(at, (*v)[i].get<std::string>()));
    }
    *v = std::move(out);
}

void env_file(Tree& service) {
    auto* v = field(service, "env_file");
    if (!v) return;
    string_to_list(*v);
    if (!v->is_array()) return;
    for (auto& item : *v) {
        if (item.is_string()) item = Tree{{"path", item}};
        // compose-go prints `required` only when false: absent means required.
        if (item.is_object() && item.contains("required") && item["required"] == true)
            item.erase("required");
    }
}

// build.ssh prints as a list of "id" / "id=path"; only the "default" id may omit a path.
void ssh(Context& c, Tree& build, const std::string& path) {
    auto* v = field(build, "ssh");
    if (!v) return;
    string_to_list(*v);
    if (v->is_object()) {
        Tree out = Tree::array();
        for (auto& [id, p] : v->items()) out.push_back(p.is_string() ? id + "=" + p.get<std::string>() : id);
        *v = std::move(out);
    }
    if (!v->is_array()) return;
    for (size_t i = 0; i < v->size(); ++i) {
        auto& key = (*v)[i];
        if (key.is_string() && key != "default" && key.get<std::string>().find('=') == std::string::npos)
            c.fail(item_path(child_path(path, "ssh"), i),
                   fmt::format("invalid ssh key \"{}\"", key.get<std::string>()));
    }
}

void build(Context& c, Tree& service, const std::string& path) {
    auto* b = field(service, "build");
    if (!b) return;
    if (b->is_string()) *b = Tree{{"context", *b}};
    if (!b->is_object()) return;
    auto at = child_path(path, "build");
    if (!b->contains("context")) (*b)["context"] = ".";
    mapping(c, *b, "args", at, Bare::null);
    mapping(c, *b, "labels", at, Bare::empty);
    mapping(c, *b, "additional_contexts", at, Bare::empty);
    file_references(*b, "secrets");
    ssh(c, *b, at);
    if (auto* hosts = field(*b, "extra_hosts")) extra_hosts(c, *hosts, child_path(at, "extra_hosts"));
    byte_size(c, *b, "shm_size", at);
    list(*b, "tags");
}

void healthcheck(Context& c, Tree& service, const std::string& path) {
    auto* h = field(service, "healthcheck");
    if (!h || !h->is_object()) return;
    auto at = child_path(path, "healthcheck");
    if (auto* test = field(*h, "test"); test && test->is_string())
        *test = Tree::array({"CMD-SHELL", *test});
    for (const char* key : {"interval", "timeout", "start_period", "start_interval"})
        duration(c, *h, key, at);
}

// "count" is "all" or a number, and cannot be combined with device_ids (compose-go).
void device_requests(Context& c, Tree& parent, const char* key, const std::string& path) {
    auto* v = field(parent, key);
    if (!v || !v->is_array()) return;
    for (size_t i = 0; i < v->size(); ++i) {
        auto& request = (*v)[i];
        auto at = item_path(child_path(path, key), i);
        if (!request.is_object()) continue;
        if (request.contains("count") && request.contains("device_ids"))
            c.fail(at, "\"count\" and \"device_ids\" attributes are exclusive");
        auto* count = field(request, "count");
        if (count && count->is_string() && *count != "all") {
            auto text = count->get<std::string>();
            if (text.find_first_not_of("-0123456789") == std::string::npos && !text.empty())
                *count = std::stoll(text);
            else
                c.fail(child_path(at, "count"), fmt::format("invalid value \"{}\", the only value "
                                                            "allowed is 'all' or a number", text));
        }
    }
}

void deploy(Context& c, Tree& service, const std::string& path) {
    auto* d = field(service, "deploy");
    if (!d || !d->is_object()) return;
    auto at = child_path(path, "deploy");
    mapping(c, *d, "labels", at, Bare::empty);
    if (auto* resources = field(*d, "resources")) {
        for (const char* kind : {"limits", "reservations"}) {
            auto* r = field(*resources, kind);
            if (!r) continue;
            auto r_at = at + ".resources." + kind;
            byte_size(c, *r, "memory", r_at);
            number(*r, "cpus");
            device_requests(c, *r, "devices", r_at);
        }
    }
    if (auto* policy = field(*d, "restart_policy")) {
        duration(c, *policy, "delay", at + ".restart_policy");
        duration(c, *policy, "window", at + ".restart_policy");
    }
    for (const char* key : {"update_config", "rollback_config"}) {
        if (auto* u = field(*d, key)) {
            duration(c, *u, "delay", child_path(at, key));
            duration(c, *u, "monitor", child_path(at, key));
        }
    }
}

// post_start / pre_stop hooks carry their own command and environment.
void hooks(Context& c, Tree& service, const std::string& path) {
    for (const char* key : {"post_start", "pre_stop", "pre_start"}) {
        auto* v = field(service, key);
        if (!v || !v->is_array()) continue;
        for (size_t i = 0; i < v->size(); ++i) {
            auto at = item_path(child_path(path, key), i);
            command(c, (*v)[i], "command", at);
            mapping(c, (*v)[i], "environment", at, Bare::null);
        }
    }
}

}  // namespace

void service(Context& c, Tree& s, const std::string& path) {
    if (!s.is_object()) return;
    ports(c, s, path);
    volumes(c, s, path);
    devices(c, s, path);
    file_references(s, "secrets");
    file_references(s, "configs");
    mapping(c, s, "environment", path, Bare::null);
    for (const char* key : {"labels", "annotations", "sysctls", "storage_opt"})
        mapping(c, s, key, path, Bare::empty);
    if (auto* logging = field(s, "logging"))
        mapping(c, *logging, "options", child_path(path, "logging"), Bare::empty);
    if (auto* hosts = field(s, "extra_hosts")) extra_hosts(c, *hosts, child_path(path, "extra_hosts"));
    if (auto* expose = field(s, "expose"); expose && expose->is_array()) {
        for (auto& port : *expose) port = scalar_string(port).value_or(port.dump());
    }
    for (const char* key : {"dns", "dns_search", "dns_opt", "tmpfs", "label_file"}) list(s, key);
    if (auto* gpus = field(s, "gpus"); gpus && gpus->is_string())
        *gpus = Tree::array({Tree{{"count", "all"}}});
    device_requests(c, s, "gpus", path);
    env_file(s);
    depends_on(c, s, path);
    names_to_mapping(c, s, "networks", path);
    names_to_mapping(c, s, "models", path);
    build(c, s, path);
    healthcheck(c, s, path);
    if (auto* extends = field(s, "extends"); extends && extends->is_string())
        *extends = Tree{{"service", *extends}};
    command(c, s, "command", path);
    command(c, s, "entrypoint", path);
    duration(c, s, "stop_grace_period", path);
    for (const char* key : {"shm_size", "mem_limit", "mem_reservation", "memswap_limit"})
        byte_size(c, s, key, path);
    number(s, "cpus");
    deploy(c, s, path);
    hooks(c, s, path);
}

}  // namespace compose::canonical
