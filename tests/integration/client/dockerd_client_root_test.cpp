// The API client against a real, private dockerd: proof that the same calls drive Docker.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "engine/client/client.hpp"
#include "tests/support/busybox_rootfs.hpp"
#include "tests/support/private_dockerd.hpp"

using namespace engine::client;
using nlohmann::json;
using test_support::PrivateDockerd;

namespace {

constexpr const char* kImage = "berth-client-test:v1";

/// Force-removes the containers a test made, before the daemon goes (even on failure).
struct ContainerReaper {
    Client& client;
    std::vector<std::string> names;
    ~ContainerReaper() {
        for (const auto& n : names) (void)client.container_remove(n, true, true);
    }
};

/// Events seen by a background `events` stream, until stopped.
class EventLog {
public:
    explicit EventLog(Client& client) {
        thread_ = std::thread([this, &client] {
            status_ = client.events({{{"type", {"container"}}}, "", ""}, [this](const json& e) {
                std::lock_guard lock(mutex_);
                seen_.insert(e.value("Action", "") + " " + e.value("id", ""));
                return true;
            }, &stopper_);
        });
    }
    ~EventLog() { stop(); }
    void stop() {
        stopper_.stop();
        if (thread_.joinable()) thread_.join();
    }
    /// Waits (bounded) for `action` on container `id`.
    bool saw(const std::string& action, const std::string& id) {
        for (int i = 0; i < 100; ++i) {
            {
                std::lock_guard lock(mutex_);
                if (seen_.count(action + " " + id)) return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }
    bool ok() const { return status_.ok(); }

private:
    StreamStopper stopper_;
    std::mutex mutex_;
    std::set<std::string> seen_;
    ApiStatus status_ = api_ok();
    std::thread thread_;
};

json container_body(const json& cmd) {
    return {{"Image", kImage}, {"Cmd", cmd}, {"HostConfig", {{"NetworkMode", "none"}}}};
}

struct Output {
    std::string out, err;
    FrameDemuxer::Sink sink() {
        return [this](StreamId id, std::string_view b) { (id == StreamId::stderr_ ? err : out).append(b); };
    }
};

void import_busybox(Client& client, const std::filesystem::path& dir) {
    test_support::make_busybox_rootfs(dir / "rootfs");
    test_support::make_tar(dir / "rootfs", dir / "rootfs.tar");
    int fd = ::open((dir / "rootfs.tar").c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    auto imported = client.image_import(fd, "berth-client-test", "v1");
    ::close(fd);
    INFO((imported ? imported.value().dump() : imported.error().message));
    REQUIRE(imported.ok());
}

}  // namespace

TEST_CASE("client: drives a private dockerd through a container's whole life", "[.root][client]") {
    REQUIRE_ROOT();
    PrivateDockerd dockerd;
    std::string failure = dockerd.wait_ready();
    INFO(failure);
    REQUIRE(failure.empty());
    RootTempDir work("berth-client");
    Client client(ClientOptions{dockerd.host(), {}, "1.41"});
    ContainerReaper reaper{client, {"cl-out", "cl-cat", "cl-tty", "cl-exec", "cl-follow"}};

    auto version = client.api_version();
    REQUIRE(version.ok());
    CHECK(version.value() == "1.41");  // dockerd 20.10 speaks 1.41
    CHECK(client.version().value().value("ApiVersion", "") == "1.41");
    CHECK(client.info().ok());

    EventLog events(client);
    import_busybox(client, work.root);
    auto image = client.image_inspect(kImage);
    REQUIRE(image.ok());

    // Run to completion: exit code from wait, both streams from the logs.
    auto id = client.container_create("cl-out", container_body({"sh", "-c", "echo out; echo err >&2; exit 3"}));
    INFO((id ? "" : id.error().message));
    REQUIRE(id.ok());
    auto pending = client.container_wait_begin(id.value(), "next-exit");  // as `docker run`: wait, then start
    REQUIRE(pending.ok());
    REQUIRE(client.container_start("cl-out").ok());
    auto waited = pending.value().result();
    REQUIRE(waited.ok());
    CHECK(waited.value()["StatusCode"] == 3);
    Output logs;
    REQUIRE(client.container_logs("cl-out", LogsOptions{}, logs.sink()).ok());
    CHECK(logs.out == "out\n");
    CHECK(logs.err == "err\n");
    CHECK(client.container_inspect("cl-out").value()["State"]["ExitCode"] == 3);
    CHECK(events.saw("create", id.value()));
    CHECK(events.saw("start", id.value()));
    CHECK(events.saw("die", id.value()));

    auto listed = client.containers_list(true, {{"name", {"cl-out"}}});
    REQUIRE(listed.ok());
    REQUIRE(listed.value().size() == 1);
    CHECK(listed.value()[0]["Id"] == id.value());

    // Export streams the filesystem as a tar.
    auto exported = work.root / "export.tar";
    int fd = ::open(exported.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    auto export_status = client.container_export("cl-out", fd);
    ::close(fd);
    REQUIRE(export_status.ok());
    CHECK(test_support::run_capture("tar -tf '" + exported.string() + "'").find("bin/busybox") != std::string::npos);

    // Attach to `cat`: stdin goes in, the same bytes come back, half-close ends it.
    json cat = container_body({"cat"});
    cat["OpenStdin"] = cat["StdinOnce"] = cat["AttachStdin"] = true;
    auto cat_id = client.container_create("cl-cat", cat);
    REQUIRE(cat_id.ok());
    auto attached = client.container_attach("cl-cat", AttachOptions{true, true, true, false, true});
    REQUIRE(attached.ok());
    REQUIRE(client.container_start("cl-cat").ok());
    REQUIRE(attached.value().write_all("hello through attach\n").ok());
    REQUIRE(attached.value().close_write().ok());
    Output echoed;
    REQUIRE(attached.value().pump_output(false, echoed.sink()).ok());
    CHECK(echoed.out == "hello through attach\n");
    CHECK(client.container_wait("cl-cat").value()["StatusCode"] == 0);

    // With a TTY the stream is raw: no frames, the pty's \r\n.
    json tty = container_body({"sh", "-c", "read line; echo got $line"});
    tty["Tty"] = tty["OpenStdin"] = tty["StdinOnce"] = tty["AttachStdin"] = true;
    REQUIRE(client.container_create("cl-tty", tty).ok());
    auto tty_stream = client.container_attach("cl-tty", AttachOptions{true, true, true, false, true});
    REQUIRE(tty_stream.ok());
    REQUIRE(client.container_start("cl-tty").ok());
    REQUIRE(client.container_resize("cl-tty", 40, 100).ok());
    REQUIRE(tty_stream.value().write_all("abc\n").ok());
    Output raw;
    REQUIRE(tty_stream.value().pump_output(true, raw.sink()).ok());
    CHECK(raw.out.find("got abc\r\n") != std::string::npos);
    CHECK(raw.err.empty());

    // Exec in a running container, hijacked the same way.
    auto exec_id = client.container_create("cl-exec", container_body({"sleep", "300"}));
    REQUIRE(exec_id.ok());
    REQUIRE(client.container_start("cl-exec").ok());
    auto exec = client.exec_create("cl-exec", {{"Cmd", {"sh", "-c", "cat; echo done >&2; exit 4"}},
                                               {"AttachStdin", true}, {"AttachStdout", true}, {"AttachStderr", true}});
    REQUIRE(exec.ok());
    auto exec_stream = client.exec_start(exec.value(), false);
    REQUIRE(exec_stream.ok());
    REQUIRE(exec_stream.value().write_all("via exec\n").ok());
    REQUIRE(exec_stream.value().close_write().ok());
    Output exec_out;
    REQUIRE(exec_stream.value().pump_output(false, exec_out.sink()).ok());
    CHECK(exec_out.out == "via exec\n");
    CHECK(exec_out.err == "done\n");
    auto exec_info = client.exec_inspect(exec.value());
    REQUIRE(exec_info.ok());
    CHECK(exec_info.value()["ExitCode"] == 4);
    auto top = client.container_top("cl-exec");
    REQUIRE(top.ok());
    CHECK(top.value()["Processes"].size() >= 1);

    // Following the logs of a running container, stopped by the caller once it has its line.
    REQUIRE(client.container_create("cl-follow", container_body({"sh", "-c", "echo first; sleep 300"})).ok());
    REQUIRE(client.container_start("cl-follow").ok());
    StreamStopper stopper;
    std::string followed;
    LogsOptions follow;
    follow.follow = true;
    auto following = client.container_logs("cl-follow", follow, [&](StreamId, std::string_view b) {
        followed.append(b);
        if (followed.find('\n') != std::string::npos) stopper.stop();
    }, &stopper);
    CHECK(following.ok());
    CHECK(followed == "first\n");

    // Errors keep Docker's status: removing a running container conflicts, a missing one is 404.
    auto busy = client.container_remove("cl-exec");
    REQUIRE_FALSE(busy.ok());
    CHECK(busy.error().conflict());
    REQUIRE(client.container_stop("cl-exec", 1).ok());
    CHECK(client.container_stop("cl-exec", 1).ok());  // 304, already stopped: success as for Docker
    REQUIRE(client.container_kill("cl-follow", "KILL").ok());
    CHECK(client.container_wait("cl-follow").value()["StatusCode"] == 137);
    for (const char* name : {"cl-out", "cl-cat", "cl-tty", "cl-exec", "cl-follow"}) CHECK(client.container_remove(name, false, true).ok());
    auto gone = client.container_inspect("cl-out");
    REQUIRE_FALSE(gone.ok());
    CHECK(gone.error().not_found());

    events.stop();
    CHECK(events.ok());
}

TEST_CASE("client: images, volumes and networks on a private dockerd", "[.root][client]") {
    REQUIRE_ROOT();
    PrivateDockerd dockerd;
    std::string failure = dockerd.wait_ready();
    INFO(failure);
    REQUIRE(failure.empty());
    RootTempDir work("berth-client");
    Client client(ClientOptions{dockerd.host(), {}, "1.41"});
    import_busybox(client, work.root);

    REQUIRE(client.image_tag(kImage, "berth-client-copy", "v2").ok());
    auto images = client.images_list(false, {{"reference", {"berth-client-copy"}}});
    REQUIRE(images.ok());
    REQUIRE(images.value().size() == 1);
    CHECK(client.image_history("berth-client-copy:v2").ok());

    // Save streams to a file; load of that file reports the image.
    auto saved = work.root / "saved.tar";
    int fd = ::open(saved.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(client.image_save({"berth-client-copy:v2"}, fd).ok());
    ::close(fd);
    CHECK(test_support::run_capture("tar -tf '" + saved.string() + "'").find("manifest.json") != std::string::npos);
    auto removed = client.image_remove("berth-client-copy:v2");
    REQUIRE(removed.ok());
    CHECK(removed.value()[0]["Untagged"] == "berth-client-copy:v2");
    fd = ::open(saved.c_str(), O_RDONLY | O_CLOEXEC);
    auto loaded = client.image_load(fd, true);
    ::close(fd);
    REQUIRE(loaded.ok());
    CHECK(loaded.value().dump().find("berth-client-copy:v2") != std::string::npos);
    CHECK(client.image_inspect("nosuch:image").error().not_found());

    auto volume = client.volume_create({{"Name", "cl-vol"}, {"Labels", {{"a", "b"}}}});
    REQUIRE(volume.ok());
    CHECK(client.volume_inspect("cl-vol").value()["Labels"]["a"] == "b");
    CHECK(client.volumes_list({{"name", {"cl-vol"}}}).value()["Volumes"].size() == 1);
    REQUIRE(client.volume_remove("cl-vol").ok());
    CHECK(client.volume_inspect("cl-vol").error().not_found());

    // With --bridge=none only the built-in none and host networks exist; no host interfaces made.
    auto networks = client.networks_list({{"name", {"none"}}});
    REQUIRE(networks.ok());
    REQUIRE(networks.value().size() == 1);
    CHECK(client.network_inspect("none").value()["Driver"] == "null");
    CHECK(client.network_inspect("nosuch").error().not_found());
}
