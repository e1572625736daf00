// Layer extraction as root: whiteouts, ownership, setuid, xattrs and device nodes, and the
// result used as overlay lowerdirs by the real kernel.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <catch2/catch.hpp>

#include "engine/image/layer_extract.hpp"
#include "tests/support/root_test.hpp"
#include "tests/unit/image/layer_tar.hpp"

using namespace image_test;
using engine::image::extract_layer;

namespace {

std::string xattr_of(const std::string& path, const char* name) {
    char buf[256];
    ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
    return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

void apply(const RootTempDir& tmp, const std::string& dir, const std::vector<TarEntry>& entries) {
    std::string tar = (tmp.root / (dir + ".tar")).string();
    write_tar(tar, entries);
    std::filesystem::create_directories(tmp.root / dir);
    auto r = extract_layer(tar, (tmp.root / dir).string());
    INFO((r.ok() ? "" : r.error().message));
    REQUIRE(r.ok());
}

}  // namespace

TEST_CASE("layer root: whiteouts become overlayfs whiteouts the kernel honours", "[.root][image]") {
    REQUIRE_ROOT();
    RootTempDir tmp("berth-layer-root");
    apply(tmp, "lower", {tar_dir("a"), tar_file("a/old", "1"), tar_file("gone", "2"), tar_file("stays", "3")});
    apply(tmp, "upper", {tar_dir("a"), tar_file("a/.wh..wh..opq", ""), tar_file("a/new", "4"), tar_file(".wh.gone", "")});
    std::string upper = (tmp.root / "upper").string();
    struct stat st {};
    REQUIRE(::lstat((upper + "/gone").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == ::makedev(0, 0));
    CHECK(xattr_of(upper + "/a", "trusted.overlay.opaque") == "y");
    CHECK_FALSE(std::filesystem::exists(upper + "/.wh.gone"));

    std::string merged = (tmp.root / "merged").string();
    std::filesystem::create_directories(merged);
    std::string opts = "lowerdir=" + upper + ":" + (tmp.root / "lower").string();
    REQUIRE(::mount("overlay", merged.c_str(), "overlay", MS_RDONLY, opts.c_str()) == 0);
    CHECK(std::filesystem::exists(merged + "/stays"));
    CHECK(std::filesystem::exists(merged + "/a/new"));
    CHECK_FALSE(std::filesystem::exists(merged + "/gone"));
    CHECK_FALSE(std::filesystem::exists(merged + "/a/old"));
}

TEST_CASE("layer root: owners, setuid, xattrs; device nodes skipped", "[.root][image]") {
    REQUIRE_ROOT();
    RootTempDir tmp("berth-layer-root");
    TarEntry su = tar_file("bin/su", "x", 04755);
    su.uid = 0, su.gid = 0;
    TarEntry owned = tar_file("home/app/f", "y", 02640);
    owned.uid = 1000, owned.gid = 1001;
    owned.xattrs = {{"user.note", "hi"}, {"trusted.overlay.redirect", "/etc"}};
    TarEntry home = tar_dir("home/app", 0700);
    home.uid = 1000, home.gid = 1000;
    TarEntry null_dev{"dev/null", AE_IFCHR, "", 0666};
    null_dev.rdev_major = 1, null_dev.rdev_minor = 3;
    TarEntry disk{"dev/sda", AE_IFBLK, "", 0660};
    disk.rdev_major = 8;
    TarEntry fifo{"run/fifo", AE_IFIFO, "", 0600};
    apply(tmp, "l", {tar_dir("bin"), su, home, owned, null_dev, disk, fifo});
    std::string l = (tmp.root / "l").string();
    struct stat st {};
    REQUIRE(::stat((l + "/bin/su").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 04755);
    REQUIRE(::stat((l + "/home/app/f").c_str(), &st) == 0);
    CHECK(st.st_uid == 1000);
    CHECK(st.st_gid == 1001);
    CHECK((st.st_mode & 07777) == 02640);  // setgid kept: the mode is set after chown
    REQUIRE(::stat((l + "/home/app").c_str(), &st) == 0);
    CHECK(st.st_uid == 1000);
    CHECK((st.st_mode & 07777) == 0700);
    CHECK(xattr_of(l + "/home/app/f", "user.note") == "hi");
    CHECK(xattr_of(l + "/home/app/f", "trusted.overlay.redirect").empty());
    CHECK_FALSE(std::filesystem::exists(l + "/dev/null"));
    CHECK_FALSE(std::filesystem::exists(l + "/dev/sda"));
    REQUIRE(::lstat((l + "/run/fifo").c_str(), &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));
}
