#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace schema {

/// A place in a user's file; line and column are 1-based, 0 when unknown.
struct Location {
    std::string file;
    int line = 0;
    int column = 0;

    /// "file:line:col", "file:line" or "file", whichever parts are known.
    std::string to_string() const;
    bool known() const { return !file.empty(); }
};

/// One problem found in user input, reported like gcc so editors can jump to it.
struct Diagnostic {
    Location at;
    std::string path;     ///< key path, dots plus [i]: "services.web.ports[1]"
    std::string message;  ///< lowercase, no trailing period

    /// "compose.yaml:14:9: services.web.ports[1]: published port ... out of range".
    std::string to_string() const;
};

/// Sorts by file, line, column, then path, so output is stable whatever order stages ran in.
void sort_diagnostics(std::vector<Diagnostic>& diagnostics);

/// Thrown by loader stages with every diagnostic they found; what() joins them one per line.
class LoadError : public std::runtime_error {
public:
    explicit LoadError(std::vector<Diagnostic> diagnostics);
    LoadError(Location at, std::string path, std::string message);
    const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

private:
    std::vector<Diagnostic> diagnostics_;
};

/// The closest of `candidates` to `word` by edit distance, or "" when none is close enough
/// to be a plausible typo (distance at most a third of the word's length, and at least 1).
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace schema
