// Path and environment resolution, the parts of normalization docker compose also applies
// under --no-normalize.
#include <fmt/format.h>

#include "compose/normalize.hpp"
#include "compose/paths.hpp"

namespace compose {
namespace {

Tree* field(Tree& parent, const char* key) {
    if (!parent.is_object()) return nullptr;
    auto it = parent.find(key);
    return it == parent.end() ? nullptr : &*it;
}

bool is_relative(const Tree& value) {
    if (!value.is_string()) return false;
    const auto& text = value.get_ref<const std::string&>();
    return !text.empty() && text.front() != '/';
}

// Keys the schema table does not mark as paths because their values are not always paths.
void resolve_service_extras(Tree& service, const PathRewrite& rewrite) {
    if (auto* files = field(service, "label_file"); files && files->is_array()) {
        for (auto& file : *files)
            if (is_relative(file)) file = rewrite(file.get<std::string>());
    }
    auto* build = field(service, "build");
    if (auto* contexts = build ? field(*build, "additional_contexts") : nullptr;
        contexts && contexts->is_object()) {
        for (auto& [name, context] : contexts->items()) {
            if (is_relative(context) && !is_remote_context(context.get<std::string>()))
                context = rewrite(context.get<std::string>());
        }
    }
}

// A local volume with `o: bind` is a bind mount in disguise: its device is a host path.
void resolve_bind_volume(Tree& volume, const PathRewrite& rewrite) {
    if (!volume.is_object() || string_at(volume, "driver", "local") != "local") return;
    auto* opts = field(volume, "driver_opts");
    if (!opts || !opts->is_object() || opts->value("o", "") != "bind") return;
    if (auto* device = field(*opts, "device"); device && is_relative(*device))
        *device = rewrite(device->get<std::string>());
}

// KEY: null takes the project environment's value; unset keys stay null (or are dropped).
void resolve_bare_keys(Tree& mapping, const Lookup& lookup, bool keep_unset) {
    if (!mapping.is_object() || !lookup) return;
    Tree out = Tree::object();
    for (auto& [key, value] : mapping.items()) {
        if (!value.is_null()) {
            out[key] = value;
        } else if (auto found = lookup(key)) {
            out[key] = *found;
        } else if (keep_unset) {
            out[key] = nullptr;
        }
    }
    mapping = std::move(out);
}

// Reads the env files of one key (env_file or label_file), later files winning.
Tree read_files(const Tree& files, const std::string& path, const NormalizeContext& ctx,
                const Document& doc, std::vector<schema::Diagnostic>& errors) {
    Tree merged = Tree::object();
    for (size_t i = 0; i < files.size(); ++i) {
        const auto& item = files[i];
        std::string file = item.is_string() ? item.get<std::string>() : string_at(item, "path");
        bool required = !item.is_object() || bool_at(item, "required", true);
        bool raw = item.is_object() && string_at(item, "format") == "raw";
        try {
            for (const auto& [key, value] : ctx.read_env_file(file, required, raw))
                merged[key] = value;
        } catch (const schema::LoadError& e) {
            for (const auto& d : e.diagnostics()) {
                // A problem inside the env file keeps its own line; one with the file as a
                // whole (missing, unreadable) is reported at the entry that names it.
                if (d.at.line > 0) errors.push_back(d);
                else errors.push_back(doc.diagnostic(item_path(path, i),
                                                     fmt::format("\"{}\": {}", file, d.message)));
            }
        } catch (const std::exception& e) {
            errors.push_back(doc.diagnostic(item_path(path, i), e.what()));
        }
    }
    return merged;
}

void resolve_service_environment(Document& doc, Tree& service, const std::string& path,
                                 const NormalizeContext& ctx,
                                 std::vector<schema::Diagnostic>& errors) {
    auto* env = field(service, "environment");
    if (env) resolve_bare_keys(*env, ctx.lookup, true);
    if (auto* files = field(service, "env_file"); files && files->is_array()) {
        if (ctx.read_env_file) {
            auto merged = read_files(*files, child_path(path, "env_file"), ctx, doc, errors);
            if (env && env->is_object())
                for (auto& [key, value] : env->items()) merged[key] = value;
            if (!merged.empty() || env) service["environment"] = std::move(merged);
        }
        // docker compose config prints the result, not where it came from.
        service.erase("env_file");
    }
    if (auto* build = field(service, "build"); build && build->is_object())
        if (auto* args = field(*build, "args")) resolve_bare_keys(*args, ctx.lookup, false);
    auto* labels_files = field(service, "label_file");
    if (labels_files && labels_files->is_array() && ctx.read_env_file) {
        auto merged = read_files(*labels_files, child_path(path, "label_file"), ctx, doc, errors);
        if (auto* labels = field(service, "labels"); labels && labels->is_object())
            for (auto& [key, value] : labels->items()) merged[key] = value;
        if (!merged.empty()) service["labels"] = std::move(merged);
    }
}

}  // namespace

void resolve_paths(Document& doc, const NormalizeContext& ctx) {
    PathRewrite rewrite = [&ctx](const std::string& value) {
        return absolute_path(value, ctx.project_directory, ctx.home);
    };
    rewrite_relative_paths(doc.tree, {}, rewrite);
    if (auto* services = field(doc.tree, "services"); services && services->is_object()) {
        for (auto& [name, service] : services->items()) resolve_service_extras(service, rewrite);
    }
    if (auto* volumes = field(doc.tree, "volumes"); volumes && volumes->is_object()) {
        for (auto& [name, volume] : volumes->items()) resolve_bind_volume(volume, rewrite);
    }
}

void resolve_environment(Document& doc, const NormalizeContext& ctx) {
    std::vector<schema::Diagnostic> errors;
    if (auto* services = field(doc.tree, "services"); services && services->is_object()) {
        for (auto& [name, service] : services->items()) {
            if (service.is_object())
                resolve_service_environment(doc, service, child_path("services", name), ctx,
                                            errors);
        }
    }
    if (!errors.empty()) {
        schema::sort_diagnostics(errors);
        throw schema::LoadError(std::move(errors));
    }
}

void resolve_unset_environment(Document& doc, const Lookup& lookup) {
    auto* services = field(doc.tree, "services");
    if (!services || !services->is_object()) return;
    for (auto& [name, service] : services->items())
        if (auto* env = field(service, "environment")) resolve_bare_keys(*env, lookup, true);
}

}  // namespace compose
