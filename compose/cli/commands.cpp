#include "compose/cli/commands.hpp"

#include <fstream>
#include <iostream>
#include <iterator>

#include "compose/cli/compose_config.hpp"

namespace berth::cli {

struct Commands::State {
    ComposeGlobals globals;
    ConfigFlags config;
};

Commands::Commands() : state_(std::make_unique<State>()) {}
Commands::~Commands() = default;

void Commands::add_version(CLI::App& app) {
    auto* cmd = app.add_subcommand("version", "Show the berth version information");
    std::string format;
    cmd->add_option("-f,--format", format, "Format the output (json)");
    cmd->callback([this, cmd] {
        action_ = [cmd] {
            auto format = cmd->get_option("--format")->as<std::string>();
            if (format == "json")
                std::cout << R"({"Client":{"Version":")" << BERTH_VERSION << R"("}})" << '\n';
            else
                std::cout << "berth version " << BERTH_VERSION << '\n';
            return 0;
        };
    });
}

void Commands::add_compose(CLI::App& app) {
    auto* compose = app.add_subcommand("compose", "Define and run multi-container applications");
    compose->require_subcommand(1);
    add_compose_globals(*compose, state_->globals);
    auto* config = compose->add_subcommand(
        "config", "Parse, resolve and render the compose file in canonical format");
    add_config_flags(*config, state_->config);
    config->callback([this] {
        action_ = [this] { return run_config(state_->globals, state_->config); };
    });
}

int Commands::run() { return action_ ? action_() : 0; }

}  // namespace berth::cli
