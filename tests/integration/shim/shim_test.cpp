// The shim on the real kernel: a busybox container started through start_shim, its logs, exit
// codes, attach, resize, and what observe() says when the shim itself is killed.
#include "engine/shim/shim.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "engine/runtime/launcher.hpp"
#include "engine/runtime/security.hpp"
#include "engine/shim/frames.hpp"
#include "engine/shim/log_reader.hpp"
#include "engine/shim/proc.hpp"
#include "engine/sys/files.hpp"
#include "tests/support/busybox_rootfs.hpp"
#include "tests/support/root_test.hpp"

namespace {

using engine::runtime::ContainerSpec;
namespace shim = engine::shim;

std::string random_id() {
    std::mt19937_64 rng(std::random_device{}());
    return fmt::format("{:016x}{:016x}{:016x}{:016x}", rng(), rng(), rng(), rng());
}

bool gone(pid_t pid) { return ::kill(pid, 0) != 0 || !shim::process_start_time(pid) ||
                              !shim::process_alive(pid, *shim::process_start_time(pid)); }

// Containers started through the shim; at the end every process is killed, every cgroup and
// the cgroup parent removed, whatever the test did.
struct Fixture {
    RootTempDir dir{"berth-shim"};
    std::string layer = (dir.root / "layer").string();
    std::string cgroup_parent = "berth-test-shim-" + random_id().substr(0, 8);
    std::vector<ContainerSpec> specs;
    std::vector<pid_t> pids;

    Fixture() { test_support::make_busybox_rootfs(layer); }
    ~Fixture() {
        for (pid_t pid : pids) ::kill(pid, SIGKILL);
        for (pid_t pid : pids)
            for (int i = 0; i < 200 && !gone(pid); ++i) ::usleep(10000);
        for (const auto& spec : specs) {
            // The shim removes the cgroup itself; this covers a shim that was killed.
            for (int i = 0; i < 100; ++i) {
                if (engine::runtime::destroy_cgroup(spec).ok()) break;
                ::usleep(20000);
            }
        }
        for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup"))
            ::rmdir((hierarchy.path() / cgroup_parent).c_str());
    }

    // A container directory with its spec.json, ready for start_shim.
    std::string create(std::vector<std::string> args, bool terminal = false,
                       const std::function<void(ContainerSpec&)>& adjust = {}) {
        ContainerSpec s;
        s.id = random_id();
        std::string c = (dir.root / s.id.substr(0, 12)).string();
        std::filesystem::create_directories(c);
        s.lower_dirs = {layer};
        s.upper_dir = c + "/upper";
        s.work_dir = c + "/work";
        s.rootfs_dir = c + "/rootfs";
        s.args = std::move(args);
        s.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
        s.hostname = "box";
        s.terminal = terminal;
        s.cgroup_parent = cgroup_parent;
        s.capabilities = engine::runtime::default_capabilities();
        s.masked_paths = engine::runtime::default_masked_paths();
        s.readonly_paths = engine::runtime::default_readonly_paths();
        if (adjust) adjust(s);
        REQUIRE(engine::sys::write_file_atomic(c + "/" + shim::kSpecFile, nlohmann::json(s).dump()).ok());
        specs.push_back(s);
        return c;
    }

    shim::ShimOptions options() {
        shim::ShimOptions o;
        o.shim_binary = std::string(BERTH_BINARY_DIR) + "/berth-shim";
        return o;
    }

    shim::Started start(const std::string& c, const shim::ShimOptions& o) {
        auto started = shim::start_shim(c, o);
        INFO((started.ok() ? std::string() : started.error().message));
        REQUIRE(started.ok());
        pids.push_back(started.value().pid);
        pids.push_back(started.value().shim_pid);
        return std::move(started.value());
    }

