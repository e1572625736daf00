#include "compose/canonicalize.hpp"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "compose/canonical_rules.hpp"
#include "compose/short_syntax.hpp"
#include "schema/keys.hpp"

namespace compose {
namespace canonical {

void to_mapping(Context& c, Tree& value, const std::string& path, Bare bare) {
    Tree out = Tree::object();
    auto store = [&](const std::string& key, const Tree& v, const std::string& from) {
        auto text = scalar_string(v);
        out[key] = text ? Tree(*text) : (bare == Bare::null ? Tree() : Tree(""));
        c.relocate(from, child_path(path, key));
    };
    if (value.is_object()) {
        for (auto& [key, v] : value.items()) {
            if (v.is_structured()) return;  // not a KEY=VAL mapping: the schema reports it
            store(key, v, child_path(path, key));
        }
    } else if (value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i) {
            auto text = scalar_string(value[i]);
            if (!text) return;
            auto eq = text->find('=');
            auto key = text->substr(0, eq);
            if (bare == Bare::null && !key.empty() && key.back() == ' ') {
                // compose-go rejects "KEY = VAL": the key would silently contain a space.
                c.fail(item_path(path, i), fmt::format("environment variable {} is declared "
                                                       "with a trailing space", key));
            }
            store(key, eq == std::string::npos ? Tree() : Tree(text->substr(eq + 1)),
                  item_path(path, i));
        }
    } else {
        return;
    }
    value = std::move(out);
}

void string_to_list(Tree& value) {
    if (value.is_string()) value = Tree::array({value});
}

void duration(Context& c, Tree& parent, const char* key, const std::string& path) {
    if (!parent.is_object() || !parent.contains(key)) return;
    auto& v = parent[key];
    if (!v.is_string() && !v.is_number()) return;
    auto at = child_path(path, key);
    try {
        v = format_duration(parse_duration(*scalar_string(v)));
    } catch (const SyntaxError& e) {
        if (!c.lenient()) c.fail(at, e.what());
    }
}

void byte_size(Context& c, Tree& parent, const char* key, const std::string& path) {
    if (!parent.is_object() || !parent.contains(key)) return;
    auto& v = parent[key];
    if (v.is_number_integer()) {
        if (v.get<int64_t>() < 0) return;  // left for the validator's minimum to report
        v = v.dump();
    } else if (v.is_string()) {
        try {
            v = std::to_string(parse_bytes(v.get<std::string>()));
        } catch (const SyntaxError& e) {
            if (!c.lenient()) c.fail(child_path(path, key), e.what());
        }
    }
}

void extra_hosts(Context& c, Tree& value, const std::string& path) {
    std::vector<std::pair<std::string, std::string>> hosts;
    auto add = [&](const std::string& host, const std::string& ips, const std::string& at) {
        if (host.empty() || host.find_first_of(":=") != std::string::npos)
            return c.fail(at, fmt::format("bad host name \"{}\"", host));
        for (size_t start = 0;;) {  // "host=ip1,ip2" lists several addresses
            auto comma = ips.find(',', start);
            auto ip = ips.substr(start, comma - start);
            if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']')
                ip = ip.substr(1, ip.size() - 2);
            hosts.emplace_back(host, ip);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    };
    if (value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i) {
            auto text = scalar_string(value[i]);
            if (!text) return;
            auto sep = text->find('=');
            if (sep == std::string::npos) sep = text->find(':');
            if (sep == std::string::npos) {
                c.fail(item_path(path, i),
                       fmt::format("invalid additional host, missing IP: \"{}\"", *text));
                continue;
            }
            add(text->substr(0, sep), text->substr(sep + 1), item_path(path, i));
        }
    } else if (value.is_object()) {
        for (auto& [host, ips] : value.items()) {
            auto at = child_path(path, host);
            if (ips.is_array()) {
                for (auto& ip : ips) add(host, scalar_string(ip).value_or(""), at);
            } else {
                add(host, scalar_string(ips).value_or(""), at);
            }
        }
    } else {
        return;
    }
    // compose-go prints extra_hosts sorted, with '=' so IPv6 addresses stay readable.
    std::vector<std::string> lines;
    for (const auto& [host, ip] : hosts) lines.push_back(host + "=" + ip);
    std::sort(lines.begin(), lines.end());
    value = lines;
}

// `external: {name: x}` is the deprecated spelling of `name: x` + `external: true`.
void relocate_external_name(Context& c, Tree& resource, const std::string& path) {
    if (!resource.contains("external") || !resource["external"].is_object()) return;
    Tree external = resource["external"];
    resource["external"] = true;
    if (!external.contains("name")) return;
    if (resource.contains("name") && resource["name"] != external["name"])
        return c.fail(path, "name and external.name conflict; only use name");
    resource["name"] = external["name"];
}

void external_conflicts(Context& c, Tree& resource, const std::string& path) {
    if (!bool_at(resource, "external", false)) return;
    for (const char* key : {"driver", "driver_opts", "labels"}) {
        if (resource.contains(key))
            c.fail(path, fmt::format("conflicting parameters \"external\" and \"{}\" specified",
                                     key));
    }
}

}  // namespace canonical

namespace {

// Walks the tree beside the key table; a key whose spec names a normalizer is rewritten
// before its value is walked, so `build: ./ctx` is a mapping by the time build.args is seen.
void walk(canonical::Context& c, Tree& node, const schema::Cursor& at, const std::string& path) {
    if (node.is_object()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            auto next = at.child(it.key());
            if (next.empty()) continue;  // extensions and unknown keys are left to validation
            const auto* spec = next.spec();
            if (spec && !spec->normalizer.empty()) {
                auto fn = canonical::normalizers().find(spec->normalizer);
                assert(fn != canonical::normalizers().end());  // keys_test checks every id
                fn->second(c, node, it.key(), path);
            }
            walk(c, it.value(), next, child_path(path, it.key()));
        }
    } else if (node.is_array()) {
        auto next = at.item();
        if (next.empty()) return;
        for (size_t i = 0; i < node.size(); ++i) walk(c, node[i], next, item_path(path, i));
    }
}

}  // namespace

void fill_defaults(Document& doc) {
    auto& tree = doc.tree;
    if (!tree.is_object()) return;
    if (auto services = tree.find("services"); services != tree.end() && services->is_object())
        for (auto& [name, service] : services->items()) {
            if (!service.is_object()) continue;
            if (service.contains("depends_on") && service["depends_on"].is_object())
                canonical::depends_on_defaults(service["depends_on"]);
            if (service.contains("build") && service["build"].is_object() &&
                !service["build"].contains("context"))
                service["build"]["context"] = ".";
        }
    for (const char* kind : {"networks", "volumes"})
        if (auto section = tree.find(kind); section != tree.end() && section->is_object())
            for (auto& [name, resource] : section->items())
                if (resource.is_null()) resource = Tree::object();
}

void canonicalize(Document& doc, const CanonicalizeOptions& options) {
    canonical::Context c(doc, options.lenient, options.fill_defaults);
    if (!doc.tree.is_object()) return;
    walk(c, doc.tree, schema::Cursor::root(), "");
    if (!c.errors().empty()) {
        schema::sort_diagnostics(c.errors());
        throw schema::LoadError(std::move(c.errors()));
    }
}

}  // namespace compose
