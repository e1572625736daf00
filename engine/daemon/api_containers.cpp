// The container endpoints: list, create, inspect, lifecycle, wait, top, changes, export, prune.
#include <fcntl.h>
#include <unistd.h>

#include "engine/container/archive.hpp"
#include "engine/container/copy.hpp"
#include "engine/container/filesystem_changes.hpp"
#include "engine/container/listing.hpp"
#include "engine/container/processes.hpp"
#include "engine/daemon/api.hpp"
#include "engine/daemon/log.hpp"
#include "engine/sys/clock.hpp"
#include "engine/sys/files.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::daemon {
namespace {

using nlohmann::json;
using container::ContainerRecord;
using container::LiveState;

std::string command_text(const ContainerRecord& r) {
    std::string cmd = r.path;
    for (const auto& a : r.args) cmd += " " + a;
    return cmd;
}

json ports_of(const ContainerRecord& r) {
    json ports = json::array();
    std::set<std::string> bound;
    const json bindings = r.host_config.value("PortBindings", json::object());
    if (bindings.is_object())
        for (const auto& [port, list] : bindings.items()) {
            auto slash = port.find('/');
            int private_port = std::atoi(port.substr(0, slash).c_str());
            std::string type = slash == std::string::npos ? "tcp" : port.substr(slash + 1);
            if (!list.is_array()) continue;
            for (const auto& b : list) {
                std::string host_ip = b.value("HostIp", "");
                std::string host_port = b.value("HostPort", "");
                json entry = {{"IP", host_ip.empty() ? "0.0.0.0" : host_ip}, {"PrivatePort", private_port}, {"Type", type}};
                if (!host_port.empty()) entry["PublicPort"] = std::atoi(host_port.c_str());
                ports.push_back(entry);
                bound.insert(port);
            }
        }
    const json exposed = r.config.value("ExposedPorts", json::object());
    if (exposed.is_object())
        for (const auto& [port, unused] : exposed.items()) {
            if (bound.count(port)) continue;
            auto slash = port.find('/');
            ports.push_back({{"PrivatePort", std::atoi(port.substr(0, slash).c_str())},
                             {"Type", slash == std::string::npos ? "tcp" : port.substr(slash + 1)}});
        }
    return ports;
}

// One item of GET /containers/json.
json list_item(const ContainerRecord& r, const LiveState& s) {
    json labels = r.config.value("Labels", json::object());
    if (!labels.is_object()) labels = json::object();
    auto created = sys::parse_rfc3339(r.created);
    return {{"Id", r.id},
            {"Names", json::array({"/" + r.name})},
            {"Image", r.config.value("Image", r.image_id)},
            {"ImageID", r.image_id},
            {"Command", command_text(r)},
            {"Created", created ? *created / 1000000000 : 0},
            {"Ports", ports_of(r)},
            {"Labels", labels},
            {"State", s.status},
            {"Status", container::status_text(s)},
            {"HostConfig", {{"NetworkMode", r.host_config.value("NetworkMode", "default")}}},
            {"NetworkSettings", {{"Networks", json::object()}}},
            {"Mounts", json::array()}};
}

Result<json> list_containers(const ApiContext& c, const Query& q) {
    auto all = q.flag("all");
    if (!all) return all.error();
    auto limit = q.integer("limit");
    if (!limit) return limit.error();
    auto filters = parse_filters(q.get("filters"));
    if (!filters) return filters.error();
    auto parsed = container::parse_list_filters(filter_strings(filters.value()));
    if (!parsed) return parsed.error();
    long long max = limit.value().value_or(-1);
    json items = json::array();
    for (const auto& r : c.engine.list()) {
        if (max > 0 && static_cast<long long>(items.size()) >= max) break;
        auto s = c.engine.state(r);
        // A limit implies all, as in docker ps -n.
        if (!all.value() && max <= 0 && !s.running) continue;
        if (!container::matches_filters(parsed.value(), r, s)) continue;
        items.push_back(list_item(r, s));
    }
    return items;
}

Result<container::CreateRequest> create_request(const std::string& name, const std::string& body) {
    json doc = json::parse(body.empty() ? "{}" : body, nullptr, false);
    if (doc.is_discarded()) return Error{EINVAL, "invalid JSON in the request body"};
    if (!doc.is_object()) return Error{EINVAL, "the request body must be a JSON object"};
    container::CreateRequest request;
    request.name = name;
    if (doc.contains("HostConfig") && !doc["HostConfig"].is_null()) {
        if (!doc["HostConfig"].is_object()) return Error{EINVAL, "HostConfig must be a JSON object"};
        request.host_config = doc["HostConfig"];
    }
    doc.erase("HostConfig");
    doc.erase("NetworkingConfig");
    if (!doc.contains("Image") || !doc["Image"].is_string() || doc["Image"].get<std::string>().empty())
        return Error{EINVAL, "Config.Image must be a non-empty string"};
    for (const char* key : {"Cmd", "Entrypoint", "Env"})
        if (doc.contains(key) && !doc[key].is_null() && !doc[key].is_array() && !doc[key].is_string())
            return Error{EINVAL, fmt::format("Config.{} must be a list of strings", key)};
    if (doc.contains("Labels") && !doc["Labels"].is_null() && !doc["Labels"].is_object())
        return Error{EINVAL, "Config.Labels must be a JSON object"};
    request.config = std::move(doc);
    return request;
}

Event container_event(const std::string& action, const ContainerRecord& r,
                      std::map<std::string, std::string> extra = {}) {
    auto attributes = container_attributes(r);
    for (auto& [k, v] : extra) attributes[k] = std::move(v);
    return Event{"container", action, r.id, std::move(attributes)};
}

bool is_running(const ApiContext& c, const std::string& id) {
    auto found = c.engine.find(id);
    return found && c.engine.state(found.value()).running;
}

// The record, or the response already sent (404 etc.).
awaitable<std::optional<ContainerRecord>> find_or_fail(Exchange& ex, ApiContext& c) {
    auto find_record = [&c, ref = ex.param("id")] { return c.engine.find(ref); };
    auto found = co_await ex.blocking(find_record);
    if (!found) {
        co_await fail(ex, found.error());
        co_return std::nullopt;
    }
    co_return found.value();
}

std::optional<int> optional_seconds(const Query& q) {
    auto t = q.integer("t");
    if (!t || !t.value()) return std::nullopt;
    return static_cast<int>(*t.value());
}

awaitable<void> start(Exchange& ex, ApiContext& c) {
    auto record = co_await find_or_fail(ex, c);
    if (!record) co_return;
    auto start_once = [&c, &record]() -> Result<bool> {
        if (is_running(c, record->id)) return false;
        auto started = c.engine.start(record->id);
        if (!started) return Error{started.error().sys_errno == ENOENT ? ENOENT : EIO, started.error().message};
        c.events.publish(container_event("start", *record));
        c.monitor.scan();  // after `start`, so that an exit right away is a later `die`
        return true;
    };
    auto outcome = co_await ex.blocking(start_once);
    if (!outcome) co_return co_await fail(ex, outcome.error());
    if (!outcome.value()) co_return co_await ex.empty(http::status::not_modified);
    co_await ex.empty(http::status::no_content);
}

awaitable<void> stop(Exchange& ex, ApiContext& c) {
    auto record = co_await find_or_fail(ex, c);
    if (!record) co_return;
    auto t = ex.query().integer("t");
    if (!t) co_return co_await fail(ex, t.error());
    auto timeout = optional_seconds(ex.query());
    auto stop_if_running = [&c, id = record->id, timeout]() -> Result<bool> {
        if (!is_running(c, id)) return false;
        if (auto s = c.engine.stop(id, timeout); !s) return s.error();
        c.monitor.scan();
        return true;
    };
    auto outcome = co_await ex.blocking(stop_if_running);
    if (!outcome) co_return co_await fail(ex, outcome.error());
    if (!outcome.value()) co_return co_await ex.empty(http::status::not_modified);
    c.events.publish(container_event("stop", *record));
    co_await ex.empty(http::status::no_content);
}

awaitable<void> restart(Exchange& ex, ApiContext& c) {
    auto record = co_await find_or_fail(ex, c);
    if (!record) co_return;
    auto timeout = optional_seconds(ex.query());
    auto stop_and_scan = [&c, id = record->id, timeout]() -> Status {
        auto s = c.engine.stop(id, timeout);
        c.monitor.scan();
        return s;
    };
    auto stopped = co_await ex.blocking(stop_and_scan);
    if (!stopped) co_return co_await fail(ex, stopped.error());
    c.events.publish(container_event("stop", *record));
    auto start_again = [&c, id = record->id] { return c.engine.start(id); };
    auto started = co_await ex.blocking(start_again);
    if (!started) co_return co_await fail(ex, Error{EIO, started.error().message});
    c.events.publish(container_event("start", *record));
    c.events.publish(container_event("restart", *record));
    co_await ex.empty(http::status::no_content);
}

awaitable<void> kill(Exchange& ex, ApiContext& c) {
    auto record = co_await find_or_fail(ex, c);
    if (!record) co_return;
    std::string signal = ex.query().get("signal", "KILL");
    if (container::parse_signal(signal) == 0)
        co_return co_await ex.error(http::status::bad_request, fmt::format("Invalid signal: {}", signal));
    auto send_signal = [&c, &record, signal] {
        // Published first, so that it precedes the `die` the monitor may see at once.
        if (is_running(c, record->id)) {
            std::map<std::string, std::string> extra = {{"signal", std::to_string(container::parse_signal(signal))}};
            c.events.publish(container_event("kill", *record, std::move(extra)));
        }
        return c.engine.kill(record->id, signal);
    };
    auto killed = co_await ex.blocking(send_signal);
    if (!killed) co_return co_await fail(ex, killed.error());
    co_await ex.empty(http::status::no_content);
}

awaitable<void> set_paused(Exchange& ex, ApiContext& c, bool paused) {
    auto record = co_await find_or_fail(ex, c);
    if (!record) co_return;
    auto freeze = [&c, id = record->id, paused] {
        return paused ? c.engine.pause(id) : c.engine.unpause(id);
    };
    auto done = co_await ex.blocking(freeze);
    if (!done) co_return co_await fail(ex, done.error());
    c.events.publish(container_event(paused ? "pause" : "unpause", *record));
    co_await ex.empty(http::status::no_content);
}

awaitable<void> remove(Exchange& ex, ApiContext& c) {
    auto force = ex.query().flag("force");
    if (!force) co_return co_await fail(ex, force.error());
    auto volumes = ex.query().flag("v");
    if (!volumes) co_return co_await fail(ex, volumes.error());
    auto record = co_await find_or_fail(ex, c);
    if (!record) co_return;
    auto remove_and_scan = [&c, id = record->id, force = force.value(), volumes = volumes.value()] {
        auto s = c.engine.remove(id, force, volumes);
        c.monitor.scan();  // die (when it ran) and destroy, before the response
        return s;
    };
    auto removed = co_await ex.blocking(remove_and_scan);
    if (!removed) co_return co_await fail(ex, removed.error());
    co_await ex.empty(http::status::no_content);
}

awaitable<void> rename(Exchange& ex, ApiContext& c) {
    std::string name = ex.query().get("name");
    if (name.empty()) co_return co_await ex.error(http::status::bad_request, "rename: the new name is empty");
    auto record = co_await find_or_fail(ex, c);
    if (!record) co_return;
    auto rename_record = [&c, id = record->id, name] { return c.engine.rename(id, name); };
    auto renamed = co_await ex.blocking(rename_record);
    if (!renamed) co_return co_await fail(ex, renamed.error());
    ContainerRecord updated = *record;
    updated.name = name[0] == '/' ? name.substr(1) : name;
    std::map<std::string, std::string> extra = {{"oldName", "/" + record->name}};
    c.events.publish(container_event("rename", updated, std::move(extra)));
    co_await ex.empty(http::status::no_content);
}

// POST wait: the head goes out at once (the docker CLI waits for it before it starts the
// container); the body when the condition is met.
awaitable<void> wait(Exchange& ex, ApiContext& c) {
    std::string condition = ex.query().get("condition", "not-running");
    if (condition.empty()) condition = "not-running";
    if (condition != "not-running" && condition != "next-exit" && condition != "removed")
        co_return co_await ex.error(http::status::bad_request, fmt::format("invalid condition: \"{}\"", condition));
    auto record = co_await find_or_fail(ex, c);
    if (!record) co_return;
    auto mailbox = std::make_shared<Mailbox<Event>>(ex.executor());
    auto subscription = c.events.subscribe([mailbox, id = record->id](const Event& e) {
        if (e.id == id && (e.action == "die" || e.action == "destroy")) mailbox->put(e);
    });
    if (!co_await ex.begin_stream(http::status::ok, "application/json")) co_return;
    ex.close_on_disconnect(mailbox);
    std::optional<int> code;
    if (condition == "not-running") {
        auto current_state = [&c, id = record->id]() -> std::optional<LiveState> {
            auto found = c.engine.find(id);
            if (!found) return std::nullopt;
            return c.engine.state(found.value());
        };
        auto state = co_await ex.blocking(current_state);
        if (state && !state->running) code = state->exit_code;
    }
    int last_exit = 0;
    while (!code) {
        while (!mailbox->items().empty() && !code) {
            Event e = std::move(mailbox->items().front());
            mailbox->items().pop_front();
            if (e.action == "die") {
                last_exit = std::atoi(e.attributes["exitCode"].c_str());
                if (condition != "removed") code = last_exit;
            } else if (condition == "removed" || condition == "not-running") {
                code = last_exit;
            }
        }
        if (code || mailbox->closed() || ex.stopping()) break;
        co_await mailbox->wait(Clock::now() + std::chrono::seconds(1));
    }
    if (!code) co_return;  // the client left or the daemon stops: the connection just closes
    std::string body = json{{"StatusCode", *code}, {"Error", nullptr}}.dump() + "\n";
    if (co_await ex.chunk(std::move(body))) co_await ex.end_stream();
}

awaitable<void> top(Exchange& ex, ApiContext& c) {
    auto list_processes = [&c, ref = ex.param("id")]() -> Result<json> {
        auto pids = c.engine.pids(ref);
        if (!pids) return pids.error();
        json processes = json::array();
        for (const auto& r : container::process_rows(pids.value()))
            processes.push_back({r.uid, r.pid, r.ppid, r.c, r.stime, r.tty, r.time, r.cmd});
        return json{{"Titles", {"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}}, {"Processes", processes}};
    };
    auto rows = co_await ex.blocking(list_processes);
    if (!rows) co_return co_await fail(ex, rows.error());
    co_await ex.json(http::status::ok, rows.value());
}

awaitable<void> changes(Exchange& ex, ApiContext& c) {
    auto list_changes = [&c, ref = ex.param("id")]() -> Result<json> {
        auto record = c.engine.find(ref);
        if (!record) return record.error();
        auto image = c.engine.images().get(record.value().image_id);
        if (!image) return image.error();
        std::string upper = c.engine.dir(record.value()) + "/upper";
        if (!sys::exists(upper)) return json::array();  // never started: nothing changed yet
        auto found = container::filesystem_changes(upper, image.value().layer_dirs);
        if (!found) return found.error();
        json out = json::array();
        for (const auto& ch : found.value())
            out.push_back({{"Path", ch.path}, {"Kind", ch.kind == 'C' ? 0 : ch.kind == 'A' ? 1 : 2}});
        return out;
    };
    auto list = co_await ex.blocking(list_changes);
    if (!list) co_return co_await fail(ex, list.error());
    co_await ex.json(http::status::ok, list.value());
}

// GET export: the tar is written into a pipe on the pool and streamed from it here.
awaitable<void> export_container(Exchange& ex, ApiContext& c) {
    auto record = co_await find_or_fail(ex, c);
    if (!record) co_return;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) co_return co_await fail(ex, sys::errno_error("export: pipe"));
    asio::posix::stream_descriptor reader(ex.executor(), fds[0]);
    // The pool task alone owns the write end: closing it ends the stream. The tar is written by
    // a forked child (no exec, so O_CLOEXEC does not apply): it closes its copy of the read end,
    // or a client that leaves early would leave it blocked on a pipe it holds open itself.
    auto task = [&c, id = record->id, dir = c.engine.dir(*record), read_end = fds[0],
                 writer = std::make_shared<sys::UniqueFd>(fds[1])]() mutable {
        // A container that never ran has no writable layer or mount point yet.
        for (const char* sub : {"/upper", "/rootfs"}) (void)sys::make_dirs(dir + sub, 0755);
        auto where = container::rootfs_location(c.engine, id, false);
        Status done = where ? container::in_container_root(where.value(), [read_end, fd = writer->get()] {
                                  ::close(read_end);
                                  return container::write_tar(fd, "/", "");
                              })
                            : Status(where.error());
        if (!done) log().warn("[{}] export: {}", id.substr(0, 12), done.error().message);
        writer.reset();
        return 0;
    };
    if (!co_await ex.begin_stream(http::status::ok, "application/octet-stream")) co_return;
    ex.spawn_blocking(std::move(task));
    std::string buffer(64 * 1024, '\0');
    for (;;) {
        boost::system::error_code ec;
        size_t n = co_await reader.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
        if (n > 0 && !co_await ex.chunk(buffer.substr(0, n))) co_return;
        if (ec) break;
    }
    co_await ex.end_stream();
}

awaitable<void> prune(Exchange& ex, ApiContext& c) {
    auto filters = parse_filters(ex.query().get("filters"));
    if (!filters) co_return co_await fail(ex, filters.error());
    if (auto checked = check_filter_keys(filters.value(), {"label", "until"}); !checked)
        co_return co_await fail(ex, checked.error());
    auto remove_stopped = [&c, filters = filters.value()]() -> Result<json> {
        Filters labels;
        if (filters.count("label")) labels["label"] = filters.at("label");
        auto parsed = container::parse_list_filters(filter_strings(labels));
        if (!parsed) return parsed.error();
        std::optional<std::int64_t> until;
        if (filters.count("until") && !filters.at("until").empty()) {
            auto t = parse_event_time(filters.at("until").front());
            if (!t) return t.error();
            until = t.value();
        }
        json ids = json::array();
        for (const auto& r : c.engine.list()) {
            auto s = c.engine.state(r);
            if (s.running || !container::matches_filters(parsed.value(), r, s)) continue;
            auto created = sys::parse_rfc3339(r.created);
            if (until && created && *created >= *until) continue;
            if (c.engine.remove(r.id, false)) ids.push_back(r.id);
        }
        c.monitor.scan();
        return ids;
    };
    auto removed = co_await ex.blocking(remove_stopped);
    if (!removed) co_return co_await fail(ex, removed.error());
    json ids = removed.value().empty() ? json(nullptr) : removed.value();
    json report = {{"ContainersDeleted", ids}, {"SpaceReclaimed", 0}};
    co_await ex.json(http::status::ok, report);
}

}  // namespace

void add_container_routes(Router<Handler>& router, ApiContext& c) {
    router.add("GET", "/containers/json", [&c](Exchange& ex) -> awaitable<void> {
        auto list = [&c, &ex] { return list_containers(c, ex.query()); };
        auto items = co_await ex.blocking(list);
        if (!items) co_return co_await fail(ex, items.error());
        co_await ex.json(http::status::ok, items.value());
    });
    router.add("POST", "/containers/create", [&c](Exchange& ex) -> awaitable<void> {
        auto request = create_request(ex.query().get("name"), ex.request().message.body());
        if (!request) co_return co_await fail(ex, request.error());
        auto create = [&c, request = request.value()] { return c.engine.create(request); };
        auto id = co_await ex.blocking(create);
        if (!id) co_return co_await fail(ex, id.error());
        auto register_created = [&c, id = id.value()] {
            c.monitor.scan();  // knows it as created before it can run and exit
            return c.engine.find(id);
        };
        auto record = co_await ex.blocking(register_created);
        if (record) c.events.publish(container_event("create", record.value()));
        json created = {{"Id", id.value()}, {"Warnings", json::array()}};
        co_await ex.json(http::status::created, created);
    });
    router.add("POST", "/containers/prune", [&c](Exchange& ex) { return prune(ex, c); });
    router.add("GET", "/containers/{id}/json", [&c](Exchange& ex) -> awaitable<void> {
        auto inspect = [&c, ref = ex.param("id")] { return c.engine.inspect(ref); };
        auto doc = co_await ex.blocking(inspect);
        if (!doc) co_return co_await fail(ex, doc.error());
        co_await ex.json(http::status::ok, doc.value());
    });
    router.add("POST", "/containers/{id}/start", [&c](Exchange& ex) { return start(ex, c); });
    router.add("POST", "/containers/{id}/stop", [&c](Exchange& ex) { return stop(ex, c); });
    router.add("POST", "/containers/{id}/restart", [&c](Exchange& ex) { return restart(ex, c); });
    router.add("POST", "/containers/{id}/kill", [&c](Exchange& ex) { return kill(ex, c); });
    router.add("POST", "/containers/{id}/pause", [&c](Exchange& ex) { return set_paused(ex, c, true); });
    router.add("POST", "/containers/{id}/unpause", [&c](Exchange& ex) { return set_paused(ex, c, false); });
    router.add("POST", "/containers/{id}/wait", [&c](Exchange& ex) { return wait(ex, c); });
    router.add("POST", "/containers/{id}/rename", [&c](Exchange& ex) { return rename(ex, c); });
    router.add("DELETE", "/containers/{id}", [&c](Exchange& ex) { return remove(ex, c); });
    router.add("GET", "/containers/{id}/top", [&c](Exchange& ex) { return top(ex, c); });
    router.add("GET", "/containers/{id}/changes", [&c](Exchange& ex) { return changes(ex, c); });
    router.add("GET", "/containers/{id}/export", [&c](Exchange& ex) { return export_container(ex, c); });
}

}  // namespace engine::daemon
