// `berth save` and `berth load` (and `image save|load`), in docker's grammar.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "engine/cli/commands.hpp"
#include "engine/cli/engine_access.hpp"
#include "engine/image/load.hpp"
#include "engine/image/save.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::cli {
namespace {

struct SaveFlags {
    std::vector<std::string> images;
    std::string output, format;
};

struct LoadFlags {
    std::string input;
    bool quiet = false;
};

// Written beside the target and renamed over it at the end, so a failed save leaves no partial
// archive under the requested name (docker's CLI does the same).
class OutputFile {
public:
    explicit OutputFile(std::string path) : path_(std::move(path)), temp_(path_ + ".berth-tmp-XXXXXX") {}
    ~OutputFile() {
        if (fd_) ::unlink(temp_.c_str());
    }
    Result<int> open() {
        std::string parent = path_.find('/') == std::string::npos ? "." : path_.substr(0, path_.rfind('/') + 1);
        struct stat st {};
        if (::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return Error{ENOENT, fmt::format("failed to save image: invalid output path: directory \"{}\" does not exist",
                                             parent == "/" ? parent : parent.substr(0, parent.size() - 1))};
        fd_.reset(::mkostemp(temp_.data(), O_CLOEXEC));
        if (!fd_) return sys::errno_error("failed to save image: create {}", path_);
        (void)::fchmod(fd_.get(), 0644);  // mkostemp creates 0600; docker save -o gives 0644
        return fd_.get();
    }
    Status commit() {
        if (::fsync(fd_.get()) != 0) return sys::errno_error("failed to save image: write {}", path_);
        if (::rename(temp_.c_str(), path_.c_str()) != 0) return sys::errno_error("failed to save image: rename to {}", path_);
        fd_.reset();
        return sys::ok();
    }

private:
    std::string path_, temp_;
    sys::UniqueFd fd_;
};

int run_save(const Globals& g, const SaveFlags& f) {
    if (f.output.empty() && ::isatty(STDOUT_FILENO))
        return report(Error{ENOTTY, "cowardly refusing to save to a terminal. Use the -o flag or redirect"});
    auto format = image::parse_save_format(f.format);
    if (!format) return report(format.error());
    auto store = image::ImageStore::open(g.root);
    if (!store) return report(store.error());
    // Every name is resolved before a byte is written: an unknown image leaves no output.
    auto items = image::resolve_save_items(store.value(), f.images);
    if (!items) return report(items.error());
    if (f.output.empty()) {
        auto saved = image::write_save_archive(store.value(), items.value(), STDOUT_FILENO, format.value());
        return saved ? 0 : report(saved.error());
    }
    OutputFile out(f.output);
    auto fd = out.open();
    if (!fd) return report(fd.error());
    auto saved = image::write_save_archive(store.value(), items.value(), fd.value(), format.value());
    if (!saved) return report(saved.error());
    if (auto committed = out.commit(); !committed) return report(committed.error());
    return 0;
}

int run_load(const Globals& g, const LoadFlags& f) {
    sys::UniqueFd file;
    if (!f.input.empty() && f.input != "-") {
        file.reset(::open(f.input.c_str(), O_RDONLY | O_CLOEXEC));
        if (!file) return report(sys::errno_error("open {}", f.input));
    } else if (::isatty(STDIN_FILENO)) {
        return report(Error{ENOTTY, "requested load from stdin, but stdin is empty"});
    }
    auto store = image::ImageStore::open(g.root);
    if (!store) return report(store.error());
    // The archive is extracted next to the store, on the same filesystem as its blobs.
    image::LoadOptions options{g.root + "/image/tmp"};
    // -q only silences docker's progress bars; berth prints none, and the result lines stay.
    auto loaded = image::load_images(store.value(), file ? file.get() : STDIN_FILENO, options,
                                     [](const std::string& line) { std::cout << line << std::endl; });
    return loaded ? 0 : report(loaded.error());
}

void add_save(CLI::App& app, const Globals& g, Action& action) {
    auto f = std::make_shared<SaveFlags>();
    auto* cmd = app.add_subcommand("save", "Save one or more images to a tar archive (streamed to STDOUT by default)");
    cmd->add_option("image", f->images, "IMAGE...")->required();
    cmd->add_option("-o,--output", f->output, "Write to a file, instead of STDOUT");
    cmd->add_option("--format", f->format, "Write only the \"docker\" archive or only the \"oci\" layout (default both)");
    cmd->callback([&action, &g, f] { action = [&g, f] { return run_save(g, *f); }; });
}

void add_load(CLI::App& app, const Globals& g, Action& action) {
    auto f = std::make_shared<LoadFlags>();
    auto* cmd = app.add_subcommand("load", "Load an image from a tar archive or STDIN");
    cmd->add_option("-i,--input", f->input, "Read from tar archive file, instead of STDIN");
    cmd->add_flag("-q,--quiet", f->quiet, "Suppress the load output");
    cmd->callback([&action, &g, f] { action = [&g, f] { return run_load(g, *f); }; });
}

}  // namespace

/// save and load, registered on the top level and on the `image` group.
void add_transfer_commands(CLI::App& app, CLI::App& image_group, const Globals& g, Action& action) {
    add_save(app, g, action);
    add_load(app, g, action);
    add_save(image_group, g, action);
    add_load(image_group, g, action);
}

}  // namespace engine::cli
