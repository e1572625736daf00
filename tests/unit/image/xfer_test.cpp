// save and load: manifest and index parsing, and hand-made (often hostile) archives.
#include <fcntl.h>
#include <sys/file.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/image/archive_tree.hpp"
#include "engine/image/digest.hpp"
#include "engine/image/import.hpp"
#include "engine/image/load.hpp"
#include "engine/image/save.hpp"
#include "engine/sys/unique_fd.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/image/layer_tar.hpp"

using namespace engine::image;
using image_test::tar_dir;
using image_test::tar_file;
using image_test::tar_symlink;
using image_test::TarEntry;
using nlohmann::json;

namespace {

std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A layer tar's bytes (gzip when asked).
std::string layer_bytes(const TempDir& dir, const std::vector<TarEntry>& entries, int filter = ARCHIVE_FILTER_NONE) {
    auto path = (dir.root / "layer-scratch.tar").string();
    image_test::write_tar(path, entries, filter);
    return slurp(path);
}

std::string config_for(const std::vector<std::string>& diff_ids) {
    return json{{"architecture", "amd64"},
                {"os", "linux"},
                {"created", "2024-01-02T03:04:05Z"},
                {"config", json::object()},
                {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
        .dump();
}

std::string hex(const std::string& digest) { return digest_hex(digest); }

// A store, a place to extract archives, and the lines load prints.
struct Fixture {
    TempDir dir{"berth-xfer"};
    ImageStore store = ImageStore::open((dir.root / "state").string()).value();
    std::vector<std::string> printed;

    engine::Status load(const std::vector<TarEntry>& entries, int filter = ARCHIVE_FILTER_NONE) {
        auto path = (dir.root / "archive.tar").string();
        image_test::write_tar(path, entries, filter);
        engine::sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        LoadOptions options{(dir.root / "state/image/tmp").string(), "linux", "amd64"};
        return load_images(store, fd.get(), options, [this](const std::string& l) { printed.push_back(l); });
    }
    size_t image_count() const { return store.list().value().size(); }
    bool temp_empty() const {
        auto tmp = dir.root / "state/image/tmp";
        return !std::filesystem::exists(tmp) || std::filesystem::is_empty(tmp);
    }
};

// The docker-archive a docker 20.10 save writes: <id>/layer.tar, <config hex>.json.
struct LegacyArchive {
    std::string layer, config, id;
    std::vector<TarEntry> entries;

    explicit LegacyArchive(const TempDir& dir) {
        layer = layer_bytes(dir, {tar_dir("etc"), tar_file("etc/hello", "hello\n")});
        config = config_for({sha256_digest(layer)});
        id = sha256_digest(config);
        json manifest = json::array({{{"Config", hex(id) + ".json"}, {"RepoTags", {"box:1"}}, {"Layers", {"aaaa/layer.tar"}}}});
        entries = {tar_dir("aaaa"), tar_file("aaaa/layer.tar", layer), tar_file("aaaa/VERSION", "1.0"),
                   tar_file(hex(id) + ".json", config), tar_file("manifest.json", manifest.dump())};
    }
};

// A one-image OCI layout with a gzip layer.
struct OciArchive {
    std::string layer_gz, diff_id, config, id, manifest;
    std::vector<TarEntry> entries;

    explicit OciArchive(const TempDir& dir, json annotations = json::object()) {
        std::string plain = layer_bytes(dir, {tar_file("hello", "oci\n")});
        diff_id = sha256_digest(plain);
        layer_gz = layer_bytes(dir, {tar_file("hello", "oci\n")}, ARCHIVE_FILTER_GZIP);
        config = config_for({diff_id});
        id = sha256_digest(config);
        manifest = json{{"schemaVersion", 2},
                        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                        {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", id}, {"size", config.size()}}},
                        {"layers", {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                     {"digest", sha256_digest(layer_gz)},
                                     {"size", layer_gz.size()}}}}}
                       .dump();
        json descriptor = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                           {"digest", sha256_digest(manifest)},
                           {"size", manifest.size()}};
        if (!annotations.empty()) descriptor["annotations"] = annotations;
        json index = {{"schemaVersion", 2}, {"manifests", {descriptor}}};
        entries = {tar_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"),
                   tar_file("blobs/sha256/" + hex(sha256_digest(layer_gz)), layer_gz),
                   tar_file("blobs/sha256/" + hex(id), config),
                   tar_file("blobs/sha256/" + hex(sha256_digest(manifest)), manifest),
                   tar_file("index.json", index.dump())};
    }
};

std::string message_of(const engine::Status& s) { return s.ok() ? "(succeeded)" : s.error().message; }

}  // namespace

TEST_CASE("xfer: manifest.json items, RepoTags null for images saved by id", "[image][xfer]") {
    auto images = parse_docker_manifest(
        R"([{"Config":"abc.json","RepoTags":["box:1","box:2"],"Layers":["l1/layer.tar","l2/layer.tar"]},
            {"Config":"blobs/sha256/def","RepoTags":null,"Layers":[]}])");
    REQUIRE(images);
    REQUIRE(images.value().size() == 2);
    CHECK(images.value()[0].config_path == "abc.json");
    CHECK(images.value()[0].names == std::vector<std::string>{"box:1", "box:2"});
    CHECK(images.value()[0].layer_paths == std::vector<std::string>{"l1/layer.tar", "l2/layer.tar"});
    CHECK(images.value()[1].names.empty());
    CHECK_FALSE(parse_docker_manifest(R"({"Config":"x"})"));
    CHECK_FALSE(parse_docker_manifest(R"([{"RepoTags":[],"Layers":[]}])"));
    CHECK_FALSE(parse_docker_manifest(R"([{"Config":"x","Layers":"l1"}])"));
    CHECK_FALSE(parse_docker_manifest("not json"));
}

