// The pure parts of the netlink layer: link name rules and libnl error translation.
#include "network/netlink.hpp"

#include <netlink/errno.h>

#include <catch2/catch.hpp>

using network::nl_error;
using network::validate_link_name;

TEST_CASE("netlink: link names follow the kernel's rules", "[network]") {
    CHECK(validate_link_name("eth0"));
    CHECK(validate_link_name("br-0123456789ab"));  // 15 bytes, the longest allowed
    auto error = [](std::string_view name) { return validate_link_name(name).error().message; };
    CHECK(error("br-0123456789abc") == "invalid link name \"br-0123456789abc\": longer than 15 characters");
    CHECK(error("") == "invalid link name \"\": empty");
    CHECK(error("..") == "invalid link name \"..\": reserved name");
    CHECK(error("a/b") == "invalid link name \"a/b\": contains '/', ':' or whitespace");
    CHECK(error("eth0:1") == "invalid link name \"eth0:1\": contains '/', ':' or whitespace");
    CHECK(error("a b") == "invalid link name \"a b\": contains '/', ':' or whitespace");
    CHECK(validate_link_name("a b").error().sys_errno == EINVAL);
}

TEST_CASE("netlink: libnl errors keep context and map to errno", "[network]") {
    auto exists = nl_error(-NLE_EXIST, "create bridge \"bt0\"");
    CHECK(exists.sys_errno == EEXIST);
    CHECK(exists.message == "create bridge \"bt0\": Object exists");
    CHECK(nl_error(-NLE_OBJ_NOTFOUND, "x").sys_errno == ENODEV);
    CHECK(nl_error(-NLE_PERM, "x").sys_errno == EPERM);
    CHECK(nl_error(-NLE_MSG_TRUNC, "x").sys_errno == EIO);
}
