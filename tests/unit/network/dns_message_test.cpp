// DNS wire format: query parsing, answers, truncation and hostile input.
#include "network/dns_message.hpp"

#include <random>

#include <catch2/catch.hpp>

using namespace network::dns;

namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& out, std::uint16_t value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

void put_name(Bytes& out, const std::string& dotted) {
    std::size_t start = 0;
    while (start < dotted.size()) {
        std::size_t dot = dotted.find('.', start);
        if (dot == std::string::npos) dot = dotted.size();
        out.push_back(static_cast<std::uint8_t>(dot - start));
        out.insert(out.end(), dotted.begin() + static_cast<long>(start), dotted.begin() + static_cast<long>(dot));
        start = dot + 1;
    }
    out.push_back(0);
}

Bytes header(std::uint16_t id, std::uint16_t flags, std::uint16_t qd, std::uint16_t an = 0,
             std::uint16_t ns = 0, std::uint16_t ar = 0) {
    Bytes out;
    for (auto v : {id, flags, qd, an, ns, ar}) put16(out, v);
    return out;
}

Bytes query(const std::string& name, std::uint16_t qtype = type::a, bool edns = false,
            std::uint16_t edns_size = 4096) {
    Bytes out = header(0x1234, 0x0100, 1, 0, 0, edns ? 1 : 0);
    put_name(out, name);
    put16(out, qtype);
    put16(out, class_in);
    if (edns) {
        out.push_back(0);
        put16(out, type::opt);
        put16(out, edns_size);
        for (int i = 0; i < 4; ++i) out.push_back(0);
        put16(out, 0);
    }
    return out;
}

std::vector<Record> many_addresses(int count) {
    std::vector<Record> records;
    for (int i = 0; i < count; ++i) {
        std::uint8_t address[4] = {10, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
        records.push_back(address_record(0, address, 600));
    }
    return records;
}

}  // namespace

TEST_CASE("dns message: a simple query parses", "[dns]") {
    auto parsed = parse_query(query("Web.Example", type::aaaa));
    REQUIRE(parsed.ok());
    const Query& q = parsed.value();
    CHECK(q.header.id == 0x1234);
    CHECK(q.header.recursion_desired);
    CHECK_FALSE(q.header.response);
    CHECK(q.header.opcode == opcode_query);
    REQUIRE(q.questions.size() == 1);
    CHECK(q.questions[0].name == "Web.Example");
    CHECK(q.questions[0].type == type::aaaa);
    CHECK(q.questions[0].qclass == class_in);
    CHECK_FALSE(q.edns_udp_size);
}

TEST_CASE("dns message: EDNS OPT record gives the client's buffer size", "[dns]") {
    auto parsed = parse_query(query("web", type::a, true, 1400));
    REQUIRE(parsed.ok());
    CHECK(parsed.value().edns_udp_size == 1400);
    CHECK(answer_size_limit(parsed.value(), Transport::udp) == 1232);
    CHECK(answer_size_limit(parse_query(query("web", type::a, true, 100)).value(), Transport::udp) == 512);
    CHECK(answer_size_limit(parse_query(query("web")).value(), Transport::udp) == 512);
    CHECK(answer_size_limit(parse_query(query("web")).value(), Transport::tcp) == 65535);
}

TEST_CASE("dns message: several questions and compression pointers", "[dns]") {
    Bytes packet = header(7, 0x0100, 2);
    put_name(packet, "db.backend");  // at offset 12; "backend" at 15
    put16(packet, type::a);
    put16(packet, class_in);
    packet.push_back(3);
    packet.insert(packet.end(), {'w', 'e', 'b'});
    put16(packet, 0xC000 | 15);
    put16(packet, type::a);
    put16(packet, class_in);
    auto parsed = parse_query(packet);
    REQUIRE(parsed.ok());
    REQUIRE(parsed.value().questions.size() == 2);
    CHECK(parsed.value().questions[0].name == "db.backend");
    CHECK(parsed.value().questions[1].name == "web.backend");
    CHECK(parsed.value().questions[1].type == type::a);
}

