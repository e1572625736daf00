// Docker's inspect document for a container.
#include "engine/container/containers.hpp"

#include "engine/container/mounts.hpp"
#include "engine/container/networking.hpp"
#include "engine/shim/shim.hpp"

namespace engine::container {
namespace {

using nlohmann::json;

json state_json(const LiveState& s) {
    return {{"Status", s.status},        {"Running", s.running},
            {"Paused", s.paused},        {"Restarting", false},
            {"OOMKilled", s.oom_killed}, {"Dead", s.status == "dead"},
            {"Pid", s.pid},              {"ExitCode", s.exit_code},
            {"Error", s.error},          {"StartedAt", s.started_at},
            {"FinishedAt", s.finished_at}};
}

std::string join_dirs(const std::vector<std::string>& dirs) {
    std::string out;
    for (const auto& d : dirs) out += (out.empty() ? "" : ":") + d;
    return out;
}

}  // namespace

Result<json> Containers::inspect(const std::string& ref) const {
    auto found = store_.find(ref);
    if (!found) return found.error();
    const ContainerRecord& r = found.value();
    std::string dir = store_.dir(r.id);
    json graph = {{"Name", "overlay2"}, {"Data", json::object()}};
    if (auto image = images_.get(r.image_id))
        graph["Data"] = {{"LowerDir", join_dirs(image.value().layer_dirs)},
                         {"UpperDir", dir + "/upper"},
                         {"WorkDir", dir + "/work"},
                         {"MergedDir", dir + "/rootfs"}};
    json host_config = r.host_config;
    if (!host_config.contains("LogConfig"))
        host_config["LogConfig"] = {{"Type", "json-file"}, {"Config", json::object()}};
    return json{{"Id", r.id},
                {"Created", r.created},
                {"Path", r.path},
                {"Args", r.args},
                {"State", state_json(state(r))},
                {"Image", r.image_id},
                {"ResolvConfPath", dir + "/resolv.conf"},
                {"HostnamePath", dir + "/hostname"},
                {"HostsPath", dir + "/hosts"},
                {"LogPath", dir + "/" + shim::kLogFile},
                {"Name", "/" + r.name},
                {"RestartCount", r.restart_count},
                {"Driver", "overlay2"},
                {"Platform", "linux"},
                {"MountLabel", ""},
                {"ProcessLabel", ""},
                {"AppArmorProfile", ""},
                {"ExecIDs", nullptr},
                {"HostConfig", host_config},
                {"GraphDriver", graph},
                {"Mounts", inspect_mounts(options_.root, dir)},
                {"Config", r.config},
                {"NetworkSettings", Networking(options_).settings(r)}};
}

}  // namespace engine::container
