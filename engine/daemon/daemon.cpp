#include "engine/daemon/daemon.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <climits>

#include "engine/daemon/api.hpp"
#include "engine/daemon/log.hpp"
#include "engine/sys/files.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::daemon {
namespace {

std::string berth_shim_next_to_self() {
    char self[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return "berth-shim";
    std::string path(self, static_cast<size_t>(n));
    return path.substr(0, path.find_last_of('/') + 1) + "berth-shim";
}

// One daemon per state root: the lock is held for the daemon's life, and only its holder may
// remove a socket file left by a daemon that crashed.
Result<sys::UniqueFd> lock_root(const std::string& root) {
    std::string path = root + "/berthd.lock";
    sys::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return sys::errno_error("open {}", path);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return Error{EBUSY, fmt::format("lock {}: another berthd is already serving the state root {}", path, root)};
        return sys::errno_error("lock {}", path);
    }
    return fd;
}

Status prepare_socket_path(const std::string& socket_path) {
    auto slash = socket_path.find_last_of('/');
    if (slash != std::string::npos && slash > 0)
        if (auto made = sys::make_dirs(socket_path.substr(0, slash), 0755); !made) return made;
    if (::unlink(socket_path.c_str()) != 0 && errno != ENOENT)
        return sys::errno_error("remove stale socket {}", socket_path);
    return sys::ok();
}

std::string daemon_id(const std::string& root) {
    std::string path = root + "/berthd.id";
    if (auto text = sys::read_file(path); text && !text.value().empty()) return text.value();
    std::string id = container::new_container_id().substr(0, 32);
    (void)sys::write_file_atomic(path, id, 0644);
    return id;
}

}  // namespace

int run_daemon(const DaemonOptions& options) {
    ::signal(SIGPIPE, SIG_IGN);
    if (auto made = sys::make_dirs(options.root, 0711); !made) {
        log().error("{}", made.error().message);
        return 1;
    }
    auto lock = lock_root(options.root);
    if (!lock) {
        log().error("{}", lock.error().message);
        return 1;
    }
    if (auto prepared = prepare_socket_path(options.socket_path); !prepared) {
        log().error("{}", prepared.error().message);
        return 1;
    }
    container::EngineOptions engine_options{options.root,
                                            options.shim_binary.empty() ? berth_shim_next_to_self() : options.shim_binary,
                                            options.cgroup_parent};
    if (!options.default_bridge.empty()) engine_options.default_bridge = options.default_bridge;
    if (!options.address_pools.empty()) engine_options.address_pools = options.address_pools;
    auto engine = container::Containers::open(engine_options);
    if (!engine) {
        log().error("open the state root {}: {}", options.root, engine.error().message);
        return 1;
    }
    EventBus events;
    ContainerMonitor monitor(engine.value(), events, options.root + "/containers");
    if (auto started = monitor.start(); !started) {
        log().error("{}", started.error().message);
        return 1;
    }
    // Lifecycle lines in the log, whoever caused the change.
    auto logged = events.subscribe([](const Event& e) {
        auto name = e.attributes.find("name");
        std::string who = name != e.attributes.end() ? name->second : e.id.substr(0, 12);
        auto code = e.attributes.find("exitCode");
        if (code != e.attributes.end()) log().info("[{}] {} {} exitCode={}", who, e.type, e.action, code->second);
        else log().info("[{}] {} {}", who, e.type, e.action);
    });
    ApiContext context{engine.value(), events, monitor, options.root, daemon_id(options.root)};
    Router<Handler> router;
    add_system_routes(router, context);
    add_container_routes(router, context);
    add_image_routes(router, context);

    asio::io_context io;
    asio::thread_pool pool(options.pool_threads);
    Server server(io, pool, std::move(router), ServerOptions{options.socket_path, 16 << 20, options.request_timeout, 1024});
    if (auto listening = server.listen(); !listening) {
        log().error("{}", listening.error().message);
        return 1;
    }
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        log().info("signal {}: no longer accepting, finishing the requests in progress", signal);
        server.stop();
    });
    server.start();
    log().info("berthd {} serving unix://{} for the state root {}", BERTH_VERSION, options.socket_path, options.root);
    io.run();
    pool.join();
    monitor.stop();
    ::unlink(options.socket_path.c_str());
    log().info("berthd stopped");
    return 0;
}

}  // namespace engine::daemon