    shim::Started start(const std::string& c) { return start(c, options()); }
};

std::vector<std::string> logs(const std::string& c) {
    std::vector<std::string> out;
    REQUIRE(shim::read_logs(c, {}, [&](const shim::LogEntry& e) {
        out.push_back((e.stream == shim::Stream::kStderr ? "E:" : "O:") + e.log);
        return true;
    }).ok());
    return out;
}

// Reads attach frames until the exit frame (or 10 s); returns stdout+stderr and the exit text.
struct Session {
    std::string output;
    std::string exit;
};
Session read_until_exit(int fd, const std::function<void(const std::string&)>& on_output = {}) {
    Session s;
    shim::FrameDecoder decoder;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        decoder.feed(buf, static_cast<size_t>(n));
        while (auto f = decoder.next()) {
            if (f->type == shim::Frame::kExit) {
                s.exit = f->payload;
                return s;
            }
            s.output += f->payload;
            if (on_output) on_output(s.output);
        }
    }
    return s;
}

void send(int fd, shim::Frame type, const std::string& payload) {
    std::string frame = shim::encode_frame(type, payload);
    REQUIRE(::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size()));
}

}  // namespace

TEST_CASE("shim: output goes to the json-file log, the exit code to exit.json", "[.root][shim]") {
    REQUIRE_ROOT();
    Fixture f;
    std::string c = f.create({"sh", "-c", "echo out; echo err >&2; printf partial; exit 3"});
    auto started = f.start(c);
    CHECK(started.pid > 0);
    auto exit = shim::wait_exit(c, 10000);
    REQUIRE(exit.ok());
    CHECK(exit.value().exit_code == 3);
    CHECK(exit.value().error.empty());
    CHECK_FALSE(exit.value().finished_at.empty());
    auto lines = logs(c);
    std::sort(lines.begin(), lines.end());  // stdout and stderr are separate pipes
    CHECK(lines == std::vector<std::string>{"E:err\n", "O:out\n", "O:partial"});
    auto observed = shim::observe(c);
    CHECK(observed.phase == shim::Observed::Phase::kExited);
    REQUIRE(observed.state);
    CHECK(observed.state->pid == started.pid);
    CHECK_FALSE(observed.state->started_at.empty());
    CHECK_FALSE(engine::sys::exists(c + "/" + shim::kAttachSocket));
}

TEST_CASE("shim: the log rotates by max-size into max-file files", "[.root][shim]") {
    REQUIRE_ROOT();
    Fixture f;
    std::string c = f.create({"sh", "-c", "i=1; while [ $i -le 300 ]; do echo line $i; i=$((i+1)); done"});
    auto o = f.options();
    o.log_max_size = 2000;
    o.log_max_files = 3;
    f.start(c, o);
    REQUIRE(shim::wait_exit(c, 10000).ok());
    CHECK(engine::sys::exists(c + "/container.log.1"));
    CHECK(engine::sys::exists(c + "/container.log.2"));
    CHECK_FALSE(engine::sys::exists(c + "/container.log.3"));
    CHECK(std::filesystem::file_size(c + "/container.log") < 2200);
    auto lines = logs(c);
    REQUIRE_FALSE(lines.empty());
    CHECK(lines.back() == "O:line 300\n");
    CHECK(lines.size() < 300);
}

TEST_CASE("shim: a start failure is reported with docker's exit code", "[.root][shim]") {
    REQUIRE_ROOT();
    Fixture f;
    std::string c = f.create({"no-such-program"});
    auto started = shim::start_shim(c, f.options());
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().sys_errno == ENOENT);
    CHECK_THAT(started.error().message, Catch::Contains("executable file not found"));
    auto exit = shim::wait_exit(c, 5000);
    REQUIRE(exit.ok());
    CHECK(exit.value().exit_code == 127);
    CHECK_THAT(exit.value().error, Catch::Contains("executable file not found"));
}

