// Validation rules shared by the models, each reporting `path: rule` into Diagnostics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "json/diagnostics.hpp"
#include "json/reader.hpp"
#include "model/kinds.hpp"

namespace su::model {

using json::Diagnostics;
using json::ObjectReader;

inline constexpr std::int64_t kMaxId = INT64_MAX;

// A user's value inside an error message: quoted, bounded, control characters replaced.
// Never pass a secret here.
std::string quoted(std::string_view value);
std::string asciiLower(std::string_view value);

void checkRange(Diagnostics& diagnostics, const std::string& path,
                const std::optional<std::int64_t>& value, std::int64_t min, std::int64_t max);
void checkPort(Diagnostics& diagnostics, const std::string& path,
               const std::optional<std::int64_t>& port);
void checkId(Diagnostics& diagnostics, const std::string& path,
             const std::optional<std::int64_t>& id);
// Optional strings, when given, must not be empty: leaving them out is how to say "none".
void checkNotEmpty(Diagnostics& diagnostics, const std::string& path,
                   const std::optional<std::string>& value);
// An IP literal or a DNS name, without scheme, port or spaces.
void checkHost(Diagnostics& diagnostics, const std::string& path, std::string_view host);
// A URL with one of `schemes` and a host; the URL itself never appears in the message.
void checkUrl(Diagnostics& diagnostics, const std::string& path, std::string_view url,
              std::initializer_list<std::string_view> schemes);
// Any URL a relay may read: a scheme, and a host where the scheme needs one.
void checkAnyUrl(Diagnostics& diagnostics, const std::string& path, std::string_view url);
// `field: only for <what>` when a field is set where it has no meaning.
template <typename T>
void checkAbsent(Diagnostics& diagnostics, const std::string& path, const std::optional<T>& value,
                 std::string_view onlyFor) {
  if (value) diagnostics.error(path, "only for " + std::string(onlyFor));
}

// Phase one of decoding: a required field that is missing is reported as `key: required`.
template <typename T>
T required(ObjectReader& reader, json::FieldNames names, std::optional<T> value, T fallback = T()) {
  if (value) return std::move(*value);
  if (!reader.has(names)) reader.error(reader.nameIn(names), "required");
  return fallback;
}

// Reads a string field holding one of E's names; an unknown name is an error listing them all.
template <typename E>
std::optional<E> readEnum(ObjectReader& reader, json::FieldNames names) {
  const std::optional<std::string> text = reader.string(names);
  if (!text) return std::nullopt;
  if (auto value = enumFromName<E>(*text)) return value;
  reader.error(reader.nameIn(names),
               "unknown value " + quoted(*text) + " (expected one of: " + enumNameList<E>() + ")");
  return std::nullopt;
}

}  // namespace su::model
