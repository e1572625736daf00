#pragma once

// DNS wire format (RFC 1035, EDNS from RFC 6891): just what the embedded resolver needs, parsing
// queries and building answers. Written by hand: no library in Debian serves DNS, and the resolver
// only needs this small subset.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/result.hpp"

namespace network::dns {

using engine::Error;
using engine::Result;

namespace type {
inline constexpr std::uint16_t a = 1;
inline constexpr std::uint16_t ptr = 12;
inline constexpr std::uint16_t aaaa = 28;
inline constexpr std::uint16_t opt = 41;
}  // namespace type

inline constexpr std::uint16_t class_in = 1;
inline constexpr std::uint8_t opcode_query = 0;
/// Largest UDP answer for a client that did not announce a bigger one with EDNS (RFC 1035 4.2.1).
inline constexpr std::size_t classic_udp_limit = 512;
/// Largest UDP answer we send even when a client announces more: the usual EDNS buffer size that
/// avoids IP fragmentation (DNS flag day 2020).
inline constexpr std::size_t edns_udp_limit = 1232;

enum class Rcode : std::uint8_t {
    no_error = 0,
    format_error = 1,
    server_failure = 2,
    name_error = 3,  // NXDOMAIN
    not_implemented = 4,
    refused = 5,
};

struct Header {
    std::uint16_t id = 0;
    bool response = false;
    std::uint8_t opcode = 0;
    bool authoritative = false;
    bool truncated = false;
    bool recursion_desired = false;
    bool recursion_available = false;
    Rcode rcode = Rcode::no_error;
    std::uint16_t question_count = 0;
    std::uint16_t answer_count = 0;
    std::uint16_t authority_count = 0;
    std::uint16_t additional_count = 0;
};

struct Question {
    /// Presentation form without the final dot, original case kept ("Web.example"); bytes that
    /// are not letters, digits, '-' or '_' (and dots inside a label) are escaped as \DDD, so two
    /// different wire names never print alike. The root name is "".
    std::string name;
    std::uint16_t type = 0;
    std::uint16_t qclass = 0;
    /// The name in uncompressed wire form, echoed byte for byte in answers (clients that
    /// randomise letter case check the echo).
    std::vector<std::uint8_t> wire_name;
};

struct Query {
    Header header;
    std::vector<Question> questions;
    /// The client's UDP buffer size from its EDNS OPT record, when it sent one.
    std::optional<std::uint16_t> edns_udp_size;
};

/// The 12-byte header; error when the packet is shorter.
Result<Header> parse_header(std::span<const std::uint8_t> packet);

/// A query: header, every question (compression pointers followed backwards only, names at most
/// 255 bytes, labels at most 63), answer and authority records skipped, the EDNS OPT record
/// read from the additional section. Errors say what is malformed; never reads out of bounds.
Result<Query> parse_query(std::span<const std::uint8_t> packet);

/// One answer record; its owner is the name of question `question` of the query.
struct Record {
    std::size_t question = 0;
    std::uint16_t type = 0;
    std::uint32_t ttl = 0;
    std::vector<std::uint8_t> data;
};

/// An A record's data from 4 address bytes, or AAAA's from 16.
Record address_record(std::size_t question, std::span<const std::uint8_t> address,
                      std::uint32_t ttl);

/// A PTR record pointing at `target` ("web.front"); nullopt when it is no valid name (a label
/// empty or over 63 bytes, over 255 bytes in all).
std::optional<Record> ptr_record(std::size_t question, std::string_view target, std::uint32_t ttl);

enum class Transport { udp, tcp };

/// The largest answer the client takes over `transport`: 65535 on TCP; on UDP 512 without EDNS,
/// else its announced size clamped to [512, edns_udp_limit].
std::size_t answer_size_limit(const Query& query, Transport transport);

/// A response to `query`: its id, opcode, RD flag and questions echoed, RA set, an OPT record
/// when the query had one. When the answers do not fit in answer_size_limit they are all left
/// out and TC is set, so the client retries over TCP.
std::vector<std::uint8_t> build_response(const Query& query, Rcode rcode,
                                         const std::vector<Record>& answers, bool authoritative,
                                         Transport transport);

/// A header-only error response for a query whose questions could not be read.
std::vector<std::uint8_t> build_error(const Header& query_header, Rcode rcode);

/// Overwrites the id of a message in place (forwarded queries get their own id); no-op on a
/// packet shorter than 2 bytes.
void set_id(std::span<std::uint8_t> packet, std::uint16_t id);

}  // namespace network::dns
