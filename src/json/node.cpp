#include "json/node.hpp"

namespace su::json {

std::string toString(JsonNode* node, Style style) {
  if (!node) return "null";
  GUnique<char> text = GUnique<char>::adopt(json_to_string(node, style == Style::Pretty));
  return text ? std::string(text.get()) : std::string("null");
}

const char* describeType(JsonNode* node) {
  if (!node || JSON_NODE_HOLDS_NULL(node)) return "null";
  if (JSON_NODE_HOLDS_OBJECT(node)) return "an object";
  if (JSON_NODE_HOLDS_ARRAY(node)) return "an array";
  switch (json_node_get_value_type(node)) {
    case G_TYPE_STRING:
      return "a string";
    case G_TYPE_INT64:
      return "an integer";
    case G_TYPE_DOUBLE:
      return "a number";
    case G_TYPE_BOOLEAN:
      return "a boolean";
    default:
      return "an unsupported value";
  }
}

GRef<JsonNode> stringNode(std::string_view value) {
  JsonNode* node = json_node_alloc();
  json_node_init_string(node, std::string(value).c_str());
  return GRef<JsonNode>::adopt(node);
}

GRef<JsonNode> integerNode(gint64 value) {
  return GRef<JsonNode>::adopt(json_node_init_int(json_node_alloc(), value));
}

GRef<JsonNode> booleanNode(bool value) {
  return GRef<JsonNode>::adopt(json_node_init_boolean(json_node_alloc(), value));
}

GRef<JsonNode> doubleNode(double value) {
  return GRef<JsonNode>::adopt(json_node_init_double(json_node_alloc(), value));
}

GRef<JsonNode> nullNode() {
  return GRef<JsonNode>::adopt(json_node_init_null(json_node_alloc()));
}

GRef<JsonNode> objectNode(GRef<JsonObject> object) {
  return GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(), object.get()));
}

GRef<JsonNode> arrayNode(GRef<JsonArray> array) {
  return GRef<JsonNode>::adopt(json_node_init_array(json_node_alloc(), array.get()));
}

}  // namespace su::json
