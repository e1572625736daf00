#include "network/permissions.hpp"

namespace network {

namespace {

// "5432/tcp" → (tcp, 5432); ranges are not allowed (each port is a set element).
Result<NftAllow> parse_allow_port(const std::string& service, const std::string& text) {
    auto invalid = Error{EINVAL, fmt::format("x-allow of service \"{}\": invalid port \"{}\"",
                                             service, text)};
    auto spec = parse_port_spec(text);
    if (!spec || spec.value().container.size() != 1 || spec.value().host.first != 0 ||
        !spec.value().host_ip.empty())
        return invalid;
    return NftAllow{{}, spec.value().protocol, spec.value().container.first};
}

}  // namespace

Result<std::vector<NftProtection>> resolve_permissions(
    const std::map<std::string, std::vector<AllowEntry>>& allow_by_service,
    const std::map<std::string, std::vector<Ipv4Address>>& addresses_by_service) {
    std::vector<NftProtection> out;
    for (const auto& [service, entries] : allow_by_service) {
        std::vector<NftAllow> allows;
        for (const auto& entry : entries) {
            auto sources = addresses_by_service.find(entry.from);
            if (sources == addresses_by_service.end())
                return Error{EINVAL, fmt::format("x-allow of service \"{}\": unknown service \"{}\"",
                                                 service, entry.from)};
            for (const auto& port : entry.ports) {
                auto allow = parse_allow_port(service, port);
                if (!allow) return allow.error();
                allow.value().sources = sources->second;
                allows.push_back(std::move(allow.value()));
            }
        }
        auto addresses = addresses_by_service.find(service);
        if (addresses == addresses_by_service.end()) continue;  // no container running yet
        for (const auto& address : addresses->second) out.push_back({address, allows});
    }
    return out;
}

}  // namespace network