TEST_CASE("xfer: OCI index, nested index picks the platform, names from annotations", "[image][xfer]") {
    std::map<std::string, std::string> files;
    auto put = [&](const std::string& text) {
        files["blobs/sha256/" + hex(sha256_digest(text))] = text;
        return sha256_digest(text);
    };
    auto manifest_for = [&](const std::string& config) {
        return put(json{{"schemaVersion", 2},
                        {"config", {{"digest", sha256_digest(config)}, {"size", config.size()}}},
                        {"layers", json::array()}}
                       .dump());
    };
    std::string arm = manifest_for("arm-config"), amd = manifest_for("amd-config");
    std::string nested = put(json{{"schemaVersion", 2},
                                  {"mediaType", "application/vnd.oci.image.index.v1+json"},
                                  {"manifests",
                                   {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", arm},
                                     {"platform", {{"os", "linux"}, {"architecture", "arm64"}}}},
                                    {{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", amd},
                                     {"platform", {{"os", "linux"}, {"architecture", "amd64"}}}}}}}
                                 .dump());
    files["index.json"] = json{{"schemaVersion", 2},
                               {"manifests",
                                {{{"mediaType", "application/vnd.oci.image.index.v1+json"}, {"digest", nested},
                                  {"annotations", {{"org.opencontainers.image.ref.name", "localhost/multi:1"}}}},
                                 {{"digest", amd}, {"annotations", {{"io.containerd.image.name", "docker.io/library/box:2"},
                                                                    {"org.opencontainers.image.ref.name", "2"}}}},
                                 {{"digest", amd}, {"annotations", {{"org.opencontainers.image.ref.name", "latest"}}}}}}}
                              .dump();
    ReadArchiveFile read = [&](const std::string& path) -> engine::Result<std::string> {
        auto it = files.find(path);
        if (it == files.end()) return engine::Error{ENOENT, "missing " + path};
        return it->second;
    };
    LoadOptions amd64{"", "linux", "amd64"};
    auto images = parse_oci_layout(read, amd64);
    REQUIRE(images);
    REQUIRE(images.value().size() == 2);
    CHECK(images.value()[0].config_digest == sha256_digest("amd-config"));
    CHECK(images.value()[0].names == std::vector<std::string>{"localhost/multi:1"});
    // The same manifest named twice is one image; a bare tag names nothing.
    CHECK(images.value()[1].names == std::vector<std::string>{"docker.io/library/box:2"});

    LoadOptions s390x{"", "linux", "s390x"};
    auto none = parse_oci_layout(read, s390x);
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "index " + nested + " has no image for linux/s390x");

    files["blobs/sha256/" + hex(arm)] = "tampered";
    files["blobs/sha256/" + hex(nested)] = "{}";
    auto tampered = parse_oci_layout(read, amd64);
    REQUIRE_FALSE(tampered);
    CHECK(tampered.error().message == "manifest " + nested + ": content does not match its digest");
}

