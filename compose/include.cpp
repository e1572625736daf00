#include "compose/include.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "compose/paths.hpp"

namespace compose {
namespace {

// The top-level resources an included project brings (compose-go importResources).
constexpr const char* kResources[] = {"services", "networks", "volumes",
                                      "secrets",  "configs",  "models"};

using Diagnostics = std::vector<schema::Diagnostic>;

[[noreturn]] void fail(const Document& doc, const std::string& path, std::string message) {
    throw schema::LoadError({doc.diagnostic(path, std::move(message))});
}

// Include paths are relative to the including project; "~" is the path stage's to expand.
std::string resolve(const std::string& path, const Document& from) {
    if (!path.empty() && path.front() == '~') return path;
    return absolute_path(path, from.directory, "");
}

// A string or a list of strings; nullopt for anything else.
std::optional<std::vector<std::string>> strings_of(const Tree& v) {
    if (v.is_string()) return std::vector<std::string>{v.get<std::string>()};
    if (!v.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& item : v) {
        if (!item.is_string()) return std::nullopt;
        out.push_back(item.get<std::string>());
    }
    return out;
}

IncludeSpec parse_entry(const Document& doc, const Tree& entry, const std::string& at) {
    const std::string bad = "include entry must be a path or a mapping with \"path\"";
    Tree long_form = entry.is_string() ? Tree{{"path", entry}} : entry;
    if (!long_form.is_object() || !long_form.contains("path")) fail(doc, at, bad);
    auto paths = strings_of(long_form["path"]);
    if (!paths || paths->empty()) fail(doc, child_path(at, "path"), bad);
    IncludeSpec spec;
    spec.at = at;
    for (const auto& p : *paths) spec.paths.push_back(resolve(p, doc));
    const auto& main = spec.paths.front();
    spec.project_directory = std::filesystem::path(main).parent_path().string();
    if (auto dir = long_form.find("project_directory"); dir != long_form.end()) {
        if (!dir->is_string()) fail(doc, child_path(at, "project_directory"), "must be a string");
        spec.project_directory = resolve(dir->get<std::string>(), doc);
    }
    if (auto env = long_form.find("env_file"); env != long_form.end()) {
        auto files = strings_of(*env);
        if (!files) fail(doc, child_path(at, "env_file"), "must be a path or a list of paths");
        for (const auto& f : *files) spec.env_files.push_back(resolve(f, doc));
    }
    return spec;
}

void check_cycle(const Document& doc, IncludeSpec& spec, const std::vector<std::string>& chain) {
    spec.chain = chain;
    spec.chain.push_back(spec.paths.front());
    auto first = std::find(chain.begin(), chain.end(), spec.paths.front());
    if (first == chain.end()) return;
    std::string text;
    for (auto i = size_t(first - chain.begin()); i < spec.chain.size(); ++i)
        text += (text.empty() ? "" : " -> ") + spec.chain[i];
    fail(doc, spec.at, "include cycle detected: " + text);
}

Document load_project(const Document& doc, const IncludeLoader& load, const IncludeSpec& spec) {
    try {
        return load(spec, doc);
    } catch (const schema::LoadError&) {
        throw;
    } catch (const std::exception& e) {
        fail(doc, spec.at, fmt::format("cannot load \"{}\": {}", spec.paths.front(), e.what()));
    }
}

// Copies one kind of resource; a name defined on both sides must mean the same thing.
void import_kind(Document& doc, const Document& included, const std::string& kind,
                 Diagnostics& errors) {
    const Tree& from = included.tree[kind];
    if (!from.is_object()) return;
    Tree& to = doc.tree[kind];
    if (!to.is_object()) to = Tree::object();
    for (auto it = from.begin(); it != from.end(); ++it) {
        const auto path = child_path(kind, it.key());
        if (to.contains(it.key())) {
            if (to[it.key()] != it.value())
                errors.push_back(doc.diagnostic(path, "conflicts with imported resource"));
            continue;
        }
        to[it.key()] = it.value();
        doc.locations.copy_subtree(included.locations, path, path);
    }
}

void import_project(Document& doc, Document included, Diagnostics& errors) {
    if (!included.tree.is_object()) return;
    for (const char* kind : kResources) {
        if (!included.tree.contains(kind)) continue;
        // Copied into another project, relative paths must keep naming the same files.
        rewrite_relative_paths(included.tree[kind], {kind}, [&](const std::string& value) {
            return resolve(value, included);
        });
        import_kind(doc, included, kind, errors);
    }
}

}  // namespace

void apply_includes(Document& doc, const IncludeLoader& load,
                    const std::vector<std::string>& chain) {
    if (!doc.tree.is_object() || !doc.tree.contains("include")) return;
    const Tree entries = doc.tree["include"];
    Diagnostics errors;
    if (!entries.is_array() && !entries.is_null())
        errors.push_back(doc.diagnostic("include", "include must be a list"));
    for (size_t i = 0; entries.is_array() && i < entries.size(); ++i) {
        try {
            auto spec = parse_entry(doc, entries[i], item_path("include", i));
            check_cycle(doc, spec, chain);
            import_project(doc, load_project(doc, load, spec), errors);
        } catch (const schema::LoadError& e) {
            errors.insert(errors.end(), e.diagnostics().begin(), e.diagnostics().end());
        }
    }
    if (!errors.empty()) throw schema::LoadError(std::move(errors));
    doc.tree.erase("include");
    doc.locations.erase_subtree("include");
}

}  // namespace compose
