// Reading plugin replies leniently: unknown fields are normal, missing or mistyped fields that
// the client relies on make a su-janus-error Protocol error naming them.
#pragma once

#include <string_view>

#include "janus/errors.hpp"
#include "json/reader.hpp"
#include "json/value.hpp"

namespace su::janus {

template <typename T, typename Read>
Result<T> readReply(const json::Value& data, std::string_view what, Read read) {
  json::Diagnostics diagnostics;
  std::optional<T> value;
  if (auto reader = json::ObjectReader::fromNode(data.node(), "", diagnostics)) {
    value = read(*reader);
  }
  if (!diagnostics.ok()) {
    return makeError(JanusError::Protocol,
                     "malformed Janus reply to " + std::string(what) + ": " +
                         diagnostics.errors().front().toString(),
                     diagnostics.errors());
  }
  return std::move(*value);
}

}  // namespace su::janus
