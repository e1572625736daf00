// Real containers under a cgroup v2 device program. On this kind of host (v1 hybrid) berth puts
// containers in v1 cgroups, and the v1 devices controller guards them; a container process stays
// in its launcher's cgroup of the unified hierarchy. So the test moves itself into a unified
// cgroup carrying berth's compiled default rules: every berth process and container it starts
// runs under the program. With --privileged the v1 devices cgroup allows everything, leaving the
// program as the only guard, which shows that it alone stops a container reading a host disk.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/device_bpf.hpp"
#include "tests/support/berth_cli.hpp"

namespace {

using test_support::BerthCli;

std::string unified_mount() {
    if (engine::runtime::detect_cgroup_version("/sys/fs/cgroup") == 2) return "/sys/fs/cgroup";
    for (const auto& [name, controllers] : engine::runtime::cgroup_hierarchies())
        if (controllers.empty()) return "/sys/fs/cgroup/" + name;
    return "";
}

bool write_pid(const std::string& dir, pid_t pid) {
    std::ofstream procs(dir + "/cgroup.procs");
    procs << pid << std::flush;
    return static_cast<bool>(procs);
}

// A unified cgroup with the default device program, removed at the end (after the test process
// has left it and every process the test started is gone).
struct RestrictedCgroup {
    std::string mount = unified_mount();
    std::string dir;
    RestrictedCgroup() {
        REQUIRE_FALSE(mount.empty());
        std::mt19937_64 rng(std::random_device{}());
        dir = fmt::format("{}/berth-bpfdev-{:012x}", mount, rng() & 0xffffffffffffULL);
        REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
        auto attached = engine::runtime::attach_device_rules(
            dir, engine::runtime::default_device_rules(false));
        INFO((attached.ok() ? std::string() : attached.error().message));
        REQUIRE(attached.ok());
    }
    ~RestrictedCgroup() {
        for (int i = 0; i < 100 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) {
            std::ifstream procs(dir + "/cgroup.procs");
            for (pid_t pid; procs >> pid;) ::kill(pid, SIGKILL);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
};

// Moves the test process into `dir` for its lifetime, then back where it was.
class Inside {
public:
    Inside(const std::string& mount, const std::string& dir) {
        std::ifstream self("/proc/self/cgroup");
        for (std::string line; std::getline(self, line);)
            if (line.rfind("0::", 0) == 0) back_ = mount + line.substr(3);
        REQUIRE_FALSE(back_.empty());
        REQUIRE(write_pid(dir, ::getpid()));
    }
    ~Inside() { write_pid(back_, ::getpid()); }
    Inside(const Inside&) = delete;
    Inside& operator=(const Inside&) = delete;

private:
    std::string back_;
};

// Makes a node for loop0 (b 7:0, present on the host) and reads a byte of it.
const char* const kReadLoop =
    "mknod /tmp/loop b 7 0 || exit 3; head -c 1 /tmp/loop 2>&1 >/dev/null; echo read=$?";

}  // namespace

TEST_CASE("device bpf: a container under the default program starts and uses its own devices",
          "[.root][bpfdev][escape]") {
    REQUIRE_ROOT();
    RestrictedCgroup cg;
    BerthCli berth;
    berth.import_busybox();
    Inside inside(cg.mount, cg.dir);
    auto o = berth.run({"run", "--rm", "busybox", "sh", "-c",
                        "echo x > /dev/null && head -c 3 /dev/urandom | wc -c && echo ok"});
    INFO(o.err);
    CHECK(o.code == 0);
    CHECK(o.out == "3\nok\n");
}

TEST_CASE("device bpf: the program alone keeps a privileged container off a host disk",
          "[.root][bpfdev][escape]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    SECTION("without the program the privileged container reads it (the control)") {
        auto o = berth.run({"run", "--rm", "--privileged", "busybox", "sh", "-c", kReadLoop});
        INFO(o.err);
        CHECK(o.out == "read=0\n");
    }
    SECTION("under the program it is refused") {
        RestrictedCgroup cg;
        Inside inside(cg.mount, cg.dir);
        auto o = berth.run({"run", "--rm", "--privileged", "busybox", "sh", "-c", kReadLoop});
        INFO(o.err);
        CHECK(o.out.find("Operation not permitted") != std::string::npos);
        CHECK(o.out.find("read=1") != std::string::npos);
    }
}
