// Building JSON objects field by field; optional fields that are empty are left out.
#pragma once

#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/value.hpp"

namespace su::json {

class ObjectWriter {
 public:
  ObjectWriter();

  ObjectWriter& set(std::string_view key, std::string_view value);
  ObjectWriter& set(std::string_view key, const std::string& value) {
    return set(key, std::string_view(value));
  }
  ObjectWriter& set(std::string_view key, const char* value) {
    return set(key, std::string_view(value));
  }
  ObjectWriter& set(std::string_view key, bool value);
  template <std::integral Integer>
  requires(!std::same_as<Integer, bool>) ObjectWriter& set(std::string_view key, Integer value) {
    return set(key, integerNode(static_cast<gint64>(value)));
  }
  ObjectWriter& set(std::string_view key, double value);
  ObjectWriter& set(std::string_view key, GRef<JsonNode> node);
  ObjectWriter& set(std::string_view key, ObjectWriter child);
  ObjectWriter& set(std::string_view key, const std::vector<std::string>& values);
  // Leaves the key out when the value is absent.
  ObjectWriter& set(std::string_view key, const Value& value);
  template <typename T>
  ObjectWriter& set(std::string_view key, const std::optional<T>& value) {
    if (value) set(key, *value);
    return *this;
  }

  // Copies each member of `extra` whose key is not set yet: modelled fields always win.
  ObjectWriter& mergeMissing(const Value& extra);

  bool has(std::string_view key) const;
  GRef<JsonNode> node() const;
  JsonObject* object() const noexcept { return object_.get(); }

 private:
  GRef<JsonObject> object_;
};

GRef<JsonNode> arrayOf(const std::vector<GRef<JsonNode>>& elements);

}  // namespace su::json
