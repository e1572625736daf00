#include "volumes/mount_point.hpp"

#include <cmath>
#include <set>
#include <sstream>
#include <vector>

namespace volumes {
namespace {

using nlohmann::json;

const std::set<std::string> kPropagations = {"private", "rprivate", "shared",
                                             "rshared", "slave",    "rslave"};

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, sep)) out.push_back(part);
    if (!text.empty() && text.back() == sep) out.emplace_back();
    return out;
}

// Path normalisation of the lexical kind (Go's filepath.Clean), for comparing destinations.
std::string clean(const std::string& path) {
    std::vector<std::string> parts;
    for (const auto& p : split(path, '/')) {
        if (p.empty() || p == ".") continue;
        if (p == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(p);
    }
    std::string out;
    for (const auto& p : parts) out += "/" + p;
    return out.empty() ? "/" : out;
}

Status apply_mode(MountPoint& m, const std::string& spec) {
    int rw_seen = 0, propagation_seen = 0, label_seen = 0, copy_seen = 0;
    for (const auto& opt : split(m.mode, ',')) {
        if (opt == "ro" || opt == "rw") {
            m.read_only = opt == "ro";
            ++rw_seen;
        } else if (opt == "z" || opt == "Z") {
            ++label_seen;  // SELinux relabelling; nothing to do without SELinux
        } else if (opt == "nocopy") {
            m.copy_data = false;
            ++copy_seen;
        } else if (kPropagations.count(opt)) {
            m.propagation = opt;
            ++propagation_seen;
        } else {
            return Error{EINVAL, fmt::format("invalid mode: {}", m.mode)};
        }
    }
    bool bad = rw_seen > 1 || propagation_seen > 1 || label_seen > 1 || copy_seen > 1 ||
               (m.type == "bind" && copy_seen) || (m.type == "volume" && propagation_seen);
    if (bad) return Error{EINVAL, fmt::format("invalid mode: {}", m.mode)};
    (void)spec;
    return engine::sys::ok();
}

Result<bool> parse_bool(const std::string& key, const std::string& value) {
    if (value.empty() || value == "true" || value == "1") return true;
    if (value == "false" || value == "0") return false;
    return Error{EINVAL, fmt::format("invalid value for {}: {}", key, value)};
}

}  // namespace

json MountPoint::inspect(const std::string& volume_dir) const {
    json out = {{"Type", type}};
    if (type == "volume") out["Name"] = source;
    out["Source"] = type == "volume" ? volume_dir : type == "bind" ? source : "";
    out["Destination"] = destination;
    if (type == "volume") out["Driver"] = "local";
    out["Mode"] = mode;
    out["RW"] = !read_only;
    out["Propagation"] = type == "bind" ? (propagation.empty() ? "rprivate" : propagation) : "";
    return out;
}

void to_json(json& j, const MountPoint& m) {
    j = {{"type", m.type},           {"source", m.source},
         {"destination", m.destination}, {"read_only", m.read_only},
         {"mode", m.mode},           {"propagation", m.propagation},
         {"recursive", m.recursive}, {"create_source", m.create_source},
         {"copy_data", m.copy_data}, {"anonymous", m.anonymous},
         {"tmpfs_size", m.tmpfs_size}, {"tmpfs_mode", m.tmpfs_mode},
         {"volume_labels", m.volume_labels}, {"volume_options", m.volume_options}};
}

void from_json(const json& j, MountPoint& m) {
    MountPoint d;
    m.type = j.value("type", d.type);
    m.source = j.value("source", d.source);
    m.destination = j.value("destination", d.destination);
    m.read_only = j.value("read_only", d.read_only);
    m.mode = j.value("mode", d.mode);
    m.propagation = j.value("propagation", d.propagation);
    m.recursive = j.value("recursive", d.recursive);
    m.create_source = j.value("create_source", d.create_source);
    m.copy_data = j.value("copy_data", d.copy_data);
    m.anonymous = j.value("anonymous", d.anonymous);
    m.tmpfs_size = j.value("tmpfs_size", d.tmpfs_size);
    m.tmpfs_mode = j.value("tmpfs_mode", d.tmpfs_mode);
    m.volume_labels = j.value("volume_labels", d.volume_labels);
    m.volume_options = j.value("volume_options", d.volume_options);
}

