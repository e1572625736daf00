#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/daemon/daemon_harness.hpp"

using daemon_test::Daemon;
using nlohmann::json;

namespace {

std::string message_of(const daemon_test::HttpResponse& r) {
    auto doc = json::parse(r.body, nullptr, false);
    return doc.is_object() ? doc.value("message", "") : "<not json: " + r.body + ">";
}

}  // namespace

TEST_CASE("berthd serves the docker CLI: version, info, create, start, ps, inspect, stop, rm, events",
          "[.root][daemon]") {
    REQUIRE_ROOT();
    Daemon d;
    auto since = std::to_string(::time(nullptr) - 1);

    auto version = d.docker("version --format '{{.Server.APIVersion}} {{.Server.Os}}'");
    INFO(version.out);
    CHECK(version.code == 0);
    CHECK(version.out.find("1.41 linux") != std::string::npos);

    auto info = d.docker("info --format '{{.Driver}} {{.Images}}'");
    INFO(info.out);
    CHECK(info.out.find("overlay2 1") != std::string::npos);

    auto created = d.docker("create --name web -l app=demo bb:local sleep 60");
    INFO(created.out);
    REQUIRE(created.code == 0);
    REQUIRE(d.docker("start web").code == 0);

    auto ps = d.docker("ps -a --filter label=app=demo --format '{{.Names}} {{.Status}}'");
    INFO(ps.out);
    CHECK(ps.out.rfind("web Up", 0) == 0);
    CHECK(d.docker("ps -a --filter label=app=other -q").out.empty());

    auto state = d.docker("inspect -f '{{.State.Status}} {{.Name}}' web");
    CHECK(state.out == "running /web\n");

    REQUIRE(d.docker("stop -t 1 web").code == 0);
    CHECK(d.docker("inspect -f '{{.State.Status}}' web").out == "exited\n");
    auto again = d.docker("stop web");  // 304: the CLI takes it as success
    CHECK(again.code == 0);
    REQUIRE(d.docker("rm web").code == 0);
    CHECK(d.docker("inspect web").code != 0);

    auto until = std::to_string(::time(nullptr) + 1);
    auto events = d.docker("events --since " + since + " --until " + until +
                           " --filter container=web --format '{{.Action}}'");
    INFO(events.out);
    CHECK(events.code == 0);
    CHECK(events.out == "create\nstart\ndie\nstop\ndestroy\n");
}

