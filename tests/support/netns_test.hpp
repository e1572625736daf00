#pragma once

// What the network root tests share: a REQUIRE that shows a Result's error, shell helpers, and a
// named network namespace (`ip netns add`) removed on destruction.

#include <fcntl.h>
#include <sys/wait.h>

#include <cstdlib>
#include <random>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "engine/sys/unique_fd.hpp"
#include "tests/support/busybox_rootfs.hpp"

// REQUIRE with the error message shown when a Result fails.
#define REQUIRE_OK(expr)                                               \
    do {                                                               \
        auto&& result_ = (expr);                                       \
        INFO((result_ ? std::string() : result_.error().message));     \
        REQUIRE(result_.ok());                                         \
    } while (0)

namespace test_support {

inline std::string random_suffix() {
    std::random_device rd;
    return fmt::format("{:06x}", rd() & 0xffffff);
}

/// Runs a shell command; its exit code (output discarded).
inline int run(const std::string& command) {
    int status = std::system((command + " >/dev/null 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Output of a command, "" when it fails.
inline std::string output(const std::string& command) {
    try {
        return run_capture(command + " 2>/dev/null");
    } catch (const std::exception&) {
        return "";
    }
}

/// A named namespace (`ip netns add`) with its fd, deleted on destruction.
struct TestNetns {
    std::string name;
    engine::sys::UniqueFd fd;
    explicit TestNetns(std::string ns_name = "berthtest-" + random_suffix()) : name(std::move(ns_name)) {
        REQUIRE(run("ip netns add " + name) == 0);
        fd.reset(::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC));
        REQUIRE(fd.valid());
    }
    ~TestNetns() {
        fd.reset();
        run("ip netns del " + name);
    }
    TestNetns(const TestNetns&) = delete;
    TestNetns& operator=(const TestNetns&) = delete;
    std::string ip(const std::string& args) const { return "ip -n " + name + " " + args; }
    std::string exec(const std::string& command) const { return "ip netns exec " + name + " " + command; }
};

}  // namespace test_support
