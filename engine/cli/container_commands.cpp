// Container lifecycle commands in docker's grammar. Each registers its flags and, when parsed,
// stores an Action that opens the engine and does the work.
#include "engine/cli/commands.hpp"

#include <unistd.h>

#include <iostream>
#include <memory>

#include "engine/cli/attach_client.hpp"
#include "engine/cli/create_flags.hpp"
#include "engine/cli/engine_access.hpp"
#include "engine/container/networking.hpp"
#include "engine/runtime/cgroup.hpp"

namespace engine::cli {
namespace {

// Exit codes docker run uses for its own failures (the container's code otherwise).
constexpr int kRunFailed = 125;
constexpr int kNotFound = 127;
constexpr int kCannotInvoke = 126;

int start_failure_code(const Error& e) {
    if (e.sys_errno == ENOENT && e.message.find("executable file not found") != std::string::npos)
        return kNotFound;
    if (e.sys_errno == EACCES) return kCannotInvoke;
    return kRunFailed;
}

int run_container(const Globals& g, const CreateFlags& flags, bool detach) {
    runtime::prewarm_cgroup_moves();
    auto request = to_create_request(flags);
    if (!request) { report(request.error()); return kRunFailed; }
    auto engine = open_engine(g);
    if (!engine) return kRunFailed;
    auto id = engine->create(request.value());
    if (!id) { report(id.error()); return kRunFailed; }
    auto started = engine->start(id.value(), !detach);
    if (!started) {
        report(started.error());
        if (flags.auto_remove) (void)engine->remove(id.value(), true);
        return start_failure_code(started.error());
    }
    if (detach) {
        std::cout << id.value() << '\n';
        return 0;
    }
    int code = relay_attach(started.value().attach.get(),
                            {flags.interactive, flags.tty, !flags.tty, started.value().pid});
    if (flags.auto_remove) {
        // As docker run --rm: return once the container is gone (the shim removes it).
        for (int i = 0; i < 1000 && engine->find(id.value()); ++i) ::usleep(5000);
        container::forget_networking(engine->options(), id.value());
        return code;
    }
    if (auto waited = engine->wait(id.value())) code = waited.value();
    return code;
}

void add_run(CLI::App& app, const Globals& g, Action& action) {
    auto flags = std::make_shared<CreateFlags>();
    auto detach = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("run", "Create and run a new container from an image");
    add_create_flags(*cmd, *flags);
    cmd->add_flag("-d,--detach", *detach, "Run container in background and print container ID");
    cmd->callback([&action, &g, flags, detach, cmd] {
        flags->entrypoint_set = cmd->count("--entrypoint") > 0;
        flags->image_and_command = {flags->image};
        for (auto& extra : cmd->remaining()) flags->image_and_command.push_back(extra);
        action = [&g, flags, detach] { return run_container(g, *flags, *detach); };
    });
}

void add_create(CLI::App& app, const Globals& g, Action& action) {
    auto flags = std::make_shared<CreateFlags>();
    auto* cmd = app.add_subcommand("create", "Create a new container");
    add_create_flags(*cmd, *flags);
    cmd->callback([&action, &g, flags, cmd] {
        flags->entrypoint_set = cmd->count("--entrypoint") > 0;
        flags->image_and_command = {flags->image};
        for (auto& extra : cmd->remaining()) flags->image_and_command.push_back(extra);
        action = [&g, flags] {
            auto request = to_create_request(*flags);
            if (!request) return report(request.error());
            auto engine = open_engine(g);
            if (!engine) return 1;
            auto id = engine->create(request.value());
            if (!id) return report(id.error());
            std::cout << id.value() << '\n';
            return 0;
        };
    });
}

void add_start(CLI::App& app, const Globals& g, Action& action) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto attach = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("start", "Start one or more stopped containers");
    cmd->add_flag("-a,--attach", *attach, "Attach STDOUT/STDERR and forward signals");
    cmd->add_option("container", *refs, "CONTAINER...")->required();
    cmd->callback([&action, &g, refs, attach] {
        action = [&g, refs, attach]() -> int {
            runtime::prewarm_cgroup_moves();
            auto engine = open_engine(g);
            if (!engine) return 1;
            if (*attach && refs->size() == 1) {
                auto started = engine->start(refs->front(), true);
                if (!started) return report(started.error());
                auto record = engine->find(refs->front());
                bool tty = record && record.value().config.value("Tty", false);
                return relay_attach(started.value().attach.get(), {false, tty, !tty, started.value().pid});
            }
            return for_each_ref(*refs, [&](const std::string& r) -> Status {
                auto s = engine->start(r);
                if (!s) return s.error();
                return sys::ok();
            });
        };
    });
}

// Commands of the shape `verb [flags] CONTAINER...` that print each reference on success.
void add_simple(CLI::App& app, const Globals& g, Action& action, const std::string& name,
                const std::string& help,
                std::function<Status(container::Containers&, const std::string&)> op,
                std::function<void(CLI::App&)> flags = {}) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto* cmd = app.add_subcommand(name, help);
    if (flags) flags(*cmd);
    cmd->add_option("container", *refs, "CONTAINER...")->required();
    cmd->callback([&action, &g, refs, op] {
        action = [&g, refs, op] {
            auto engine = open_engine(g);
            if (!engine) return 1;
            return for_each_ref(*refs, [&](const std::string& r) { return op(*engine, r); });
        };
    });
}

