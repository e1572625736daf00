// Capabilities and seccomp on the real kernel. Each case runs in a forked child (a filter or a
// dropped capability can never be undone) that reports what it saw through a pipe.
#include "engine/runtime/security.hpp"

#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include "tests/support/root_test.hpp"

namespace {

using engine::runtime::apply_capabilities;
using engine::runtime::apply_seccomp;
using engine::runtime::default_capabilities;

struct ChildResult {
    int exit_code = -1;
    std::string report;  // what the child wrote: its failure, or data for the parent
};

// Runs `body` in a forked child; its return value is the exit code, and whatever it appends to
// the string is sent back.
ChildResult in_child(const std::function<int(std::string&)>& body) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        std::string report;
        int code = body(report);
        (void)!::write(fds[1], report.data(), report.size());
        ::_exit(code);
    }
    ::close(fds[1]);
    ChildResult result;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) result.report.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

// The "CapXxx:" lines of /proc/self/status.
std::string cap_lines() {
    std::ifstream in("/proc/self/status");
    std::string out;
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Cap", 0) == 0 || line.rfind("Seccomp:", 0) == 0) out += line + "\n";
    return out;
}

// Fails with `why` when a syscall's result is not as expected.
#define EXPECT_SYSCALL(cond, why)               \
    do {                                        \
        if (!(cond)) {                          \
            report += fmt::format("{} (errno {})\n", why, errno); \
            return 1;                           \
        }                                       \
    } while (0)

int apply_default_seccomp(std::string& report, const std::vector<std::string>& caps) {
    auto s = apply_seccomp("default", caps);
    if (!s) report += s.error().message;
    return s ? 0 : 2;
}

}  // namespace

TEST_CASE("capabilities: root gets Docker's set as bounding, permitted and effective",
          "[.root][root][security]") {
    REQUIRE_ROOT();
    auto r = in_child([](std::string& report) {
        auto s = apply_capabilities(default_capabilities());
        if (!s) {
            report = s.error().message;
            return 1;
        }
        report = cap_lines();
        return 0;
    });
    INFO(r.report);
    REQUIRE(r.exit_code == 0);
    CHECK(r.report.find("CapInh:\t0000000000000000") != std::string::npos);
    CHECK(r.report.find("CapPrm:\t00000000a80425fb") != std::string::npos);
    CHECK(r.report.find("CapEff:\t00000000a80425fb") != std::string::npos);
    CHECK(r.report.find("CapBnd:\t00000000a80425fb") != std::string::npos);
    CHECK(r.report.find("CapAmb:\t0000000000000000") != std::string::npos);
}

TEST_CASE("capabilities: a non-root user keeps only the bounding set", "[.root][root][security]") {
    REQUIRE_ROOT();
    // The launcher's order: keepcaps, setgid/setuid, then apply_capabilities.
    auto r = in_child([](std::string& report) {
        if (::prctl(PR_SET_KEEPCAPS, 1) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
            ::setresuid(65534, 65534, 65534) != 0 || ::prctl(PR_SET_KEEPCAPS, 0) != 0) {
            report = "switch user failed";
            return 1;
        }
        auto s = apply_capabilities(default_capabilities());
        if (!s) {
            report = s.error().message;
            return 1;
        }
        report = cap_lines();
        return 0;
    });
    INFO(r.report);
    REQUIRE(r.exit_code == 0);
    CHECK(r.report.find("CapPrm:\t0000000000000000") != std::string::npos);
    CHECK(r.report.find("CapEff:\t0000000000000000") != std::string::npos);
    CHECK(r.report.find("CapBnd:\t00000000a80425fb") != std::string::npos);
    CHECK(r.report.find("CapInh:\t0000000000000000") != std::string::npos);
}

TEST_CASE("capabilities: an unknown name is refused", "[.root][root][security]") {
    REQUIRE_ROOT();
    auto r = in_child([](std::string& report) {
        auto s = apply_capabilities({"CAP_CHOWN", "CAP_WIZARDRY"});
        if (!s) report = s.error().message;
        return s ? 0 : 1;
    });
    CHECK(r.exit_code == 1);
    CHECK(r.report.find("CAP_WIZARDRY") != std::string::npos);
}

