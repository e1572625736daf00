// berth export, cp and commit: a container's filesystem out to tar, files, or a new image.
#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "engine/cli/commands.hpp"
#include "engine/cli/engine_access.hpp"
#include "engine/container/commit.hpp"
#include "engine/container/copy.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::cli {
namespace {

int run_export(const Globals& g, const std::string& ref, const std::string& output) {
    if (output.empty() && ::isatty(STDOUT_FILENO))
        return report(Error{EINVAL, "cowardly refusing to save to a terminal. Use the -o flag or redirect"});
    auto engine = open_engine(g);
    if (!engine) return 1;
    sys::UniqueFd file;
    if (!output.empty()) {
        file.reset(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!file) return report(sys::errno_error("failed to export container: open {}", output));
    }
    auto done = container::export_rootfs(*engine, ref, file ? file.get() : STDOUT_FILENO);
    return done ? 0 : report(done.error());
}

// "NAME:PATH" names a container side; a path with a slash before any colon is local (as docker).
bool split_container_path(const std::string& arg, std::string& ref, std::string& path) {
    auto colon = arg.find(':');
    if (colon == std::string::npos || colon == 0) return false;
    if (arg.find('/') < colon) return false;
    ref = arg.substr(0, colon);
    path = arg.substr(colon + 1);
    return true;
}

int run_cp(const Globals& g, const std::string& src, const std::string& dest) {
    std::string ref, path;
    bool from = split_container_path(src, ref, path);
    std::string dest_ref, dest_path;
    bool to = split_container_path(dest, dest_ref, dest_path);
    if (from == to)
        return report(Error{EINVAL, from ? "copying between containers is not supported"
                                         : "must specify at least one container source"});
    auto engine = open_engine(g);
    if (!engine) return 1;
    auto done = from ? container::copy_from_container(*engine, ref, path, dest)
                     : container::copy_to_container(*engine, dest_ref, src, dest_path);
    return done ? 0 : report(done.error());
}

int run_commit(const Globals& g, const std::vector<std::string>& args, container::CommitRequest request) {
    if (args.size() > 1) {
        auto ref = image::parse_reference(args[1]);
        if (!ref) return report(ref.error());
        request.ref = ref.value();
    }
    auto engine = open_engine(g);
    if (!engine) return 1;
    auto id = container::commit_container(*engine, args[0], request);
    if (!id) return report(id.error());
    std::cout << id.value() << '\n';
    return 0;
}

}  // namespace

void add_filesystem_commands(CLI::App& app, const Globals& g, Action& action) {
    auto output = std::make_shared<std::string>();
    auto ref = std::make_shared<std::string>();
    auto* exp = app.add_subcommand("export", "Export a container's filesystem as a tar archive");
    exp->add_option("-o,--output", *output, "Write to a file, instead of STDOUT");
    exp->add_option("container", *ref, "CONTAINER")->required();
    exp->callback([&action, &g, output, ref] { action = [&g, output, ref] { return run_export(g, *ref, *output); }; });

    auto ends = std::make_shared<std::vector<std::string>>();
    auto* cp = app.add_subcommand("cp", "Copy files/folders between a container and the local filesystem");
    cp->add_option("paths", *ends, "SRC_PATH DEST_PATH (one of them CONTAINER:PATH; - for a tar stream)")
        ->required()->expected(2);
    cp->callback([&action, &g, ends] { action = [&g, ends] { return run_cp(g, (*ends)[0], (*ends)[1]); }; });

    auto request = std::make_shared<container::CommitRequest>();
    auto args = std::make_shared<std::vector<std::string>>();
    auto* commit = app.add_subcommand("commit", "Create a new image from a container's changes");
    commit->add_option("-a,--author", request->author, "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
    commit->add_option("-m,--message", request->message, "Commit message");
    commit->add_option("-c,--change", request->changes, "Apply Dockerfile instruction to the created image")
        ->allow_extra_args(false);
    commit->add_flag("-p,--pause,!--no-pause", request->pause, "Pause container during commit");
    commit->add_option("container", *args, "CONTAINER [REPOSITORY[:TAG]]")->required()->expected(1, 2);
    commit->callback([&action, &g, request, args] {
        action = [&g, request, args] { return run_commit(g, *args, *request); };
    });
}

}  // namespace engine::cli
