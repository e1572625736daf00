#include "engine/container/archive.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"
#include "tests/unit/image/layer_tar.hpp"

using engine::container::CopyEnds;
using engine::container::plan_copy;

TEST_CASE("plan_copy: docker cp's rules for where a copy lands", "[container][cp]") {
    // Into an existing directory, under the source's name.
    auto into = plan_copy({"/etc/hosts", false, "/tmp", true, true});
    REQUIRE(into.ok());
    CHECK(into.value().dir == "/tmp");
    CHECK(into.value().name == "hosts");
    // Onto a new path: renamed.
    auto renamed = plan_copy({"/etc/hosts", false, "/tmp/copy", false, false});
    REQUIRE(renamed.ok());
    CHECK(renamed.value().dir == "/tmp");
    CHECK(renamed.value().name == "copy");
    // Over an existing file.
    auto over = plan_copy({"/etc/hosts", false, "/tmp/old", true, false});
    CHECK(over.value().name == "old");
    // A directory's contents with "/.".
    auto contents = plan_copy({"/etc/.", true, "/tmp", true, true});
    CHECK(contents.value().name == "");
    CHECK(plan_copy({"/etc/", true, "/tmp", true, true}).value().name == "etc");
    // Errors as docker words them.
    CHECK(plan_copy({"/etc", true, "/tmp/file", true, false}).error().message ==
          "cannot copy a directory to a file");
    CHECK_FALSE(plan_copy({"/etc/hosts", false, "/nowhere/", false, false}).ok());
}

TEST_CASE("extract_tar: entries stay inside the destination", "[container][cp]") {
    TempDir tmp("berth-extract");
    auto dest = tmp.root / "dest";
    std::filesystem::create_directories(dest);
    auto extract = [&](const std::vector<image_test::TarEntry>& entries) {
        std::string tar = (tmp.root / "in.tar").string();
        image_test::write_tar(tar, entries);
        int fd = ::open(tar.c_str(), O_RDONLY | O_CLOEXEC);
        auto done = engine::container::extract_tar(fd, dest.string(), false);
        ::close(fd);
        return done;
    };
    REQUIRE(extract({image_test::tar_file("/abs/file", "ok"), image_test::tar_dir("sub")}).ok());
    CHECK(std::filesystem::exists(dest / "abs/file"));  // a leading "/" is dropped, as docker does
    auto dotdot = extract({image_test::tar_file("sub/../../escaped", "x")});
    CHECK_FALSE(dotdot.ok());
    CHECK_FALSE(std::filesystem::exists(tmp.root / "escaped"));
    auto hardlink = extract({image_test::tar_hardlink("link", "../../etc/passwd")});
    CHECK_FALSE(hardlink.ok());
    // Never written through a symlink: libarchive replaces the link by the directory the entry needs.
    auto through = extract({image_test::tar_symlink("out", tmp.root.string()), image_test::tar_file("out/evil", "x")});
    CHECK(through.ok());
    CHECK_FALSE(std::filesystem::exists(tmp.root / "evil"));
    CHECK(std::filesystem::is_directory(std::filesystem::symlink_status(dest / "out")));
}
