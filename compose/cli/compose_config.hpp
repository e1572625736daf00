#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "compose/loader.hpp"

namespace berth::cli {

/// The flags every `berth compose` subcommand shares.
struct ComposeGlobals {
    std::vector<std::string> files;
    std::string project_name;
    std::string project_directory;
    std::vector<std::string> env_files;
    std::vector<std::string> profiles;
    bool all_resources = false;
    bool compatibility = false;
    bool dry_run = false;
    std::string progress;
    std::string ansi;
    int parallel = -1;
};

/// The flags of `berth compose config`.
struct ConfigFlags {
    std::string format = "yaml";
    bool quiet = false;
    bool services = false, volumes = false, networks = false, profiles = false, images = false;
    bool no_interpolate = false, no_normalize = false, no_consistency = false;
    bool no_env_resolution = false, no_path_resolution = false;
    bool environment = false, variables = false;
    std::string hash;
    std::string output;
    std::vector<std::string> service_names;
};

/// Registers the shared compose flags on `compose`.
void add_compose_globals(CLI::App& compose, ComposeGlobals& globals);
/// Registers the flags of `config` on `config`.
void add_config_flags(CLI::App& config, ConfigFlags& flags);
/// Builds loader options from the flags and the process environment.
compose::LoadOptions load_options(const ComposeGlobals& globals);
/// Runs `compose config`; returns the exit code.
int run_config(const ComposeGlobals& globals, const ConfigFlags& flags);

}  // namespace berth::cli
