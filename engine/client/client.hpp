#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/client/api_error.hpp"
#include "engine/client/connection.hpp"
#include "engine/client/frames.hpp"
#include "engine/client/hijack.hpp"
#include "engine/client/query.hpp"

namespace engine::client {

using nlohmann::json;

struct ClientOptions {
    std::string host;  // "unix:///path"; empty: choose_host("")
    Timeouts timeouts;
    std::string max_api_version = "1.41";
};

struct LogsOptions {
    bool stdout_ = true;
    bool stderr_ = true;
    bool follow = false;
    bool timestamps = false;
    std::string tail = "all";
    std::string since;
};

struct AttachOptions {
    bool stdin_ = false;
    bool stdout_ = true;
    bool stderr_ = true;
    bool logs = false;
    bool stream = true;
};

struct EventsOptions {
    Filters filters;
    std::string since;
    std::string until;
};

/// Stops a running events or logs stream from another thread (by shutting its socket down).
/// One stream per stopper: once stopped it stays stopped.
class StreamStopper {
public:
    StreamStopper() = default;
    StreamStopper(const StreamStopper&) = delete;
    StreamStopper& operator=(const StreamStopper&) = delete;
    ~StreamStopper() { unwatch(); }
    void stop();
    bool stopped() const { return stopped_; }
    // Used by the streaming call: which socket stop() shuts down.
    void watch(int fd);
    void unwatch();

private:
    std::mutex mutex_;
    int fd_ = -1;
    std::atomic<bool> stopped_{false};
};

/// A wait the daemon has registered (its response headers are in): start the container, then
/// result() blocks until the condition holds. Docker's `run` orders its calls this way so that
/// a quick exit is never missed.
class PendingWait {
public:
    /// {"StatusCode": N, "Error": …}
    ApiResult<json> result();

private:
    friend class Client;
    PendingWait(std::unique_ptr<Connection> connection, Response head, std::string id)
        : connection_(std::move(connection)), head_(std::move(head)), id_(std::move(id)) {}
    std::unique_ptr<Connection> connection_;
    Response head_;
    std::string id_;
};

/// The version prefix to use: min(server, ours); "1.24" when the server names none (as Docker).
std::string negotiate_version(const std::string& server_version, const std::string& max_version);

/// A Docker Engine API client over a UNIX socket: the same calls drive berthd and dockerd. The
/// first call negotiates the API version (HEAD /_ping, GET as fallback); plain calls share one
/// keep-alive connection (safe from several threads), streams and hijacks open their own.
class Client {
public:
    explicit Client(ClientOptions options = {});

    /// The socket this client talks to, for messages ("" when the host was not usable).
    const std::string& socket_path() const { return socket_path_; }

    /// The negotiated version ("1.41"), negotiating first if needed.
    ApiResult<std::string> api_version();
    /// {"ApiVersion", "OSType", "Experimental"} from the ping's headers (unversioned).
    ApiResult<json> ping();
    ApiResult<json> version();
    ApiResult<json> info();

    // Containers.
    ApiResult<json> containers_list(bool all = false, const Filters& filters = {});
    ApiResult<std::string> container_create(const std::string& name, const json& body);
    ApiResult<json> container_inspect(const std::string& id);
    ApiStatus container_start(const std::string& id);
    ApiStatus container_stop(const std::string& id, std::optional<int> timeout = {});
    ApiStatus container_restart(const std::string& id, std::optional<int> timeout = {});
    ApiStatus container_kill(const std::string& id, const std::string& signal = "");
    ApiStatus container_pause(const std::string& id);
    ApiStatus container_unpause(const std::string& id);
    ApiStatus container_remove(const std::string& id, bool force = false, bool volumes = false);
    ApiStatus container_rename(const std::string& id, const std::string& new_name);
    /// Blocks until the condition ("", "next-exit", "removed") holds: {"StatusCode", "Error"}.
    ApiResult<json> container_wait(const std::string& id, const std::string& condition = "");
    /// The first half of container_wait: returns once the daemon has accepted the wait.
    ApiResult<PendingWait> container_wait_begin(const std::string& id, const std::string& condition = "");
    ApiResult<json> container_top(const std::string& id, const std::string& ps_args = "");
    ApiResult<json> container_changes(const std::string& id);
    ApiStatus container_resize(const std::string& id, int height, int width);
    /// The container's filesystem as a tar, written to `fd`.
    ApiStatus container_export(const std::string& id, int fd);
    /// Output demultiplexed into the sink's two streams (raw to stdout for a TTY container).
    ApiStatus container_logs(const std::string& id, const LogsOptions& options, const FrameDemuxer::Sink& sink,
                             StreamStopper* stopper = nullptr);
    ApiResult<HijackedStream> container_attach(const std::string& id, const AttachOptions& options);

