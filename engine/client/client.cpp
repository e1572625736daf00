#include "engine/client/client.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <charconv>
#include <utility>

#include "engine/client/host.hpp"

namespace engine::client {

namespace {

std::pair<int, int> parse_version(const std::string& text) {
    int major = 0, minor = 0;
    auto dot = text.find('.');
    std::from_chars(text.data(), text.data() + (dot == std::string::npos ? text.size() : dot), major);
    if (dot != std::string::npos) std::from_chars(text.data() + dot + 1, text.data() + text.size(), minor);
    return {major, minor};
}

ApiError http_error(const Response& response) {
    return ApiError{ErrorKind::http, response.status, error_message(response)};
}

const char* flag(bool value) { return value ? "1" : "0"; }

/// Splits a stream of JSON documents, one per line (events, progress), across body pieces.
/// By hand: nlohmann::json parses whole documents only, and Beast knows no JSON.
class JsonLines {
public:
    explicit JsonLines(std::function<bool(const json&)> on_object) : on_object_(std::move(on_object)) {}
    bool feed(std::string_view piece) {
        pending_.append(piece);
        std::size_t start = 0;
        for (std::size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
            if (!deliver(std::string_view(pending_).substr(start, nl - start))) return false;
        }
        pending_.erase(0, start);
        return true;
    }
    bool finish() { return deliver(pending_); }

private:
    bool deliver(std::string_view line) {
        if (line.find_first_not_of(" \r\t") == std::string_view::npos) return true;
        auto parsed = json::parse(line, nullptr, false);
        if (parsed.is_discarded()) parsed = json{{"stream", std::string(line)}};
        return on_object_(parsed);
    }

