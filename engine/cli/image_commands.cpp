// Image commands in docker's grammar: import, images, tag, rmi, history, and the `image` group
// (ls, rm, tag, history, import, inspect, prune). Each registers its flags and, when parsed,
// stores an Action that opens the image store and does the work.
#include <fcntl.h>

#include <iostream>
#include <memory>
#include <optional>

#include "engine/cli/commands.hpp"
#include "engine/cli/engine_access.hpp"
#include "engine/cli/format.hpp"
#include "engine/container/usage.hpp"
#include "engine/image/import.hpp"
#include "engine/image/removal.hpp"
#include "engine/image/views.hpp"
#include "engine/sys/clock.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::cli {
namespace {

using nlohmann::json;

const std::map<std::string, std::string> kHeaders = {
    {"ID", "IMAGE ID"}, {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"}, {"CreatedBy", "CREATED BY"}};

std::optional<image::ImageStore> open_store(const Globals& g) {
    auto store = image::ImageStore::open(g.root);
    if (!store) {
        report(store.error());
        return std::nullopt;
    }
    return std::move(store.value());
}

std::string short_id(const std::string& id, bool no_trunc) { return no_trunc ? id : id.substr(7, 12); }

std::string created_since(const std::string& created) {
    auto t = sys::parse_rfc3339(created);
    return t ? sys::human_duration(sys::now_ns() - *t) + " ago" : "N/A";
}

// Go's time.Time.String() in UTC, as docker prints CreatedAt.
std::string created_at(const std::string& created) {
    auto t = sys::parse_rfc3339(created);
    if (!t) return "";
    std::time_t secs = static_cast<std::time_t>(*t / 1000000000);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
    return buf;
}

int print_or_report(const std::string& format, const std::string& table, const std::vector<json>& rows,
                    const std::map<std::string, std::string>& headers = kHeaders) {
    if (auto printed = print_rows(std::cout, format, table, rows, headers); !printed) return report(printed.error());
    return 0;
}

// ---- import ----------------------------------------------------------------------------

struct ImportFlags {
    std::string source, ref, message;
    std::vector<std::string> changes;
};

int run_import(const Globals& g, const ImportFlags& f) {
    if (f.source.rfind("http://", 0) == 0 || f.source.rfind("https://", 0) == 0)
        return report(Error{ENOTSUP, "import from a URL is not supported: download it and import the file"});
    // docker streams a file to the daemon as the request body, so it records "Imported from -".
    image::ImportRequest request{"-", std::nullopt, f.changes, f.message};
    if (!f.ref.empty()) {
        auto ref = image::parse_reference(f.ref);
        if (!ref) return report(ref.error());
        request.ref = ref.value();
    }
    sys::UniqueFd file;
    if (f.source != "-") {
        file.reset(::open(f.source.c_str(), O_RDONLY | O_CLOEXEC));
        if (!file) return report(sys::errno_error("open {}", f.source));
    }
    auto store = open_store(g);
    if (!store) return 1;
    auto id = image::import_image(*store, file ? file.get() : STDIN_FILENO, request);
    if (!id) return report(id.error());
    std::cout << id.value() << '\n';
    return 0;
}

void add_import(CLI::App& app, const Globals& g, Action& action) {
    auto f = std::make_shared<ImportFlags>();
    auto* cmd = app.add_subcommand("import", "Import the contents from a tarball to create a filesystem image");
    cmd->add_option("file", f->source, "FILE|-")->required();
    cmd->add_option("reference", f->ref, "REPOSITORY[:TAG]");
    cmd->add_option("-c,--change", f->changes, "Apply Dockerfile instruction to the created image")->allow_extra_args(false);
    cmd->add_option("-m,--message", f->message, "Set commit message for imported image");
    cmd->callback([&action, &g, f] { action = [&g, f] { return run_import(g, *f); }; });
}

// ---- images ----------------------------------------------------------------------------

struct ImagesFlags {
    bool all = false, quiet = false, no_trunc = false, digests = false;
    std::vector<std::string> filters;
    std::string format, reference;
};

json image_row(const image::ListedImage& l, bool no_trunc) {
    std::string created = l.image.config.value("created", "");
    std::string size = human_size(static_cast<double>(l.image.size));
    return {{"Containers", "N/A"}, {"CreatedAt", created_at(created)}, {"CreatedSince", created_since(created)},
            {"Digest", l.digest},  {"ID", short_id(l.image.id, no_trunc)}, {"Repository", l.repository},
            {"SharedSize", "N/A"}, {"Size", size}, {"Tag", l.tag}, {"UniqueSize", "N/A"}, {"VirtualSize", size}};
}

// -a would add intermediate images; berth stores no build parents, so every image is listed.
int run_images(const Globals& g, const ImagesFlags& f) {
    auto store = open_store(g);
    if (!store) return 1;
    auto listed = image::list_images(*store, {f.filters, f.reference});
    if (!listed) return report(listed.error());
    std::vector<json> rows;
    for (const auto& l : listed.value()) rows.push_back(image_row(l, f.no_trunc));
    std::string table = f.digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                                  : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    return print_or_report(f.quiet ? "{{.ID}}" : f.format, table, rows);
}

void add_images(CLI::App& app, const std::string& name, const Globals& g, Action& action) {
    auto f = std::make_shared<ImagesFlags>();
    auto* cmd = app.add_subcommand(name, "List images");
    cmd->add_option("reference", f->reference, "REPOSITORY[:TAG]");
    cmd->add_flag("-a,--all", f->all, "Show all images (default hides intermediate images)");
    cmd->add_flag("-q,--quiet", f->quiet, "Only show image IDs");
    cmd->add_flag("--no-trunc", f->no_trunc, "Don't truncate output");
    cmd->add_flag("--digests", f->digests, "Show digests");
    cmd->add_option("-f,--filter", f->filters, "Filter output based on conditions provided")->allow_extra_args(false);
    cmd->add_option("--format", f->format, "Format output using a custom template");
    cmd->callback([&action, &g, f] { action = [&g, f] { return run_images(g, *f); }; });
}

// ---- tag, rmi --------------------------------------------------------------------------

int run_tag(const Globals& g, const std::string& source, const std::string& target) {
    auto ref = image::parse_reference(target);
    if (!ref) return report(ref.error());
    if (!ref.value().digest.empty()) return report(Error{EINVAL, "refusing to create a tag with a digest reference"});
    auto store = open_store(g);
    if (!store) return 1;
    auto id = store->resolve(source);
    if (!id) return report(id.error());
    if (auto tagged = store->tag(id.value(), ref.value()); !tagged) return report(tagged.error());
    return 0;
}

void add_tag(CLI::App& app, const Globals& g, Action& action) {
    auto args = std::make_shared<std::vector<std::string>>();
    auto* cmd = app.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
    cmd->add_option("images", *args, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")->required()->expected(2);
    cmd->callback([&action, &g, args] { action = [&g, args] { return run_tag(g, (*args)[0], (*args)[1]); }; });
}

int run_rmi(const Globals& g, const std::vector<std::string>& refs, bool force) {
    auto store = open_store(g);
    if (!store) return 1;
    int code = 0;
    for (const auto& ref : refs) {
        // Re-read per reference: an earlier one may have removed a container's last image name.
        auto removed = image::remove_image_ref(*store, ref, force, container::images_in_use(g.root));
        if (!removed) code = report(removed.error());
        else for (const auto& line : removed.value()) std::cout << line << '\n';
    }
    return code;
}

void add_rmi(CLI::App& app, const std::string& name, const Globals& g, Action& action) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto force = std::make_shared<bool>(false);
    auto no_prune = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand(name, "Remove one or more images");
    cmd->add_option("image", *refs, "IMAGE...")->required();
    cmd->add_flag("-f,--force", *force, "Force removal of the image");
    cmd->add_flag("--no-prune", *no_prune, "Do not delete untagged parents (berth images have none)");
    cmd->callback([&action, &g, refs, force] { action = [&g, refs, force] { return run_rmi(g, *refs, *force); }; });
}

// ---- history ---------------------------------------------------------------------------

struct HistoryFlags {
    std::string image, format;
    bool quiet = false, no_trunc = false, human = true;
};

json history_row(const image::HistoryRow& h, const HistoryFlags& f) {
    std::string id = h.id == "<missing>" ? h.id : short_id(h.id, f.no_trunc);
    std::string by = h.created_by;
    std::replace(by.begin(), by.end(), '\t', ' ');
    if (!f.no_trunc && by.size() > 45) by = by.substr(0, 44) + "…";
    return {{"ID", id},
            {"CreatedSince", f.human ? created_since(h.created) : h.created},
            {"CreatedAt", f.human ? created_at(h.created) : h.created},
            {"CreatedBy", by},
            {"Size", f.human ? human_size(static_cast<double>(h.size)) : std::to_string(h.size)},
            {"Comment", h.comment}};
}

int run_history(const Globals& g, const HistoryFlags& f) {
    auto store = open_store(g);
    if (!store) return 1;
    auto img = store->get(f.image);
    if (!img) return report(img.error());
    std::vector<json> rows;
    for (const auto& h : image::image_history(*store, img.value())) rows.push_back(history_row(h, f));
    return print_or_report(f.quiet ? "{{.ID}}" : f.format,
                           "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", rows,
                           {{"ID", "IMAGE"}, {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"}, {"CreatedBy", "CREATED BY"}});
}

void add_history(CLI::App& app, const Globals& g, Action& action) {
    auto f = std::make_shared<HistoryFlags>();
    auto* cmd = app.add_subcommand("history", "Show the history of an image");
    cmd->add_option("image", f->image, "IMAGE")->required();
    cmd->add_flag("-q,--quiet", f->quiet, "Only show image IDs");
    cmd->add_flag("--no-trunc", f->no_trunc, "Don't truncate output");
    cmd->add_flag("--human,!--no-human", f->human, "Print sizes and dates in human readable format");
    cmd->add_option("--format", f->format, "Format output using a custom template");
    cmd->callback([&action, &g, f] { action = [&g, f] { return run_history(g, *f); }; });
}

// ---- image inspect, image prune -------------------------------------------------------

int run_inspect(const Globals& g, const std::vector<std::string>& refs, const std::string& format) {
    auto store = open_store(g);
    if (!store) return 1;
    std::vector<nlohmann::ordered_json> docs;
    int code = 0;
    for (const auto& ref : refs) {
        auto img = store->get(ref);
        if (!img) code = report(img.error());
        else docs.push_back(image::inspect_image(img.value()));
    }
    if (auto printed = print_documents(std::cout, nlohmann::ordered_json(docs), format); !printed)
        return report(printed.error());
    return code;
}

void add_inspect(CLI::App& app, const Globals& g, Action& action) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto format = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("inspect", "Display detailed information on one or more images");
    cmd->add_option("image", *refs, "IMAGE...")->required();
    cmd->add_option("-f,--format", *format, "Format output using a custom template");
    cmd->callback([&action, &g, refs, format] { action = [&g, refs, format] { return run_inspect(g, *refs, *format); }; });
}

bool confirm(bool all) {
    std::cout << (all ? "WARNING! This will remove all images without at least one container associated to them.\n"
                      : "WARNING! This will remove all dangling images.\n")
              << "Are you sure you want to continue? [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "y" || answer == "Y" || answer == "yes";
}

int run_prune(const Globals& g, bool all, bool force) {
    if (!force && !confirm(all)) return 0;
    auto store = open_store(g);
    if (!store) return 1;
    auto pruned = image::prune_images(*store, all, container::images_in_use(g.root));
    if (!pruned) return report(pruned.error());
    if (!pruned.value().lines.empty()) {
        std::cout << "Deleted Images:\n";
        for (const auto& line : pruned.value().lines) std::cout << line << '\n';
        std::cout << '\n';
    }
    std::cout << "Total reclaimed space: " << human_size(static_cast<double>(pruned.value().reclaimed)) << '\n';
    return 0;
}

void add_prune(CLI::App& app, const Globals& g, Action& action) {
    auto all = std::make_shared<bool>(false);
    auto force = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("prune", "Remove unused images");
    cmd->add_flag("-a,--all", *all, "Remove all unused images, not just dangling ones");
    cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation");
    cmd->callback([&action, &g, all, force] { action = [&g, all, force] { return run_prune(g, *all, *force); }; });
}

}  // namespace

void add_transfer_commands(CLI::App& app, CLI::App& image_group, const Globals& g, Action& action);  // save, load

void add_image_commands(CLI::App& app, const Globals& g, Action& action, Parts parts) {
    // What a part leaves out is registered on a scratch app, whose callbacks never run.
    CLI::App scratch_top, scratch_group;
    if (parts != Parts::kGroup) {
        add_import(app, g, action);
        add_images(app, "images", g, action);
        add_tag(app, g, action);
        add_rmi(app, "rmi", g, action);
        add_history(app, g, action);
    }
    if (parts == Parts::kTopLevel) {
        add_transfer_commands(app, scratch_group, g, action);
        return;
    }
    // `berth image ls|rm|...`, docker's management-command spelling of the same commands.
    auto* group = app.add_subcommand("image", "Manage images");
    group->require_subcommand(1);
    add_import(*group, g, action);
    add_images(*group, "ls", g, action);
    group->get_subcommand("ls")->alias("list");
    add_tag(*group, g, action);
    add_rmi(*group, "rm", g, action);
    group->get_subcommand("rm")->alias("remove");
    add_history(*group, g, action);
    add_inspect(*group, g, action);
    add_prune(*group, g, action);
    add_transfer_commands(parts == Parts::kGroup ? scratch_top : app, *group, g, action);
}

}  // namespace engine::cli
