#include "compose/short_syntax.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include <fmt/format.h>

namespace compose {
namespace {

struct PortRange {
    uint32_t start = 0;
    uint32_t end = 0;
    uint32_t size() const { return end - start; }
};

uint32_t parse_port_number(std::string_view text, const char* what) {
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size())
        throw SyntaxError(fmt::format("{} \"{}\" is not a number", what, text));
    if (ec == std::errc::result_out_of_range || value < 1 || value > 65535)
        throw SyntaxError(fmt::format("{} is out of range 1-65535", what));
    return static_cast<uint32_t>(value);
}

PortRange parse_port_range(std::string_view text, const char* what) {
    auto dash = text.find('-');
    if (dash == std::string_view::npos) {
        auto port = parse_port_number(text, what);
        return {port, port};
    }
    PortRange range{parse_port_number(text.substr(0, dash), what),
                    parse_port_number(text.substr(dash + 1), what)};
    if (range.end < range.start)
        throw SyntaxError(fmt::format("invalid {} range \"{}\"", what, text));
    return range;
}

// Splits like docker/go-connections: the last part is the container port, the one before it
// the host port, everything earlier the host IP (so unbracketed IPv6 addresses survive).
struct PortParts {
    std::string ip, host, container, protocol = "tcp";
};

PortParts split_port(const std::string& spec) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t colon; (colon = spec.find(':', start)) != std::string::npos; start = colon + 1)
        parts.push_back(spec.substr(start, colon - start));
    parts.push_back(spec.substr(start));
    PortParts out;
    out.container = parts.back();
    if (parts.size() >= 2) out.host = parts[parts.size() - 2];
    for (size_t i = 0; i + 2 < parts.size(); ++i) out.ip += (i ? ":" : "") + parts[i];
    if (auto slash = out.container.find('/'); slash != std::string::npos) {
        auto proto = out.container.substr(slash + 1);
        out.container.resize(slash);
        if (!proto.empty()) out.protocol = proto;
    }
    std::transform(out.protocol.begin(), out.protocol.end(), out.protocol.begin(), ::tolower);
    if (out.ip.size() >= 2 && out.ip.front() == '[' && out.ip.back() == ']')
        out.ip = out.ip.substr(1, out.ip.size() - 2);
    return out;
}

void check_ip(const std::string& ip) {
    unsigned char buffer[16];
    if (ip.empty() || ::inet_pton(AF_INET, ip.c_str(), buffer) == 1 ||
        ::inet_pton(AF_INET6, ip.c_str(), buffer) == 1)
        return;
    throw SyntaxError(fmt::format("invalid IP address \"{}\"", ip));
}

std::vector<Tree> expand_ports(const PortParts& p, PortRange target,
                               std::optional<PortRange> published) {
    std::vector<Tree> out;
    for (uint32_t i = 0; i <= target.size(); ++i) {
        Tree item = {{"mode", "ingress"}};
        if (!p.ip.empty()) item["host_ip"] = p.ip;
        item["target"] = target.start + i;
        if (published && published->size() == target.size())
            item["published"] = std::to_string(published->start + i);
        else if (published)  // one container port, a host range to pick a free port from
            item["published"] = fmt::format("{}-{}", published->start, published->end);
        item["protocol"] = p.protocol;
        out.push_back(std::move(item));
    }
    // docker sorts the expanded ports by their "port/proto" text, so 100 sorts before 99.
    std::stable_sort(out.begin(), out.end(), [](const Tree& a, const Tree& b) {
        return std::to_string(a["target"].get<uint32_t>()) <
               std::to_string(b["target"].get<uint32_t>());
    });
    return out;
}

}  // namespace

std::vector<Tree> parse_port(const std::string& spec) {
    try {
        auto parts = split_port(spec);
        check_ip(parts.ip);
        if (parts.container.empty()) throw SyntaxError("no container port");
        if (parts.protocol != "tcp" && parts.protocol != "udp" && parts.protocol != "sctp")
            throw SyntaxError(fmt::format("invalid protocol \"{}\"", parts.protocol));
        auto target = parse_port_range(parts.container, "container port");
        std::optional<PortRange> published;
        if (!parts.host.empty()) published = parse_port_range(parts.host, "published port");
        if (published && published->size() != target.size() && target.size() != 0)
            throw SyntaxError(fmt::format("published range {} and container range {} differ "
                                          "in size", parts.host, parts.container));
        return expand_ports(parts, target, published);
    } catch (const SyntaxError& e) {
        throw SyntaxError(fmt::format("invalid port \"{}\": {}", spec, e.what()));
    }
}

