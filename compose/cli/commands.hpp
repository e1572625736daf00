#pragma once

#include <functional>
#include <memory>

#include <CLI/CLI.hpp>

namespace berth::cli {

/// Registers the subcommands on a CLI11 app and runs the one that was parsed.
class Commands {
public:
    Commands();
    ~Commands();
    void add_version(CLI::App& app);
    void add_compose(CLI::App& app);
    /// Runs the parsed subcommand; returns the process exit code.
    int run();

private:
    struct State;
    std::unique_ptr<State> state_;
    std::function<int()> action_;
};

}  // namespace berth::cli
