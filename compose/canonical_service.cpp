// Canonical forms of the service keys other than mounts and ports.
#include <charconv>
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

}  // namespace

void depends_on_defaults(Tree& depends_on) {
    for (auto& [name, dep] : depends_on.items()) {
        if (!dep.is_object()) continue;
        if (!dep.contains("condition")) dep["condition"] = "service_started";
        if (!dep.contains("required")) dep["required"] = true;
    }
}

namespace {

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
    if (v->is_object() && c.fill_defaults()) depends_on_defaults(*v);
}

// A list of names becomes a mapping name -> null (service networks and models).
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
            int64_t n = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
            if (ec == std::errc() && end == text.data() + text.size() && !text.empty())
                *count = n;
            else
                c.fail(child_path(at, "count"), fmt::format("invalid value \"{}\", the only value "
                                                            "allowed is 'all' or a number", text));
        }
    }
}

// build: "./ctx" is {context: ./ctx}. The default context "." comes with fill_defaults(),
// after the merge: an override that sets only build.dockerfile keeps the base's context.
void build(Tree& build) {
    if (build.is_string()) build = Tree{{"context", build}};
}

template <void (*F)(Tree&)>
void on_value(Context&, Tree& parent, const std::string& key, const std::string&) {
    F(parent[key]);
}

void expose(Tree& v) {
    if (!v.is_array()) return;
    for (auto& port : v) port = scalar_string(port).value_or(port.dump());
}

void healthcheck_test(Tree& test) {
    if (test.is_string()) test = Tree::array({"CMD-SHELL", test});
}

void extends(Tree& v) {
    if (v.is_string()) v = Tree{{"service", v}};
}

void gpus(Context& c, Tree& parent, const std::string& key, const std::string& path) {
    if (parent[key].is_string()) parent[key] = Tree::array({Tree{{"count", "all"}}});
    device_requests(c, parent, key.c_str(), path);
}

}  // namespace

const std::map<std::string_view, Normalizer>& normalizers() {
    using K = const std::string&;
    static const std::map<std::string_view, Normalizer> table = {
        {"ports", [](Context& c, Tree& p, K, K path) { ports(c, p, path); }},
        {"volumes", [](Context& c, Tree& p, K, K path) { volumes(c, p, path); }},
        {"devices", [](Context& c, Tree& p, K, K path) { devices(c, p, path); }},
        {"file_references", [](Context&, Tree& p, K k, K) { file_references(p, k.c_str()); }},
        {"environment",
         [](Context& c, Tree& p, K k, K path) { mapping(c, p, k.c_str(), path, Bare::null); }},
        {"mapping",
         [](Context& c, Tree& p, K k, K path) { mapping(c, p, k.c_str(), path, Bare::empty); }},
        {"extra_hosts",
         [](Context& c, Tree& p, K k, K path) { extra_hosts(c, p[k], child_path(path, k)); }},
        {"expose", on_value<expose>},
        {"list", [](Context&, Tree& p, K k, K) { list(p, k.c_str()); }},
        {"gpus", gpus},
        {"device_requests",
         [](Context& c, Tree& p, K k, K path) { device_requests(c, p, k.c_str(), path); }},
        {"env_file", [](Context&, Tree& p, K, K) { env_file(p); }},
        {"depends_on", [](Context& c, Tree& p, K, K path) { depends_on(c, p, path); }},
        {"names_to_mapping",
         [](Context& c, Tree& p, K k, K path) { names_to_mapping(c, p, k.c_str(), path); }},
        {"build", on_value<build>},
        {"ssh", [](Context& c, Tree& p, K, K path) { ssh(c, p, path); }},
        {"healthcheck_test", on_value<healthcheck_test>},
        {"extends", on_value<extends>},
        {"command", [](Context& c, Tree& p, K k, K path) { command(c, p, k.c_str(), path); }},
        {"duration", [](Context& c, Tree& p, K k, K path) { duration(c, p, k.c_str(), path); }},
        {"bytes", [](Context& c, Tree& p, K k, K path) { byte_size(c, p, k.c_str(), path); }},
        {"number", [](Context&, Tree& p, K k, K) { number(p, k.c_str()); }},
        {"external_name",
         [](Context& c, Tree& p, K k, K path) { relocate_external_name(c, p[k], child_path(path, k)); }},
        {"external",
         [](Context& c, Tree& p, K k, K path) {
             // `data:` alone declares a resource with every default; docker compose prints {}.
             if (p[k].is_null() && c.fill_defaults()) p[k] = Tree::object();
             relocate_external_name(c, p[k], child_path(path, k));
             external_conflicts(c, p[k], child_path(path, k));
         }},
    };
    return table;
}

}  // namespace compose::canonical
