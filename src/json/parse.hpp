// A strict RFC 8259 reader that builds json-glib nodes.
//
// json-glib 1.6's own parser is lenient in ways that lose data silently: integers beyond 64 bits
// wrap around (18446744073709551617 becomes -1), duplicate keys keep the last value, `{} {}` and
// an empty document are accepted, comments, single quotes, `01` and `0x10` pass, and `\u0000`
// truncates a string. Everything that reaches the models (requests, queue payloads, Janus and OBS
// replies) comes through here instead, with an error that says where the input went wrong.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/result.hpp"
#include "json/node.hpp"

namespace su::json {

enum class JsonError {
  Syntax = 1,  // not JSON: the message says line, column and what was expected
  TooLarge,    // over ParseLimits::maxBytes
  TooDeep,     // nested deeper than ParseLimits::maxDepth
};
GQuark errorDomainOf(JsonError);

struct ParseLimits {
  std::size_t maxBytes = 1 << 20;
  unsigned maxDepth = 64;
};

// Parses exactly one JSON value (surrounding whitespace allowed). Numbers without a fraction or
// exponent become 64-bit integers (out of range is an error, never a wrap); others doubles.
Result<GRef<JsonNode>> parse(std::string_view text, ParseLimits limits = {});

}  // namespace su::json
