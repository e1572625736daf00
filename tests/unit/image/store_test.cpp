#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/image/import.hpp"
#include "engine/sys/unique_fd.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/image/layer_tar.hpp"

using namespace engine::image;
using image_test::tar_file;

namespace {

std::string import_tar(const ImageStore& store, const std::string& tar, const std::string& ref = "",
                       std::vector<std::string> changes = {}) {
    engine::sys::UniqueFd fd(::open(tar.c_str(), O_RDONLY));
    ImportRequest req;
    req.source = tar;
    if (!ref.empty()) req.ref = parse_reference(ref).value();
    req.changes = std::move(changes);
    auto id = import_image(store, fd.get(), req);
    INFO((id.ok() ? "" : id.error().message));
    REQUIRE(id.ok());
    return id.value();
}

}  // namespace

TEST_CASE("blob store: content is verified on write and read", "[image][store]") {
    TempDir tmp("berth-blobs");
    auto blobs = BlobStore::open((tmp.root / "blobs").string()).value();
    auto digest = blobs.put("hello").value();
    CHECK(digest == "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    CHECK(blobs.get(digest).value() == "hello");
    auto w = blobs.writer().value();
    REQUIRE(w.write("abc", 3).ok());
    CHECK(w.commit("sha256:" + std::string(64, '0')).error().message.rfind("blob verification failed", 0) == 0);
    std::ofstream(blobs.path(digest)) << "tampered";
    CHECK(blobs.get(digest).error().message.rfind("blob " + digest + " is corrupt", 0) == 0);
    CHECK_FALSE(blobs.verify(digest).ok());
    CHECK(blobs.get("sha256:../../etc/passwd").error().message == "invalid digest \"sha256:../../etc/passwd\"");
    CHECK(blobs.list().size() == 1);  // the failed commit left no temp file listed
}

TEST_CASE("image index: concurrent updates from two processes are all kept", "[image][store]") {
    TempDir tmp("berth-index");
    auto index = ImageIndex::open(tmp.root.string()).value();
    std::vector<pid_t> children;
    for (int p = 0; p < 2; ++p) {
        pid_t pid = ::fork();
        if (pid == 0) {
            for (int i = 0; i < 40; ++i)
                (void)index.update([&](IndexData& d) {
                    d.names[fmt::format("n{}-{}", p, i)] = "x";
                    return engine::sys::ok();
                });
            ::_exit(0);
        }
        children.push_back(pid);
    }
    for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
    CHECK(index.read().value().names.size() == 80);
}

TEST_CASE("image store: import, lookup by name, id and prefix; layers stored once", "[image][store]") {
    TempDir tmp("berth-store");
    auto store = ImageStore::open(tmp.root.string()).value();
    std::string tar = (tmp.root / "rootfs.tar").string();
    image_test::write_tar(tar, {tar_file("hello", "world")}, ARCHIVE_FILTER_GZIP);
    std::string id = import_tar(store, tar, "busybox", {"CMD [\"/hello\"]", "ENV A=1"});
    std::string id2 = import_tar(store, tar, "other:v2");
    CHECK(id != id2);  // created time differs
    CHECK(store.layers().list().size() == 1);

    auto image = store.get("busybox:latest").value();
    CHECK(image.id == id);
    CHECK(image.repo_tags == std::vector<std::string>{"busybox:latest"});
    CHECK(image.config["config"]["Cmd"] == nlohmann::json::array({"/hello"}));
    CHECK(image.config["architecture"] == host_architecture());
    CHECK(image.config["history"][0]["comment"] == "Imported from " + tar);
    REQUIRE(image.layer_dirs.size() == 1);
    CHECK(std::filesystem::exists(image.layer_dirs[0] + "/hello"));
    CHECK(image.size == 5);
    CHECK(store.get(id).value().id == id);
    CHECK(store.get(id.substr(7, 12)).value().id == id);
    CHECK(store.get("docker.io/library/busybox").value().id == id);
    CHECK(store.get("nope").error().message == "No such image: nope:latest");
    CHECK(store.list().value().size() == 2);
}

TEST_CASE("image store: removing images deletes only unshared content", "[image][store]") {
    TempDir tmp("berth-store");
    auto store = ImageStore::open(tmp.root.string()).value();
    std::string tar = (tmp.root / "rootfs.tar").string();
    image_test::write_tar(tar, {tar_file("hello", "world")});
    // Names that are not hex: "a" could also be a prefix of an image id, which docker accepts.
    std::string a = import_tar(store, tar, "alpha");
    std::string b = import_tar(store, tar, "beta");
    REQUIRE(store.remove_image(a).ok());
    CHECK_FALSE(store.get("alpha").ok());
    CHECK(store.layers().list().size() == 1);  // b still uses it
    CHECK(std::filesystem::exists(store.get("beta").value().layer_dirs[0] + "/hello"));
    REQUIRE(store.untag(parse_reference("beta").value()).value() == b);
    CHECK(store.get(b).value().repo_tags.empty());  // dangling, still there
    REQUIRE(store.remove_image(b).ok());
    CHECK(store.layers().list().empty());
    CHECK(store.blobs().list().empty());
}

TEST_CASE("image store: a bad tar registers nothing and leaves no layer", "[image][store]") {
    TempDir tmp("berth-store");
    auto store = ImageStore::open(tmp.root.string()).value();
    std::string tar = tmp.write("bad.tar", std::string(2048, 'x')).string();
    engine::sys::UniqueFd fd(::open(tar.c_str(), O_RDONLY));
    auto id = import_image(store, fd.get(), ImportRequest{});
    REQUIRE_FALSE(id.ok());
    CHECK(store.list().value().empty());
    CHECK(store.layers().list().empty());
    CHECK(store.blobs().list().empty());
    CHECK(std::distance(std::filesystem::directory_iterator(tmp.root / "image/layers"),
                        std::filesystem::directory_iterator{}) == 0);
}

TEST_CASE("image store: gc removes what a crash left behind, not fresh temp files", "[image][store]") {
    TempDir tmp("berth-store");
    auto store = ImageStore::open(tmp.root.string()).value();
    auto layers = tmp.root / "image/layers";
    std::filesystem::create_directories(layers / ".tmp-rm-abc/diff");
    std::filesystem::create_directories(layers / ".tmp-old/diff");
    std::filesystem::create_directories(layers / ".tmp-new/diff");
    tmp.write("image/blobs/sha256/.tmp-old", "x");
    auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(2);
    std::filesystem::last_write_time(layers / ".tmp-old", old);
    std::filesystem::last_write_time(tmp.root / "image/blobs/sha256/.tmp-old", old);
    auto held = store.index().lock().value();
    REQUIRE(store.collect_garbage(held).ok());
    CHECK_FALSE(std::filesystem::exists(layers / ".tmp-rm-abc"));
    CHECK_FALSE(std::filesystem::exists(layers / ".tmp-old"));
    CHECK(std::filesystem::exists(layers / ".tmp-new"));
    CHECK_FALSE(std::filesystem::exists(tmp.root / "image/blobs/sha256/.tmp-old"));
}