TEST_CASE("shim: SIGKILL of the container gives 137", "[.root][shim]") {
    REQUIRE_ROOT();
    Fixture f;
    std::string c = f.create({"sleep", "1000"});
    auto started = f.start(c);
    CHECK(shim::observe(c).phase == shim::Observed::Phase::kRunning);
    REQUIRE(::kill(started.pid, SIGKILL) == 0);
    auto exit = shim::wait_exit(c, 10000);
    REQUIRE(exit.ok());
    CHECK(exit.value().exit_code == 137);
    CHECK_FALSE(exit.value().oom_killed);
}

TEST_CASE("shim: attached clients send stdin and get output; a vanished client is harmless", "[.root][shim]") {
    REQUIRE_ROOT();
    Fixture f;
    std::string c = f.create({"cat"});
    auto o = f.options();
    o.attach_stdin = true;
    f.start(c, o);
    {
        // One client that goes away without reading anything.
        auto quitter = shim::attach(c);
        REQUIRE(quitter.ok());
    }
    auto a = shim::attach(c);
    REQUIRE(a.ok());
    auto b = shim::attach(c);
    REQUIRE(b.ok());
    int fd = a.value().get();
    send(fd, shim::Frame::kStdin, "hello\n");
    bool closed = false;
    auto session = read_until_exit(fd, [&](const std::string& out) {
        if (!closed && out == "hello\n") {
            send(fd, shim::Frame::kCloseStdin, "");
            closed = true;
        }
    });
    CHECK(session.output == "hello\n");
    CHECK(session.exit == "0");
    // The other client saw the same output and the exit.
    auto other = read_until_exit(b.value().get());
    CHECK(other.output == "hello\n");
    CHECK(other.exit == "0");
    CHECK(logs(c) == std::vector<std::string>{"O:hello\n"});
}

TEST_CASE("shim: a tty container gets its size from the resize frame", "[.root][shim]") {
    REQUIRE_ROOT();
    Fixture f;
    std::string c = f.create({"sh", "-c", "read x; stty size"}, true);
    auto o = f.options();
    o.attach_stdin = true;
    o.wait_for_attach = true;
    auto started = f.start(c, o);
    REQUIRE(started.attach.valid());
    int fd = started.attach.get();
    send(fd, shim::Frame::kResize, "30 100");
    send(fd, shim::Frame::kStdin, "\n");
    auto session = read_until_exit(fd);
    CHECK_THAT(session.output, Catch::Contains("30 100"));
    CHECK(session.exit == "0");
    // Sized before it starts, as docker's ConsoleSize.
    std::string sized = f.create({"stty", "size"}, true);
    o.wait_for_attach = false;
    o.console_rows = 45;
    o.console_cols = 132;
    f.start(sized, o);
    REQUIRE(shim::wait_exit(sized, 10000).ok());
    CHECK(logs(sized) == std::vector<std::string>{"O:45 132\r\n"});
    // A tty's output is one stream, stdout.
    for (const auto& line : logs(c)) CHECK(line.rfind("O:", 0) == 0);
}

TEST_CASE("shim: the container outlives a killed shim and observe follows it", "[.root][shim]") {
    REQUIRE_ROOT();
    Fixture f;
    std::string c = f.create({"sleep", "1000"});
    auto started = f.start(c);
    REQUIRE(::kill(started.shim_pid, SIGKILL) == 0);
    for (int i = 0; i < 200 && !gone(started.shim_pid); ++i) ::usleep(10000);
    REQUIRE(gone(started.shim_pid));
    auto observed = shim::observe(c);
    CHECK(observed.phase == shim::Observed::Phase::kRunning);
    REQUIRE(::kill(started.pid, SIGKILL) == 0);
    for (int i = 0; i < 200 && !gone(started.pid); ++i) ::usleep(10000);
    observed = shim::observe(c);
    CHECK(observed.phase == shim::Observed::Phase::kExited);
    REQUIRE(observed.exit);
    CHECK(observed.exit->exit_code == 255);
    CHECK(observed.exit->error == "shim died");
}

