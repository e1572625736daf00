#include "compose/discover.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "compose/log.hpp"
#include "schema/location.hpp"

namespace compose {
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kDefaultNames = {"compose.yaml", "compose.yml",
                                                "docker-compose.yml", "docker-compose.yaml"};
const std::vector<std::string> kOverrideNames = {
    "compose.override.yml", "compose.override.yaml", "docker-compose.override.yml",
    "docker-compose.override.yaml"};

std::string first_existing(const fs::path& dir, const std::vector<std::string>& names) {
    std::vector<std::string> found;
    for (const auto& n : names)
        if (fs::is_regular_file(dir / n)) found.push_back((dir / n).string());
    if (found.size() > 1)
        log().warn("found multiple config files with supported names: {}; using {}",
                   fmt::join(found, ", "), found.front());
    return found.empty() ? std::string() : found.front();
}

// Searches the directory and its parents for a default compose file (compose-go cli/options.go).
std::vector<std::string> default_files(const fs::path& start) {
    for (fs::path dir = start;; dir = dir.parent_path()) {
        auto main = first_existing(dir, kDefaultNames);
        if (!main.empty()) {
            std::vector<std::string> files{main};
            auto override_file = first_existing(dir, kOverrideNames);
            if (!override_file.empty()) files.push_back(override_file);
            return files;
        }
        if (dir == dir.root_path() || dir.parent_path() == dir) break;
    }
    throw schema::LoadError({}, "",
                            fmt::format("no configuration file provided: not found (searched {} "
                                        "and its parents for {})",
                                        start.string(), fmt::join(kDefaultNames, ", ")));
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find(separator, start);
        if (end == std::string::npos) end = text.size();
        if (end > start) out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::string absolute(const std::string& path, const fs::path& base) {
    return (base / path).lexically_normal().string();
}

// Variables from `path` fill in only what `env` does not have yet.
void add_missing(Environment& env, const Environment& file_values) {
    for (const auto& [k, v] : file_values) env.emplace(k, v);
}

void read_env_file(Discovery& d, const std::string& path, const DotenvReader& read,
                   bool required) {
    if (!fs::exists(path)) {
        if (required)
            throw schema::LoadError({path, 0, 0}, "", "couldn't find env file: no such file");
        return;
    }
    if (fs::is_directory(path)) return;  // docker compose ignores a directory named .env
    add_missing(d.environment, read(path, lookup_in(d.environment)));
    d.env_files.push_back(path);
}

std::vector<std::string> files_from(const LoadOptions& o, const Discovery& d, const fs::path& cwd) {
    std::vector<std::string> files;
    auto name_each = [&](const std::vector<std::string>& names, const fs::path& base) {
        for (const auto& f : names) files.push_back(f == "-" ? f : absolute(f, base));
    };
    if (!o.files.empty()) {
        name_each(o.files, cwd);
    } else if (auto it = d.environment.find("COMPOSE_FILE");
               it != d.environment.end() && !it->second.empty()) {
        auto sep = d.environment.count("COMPOSE_PATH_SEPARATOR")
                       ? d.environment.at("COMPOSE_PATH_SEPARATOR")
                       : std::string(":");
        name_each(split(it->second, sep.empty() ? ':' : sep[0]),
                  o.project_directory.empty() ? cwd : fs::path(d.project_directory));
    } else {
        files = default_files(o.project_directory.empty() ? cwd : fs::path(d.project_directory));
    }
    for (const auto& f : files)
        if (f != "-" && !fs::is_regular_file(f))
            throw schema::LoadError({}, "", fmt::format("open {}: no such file or directory", f));
    return files;
}

}  // namespace

Discovery discover(const LoadOptions& o, const DotenvReader& read_dotenv) {
    Discovery d;
    fs::path cwd = o.working_directory.empty() ? fs::current_path() : fs::path(o.working_directory);
    d.working_directory = cwd.lexically_normal().string();
    d.environment = o.os_environment;
    if (!o.project_directory.empty()) d.project_directory = absolute(o.project_directory, cwd);
    if (!o.env_files.empty()) {
        // Later --env-file files win over earlier ones; the process environment over all.
        for (auto it = o.env_files.rbegin(); it != o.env_files.rend(); ++it)
            read_env_file(d, absolute(*it, cwd), read_dotenv, true);
        std::reverse(d.env_files.begin(), d.env_files.end());
    } else {
        auto first_dir = d.project_directory.empty() ? d.working_directory : d.project_directory;
        read_env_file(d, (fs::path(first_dir) / ".env").string(), read_dotenv, false);
    }
    d.files = files_from(o, d, cwd);
    if (d.project_directory.empty()) {
        d.project_directory = d.files.front() == "-"
                                  ? d.working_directory
                                  : fs::path(d.files.front()).parent_path().string();
        if (o.env_files.empty() && d.project_directory != d.working_directory)
            read_env_file(d, (fs::path(d.project_directory) / ".env").string(), read_dotenv,
                          false);
    }
    return d;
}

std::string normalize_project_name(const std::string& name) {
    std::string out;
    for (char c : name) {
        char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (std::isalnum(static_cast<unsigned char>(lower)) || lower == '_' || lower == '-')
            out += lower;
    }
    auto start = out.find_first_not_of("_-");
    return start == std::string::npos ? std::string() : out.substr(start);
}

bool valid_project_name(const std::string& name) {
    return !name.empty() && normalize_project_name(name) == name;
}

std::string display_path(const std::string& absolute, const std::string& working_directory) {
    if (absolute == "-") return absolute;
    auto rel = fs::path(absolute).lexically_relative(working_directory);
    if (rel.empty() || rel.string().rfind("..", 0) == 0) return absolute;
    return rel.string();
}

}  // namespace compose
