#include "engine/shim/shim.hpp"

namespace engine::shim {

void to_json(nlohmann::json& j, const ShimState& s) {
    j = nlohmann::json{{"shim_pid", s.shim_pid},
                       {"shim_start_time", s.shim_start_time},
                       {"pid", s.pid},
                       {"pid_start_time", s.pid_start_time},
                       {"started_at", s.started_at}};
}

void from_json(const nlohmann::json& j, ShimState& s) {
    s.shim_pid = j.value("shim_pid", -1);
    s.shim_start_time = j.value("shim_start_time", std::uint64_t{0});
    s.pid = j.value("pid", -1);
    s.pid_start_time = j.value("pid_start_time", std::uint64_t{0});
    s.started_at = j.value("started_at", "");
}

void to_json(nlohmann::json& j, const ExitStatus& s) {
    j = nlohmann::json{{"exit_code", s.exit_code},
                       {"oom_killed", s.oom_killed},
                       {"finished_at", s.finished_at}};
    if (!s.error.empty()) j["error"] = s.error;
}

void from_json(const nlohmann::json& j, ExitStatus& s) {
    s.exit_code = j.value("exit_code", 0);
    s.oom_killed = j.value("oom_killed", false);
    s.finished_at = j.value("finished_at", "");
    s.error = j.value("error", "");
}

}  // namespace engine::shim
