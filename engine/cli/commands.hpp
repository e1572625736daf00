#pragma once

// The engine's commands in docker's grammar (`berth run`, `berth ps -a`, `berth images`),
// registered on the berth command line by the composition root.

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace engine::cli {

/// Options every engine command shares.
struct Globals {
    std::string root = "/var/lib/berth";  ///< state root (--root, BERTH_ROOT)
};

/// A parsed command stores what it will do here; the caller runs it and exits with its code.
using Action = std::function<int()>;

/// Which commands to register: a command line needs only its own, and building all of CLI11's
/// command tree took ~0.6 ms of every berth command.
enum class Parts {
    kAll,
    kTopLevel,  ///< `berth run`, `berth images`, ...
    kGroup,     ///< `berth container ...`, `berth image ...`
};

/// import, images, tag, rmi, save, load, history, image {ls,inspect,rm,tag,prune,history,...}.
void add_image_commands(CLI::App& app, const Globals& globals, Action& action, Parts parts = Parts::kAll);

/// run, create, start, stop, kill, restart, rm, ps, logs, inspect, wait, exec, ... and the
/// `container` group.
void add_container_commands(CLI::App& app, const Globals& globals, Action& action,
                            Parts parts = Parts::kAll);

/// volume {create,ls,inspect,rm,prune}.
void add_volume_commands(CLI::App& app, const Globals& globals, Action& action);

}  // namespace engine::cli