    std::function<bool(const json&)> on_object_;
    std::string pending_;
};

}  // namespace

void StreamStopper::stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void StreamStopper::watch(int fd) {
    std::lock_guard lock(mutex_);
    // A descriptor of our own for the same socket: the stream may close its one at any time,
    // and shutting down a number since reused for another file must never happen.
    fd_ = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (stopped_ && fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void StreamStopper::unwatch() {
    std::lock_guard lock(mutex_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::string negotiate_version(const std::string& server_version, const std::string& max_version) {
    if (server_version.empty()) return "1.24";
    return parse_version(server_version) < parse_version(max_version) ? server_version : max_version;
}

Client::Client(ClientOptions options) : options_(std::move(options)) {
    auto path = unix_socket_path(options_.host.empty() ? choose_host("") : options_.host);
    if (path) {
        socket_path_ = path.value();
    } else {
        host_error_ = path.error();
    }
    connection_ = std::make_unique<Connection>(socket_path_, options_.timeouts);
}

ApiResult<Response> Client::exchange_locked(const Request& request) {
    auto response = connection_->exchange(request);
    // A keep-alive connection the daemon closed just as the request went out: once more on a
    // fresh one, for requests that are safe to repeat (as Go's client does).
    bool repeatable = request.method == "GET" || request.method == "HEAD";
    if (!response && connection_->failed_on_stale() && repeatable) response = connection_->exchange(request);
    return response;
}

ApiResult<Response> Client::ping_once(const std::string& method) {
    Request request;
    request.method = method;
    request.target = "/_ping";
    return exchange_locked(request);
}

ApiStatus Client::negotiate() {
    if (host_error_) return *host_error_;
    std::lock_guard lock(mutex_);
    if (!version_.empty()) return api_ok();
    // As Docker's client: HEAD first; GET when HEAD fails or answers neither 200 nor 500.
    auto response = ping_once("HEAD");
    if (!response && response.error().kind == ErrorKind::unreachable) return response.error();
    if (!response || (response.value().status != 200 && response.value().status != 500))
        response = ping_once("GET");
    if (!response) return response.error();
    if (response.value().status >= 400 && response.value().status != 500) return http_error(response.value());
    const auto& r = response.value();
    version_ = negotiate_version(r.header("api-version"), options_.max_api_version);
    ping_ = json{{"ApiVersion", r.header("api-version")},
                 {"OSType", r.header("ostype")},
                 {"Experimental", r.header("docker-experimental") == "true"}};
    return api_ok();
}

ApiResult<std::string> Client::api_version() {
    if (auto st = negotiate(); !st) return st.error();
    std::lock_guard lock(mutex_);
    return version_;
}

ApiResult<json> Client::ping() {
    if (auto st = negotiate(); !st) return st.error();
    std::lock_guard lock(mutex_);
    return ping_;
}

ApiResult<std::string> Client::versioned(const std::string& path, const Query& query) {
    auto version = api_version();
    if (!version) return version.error();
    return "/v" + version.value() + path + query.str();
}

ApiResult<Response> Client::call(const std::string& method, const std::string& path, const Query& query,
                                 const std::optional<json>& body) {
    auto target = versioned(path, query);
    if (!target) return target.error();
    Request request;
    request.method = method;
    request.target = target.value();
    if (body) {
        request.body = body->dump();
        request.content_type = "application/json";
    }
    std::lock_guard lock(mutex_);
    auto response = exchange_locked(request);
    if (!response) return response.error();
    if (response.value().status >= 400) return http_error(response.value());
    return response;
}

ApiResult<json> Client::call_json(const std::string& method, const std::string& path, const Query& query,
                                  const std::optional<json>& body) {
    auto response = call(method, path, query, body);
    if (!response) return response.error();
    if (response.value().body.empty()) return json();
    auto parsed = json::parse(response.value().body, nullptr, false);
    if (parsed.is_discarded())
        return ApiError{ErrorKind::protocol, response.value().status, method + " " + path + ": response is not JSON"};
    return parsed;
}

ApiStatus Client::call_status(const std::string& method, const std::string& path, const Query& query,
                              const std::optional<json>& body) {
    auto response = call(method, path, query, body);
    if (!response) return response.error();
    return api_ok();
}

ApiResult<Response> Client::stream(Request request, const BodySink& sink, StreamStopper* stopper) {
    if (host_error_) return *host_error_;
    // Streams run for long: on a connection of their own, without a read timeout.
    Connection connection(socket_path_, options_.timeouts);
    if (stopper) {
        // Connect first so that there is a socket to stop.
        if (auto opened = connection.open(); !opened) return opened.error();
        stopper->watch(connection.native_fd());
    }
    auto response = connection.stream(request, sink);
    if (stopper) {
        stopper->unwatch();
        if (stopper->stopped()) return response ? std::move(response) : ApiResult<Response>(Response{200, {}, ""});
    }
    if (!response) return response.error();
    if (response.value().status >= 400) return http_error(response.value());
    return response;
}

// System.

ApiResult<json> Client::version() { return call_json("GET", "/version"); }
ApiResult<json> Client::info() { return call_json("GET", "/info"); }

// Containers.

ApiResult<json> Client::containers_list(bool all, const Filters& filters) {
    Query query;
    if (all) query.add("all", "1");
    return call_json("GET", "/containers/json", query.add_filters(filters));
}

ApiResult<std::string> Client::container_create(const std::string& name, const json& body) {
    Query query;
    if (!name.empty()) query.add("name", name);
    auto created = call_json("POST", "/containers/create", query, body);
    if (!created) return created.error();
    return created.value().value("Id", "");
}

ApiResult<json> Client::container_inspect(const std::string& id) {
    return call_json("GET", "/containers/" + encode_path(id) + "/json");
}

ApiStatus Client::container_start(const std::string& id) {
    return call_status("POST", "/containers/" + encode_path(id) + "/start");
}

ApiStatus Client::container_stop(const std::string& id, std::optional<int> timeout) {
    Query query;
    if (timeout) query.add("t", *timeout);
    return call_status("POST", "/containers/" + encode_path(id) + "/stop", query);
}

ApiStatus Client::container_restart(const std::string& id, std::optional<int> timeout) {
    Query query;
    if (timeout) query.add("t", *timeout);
    return call_status("POST", "/containers/" + encode_path(id) + "/restart", query);
}

ApiStatus Client::container_kill(const std::string& id, const std::string& signal) {
    Query query;
    if (!signal.empty()) query.add("signal", signal);
    return call_status("POST", "/containers/" + encode_path(id) + "/kill", query);
}

ApiStatus Client::container_pause(const std::string& id) {
    return call_status("POST", "/containers/" + encode_path(id) + "/pause");
}

ApiStatus Client::container_unpause(const std::string& id) {
    return call_status("POST", "/containers/" + encode_path(id) + "/unpause");
}

ApiStatus Client::container_remove(const std::string& id, bool force, bool volumes) {
    Query query;
    if (force) query.add("force", "1");
    if (volumes) query.add("v", "1");
    return call_status("DELETE", "/containers/" + encode_path(id), query);
}

ApiStatus Client::container_rename(const std::string& id, const std::string& new_name) {
    return call_status("POST", "/containers/" + encode_path(id) + "/rename", Query().add("name", new_name));
}

ApiResult<json> PendingWait::result() {
    std::string body;
    BodySink collect = [&body](std::string_view piece) {
        body.append(piece);
        return true;
    };
    if (auto st = connection_->read_body(head_, &collect, std::chrono::milliseconds(0)); !st) return st.error();
    auto parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded()) return ApiError{ErrorKind::protocol, 200, "wait for " + id_ + ": response is not JSON"};
    return parsed;
}

ApiResult<PendingWait> Client::container_wait_begin(const std::string& id, const std::string& condition) {
    if (host_error_) return *host_error_;
    Query query;
    if (!condition.empty()) query.add("condition", condition);
    auto target = versioned("/containers/" + encode_path(id) + "/wait", query);
    if (!target) return target.error();
    // Its own connection: the body may take as long as the container runs.
    auto connection = std::make_unique<Connection>(socket_path_, options_.timeouts);
    auto head = connection->begin(Request{"POST", target.value(), "", "", -1, {}});
    if (!head) return head.error();
    if (head.value().status >= 400) {
        if (auto st = connection->read_body(head.value(), nullptr, options_.timeouts.request); !st) return st.error();
        return http_error(head.value());
    }
    return PendingWait(std::move(connection), std::move(head.value()), id);
}

ApiResult<json> Client::container_wait(const std::string& id, const std::string& condition) {
    auto pending = container_wait_begin(id, condition);
    if (!pending) return pending.error();
    return pending.value().result();
}

ApiResult<json> Client::container_top(const std::string& id, const std::string& ps_args) {
    Query query;
    if (!ps_args.empty()) query.add("ps_args", ps_args);
    return call_json("GET", "/containers/" + encode_path(id) + "/top", query);
}

ApiResult<json> Client::container_changes(const std::string& id) {
    return call_json("GET", "/containers/" + encode_path(id) + "/changes");
}

ApiStatus Client::container_resize(const std::string& id, int height, int width) {
    return call_status("POST", "/containers/" + encode_path(id) + "/resize", Query().add("h", height).add("w", width));
}

namespace {

BodySink write_to(int fd, ApiStatus& status) {
    return [fd, &status](std::string_view piece) {
        while (!piece.empty()) {
            ssize_t n = ::write(fd, piece.data(), piece.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                status = ApiError{ErrorKind::io, 0, "write response body: " + std::string(std::strerror(errno))};
                return false;
            }
            piece.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    };
}

}  // namespace

ApiStatus Client::container_export(const std::string& id, int fd) {
    auto target = versioned("/containers/" + encode_path(id) + "/export", {});
    if (!target) return target.error();
    ApiStatus written = api_ok();
    auto response = stream(Request{"GET", target.value(), "", "", -1, {}}, write_to(fd, written), nullptr);
    if (!response) return response.error();
    return written;
}

ApiStatus Client::container_logs(const std::string& id, const LogsOptions& options, const FrameDemuxer::Sink& sink,
                                 StreamStopper* stopper) {
    // The stream is multiplexed unless the container has a TTY: only its config says which.
    auto inspected = container_inspect(id);
    if (!inspected) return inspected.error();
    bool tty = inspected.value()["Config"].value("Tty", false);
    Query query;
    query.add("stdout", flag(options.stdout_)).add("stderr", flag(options.stderr_));
    query.add("follow", flag(options.follow)).add("timestamps", flag(options.timestamps));
    query.add("tail", options.tail.empty() ? "all" : options.tail);
    if (!options.since.empty()) query.add("since", options.since);
    auto target = versioned("/containers/" + encode_path(id) + "/logs", query);
    if (!target) return target.error();
    FrameDemuxer demuxer(sink);
    ApiStatus framing = api_ok();
    auto response = stream(Request{"GET", target.value(), "", "", -1, {}}, [&](std::string_view piece) {
        if (tty) {
            sink(StreamId::stdout_, piece);
            return true;
        }
        framing = demuxer.feed(piece);
        return framing.ok();
    }, stopper);
    if (!response) return response.error();
    if (!framing) return framing;
    if (stopper && stopper->stopped()) return api_ok();
    return tty ? api_ok() : demuxer.finish();
}

ApiResult<HijackedStream> Client::hijack(const std::string& path, const Query& query, const std::optional<json>& body) {
    if (host_error_) return *host_error_;
    auto target = versioned(path, query);
    if (!target) return target.error();
    Request request{"POST", target.value(), "", "text/plain", -1, {}};
    if (body) {
        request.body = body->dump();
        request.content_type = "application/json";
    }
    Connection connection(socket_path_, options_.timeouts);
    return connection.hijack(std::move(request));
}

ApiResult<HijackedStream> Client::container_attach(const std::string& id, const AttachOptions& options) {
    Query query;
    query.add("stream", flag(options.stream)).add("stdin", flag(options.stdin_));
    query.add("stdout", flag(options.stdout_)).add("stderr", flag(options.stderr_)).add("logs", flag(options.logs));
    return hijack("/containers/" + encode_path(id) + "/attach", query, {});
}

// Exec.

ApiResult<std::string> Client::exec_create(const std::string& container, const json& body) {
    auto created = call_json("POST", "/containers/" + encode_path(container) + "/exec", {}, body);
    if (!created) return created.error();
    return created.value().value("Id", "");
}

ApiResult<HijackedStream> Client::exec_start(const std::string& exec_id, bool tty) {
    return hijack("/exec/" + encode_path(exec_id) + "/start", {}, json{{"Detach", false}, {"Tty", tty}});
}

ApiResult<json> Client::exec_inspect(const std::string& exec_id) {
    return call_json("GET", "/exec/" + encode_path(exec_id) + "/json");
}

ApiStatus Client::exec_resize(const std::string& exec_id, int height, int width) {
    return call_status("POST", "/exec/" + encode_path(exec_id) + "/resize", Query().add("h", height).add("w", width));
}

// Images.

ApiResult<json> Client::images_list(bool all, const Filters& filters) {
    Query query;
    if (all) query.add("all", "1");
    return call_json("GET", "/images/json", query.add_filters(filters));
}

ApiResult<json> Client::image_inspect(const std::string& ref) {
    return call_json("GET", "/images/" + encode_path(ref) + "/json");
}

ApiResult<json> Client::image_history(const std::string& ref) {
    return call_json("GET", "/images/" + encode_path(ref) + "/history");
}

ApiStatus Client::image_tag(const std::string& ref, const std::string& repo, const std::string& tag) {
    Query query;
    query.add("repo", repo);
    if (!tag.empty()) query.add("tag", tag);
    return call_status("POST", "/images/" + encode_path(ref) + "/tag", query);
}

ApiResult<json> Client::image_remove(const std::string& ref, bool force, bool prune) {
    Query query;
    if (force) query.add("force", "1");
    if (!prune) query.add("noprune", "1");
    return call_json("DELETE", "/images/" + encode_path(ref), query);
}

ApiResult<json> Client::upload_json_stream(const std::string& path, const Query& query, int fd) {
    auto target = versioned(path, query);
    if (!target) return target.error();
    json messages = json::array();
    std::optional<ApiError> failure;
    JsonLines lines([&](const json& message) {
        // Errors inside a 200 stream ({"errorDetail":…,"error":…}) fail the call all the same.
        if (message.contains("error") && !failure)
            failure = ApiError{ErrorKind::http, 200, message["error"].is_string() ? message["error"].get<std::string>()
                                                                                 : message["error"].dump()};
        messages.push_back(message);
        return true;
    });
    auto response = stream(Request{"POST", target.value(), "", "application/x-tar", fd, {}},
                           [&lines](std::string_view piece) { return lines.feed(piece); }, nullptr);
    if (!response) return response.error();
    lines.finish();
    if (failure) return *failure;
    return messages;
}

ApiResult<json> Client::image_import(int fd, const std::string& repo, const std::string& tag) {
    Query query;
    query.add("fromSrc", "-");
    if (!repo.empty()) query.add("repo", repo);
    if (!tag.empty()) query.add("tag", tag);
    return upload_json_stream("/images/create", query, fd);
}

ApiResult<json> Client::image_load(int fd, bool quiet) {
    Query query;
    if (quiet) query.add("quiet", "1");
    return upload_json_stream("/images/load", query, fd);
}

ApiStatus Client::image_save(const std::vector<std::string>& names, int fd) {
    Query query;
    for (const auto& name : names) query.add("names", name);
    auto target = versioned("/images/get", query);
    if (!target) return target.error();
    ApiStatus written = api_ok();
    auto response = stream(Request{"GET", target.value(), "", "", -1, {}}, write_to(fd, written), nullptr);
    if (!response) return response.error();
    return written;
}

// Networks and volumes.

ApiResult<json> Client::networks_list(const Filters& filters) {
    return call_json("GET", "/networks", Query().add_filters(filters));
}

ApiResult<json> Client::network_create(const json& body) { return call_json("POST", "/networks/create", {}, body); }

ApiResult<json> Client::network_inspect(const std::string& name) {
    return call_json("GET", "/networks/" + encode_path(name));
}

ApiStatus Client::network_remove(const std::string& name) {
    return call_status("DELETE", "/networks/" + encode_path(name));
}

ApiResult<json> Client::volumes_list(const Filters& filters) {
    return call_json("GET", "/volumes", Query().add_filters(filters));
}

ApiResult<json> Client::volume_create(const json& body) { return call_json("POST", "/volumes/create", {}, body); }

ApiResult<json> Client::volume_inspect(const std::string& name) {
    return call_json("GET", "/volumes/" + encode_path(name));
}

ApiStatus Client::volume_remove(const std::string& name, bool force) {
    Query query;
    if (force) query.add("force", "1");
    return call_status("DELETE", "/volumes/" + encode_path(name), query);
}

// Events.

ApiStatus Client::events(const EventsOptions& options, const std::function<bool(const json&)>& on_event,
                         StreamStopper* stopper) {
    Query query;
    if (!options.since.empty()) query.add("since", options.since);
    if (!options.until.empty()) query.add("until", options.until);
    auto target = versioned("/events", query.add_filters(options.filters));
    if (!target) return target.error();
    JsonLines lines(on_event);
    auto response = stream(Request{"GET", target.value(), "", "", -1, {}},
                           [&lines](std::string_view piece) { return lines.feed(piece); }, stopper);
    if (!response) return response.error();
    return api_ok();
}

}  // namespace engine::client
