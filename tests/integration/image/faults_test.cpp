// Faults an import or a run must survive with a clear error and nothing half-written.
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "tests/support/berth_cli.hpp"

using test_support::BerthCli;

TEST_CASE("faults: a full disk during import leaves no image and no temp files", "[.root][image]") {
    REQUIRE_ROOT();
    BerthCli berth;
    auto rootfs = berth.dir() / "rootfs";
    test_support::make_busybox_rootfs(rootfs);
    test_support::make_tar(rootfs, berth.dir() / "busybox.tar");
    // A state root smaller than the layer: the blob or the unpacked layer cannot fit.
    std::filesystem::create_directories(berth.root());
    REQUIRE(::mount("tmpfs", berth.root().c_str(), "tmpfs", 0, "size=1m") == 0);
    auto imported = berth.run({"import", (berth.dir() / "busybox.tar").string(), "full:latest"});
    CHECK(imported.code == 1);
    CHECK(imported.err.find("No space left on device") != std::string::npos);
    CHECK(berth.run({"images", "-q"}).out == "");
    auto leftovers = test_support::run_capture("find " + berth.root() + " -name '*tmp*' | wc -l");
    CHECK(leftovers == "0\n");
}

TEST_CASE("faults: unknown images and users without a passwd file", "[.root][image]") {
    REQUIRE_ROOT();
    BerthCli berth;
    auto missing = berth.run({"run", "--rm", "nothere", "true"});
    CHECK(missing.code == 125);
    CHECK(missing.err == "Error: No such image: nothere:latest\n");
    auto rootfs = berth.dir() / "bare";
    test_support::make_busybox_rootfs(rootfs);
    std::filesystem::remove(rootfs / "etc/passwd");
    std::filesystem::remove(rootfs / "etc/group");
    test_support::make_tar(rootfs, berth.dir() / "bare.tar");
    REQUIRE(berth.run({"import", (berth.dir() / "bare.tar").string(), "bare"}).code == 0);
    auto named = berth.run({"run", "--rm", "-u", "app", "bare", "true"});
    CHECK(named.code == 125);
    CHECK(named.err.find("unable to find user app: no matching entries in passwd file") != std::string::npos);
    // Numeric ids need no passwd file, as in docker.
    CHECK(berth.run({"run", "--rm", "-u", "1234:5678", "bare", "id"}).out == "uid=1234 gid=5678 groups=5678\n");
}
