#include "schema/location.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

namespace schema {

std::string Location::to_string() const {
    if (line <= 0) return file;
    if (column <= 0) return fmt::format("{}:{}", file, line);
    return fmt::format("{}:{}:{}", file, line, column);
}

std::string Diagnostic::to_string() const {
    std::string out;
    if (at.known()) out += at.to_string() + ": ";
    if (!path.empty()) out += path + ": ";
    return out + message;
}

void sort_diagnostics(std::vector<Diagnostic>& diagnostics) {
    auto key = [](const Diagnostic& d) {
        return std::tie(d.at.file, d.at.line, d.at.column, d.path, d.message);
    };
    std::stable_sort(diagnostics.begin(), diagnostics.end(),
                     [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
    diagnostics.erase(std::unique(diagnostics.begin(), diagnostics.end(),
                                  [&](const Diagnostic& a, const Diagnostic& b) {
                                      return key(a) == key(b);
                                  }),
                      diagnostics.end());
}

namespace {
std::string join_diagnostics(std::vector<Diagnostic>& diagnostics) {
    sort_diagnostics(diagnostics);
    std::string out;
    for (const auto& d : diagnostics) {
        if (!out.empty()) out += '\n';
        out += d.to_string();
    }
    return out;
}

// Levenshtein distance where swapping two adjacent letters also counts as one edit (optimal
// string alignment): "imgae" is one typo away from "image", not two.
size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t substitution = d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, substitution});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}
}  // namespace

LoadError::LoadError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_diagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {}

LoadError::LoadError(Location at, std::string path, std::string message)
    : LoadError(std::vector<Diagnostic>{{std::move(at), std::move(path), std::move(message)}}) {}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_distance = std::max<size_t>(1, word.size() / 3) + 1;
    for (const auto& candidate : candidates) {
        size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    return best;
}

}  // namespace schema
