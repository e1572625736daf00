#include "engine/cli/commands.hpp"

namespace engine::cli {

void add_container_commands(CLI::App&, const Globals&, Action&) {}

}  // namespace engine::cli
