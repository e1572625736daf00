// Escape attempts made from inside a container with docker's default profile: every one must
// fail. Each runs a shell snippet in a fresh container and checks what it reports.
#include <fcntl.h>

#include <fstream>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/support/berth_cli.hpp"

using test_support::BerthCli;

namespace {

// Runs `script` in a busybox container; the container prints "ESCAPED" if an attempt worked.
std::string inside(const BerthCli& berth, const std::string& script) {
    auto o = berth.run({"run", "--rm", "busybox", "sh", "-c", script});
    INFO(o.err);
    CHECK(o.code == 0);
    return o.out;
}

}  // namespace

TEST_CASE("escape: host files and processes are out of sight", "[.root][cli][escape]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto secret = berth.dir() / "host-secret";
    std::ofstream(secret) << "secret";
    CHECK(inside(berth, "cat " + secret.string() + " 2>/dev/null && echo ESCAPED; true") == "");
    // Only the container's own processes: sh (pid 1), ls and grep.
    CHECK(std::stoi(inside(berth, "ls /proc | grep -c '^[0-9]'")) <= 3);
    CHECK(inside(berth, "cat /proc/1/cmdline | tr '\\0' ' '") == "sh -c cat /proc/1/cmdline | tr '\\0' ' ' ");
}

TEST_CASE("escape: mount, modules, raw devices and kernel knobs are refused", "[.root][cli][escape]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    CHECK(inside(berth, "mkdir -p /mnt/x; mount -t tmpfs none /mnt/x 2>/dev/null && echo ESCAPED; true") == "");
    CHECK(inside(berth, "head -c 4096 /dev/zero > /tmp/m.ko; insmod /tmp/m.ko 2>&1 | grep -q 'Operation not permitted' || echo ESCAPED") == "");
    CHECK(inside(berth, "echo 1 > /proc/sys/kernel/sysrq 2>/dev/null && echo ESCAPED; true") == "");
    CHECK(inside(berth, "echo b > /proc/sysrq-trigger 2>/dev/null && echo ESCAPED; true") == "");
    CHECK(inside(berth, "head -c 1 /proc/kcore 2>/dev/null | wc -c") == "0\n");
    CHECK(inside(berth, "mknod /tmp/sda b 8 0 2>/dev/null; head -c 1 /tmp/sda >/dev/null 2>&1 && echo ESCAPED; true") == "");
    CHECK(inside(berth, "echo 1 > /sys/kernel/profiling 2>/dev/null && echo ESCAPED; true") == "");
    CHECK(inside(berth, "unshare -U true 2>/dev/null && echo ESCAPED; true") == "");
}

TEST_CASE("escape: no host fd leaks into the container", "[.root][cli][escape]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    // An fd berth's caller forgot to mark close-on-exec, pointing at a host directory.
    int leaked = ::open("/", O_RDONLY | O_DIRECTORY);
    REQUIRE(leaked >= 0);
    auto fds = inside(berth, "ls /proc/self/fd | tr '\\n' ' '");
    ::close(leaked);
    CHECK(fds == "0 1 2 3 ");  // 3 is ls's own directory handle
    CHECK(inside(berth, "ls -l /proc/1/cwd | grep -q ' -> /$' || echo ESCAPED") == "");
}

TEST_CASE("escape: the runtime binaries cannot be written from inside", "[.root][cli][escape]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto before = test_support::run_capture(std::string("sha256sum ") + BERTH_BINARY + " " +
                                            BERTH_BINARY_DIR + "/berth-shim");
    CHECK(inside(berth, "for p in /proc/[0-9]*; do echo x >> $p/exe 2>/dev/null && echo ESCAPED; done; true") == "");
    auto after = test_support::run_capture(std::string("sha256sum ") + BERTH_BINARY + " " +
                                           BERTH_BINARY_DIR + "/berth-shim");
    CHECK(before == after);
}
