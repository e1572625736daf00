// stop, kill, restart, rm, pause, unpause, rename, wait.
#include "engine/container/containers.hpp"

#include <signal.h>

#include <cctype>
#include <map>

#include "engine/container/mounts.hpp"
#include "engine/container/networking.hpp"
#include "engine/container/processes.hpp"
#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/launcher.hpp"

namespace engine::container {
namespace {

constexpr int kDefaultStopTimeout = 10;


}  // namespace

int parse_signal(const std::string& text) {
    static const std::map<std::string, int> names = {
        {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL}, {"TRAP", SIGTRAP},
        {"ABRT", SIGABRT}, {"BUS", SIGBUS}, {"FPE", SIGFPE}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
        {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
        {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},
        {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
        {"URG", SIGURG}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
        {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO}, {"PWR", SIGPWR}, {"SYS", SIGSYS}};
    if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) {
        int n = std::stoi(text);
        return n > 0 && n <= SIGRTMAX ? n : 0;
    }
    std::string upper;
    for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper.rfind("SIG", 0) == 0) upper = upper.substr(3);
    auto it = names.find(upper);
    return it == names.end() ? 0 : it->second;
}

Status Containers::signal_process(const ContainerRecord& record, int signal) const {
    LiveState s = state(record);
    if (!s.running)
        return Error{EINVAL, fmt::format("cannot kill container: {}: container {} is not running",
                                         record.name, record.id)};
    // observe() checked the pid against its recorded start time, so this is our process.
    if (::kill(s.pid, signal) != 0 && errno != ESRCH)
        return sys::errno_error("signal container {}", record.name);
    return sys::ok();
}

Status Containers::kill(const std::string& ref, const std::string& signal) {
    auto record = store_.find(ref);
    if (!record) return record.error();
    int sig = parse_signal(signal);
    if (sig == 0) return Error{EINVAL, fmt::format("invalid signal: {}", signal)};
    record.value().manually_stopped = true;
    if (auto saved = store_.save(record.value()); !saved) return saved;
    if (record.value().paused && sig == SIGKILL) (void)set_paused(ref, false);
    auto signalled = signal_process(record.value(), sig);
    if (signalled && sig == SIGKILL && shim::wait_exit(store_.dir(record.value().id), 5000))
        Networking(options_).teardown(record.value().id);
    return signalled;
}

Status Containers::stop(const std::string& ref, std::optional<int> timeout_s) {
    auto found = store_.find(ref);
    if (!found) return found.error();
    ContainerRecord record = found.value();
    record.manually_stopped = true;
    if (auto saved = store_.save(record); !saved) return saved;
    // Whichever way it ends, a container that is not running keeps no network attachment.
    struct TeardownWhenStopped {
        const Containers& self;
        const ContainerRecord& record;
        ~TeardownWhenStopped() {
            if (!self.state(record).running) Networking(self.options()).teardown(record.id);
        }
    } teardown{*this, record};
    if (!state(record).running) return sys::ok();
    int timeout = timeout_s.value_or(record.config.value("StopTimeout", kDefaultStopTimeout));
    int sig = parse_signal(record.config.value("StopSignal", "SIGTERM"));
    if (record.paused) (void)set_paused(ref, false);
    // timeout -1 waits forever, 0 kills at once (docker stop -t semantics).
    if (timeout != 0) {
        if (auto s = signal_process(record, sig ? sig : SIGTERM); !s) return s;
        if (shim::wait_exit(store_.dir(record.id), timeout < 0 ? -1 : timeout * 1000)) return sys::ok();
    }
    if (auto s = signal_process(record, SIGKILL); !s && state(record).running) return s;
    auto exited = shim::wait_exit(store_.dir(record.id), -1);
    if (!exited) return exited.error();
    return release_volumes(options_.root, load_mounts(store_.dir(record.id)), busy_volumes(record.id), false);
}

Status Containers::restart(const std::string& ref, std::optional<int> timeout_s) {
    if (auto stopped = stop(ref, timeout_s); !stopped) return stopped;
    auto started = start(ref);
    if (!started) return started.error();
    return sys::ok();
}

Status Containers::remove(const std::string& ref, bool force, bool remove_volumes) {
    auto found = store_.find(ref);
    if (!found) return found.error();
    const ContainerRecord& record = found.value();
    if (state(record).running) {
        if (!force)
            return Error{EBUSY, fmt::format(
                "cannot remove container \"/{}\": container is running: stop the container before "
                "removing or force remove", record.name)};
        if (record.paused) (void)set_paused(ref, false);
        if (auto killed = signal_process(record, SIGKILL); !killed) return killed;
        if (auto exited = shim::wait_exit(store_.dir(record.id), -1); !exited) return exited.error();
    }
    // A shim that died abnormally cannot have removed the cgroup; an empty one is removed here.
    (void)runtime::destroy_cgroup(cgroup_parent_of(record), record.id);
    auto mounts = load_mounts(store_.dir(record.id));  // read before the directory goes
    Networking(options_).forget(record.id);
    if (auto s = store_.remove(record.id); !s) return s;
    return release_volumes(options_.root, mounts, busy_volumes(record.id), remove_volumes);
}

std::set<std::string> Containers::busy_volumes(const std::string& except_id) const {
    std::set<std::string> busy;
    for (const auto& other : store_.list())
        if (other.id != except_id && state(other).running)
            for (const auto& m : load_mounts(store_.dir(other.id))) busy.insert(m.source);
    return busy;
}

Status Containers::set_paused(const std::string& ref, bool paused) {
    auto found = store_.find(ref);
    if (!found) return found.error();
    ContainerRecord record = found.value();
    LiveState s = state(record);
    if (!s.running)
        return Error{EINVAL, fmt::format("container {} is not running", record.id)};
    if (s.paused == paused)
        return Error{EINVAL, paused ? fmt::format("container {} is already paused", record.id)
                                    : fmt::format("container {} is not paused", record.id)};
    auto cgroup = runtime::open_cgroup(cgroup_parent_of(record), record.id);
    if (!cgroup) return Error{ENOTSUP, "pause: the freezer cgroup is not available"};
    if (auto frozen = cgroup->freeze(paused); !frozen) return frozen;
    record.paused = paused;
    return store_.save(record);
}

Status Containers::pause(const std::string& ref) { return set_paused(ref, true); }
Status Containers::unpause(const std::string& ref) { return set_paused(ref, false); }

Status Containers::rename(const std::string& ref, const std::string& new_name) {
    auto found = store_.find(ref);
    if (!found) return found.error();
    if (!valid_container_name(new_name))
        return Error{EINVAL, fmt::format("Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                         "are allowed", new_name)};
    auto lock = store_.lock();
    if (!lock) return lock.error();
    return store_.rename(found.value().id, new_name[0] == '/' ? new_name.substr(1) : new_name);
}

Result<std::vector<pid_t>> Containers::pids(const std::string& ref) const {
    auto found = store_.find(ref);
    if (!found) return found.error();
    LiveState s = state(found.value());
    if (!s.running)
        return Error{EINVAL, fmt::format("container {} is not running", found.value().id)};
    if (auto cgroup = runtime::open_cgroup(cgroup_parent_of(found.value()), found.value().id))
        if (auto pids = cgroup->pids(); pids && !pids.value().empty()) return pids.value();
    return process_tree(s.pid);
}

Result<int> Containers::wait(const std::string& ref) {
    auto found = store_.find(ref);
    if (!found) return found.error();
    if (state(found.value()).running) {
        auto exited = shim::wait_exit(store_.dir(found.value().id), -1);
        if (!exited) return exited.error();
        return exited.value().exit_code;
    }
    return state(found.value()).exit_code;
}

}  // namespace engine::container
