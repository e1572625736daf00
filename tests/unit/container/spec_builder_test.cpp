#include <catch2/catch.hpp>

#include "engine/container/spec_builder.hpp"

using engine::container::command_of;
using engine::container::merge_image_config;
using nlohmann::json;

TEST_CASE("merge_image_config: an absent entrypoint and cmd come from the image", "[container]") {
    json image = {{"Entrypoint", {"/entry"}}, {"Cmd", {"serve", "--port", "80"}}};
    json merged = merge_image_config(json{{"Image", "x"}}, image);
    CHECK(merged["Entrypoint"] == json{"/entry"});
    CHECK(merged["Cmd"] == json{"serve", "--port", "80"});
    auto cmd = command_of(merged);
    REQUIRE(cmd);
    CHECK(cmd.value().first == "/entry");
    CHECK(cmd.value().second == std::vector<std::string>{"serve", "--port", "80"});
}

TEST_CASE("merge_image_config: a user cmd replaces the image's and keeps its entrypoint", "[container]") {
    json image = {{"Entrypoint", {"/entry"}}, {"Cmd", {"serve"}}};
    json merged = merge_image_config(json{{"Cmd", {"migrate"}}}, image);
    CHECK(merged["Entrypoint"] == json{"/entry"});
    CHECK(merged["Cmd"] == json{"migrate"});
}

TEST_CASE("merge_image_config: a user entrypoint drops the image's cmd", "[container]") {
    json image = {{"Entrypoint", {"/entry"}}, {"Cmd", {"serve"}}};
    json merged = merge_image_config(json{{"Entrypoint", {"/bin/sh"}}}, image);
    CHECK(merged["Entrypoint"] == json{"/bin/sh"});
    CHECK(merged["Cmd"].is_null());
    SECTION("an empty entrypoint (--entrypoint '') keeps the image's cmd and no entrypoint") {
        json cleared = merge_image_config(json{{"Entrypoint", json::array()}}, image);
        CHECK(cleared["Cmd"] == json{"serve"});
        CHECK(cleared["Entrypoint"] == json::array());
    }
}

TEST_CASE("command_of: nothing to run is docker's error", "[container]") {
    auto cmd = command_of(json{{"Cmd", nullptr}, {"Entrypoint", nullptr}});
    REQUIRE_FALSE(cmd);
    CHECK(cmd.error().message == "No command specified");
}

TEST_CASE("merge_image_config: env by key, labels merged, workdir and user inherited", "[container]") {
    json image = {{"Env", {"PATH=/img", "A=1"}}, {"Labels", {{"a", "1"}, {"b", "2"}}},
                  {"WorkingDir", "/srv"}, {"User", "app"}, {"Cmd", {"x"}}};
    json merged = merge_image_config(json{{"Env", {"A=2", "B=3"}}, {"Labels", {{"b", "9"}}}}, image);
    CHECK(merged["Env"] == json{"PATH=/img", "A=2", "B=3"});
    CHECK(merged["Labels"] == json{{"a", "1"}, {"b", "9"}});
    CHECK(merged["WorkingDir"] == "/srv");
    CHECK(merged["User"] == "app");
    json own = merge_image_config(json{{"User", "0"}, {"WorkingDir", "/w"}}, image);
    CHECK(own["User"] == "0");
    CHECK(own["WorkingDir"] == "/w");
}

TEST_CASE("parse_ulimit: docker's name=soft[:hard]", "[container]") {
    auto both = engine::container::parse_ulimit("nofile=1024:2048");
    REQUIRE(both);
    CHECK(both.value().name == "nofile");
    CHECK(both.value().soft == 1024);
    CHECK(both.value().hard == 2048);
    auto one = engine::container::parse_ulimit("nproc=64");
    REQUIRE(one);
    CHECK(one.value().hard == 64);
    CHECK(engine::container::parse_ulimit("nofile").error().message == "invalid ulimit argument: \"nofile\"");
    CHECK(engine::container::parse_ulimit("nofile=9:1").error().message ==
          "ulimit soft limit must be less than or equal to hard limit: 9 > 1");
    CHECK_FALSE(engine::container::parse_ulimit("nofile=x"));
}

TEST_CASE("container_resolv_conf: loopback resolvers are dropped, docker's fallback added", "[container]") {
    using engine::container::container_resolv_conf;
    CHECK(container_resolv_conf("search lan\nnameserver 127.0.0.53\noptions edns0\n") ==
          "search lan\noptions edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    CHECK(container_resolv_conf("nameserver 10.0.0.2\n") == "nameserver 10.0.0.2\n");
}

TEST_CASE("container_hosts: localhost entries and the hostname", "[container]") {
    std::string hosts = engine::container::container_hosts("web");
    CHECK(hosts.find("127.0.0.1\tlocalhost\n") == 0);
    CHECK(hosts.find("\tweb\n") != std::string::npos);
}