TEST_CASE("dns message: odd label bytes are escaped, not confused with dots", "[dns]") {
    Bytes packet = header(7, 0x0100, 1);
    packet.push_back(3);
    packet.insert(packet.end(), {'a', '.', 'b'});
    packet.push_back(0);
    put16(packet, type::a);
    put16(packet, class_in);
    auto parsed = parse_query(packet);
    REQUIRE(parsed.ok());
    CHECK(parsed.value().questions[0].name == "a\\046b");
}

TEST_CASE("dns message: malformed names are rejected", "[dns]") {
    SECTION("pointer loop onto itself") {
        Bytes packet = header(1, 0x0100, 1);
        put16(packet, 0xC000 | 12);
        put16(packet, type::a);
        put16(packet, class_in);
        CHECK_THAT(parse_query(packet).error().message, Catch::Contains("backwards"));
    }
    SECTION("pointer forwards") {
        Bytes packet = header(1, 0x0100, 1);
        put16(packet, 0xC000 | 20);
        put16(packet, type::a);
        put16(packet, class_in);
        packet.insert(packet.end(), {1, 'x', 0});
        CHECK_FALSE(parse_query(packet).ok());
    }
    SECTION("label longer than 63 bytes") {
        Bytes packet = header(1, 0x0100, 1);
        put_name(packet, std::string(64, 'a'));
        put16(packet, type::a);
        put16(packet, class_in);
        CHECK_FALSE(parse_query(packet).ok());
    }
    SECTION("name longer than 255 bytes") {
        std::string name;
        for (int i = 0; i < 5; ++i) name += std::string(60, 'a') + ".";
        name += "b";
        CHECK_THAT(parse_query(query(name)).error().message, Catch::Contains("255"));
    }
    SECTION("name of exactly 255 bytes is fine") {
        std::string name = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') +
                           "." + std::string(61, 'd');
        CHECK(parse_query(query(name)).ok());
    }
    SECTION("truncated packets") {
        Bytes full = query("web.example", type::a, true);
        for (std::size_t size = 0; size < full.size(); ++size) {
            Bytes cut(full.begin(), full.begin() + static_cast<long>(size));
            CHECK_FALSE(parse_query(cut).ok());
        }
    }
}

TEST_CASE("dns message: answers echo the question and point at it", "[dns]") {
    Query q = parse_query(query("Web", type::a)).value();
    std::uint8_t address[4] = {172, 18, 0, 2};
    Bytes reply = build_response(q, Rcode::no_error, {address_record(0, address, 600)}, true, Transport::udp);
    auto head = parse_header(reply).value();
    CHECK(head.id == 0x1234);
    CHECK(head.response);
    CHECK(head.authoritative);
    CHECK(head.recursion_desired);
    CHECK(head.recursion_available);
    CHECK(head.rcode == Rcode::no_error);
    CHECK(head.question_count == 1);
    CHECK(head.answer_count == 1);
    // header 12 + question (5 + 4) + answer (2 + 10 + 4)
    REQUIRE(reply.size() == 12 + 9 + 16);
    CHECK(Bytes(reply.begin() + 12, reply.begin() + 17) == Bytes{3, 'W', 'e', 'b', 0});
    CHECK(Bytes(reply.begin() + 21, reply.begin() + 23) == Bytes{0xC0, 12});
    CHECK(Bytes(reply.end() - 4, reply.end()) == Bytes{172, 18, 0, 2});
}

