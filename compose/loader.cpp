#include "compose/loader.hpp"

#include <filesystem>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "compose/canonicalize.hpp"
#include "compose/cast.hpp"
#include "compose/consistency.hpp"
#include "compose/discover.hpp"
#include "compose/dotenv.hpp"
#include "compose/extends.hpp"
#include "compose/include.hpp"
#include "compose/interpolate.hpp"
#include "compose/merge.hpp"
#include "compose/normalize.hpp"
#include "compose/paths.hpp"
#include "compose/profiles.hpp"
#include "compose/read_file.hpp"
#include "compose/select_services.hpp"
#include "compose/validate.hpp"
#include "compose/yaml_parse.hpp"

// The loader pipeline, as compose-go runs it:
//
//   discover files + .env ─> per file: parse ─> interpolate ─> cast ─> canonicalize ─> extends
//                                        │
//   project name <── -p, COMPOSE_PROJECT_NAME, last non-empty `name:` of the files, directory
//                                        ▼
//   merge files in -f order ─> include ─> validate ─> profiles ─> normalize ─> consistency
//
// An included project runs the same per-file stages with its own directory and environment.
namespace compose {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_list(const std::string& text, char separator) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    for (std::string item; std::getline(ss, item, separator);)
        if (!item.empty()) out.push_back(item);
    return out;
}

Environment read_dotenv(const std::string& path, const Lookup& lookup) {
    return read_dotenv_file(path, lookup);
}

// Files, environment and directory of one project: the main one or an included one.
struct Scope {
    std::vector<std::string> files;
    std::string directory;
    Environment environment;
};

class Pipeline {
public:
    Pipeline(const LoadOptions& options, Discovery discovery)
        : options_(options), d_(std::move(discovery)) {}

    Project run() {
        Scope main{d_.files, d_.project_directory, d_.environment};
        auto documents = parse_all(main.files, main.directory);
        Project project;
        project.name = project_name(documents);
        main.environment.emplace("COMPOSE_PROJECT_NAME", project.name);
        Document merged = prepare_and_merge(std::move(documents), main);
        std::vector<std::string> chain;
        for (const auto& f : main.files)
            if (f != "-") chain.push_back(f);
        apply_includes(merged, include_loader(main), chain);
        finish(merged, main, project);
        return project;
    }

private:
    std::vector<Document> parse_file(const std::string& file, const std::string& directory) {
        std::string shown = display_path(file, d_.working_directory);
        std::string text = file == "-" ? options_.stdin_content : read_user_file(file, shown);
        std::string dir = file == "-" ? directory : fs::path(file).parent_path().string();
        return parse_yaml(text, shown, dir);
    }

    std::vector<Document> parse_all(const std::vector<std::string>& files,
                                    const std::string& directory) {
        std::vector<Document> documents;
        for (const auto& file : files)
            for (auto& doc : parse_file(file, directory)) documents.push_back(std::move(doc));
        std::erase_if(documents, [](const Document& d) { return d.tree.is_null(); });
        if (documents.empty()) throw schema::LoadError({}, "", "empty compose file");
        for (const auto& doc : documents)
            if (!doc.tree.is_object())
                throw schema::LoadError(doc.locations.find(""), "",
                                        "top-level object must be a mapping");
        return documents;
    }

    std::string project_name(const std::vector<Document>& documents) {
        if (!options_.project_name.empty()) return explicit_name(options_.project_name);
        if (auto it = d_.environment.find("COMPOSE_PROJECT_NAME");
            it != d_.environment.end() && !it->second.empty())
            return explicit_name(it->second);
        std::string from_files;
        for (const auto& doc : documents) {
            if (!doc.tree.contains("name")) continue;
            const auto& value = doc.tree.at("name");
            if (!value.is_string())
                throw schema::LoadError({doc.diagnostic("name", "name must be a string")});
            std::string name = value.get<std::string>();
            if (options_.interpolate) name = interpolated_name(doc, name);
            if (!name.empty()) from_files = name;
        }
        if (!from_files.empty()) return normalize_project_name(from_files);
        auto from_dir = normalize_project_name(fs::path(d_.project_directory).filename().string());
        if (from_dir.empty()) throw schema::LoadError({}, "", "project name must not be empty");
        return from_dir;
    }

    std::string interpolated_name(const Document& doc, const std::string& name) {
        try {
            return substitute(name, lookup_in(d_.environment));
        } catch (const SubstituteError& e) {
            throw schema::LoadError({doc.diagnostic("name", e.what())});
        }
    }

    static std::string explicit_name(const std::string& name) {
        if (!valid_project_name(name))
            throw schema::LoadError(
                {}, "",
                fmt::format("invalid project name \"{}\": must consist only of lowercase "
                            "alphanumeric characters, hyphens, and underscores as well as start "
                            "with a letter or number",
                            name));
        return name;
    }

    // The per-file stages up to extends, then the merge of all files in order.
    Document prepare_and_merge(std::vector<Document> documents, const Scope& scope) {
        for (auto& doc : documents) {
            prepare(doc, scope);
            apply_extends(doc, [this, &scope](const std::string& file, const Document& from) {
                return load_extended(file, from, scope);
            });
        }
        Document merged = merge_documents(std::move(documents));
        fill_defaults(merged);
        return merged;
    }

