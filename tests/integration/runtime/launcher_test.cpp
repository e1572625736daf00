// The launcher on the real kernel: a busybox rootfs as the only layer, the process's output
// through a pipe, its exit through waitpid — no image store, shim or CLI involved.
#include "engine/runtime/launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "engine/runtime/protected_binary.hpp"
#include "engine/runtime/security.hpp"
#include "tests/support/busybox_rootfs.hpp"
#include "tests/support/root_test.hpp"

namespace {

using engine::runtime::ContainerSpec;

std::string random_id() {
    std::mt19937_64 rng(std::random_device{}());
    return fmt::format("{:016x}{:016x}{:016x}{:016x}", rng(), rng(), rng(), rng());
}

// One container run: its directory, and everything it started is killed and reaped at the end.
struct Fixture {
    RootTempDir dir{"berth-launch"};
    std::string layer = (dir.root / "layer").string();
    std::vector<pid_t> pids;
    std::vector<ContainerSpec> specs;
    std::string cgroup_parent = "berth-test-" + random_id().substr(0, 8);

    Fixture() { test_support::make_busybox_rootfs(layer); }
    ~Fixture() {
        for (pid_t pid : pids) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        for (const auto& spec : specs) (void)engine::runtime::destroy_cgroup(spec);
        for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup"))
            ::rmdir((hierarchy.path() / cgroup_parent).c_str());
    }

    ContainerSpec spec(std::vector<std::string> args) {
        ContainerSpec s;
        s.id = random_id();
        auto c = dir.root / s.id.substr(0, 12);
        s.lower_dirs = {layer};
        s.upper_dir = (c / "upper").string();
        s.work_dir = (c / "work").string();
        s.rootfs_dir = (c / "rootfs").string();
        s.args = std::move(args);
        s.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
        s.hostname = "box";
        s.cgroup_parent = cgroup_parent;
        s.capabilities = engine::runtime::default_capabilities();
        s.masked_paths = engine::runtime::default_masked_paths();
        s.readonly_paths = engine::runtime::default_readonly_paths();
        return s;
    }

    struct Run {
        int status = -1;
        std::string out;
    };

    engine::Result<pid_t> start(const ContainerSpec& s, int out_fd) {
        specs.push_back(s);
        int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        auto launched = engine::runtime::launch(s, {null_in, out_fd, out_fd});
        ::close(null_in);
        if (!launched) return launched.error();
        pids.push_back(launched.value().pid);
        return launched.value().pid;
    }

    // Runs to completion and returns what it printed (stdout and stderr) and its wait status.
    Run run(const ContainerSpec& s) {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        auto pid = start(s, fds[1]);
        ::close(fds[1]);
        INFO((pid.ok() ? std::string() : pid.error().message));
        REQUIRE(pid.ok());
        Run r;
        char buf[4096];
        for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<size_t>(n));
        ::close(fds[0]);
        REQUIRE(::waitpid(pid.value(), &r.status, 0) == pid.value());
        pids.erase(std::find(pids.begin(), pids.end(), pid.value()));
        return r;
    }

    std::string sh(const std::string& script, ContainerSpec s) {
        s.args = {"sh", "-c", script};
        auto r = run(s);
        INFO(r.out);
        CHECK(WIFEXITED(r.status));
        return r.out;
    }
    std::string sh(const std::string& script) { return sh(script, spec({})); }
};

}  // namespace

TEST_CASE("launch: namespaces, hostname, pid 1 and the standard filesystems", "[.root][runtime]") {
    REQUIRE_ROOT();
    Fixture f;
    CHECK(f.sh("hostname; echo $$; ls /proc | grep -c '^[0-9]'") == "box\n1\n3\n");
    CHECK(f.sh("ls /dev | tr '\\n' ' '") ==
          "core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero ");
    CHECK(f.sh("stat -c %a /dev/null; echo x > /dev/null && echo ok") == "666\nok\n");
    CHECK(f.sh("touch /sys/x 2>/dev/null || echo ro; ls /sys/fs/cgroup | grep -c memory") == "ro\n1\n");
    CHECK(f.sh("(echo 1 > /proc/sys/kernel/sysrq) 2>/dev/null || echo ro; cat /proc/sys/kernel/hostname") == "ro\nbox\n");
    CHECK(f.sh("head -c 1 /proc/kcore 2>/dev/null | wc -c") == "0\n");
    // mknod is allowed (CAP_MKNOD, as in Docker) but the device cgroup refuses to open the node.
    CHECK(f.sh("mknod /tmp/sda b 8 0 && (head -c 1 /tmp/sda) 2>&1 | grep -c 'not permitted'") == "1\n");
    CHECK(f.sh("ip link 2>/dev/null | grep -c '^[0-9]'; cat /proc/net/dev | grep -c :") == "1\n1\n");
    // Writes go to the container's upper dir, never into the layer.
    f.sh("echo changed > /etc/motd");
    CHECK_FALSE(std::filesystem::exists(f.layer + "/etc/motd"));
}

TEST_CASE("launch: user, groups, working directory, env and limits", "[.root][runtime]") {
    REQUIRE_ROOT();
    Fixture f;
    auto s = f.spec({});
    s.user = "app";
    s.cwd = "/work/here";
    s.rlimits = {{"nofile", 512, 1024}};
    CHECK(f.sh("id; pwd; echo $HOME; ulimit -n", s) ==
          "uid=1000(app) gid=1000(app) groups=1000(app),1001(extra)\n/work/here\n/home/app\n512\n");
    s.user = "4242:4343";
    CHECK(f.sh("id -u; id -g", s) == "4242\n4343\n");
    s.user = "ghost";
    s.args = {"true"};
    auto failed = f.start(s, 2);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().message == "unable to find user ghost: no matching entries in passwd file");
}

