// berth exec: a new process in a running container, parented by this command (as `crun exec`),
// with this terminal's stdio, or a pty relayed to it with -t.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "engine/cli/commands.hpp"
#include "engine/cli/engine_access.hpp"
#include "engine/container/seccomp_cache.hpp"
#include "engine/container/spec_builder.hpp"
#include "engine/runtime/launcher.hpp"
#include "engine/shim/shim.hpp"
#include "engine/sys/files.hpp"

namespace engine::cli {
namespace {

struct ExecFlags {
    bool interactive = false, tty = false, detach = false, privileged = false;
    std::vector<std::string> env;
    std::string user, workdir;
    std::vector<std::string> command;
};

Result<runtime::ExecSpec> exec_spec(const container::Containers& engine,
                                    const container::ContainerRecord& record, const ExecFlags& f) {
    auto text = sys::read_file(engine.dir(record) + "/" + shim::kSpecFile);
    if (!text) return text.error();
    runtime::ContainerSpec spec = nlohmann::json::parse(text.value()).get<runtime::ContainerSpec>();
    runtime::ExecSpec exec;
    exec.args = f.command;
    exec.env = container::merge_env(spec.env, f.env).get<std::vector<std::string>>();
    if (f.tty) exec.env = container::merge_env(exec.env, {"TERM=xterm"}).get<std::vector<std::string>>();
    exec.cwd = f.workdir.empty() ? spec.cwd : f.workdir;
    exec.user = f.user.empty() ? spec.user : f.user;
    exec.terminal = f.tty;
    exec.privileged = f.privileged || spec.privileged;
    exec.capabilities = spec.capabilities;
    exec.no_new_privileges = spec.no_new_privileges;
    exec.seccomp = exec.privileged ? "unconfined" : spec.seccomp;
    auto program = container::cached_seccomp_program(engine.runtime_dir() + "/seccomp", exec.seccomp,
                                                     exec.capabilities);
    if (!program) return program.error();
    exec.seccomp_program_file = program.value();
    return exec;
}

// Copies between our terminal and the pty's controlling side until the process exits.
void relay_pty(int master, pid_t pid) {
    termios saved{};
    bool raw = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (raw) {
        termios t = saved;
        ::cfmakeraw(&t);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
        winsize ws{};
        if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
    }
    char buf[65536];
    for (bool open_in = true;;) {
        pollfd fds[2] = {{master, POLLIN, 0}, {open_in ? STDIN_FILENO : -1, POLLIN, 0}};
        if (::poll(fds, 2, 200) < 0 && errno != EINTR) break;
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(master, buf, sizeof buf);
            if (n <= 0) break;
            (void)!::write(STDOUT_FILENO, buf, static_cast<size_t>(n));
        }
        if (fds[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n <= 0) open_in = false;
            else (void)!::write(master, buf, static_cast<size_t>(n));
        }
        if (::waitpid(pid, nullptr, WNOHANG | WNOWAIT) == pid && !(fds[0].revents & POLLIN)) break;
    }
    if (raw) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 125;
}

int run_exec(const Globals& g, const std::string& ref, const ExecFlags& f) {
    auto engine = open_engine(g);
    if (!engine) return 1;
    auto record = engine->find(ref);
    if (!record) return report(record.error());
    auto state = engine->state(record.value());
    if (!state.running) return report(Error{EINVAL, fmt::format("container {} is not running", record.value().id)});
    if (state.paused) return report(Error{EINVAL, fmt::format("container {} is paused, unpause the container before exec", record.value().id)});
    auto spec = exec_spec(*engine, record.value(), f);
    if (!spec) return report(spec.error());
    if (f.detach && ::fork() != 0) return 0;
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    runtime::Stdio stdio{f.interactive ? STDIN_FILENO : null, STDOUT_FILENO, STDERR_FILENO};
    if (f.tty) {
        // The terminal itself is made in the container's devpts, at our terminal's size.
        stdio = {null, null, null};
        winsize ws{};
        if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
            spec.value().console_rows = ws.ws_row;
            spec.value().console_cols = ws.ws_col;
        }
    }
    auto helper = engine->shim_binary();
    if (!helper) return report(helper.error());
    auto started = runtime::launch_exec_via(helper.value(), spec.value(), state.pid, stdio);
    if (!started) {
        report(started.error());
        return started.error().sys_errno == ENOENT ? 127 : started.error().sys_errno == EACCES ? 126 : 125;
    }
    pid_t pid = started.value().pid;
    if (f.tty) {
        relay_pty(started.value().console, pid);
        ::close(started.value().console);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return exit_code_of(status);
}

}  // namespace

void add_exec(CLI::App& app, const Globals& g, Action& action) {
    auto f = std::make_shared<ExecFlags>();
    auto ref = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("exec", "Execute a command in a running container");
    cmd->add_flag("-i,--interactive", f->interactive, "Keep STDIN open even if not attached");
    cmd->add_flag("-t,--tty", f->tty, "Allocate a pseudo-TTY");
    cmd->add_flag("-d,--detach", f->detach, "Detached mode: run command in the background");
    cmd->add_flag("--privileged", f->privileged, "Give extended privileges to the command");
    cmd->add_option("-e,--env", f->env, "Set environment variables")->allow_extra_args(false);
    cmd->add_option("-u,--user", f->user, "Username or UID (format: <name|uid>[:<group|gid>])");
    cmd->add_option("-w,--workdir", f->workdir, "Working directory inside the container");
    cmd->add_option("container", *ref, "CONTAINER")->required();
    cmd->prefix_command(true);
    cmd->callback([&action, &g, f, ref, cmd] {
        f->command = cmd->remaining();
        action = [&g, f, ref] {
            if (f->command.empty()) return report(Error{EINVAL, "\"exec\" requires at least 2 arguments"});
            return run_exec(g, *ref, *f);
        };
    });
}

}  // namespace engine::cli