TEST_CASE("shim: auto-remove deletes the container directory after the exit", "[.root][shim]") {
    REQUIRE_ROOT();
    Fixture f;
    std::string c = f.create({"true"});
    auto o = f.options();
    o.auto_remove = true;
    auto started = f.start(c, o);
    for (int i = 0; i < 500 && engine::sys::exists(c); ++i) ::usleep(10000);
    CHECK_FALSE(engine::sys::exists(c));
}

TEST_CASE("shim: logs can be followed until the container exits", "[.root][shim]") {
    REQUIRE_ROOT();
    Fixture f;
    std::string c = f.create({"sh", "-c", "echo first; sleep 1; echo second"});
    f.start(c);
    std::vector<std::string> seen;
    shim::LogQuery follow;
    follow.follow = true;
    auto began = std::chrono::steady_clock::now();
    REQUIRE(shim::read_logs(c, follow, [&](const shim::LogEntry& e) {
        seen.push_back(e.log);
        return true;
    }).ok());
    CHECK(seen == std::vector<std::string>{"first\n", "second\n"});
    CHECK(std::chrono::steady_clock::now() - began >= std::chrono::milliseconds(500));
    CHECK(shim::observe(c).phase == shim::Observed::Phase::kExited);
}

TEST_CASE("shim: a client that never reads does not stall the container", "[.root][shim]") {
    REQUIRE_ROOT();
    Fixture f;
    std::string c = f.create({"sh", "-c", "sleep 0.5; i=0; while [ $i -lt 30000 ]; do echo 0123456789abcdefghijklmnopqrstuvwxyz $i; i=$((i+1)); done"});
    f.start(c);
    auto idle = shim::attach(c);
    REQUIRE(idle.ok());
    auto exit = shim::wait_exit(c, 30000);
    REQUIRE(exit.ok());
    CHECK(exit.value().exit_code == 0);
    auto lines = logs(c);
    REQUIRE(lines.size() == 30000);
    CHECK(lines.back() == "O:0123456789abcdefghijklmnopqrstuvwxyz 29999\n");
    // It lost output while it did not read, but still gets the exit once it does.
    auto late = read_until_exit(idle.value().get());
    CHECK(late.exit == "0");
    CHECK(late.output.size() < lines.size() * 40);
}

TEST_CASE("shim: terminal signals do not stop it, and the container starts with default signals", "[.root][shim]") {
    REQUIRE_ROOT();
    Fixture f;
    std::string c = f.create({"sleep", "1000"});
    auto started = f.start(c);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) REQUIRE(::kill(started.shim_pid, sig) == 0);
    ::usleep(200000);
    CHECK_FALSE(gone(started.shim_pid));
    CHECK(shim::observe(c).phase == shim::Observed::Phase::kRunning);
    REQUIRE(::kill(started.pid, SIGTERM) == 0);  // pid 1 without a handler: ignored, as in docker
    REQUIRE(::kill(started.pid, SIGKILL) == 0);
    REQUIRE(shim::wait_exit(c, 10000).ok());

    std::string signals = f.create({"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"});
    f.start(signals);
    REQUIRE(shim::wait_exit(signals, 10000).ok());
    CHECK(logs(signals) == std::vector<std::string>{"O:SigBlk:\t0000000000000000\n", "O:SigIgn:\t0000000000000000\n"});
}

TEST_CASE("shim: a container the OOM killer hit is reported oom_killed", "[.root][shim]") {
    REQUIRE_ROOT();
    Fixture f;
    std::string c = f.create({"sh", "-c", "dd if=/dev/zero of=/dev/null bs=256M count=1"}, false,
                             [](ContainerSpec& s) { s.resources.memory = 32 * 1024 * 1024; });
    f.start(c);
    auto exit = shim::wait_exit(c, 20000);
    REQUIRE(exit.ok());
    CHECK(exit.value().oom_killed);
    CHECK(exit.value().exit_code == 137);
}