TEST_CASE("launch: a missing program is ENOENT with Docker's message", "[.root][runtime]") {
    REQUIRE_ROOT();
    Fixture f;
    auto failed = f.start(f.spec({"no-such-program"}), 2);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().sys_errno == ENOENT);
    CHECK(failed.error().message == "exec: \"no-such-program\": executable file not found in $PATH");
    auto denied = f.start(f.spec({"/etc/passwd"}), 2);
    REQUIRE_FALSE(denied.ok());
    CHECK(denied.error().sys_errno == EACCES);
}

TEST_CASE("launch: read-only root, tmpfs and bind mounts, no leaked fds", "[.root][runtime]") {
    REQUIRE_ROOT();
    Fixture f;
    auto host_file = f.dir.root / "greeting";
    std::ofstream(host_file) << "hello from the host\n";
    auto s = f.spec({});
    s.readonly_rootfs = true;
    s.mounts = {{"tmpfs", "/scratch", "tmpfs", {"nosuid", "size=1m"}},
                {host_file.string(), "/etc/greeting", "bind", {"rbind", "ro"}}};
    CHECK(f.sh("touch /x 2>/dev/null || echo ro-root; touch /scratch/x && echo tmpfs-rw; "
               "cat /etc/greeting; (echo y >> /etc/greeting) 2>/dev/null || echo ro-bind", s) ==
          "ro-root\ntmpfs-rw\nhello from the host\nro-bind\n");
    // An fd the caller forgot to mark close-on-exec never reaches the container.
    int leaked = ::open("/", O_RDONLY | O_DIRECTORY);
    CHECK(f.sh("ls /proc/self/fd | wc -l") == "4\n");  // 0 1 2 and ls's own directory fd
    ::close(leaked);
}

TEST_CASE("launch: --init reaps and forwards signals", "[.root][runtime]") {
    REQUIRE_ROOT();
    Fixture f;
    auto s = f.spec({});
    s.init = true;
    CHECK(f.sh("echo $$; exit 3", s) == "2\n");
    s.args = {"sh", "-c", "exit 7"};
    CHECK(WEXITSTATUS(f.run(s).status) == 7);
    s.args = {"sleep", "60"};
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    auto pid = f.start(s, fds[1]);
    ::close(fds[1]);
    ::close(fds[0]);
    REQUIRE(pid.ok());
    usleep(100 * 1000);
    ::kill(pid.value(), SIGTERM);
    int status = 0;
    REQUIRE(::waitpid(pid.value(), &status, 0) == pid.value());
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
    f.pids.clear();
}

TEST_CASE("launch_exec: joins the running container", "[.root][runtime]") {
    REQUIRE_ROOT();
    Fixture f;
    auto pid = f.start(f.spec({"sh", "-c", "echo inside > /tmp/mark; sleep 60"}), 2);
    REQUIRE(pid.ok());
    engine::runtime::ExecSpec exec;
    exec.args = {"sh", "-c", "hostname; cat /tmp/mark; echo $$; id -u"};
    exec.env = {"PATH=/bin"};
    exec.user = "app";
    exec.capabilities = engine::runtime::default_capabilities();
    std::string out;
    for (int attempt = 0; attempt < 50 && out.find("inside") == std::string::npos; ++attempt) {
        usleep(20 * 1000);
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        auto started = engine::runtime::launch_exec(exec, pid.value(), {fds[1], fds[1], fds[1]});
        ::close(fds[1]);
        INFO((started.ok() ? "" : started.error().message));
        REQUIRE(started.ok());
        out.clear();
        char buf[256];
        for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
        ::close(fds[0]);
        int status = 0;
        CHECK(::waitpid(started.value(), &status, 0) == started.value());
    }
    // A new pid in the container's pid namespace (the init is 1).
    CHECK(out.rfind("box\ninside\n", 0) == 0);
    CHECK(out.substr(out.size() - 5) == "1000\n");
    exec.args = {"missing"};
    auto failed = engine::runtime::launch_exec(exec, pid.value(), {2, 2, 2});
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().sys_errno == ENOENT);
}

TEST_CASE("protected_binary: the runtime binary cannot be reopened for writing", "[.root][runtime]") {
    REQUIRE_ROOT();
    RootTempDir dir("berth-protect");
    auto binary = dir.root / "tool";
    std::filesystem::copy_file("/bin/true", binary);
    auto path = engine::runtime::protected_binary(binary.string(), (dir.root / "bin").string());
    REQUIRE(path.ok());
    CHECK(path.value() == (dir.root / "bin" / "tool").string());
    // What a process started from it would do through /proc/PID/exe: reopen it for writing.
    errno = 0;
    CHECK(::open(path.value().c_str(), O_WRONLY) < 0);
    CHECK(errno == EROFS);
    // Idempotent: the second call reuses the mount.
    CHECK(engine::runtime::protected_binary(binary.string(), (dir.root / "bin").string()).ok());
    CHECK(test_support::run_capture("grep -c " + (dir.root / "bin" / "tool").string() +
                                    " /proc/self/mountinfo") == "1\n");
}
