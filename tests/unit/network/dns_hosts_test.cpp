// A container's /etc/hosts with extra_hosts, as Docker writes it.
#include "network/dns_hosts.hpp"

#include <catch2/catch.hpp>

using namespace network::dns;

namespace {

const std::string defaults =
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";

}  // namespace

TEST_CASE("dns hosts: defaults, extra_hosts in order, then the container itself", "[dns]") {
    ContainerHosts hosts;
    hosts.hostname = "c0ffee123456";
    hosts.addresses = {"172.18.0.2"};
    hosts.extra_hosts = {"db=10.0.0.5", "legacy:10.0.0.6", "six:::1", "bracket=[fd00::1]", "host=host-gateway"};
    hosts.host_gateway = "172.17.0.1";
    CHECK(container_hosts_file(hosts).value() == defaults +
                                                     "10.0.0.5\tdb\n"
                                                     "10.0.0.6\tlegacy\n"
                                                     "::1\tsix\n"
                                                     "fd00::1\tbracket\n"
                                                     "172.17.0.1\thost\n"
                                                     "172.18.0.2\tc0ffee123456\n");
}

TEST_CASE("dns hosts: domainname gives the FQDN first", "[dns]") {
    ContainerHosts hosts{"web", "example.com", {"172.18.0.3"}, {}, {}};
    CHECK(container_hosts_file(hosts).value() == defaults + "172.18.0.3\tweb.example.com web\n");
}

TEST_CASE("dns hosts: bad extra_hosts are rejected, quoted", "[dns]") {
    auto error = [](std::string entry) {
        ContainerHosts hosts{"web", "", {}, {std::move(entry)}, {}};
        return container_hosts_file(hosts).error().message;
    };
    CHECK(error("db=1.2.3") == "extra host \"db=1.2.3\": invalid IP address \"1.2.3\"");
    CHECK(error("noseparator") == "extra host \"noseparator\": expected name=ip");
    CHECK(error("=1.2.3.4") == "extra host \"=1.2.3.4\": expected name=ip");
    CHECK(error("gw=host-gateway") == "extra host \"gw=host-gateway\": no host-gateway address is known");
}