TEST_CASE("berthd answers bad requests with Docker's errors and keeps serving", "[.root][daemon]") {
    REQUIRE_ROOT();
    Daemon d({"--request-timeout", "2"});

    auto ping = d.request("GET", "/_ping");
    CHECK(ping.status == 200);
    CHECK(ping.body == "OK");
    CHECK(ping.head.find("Api-Version: 1.41") != std::string::npos);
    CHECK(d.request("HEAD", "/_ping").status == 200);

    auto unknown = d.request("GET", "/v1.41/no/such/thing");
    CHECK(unknown.status == 404);
    CHECK(message_of(unknown) == "page not found");
    CHECK(d.request("PUT", "/v1.41/containers/json").status == 405);
    CHECK(d.request("POST", "/v1.41/containers/create?name=x", R"({"Image":"bb:local"})").status == 400);

    auto malformed = d.request("POST", "/v1.41/containers/create", "{\"Image\": ");
    CHECK(malformed.status == 400);
    CHECK_FALSE(message_of(malformed).empty());
    CHECK(d.request("POST", "/v1.41/containers/create", R"({"Image": 5})").status == 400);
    CHECK(d.request("POST", "/v1.41/containers/create", R"({"Image":"bb:local","Cmd":{"a":1}})").status == 400);
    CHECK(d.request("GET", "/v1.41/containers/json?all=perhaps").status == 400);
    CHECK(d.request("GET", "/v1.41/containers/json?filters=%7Bbad").status == 400);

    auto no_image = d.request("POST", "/v1.41/containers/create", R"({"Image":"missing:1"})");
    CHECK(no_image.status == 404);
    CHECK(message_of(no_image) == "No such image: missing:1");

    auto first = d.request("POST", "/v1.41/containers/create?name=dup", R"({"Image":"bb:local","Cmd":["true"]})");
    CHECK(first.status == 201);
    auto second = d.request("POST", "/v1.41/containers/create?name=dup", R"({"Image":"bb:local","Cmd":["true"]})");
    CHECK(second.status == 409);

    auto missing = d.request("GET", "/v1.41/containers/nope/json");
    CHECK(missing.status == 404);
    CHECK(message_of(missing) == "No such container: nope");
    CHECK(d.request("POST", "/v1.41/containers/nope/start").status == 404);

    auto huge = d.request("POST", "/v1.41/containers/create", std::string(17 << 20, ' '));
    CHECK(huge.status == 413);
    CHECK_FALSE(message_of(huge).empty());

    // Half a request, then nothing: others are served meanwhile; the daemon cuts it off.
    int half = daemon_test::connect_unix(d.socket());
    REQUIRE(half >= 0);
    daemon_test::send_all(half, "POST /v1.41/containers/create HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"Im");
    CHECK(d.request("GET", "/_ping").status == 200);
    auto start = std::chrono::steady_clock::now();
    CHECK(daemon_test::read_all(half).empty());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    ::close(half);

    // Garbage instead of HTTP.
    int garbage = daemon_test::connect_unix(d.socket());
    daemon_test::send_all(garbage, "\x01\x02 not http at all\r\n\r\n");
    CHECK(daemon_test::parse_response(daemon_test::read_all(garbage)).status == 400);
    ::close(garbage);

    CHECK(d.request("GET", "/v1.41/_ping").status == 200);
    CHECK(d.request("DELETE", "/v1.41/containers/dup?force=True&v=False").status == 204);
}

TEST_CASE("berthd keeps connections alive for several requests", "[.root][daemon]") {
    REQUIRE_ROOT();
    Daemon d;
    int fd = daemon_test::connect_unix(d.socket());
    REQUIRE(fd >= 0);
    std::string one = "GET /v1.41/version HTTP/1.1\r\nHost: x\r\n\r\n";
    std::string last = "GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    daemon_test::send_all(fd, one + one + last);
    std::string raw = daemon_test::read_all(fd);
    ::close(fd);
    size_t count = 0;
    for (size_t pos = 0; (pos = raw.find("HTTP/1.1 200 OK", pos)) != std::string::npos; ++pos) ++count;
    CHECK(count == 3);
}

TEST_CASE("berthd's wait sends its head at once and the exit code when the container exits",
          "[.root][daemon]") {
    REQUIRE_ROOT();
    Daemon d;
    auto created = d.request("POST", "/v1.41/containers/create?name=w1", R"({"Image":"bb:local","Cmd":["sh","-c","sleep 0.3; exit 7"]})");
    REQUIRE(created.status == 201);

    int fd = daemon_test::connect_unix(d.socket());
    daemon_test::send_all(fd, "POST /v1.41/containers/w1/wait?condition=next-exit HTTP/1.1\r\nHost: x\r\n"
                              "Content-Length: 0\r\n\r\n");
    // The head arrives before the container even started.
    char head[512];
    ssize_t n = ::recv(fd, head, sizeof head, 0);
    REQUIRE(n > 0);
    CHECK(std::string(head, static_cast<size_t>(n)).rfind("HTTP/1.1 200 OK", 0) == 0);

    CHECK(d.request("POST", "/v1.41/containers/w1/start").status == 204);
    CHECK(d.request("POST", "/v1.41/containers/w1/start").status != 500);
    std::string rest = daemon_test::read_all(fd);
    ::close(fd);
    auto body = daemon_test::dechunk(rest.substr(rest.find("\r\n\r\n") == std::string::npos ? 0 : rest.find("\r\n\r\n") + 4));
    if (body.empty()) body = daemon_test::dechunk(std::string(head, static_cast<size_t>(n)).substr(
                                 std::string(head, static_cast<size_t>(n)).find("\r\n\r\n") + 4) + rest);
    auto doc = json::parse(body, nullptr, false);
    INFO(body);
    REQUIRE(doc.is_object());
    CHECK(doc["StatusCode"] == 7);
    CHECK(doc["Error"].is_null());

    auto not_running = d.request("POST", "/v1.41/containers/w1/wait");
    CHECK(json::parse(not_running.body)["StatusCode"] == 7);
    CHECK(d.request("POST", "/v1.41/containers/w1/stop").status == 304);
    CHECK(d.request("POST", "/v1.41/containers/w1/kill").status == 409);
    CHECK(d.request("DELETE", "/v1.41/containers/w1").status == 204);
}

TEST_CASE("berthd lists, renames, pauses, restarts, exports and prunes containers", "[.root][daemon]") {
    REQUIRE_ROOT();
    Daemon d;
    REQUIRE(d.request("POST", "/v1.41/containers/create?name=ca",
                      R"({"Image":"bb:local","Cmd":["sleep","60"],"Labels":{"com.docker.compose.project":"p"}})").status == 201);
    REQUIRE(d.request("POST", "/v1.41/containers/create?name=cb", R"({"Image":"bb:local","Cmd":["true"]})").status == 201);
    REQUIRE(d.request("POST", "/v1.41/containers/ca/start").status == 204);
    CHECK(d.request("POST", "/v1.41/containers/ca/start").status == 304);

    // docker-py's list form, URL-encoded with "+" for spaces.
    auto listed = d.request("GET", "/v1.41/containers/json?limit=-1&all=1&size=0&trunc_cmd=0&filters="
                                   "%7B%22label%22%3A+%5B%22com.docker.compose.project%3Dp%22%5D%7D");
    REQUIRE(listed.status == 200);
    auto items = json::parse(listed.body);
    REQUIRE(items.size() == 1);
    CHECK(items[0]["Names"][0] == "/ca");
    CHECK(items[0]["Image"] == "bb:local");
    CHECK(items[0]["State"] == "running");
    // Label filters must all match (docker-compose asks for oneoff=True apart).
    auto oneoff = d.request("GET", "/v1.41/containers/json?all=1&filters="
                                   "%7B%22label%22%3A+%5B%22com.docker.compose.project%3Dp%22%2C+"
                                   "%22com.docker.compose.oneoff%3DTrue%22%5D%7D");
    CHECK(json::parse(oneoff.body).empty());
    auto exited = json::parse(d.request("GET", "/containers/json?all=1&filters=%7B%22status%22%3A%7B%22created%22%3Atrue%7D%7D").body);
    REQUIRE(exited.size() == 1);
    CHECK(exited[0]["Names"][0] == "/cb");
    CHECK(json::parse(d.request("GET", "/containers/json").body).size() == 1);

    CHECK(d.request("POST", "/v1.41/containers/ca/rename?name=ca2").status == 204);
    CHECK(d.request("GET", "/v1.41/containers/ca2/json").status == 200);
    CHECK(d.request("POST", "/v1.41/containers/ca2/pause").status == 204);
    CHECK(json::parse(d.request("GET", "/v1.41/containers/ca2/json").body)["State"]["Status"] == "paused");
    CHECK(d.request("POST", "/v1.41/containers/ca2/pause").status == 409);
    CHECK(d.request("POST", "/v1.41/containers/ca2/unpause").status == 204);
    auto top = d.request("GET", "/v1.41/containers/ca2/top");
    CHECK(top.status == 200);
    CHECK(json::parse(top.body)["Titles"].size() == 8);
    CHECK(d.request("POST", "/v1.41/containers/ca2/restart?t=1").status == 204);
    CHECK(d.request("POST", "/v1.41/containers/ca2/kill?signal=HUP").status == 204);
    CHECK(d.request("POST", "/v1.41/containers/ca2/kill?signal=NOPE").status == 400);

    auto changes = d.request("GET", "/v1.41/containers/cb/changes");
    CHECK(changes.status == 200);
    auto export_start = std::chrono::steady_clock::now();
    auto exported = d.request("GET", "/v1.41/containers/cb/export");
    CHECK(exported.status == 200);
    CHECK(std::chrono::steady_clock::now() - export_start < std::chrono::seconds(10));  // the stream ends
    CHECK(exported.body.size() > 100000);  // busybox is in there
    CHECK(exported.body.find("bin/busybox") != std::string::npos);

    auto pruned = d.request("POST", "/v1.41/containers/prune");
    REQUIRE(pruned.status == 200);
    CHECK(json::parse(pruned.body)["ContainersDeleted"].size() == 1);
    CHECK(d.request("GET", "/v1.41/containers/cb/json").status == 404);
    CHECK(d.request("DELETE", "/v1.41/containers/ca2").status == 409);
    CHECK(d.request("DELETE", "/v1.41/containers/ca2?force=1").status == 204);
}

TEST_CASE("berthd serves images", "[.root][daemon]") {
    REQUIRE_ROOT();
    Daemon d;
    auto list = d.request("GET", "/v1.41/images/json");
    REQUIRE(list.status == 200);
    auto images = json::parse(list.body);
    REQUIRE(images.size() == 1);
    CHECK(images[0]["RepoTags"][0] == "bb:local");
    auto inspect = d.request("GET", "/v1.41/images/bb:local/json");
    REQUIRE(inspect.status == 200);
    CHECK(json::parse(inspect.body)["Id"] == images[0]["Id"]);
    CHECK(d.request("GET", "/v1.41/images/bb:local/history").status == 200);
    CHECK(d.request("POST", "/v1.41/images/bb:local/tag?repo=docker.io/library/bb&tag=tagged").status == 201);
    CHECK(d.docker("images --format '{{.Repository}}:{{.Tag}}'").out.find("bb:tagged") != std::string::npos);
    auto removed = d.request("DELETE", "/v1.41/images/bb:tagged");
    CHECK(removed.status == 200);
    CHECK(json::parse(removed.body)[0]["Untagged"] == "bb:tagged");
    CHECK(d.request("GET", "/v1.41/images/nope:1/json").status == 404);
}

TEST_CASE("one berthd per state root; SIGTERM leaves containers running", "[.root][daemon]") {
    REQUIRE_ROOT();
    Daemon d;
    CHECK(d.run_second() == 1);
    CHECK(d.log().find("another berthd") != std::string::npos);
    CHECK(d.request("GET", "/_ping").status == 200);  // the second did not take the socket

    REQUIRE(d.request("POST", "/v1.41/containers/create?name=keep", R"({"Image":"bb:local","Cmd":["sleep","60"]})").status == 201);
    REQUIRE(d.request("POST", "/v1.41/containers/keep/start").status == 204);
    struct stat st {};
    REQUIRE(::stat(d.socket().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0660);
    CHECK(d.stop() == 0);
    auto ps = d.cli().run({"ps", "--format", "{{.Names}}"});
    CHECK(ps.out == "keep\n");
    d.start();  // a new daemon sees the container
    CHECK(json::parse(d.request("GET", "/v1.41/containers/keep/json").body)["State"]["Running"] == true);
    d.kill_hard();
    CHECK(::access(d.socket().c_str(), F_OK) == 0);  // stale
    d.start();  // takes over the stale socket under the lock
    CHECK(d.request("GET", "/_ping").status == 200);
}

TEST_CASE("berthd streams live events and serves many connections at once", "[.root][daemon]") {
    REQUIRE_ROOT();
    Daemon d;
    int events = daemon_test::connect_unix(d.socket());
    REQUIRE(events >= 0);
    daemon_test::send_all(events, "GET /v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D HTTP/1.1\r\n"
                                  "Host: x\r\n\r\n");
    char buf[4096];
    ssize_t n = ::recv(events, buf, sizeof buf, 0);  // the head comes at once
    REQUIRE(n > 0);
    CHECK(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 200 OK", 0) == 0);

    std::vector<std::thread> clients;
    std::atomic<int> ok{0};
    for (int i = 0; i < 40; ++i)
        clients.emplace_back([&] {  // no Catch2 assertions off the main thread
            int fd = daemon_test::connect_unix(d.socket());
            if (fd < 0) return;
            daemon_test::send_all(fd, "GET /v1.41/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            if (daemon_test::parse_response(daemon_test::read_all(fd)).status == 200) ++ok;
            ::close(fd);
        });
    for (auto& t : clients) t.join();
    CHECK(ok == 40);

    REQUIRE(d.request("POST", "/v1.41/containers/create?name=live", R"({"Image":"bb:local","Cmd":["true"]})").status == 201);
    std::string streamed;
    while (streamed.find("\"Action\":\"create\"") == std::string::npos) {
        n = ::recv(events, buf, sizeof buf, 0);
        if (n <= 0) break;
        streamed.append(buf, static_cast<size_t>(n));
    }
    CHECK(streamed.find("\"name\":\"live\"") != std::string::npos);

    // SIGTERM ends open streams too, and the daemon exits 0.
    auto before = std::chrono::steady_clock::now();
    CHECK(d.stop() == 0);
    CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(5));
    ::close(events);
}
