// The berth command line: docker's grammar (`berth version`, `berth compose config`), one
// composition root that wires the modules together.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "compose/cli/commands.hpp"
#include "engine/cli/commands.hpp"
#include "schema/location.hpp"

namespace {

void setup_logging(const std::string& level) {
    // Logs go to stderr: stdout carries command output that scripts parse.
    auto logger = spdlog::stderr_color_mt("berth");
    logger->set_pattern("%^%l%$: %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
}

// The first positional argument: the command. Global options with a value are skipped with it.
std::string command_word(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-l" || arg == "--log-level" || arg == "--root") {
            ++i;
            continue;
        }
        if (!arg.empty() && arg[0] == '-') continue;
        return arg;
    }
    return "";
}

bool has_subcommand(CLI::App& app, const std::string& name) {
    auto subs = app.get_subcommands([](CLI::App*) { return true; });
    return std::any_of(subs.begin(), subs.end(), [&](CLI::App* s) { return s->check_name(name); });
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"berth: compose stacks on berth's own container engine", "berth"};
    app.require_subcommand(1);
    app.set_version_flag("-v,--version", std::string("berth version ") + BERTH_VERSION);
    std::string log_level = "warn";
    app.add_option("-l,--log-level", log_level, "Log level (trace, debug, info, warn, error)")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

    engine::cli::Globals engine_globals;
    if (const char* root = std::getenv("BERTH_ROOT")) engine_globals.root = root;
    app.add_option("--root", engine_globals.root, "Root of berth's state (images, containers)");

    // Only the commands the command line names: building the whole tree took ~0.6 ms of every
    // command. Without a command (help) everything, in the listing's order; an unknown one gets
    // the rest too, for the error.
    using engine::cli::Parts;
    berth::cli::Commands commands;
    engine::cli::Action engine_action;
    std::string word = command_word(argc, argv);
    bool all = word.empty();
    if (all || word == "version" || word == "compose") {
        commands.add_version(app);
        commands.add_compose(app);
    }
    if (word != "version" && word != "compose") {
        Parts parts = all || word == "image" || word == "container" ? Parts::kAll : Parts::kTopLevel;
        engine::cli::add_image_commands(app, engine_globals, engine_action, parts);
        engine::cli::add_container_commands(app, engine_globals, engine_action, parts);
        if (all || word == "volume") engine::cli::add_volume_commands(app, engine_globals, engine_action);
        if (parts == Parts::kTopLevel && !has_subcommand(app, word)) {
            engine::cli::add_image_commands(app, engine_globals, engine_action, Parts::kGroup);
            engine::cli::add_container_commands(app, engine_globals, engine_action, Parts::kGroup);
            commands.add_version(app);
            commands.add_compose(app);
        }
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    setup_logging(log_level);
    try {
        return engine_action ? engine_action() : commands.run();
    } catch (const schema::LoadError& e) {
        std::cerr << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
}
