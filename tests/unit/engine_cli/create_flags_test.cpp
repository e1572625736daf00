#include <catch2/catch.hpp>

#include "engine/cli/create_flags.hpp"
#include "engine/container/spec_builder.hpp"

using engine::cli::CreateFlags;
using engine::container::parse_bytes;
using engine::cli::to_create_request;

TEST_CASE("parse_bytes: docker's binary units", "[engine-cli]") {
    CHECK(parse_bytes("512m").value() == 512LL * 1024 * 1024);
    CHECK(parse_bytes("1g").value() == 1024LL * 1024 * 1024);
    CHECK(parse_bytes("1GB").value() == 1024LL * 1024 * 1024);
    CHECK(parse_bytes("100").value() == 100);
    CHECK(parse_bytes("1x").error().message == "invalid size: '1x'");
}

TEST_CASE("to_create_request: flags become Config and HostConfig", "[engine-cli]") {
    CreateFlags f;
    f.image_and_command = {"busybox", "sh", "-c", "echo hi"};
    f.env = {"A=1"};
    f.labels = {"tier=web"};
    f.memory = "64m";
    f.cpus = "1.5";
    f.ulimits = {"nofile=100:200"};
    f.tmpfs = {"/run:size=1m"};
    f.restart = "on-failure:3";
    auto request = to_create_request(f);
    REQUIRE(request);
    const auto& c = request.value().config;
    const auto& h = request.value().host_config;
    CHECK(c["Image"] == "busybox");
    CHECK(c["Cmd"] == nlohmann::json{"sh", "-c", "echo hi"});
    CHECK(c["Env"] == nlohmann::json{"A=1"});
    CHECK(c["Labels"]["tier"] == "web");
    CHECK(h["Memory"] == 64 * 1024 * 1024);
    CHECK(h["NanoCpus"] == 1500000000);
    CHECK(h["Ulimits"][0]["Hard"] == 200);
    CHECK(h["Tmpfs"]["/run"] == "size=1m");
    CHECK(h["RestartPolicy"]["Name"] == "on-failure");
    CHECK(h["RestartPolicy"]["MaximumRetryCount"] == 3);
    CHECK_FALSE(c.contains("Entrypoint"));
}

TEST_CASE("to_create_request: docker's errors for bad flags", "[engine-cli]") {
    CreateFlags f;
    f.image_and_command = {"busybox"};
    f.restart = "always:3";
    CHECK(to_create_request(f).error().message ==
          "invalid restart policy: maximum retry count can only be used with 'on-failure'");
    f.restart = "always";
    f.auto_remove = true;
    CHECK(to_create_request(f).error().message == "Conflicting options: --restart and --rm");
    CreateFlags g;
    g.image_and_command = {"busybox"};
    g.cpus = "lots";
    CHECK(to_create_request(g).error().message ==
          "invalid argument \"lots\" for \"--cpus\" flag: failed to parse lots as a rational number");
}
