#pragma once

// The Docker Engine API endpoints berthd serves, registered on a router.

#include <string>

#include "engine/container/containers.hpp"
#include "engine/daemon/events.hpp"
#include "engine/daemon/monitor.hpp"
#include "engine/daemon/server.hpp"

namespace engine::daemon {

/// What the handlers share. The engine works on files only, so its const and non-const calls are
/// safe from several pool threads at once (the store serializes name changes with a flock).
struct ApiContext {
    container::Containers& engine;
    EventBus& events;
    ContainerMonitor& monitor;
    std::string root;
    std::string daemon_id;
};

/// The HTTP status for an engine error, from its errno (ENOENT 404, EEXIST/EBUSY 409, EINVAL
/// 400 or 409 for a container in the wrong state, else 500).
http::status status_for(const Error& error);

/// Sends `error` as Docker's {"message"} with the status status_for gives.
awaitable<void> fail(Exchange& exchange, const Error& error);

void add_system_routes(Router<Handler>& router, ApiContext& context);
void add_container_routes(Router<Handler>& router, ApiContext& context);
void add_image_routes(Router<Handler>& router, ApiContext& context);

}  // namespace engine::daemon
