#include "engine/container/record.hpp"

namespace engine::container {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContainerRecord, id, name, created, image_id, path,
    args, config, host_config, restart_count, manually_stopped, paused)

}  // namespace engine::container