void add_lifecycle(CLI::App& app, const Globals& g, Action& action) {
    auto timeout = std::make_shared<std::optional<int>>();
    auto timeout_flag = [timeout](CLI::App& c) {
        c.add_option("-t,--time", *timeout, "Seconds to wait before killing the container");
    };
    add_simple(app, g, action, "stop", "Stop one or more running containers",
               [timeout](auto& e, auto& r) { return e.stop(r, *timeout); }, timeout_flag);
    add_simple(app, g, action, "restart", "Restart one or more containers",
               [timeout](auto& e, auto& r) { return e.restart(r, *timeout); }, timeout_flag);
    auto signal = std::make_shared<std::string>("KILL");
    add_simple(app, g, action, "kill", "Kill one or more running containers",
               [signal](auto& e, auto& r) { return e.kill(r, *signal); },
               [signal](CLI::App& c) { c.add_option("-s,--signal", *signal, "Signal to send to the container"); });
    auto force = std::make_shared<bool>(false);
    auto volumes = std::make_shared<bool>(false);
    add_simple(app, g, action, "rm", "Remove one or more containers",
               [force, volumes](auto& e, auto& r) { return e.remove(r, *force, *volumes); },
               [force, volumes](CLI::App& c) {
                   c.add_flag("-f,--force", *force, "Force the removal of a running container (uses SIGKILL)");
                   c.add_flag("-v,--volumes", *volumes, "Remove anonymous volumes associated with the container");
               });
    add_simple(app, g, action, "pause", "Pause all processes within one or more containers",
               [](auto& e, auto& r) { return e.pause(r); });
    add_simple(app, g, action, "unpause", "Unpause all processes within one or more containers",
               [](auto& e, auto& r) { return e.unpause(r); });
}

void add_wait_rename(CLI::App& app, const Globals& g, Action& action) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto* wait = app.add_subcommand("wait", "Block until one or more containers stop, then print their exit codes");
    wait->add_option("container", *refs, "CONTAINER...")->required();
    wait->callback([&action, &g, refs] {
        action = [&g, refs] {
            auto engine = open_engine(g);
            if (!engine) return 1;
            int code = 0;
            for (const auto& r : *refs) {
                auto exit = engine->wait(r);
                if (!exit) code = report(exit.error());
                else std::cout << exit.value() << '\n';
            }
            return code;
        };
    });
    auto names = std::make_shared<std::vector<std::string>>();
    auto* rename = app.add_subcommand("rename", "Rename a container");
    rename->add_option("names", *names, "CONTAINER NEW_NAME")->required()->expected(2);
    rename->callback([&action, &g, names] {
        action = [&g, names] {
            auto engine = open_engine(g);
            if (!engine) return 1;
            if (auto s = engine->rename((*names)[0], (*names)[1]); !s) return report(s.error());
            return 0;
        };
    });
}

}  // namespace

void add_ps(CLI::App& app, const Globals& g, Action& action);
void add_container_inspect(CLI::App& app, const Globals& g, Action& action);
void add_observe_commands(CLI::App& app, const Globals& g, Action& action);
void add_exec(CLI::App& app, const Globals& g, Action& action);
void add_filesystem_commands(CLI::App& app, const Globals& g, Action& action);

namespace {

void add_all(CLI::App& app, const Globals& g, Action& action) {
    add_run(app, g, action);
    add_create(app, g, action);
    add_start(app, g, action);
    add_lifecycle(app, g, action);
    add_wait_rename(app, g, action);
    add_ps(app, g, action);
    add_container_inspect(app, g, action);
    add_observe_commands(app, g, action);
    add_exec(app, g, action);
    add_filesystem_commands(app, g, action);
}

}  // namespace

void add_container_commands(CLI::App& app, const Globals& g, Action& action, Parts parts) {
    // What a part leaves out is registered on a scratch app, whose callbacks never run.
    CLI::App scratch_top, scratch_group;
    CLI::App* top = parts == Parts::kGroup ? &scratch_top : &app;
    CLI::App* group = &scratch_group;
    if (parts != Parts::kGroup) add_all(app, g, action);
    if (parts != Parts::kTopLevel) {
        // `berth container ls|rm|...`, docker's management-command spelling of the same commands.
        group = app.add_subcommand("container", "Manage containers");
        group->require_subcommand(1);
        add_all(*group, g, action);
        group->get_subcommand("ps")->alias("ls")->alias("list");
        group->get_subcommand("rm")->alias("remove");
    }
    void add_logs_command(CLI::App&, CLI::App&, const Globals&, Action&); add_logs_command(*top, *group, g, action);
    // `berth network ...` comes with the groups: it has no top-level spelling.
    void add_network_commands(CLI::App&, const Globals&, Action&);
    if (parts != Parts::kTopLevel) add_network_commands(app, g, action);
}

}  // namespace engine::cli
