#include "json/reader.hpp"

namespace su::json {

namespace {

bool holdsValueOfType(JsonNode* node, GType type) {
  return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == type;
}

}  // namespace

ObjectReader::ObjectReader(GRef<JsonObject> object, std::string path, Diagnostics& diagnostics)
    : object_(std::move(object)), path_(std::move(path)), diagnostics_(&diagnostics) {}

std::optional<ObjectReader> ObjectReader::fromNode(JsonNode* node, std::string path,
                                                   Diagnostics& diagnostics) {
  if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
    diagnostics.error(path.empty() ? std::string("(document)") : path,
                      std::string("must be an object, got ") + describeType(node));
    return std::nullopt;
  }
  return ObjectReader(GRef<JsonObject>::ref(json_node_get_object(node)), std::move(path),
                      diagnostics);
}

std::optional<ObjectReader::Found> ObjectReader::find(const FieldNames& names) {
  std::optional<Found> first;
  for (std::string_view name : names.all()) {
    const bool firstLook = known_.emplace(name).second;  // report a conflict only once
    const std::string key(name);
    JsonNode* node = json_object_get_member(object_.get(), key.c_str());
    if (!node || JSON_NODE_HOLDS_NULL(node)) continue;
    if (!first) {
      first = Found{name, node};
    } else if (firstLook && !json_node_equal(first->node, node)) {
      error(name, "conflicts with " + pathOf(first->name) + " (give only one of them)");
    }
  }
  return first;
}

bool ObjectReader::expect(const Found& found, bool matches, const char* expected) {
  if (!matches) {
    error(found.name, std::string("must be ") + expected + ", got " + describeType(found.node));
  }
  return matches;
}

std::optional<std::string> ObjectReader::string(FieldNames names) {
  auto found = find(names);
  if (!found || !expect(*found, holdsValueOfType(found->node, G_TYPE_STRING), "a string")) {
    return std::nullopt;
  }
  return std::string(json_node_get_string(found->node));
}

std::optional<bool> ObjectReader::boolean(FieldNames names) {
  auto found = find(names);
  if (!found || !expect(*found, holdsValueOfType(found->node, G_TYPE_BOOLEAN), "a boolean")) {
    return std::nullopt;
  }
  return json_node_get_boolean(found->node) != FALSE;
}

std::optional<gint64> ObjectReader::integer(FieldNames names) {
  auto found = find(names);
  if (!found || !expect(*found, holdsValueOfType(found->node, G_TYPE_INT64), "an integer")) {
    return std::nullopt;
  }
  return json_node_get_int(found->node);
}

std::optional<double> ObjectReader::number(FieldNames names) {
  auto found = find(names);
  if (!found) return std::nullopt;
  const bool isNumber =
      holdsValueOfType(found->node, G_TYPE_INT64) || holdsValueOfType(found->node, G_TYPE_DOUBLE);
  if (!expect(*found, isNumber, "a number")) return std::nullopt;
  return json_node_get_double(found->node);
}

std::optional<ObjectReader> ObjectReader::object(FieldNames names) {
  auto found = find(names);
  if (!found || !expect(*found, JSON_NODE_HOLDS_OBJECT(found->node), "an object")) {
    return std::nullopt;
  }
  return ObjectReader(GRef<JsonObject>::ref(json_node_get_object(found->node)), pathOf(found->name),
                      *diagnostics_);
}

std::optional<std::vector<ObjectReader>> ObjectReader::objects(FieldNames names) {
  auto found = find(names);
  if (!found || !expect(*found, JSON_NODE_HOLDS_ARRAY(found->node), "an array")) {
    return std::nullopt;
  }
  JsonArray* array = json_node_get_array(found->node);
  std::vector<ObjectReader> readers;
  const std::string arrayPath = pathOf(found->name);
  for (guint i = 0; i < json_array_get_length(array); ++i) {
    if (auto reader =
            fromNode(json_array_get_element(array, i), indexPath(arrayPath, i), *diagnostics_)) {
      readers.push_back(std::move(*reader));
    }
  }
  return readers;
}

std::optional<std::vector<std::string>> ObjectReader::strings(FieldNames names) {
  auto found = find(names);
  if (!found || !expect(*found, JSON_NODE_HOLDS_ARRAY(found->node), "an array of strings")) {
    return std::nullopt;
  }
  JsonArray* array = json_node_get_array(found->node);
  std::vector<std::string> values;
  const std::string arrayPath = pathOf(found->name);
  for (guint i = 0; i < json_array_get_length(array); ++i) {
    JsonNode* element = json_array_get_element(array, i);
    if (!holdsValueOfType(element, G_TYPE_STRING)) {
      diagnostics_->error(indexPath(arrayPath, i),
                          std::string("must be a string, got ") + describeType(element));
      continue;
    }
    values.emplace_back(json_node_get_string(element));
  }
  return values;
}

bool ObjectReader::has(FieldNames names) {
  return find(names).has_value();
}

std::string_view ObjectReader::nameIn(FieldNames names) {
  const auto found = find(names);
  return found ? found->name : names.all().front();
}

Value ObjectReader::any(FieldNames names) {
  auto found = find(names);
  if (!found) return {};
  return Value::of(GRef<JsonNode>::ref(found->node));
}

void ObjectReader::rejectUnknownFields() {
  GList* members = json_object_get_members(object_.get());
  for (GList* item = members; item; item = item->next) {
    const std::string_view name(static_cast<const char*>(item->data));
    if (!known_.contains(name)) error(name, "unknown field");
  }
  g_list_free(members);
}

}  // namespace su::json
