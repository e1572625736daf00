// cgroup v2 device programs on the real kernel. On a v1 hybrid host the kernel still runs the
// BPF device hook of a task's cgroup in the unified hierarchy, so these tests use that mount
// (or /sys/fs/cgroup itself on a pure v2 host). A forked child moves itself into the test's
// cgroup and reports the errno of one device operation as its exit status.
#include "engine/runtime/device_bpf.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>

#include "engine/runtime/cgroup.hpp"
#include "tests/support/root_test.hpp"

namespace {

using engine::runtime::attach_device_rules;
using engine::runtime::default_device_rules;
using engine::runtime::DeviceRule;

// The unified hierarchy: /sys/fs/cgroup on a pure v2 host, else the hybrid's cgroup2 mount.
std::string unified_mount() {
    if (engine::runtime::detect_cgroup_version("/sys/fs/cgroup") == 2) return "/sys/fs/cgroup";
    for (const auto& [name, controllers] : engine::runtime::cgroup_hierarchies())
        if (controllers.empty()) return "/sys/fs/cgroup/" + name;
    return "";
}

std::string random_name() {
    std::mt19937_64 rng(std::random_device{}());
    return fmt::format("berth-bpfdev-{:012x}", rng() & 0xffffffffffffULL);
}

void kill_members(const std::string& dir) {
    std::ifstream procs(dir + "/cgroup.procs");
    for (pid_t pid; procs >> pid;) ::kill(pid, SIGKILL);
}

// Removes every directory below and at `dir`, killing what is left in them first; a cgroup
// being emptied refuses rmdir (EBUSY) for a moment, hence the retries.
void remove_cgroup_tree(const std::string& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return;
    for (const auto& sub : std::filesystem::directory_iterator(dir, ec))
        if (sub.is_directory(ec)) remove_cgroup_tree(sub.path().string());
    for (int i = 0; i < 100 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) {
        kill_members(dir);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// A cgroup directory in the unified hierarchy for one test, removed at the end.
struct TestCgroup {
    std::string mount = unified_mount();
    std::string name = random_name();
    std::string dir = mount + "/" + name;
    TestCgroup() {
        REQUIRE_FALSE(mount.empty());
        REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    }
    ~TestCgroup() { remove_cgroup_tree(dir); }
    TestCgroup(const TestCgroup&) = delete;
    TestCgroup& operator=(const TestCgroup&) = delete;
};

// Runs `action` in a child that first moves itself into `cgroup_dir` ("" stays put); returns the
// action's errno (0 on success), or -1 when the child could not run it. Always reaps the child.
int errno_in_cgroup(const std::string& cgroup_dir, const std::function<int()>& action) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::alarm(10);  // never outlive a stuck test
        if (!cgroup_dir.empty()) {
            int fd = ::open((cgroup_dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
            if (fd < 0 || ::write(fd, "0", 1) != 1) ::_exit(255);
            ::close(fd);
        }
        ::_exit(action());
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 255) return -1;
    return WEXITSTATUS(status);
}

std::function<int()> open_device(const std::string& path, int flags) {
    return [path, flags] {
        int fd = ::open(path.c_str(), flags | O_CLOEXEC);
        if (fd < 0) return errno;
        ::close(fd);
        return 0;
    };
}

std::function<int()> make_node(const std::string& path, mode_t type, int major, int minor) {
    return [=] { return ::mknod(path.c_str(), type | 0600, makedev(major, minor)) == 0 ? 0 : errno; };
}

// Programs attached directly to `dir` for BPF_CGROUP_DEVICE (BPF_PROG_QUERY).
int attached_programs(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    bpf_attr attr{};
    attr.query.target_fd = static_cast<std::uint32_t>(fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    long rc = ::syscall(__NR_bpf, BPF_PROG_QUERY, &attr, sizeof(attr));
    ::close(fd);
    REQUIRE(rc == 0);
    return static_cast<int>(attr.query.prog_cnt);
}

}  // namespace

TEST_CASE("device bpf: the default rules on a real cgroup allow null, deny host devices", "[.root][bpfdev]") {
    REQUIRE_ROOT();
    RootTempDir tmp("berth-bpfdev");
    TestCgroup cg;
    auto attached = attach_device_rules(cg.dir, default_device_rules(false));
    INFO((attached.ok() ? std::string() : attached.error().message));
    REQUIRE(attached.ok());
    CHECK(attached_programs(cg.dir) == 1);

    std::string loop = (tmp.root / "loop0").string(), mem = (tmp.root / "mem").string();
    CHECK(errno_in_cgroup(cg.dir, open_device("/dev/null", O_RDWR)) == 0);
    CHECK(errno_in_cgroup(cg.dir, open_device("/dev/zero", O_RDONLY)) == 0);
    // mknod of any node is allowed (runc's defaults), using it is not.
    REQUIRE(errno_in_cgroup(cg.dir, make_node(loop, S_IFBLK, 7, 0)) == 0);
    REQUIRE(errno_in_cgroup(cg.dir, make_node(mem, S_IFCHR, 1, 1)) == 0);
    CHECK(errno_in_cgroup(cg.dir, open_device(loop, O_RDONLY)) == EPERM);
    CHECK(errno_in_cgroup(cg.dir, open_device(loop, O_RDWR)) == EPERM);
    CHECK(errno_in_cgroup(cg.dir, open_device(mem, O_RDONLY)) == EPERM);
    // The same nodes outside the cgroup: the EPERM above is the program's.
    CHECK(errno_in_cgroup("", open_device(loop, O_RDONLY)) == 0);
    CHECK(errno_in_cgroup("", open_device(mem, O_RDONLY)) != EPERM);
}

TEST_CASE("device bpf: a custom rule list allowing a block device lets it open", "[.root][bpfdev]") {
    REQUIRE_ROOT();
    RootTempDir tmp("berth-bpfdev");
    std::string loop = (tmp.root / "loop0").string();
    REQUIRE(::mknod(loop.c_str(), S_IFBLK | 0600, makedev(7, 0)) == 0);
    TestCgroup cg;
    std::vector<DeviceRule> rules{{false, "a *:* rwm"}, {true, "b 7:0 r"}, {true, "c 1:3 rwm"}};
    auto attached = attach_device_rules(cg.dir, rules);
    INFO((attached.ok() ? std::string() : attached.error().message));
    REQUIRE(attached.ok());
    CHECK(errno_in_cgroup(cg.dir, open_device(loop, O_RDONLY)) == 0);
    CHECK(errno_in_cgroup(cg.dir, open_device(loop, O_RDWR)) == EPERM);  // only r was allowed
    CHECK(errno_in_cgroup(cg.dir, open_device("/dev/null", O_RDWR)) == 0);
    CHECK(errno_in_cgroup(cg.dir, open_device("/dev/zero", O_RDONLY)) == EPERM);
    CHECK(errno_in_cgroup(cg.dir, make_node((tmp.root / "x").string(), S_IFCHR, 1, 5)) == EPERM);
}

TEST_CASE("device bpf: the v2 driver and restrict_devices attach the program before the go",
          "[.root][bpfdev]") {
    REQUIRE_ROOT();
    RootTempDir tmp("berth-bpfdev");
    std::string loop = (tmp.root / "loop0").string();
    REQUIRE(::mknod(loop.c_str(), S_IFBLK | 0600, makedev(7, 0)) == 0);
    TestCgroup parent;
    std::string parent_rel = parent.name;
    for (bool privileged : {false, true}) {
        std::string id = privileged ? "privileged" : "default";
        INFO("container " << id);
        auto cgroup = engine::runtime::open_cgroup_v2(parent_rel, id, parent.mount);
        REQUIRE(cgroup->create(engine::runtime::Resources{}).ok());
        std::string dir = parent.dir + "/" + id;
        // As the launcher does: the process is in its cgroup, then devices are restricted.
        auto s = engine::runtime::restrict_devices(parent_rel, id, ::getpid(), privileged, parent.mount);
        INFO((s.ok() ? std::string() : s.error().message));
        REQUIRE(s.ok());
        CHECK(attached_programs(dir) == (privileged ? 0 : 1));
        CHECK(errno_in_cgroup(dir, open_device("/dev/null", O_RDWR)) == 0);
        CHECK(errno_in_cgroup(dir, open_device(loop, O_RDONLY)) == (privileged ? 0 : EPERM));
        CHECK(cgroup->destroy().ok());
        CHECK_FALSE(std::filesystem::exists(dir));
    }
}

TEST_CASE("device bpf: a program the verifier refuses reports its log", "[.root][bpfdev]") {
    REQUIRE_ROOT();
    TestCgroup cg;
    // Exits without setting r0: the verifier says "R0 !read_ok".
    bpf_insn exit_only{};
    exit_only.code = BPF_JMP | BPF_EXIT;
    auto s = engine::runtime::attach_device_program(cg.dir, {exit_only});
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.find("load device bpf program") != std::string::npos);
    CHECK(s.error().message.find("R0") != std::string::npos);
    CHECK(attached_programs(cg.dir) == 0);
}

TEST_CASE("device bpf: attaching again replaces the cgroup's earlier program", "[.root][bpfdev]") {
    REQUIRE_ROOT();
    RootTempDir tmp("berth-bpfdev");
    std::string loop = (tmp.root / "loop0").string();
    REQUIRE(::mknod(loop.c_str(), S_IFBLK | 0600, makedev(7, 0)) == 0);
    TestCgroup cg;
    REQUIRE(attach_device_rules(cg.dir, default_device_rules(false)).ok());
    REQUIRE(attach_device_rules(cg.dir, default_device_rules(false)).ok());
    CHECK(attached_programs(cg.dir) == 1);
    CHECK(errno_in_cgroup(cg.dir, open_device(loop, O_RDONLY)) == EPERM);
    // Were the first program still attached, its deny would win over the new allow.
    REQUIRE(attach_device_rules(cg.dir, {{true, "a"}}).ok());
    CHECK(attached_programs(cg.dir) == 1);
    CHECK(errno_in_cgroup(cg.dir, open_device(loop, O_RDONLY)) == 0);
}
