#pragma once

// Drives the built berth binary against a throwaway state root, for end-to-end tests as root.
// On destruction every container it made is force-removed and every mount below the root is
// detached, so a failed test leaves no process, mount or cgroup behind.

#include <sys/wait.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/busybox_rootfs.hpp"
#include "tests/support/root_test.hpp"

namespace test_support {

struct Outcome {
    int code = -1;
    std::string out;
    std::string err;
};

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

class BerthCli {
public:
    BerthCli()
        : dir_("berth-cli"),
          cgroup_parent_("berth-test-" + dir_.root.filename().string()),
          bridge_(own_bridge(dir_.root.filename().string())) {}
    ~BerthCli() {
        auto ids = run({"ps", "-aq", "--no-trunc"});
        std::istringstream in(ids.out);
        for (std::string id; std::getline(in, id);)
            if (!id.empty()) run({"rm", "-f", id});
        unmount_below(dir_.root.string());
        for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup"))
            ::rmdir((hierarchy.path() / cgroup_parent_).c_str());
        if (!bridge_.empty()) (void)std::system(("ip link del " + bridge_ + " >/dev/null 2>&1").c_str());
    }

    /// The cgroup parent of this run's containers (removed at the end).
    const std::string& cgroup_parent() const { return cgroup_parent_; }

    /// The Linux bridge of this run's default network (BERTH_BRIDGE for commands built by hand).
    std::string bridge() const {
        const char* chosen = std::getenv("BERTH_BRIDGE");
        return bridge_.empty() && chosen ? chosen : bridge_;
    }

    std::string root() const { return (dir_.root / "root").string(); }
    const std::filesystem::path& dir() const { return dir_.root; }

    /// Runs `berth --root ROOT args...` with stdin from `input`; captures both streams.
    Outcome run(const std::vector<std::string>& args, const std::string& input = "") const {
        std::string cmd = "BERTH_CGROUP_PARENT=" + shell_quote(cgroup_parent_) + " " +
                          (bridge_.empty() ? "" : "BERTH_BRIDGE=" + bridge_ + " ") +
                          shell_quote(BERTH_BINARY) + " --root " + shell_quote(root());
        for (const auto& a : args) cmd += " " + shell_quote(a);
        auto in = dir_.write("stdin", input);
        cmd += " <" + shell_quote(in.string()) + " 2>" + shell_quote((dir_.root / "stderr").string());
        Outcome o;
        FILE* pipe = ::popen(cmd.c_str(), "r");
        char buf[4096];
        while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) o.out.append(buf, n);
        int status = ::pclose(pipe);
        o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        o.err = dir_.read("stderr");
        return o;
    }

    /// Imports a busybox rootfs as `ref` (once per test).
    void import_busybox(const std::string& ref = "busybox:latest") const {
        auto rootfs = dir_.root / "rootfs";
        make_busybox_rootfs(rootfs);
        make_tar(rootfs, dir_.root / "busybox.tar");
        auto o = run({"import", (dir_.root / "busybox.tar").string(), ref});
        INFO(o.err);
        REQUIRE(o.code == 0);
    }

private:
    // Containers run on the default bridge network unless told otherwise: each run gets its own
    // Linux bridge (deleted at the end) unless the test chose one through BERTH_BRIDGE.
    static std::string own_bridge(const std::string& dir_name) {
        if (const char* chosen = std::getenv("BERTH_BRIDGE"); chosen && *chosen) return "";
        return "bc" + dir_name.substr(dir_name.size() - 6);
    }

    TempDir dir_;
    std::string cgroup_parent_;
    std::string bridge_;
};

}  // namespace test_support
