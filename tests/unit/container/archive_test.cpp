#include "engine/container/archive.hpp"

#include <catch2/catch.hpp>

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
