#include "engine/image/reference.hpp"

#include <algorithm>
#include <cctype>

namespace engine::image {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kOfficialPrefix = "library/";

Error invalid(std::string_view why = "") {
    return Error{EINVAL, why.empty() ? "invalid reference format"
                                     : fmt::format("invalid reference format: {}", why)};
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*, as distribution/reference.
bool valid_path_component(std::string_view c) {
    if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
    for (size_t i = 0; i < c.size();) {
        if (is_lower_alnum(c[i])) { ++i; continue; }
        size_t j = i;
        while (j < c.size() && !is_lower_alnum(c[j])) ++j;
        std::string_view sep = c.substr(i, j - i);
        bool dashes = std::all_of(sep.begin(), sep.end(), [](char x) { return x == '-'; });
        if (sep != "." && sep != "_" && sep != "__" && !dashes) return false;
        i = j;
    }
    return true;
}

// host[:port], host = dot-separated labels of [a-zA-Z0-9-] not starting or ending with '-'.
bool valid_domain(std::string_view d) {
    auto colon = d.find(':');
    std::string_view host = d.substr(0, colon);
    if (colon != std::string_view::npos) {
        std::string_view port = d.substr(colon + 1);
        if (port.empty() || !std::all_of(port.begin(), port.end(), ::isdigit)) return false;
    }
    size_t start = 0;
    while (start <= host.size()) {
        size_t dot = host.find('.', start);
        std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (label.empty() || label.front() == '-' || label.back() == '-') return false;
        for (char c : label)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return true;
}

bool valid_tag(std::string_view t) {
    if (t.empty() || t.size() > 128 || t.front() == '.' || t.front() == '-') return false;
    return std::all_of(t.begin(), t.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
}

bool looks_like_domain(std::string_view first) {
    return first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
           std::any_of(first.begin(), first.end(), ::isupper);
}

Status validate_path(std::string_view path) {
    if (std::any_of(path.begin(), path.end(), ::isupper))
        return invalid("repository name must be lowercase");
    size_t start = 0;
    while (true) {
        size_t slash = path.find('/', start);
        auto comp = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
        if (!valid_path_component(comp)) return invalid();
        if (slash == std::string_view::npos) return sys::ok();
        start = slash + 1;
    }
}

Result<Reference> parse(std::string_view text, bool default_tag) {
    if (text.empty()) return invalid();
    Reference ref;
    std::string_view rest = text;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        ref.digest = std::string(rest.substr(at + 1));
        if (!is_valid_digest(ref.digest)) return invalid();
        rest = rest.substr(0, at);
    }
    auto colon = rest.rfind(':');
    auto slash = rest.rfind('/');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        ref.tag = std::string(rest.substr(colon + 1));
        if (!valid_tag(ref.tag)) return invalid();
        rest = rest.substr(0, colon);
    }
    auto first_slash = rest.find('/');
    if (first_slash != std::string_view::npos && looks_like_domain(rest.substr(0, first_slash))) {
        ref.domain = std::string(rest.substr(0, first_slash));
        rest = rest.substr(first_slash + 1);
        if (!valid_domain(ref.domain)) return invalid();
    } else {
        ref.domain = kDefaultDomain;
    }
    if (ref.domain == "index.docker.io") ref.domain = kDefaultDomain;
    if (auto valid = validate_path(rest); !valid) return valid.error();
    ref.path = std::string(rest);
    if (ref.domain == kDefaultDomain && ref.path.find('/') == std::string::npos)
        ref.path = std::string(kOfficialPrefix) + ref.path;
    if (ref.name().size() > 255)
        return invalid(fmt::format("repository name ({}) must not be more than 255 characters",
                                   ref.name()));
    // A bare 64-hex name would shadow the image id of the same spelling (docker refuses it too).
    if (ref.domain == kDefaultDomain && ref.path.size() == 64 + kOfficialPrefix.size() &&
        is_hex_prefix(std::string_view(ref.path).substr(kOfficialPrefix.size())))
        return Error{EINVAL, fmt::format("invalid repository name ({}), cannot specify 64-byte "
                                         "hexadecimal strings", ref.path.substr(kOfficialPrefix.size()))};
    if (default_tag && ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
    return ref;
}

}  // namespace

std::string Reference::name() const { return domain + "/" + path; }

std::string Reference::familiar_name() const {
    if (domain != kDefaultDomain) return name();
    if (path.rfind(kOfficialPrefix, 0) == 0 && path.find('/', kOfficialPrefix.size()) == std::string::npos)
        return path.substr(kOfficialPrefix.size());
    return path;
}

static std::string with_suffix(std::string base, const Reference& r) {
    if (!r.tag.empty()) base += ":" + r.tag;
    if (!r.digest.empty()) base += "@" + r.digest;
    return base;
}

std::string Reference::full() const { return with_suffix(name(), *this); }
std::string Reference::familiar() const { return with_suffix(familiar_name(), *this); }

Result<Reference> parse_reference(std::string_view text) { return parse(text, true); }
Result<Reference> parse_reference_name_only(std::string_view text) { return parse(text, false); }

bool is_valid_digest(std::string_view digest) {
    constexpr std::string_view kAlg = "sha256:";
    if (digest.size() != kAlg.size() + 64 || digest.substr(0, kAlg.size()) != kAlg) return false;
    return is_hex_prefix(digest.substr(kAlg.size()));
}

bool is_hex_prefix(std::string_view text) {
    if (text.empty() || text.size() > 64) return false;
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace engine::image