    // Exec.
    ApiResult<std::string> exec_create(const std::string& container, const json& body);
    ApiResult<HijackedStream> exec_start(const std::string& exec_id, bool tty);
    ApiResult<json> exec_inspect(const std::string& exec_id);
    ApiStatus exec_resize(const std::string& exec_id, int height, int width);

    // Images.
    ApiResult<json> images_list(bool all = false, const Filters& filters = {});
    ApiResult<json> image_inspect(const std::string& ref);
    ApiResult<json> image_history(const std::string& ref);
    ApiStatus image_tag(const std::string& ref, const std::string& repo, const std::string& tag);
    ApiResult<json> image_remove(const std::string& ref, bool force = false, bool prune = true);
    /// `docker import`: a rootfs tar read from `fd`; the progress messages as an array.
    ApiResult<json> image_import(int fd, const std::string& repo, const std::string& tag = "");
    /// `docker load`: an image archive read from `fd`; the progress messages as an array.
    ApiResult<json> image_load(int fd, bool quiet = true);
    /// `docker save`: the archive of `names` written to `fd`.
    ApiStatus image_save(const std::vector<std::string>& names, int fd);

    // Networks and volumes.
    ApiResult<json> networks_list(const Filters& filters = {});
    ApiResult<json> network_create(const json& body);
    ApiResult<json> network_inspect(const std::string& name);
    ApiStatus network_remove(const std::string& name);
    ApiResult<json> volumes_list(const Filters& filters = {});
    ApiResult<json> volume_create(const json& body);
    ApiResult<json> volume_inspect(const std::string& name);
    ApiStatus volume_remove(const std::string& name, bool force = false);

    /// Calls `on_event` per event until it returns false, the stopper stops it, or the daemon
    /// ends the stream (with `until`).
    ApiStatus events(const EventsOptions& options, const std::function<bool(const json&)>& on_event,
                     StreamStopper* stopper = nullptr);

    /// Any request on the shared connection, versioned: the escape hatch for endpoints without
    /// a function here. Error statuses come back as ApiError.
    ApiResult<Response> call(const std::string& method, const std::string& path, const Query& query = {},
                             const std::optional<json>& body = {});

private:
    ApiStatus negotiate();
    ApiResult<Response> ping_once(const std::string& method);
    ApiResult<std::string> versioned(const std::string& path, const Query& query);
    ApiResult<json> call_json(const std::string& method, const std::string& path, const Query& query = {},
                              const std::optional<json>& body = {});
    ApiStatus call_status(const std::string& method, const std::string& path, const Query& query = {},
                          const std::optional<json>& body = {});
    ApiResult<Response> exchange_locked(const Request& request);
    ApiResult<Response> stream(Request request, const BodySink& sink, StreamStopper* stopper);
    ApiResult<json> upload_json_stream(const std::string& path, const Query& query, int fd);
    ApiResult<HijackedStream> hijack(const std::string& path, const Query& query, const std::optional<json>& body);

    ClientOptions options_;
    std::string socket_path_;
    std::optional<ApiError> host_error_;
    std::mutex mutex_;  // guards connection_ and version_
    std::unique_ptr<Connection> connection_;
    std::string version_;
    json ping_;
};

}  // namespace engine::client