namespace {

// Mirrors compose-go format.isFilePath: only these prefixes make a bind mount. Windows drive
// letters are not recognised: berth runs Linux containers only, and treating "c:/x" as a drive
// would turn a named volume "c" into an anonymous one.
bool is_file_path(const std::string& source) {
    return !source.empty() && (source[0] == '.' || source[0] == '/' || source[0] == '~' ||
                               source.rfind("\\\\", 0) == 0);
}

std::string clean_target(const std::string& target) {
    if (target.empty()) return target;
    auto clean = std::filesystem::path(target).lexically_normal().string();
    if (clean.size() > 1 && clean.back() == '/') clean.pop_back();
    return clean;
}

// Splits on ':' except inside ${...}, so un-interpolated values keep their variables.
std::vector<std::string> split_volume(const std::string& spec) {
    std::vector<std::string> parts(1);
    int depth = 0;
    for (size_t i = 0; i < spec.size(); ++i) {
        char c = spec[i];
        if (c == '$' && i + 1 < spec.size() && spec[i + 1] == '{') ++depth;
        else if (c == '}' && depth > 0) --depth;
        if (c == ':' && depth == 0) parts.emplace_back();
        else parts.back() += c;
    }
    return parts;
}

void apply_volume_options(Tree& mount, const std::string& options) {
    size_t start = 0;
    for (;;) {
        auto comma = options.find(',', start);
        auto option = options.substr(start, comma - start);
        if (option == "ro") mount["read_only"] = true;
        else if (option == "rw") mount.erase("read_only");
        else if (option == "nocopy") mount["volume"]["nocopy"] = true;
        else if (option == "z" || option == "Z") mount["bind"]["selinux"] = option;
        else if (option == "rprivate" || option == "private" || option == "rshared" ||
                 option == "shared" || option == "rslave" || option == "slave")
            mount["bind"]["propagation"] = option;
        // compose-go ignores other options (consistency modes included); so do we.
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
}

}  // namespace

Tree parse_volume(const std::string& spec) {
    if (spec.empty()) throw SyntaxError("invalid empty volume spec");
    auto parts = split_volume(spec);
    for (const auto& part : parts)
        if (part.empty())
            throw SyntaxError(fmt::format("invalid spec: {}: empty section between colons", spec));
    if (parts.size() > 3)
        throw SyntaxError(fmt::format("invalid spec: {}: too many colons", spec));
    std::string source = parts.size() > 1 ? parts[0] : "";
    std::string target = parts.size() > 1 ? parts[1] : parts[0];
    Tree mount = {{"type", is_file_path(source) ? "bind" : "volume"}};
    if (!source.empty()) mount["source"] = source;
    mount["target"] = clean_target(target);
    if (parts.size() == 3) apply_volume_options(mount, parts[2]);
    if (mount["type"] == "bind") {
        // Short-syntax binds create a missing host path, as docker-compose v1 did.
        mount["bind"]["create_host_path"] = true;
    } else if (!mount.contains("volume")) {
        mount["volume"] = Tree::object();
    }
    return mount;
}

Tree parse_device(const std::string& spec) {
    auto is_mode = [](const std::string& s) {
        return !s.empty() && s.find_first_not_of("rwm") == std::string::npos;
    };
    std::vector<std::string> parts(1);
    for (char c : spec) {
        if (c == ':') parts.emplace_back();
        else parts.back() += c;
    }
    std::string source = parts[0], target = parts[0], permissions = "rwm";
    if (parts.size() == 2 && is_mode(parts[1])) {
        permissions = parts[1];
    } else if (parts.size() == 2) {
        target = parts[1];
    } else if (parts.size() == 3 && is_mode(parts[2])) {
        target = parts[1];
        permissions = parts[2];
    } else if (parts.size() != 1) {
        throw SyntaxError(fmt::format("invalid device specification \"{}\"", spec));
    }
    if (source.empty() || target.empty())
        throw SyntaxError(fmt::format("invalid device specification \"{}\"", spec));
    return {{"source", source}, {"target", target}, {"permissions", permissions}};
}

}  // namespace compose
