#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/client/client.hpp"
#include "engine/client/host.hpp"
#include "engine/client/query.hpp"

using namespace engine::client;

TEST_CASE("query: values are percent-encoded, order kept, empty values kept", "[client][query]") {
    CHECK(url_encode("a b/c:d=e&f") == "a%20b%2Fc%3Ad%3De%26f");
    CHECK(url_encode("Az09-._~") == "Az09-._~");
    CHECK(Query().str() == "");
    CHECK(Query().add("fromImage", "").add("tag", "v1").str() == "?fromImage=&tag=v1");
    CHECK(Query().add("all", true).add("t", 10).str() == "?all=1&t=10");
    CHECK(Query().add("names", "a:1").add("names", "b").str() == "?names=a%3A1&names=b");
}

TEST_CASE("query: filters go in Docker's map form, URL-encoded", "[client][query]") {
    Filters filters{{"label", {"com.docker.compose.project=p", "x"}}, {"status", {"exited"}}};
    auto parsed = nlohmann::json::parse(filters_json(filters));
    CHECK(parsed == nlohmann::json::parse(
                        R"({"label":{"com.docker.compose.project=p":true,"x":true},"status":{"exited":true}})"));
    CHECK(Query().add_filters({}).str() == "");
    CHECK(Query().add_filters({{"name", {"a b"}}}).str() ==
          "?filters=%7B%22name%22%3A%7B%22a%20b%22%3Atrue%7D%7D");
}

TEST_CASE("query: path segments keep the slashes and colons of image references", "[client][query]") {
    CHECK(encode_path("127.0.0.1:5999/x:v1") == "127.0.0.1:5999/x:v1");
    CHECK(encode_path("sha256:abc") == "sha256:abc");
    CHECK(encode_path("a b?c#d") == "a%20b%3Fc%23d");
}

namespace {

/// Restores an environment variable when the test ends.
struct SavedEnv {
    explicit SavedEnv(const char* name) : name(name), had(std::getenv(name) != nullptr), value(had ? std::getenv(name) : "") {}
    ~SavedEnv() { had ? ::setenv(name, value.c_str(), 1) : ::unsetenv(name); }
    const char* name;
    bool had;
    std::string value;
};

}  // namespace

TEST_CASE("host: -H, then BERTH_HOST, then DOCKER_HOST, then the default", "[client][host]") {
    SavedEnv berth_host("BERTH_HOST"), docker_host("DOCKER_HOST");
    ::unsetenv("BERTH_HOST");
    ::unsetenv("DOCKER_HOST");
    CHECK(choose_host("") == "unix:///run/berth.sock");
    ::setenv("DOCKER_HOST", "unix:///d.sock", 1);
    CHECK(choose_host("") == "unix:///d.sock");
    ::setenv("BERTH_HOST", "unix:///b.sock", 1);
    CHECK(choose_host("") == "unix:///b.sock");
    CHECK(choose_host("unix:///h.sock") == "unix:///h.sock");
}

TEST_CASE("host: unix:// gives the socket path; tcp:// is refused clearly", "[client][host]") {
    auto path = unix_socket_path("unix:///run/x.sock");
    REQUIRE(path.ok());
    CHECK(path.value() == "/run/x.sock");
    auto tcp = unix_socket_path("tcp://127.0.0.1:2375");
    REQUIRE_FALSE(tcp.ok());
    CHECK(tcp.error().kind == ErrorKind::config);
    CHECK(tcp.error().message.find("tcp:// is not supported") != std::string::npos);
    CHECK_FALSE(unix_socket_path("/run/x.sock").ok());
    CHECK_FALSE(unix_socket_path("unix://").ok());
}

TEST_CASE("version: the lower of the server's and ours; 1.24 when the server names none", "[client][version]") {
    CHECK(negotiate_version("1.43", "1.41") == "1.41");
    CHECK(negotiate_version("1.40", "1.41") == "1.40");
    CHECK(negotiate_version("1.41", "1.41") == "1.41");
    CHECK(negotiate_version("1.9", "1.41") == "1.9");  // numeric, not text, comparison
    CHECK(negotiate_version("2.0", "1.41") == "1.41");
    CHECK(negotiate_version("", "1.41") == "1.24");
}
