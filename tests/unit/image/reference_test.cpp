#include <catch2/catch.hpp>

#include "engine/image/reference.hpp"

using engine::image::parse_reference;
using engine::image::parse_reference_name_only;

namespace {
std::string full(const std::string& text) {
    auto r = parse_reference(text);
    INFO(text);
    REQUIRE(r.ok());
    return r.value().full();
}
std::string error_of(const std::string& text) {
    auto r = parse_reference(text);
    INFO(text);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
}
}  // namespace

TEST_CASE("reference: docker's normalisation", "[image][reference]") {
    CHECK(full("busybox") == "docker.io/library/busybox:latest");
    CHECK(full("busybox:1.36") == "docker.io/library/busybox:1.36");
    CHECK(full("team/app") == "docker.io/team/app:latest");
    CHECK(full("index.docker.io/busybox") == "docker.io/library/busybox:latest");
    CHECK(full("localhost:5000/app:v1") == "localhost:5000/app:v1");
    CHECK(full("localhost/app") == "localhost/app:latest");
    CHECK(full("quay.io/org/sub/app") == "quay.io/org/sub/app:latest");
    std::string d = "sha256:" + std::string(64, 'a');
    CHECK(full("busybox@" + d) == "docker.io/library/busybox@" + d);
    CHECK(full("busybox:1@" + d) == "docker.io/library/busybox:1@" + d);
    CHECK(full("my_app.v2-x__y") == "docker.io/library/my_app.v2-x__y:latest");
}

TEST_CASE("reference: familiar form as docker prints it", "[image][reference]") {
    CHECK(parse_reference("docker.io/library/busybox").value().familiar() == "busybox:latest");
    CHECK(parse_reference("busybox").value().familiar_name() == "busybox");
    CHECK(parse_reference("team/app:v1").value().familiar() == "team/app:v1");
    CHECK(parse_reference("localhost:5000/app:v1").value().familiar() == "localhost:5000/app:v1");
    CHECK(parse_reference_name_only("busybox").value().tag.empty());
}

TEST_CASE("reference: invalid references are refused with docker's messages", "[image][reference]") {
    CHECK(error_of("") == "invalid reference format");
    CHECK(error_of("Busybox") == "invalid reference format: repository name must be lowercase");
    CHECK(error_of("busybox:") == "invalid reference format");
    CHECK(error_of("busybox:-x") == "invalid reference format");
    CHECK(error_of("busybox@sha256:abc") == "invalid reference format");
    CHECK(error_of("bad..name") == "invalid reference format");
    CHECK(error_of("-app") == "invalid reference format");
    CHECK(error_of("a//b") == "invalid reference format");
    CHECK(error_of("host:x/app") == "invalid reference format");
    CHECK(error_of(std::string(64, 'a')) ==
          "invalid repository name (" + std::string(64, 'a') + "), cannot specify 64-byte hexadecimal strings");
    CHECK(error_of("x/" + std::string(300, 'a')).rfind("invalid reference format: repository name (", 0) == 0);
}
