#pragma once

// Support for integration tests that need root and the real kernel ([.root], opted into by the
// `root` ctest). REQUIRE_ROOT fails, never passes, when the test is not run as root.

#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

#define REQUIRE_ROOT()                                                   \
    do {                                                                 \
        INFO("this test needs root (run it through the `root` ctest)");  \
        REQUIRE(::geteuid() == 0);                                       \
    } while (0)

/// Lazily unmounts every mount at or below `dir` in this mount namespace, deepest first, so that
/// removing a test's directory never deletes through a mount a failed test left behind.
inline void unmount_below(const std::string& dir) {
    std::ifstream in("/proc/self/mountinfo");
    std::vector<std::string> targets;
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string id, parent, devno, root, target;
        fields >> id >> parent >> devno >> root >> target;
        if (target == dir || target.rfind(dir + "/", 0) == 0) targets.push_back(target);
    }
    std::sort(targets.rbegin(), targets.rend());
    for (const auto& t : targets) ::umount2(t.c_str(), MNT_DETACH);
}

/// A TempDir for root tests: everything mounted below it is unmounted before it is removed.
class RootTempDir : public TempDir {
public:
    explicit RootTempDir(const std::string& prefix = "berth-root") : TempDir(prefix) {}
    ~RootTempDir() { unmount_below(root.string()); }
};
