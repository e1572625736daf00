#pragma once

#include <iostream>
#include <string>

#include "engine/cli/commands.hpp"
#include "engine/container/containers.hpp"

namespace engine::cli {

/// The berth-shim next to the running berth binary (BERTH_SHIM overrides).
std::string shim_binary_path();

/// Opens the container engine on the state root; prints the error and returns nullopt when it
/// cannot.
std::optional<container::Containers> open_engine(const Globals& globals);

/// Prints "Error: <message>" on stderr and returns exit code 1, as docker does for a failed
/// request.
int report(const Error& error);

/// Runs `op` for each reference, printing the reference on success (docker stop/kill/rm
/// output) and every error; exit code 1 if any failed.
template <typename Op>
int for_each_ref(const std::vector<std::string>& refs, Op op) {
    int code = 0;
    for (const auto& ref : refs) {
        if (Status s = op(ref); !s) code = report(s.error());
        else std::cout << ref << '\n';
    }
    return code;
}

}  // namespace engine::cli
