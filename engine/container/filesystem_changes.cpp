#include "engine/container/filesystem_changes.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>

namespace engine::container {
namespace {

bool in_lower(const std::vector<std::string>& lower_dirs, const std::string& rel) {
    struct stat st {};
    return std::any_of(lower_dirs.begin(), lower_dirs.end(), [&](const std::string& d) {
        return ::lstat((d + rel).c_str(), &st) == 0;
    });
}

bool is_whiteout(const struct stat& st) {
    return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

Status walk(const std::string& upper, const std::string& rel,
            const std::vector<std::string>& lower_dirs, std::vector<Change>& out) {
    std::string dir_path = upper + rel;
    DIR* dir = ::opendir(dir_path.c_str());
    if (!dir) return sys::errno_error("read directory {}", dir_path);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(dir)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    for (const auto& name : names) {
        std::string child = rel + "/" + name;
        struct stat st {};
        if (::lstat((upper + child).c_str(), &st) != 0) return sys::errno_error("stat {}", upper + child);
        if (is_whiteout(st)) {
            out.push_back({'D', child});
            continue;
        }
        out.push_back({in_lower(lower_dirs, child) ? 'C' : 'A', child});
        if (S_ISDIR(st.st_mode))
            if (auto s = walk(upper, child, lower_dirs, out); !s) return s;
    }
    return sys::ok();
}

}  // namespace

Result<std::vector<Change>> filesystem_changes(const std::string& upper_dir,
                                               const std::vector<std::string>& lower_dirs) {
    std::vector<Change> out;
    if (auto s = walk(upper_dir, "", lower_dirs, out); !s) return s.error();
    std::sort(out.begin(), out.end(), [](const Change& a, const Change& b) { return a.path < b.path; });
    return out;
}

}  // namespace engine::container
