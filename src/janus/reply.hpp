// Reading plugin replies leniently: unknown fields are normal, missing or mistyped fields that
// the client relies on make a su-janus-error Protocol error naming them.
#pragma once

#include <string_view>

#include "janus/errors.hpp"
#include "janus/session.hpp"
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

// For requests whose reply carries nothing the caller needs: success or the error.
inline Callback<PluginReply> replyIgnored(Callback<void> done) {
  return [done = std::move(done)](Result<PluginReply> reply) {
    if (!reply) return done(reply.error());
    done(Result<void>());
  };
}

// For requests whose reply `parse` turns into a T.
template <typename T>
Callback<PluginReply> replyParsed(Callback<T> done, Result<T> (*parse)(const json::Value&)) {
  return [done = std::move(done), parse](Result<PluginReply> reply) {
    if (!reply) return done(reply.error());
    done(parse(reply->data));
  };
}

}  // namespace su::janus
