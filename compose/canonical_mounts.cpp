// Canonical forms of the service keys that attach things: ports, volumes, devices, and
// secret/config references.
#include <charconv>
#include <fmt/format.h>

#include "compose/canonical_rules.hpp"
#include "compose/short_syntax.hpp"

namespace compose::canonical {
namespace {

// A list rewritten item by item may grow (one port range -> many ports): new item j came from
// old item origin[j], so it takes that item's locations.
void relocate_items(Context& c, const std::string& at, const std::vector<size_t>& origin) {
    SourceMap old;
    old.copy_subtree(c.doc().locations, at, at);
    for (size_t j = 0; j < origin.size(); ++j) {
        if (origin[j] != j)
            c.doc().locations.copy_subtree(old, item_path(at, origin[j]), item_path(at, j));
    }
}

bool is_digits(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// Long syntax: compose-go stores `published` as a string and fills mode and protocol.
void port_defaults(Tree& port) {
    if (port.contains("published") && port["published"].is_number_integer())
        port["published"] = port["published"].dump();
    if (port.contains("target") && port["target"].is_string()) {
        const auto& text = port["target"].get_ref<const std::string&>();
        uint64_t target = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), target);
        // Out of range or not digits: left as written for the validator to report.
        if (is_digits(text) && ec == std::errc() && end == text.data() + text.size())
            port["target"] = target;
    }
    if (!port.contains("mode")) port["mode"] = "ingress";
    if (!port.contains("protocol")) port["protocol"] = "tcp";
}

}  // namespace

void ports(Context& c, Tree& service, const std::string& path) {
    if (!service.contains("ports") || !service["ports"].is_array()) return;
    auto& list = service["ports"];
    auto at = child_path(path, "ports");
    Tree out = Tree::array();
    std::vector<size_t> origin;
    for (size_t i = 0; i < list.size(); ++i) {
        auto& item = list[i];
        std::vector<Tree> expanded;
        if (item.is_number_integer()) {
            expanded.push_back({{"mode", "ingress"}, {"target", item}, {"protocol", "tcp"}});
        } else if (item.is_string()) {
            try {
                expanded = parse_port(item.get<std::string>());
            } catch (const SyntaxError& e) {
                if (c.lenient()) return;  // like compose-go, keep the whole list as written
                c.fail(item_path(at, i), e.what());
                expanded.push_back(item);
            }
        } else {
            if (item.is_object()) port_defaults(item);
            expanded.push_back(item);
        }
        for (auto& port : expanded) {
            out.push_back(std::move(port));
            origin.push_back(i);
        }
    }
    list = std::move(out);
    relocate_items(c, at, origin);
}

void volumes(Context& c, Tree& service, const std::string& path) {
    if (!service.contains("volumes") || !service["volumes"].is_array()) return;
    auto at = child_path(path, "volumes");
    auto& list = service["volumes"];
    for (size_t i = 0; i < list.size(); ++i) {
        auto& item = list[i];
        auto item_at = item_path(at, i);
        if (item.is_string()) {
            try {
                item = parse_volume(item.get<std::string>());
            } catch (const SyntaxError& e) {
                if (!c.lenient()) c.fail(item_at, e.what());
            }
            continue;
        }
        if (!item.is_object()) continue;
        if (string_at(item, "type") == "bind" &&
            (!item.contains("source") || item["source"] == ""))
            c.fail(item_at, "invalid mount config for type \"bind\": field Source must not be "
                            "empty");
    }
}

void devices(Context& c, Tree& service, const std::string& path) {
    if (!service.contains("devices") || !service["devices"].is_array()) return;
    auto at = child_path(path, "devices");
    auto& list = service["devices"];
    for (size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_string()) continue;
        try {
            list[i] = parse_device(list[i].get<std::string>());
        } catch (const SyntaxError& e) {
            if (!c.lenient()) c.fail(item_path(at, i), e.what());
        }
    }
}

void file_references(Tree& service, const char* key) {
    if (!service.contains(key) || !service[key].is_array()) return;
    for (auto& item : service[key]) {
        if (item.is_string()) item = Tree{{"source", item}};
        // compose-go prints a file mode in octal ("0440"), whatever base it was written in.
        if (item.is_object() && item.contains("mode") && item["mode"].is_number_integer())
            item["mode"] = fmt::format("0{:o}", item["mode"].get<int64_t>());
    }
}

}  // namespace compose::canonical
