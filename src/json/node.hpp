// json-glib node ownership and text output.
#pragma once

#include <json-glib/json-glib.h>

#include <string>
#include <string_view>

#include "core/gref.hpp"

SU_GREF_TRAITS(JsonNode, json_node_ref, json_node_unref);
SU_GREF_TRAITS(JsonObject, json_object_ref, json_object_unref);
SU_GREF_TRAITS(JsonArray, json_array_ref, json_array_unref);

namespace su::json {

enum class Style { Compact, Pretty };

// Serialises `node` (members in insertion order). A null pointer is written as `null`.
std::string toString(JsonNode* node, Style style = Style::Compact);

// The JSON type of a node, as a user reads it in an error: "a string", "an integer", "null".
const char* describeType(JsonNode* node);

GRef<JsonNode> stringNode(std::string_view value);
GRef<JsonNode> integerNode(gint64 value);
GRef<JsonNode> booleanNode(bool value);
GRef<JsonNode> doubleNode(double value);
GRef<JsonNode> nullNode();
GRef<JsonNode> objectNode(GRef<JsonObject> object);
GRef<JsonNode> arrayNode(GRef<JsonArray> array);

}  // namespace su::json
