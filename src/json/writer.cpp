#include "json/writer.hpp"

namespace su::json {

ObjectWriter::ObjectWriter() : object_(GRef<JsonObject>::adopt(json_object_new())) {}

ObjectWriter& ObjectWriter::set(std::string_view key, GRef<JsonNode> node) {
  json_object_set_member(object_.get(), std::string(key).c_str(), node.release());
  return *this;
}

ObjectWriter& ObjectWriter::set(std::string_view key, std::string_view value) {
  return set(key, stringNode(value));
}

ObjectWriter& ObjectWriter::set(std::string_view key, bool value) {
  return set(key, booleanNode(value));
}

ObjectWriter& ObjectWriter::set(std::string_view key, double value) {
  return set(key, doubleNode(value));
}

ObjectWriter& ObjectWriter::set(std::string_view key, ObjectWriter child) {
  return set(key, child.node());
}

ObjectWriter& ObjectWriter::set(std::string_view key, const std::vector<std::string>& values) {
  std::vector<GRef<JsonNode>> nodes;
  nodes.reserve(values.size());
  for (const std::string& value : values)
    nodes.push_back(stringNode(value));
  return set(key, arrayOf(nodes));
}

ObjectWriter& ObjectWriter::set(std::string_view key, const Value& value) {
  if (value.present()) set(key, GRef<JsonNode>::ref(value.node()));
  return *this;
}

ObjectWriter& ObjectWriter::mergeMissing(const Value& extra) {
  JsonObject* members = extra.object();
  if (!members) return *this;
  GList* names = json_object_get_members(members);
  for (GList* item = names; item; item = item->next) {
    const char* name = static_cast<const char*>(item->data);
    if (!has(name)) set(name, GRef<JsonNode>::ref(json_object_get_member(members, name)));
  }
  g_list_free(names);
  return *this;
}

bool ObjectWriter::has(std::string_view key) const {
  return json_object_has_member(object_.get(), std::string(key).c_str());
}

GRef<JsonNode> ObjectWriter::node() const {
  return objectNode(object_);
}

GRef<JsonNode> arrayOf(const std::vector<GRef<JsonNode>>& elements) {
  auto array = GRef<JsonArray>::adopt(json_array_sized_new(static_cast<guint>(elements.size())));
  for (const auto& element : elements) {
    json_array_add_element(array.get(), GRef<JsonNode>(element).release());
  }
  return arrayNode(std::move(array));
}

}  // namespace su::json
