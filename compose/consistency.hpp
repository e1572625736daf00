#pragma once

#include "compose/document.hpp"

namespace compose {

/// compose-go's loader/validate.go checks on the final (normalized) model, all collected:
/// services without image or build; references to undefined networks, volumes, secrets,
/// configs, build secrets and services (depends_on, "service:x" namespaces); network_mode
/// together with networks; duplicate container_name, container_name with more than one
/// replica; negative scale, scale disagreeing with deploy.replicas, mem_limit/cpus/pids_limit
/// disagreeing with deploy.resources.limits; two mounts on one target (tmpfs included);
/// healthcheck.test not starting with CMD, CMD-SHELL or NONE; secrets/configs with no source;
/// dependency cycles ("dependency cycle detected: a -> b -> a").
/// Throws schema::LoadError with every problem, each located at the offending key.
void check_consistency(const Document& doc);

}  // namespace compose