TEST_CASE("xfer: a docker 20.10 archive, gzip-compressed, loads with its tag", "[image][xfer]") {
    Fixture f;
    LegacyArchive archive(f.dir);
    REQUIRE(f.load(archive.entries, ARCHIVE_FILTER_GZIP));
    CHECK(f.printed == std::vector<std::string>{"Loaded image: box:1"});
    auto image = f.store.get("box:1");
    REQUIRE(image);
    CHECK(image.value().id == archive.id);
    CHECK(slurp(image.value().layer_dirs[0] + "/etc/hello") == "hello\n");
    CHECK(f.temp_empty());

    // Loading again moves nothing; a different image under the same tag takes it over.
    f.printed.clear();
    REQUIRE(f.load(archive.entries, ARCHIVE_FILTER_XZ));
    CHECK(f.printed == std::vector<std::string>{"Loaded image: box:1"});
}

TEST_CASE("xfer: a tag moving to the loaded image is reported as docker does", "[image][xfer]") {
    Fixture f;
    LegacyArchive first(f.dir);
    REQUIRE(f.load(first.entries));
    // Same layer, another config: another image under the same tag.
    json changed = json::parse(first.config);
    changed["comment"] = "second";
    std::string config = changed.dump();
    std::string id = sha256_digest(config);
    json manifest = json::array({{{"Config", "c.json"}, {"RepoTags", {"box:1"}}, {"Layers", {"aaaa/layer.tar"}}}});
    f.printed.clear();
    REQUIRE(f.load({tar_file("aaaa/layer.tar", first.layer), tar_file("c.json", config), tar_file("manifest.json", manifest.dump())}));
    CHECK(f.printed == std::vector<std::string>{
                           "The image box:1 already exists, renaming the old one with ID " + first.id + " to empty string",
                           "Loaded image: box:1"});
    CHECK(f.store.resolve("box:1").value() == id);
}

TEST_CASE("xfer: docker's symlinked (or hard-linked) duplicate layers resolve inside the archive", "[image][xfer]") {
    Fixture f;
    LegacyArchive archive(f.dir);
    std::string config = config_for({sha256_digest(archive.layer), sha256_digest(archive.layer)});
    json manifest = json::array({{{"Config", "c.json"}, {"RepoTags", nullptr}, {"Layers", {"aaaa/layer.tar", "bbbb/layer.tar"}}}});
    REQUIRE(f.load({tar_file("aaaa/layer.tar", archive.layer), tar_dir("bbbb"), tar_symlink("bbbb/layer.tar", "../aaaa/layer.tar"),
                    tar_file("c.json", config), tar_file("manifest.json", manifest.dump())}));
    CHECK(f.printed == std::vector<std::string>{"Loaded image ID: " + sha256_digest(config)});
    f.printed.clear();
    REQUIRE(f.load({tar_file("aaaa/layer.tar", archive.layer), image_test::tar_hardlink("bbbb/layer.tar", "aaaa/layer.tar"),
                    tar_file("c.json", config), tar_file("manifest.json", manifest.dump())}));
    CHECK(f.printed == std::vector<std::string>{"Loaded image ID: " + sha256_digest(config)});
}

TEST_CASE("xfer: an OCI layout with a gzip layer loads; names come from its annotations", "[image][xfer]") {
    Fixture f;
    OciArchive untagged(f.dir);
    REQUIRE(f.load(untagged.entries, ARCHIVE_FILTER_ZSTD));
    CHECK(f.printed == std::vector<std::string>{"Loaded image ID: " + untagged.id});
    auto image = f.store.get(untagged.id);
    REQUIRE(image);
    CHECK(slurp(image.value().layer_dirs[0] + "/hello") == "oci\n");

    f.printed.clear();
    OciArchive tagged(f.dir, {{"io.containerd.image.name", "localhost:5000/team/app:v2"}});
    REQUIRE(f.load(tagged.entries));
    CHECK(f.printed == std::vector<std::string>{"Loaded image: localhost:5000/team/app:v2"});
}

