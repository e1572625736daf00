#include "engine/container/processes.hpp"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <sstream>

#include "engine/sys/files.hpp"

namespace engine::container {

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
    // "pid (comm) state ppid pgrp session tty_nr ..."; comm ends at the last ')'.
    auto close = text.rfind(')');
    if (close == std::string_view::npos) return std::nullopt;
    ProcStat st;
    std::istringstream head{std::string(text.substr(0, text.find(' ')))};
    head >> st.pid;
    std::istringstream rest{std::string(text.substr(close + 2))};
    std::vector<std::string> f{std::istream_iterator<std::string>(rest), {}};
    // Fields from field 3 (state) on: ppid is f[1], tty_nr f[4], utime f[11], stime f[12],
    // starttime f[19].
    if (f.size() < 20) return std::nullopt;
    try {
        st.ppid = std::stoi(f[1]);
        st.tty_nr = std::stoi(f[4]);
        st.utime = std::stoull(f[11]);
        st.stime = std::stoull(f[12]);
        st.start_time = std::stoull(f[19]);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    return st;
}

namespace {

std::map<pid_t, pid_t> parents() {
    std::map<pid_t, pid_t> out;
    DIR* proc = ::opendir("/proc");
    if (!proc) return out;
    while (dirent* e = ::readdir(proc)) {
        if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
        auto text = sys::read_file(std::string("/proc/") + e->d_name + "/stat");
        if (!text) continue;
        if (auto st = parse_proc_stat(text.value())) out[st->pid] = st->ppid;
    }
    ::closedir(proc);
    return out;
}

std::string clock_time(unsigned long long ticks) {
    long hz = ::sysconf(_SC_CLK_TCK);
    unsigned long long secs = ticks / static_cast<unsigned long long>(hz);
    return fmt::format("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
}

std::string start_clock(unsigned long long start_ticks) {
    auto uptime = sys::read_file("/proc/uptime");
    double up = uptime ? std::atof(uptime.value().c_str()) : 0;
    long hz = ::sysconf(_SC_CLK_TCK);
    time_t started = ::time(nullptr) - static_cast<time_t>(up - double(start_ticks) / double(hz));
    tm local{};
    ::localtime_r(&started, &local);
    return fmt::format("{:02}:{:02}", local.tm_hour, local.tm_min);
}

std::string user_name(uid_t uid) {
    // The host's name for the uid, as ps on the host shows it (docker top runs ps there).
    auto passwd = sys::read_file("/etc/passwd");
    std::istringstream in(passwd ? passwd.value() : "");
    for (std::string line; std::getline(in, line);) {
        auto c1 = line.find(':'), c2 = line.find(':', c1 + 1), c3 = line.find(':', c2 + 1);
        if (c3 != std::string::npos && line.substr(c2 + 1, c3 - c2 - 1) == std::to_string(uid))
            return line.substr(0, c1);
    }
    return std::to_string(uid);
}

std::string command_line(pid_t pid) {
    auto text = sys::read_file(fmt::format("/proc/{}/cmdline", pid));
    if (!text || text.value().empty()) return "";
    std::string cmd = text.value();
    if (cmd.back() == '\0') cmd.pop_back();
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    return cmd;
}

}  // namespace

std::vector<pid_t> process_tree(pid_t init) {
    auto ppids = parents();
    std::vector<pid_t> out = {init};
    for (size_t i = 0; i < out.size(); ++i)
        for (const auto& [pid, ppid] : ppids)
            if (ppid == out[i]) out.push_back(pid);
    return out;
}

std::vector<ProcessRow> process_rows(const std::vector<pid_t>& pids) {
    std::vector<ProcessRow> rows;
    for (pid_t pid : pids) {
        auto text = sys::read_file(fmt::format("/proc/{}/stat", pid));
        struct stat owner {};
        if (!text || ::stat(fmt::format("/proc/{}", pid).c_str(), &owner) != 0) continue;
        auto st = parse_proc_stat(text.value());
        if (!st) continue;
        int minor = (st->tty_nr & 0xff) | ((st->tty_nr >> 12) & 0xfff00);
        std::string tty = st->tty_nr == 0 ? "?" : fmt::format("pts/{}", minor);
        rows.push_back({user_name(owner.st_uid), std::to_string(pid), std::to_string(st->ppid), "0",
                        start_clock(st->start_time), tty, clock_time(st->utime + st->stime),
                        command_line(pid)});
    }
    return rows;
}

}  // namespace engine::container