TEST_CASE("dns message: error responses", "[dns]") {
    Query q = parse_query(query("nothing.here")).value();
    auto nx = parse_header(build_response(q, Rcode::name_error, {}, true, Transport::udp)).value();
    CHECK(nx.rcode == Rcode::name_error);
    CHECK(nx.answer_count == 0);
    auto servfail = parse_header(build_response(q, Rcode::server_failure, {}, false, Transport::udp)).value();
    CHECK(servfail.rcode == Rcode::server_failure);
    Header update = q.header;
    update.opcode = 5;
    auto notimp = parse_header(build_error(update, Rcode::not_implemented)).value();
    CHECK(notimp.rcode == Rcode::not_implemented);
    CHECK(notimp.opcode == 5);
    CHECK(notimp.question_count == 0);
    CHECK(parse_header(build_error(q.header, Rcode::refused)).value().rcode == Rcode::refused);
}

TEST_CASE("dns message: TC set when answers overflow 512 bytes on UDP without EDNS", "[dns]") {
    Query plain = parse_query(query("scaled")).value();
    auto records = many_addresses(40);  // 40 * 16 bytes > 512
    Bytes udp = build_response(plain, Rcode::no_error, records, true, Transport::udp);
    CHECK(udp.size() <= 512);
    CHECK(parse_header(udp).value().truncated);
    CHECK(parse_header(udp).value().answer_count == 0);

    Bytes tcp = build_response(plain, Rcode::no_error, records, true, Transport::tcp);
    CHECK_FALSE(parse_header(tcp).value().truncated);
    CHECK(parse_header(tcp).value().answer_count == 40);

    Query edns = parse_query(query("scaled", type::a, true, 4096)).value();
    Bytes big = build_response(edns, Rcode::no_error, records, true, Transport::udp);
    CHECK_FALSE(parse_header(big).value().truncated);
    CHECK(parse_header(big).value().answer_count == 40);
    CHECK(parse_header(big).value().additional_count == 1);  // our OPT
    CHECK(parse_query(big).value().edns_udp_size == 1232);
}

TEST_CASE("dns message: random and mutated packets never crash", "[dns]") {
    std::mt19937 random(20261129);
    std::vector<Bytes> seeds = {query("web"), query("a.b.c.example", type::aaaa, true)};
    Bytes compressed = header(9, 0x0100, 2);
    put_name(compressed, "x.y");
    put16(compressed, 1);
    put16(compressed, 1);
    put16(compressed, 0xC000 | 12);
    put16(compressed, 1);
    put16(compressed, 1);
    seeds.push_back(compressed);

    int parsed = 0;
    for (int round = 0; round < 20000; ++round) {
        Bytes packet;
        if (round % 4 == 0) {
            packet.resize(random() % 80);
            for (auto& byte : packet) byte = static_cast<std::uint8_t>(random());
        } else {
            packet = seeds[random() % seeds.size()];
            int flips = 1 + static_cast<int>(random() % 6);
            for (int i = 0; i < flips; ++i) {
                std::size_t at = random() % packet.size();
                switch (random() % 3) {
                case 0: packet[at] = static_cast<std::uint8_t>(random()); break;
                case 1: packet.resize(at); break;
                default: packet.insert(packet.begin() + static_cast<long>(at), static_cast<std::uint8_t>(random()));
                }
                if (packet.empty()) break;
            }
        }
        auto result = parse_query(packet);
        if (result.ok()) {
            ++parsed;
            for (auto transport : {Transport::udp, Transport::tcp}) {
                Bytes reply = build_response(result.value(), Rcode::no_error, many_addresses(3), true, transport);
                CHECK(reply.size() <= answer_size_limit(result.value(), transport) + 0u);
            }
        }
    }
    CHECK(parsed > 0);
}

TEST_CASE("dns message: PTR records carry an uncompressed name", "[dns]") {
    auto record = ptr_record(0, "web.front", 600);
    REQUIRE(record);
    CHECK(record->type == type::ptr);
    CHECK(record->data == Bytes{3, 'w', 'e', 'b', 5, 'f', 'r', 'o', 'n', 't', 0});
    CHECK_FALSE(ptr_record(0, "a..b", 600));
    CHECK_FALSE(ptr_record(0, std::string(64, 'a'), 600));
}
