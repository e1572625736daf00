#include "engine/shim/proc.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "engine/sys/unique_fd.hpp"

namespace engine::shim {
namespace {

// The fields of /proc/PID/stat after the command name, which may itself contain spaces and
// parentheses (hence the last ')').
std::optional<std::string> stat_after_comm(pid_t pid) {
    sys::UniqueFd fd(::open(fmt::format("/proc/{}/stat", pid).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    char buf[1024];
    ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) return std::nullopt;
    std::string_view text(buf, static_cast<std::size_t>(n));
    std::size_t close = text.rfind(')');
    if (close == std::string_view::npos || close + 2 >= text.size()) return std::nullopt;
    return std::string(text.substr(close + 2));
}

}  // namespace

std::optional<std::uint64_t> process_start_time(pid_t pid) {
    auto fields = stat_after_comm(pid);
    if (!fields) return std::nullopt;
    // After the name comes field 3 (state); field 22 is 19 fields further.
    std::size_t pos = 0;
    for (int field = 3; field < 22; ++field) {
        pos = fields->find(' ', pos);
        if (pos == std::string::npos) return std::nullopt;
        ++pos;
    }
    return std::strtoull(fields->c_str() + pos, nullptr, 10);
}

bool process_alive(pid_t pid, std::uint64_t start_time) {
    if (pid <= 0) return false;
    auto fields = stat_after_comm(pid);
    if (!fields || fields->empty() || (*fields)[0] == 'Z' || (*fields)[0] == 'X') return false;
    auto started = process_start_time(pid);
    return started && *started == start_time;
}

int exit_code_of(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 255;
}

}  // namespace engine::shim
