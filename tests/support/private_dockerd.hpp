#pragma once

// A dockerd of its own (data, exec root, socket, pidfile, config all under a temp dir) with no
// networking of its own; stopped with its whole process group, and its dirs removed, whatever
// the test's outcome.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "tests/support/root_test.hpp"

namespace test_support {

class PrivateDockerd {
public:
    PrivateDockerd() : dir_("berth-dockerd") {
        dir_.write("daemon.json", "{}");
        pid_ = ::fork();
        if (pid_ == 0) {
            ::setsid();  // its own group: stopping it also stops the containerd it starts
            std::string log = (dir_.root / "dockerd.log").string();
            std::freopen(log.c_str(), "w", stdout);
            ::dup2(::fileno(stdout), STDERR_FILENO);
            std::string d = dir_.root.string();
            ::execlp("dockerd", "dockerd", "--config-file", (d + "/daemon.json").c_str(), "--data-root",
                     (d + "/data").c_str(), "--exec-root", (d + "/exec").c_str(), "-H", host().c_str(),
                     "--pidfile", (d + "/dockerd.pid").c_str(), "--bridge=none", "--iptables=false",
                     "--ip6tables=false", "--ip-masq=false", "--ip-forward=false", "--storage-driver=vfs",
                     static_cast<char*>(nullptr));
            std::fprintf(stderr, "exec dockerd: %s\n", std::strerror(errno));
            ::_exit(127);
        }
    }
    ~PrivateDockerd() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            if (!reaped_within(std::chrono::seconds(20))) {
                ::kill(-pid_, SIGKILL);
                ::waitpid(pid_, nullptr, 0);
            }
            ::kill(-pid_, SIGKILL);  // anything of its group still alive
        }
        unmount_below(dir_.root.string());
    }
    PrivateDockerd(const PrivateDockerd&) = delete;
    PrivateDockerd& operator=(const PrivateDockerd&) = delete;

    /// Waits (bounded) until the daemon answers; on failure, why (its log's tail).
    std::string wait_ready() {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline) {
            if (run(docker("version") + " >/dev/null 2>&1").first == 0) return "";
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return "dockerd exited: " + log_tail();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        return "dockerd did not answer within 60s: " + log_tail();
    }

    /// A docker client command line for this daemon (Debian's CLI, with its own config dir).
    std::string docker(const std::string& args) const {
        return "/usr/bin/docker --config " + quote((dir_.root / "client").string()) + " -H " + quote(host()) + " " +
               args;
    }

    /// The daemon's address for -H / DOCKER_HOST.
    std::string host() const { return "unix://" + socket(); }
    std::string socket() const { return (dir_.root / "docker.sock").string(); }
    std::filesystem::path dir() const { return dir_.root; }

private:
    static std::string quote(const std::string& s) {
        std::string q = "'";
        for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return q + "'";
    }
    static std::pair<int, std::string> run(const std::string& command) {
        std::string out;
        FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
        if (!pipe) return {-1, ""};
        char buf[4096];
        while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
        int status = ::pclose(pipe);
        return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
    }
    std::string log_tail() const { return run("tail -20 " + quote((dir_.root / "dockerd.log").string())).second; }
    bool reaped_within(std::chrono::seconds limit) {
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    }

    RootTempDir dir_;
    pid_t pid_ = -1;
};

}  // namespace test_support
