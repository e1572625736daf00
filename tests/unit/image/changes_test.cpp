#include <catch2/catch.hpp>

#include "engine/image/changes.hpp"

using engine::image::apply_change;
using nlohmann::json;

namespace {
json apply(std::initializer_list<const char*> changes) {
    json config = json::object();
    for (const char* c : changes) {
        auto s = apply_change(config, c);
        INFO(c);
        REQUIRE(s.ok());
    }
    return config;
}
}  // namespace

TEST_CASE("changes: CMD and ENTRYPOINT in JSON and shell form", "[image][changes]") {
    CHECK(apply({R"(CMD ["sh", "-c", "echo hi"])"})["Cmd"] == json::array({"sh", "-c", "echo hi"}));
    CHECK(apply({"CMD echo hi"})["Cmd"] == json::array({"/bin/sh", "-c", "echo hi"}));
    CHECK(apply({R"(entrypoint ["/init"])"})["Entrypoint"] == json::array({"/init"}));
    CHECK(apply({"ENTRYPOINT [not json"})["Entrypoint"] == json::array({"/bin/sh", "-c", "[not json"}));
}

TEST_CASE("changes: ENV, LABEL, EXPOSE, VOLUME, WORKDIR, USER, STOPSIGNAL", "[image][changes]") {
    auto c = apply({R"(ENV A=1 B="two words" C=x\ y)", "ENV A 9 9", R"(LABEL a=b "c d"=e)",
                    "EXPOSE 80 53/udp", R"(VOLUME ["/data"])", "VOLUME /a /b", "WORKDIR /app",
                    "WORKDIR sub", "USER nobody", "STOPSIGNAL SIGINT"});
    CHECK(c["Env"] == json::array({"A=9 9", "B=two words", "C=x y"}));
    CHECK(c["Labels"] == json{{"a", "b"}, {"c d", "e"}});
    CHECK(c["ExposedPorts"] == json{{"80/tcp", json::object()}, {"53/udp", json::object()}});
    CHECK(c["Volumes"] == json{{"/data", json::object()}, {"/a", json::object()}, {"/b", json::object()}});
    CHECK(c["WorkingDir"] == "/app/sub");
    CHECK(c["User"] == "nobody");
    CHECK(c["StopSignal"] == "SIGINT");
}

TEST_CASE("changes: invalid instructions are refused", "[image][changes]") {
    json c = json::object();
    CHECK(apply_change(c, "FROM busybox").error().message == "FROM is not a valid change command");
    CHECK(apply_change(c, "EXPOSE 99999").error().message == "invalid port \"99999\"");
    CHECK(apply_change(c, "ENV").error().message == "ENV requires at least one argument");
    CHECK(apply_change(c, "ENV =x").error().message == "ENV names can not be blank: \"=x\"");
    CHECK(apply_change(c, R"(VOLUME [""])").error().message == "VOLUME specified can not be an empty string");
    CHECK(apply_change(c, R"(ENV A="x)").error().message == "unmatched quote in \"A=\"x\"");
}
