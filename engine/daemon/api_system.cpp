// /_ping, /version, /info, /events.
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

#include "engine/daemon/api.hpp"
#include "engine/sys/clock.hpp"

namespace engine::daemon {

using nlohmann::json;

http::status status_for(const Error& error) {
    const std::string& m = error.message;
    switch (error.sys_errno) {
    case ENOENT: return http::status::not_found;
    case EEXIST:
    case EBUSY: return http::status::conflict;
    case EINVAL:
        if (m.find("is not running") != std::string::npos || m.find("already paused") != std::string::npos ||
            m.find("is not paused") != std::string::npos)
            return http::status::conflict;
        return http::status::bad_request;
    default: return http::status::internal_server_error;
    }
}

awaitable<void> fail(Exchange& exchange, const Error& error) {
    co_await exchange.error(status_for(error), error.message);
}

namespace {

std::string kernel_version() {
    utsname u{};
    return ::uname(&u) == 0 ? u.release : "";
}

std::string machine() {
    utsname u{};
    return ::uname(&u) == 0 ? u.machine : "";
}

std::string go_arch() {
    std::string m = machine();
    if (m == "x86_64") return "amd64";
    if (m == "aarch64") return "arm64";
    return m;
}

std::string os_release_field(const std::string& key) {
    std::ifstream in("/etc/os-release");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(key + "=", 0) != 0) continue;
        std::string v = line.substr(key.size() + 1);
        if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
        return v;
    }
    return "";
}

std::string hostname() {
    char name[256] = {};
    return ::gethostname(name, sizeof name - 1) == 0 ? name : "";
}

std::int64_t mem_total() {
    return static_cast<std::int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);
}

std::string cgroup_version() {
    std::ifstream in("/sys/fs/cgroup/cgroup.controllers");
    return in ? "2" : "1";
}

json version_doc() {
    json details = {{"ApiVersion", "1.41"}, {"MinAPIVersion", "1.24"}, {"Os", "linux"}, {"Arch", go_arch()},
                    {"KernelVersion", kernel_version()}, {"Experimental", "false"}, {"GitCommit", ""},
                    {"GoVersion", "n/a"}, {"BuildTime", ""}};
    return {{"Platform", {{"Name", "berth"}}},
            {"Components", json::array({{{"Name", "Engine"}, {"Version", BERTH_VERSION}, {"Details", details}}})},
            {"Version", BERTH_VERSION},
            {"ApiVersion", "1.41"},
            {"MinAPIVersion", "1.24"},
            {"GitCommit", ""},
            {"GoVersion", "n/a"},
            {"Os", "linux"},
            {"Arch", go_arch()},
            {"KernelVersion", kernel_version()},
            {"Experimental", false},
            {"BuildTime", ""}};
}

json info_doc(const ApiContext& c) {
    int running = 0, paused = 0, stopped = 0;
    auto records = c.engine.list();
    for (const auto& r : records) {
        auto s = c.engine.state(r);
        if (s.paused) ++paused;
        else if (s.running) ++running;
        else ++stopped;
    }
    auto images = c.engine.images().list();
    return {{"ID", c.daemon_id},
            {"Containers", records.size()},
            {"ContainersRunning", running},
            {"ContainersPaused", paused},
            {"ContainersStopped", stopped},
            {"Images", images ? images.value().size() : 0},
            {"Driver", "overlay2"},
            {"DriverStatus", json::array({json::array({"Backing Filesystem", "overlayfs"})})},
            {"Plugins", {{"Volume", {"local"}}, {"Network", {"bridge", "host", "null"}}, {"Log", {"json-file"}}}},
            {"MemoryLimit", true},
            {"SwapLimit", false},
            {"LoggingDriver", "json-file"},
            {"CgroupDriver", "cgroupfs"},
            {"CgroupVersion", cgroup_version()},
            {"KernelVersion", kernel_version()},
            {"OperatingSystem", os_release_field("PRETTY_NAME")},
            {"OSVersion", os_release_field("VERSION_ID")},
            {"OSType", "linux"},
            {"Architecture", machine()},
            {"NCPU", ::sysconf(_SC_NPROCESSORS_ONLN)},
            {"MemTotal", mem_total()},
            {"DockerRootDir", c.root},
            {"Name", hostname()},
            {"ServerVersion", BERTH_VERSION},
            {"Labels", json::array()},
            {"ExperimentalBuild", false},
            {"Runtimes", {{"berth", {{"path", "berth-shim"}}}}},
            {"DefaultRuntime", "berth"},
            {"Swarm", {{"LocalNodeState", "inactive"}, {"NodeID", ""}, {"NodeAddr", ""}}},
            {"SecurityOptions", {"name=seccomp,profile=default"}},
            {"Warnings", nullptr}};
}

