#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

/// A throwaway directory for one test, removed when the test ends (even on failure).
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "berth-test") {
        std::string templ = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
        root = templ;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    /// Writes `text` to `rel` under the directory, creating parent directories.
    std::filesystem::path write(const std::string& rel, const std::string& text) const {
        auto p = root / rel;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }
    /// The content of `rel` under the directory ("" if missing).
    std::string read(const std::string& rel) const {
        std::ifstream in(root / rel, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    std::filesystem::path root;
};
