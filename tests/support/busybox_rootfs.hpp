#pragma once

// Test images are built from Debian's busybox-static: one static binary plus a symlink per
// applet, and /etc/passwd and /etc/group with a few users, so tests never need a registry.

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace test_support {

inline const char* kBusybox = "/bin/busybox";

inline std::string run_capture(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) throw std::runtime_error("popen failed: " + command);
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    if (::pclose(pipe) != 0) throw std::runtime_error("command failed: " + command);
    return out;
}

/// Fills `dir` with a busybox root filesystem: /bin/busybox, applet links in /bin, /etc/passwd
/// (root, daemon, nobody, app=1000:1000 with supplementary group "extra"=1001), /etc/group,
/// /tmp (1777), and the empty mount points a container needs.
inline void make_busybox_rootfs(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    for (const char* d : {"bin", "etc", "tmp", "proc", "sys", "dev", "root", "home/app"})
        fs::create_directories(dir / d);
    ::chmod((dir / "tmp").c_str(), 01777);
    fs::copy_file(kBusybox, dir / "bin/busybox", fs::copy_options::overwrite_existing);
    std::istringstream applets(run_capture(std::string(kBusybox) + " --list"));
    for (std::string name; std::getline(applets, name);) {
        if (name.empty() || name == "busybox") continue;
        std::error_code ec;
        fs::create_symlink("busybox", dir / "bin" / name, ec);
    }
    std::ofstream(dir / "etc/passwd")
        << "root:x:0:0:root:/root:/bin/sh\n"
           "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
           "app:x:1000:1000:app:/home/app:/bin/sh\n"
           "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
    std::ofstream(dir / "etc/group")
        << "root:x:0:\n"
           "daemon:x:1:\n"
           "app:x:1000:\n"
           "extra:x:1001:app\n"
           "nogroup:x:65534:\n";
    ::chown((dir / "home/app").c_str(), 1000, 1000);
}

/// Packs a directory into a rootfs tarball (plain tar) as `docker import` takes it.
inline void make_tar(const std::filesystem::path& dir, const std::filesystem::path& tar_path) {
    std::string cmd = "tar --numeric-owner -C '" + dir.string() + "' -cf '" + tar_path.string() + "' .";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("tar failed: " + cmd);
}

}  // namespace test_support
