#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/container/filesystem_changes.hpp"
#include "tests/support/temp_dir.hpp"

using engine::container::Change;

TEST_CASE("filesystem_changes: added, changed and (as root) whiteout-deleted entries", "[container]") {
    TempDir tmp;
    tmp.write("lower/etc/passwd", "root\n");
    tmp.write("lower/etc/old", "x");
    tmp.write("upper/etc/passwd", "root\napp\n");
    tmp.write("upper/new.txt", "n");
    bool root = ::geteuid() == 0;
    if (root) REQUIRE(::mknod((tmp.root / "upper/etc/old").c_str(), S_IFCHR | 0, makedev(0, 0)) == 0);
    auto changes = engine::container::filesystem_changes((tmp.root / "upper").string(),
                                                         {(tmp.root / "lower").string()});
    REQUIRE(changes);
    std::vector<Change> expected = {{'C', "/etc"}};
    if (root) expected.push_back({'D', "/etc/old"});
    expected.push_back({'C', "/etc/passwd"});
    expected.push_back({'A', "/new.txt"});
    CHECK(changes.value() == expected);
}

TEST_CASE("filesystem_changes: a missing upper dir is an error naming it", "[container]") {
    auto changes = engine::container::filesystem_changes("/nonexistent-upper", {});
    REQUIRE_FALSE(changes);
    CHECK(changes.error().message == "read directory /nonexistent-upper: No such file or directory");
}