TEST_CASE("xfer: hostile archive entries are refused by name, nothing written outside", "[image][xfer]") {
    Fixture f;
    auto outside = f.dir.root / "escaped";
    CHECK_THAT(message_of(f.load({tar_file("../escaped", "x")})), Catch::Contains("archive entry \"../escaped\" leads outside the archive"));
    CHECK_THAT(message_of(f.load({tar_file("a/../../escaped", "x")})), Catch::Contains("leads outside the archive"));
    CHECK_THAT(message_of(f.load({tar_symlink("manifest.json", "/etc/passwd")})), Catch::Contains("is a symlink to \"/etc/passwd\" outside the archive"));
    CHECK_THAT(message_of(f.load({tar_symlink("link", "../../..")})), Catch::Contains("outside the archive"));
    CHECK_THAT(message_of(f.load({tar_symlink("dir", "."), tar_file("dir/escaped", "x")})), Catch::Contains("lies below the link \"dir\""));
    CHECK_THAT(message_of(f.load({tar_symlink("a", "b"), tar_symlink("b", "a"), tar_file("manifest.json", R"([{"Config":"a","Layers":[]}])")})), Catch::Contains("too many levels of links"));
    TarEntry fifo{"fifo", AE_IFIFO};
    CHECK_THAT(message_of(f.load({fifo})), Catch::Contains("archive entry \"fifo\" is not a file, directory or link"));
    CHECK_FALSE(std::filesystem::exists(outside));
    CHECK(f.temp_empty());
    CHECK(f.image_count() == 0);
}

TEST_CASE("xfer: oversized or deeply nested JSON and archives without an index are refused", "[image][xfer]") {
    Fixture f;
    CHECK_THAT(message_of(f.load({tar_file("manifest.json", std::string(17 << 20, ' '))})), Catch::Contains("archive file \"manifest.json\" is too large"));
    std::string deep = std::string(200000, '[') + std::string(200000, ']');
    CHECK_THAT(message_of(f.load({tar_file("manifest.json", deep)})), Catch::Contains("an item is not an object"));
    CHECK_THAT(message_of(f.load({tar_file("index.json", std::string(200000, '{'))})), Catch::Contains("invalid index.json"));
    CHECK_THAT(message_of(f.load({tar_file("hello", "x")})), Catch::Contains("it has neither manifest.json nor index.json"));
    CHECK_THAT(message_of(f.load({tar_file("manifest.json", "[]")})), Catch::Contains("it lists no image"));
}

TEST_CASE("xfer: digest mismatches and missing files name the entry and register nothing", "[image][xfer]") {
    Fixture f;
    LegacyArchive archive(f.dir);
    auto with = [&](const std::string& name, const std::string& data) {
        auto entries = archive.entries;
        for (auto& e : entries)
            if (e.name == name) e.data = data;
        return entries;
    };
    std::string other_layer = layer_bytes(f.dir, {tar_file("evil", "x")});
    CHECK_THAT(message_of(f.load(with("aaaa/layer.tar", other_layer))), Catch::Contains("layer \"aaaa/layer.tar\" has diff_id " + sha256_digest(other_layer) + ", the config expects " +
                       sha256_digest(archive.layer)));
    CHECK_THAT(message_of(f.load(with("manifest.json", R"([{"Config":"nope.json","RepoTags":["box:1"],"Layers":[]}])"))), Catch::Contains("archive has no file \"nope.json\""));
    CHECK_THAT(message_of(f.load(with("manifest.json", json::array({{{"Config", hex(archive.id) + ".json"}, {"Layers", {"zz/layer.tar"}}}}).dump()))), Catch::Contains("layer \"zz/layer.tar\" is missing from the archive"));
    CHECK_THAT(message_of(f.load(with("manifest.json", json::array({{{"Config", hex(archive.id) + ".json"}, {"Layers", json::array()}}}).dump()))), Catch::Contains("the config lists 1 layers, the manifest 0"));
    CHECK_THAT(message_of(f.load(with("manifest.json", json::array({{{"Config", hex(archive.id) + ".json"}, {"RepoTags", {"Box:1"}}, {"Layers", {"aaaa/layer.tar"}}}}).dump()))), Catch::Contains("name \"Box:1\""));

    OciArchive oci(f.dir);
    auto bad_blob = oci.entries;
    bad_blob[1].data = layer_bytes(f.dir, {tar_file("hello", "tampered\n")}, ARCHIVE_FILTER_GZIP);
    CHECK_THAT(message_of(f.load(bad_blob)), Catch::Contains("does not match its digest " + sha256_digest(oci.layer_gz)));
    auto bad_config = oci.entries;
    bad_config[2].data = config_for({oci.diff_id, oci.diff_id});
    CHECK_THAT(message_of(f.load(bad_config)), Catch::Contains("does not match its digest " + oci.id));
    CHECK(f.image_count() == 0);
    CHECK_FALSE(f.store.resolve("box:1"));
    CHECK(f.temp_empty());
}

