#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/result.hpp"

namespace engine::container {

/// One row of `docker top` (ps -ef columns).
struct ProcessRow {
    std::string uid, pid, ppid, c, stime, tty, time, cmd;
};

/// The fields of /proc/PID/stat that `top` needs, parsed from its text (the comm field may
/// hold spaces and parentheses).
struct ProcStat {
    pid_t pid = 0;
    pid_t ppid = 0;
    int tty_nr = 0;
    unsigned long long utime = 0, stime = 0, start_time = 0;
};
std::optional<ProcStat> parse_proc_stat(std::string_view text);

/// `init` and every descendant of it, from /proc.
std::vector<pid_t> process_tree(pid_t init);

/// ps -ef style rows for `pids`, read from /proc; processes that vanish meanwhile are skipped.
std::vector<ProcessRow> process_rows(const std::vector<pid_t>& pids);

}  // namespace engine::container
