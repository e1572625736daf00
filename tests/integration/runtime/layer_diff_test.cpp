#include "engine/container/archive.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/busybox_rootfs.hpp"
#include "tests/support/root_test.hpp"

TEST_CASE("write_layer_tar: overlay whiteouts become OCI whiteouts", "[.root][commit]") {
    REQUIRE_ROOT();
    RootTempDir dir("berth-diff");
    auto upper = dir.root / "upper";
    std::filesystem::create_directories(upper / "etc");
    std::filesystem::create_directories(upper / "var/cache");
    std::ofstream(upper / "etc/motd") << "hello\n";
    REQUIRE(::mknod((upper / "etc/removed").c_str(), S_IFCHR | 0, makedev(0, 0)) == 0);
    REQUIRE(::setxattr((upper / "var/cache").c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0);
    REQUIRE(::setxattr((upper / "etc/motd").c_str(), "user.note", "kept", 4, 0) == 0);
    auto tar = dir.root / "layer.tar";
    int fd = ::open(tar.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    auto written = engine::container::write_layer_tar(fd, upper.string());
    ::close(fd);
    INFO((written.ok() ? "" : written.error().message));
    REQUIRE(written.ok());
    CHECK(test_support::run_capture("tar -tf " + tar.string() + " | sort | tr '\\n' ' '") ==
          "etc/ etc/.wh.removed etc/motd var/ var/cache/ var/cache/.wh..wh..opq ");
    CHECK(test_support::run_capture("tar -xOf " + tar.string() + " etc/motd") == "hello\n");
    // overlay's own xattrs stay out of the layer; the user's are kept.
    CHECK(test_support::run_capture("tar --xattrs -tvvf " + tar.string() + " | grep -c trusted.overlay; true") == "0\n");
}