Status check_destination(const std::string& destination, const std::string& type) {
    if (destination.empty() || destination[0] != '/')
        return Error{EINVAL, fmt::format("invalid mount config for type \"{}\": invalid mount path: "
                                         "'{}' mount path must be absolute", type, destination)};
    if (clean(destination) == "/")
        return Error{EINVAL, fmt::format("invalid mount config for type \"{}\": invalid specification: "
                                         "destination can't be '/'", type)};
    return engine::sys::ok();
}

Result<MountPoint> parse_bind(const std::string& spec) {
    auto fields = split(spec, ':');
    auto invalid = [&] { return Error{EINVAL, fmt::format("invalid volume specification: '{}'", spec)}; };
    if (fields.empty() || fields.size() > 3 || spec.empty()) return invalid();
    for (const auto& f : fields)
        if (f.empty()) return invalid();
    MountPoint m;
    if (fields.size() == 1) {
        m.type = "volume";
        m.destination = fields[0];
    } else {
        m.source = fields[0];
        m.destination = fields[1];
        m.type = m.source[0] == '/' ? "bind" : "volume";
        if (fields.size() == 3) m.mode = fields[2];
    }
    if (auto s = apply_mode(m, spec); !s) return s.error();
    if (auto s = check_destination(m.destination, m.type); !s)
        return std::move(s).context(fmt::format("invalid volume specification: '{}'", spec)).error();
    m.destination = clean(m.destination);
    if (m.type == "bind") {
        m.source = clean(m.source);
        m.create_source = true;  // legacy -v behaviour: a missing host directory is created
    }
    return m;
}

Result<MountPoint> parse_api_mount(const json& mount) {
    MountPoint m;
    m.type = mount.value("Type", "");
    m.source = mount.value("Source", "");
    m.destination = mount.value("Target", "");
    m.read_only = mount.value("ReadOnly", false);
    if (m.type != "bind" && m.type != "volume" && m.type != "tmpfs")
        return Error{EINVAL, fmt::format("invalid mount config: mount type unknown: \"{}\"", m.type)};
    auto invalid = [&](const std::string& why) {
        return Error{EINVAL, fmt::format("invalid mount config for type \"{}\": {}", m.type, why)};
    };
    if (auto s = check_destination(m.destination, m.type); !s) return s.error();
    m.destination = clean(m.destination);
    json bind = mount.value("BindOptions", json::object());
    json volume = mount.value("VolumeOptions", json::object());
    json tmpfs = mount.value("TmpfsOptions", json::object());
    if (m.type != "bind" && !bind.empty()) return invalid("field BindOptions must not be specified");
    if (m.type != "volume" && !volume.empty()) return invalid("field VolumeOptions must not be specified");
    if (m.type != "tmpfs" && !tmpfs.empty()) return invalid("field TmpfsOptions must not be specified");
    if (m.type == "bind") {
        if (m.source.empty()) return invalid("field Source must not be empty");
        if (m.source[0] != '/') return invalid(fmt::format("invalid mount path: '{}' mount path must be absolute", m.source));
        m.source = clean(m.source);
        m.propagation = bind.value("Propagation", "");
        if (!m.propagation.empty() && !kPropagations.count(m.propagation))
            return invalid(fmt::format("invalid propagation mode: {}", m.propagation));
        m.recursive = !bind.value("NonRecursive", false);
        m.create_source = bind.value("CreateMountpoint", false);
    } else if (m.type == "volume") {
        m.copy_data = !volume.value("NoCopy", false);
        m.volume_labels = volume.value("Labels", json::object()).get<std::map<std::string, std::string>>();
        json driver = volume.value("DriverConfig", json::object());
        m.volume_options = driver.value("Options", json::object()).get<std::map<std::string, std::string>>();
        std::string driver_name = driver.value("Name", "local");
        if (driver_name != "local" && !driver_name.empty())
            return invalid(fmt::format("plugin \"{}\" not found", driver_name));
    } else {
        if (!m.source.empty()) return invalid("field Source must not be specified");
        m.tmpfs_size = tmpfs.value("SizeBytes", std::int64_t{0});
        m.tmpfs_mode = tmpfs.value("Mode", 0u);
        if (m.tmpfs_size < 0) return invalid("invalid tmpfs size");
    }
    return m;
}

