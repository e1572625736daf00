#include "engine/runtime/user.hpp"

#include <catch2/catch.hpp>

using engine::runtime::find_executable;
using engine::runtime::resolve_user;

namespace {
const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "app:x:1000:1000:app:/home/app:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const char* kGroup =
    "root:x:0:\n"
    "app:x:1000:\n"
    "extra:x:1001:app,other\n"
    "audio:x:29:app\n";
}  // namespace

TEST_CASE("resolve_user: Docker's rules for names, numbers and groups", "[runtime][user]") {
    auto root = resolve_user("", {}, kPasswd, kGroup);
    REQUIRE(root.ok());
    CHECK(root.value().uid == 0);
    CHECK(root.value().home == "/root");

    auto app = resolve_user("app", {}, kPasswd, kGroup);
    REQUIRE(app.ok());
    CHECK(app.value().uid == 1000);
    CHECK(app.value().gid == 1000);
    CHECK(app.value().groups == std::vector<gid_t>{1000, 1001, 29});
    CHECK(app.value().home == "/home/app");

    auto by_number = resolve_user("1000", {}, kPasswd, kGroup);
    REQUIRE(by_number.ok());
    CHECK(by_number.value().home == "/home/app");

    // A number not in the file is fine: gid 0, home "/".
    auto unknown = resolve_user("4242:77", {}, kPasswd, kGroup);
    REQUIRE(unknown.ok());
    CHECK(unknown.value().uid == 4242);
    CHECK(unknown.value().gid == 77);
    CHECK(unknown.value().home == "/");
    CHECK(unknown.value().groups == std::vector<gid_t>{77});

    // A named group replaces the memberships from /etc/group.
    auto named = resolve_user("app:extra", {"audio", "500"}, kPasswd, kGroup);
    REQUIRE(named.ok());
    CHECK(named.value().gid == 1001);
    CHECK(named.value().groups == std::vector<gid_t>{1001, 29, 500});
}

TEST_CASE("resolve_user: unknown names are errors with Docker's wording", "[runtime][user]") {
    auto user = resolve_user("ghost", {}, kPasswd, kGroup);
    REQUIRE_FALSE(user.ok());
    CHECK(user.error().message == "unable to find user ghost: no matching entries in passwd file");
    auto group = resolve_user("app:ghosts", {}, kPasswd, kGroup);
    REQUIRE_FALSE(group.ok());
    CHECK(group.error().message == "unable to find group ghosts: no matching entries in group file");
    CHECK_FALSE(resolve_user("root", {"nogroup"}, kPasswd, kGroup).ok());
    // No passwd file at all: only numbers work.
    CHECK(resolve_user("12", {}, "", "").ok());
    CHECK_FALSE(resolve_user("root", {}, "", "").ok());
}

TEST_CASE("find_executable: PATH lookup and Docker's message", "[runtime][user]") {
    auto exists = [](const std::string& p) { return p == "/bin/sh" || p == "/usr/bin/env"; };
    CHECK(find_executable("sh", "/usr/local/bin:/bin", exists).value() == "/bin/sh");
    CHECK(find_executable("env", "/usr/local/bin:/bin:/usr/bin", exists).value() == "/usr/bin/env");
    CHECK(find_executable("./x", "", exists).value() == "./x");
    auto missing = find_executable("nope", "/bin", exists);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().sys_errno == ENOENT);
    CHECK(missing.error().message == "exec: \"nope\": executable file not found in $PATH");
}
