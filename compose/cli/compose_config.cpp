#include "compose/cli/compose_config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <iostream>
#include <iterator>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "compose/config_hash.hpp"
#include "compose/config_output.hpp"
#include "compose/interpolate.hpp"

extern char** environ;

namespace berth::cli {

void add_compose_globals(CLI::App& compose, ComposeGlobals& g) {
    compose.add_option("-f,--file", g.files, "Compose configuration files");
    compose.add_option("-p,--project-name", g.project_name, "Project name");
    compose.add_option("--project-directory", g.project_directory,
                       "Alternate working directory (default: the first compose file's)");
    compose.add_option("--env-file", g.env_files, "Alternate environment files");
    compose.add_option("--profile", g.profiles, "Profiles to enable");
    compose.add_flag("--all-resources", g.all_resources, "Include all resources, even unused");
    compose.add_flag("--compatibility", g.compatibility, "Use docker-compose v1 naming");
    compose.add_flag("--dry-run", g.dry_run, "Show what would be done without doing it");
    compose.add_option("--progress", g.progress, "Progress output (auto, tty, plain, json, quiet)");
    compose.add_option("--ansi", g.ansi, "Control ANSI output (never, always, auto)");
    compose.add_option("--parallel", g.parallel, "Maximum parallelism, -1 for unlimited");
}

void add_config_flags(CLI::App& c, ConfigFlags& f) {
    c.add_option("--format", f.format, "Format the output (yaml, json)")
        ->check(CLI::IsMember({"yaml", "json"}));
    c.add_flag("-q,--quiet", f.quiet, "Only validate the configuration, print nothing");
    c.add_flag("--services", f.services, "Print the service names, one per line");
    c.add_flag("--volumes", f.volumes, "Print the volume names, one per line");
    c.add_flag("--networks", f.networks, "Print the network names, one per line");
    c.add_flag("--profiles", f.profiles, "Print the profile names, one per line");
    c.add_flag("--images", f.images, "Print the image names, one per line");
    c.add_flag("--no-interpolate", f.no_interpolate, "Don't interpolate environment variables");
    c.add_flag("--no-normalize", f.no_normalize, "Don't normalize the compose model");
    c.add_flag("--no-consistency", f.no_consistency, "Don't check model consistency");
    c.add_flag("--no-env-resolution", f.no_env_resolution, "Don't resolve service env files");
    c.add_flag("--no-path-resolution", f.no_path_resolution, "Don't resolve file paths");
    c.add_flag("--environment", f.environment, "Print the environment used for interpolation");
    c.add_flag("--variables", f.variables, "Print the model variables and their defaults");
    c.add_option("--hash", f.hash, "Print the service config hash, one per line");
    c.add_option("-o,--output", f.output, "Save to a file instead of printing");
    c.add_option("services", f.service_names, "Services to include");
}

compose::LoadOptions load_options(const ComposeGlobals& g) {
    compose::LoadOptions o;
    o.files = g.files;
    o.project_name = g.project_name;
    o.project_directory = g.project_directory;
    o.env_files = g.env_files;
    o.profiles = g.profiles;
    o.all_resources = g.all_resources;
    for (char** e = environ; e && *e; ++e) {
        std::string entry(*e);
        auto eq = entry.find('=');
        if (eq != std::string::npos) o.os_environment[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& f : g.files) {
        if (f == "-") {
            o.stdin_content.assign(std::istreambuf_iterator<char>(std::cin), {});
            break;
        }
    }
    return o;
}

namespace {

std::string lines(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += item + "\n";
    return out;
}

std::vector<std::string> keys_of(const compose::Tree& model, const char* section) {
    std::vector<std::string> out;
    if (model.contains(section) && model.at(section).is_object())
        for (auto it = model.at(section).begin(); it != model.at(section).end(); ++it)
            out.push_back(it.key());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> images(const compose::Project& project) {
    std::vector<std::string> out;
    for (const auto& name : keys_of(project.model, "services")) {
        const auto& service = project.model.at("services").at(name);
        out.push_back(service.contains("image") && service.at("image").is_string()
                          ? service.at("image").get<std::string>()
                          : project.name + "-" + name);
    }
    return out;
}

std::string hashes(const compose::Project& project, const std::string& wanted) {
    std::vector<std::string> names = keys_of(project.model, "services");
    if (wanted != "*") {
        names.clear();
        std::stringstream ss(wanted);
        for (std::string n; std::getline(ss, n, ',');) names.push_back(n);
    }
    std::string out;
    for (const auto& name : names) {
        const auto& services = project.model.at("services");
        if (!services.contains(name))
            throw std::runtime_error(fmt::format("no such service: {}", name));
        out += name + " " + compose::service_hash(services.at(name)) + "\n";
    }
    return out;
}

std::string environment_lines(const compose::Project& project) {
    std::string out;
    for (const auto& [k, v] : project.environment) out += k + "=" + v + "\n";
    return out;
}

std::string variables_table(const compose::Project& raw) {
    std::string out = fmt::format("{:<24}{:<10}{:<16}{}\n", "NAME", "REQUIRED", "DEFAULT VALUE",
                                  "ALTERNATE VALUE");
    for (const auto& v : compose::variables(raw.model))
        out += fmt::format("{:<24}{:<10}{:<16}{}\n", v.name, v.required ? "true" : "false",
                           v.default_value.value_or(""), v.alternate.value_or(""));
    return out;
}

// temp file + fsync + rename: a reader never sees half a file, a crash never leaves one.
void write_atomically(const std::string& path, const std::string& text) {
    std::string temp = path + ".tmp-" + std::to_string(::getpid());
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0;
    for (size_t done = 0; ok && done < text.size();) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    if (fd >= 0) ok = ::close(fd) == 0 && ok;
    if (ok && ::rename(temp.c_str(), path.c_str()) == 0) return;
    int saved = errno;
    ::unlink(temp.c_str());
    throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(saved)));
}

std::string render(const compose::Project& project, const ConfigFlags& f) {
    if (f.services) return lines(keys_of(project.model, "services"));
    if (f.volumes) return lines(keys_of(project.model, "volumes"));
    if (f.networks) return lines(keys_of(project.model, "networks"));
    if (f.profiles) return lines(project.all_profiles);
    if (f.images) return lines(images(project));
    if (!f.hash.empty()) return hashes(project, f.hash);
    if (f.environment) return environment_lines(project);
    return f.format == "json" ? compose::to_json(project.model) : compose::to_yaml(project.model);
}

}  // namespace

int run_config(const ComposeGlobals& globals, const ConfigFlags& flags) {
    auto options = load_options(globals);
    options.services = flags.service_names;
    options.interpolate = !flags.no_interpolate && !flags.variables;
    options.normalize = !flags.no_normalize;
    options.consistency = !flags.no_consistency;
    options.resolve_environment = !flags.no_env_resolution;
    options.resolve_paths = !flags.no_path_resolution;
    if (flags.variables) {
        options.normalize = options.consistency = false;
        std::cout << variables_table(compose::load(options));
        return 0;
    }
    // Kept, never destroyed: freeing a large model costs more than the process exit does the
    // same (compilers do likewise); the pointer stays reachable, so leak checkers stay quiet.
    static const compose::Project* kept = nullptr;
    kept = new compose::Project(compose::load(options));
    const compose::Project& project = *kept;
    if (flags.quiet) return 0;
    std::string text = render(project, flags);
    if (!flags.output.empty()) {
        write_atomically(flags.output, text);
        return 0;
    }
    std::cout << text;
    return 0;
}

}  // namespace berth::cli