Result<json> parse_mount_flag(const std::string& csv) {
    json m = json::object();
    json bind = json::object(), volume = json::object(), tmpfs = json::object();
    auto invalid = [&](const std::string& why) {
        return Error{EINVAL, fmt::format("invalid argument \"{}\" for \"--mount\" flag: {}", csv, why)};
    };
    std::string type = "volume";
    for (const auto& field : split(csv, ',')) {
        auto eq = field.find('=');
        std::string key = field.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
        bool bare = eq == std::string::npos;
        auto flag = [&](json& obj, const char* name) -> Status {
            auto b = parse_bool(key, value);
            if (!b) return b.error();
            obj[name] = b.value();
            return engine::sys::ok();
        };
        Status s = engine::sys::ok();
        if (bare && key != "readonly" && key != "ro" && key != "volume-nocopy" &&
            key != "bind-nonrecursive" && key != "bind-create-host-path")
            return invalid(fmt::format("invalid field '{}' must be a key=value pair", field));
        if (key == "type") type = value;
        else if (key == "source" || key == "src") m["Source"] = value;
        else if (key == "target" || key == "destination" || key == "dst") m["Target"] = value;
        else if (key == "readonly" || key == "ro") s = flag(m, "ReadOnly");
        else if (key == "consistency") m["Consistency"] = value;
        else if (key == "bind-propagation") bind["Propagation"] = value;
        else if (key == "bind-nonrecursive") s = flag(bind, "NonRecursive");
        else if (key == "bind-create-host-path") s = flag(bind, "CreateMountpoint");
        else if (key == "volume-nocopy") s = flag(volume, "NoCopy");
        else if (key == "volume-driver") volume["DriverConfig"]["Name"] = value;
        else if (key == "volume-label" || key == "volume-opt") {
            auto kv = value.find('=');
            json& target = key == "volume-label" ? volume["Labels"] : volume["DriverConfig"]["Options"];
            target[value.substr(0, kv)] = kv == std::string::npos ? "" : value.substr(kv + 1);
        } else if (key == "tmpfs-size") {
            auto bytes = parse_size(value);
            if (!bytes) return invalid(bytes.error().message);
            tmpfs["SizeBytes"] = bytes.value();
        } else if (key == "tmpfs-mode") {
            char* end = nullptr;
            unsigned long mode = std::strtoul(value.c_str(), &end, 8);
            if (value.empty() || *end != '\0' || mode > 07777) return invalid(fmt::format("invalid value for {}: {}", key, value));
            tmpfs["Mode"] = mode;
        } else {
            return invalid(fmt::format("unexpected key '{}' in '{}'", key, field));
        }
        if (!s) return invalid(s.error().message);
    }
    m["Type"] = type;
    if (!m.contains("Target")) return invalid("target is required");
    if (!bind.empty()) m["BindOptions"] = bind;
    if (!volume.empty()) m["VolumeOptions"] = volume;
    if (!tmpfs.empty()) m["TmpfsOptions"] = tmpfs;
    return m;
}

Result<std::pair<std::string, std::string>> parse_volumes_from(const std::string& spec) {
    auto colon = spec.find(':');
    std::string name = spec.substr(0, colon);
    std::string mode = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (name.empty() || (mode != "" && mode != "ro" && mode != "rw"))
        return Error{EINVAL, fmt::format("invalid volumes-from specification: '{}'", spec)};
    return std::pair{name, mode};
}

Result<std::int64_t> parse_size(const std::string& text) {
    static const std::map<std::string, double> kUnits = {
        {"", 1}, {"b", 1}, {"k", 1024.0}, {"kb", 1024.0}, {"m", 1048576.0}, {"mb", 1048576.0},
        {"g", 1073741824.0}, {"gb", 1073741824.0}, {"t", 1099511627776.0}, {"tb", 1099511627776.0}};
    char* end = nullptr;
    double number = std::strtod(text.c_str(), &end);
    std::string unit(end);
    for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = kUnits.find(unit);
    if (text.empty() || end == text.c_str() || it == kUnits.end() || number < 0 || !std::isfinite(number))
        return Error{EINVAL, fmt::format("invalid size: '{}'", text)};
    return static_cast<std::int64_t>(number * it->second);
}

}  // namespace volumes