TEST_CASE("seccomp default profile: dangerous calls fail with EPERM, ordinary ones work",
          "[.root][root][seccomp]") {
    REQUIRE_ROOT();
    RootTempDir dir("berth-seccomp");
    std::string file = (dir.root / "f").string();
    auto r = in_child([&](std::string& report) {
        if (int rc = apply_default_seccomp(report, default_capabilities()); rc != 0) return rc;
        EXPECT_SYSCALL(::unshare(CLONE_NEWUSER) == -1 && errno == EPERM, "unshare(CLONE_NEWUSER) not EPERM");
        EXPECT_SYSCALL(::unshare(CLONE_NEWNS) == -1 && errno == EPERM, "unshare(CLONE_NEWNS) not EPERM");
        EXPECT_SYSCALL(::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) == -1 && errno == EPERM,
                       "keyctl not EPERM");
        EXPECT_SYSCALL(::syscall(SYS_add_key, "user", "k", "v", 1, KEY_SPEC_PROCESS_KEYRING) == -1 && errno == EPERM,
                       "add_key not EPERM");
        EXPECT_SYSCALL(::mount("none", "/mnt", "tmpfs", 0, nullptr) == -1 && errno == EPERM, "mount not EPERM");
        EXPECT_SYSCALL(::syscall(SYS_clone3, nullptr, 0) == -1 && errno == ENOSYS, "clone3 not ENOSYS");
        EXPECT_SYSCALL(::socket(AF_VSOCK, SOCK_STREAM, 0) == -1 && errno == EPERM, "socket(AF_VSOCK) not EPERM");
        EXPECT_SYSCALL(::syscall(SYS_personality, 0x0400000) == -1 && errno == EPERM, "personality(ADDR_NO_RANDOMIZE) not EPERM");

        EXPECT_SYSCALL(::getpid() > 0, "getpid failed");
        int fd = ::open(file.c_str(), O_CREAT | O_WRONLY, 0644);
        EXPECT_SYSCALL(fd >= 0, "open failed");
        EXPECT_SYSCALL(::write(fd, "x", 1) == 1, "write failed");
        ::close(fd);
        int sock = ::socket(AF_INET, SOCK_STREAM, 0);
        EXPECT_SYSCALL(sock >= 0, "socket(AF_INET) failed");
        ::close(sock);
        EXPECT_SYSCALL(::chroot("/") == 0, "chroot failed");  // CAP_SYS_CHROOT is a default
        pid_t pid = ::fork();
        EXPECT_SYSCALL(pid >= 0, "fork failed");
        if (pid == 0) ::_exit(7);
        int status = 0;
        ::waitpid(pid, &status, 0);
        EXPECT_SYSCALL(WIFEXITED(status) && WEXITSTATUS(status) == 7, "forked child did not run");
        bool ran = false;
        std::thread([&] { ran = true; }).join();  // glibc tries clone3, falls back to clone
        EXPECT_SYSCALL(ran, "thread did not run");
        report = cap_lines();
        return 0;
    });
    INFO(r.report);
    CHECK(r.exit_code == 0);
    CHECK(r.report.find("Seccomp:\t2") != std::string::npos);
}

TEST_CASE("seccomp default profile: CAP_SYS_ADMIN opens namespaces and mount", "[.root][root][seccomp]") {
    REQUIRE_ROOT();
    auto r = in_child([](std::string& report) {
        auto caps = default_capabilities();
        caps.push_back("CAP_SYS_ADMIN");
        if (int rc = apply_default_seccomp(report, caps); rc != 0) return rc;
        EXPECT_SYSCALL(::unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS) refused");
        EXPECT_SYSCALL(::mount("", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "mount refused");
        return 0;
    });
    INFO(r.report);
    CHECK(r.exit_code == 0);
}

TEST_CASE("seccomp: a custom JSON profile, unconfined, and a bad profile", "[.root][root][seccomp]") {
    REQUIRE_ROOT();
    RootTempDir dir("berth-seccomp");
    std::string sub = (dir.root / "sub").string();
    std::string profile = R"({
        "defaultAction": "SCMP_ACT_ALLOW",
        "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
        "syscalls": [
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
            {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
            {"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"}
        ]
    })";
    auto r = in_child([&](std::string& report) {
        auto s = apply_seccomp(profile, default_capabilities());
        if (!s) {
            report = s.error().message;
            return 2;
        }
        EXPECT_SYSCALL(::mkdir(sub.c_str(), 0755) == -1 && errno == EPERM, "mkdir not EPERM");
        EXPECT_SYSCALL(::rmdir(dir.root.c_str()) == -1 && errno == EACCES, "rmdir not EACCES");
        EXPECT_SYSCALL(::unshare(CLONE_NEWNS) == 0, "unshare refused under an allow-by-default profile");
        return 0;
    });
    INFO(r.report);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(std::filesystem::exists(sub));

    auto unconfined = in_child([](std::string& report) {
        auto s = apply_seccomp("unconfined", {});
        report = cap_lines();
        return s ? 0 : 1;
    });
    CHECK(unconfined.exit_code == 0);
    CHECK(unconfined.report.find("Seccomp:\t0") != std::string::npos);

    auto bad = in_child([](std::string& report) {
        auto s = apply_seccomp("{\"defaultAction\": ", {});
        if (!s) report = s.error().message;
        return s ? 0 : 1;
    });
    CHECK(bad.exit_code == 1);
    CHECK(bad.report.find("seccomp profile") != std::string::npos);
}
