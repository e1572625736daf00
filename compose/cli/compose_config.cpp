#include "compose/cli/compose_config.hpp"

#include <fstream>
#include <iostream>
#include <iterator>

#include <unistd.h>

#include "compose/config_output.hpp"

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

int run_config(const ComposeGlobals& globals, const ConfigFlags& flags) {
    auto options = load_options(globals);
    options.services = flags.service_names;
    options.interpolate = !flags.no_interpolate;
    options.normalize = !flags.no_normalize;
    options.consistency = !flags.no_consistency;
    options.resolve_environment = !flags.no_env_resolution;
    options.resolve_paths = !flags.no_path_resolution;
    auto project = compose::load(options);
    if (flags.quiet) return 0;
    std::string text = flags.format == "json" ? compose::to_json(project.model)
                                              : compose::to_yaml(project.model);
    if (!flags.output.empty()) {
        std::ofstream out(flags.output);
        out << text;
        return out ? 0 : 1;
    }
    std::cout << text;
    return 0;
}

}  // namespace berth::cli
