// Typed reading of a JSON object with exact field paths in every error.
//
// Each getter returns std::nullopt when the field is absent or null, and also when it has the
// wrong type, after reporting `path.key: must be an integer, got a string`. A field may have
// several accepted names (`{"multicast", "mcast"}`: the first is canonical); giving two of them
// with different values is an error. Every name a getter asked for counts as known, so
// rejectUnknownFields() can report the rest.
#pragma once

#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "json/diagnostics.hpp"
#include "json/value.hpp"

namespace su::json {

class FieldNames {
 public:
  FieldNames(const char* name) : names_{name} {}  // NOLINT: a single name reads naturally
  FieldNames(std::initializer_list<const char*> names) : names_(names.begin(), names.end()) {}
  const std::vector<std::string_view>& all() const noexcept { return names_; }

 private:
  std::vector<std::string_view> names_;
};

class ObjectReader {
 public:
  ObjectReader(GRef<JsonObject> object, std::string path, Diagnostics& diagnostics);
  // Reports `path: must be an object, got ...` unless `node` holds an object.
  static std::optional<ObjectReader> fromNode(JsonNode* node, std::string path,
                                              Diagnostics& diagnostics);

  std::optional<std::string> string(FieldNames names);
  std::optional<bool> boolean(FieldNames names);
  std::optional<gint64> integer(FieldNames names);
  // Integers and doubles alike.
  std::optional<double> number(FieldNames names);
  std::optional<ObjectReader> object(FieldNames names);
  // An array whose every element is an object.
  std::optional<std::vector<ObjectReader>> objects(FieldNames names);
  // An array whose every element is a string.
  std::optional<std::vector<std::string>> strings(FieldNames names);
  // Any JSON value, kept as it is.
  Value any(FieldNames names);

  // Present and not null (counts as known, reads nothing).
  bool has(FieldNames names);
  // The name under which the field was given, or its canonical name: where errors point.
  std::string_view nameIn(FieldNames names);

  // Reports `path.<key>: unknown field` for every member no getter asked for.
  void rejectUnknownFields();

  const std::string& path() const noexcept { return path_; }
  std::string pathOf(std::string_view key) const { return childPath(path_, key); }
  Diagnostics& diagnostics() const noexcept { return *diagnostics_; }
  void error(std::string_view key, std::string rule) const {
    diagnostics_->error(pathOf(key), std::move(rule));
  }

 private:
  struct Found {
    std::string_view name;
    JsonNode* node;
  };
  std::optional<Found> find(const FieldNames& names);
  bool expect(const Found& found, bool matches, const char* expected);

  GRef<JsonObject> object_;
  std::string path_;
  Diagnostics* diagnostics_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace su::json
