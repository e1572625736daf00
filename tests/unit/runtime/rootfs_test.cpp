#include "engine/runtime/rootfs.hpp"

#include <sys/mount.h>

#include <catch2/catch.hpp>

using engine::runtime::parse_mount_options;

TEST_CASE("parse_mount_options: flags, propagation and data", "[runtime][mounts]") {
    auto o = parse_mount_options({"rbind", "ro", "nosuid", "rprivate", "size=64m", "mode=1777"});
    CHECK(o.flags == (MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID));
    CHECK(o.propagation == (MS_PRIVATE | MS_REC));
    CHECK(o.data == "size=64m,mode=1777");
    // A later "rw" undoes an earlier "ro", as mount(8) reads them.
    CHECK(parse_mount_options({"ro", "rw"}).flags == 0);
}

TEST_CASE("overlay_data: layers top first", "[runtime][mounts]") {
    engine::runtime::ContainerSpec spec;
    spec.lower_dirs = {"/l/top", "/l/base"};
    spec.upper_dir = "/c/upper";
    spec.work_dir = "/c/work";
    CHECK(engine::runtime::overlay_data(spec) == "lowerdir=/l/top:/l/base,upperdir=/c/upper,workdir=/c/work");
}