TEST_CASE("xfer: save resolves names as docker, writes both layouts, and loads back identically", "[image][xfer]") {
    Fixture f;
    auto layer_path = (f.dir.root / "rootfs.tar").string();
    image_test::write_tar(layer_path, {tar_dir("bin"), tar_file("bin/tool", "#!/bin/sh\n", 0755)});
    engine::sys::UniqueFd layer(::open(layer_path.c_str(), O_RDONLY | O_CLOEXEC));
    ImportRequest request;
    request.ref = parse_reference("box:1").value();
    std::string id = import_image(f.store, layer.get(), request).value();
    REQUIRE(f.store.tag(id, parse_reference("box:2").value()));

    auto all_tags = resolve_save_items(f.store, {"box"});
    REQUIRE(all_tags);
    REQUIRE(all_tags.value().size() == 1);
    CHECK(all_tags.value()[0].refs.size() == 2);
    auto by_id = resolve_save_items(f.store, {id.substr(7, 12), "box:2"});
    REQUIRE(by_id);
    REQUIRE(by_id.value().size() == 1);
    REQUIRE(by_id.value()[0].refs.size() == 1);
    CHECK(by_id.value()[0].refs[0].familiar() == "box:2");
    auto unknown = resolve_save_items(f.store, {"box:3"});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message == "No such image: box:3");
    CHECK(parse_save_format("tar").error().message == "invalid save format \"tar\": expected \"docker\" or \"oci\"");

    auto save_to = [&](const std::string& name, SaveFormat format) {
        auto path = (f.dir.root / name).string();
        engine::sys::UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        REQUIRE(write_save_archive(f.store, all_tags.value(), out.get(), format));
        return path;
    };
    std::string both = save_to("both.tar", SaveFormat::kDockerAndOci);
    CHECK(slurp(both) == slurp(save_to("again.tar", SaveFormat::kDockerAndOci)));  // reproducible

    for (auto [name, format] : {std::pair{"both.tar", SaveFormat::kDockerAndOci}, std::pair{"docker.tar", SaveFormat::kDocker},
                                std::pair{"oci.tar", SaveFormat::kOci}}) {
        std::string path = save_to(name, format);
        TempDir other("berth-xfer-load");
        auto store = ImageStore::open((other.root / "state").string()).value();
        engine::sys::UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        std::vector<std::string> printed;
        REQUIRE(load_images(store, in.get(), {(other.root / "tmp").string()},
                            [&](const std::string& l) { printed.push_back(l); }));
        CHECK(printed == std::vector<std::string>{"Loaded image: box:1", "Loaded image: box:2"});
        auto loaded = store.get("box:2");
        REQUIRE(loaded);
        CHECK(loaded.value().id == id);
        CHECK(slurp(loaded.value().layer_dirs[0] + "/bin/tool") == "#!/bin/sh\n");
    }
}

TEST_CASE("xfer: a crashed load's extraction dir is swept, one in use is not", "[image][xfer]") {
    TempDir dir("berth-xfer-sweep");
    auto parent = dir.root.string();
    auto make_old = [&](const std::string& name) {
        std::filesystem::create_directories(dir.root / name / "blobs");
        auto old = std::filesystem::last_write_time(dir.root / name) - std::chrono::hours(2);
        std::filesystem::last_write_time(dir.root / name, old);
    };
    make_old("load-crashed");
    make_old("load-busy");
    make_old("other");
    engine::sys::UniqueFd busy(::open((dir.root / "load-busy").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(::flock(busy.get(), LOCK_EX) == 0);
    std::filesystem::create_directories(dir.root / "load-young");

    remove_stale_archive_dirs(parent, 3600);
    CHECK_FALSE(std::filesystem::exists(dir.root / "load-crashed"));
    CHECK(std::filesystem::exists(dir.root / "load-busy"));
    CHECK(std::filesystem::exists(dir.root / "load-young"));
    CHECK(std::filesystem::exists(dir.root / "other"));
}
