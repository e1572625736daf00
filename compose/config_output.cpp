#include "compose/config_output.hpp"

#include <algorithm>
#include <cmath>

#include <yaml-cpp/yaml.h>

#include "compose/yaml_parse.hpp"

namespace compose {
namespace {

const std::vector<std::string> kTopLevelOrder = {"name", "services", "networks", "volumes",
                                                 "secrets", "configs", "models"};

Tree sorted(const Tree& node) {
    if (node.is_array()) {
        Tree out = Tree::array();
        for (const auto& item : node) out.push_back(sorted(item));
        return out;
    }
    if (!node.is_object()) return node;
    std::vector<std::string> keys;
    for (auto it = node.begin(); it != node.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());
    Tree out = Tree::object();
    for (const auto& k : keys) out[k] = sorted(node.at(k));
    return out;
}

// A string must be quoted when a YAML 1.2 reader would take it for something else.
bool needs_quotes(const std::string& s) {
    if (s.empty()) return true;
    if (!plain_scalar(s).is_string()) return true;
    // Words YAML 1.1 readers (PyYAML, docker-compose v1) take for booleans or null.
    static const std::vector<std::string> kYaml11 = {"y", "Y", "yes", "Yes", "YES", "n", "N",
                                                     "no", "No", "NO", "on", "On", "ON",
                                                     "off", "Off", "OFF"};
    return std::find(kYaml11.begin(), kYaml11.end(), s) != kYaml11.end();
}

void emit(YAML::Emitter& out, const Tree& node) {
    switch (node.type()) {
        case Tree::value_t::object:
            if (node.empty()) out << YAML::Flow;
            out << YAML::BeginMap;
            for (auto it = node.begin(); it != node.end(); ++it) {
                out << YAML::Key << it.key() << YAML::Value;
                emit(out, it.value());
            }
            out << YAML::EndMap;
            break;
        case Tree::value_t::array:
            if (node.empty()) out << YAML::Flow;
            out << YAML::BeginSeq;
            for (const auto& item : node) emit(out, item);
            out << YAML::EndSeq;
            break;
        case Tree::value_t::string: {
            // "$" is printed as "$$" so the output interpolates back to the same value.
            std::string s = node.get<std::string>();
            for (size_t at = s.find('$'); at != std::string::npos; at = s.find('$', at + 2))
                s.insert(at, 1, '$');
            if (needs_quotes(s)) out << YAML::DoubleQuoted;
            else if (s.find('\n') != std::string::npos) out << YAML::Literal;
            out << s;
            break;
        }
        case Tree::value_t::boolean: out << node.get<bool>(); break;
        case Tree::value_t::number_integer: out << node.get<int64_t>(); break;
        case Tree::value_t::number_unsigned: out << node.get<uint64_t>(); break;
        case Tree::value_t::number_float: out << node.dump(); break;
        default: out << YAML::Null; break;
    }
}

}  // namespace

Tree canonical_order(const Tree& model) {
    if (!model.is_object()) return model;
    Tree out = Tree::object();
    for (const auto& key : kTopLevelOrder)
        if (model.contains(key)) out[key] = sorted(model.at(key));
    Tree rest = sorted(model);
    for (auto it = rest.begin(); it != rest.end(); ++it)
        if (!out.contains(it.key())) out[it.key()] = it.value();
    return out;
}

std::string to_yaml(const Tree& model) {
    YAML::Emitter out;
    out.SetIndent(2);
    out.SetSeqFormat(YAML::Block);
    out.SetBoolFormat(YAML::TrueFalseBool);
    out.SetNullFormat(YAML::LowerNull);
    emit(out, canonical_order(model));
    return std::string(out.c_str()) + "\n";
}

std::string to_json(const Tree& model) { return canonical_order(model).dump(4) + "\n"; }

}  // namespace compose
