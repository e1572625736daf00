// berth-shim: one per container, the container process's parent for its whole life.
//   berth-shim run DIR [--log-max-size N] [--log-max-files N] [--attach-stdin]
//                      [--wait-for-attach] [--auto-remove]      (sync pipe on fd 3)
//   berth-shim exec PID                                          (see runtime::exec_helper_main)

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "engine/runtime/launcher.hpp"
#include "engine/shim/internal.hpp"
#include "engine/shim/server.hpp"

int main(int argc, char** argv) {
    if (argc == 3 && std::strcmp(argv[1], "exec") == 0)
        return engine::runtime::exec_helper_main(static_cast<pid_t>(std::atoi(argv[2])));
    auto args = engine::shim::parse_shim_command(argc, argv);
    if (!args) {
        std::fputs("usage: berth-shim run DIR [options] | berth-shim exec PID\n", stderr);
        return 2;
    }
    return engine::shim::run_shim(*args, engine::shim::kSyncFd);
}