// GET /events: the recorded events since `since`, then live ones until `until` (or the client
// leaves), one JSON object per line.
awaitable<void> events(Exchange& ex, ApiContext& c) {
    auto filters = parse_filters(ex.query().get("filters"));
    if (!filters) co_return co_await fail(ex, filters.error());
    if (auto checked = check_filter_keys(filters.value(), event_filter_keys()); !checked)
        co_return co_await fail(ex, checked.error());
    std::int64_t since = 0, until = 0;
    if (ex.query().has("since")) {
        auto t = parse_event_time(ex.query().get("since"));
        if (!t) co_return co_await fail(ex, t.error());
        since = t.value();
    }
    if (ex.query().has("until")) {
        auto t = parse_event_time(ex.query().get("until"));
        if (!t) co_return co_await fail(ex, t.error());
        until = t.value();
    }
    // As dockerd: `until` alone replays everything recorded before it.
    if (until > 0 && since == 0) since = 1;
    auto mailbox = std::make_shared<Mailbox<Event>>(ex.executor());
    auto subscription = c.events.subscribe([mailbox](const Event& e) { mailbox->put(e); }, since);
    if (!co_await ex.begin_stream(http::status::ok, "application/json")) co_return;
    ex.close_on_disconnect(mailbox);
    for (;;) {
        while (!mailbox->items().empty()) {
            Event e = std::move(mailbox->items().front());
            mailbox->items().pop_front();
            if (until > 0 && e.time_nano > until) continue;
            if (!event_matches(filters.value(), e)) continue;
            if (!co_await ex.chunk(event_json(e).dump() + "\n")) co_return;
        }
        std::int64_t now = sys::now_ns();
        if (mailbox->closed() || ex.stopping() || (until > 0 && now >= until)) break;
        auto wait = std::chrono::nanoseconds(until > 0 ? std::min<std::int64_t>(until - now, 1000000000) : 1000000000);
        co_await mailbox->wait(Clock::now() + wait);
    }
    co_await ex.end_stream();
}

}  // namespace

void add_system_routes(Router<Handler>& router, ApiContext& c) {
    auto ping = [](Exchange& ex) -> awaitable<void> {
        ex.header("Cache-Control", "no-cache, no-store, must-revalidate");
        ex.header("Pragma", "no-cache");
        co_await ex.text(http::status::ok, "text/plain; charset=utf-8",
                         ex.request().message.method() == http::verb::head ? "" : "OK");
    };
    router.add("GET", "/_ping", ping);
    router.add("HEAD", "/_ping", ping);
    router.add("GET", "/version", [](Exchange& ex) -> awaitable<void> {
        co_await ex.json(http::status::ok, version_doc());
    });
    router.add("GET", "/info", [&c](Exchange& ex) -> awaitable<void> {
        auto collect_info = [&c] { return info_doc(c); };
        auto doc = co_await ex.blocking(collect_info);
        co_await ex.json(http::status::ok, doc);
    });
    router.add("GET", "/events", [&c](Exchange& ex) -> awaitable<void> { co_await events(ex, c); });
}

}  // namespace engine::daemon