    void prepare(Document& doc, const Scope& scope) {
        if (options_.interpolate) interpolate(doc, lookup_in(scope.environment));
        cast_types(doc);
        canonicalize(doc, {.lenient = !options_.interpolate, .fill_defaults = false});
    }

    Document load_extended(const std::string& file, const Document& from, const Scope& scope) {
        auto path = absolute_path(file, from.directory, home());
        auto documents = parse_all({path}, fs::path(path).parent_path().string());
        std::map<std::string, MergeTag> tags;
        for (auto& doc : documents) {
            prepare(doc, scope);
            for (const auto& [path, tag] : doc.tags) tags[path] = tag;
        }
        Document merged = merge_documents(std::move(documents));
        // The file's own extends still merge by its !override and !reset marks, which
        // merge_documents() has consumed.
        merged.tags = std::move(tags);
        return merged;
    }

    IncludeLoader include_loader(const Scope& parent) {
        return [this, &parent](const IncludeSpec& spec, const Document&) {
            return load_included(spec, parent);
        };
    }

    // An included project (compose-go ApplyInclude): the including project's variables, plus
    // those of its env files that are not set yet. Its directory is the base of every relative
    // path in its files, extends.file included; nested includes load the same way.
    Document load_included(const IncludeSpec& spec, const Scope& parent) {
        Scope scope{spec.paths, spec.project_directory, parent.environment};
        for (const auto& [k, v] : include_env_files(spec, parent.environment))
            scope.environment.emplace(k, v);
        auto documents = parse_all(scope.files, scope.directory);
        for (auto& doc : documents) doc.directory = scope.directory;
        Document merged = prepare_and_merge(std::move(documents), scope);
        merged.directory = spec.project_directory;
        // Bare `KEY` entries take the included project's variables, which the root project
        // cannot see later.
        if (options_.resolve_environment)
            resolve_unset_environment(merged, lookup_in(scope.environment));
        apply_includes(merged, include_loader(scope), spec.chain);
        return merged;
    }

    // The include's env files, a later file winning; `${VAR}` in them sees the including
    // project's variables first, then the files read before.
    static Environment include_env_files(const IncludeSpec& spec, const Environment& outer) {
        auto files = spec.env_files;
        if (files.empty()) {
            auto dotenv = (fs::path(spec.project_directory) / ".env").string();
            if (fs::is_regular_file(dotenv)) files.push_back(dotenv);
        }
        Environment read;
        Lookup lookup = [&](const std::string& name) -> std::optional<std::string> {
            if (auto it = outer.find(name); it != outer.end()) return it->second;
            if (auto it = read.find(name); it != read.end()) return it->second;
            return std::nullopt;
        };
        for (const auto& file : files)
            for (auto& [k, v] : read_dotenv(file, lookup)) read[k] = v;
        return read;
    }

    void finish(Document& merged, const Scope& scope, Project& project) {
        validate(merged);
        merged.tree.erase("version");
        project.all_profiles = all_profiles(merged.tree);
        apply_profiles(merged, active_profiles(scope), options_.services);
        merged.tree["name"] = project.name;
        auto ctx = normalize_context(project.name, scope);
        if (options_.normalize) {
            normalize(merged, ctx);
        } else {
            if (ctx.resolve_paths) resolve_paths(merged, ctx);
            if (ctx.resolve_environment) resolve_environment(merged, ctx);
        }
        if (options_.consistency) check_consistency(merged);
        if (!options_.services.empty()) {
            // docker compose checks the whole project, then keeps what the command names.
            select_services(merged, options_.services);
            if (options_.normalize && !options_.all_resources) remove_unused_resources(merged.tree);
        }
        project.working_directory = d_.project_directory;
        project.config_files = d_.files;
        project.env_files = d_.env_files;
        project.environment = scope.environment;
        project.model = std::move(merged.tree);
        project.locations = std::move(merged.locations);
    }

    std::vector<std::string> active_profiles(const Scope& scope) const {
        if (!options_.profiles.empty()) return options_.profiles;
        auto it = scope.environment.find("COMPOSE_PROFILES");
        return it == scope.environment.end() ? std::vector<std::string>{}
                                             : split_list(it->second, ',');
    }

    NormalizeContext normalize_context(const std::string& name, const Scope& scope) {
        NormalizeContext ctx;
        ctx.project_name = name;
        ctx.project_directory = scope.directory;
        ctx.home = home();
        ctx.lookup = lookup_in(scope.environment);
        ctx.resolve_paths = options_.resolve_paths;
        ctx.resolve_environment = options_.resolve_environment;
        ctx.all_resources = options_.all_resources;
        ctx.read_env_file = [&scope](const std::string& path, bool required, bool raw) {
            if (!required && !fs::exists(path)) return Environment{};
            return read_dotenv_file(path, lookup_in(scope.environment),
                                    raw ? EnvFileFormat::raw : EnvFileFormat::dotenv);
        };
        return ctx;
    }

    std::string home() const {
        auto it = d_.environment.find("HOME");
        return it == d_.environment.end() ? std::string("/") : it->second;
    }

    const LoadOptions& options_;
    Discovery d_;
};

}  // namespace

Project load(const LoadOptions& options) {
    auto discovery = discover(options, read_dotenv);
    return Pipeline(options, std::move(discovery)).run();
}

}  // namespace compose
