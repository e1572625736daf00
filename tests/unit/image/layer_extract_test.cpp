#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "engine/image/layer_extract.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/image/layer_tar.hpp"

using namespace image_test;
using engine::image::extract_layer;

namespace {

struct Layer {
    TempDir tmp{"berth-layer"};
    std::string tar = (tmp.root / "layer.tar").string();
    std::string dest = (tmp.root / "diff").string();
    std::string outside = (tmp.root / "outside").string();
    Layer() {
        std::filesystem::create_directories(dest);
        std::filesystem::create_directories(outside);
    }
    engine::Result<std::int64_t> apply(const std::vector<TarEntry>& entries, int filter = ARCHIVE_FILTER_NONE) {
        write_tar(tar, entries, filter);
        return extract_layer(tar, dest);
    }
    bool outside_empty() const { return std::filesystem::is_empty(outside); }
};

}  // namespace

TEST_CASE("layer extract: files, dirs, symlinks, hardlinks, modes and mtimes", "[image][layer]") {
    Layer l;
    auto r = l.apply({tar_dir("bin", 0700), tar_file("bin/tool", "#!x", 04755), tar_symlink("bin/sh", "tool"),
                      tar_hardlink("bin/tool2", "bin/tool"), tar_file("/etc/abs", "abs"), tar_file("a/b/c", "deep")},
                     ARCHIVE_FILTER_GZIP);
    INFO((r.ok() ? "" : r.error().message));
    REQUIRE(r.ok());
    CHECK(r.value() == 3 + 3 + 4);
    struct stat st {};
    REQUIRE(::stat((l.dest + "/bin/tool").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 04755);
    CHECK(st.st_mtime == 1700000000);
    CHECK(st.st_nlink == 2);
    REQUIRE(::stat((l.dest + "/bin").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    CHECK(st.st_mtime == 1700000000);  // set after its contents were written
    CHECK(std::filesystem::read_symlink(l.dest + "/bin/sh") == "tool");
    CHECK(std::filesystem::exists(l.dest + "/etc/abs"));  // "/" stripped, kept beneath
    CHECK(std::filesystem::exists(l.dest + "/a/b/c"));    // missing parents created
}

TEST_CASE("layer extract: hostile paths never escape the layer", "[image][layer]") {
    Layer l;
    // dest is <tmp>/diff, so "../outside/x" would land in <tmp>/outside.
    SECTION("dot-dot") {
        auto r = l.apply({tar_file("../outside/x", "pwned")});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == "apply layer: invalid tar entry \"../outside/x\": path escapes the layer");
    }
    SECTION("dot-dot after a directory") {
        auto r = l.apply({tar_file("a/../../outside/x", "pwned")});
        REQUIRE_FALSE(r.ok());
    }
    SECTION("symlink then write through it (relative)") {
        auto r = l.apply({tar_symlink("evil", "../outside"), tar_file("evil/x", "pwned")});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == "apply layer: invalid tar entry \"evil/x\": path escapes the layer");
    }
    SECTION("symlink then write through it (absolute)") {
        auto r = l.apply({tar_symlink("evil", l.outside), tar_file("evil/x", "pwned")});
        REQUIRE_FALSE(r.ok());
    }
    SECTION("a file entry replaces a symlink instead of writing through it") {
        auto r = l.apply({tar_symlink("evil", l.outside + "/x"), tar_file("evil", "safe")});
        REQUIRE(r.ok());
        CHECK(std::filesystem::is_regular_file(l.dest + "/evil"));
    }
    SECTION("hardlink to a host file") {
        auto r = l.apply({tar_hardlink("passwd", "/etc/passwd")});
        REQUIRE_FALSE(r.ok());  // resolved beneath: <layer>/etc/passwd does not exist
        r = l.apply({tar_hardlink("passwd", "../../../../../../etc/passwd")});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("path escapes the layer") != std::string::npos);
    }
    SECTION("hardlink through a symlinked directory") {
        auto r = l.apply({tar_symlink("etc", "/etc"), tar_hardlink("passwd", "etc/passwd")});
        REQUIRE_FALSE(r.ok());
    }
    CHECK(l.outside_empty());
}

TEST_CASE("layer extract: zstd and xz layers are detected", "[image][layer]") {
    for (int filter : {ARCHIVE_FILTER_ZSTD, ARCHIVE_FILTER_XZ}) {
        Layer l;
        auto r = l.apply({tar_file("f", "zz")}, filter);
        INFO(filter);
        REQUIRE(r.ok());
        CHECK(l.tmp.read("diff/f") == "zz");
    }
}

TEST_CASE("layer extract: a corrupt tar is a clear error", "[image][layer]") {
    Layer l;
    std::ofstream(l.tar) << std::string(1024, 'x');
    auto r = extract_layer(l.tar, l.dest);
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message);
    CHECK(r.error().message.rfind("apply layer: read layer tar: ", 0) == 0);
}

TEST_CASE("layer extract: bare whiteout names are refused", "[image][layer]") {
    Layer l;
    for (const char* name : {".wh.", "a/.wh..", "a/.wh..."}) {
        auto r = l.apply({tar_dir("a"), tar_file(name, "")});
        INFO(name);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("invalid whiteout entry") != std::string::npos);
    }
}
